package main

// An import named like a codec: the codecs, declared in the package block,
// cannot take a name a file block imports.
import readMsgpimpl "strings"

var _ = readMsgpimpl.ToUpper
