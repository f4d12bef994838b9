package sandbox

import (
	"io"
	"log"
)

// quietLog drops the http.Server's own log lines (TLS handshakes from clients
// that do not trust the CA, connections dropped on purpose).
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }
