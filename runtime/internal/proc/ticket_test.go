package proc

import (
	"testing"
	"time"
)

func TestTicket(t *testing.T) {
	for _, k := range []ticket{
		{nonce: "N0NCE", commands: "12:345", replies: "12:346", hello: 10 * time.Second},
		{nonce: "N0NCE", commands: "12:345", replies: "12:346", hello: time.Millisecond, gorace: "-"},
		{nonce: "N0NCE", commands: "12:345", replies: "12:346", hello: time.Second, gorace: "=halt_on_error=1,log_path=/tmp/a b"},
		{nonce: "N0NCE", commands: "12:345", replies: "12:346", hello: time.Second, ledger: "1:2047", gorace: "-"},
	} {
		got, err := parseTicket(k.String())
		if err != nil || got != k {
			t.Errorf("parseTicket(%q) = %+v, %v; want %+v", k.String(), got, err, k)
		}
	}
	for _, s := range []string{"", "proc-test", "1,N,1:2,1:3,1000,,", "2,N,1:2,1:3,1000,", "2,N,1:2,1:3,,,", "2,N,1:2,1:3,-5,,", "2,N,1:2,1:3,1000"} {
		if k, err := parseTicket(s); err == nil {
			t.Errorf("parseTicket(%q) = %+v, want an error", s, k)
		}
	}
}
