// Keys and values of //mpire:task as people mistype them.
package keys

//mpire:task shared="map[string]int
func Unterminated(m map[string]int, x int) int { return x }

//mpire:task Shared=int
func Upper(m int, x int) int { return x }

//mpire:task inti=setup
func Typo(x int) int { return x }

//mpire:task shared=int shared=int
func Twice(m int, x int) int { return x }

//mpire:task name=
func EmptyName(x int) int { return x }

//mpire:task,shared=int
func Comma(m int, x int) int { return x }

//mpire:tasks
func Plural(x int) int { return x }

//mpire:task x
func Bare(x int) int { return x }

//mpire:task name=func
func Keyword(x int) int { return x }

//mpire:task name=x.y
func Dotted(x int) int { return x }

//mpire:task shared="map[string"
func Syntax(m int, x int) int { return x }
