package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"strings"
)

// knownHost answers only requests whose Host header names the dashboard as
// this machine would: an IP address, localhost, the machine's name, or the
// host it was started on. A page on attacker.example whose name was made
// to point at 127.0.0.1 (DNS rebinding) is refused.
func knownHost(startedOn string, h http.Handler) http.Handler {
	machine, _ := os.Hostname()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hp, _, err := net.SplitHostPort(host); err == nil {
			host = hp
		}
		host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
		ok := net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") ||
			(machine != "" && strings.EqualFold(host, machine)) || (startedOn != "" && strings.EqualFold(host, startedOn))
		if !ok {
			http.Error(w, "mpire dashboard: unknown host "+r.Host, http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// requireToken answers only requests that carry the dashboard's token: in
// the query of the URL the dashboard printed (?token=..., as Jupyter does),
// then in the cookie that such a request sets, so that the page's own
// requests need not carry it; programs send it as a bearer token.
func requireToken(token, cookie string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if same(r.URL.Query().Get("token"), token) {
			http.SetCookie(w, &http.Cookie{Name: cookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			h.ServeHTTP(w, r)
			return
		}
		bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if c, err := r.Cookie(cookie); same(bearer, token) || err == nil && same(c.Value, token) {
			h.ServeHTTP(w, r)
			return
		}
		http.Error(w, "mpire dashboard: this dashboard needs its token: open the URL it printed, ?token=... included", http.StatusUnauthorized)
	})
}

// same compares a secret in a time that does not tell how much of it was
// guessed right. An empty string is never a secret.
func same(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// tokenOf returns the public token of a reporting process from its secret:
// the token prefixes the IDs of its calls, which anyone may read on the
// page, while only the secret's holder can send reports under it.
func tokenOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:16])
}
