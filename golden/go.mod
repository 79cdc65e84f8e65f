// The golden cases of mpiregen: a module of its own, so that its packages
// build against the repository without entering the library's module.
module golden

go 1.26.0

require (
	github.com/mpire-go/mpire v0.0.0
	github.com/tinylib/msgp v1.6.5
	go.uber.org/goleak v1.3.0
)

require (
	github.com/dave/jennifer v1.7.1 // indirect
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/philhofer/fwd v1.2.0 // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/schollz/progressbar/v3 v3.19.1 // indirect
	golang.org/x/mod v0.33.0 // indirect
	golang.org/x/sync v0.19.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/term v0.47.0 // indirect
	golang.org/x/tools v0.42.0 // indirect
)

replace github.com/mpire-go/mpire => ../

tool github.com/mpire-go/mpire/cmd/mpiregen
