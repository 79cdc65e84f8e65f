package platform_mismatch

// Measure is portable: its codecs encode word by its definition.
//
//mpire:task portable
func Measure(w word) int { return int(w) }
