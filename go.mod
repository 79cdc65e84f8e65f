module github.com/mpire-go/mpire

go 1.26

require (
	github.com/dave/jennifer v1.7.1
	github.com/schollz/progressbar/v3 v3.18.0
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.38.0
	golang.org/x/tools v0.39.0
)

require (
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	golang.org/x/mod v0.30.0 // indirect
	golang.org/x/sync v0.18.0 // indirect
	golang.org/x/term v0.28.0 // indirect
)
