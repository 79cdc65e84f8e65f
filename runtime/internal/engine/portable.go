package engine

// Portable describes how the values of a portable task cross a process
// boundary: generated code fills it in, once per task, with codecs written
// for the task's types.
type Portable[St, A, R, E any] struct {
	// Task names the task in worker processes; unique in a binary.
	Task string
	// AppendArgs appends the encoding of args to b.
	AppendArgs func(b []byte, args []A) []byte
	// ReadArgs decodes what AppendArgs wrote, appending to args.
	ReadArgs func(b []byte, args []A) ([]A, error)
	// AppendResults appends the encoding of out to b.
	AppendResults func(b []byte, out []R) []byte
	// ReadResults decodes what AppendResults wrote into out, as long as the
	// results encoded.
	ReadResults func(b []byte, out []R) error
	// AppendExit appends the encoding of an exit value to b.
	AppendExit func(b []byte, e *E) []byte
	// ReadExit decodes what AppendExit wrote.
	ReadExit func(b []byte, e *E) error
	// Child returns, in a worker process, the task's Func with the shared
	// object decoded from what Func.Shared encoded in the parent.
	Child func(shared []byte) (Func[St, A, R, E], error)
	// Schema, when set, describes the encoding of the task's values: a
	// caller and a cluster worker must agree on it. When empty, the
	// structure of the task's types stands in for it.
	Schema string
}
