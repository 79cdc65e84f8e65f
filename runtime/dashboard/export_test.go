package dashboard

// TokenOf gives the external tests the token of a secret, as a process
// connected with Connect derives it.
var TokenOf = tokenOf
