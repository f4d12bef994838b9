package sandbox

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Host names a sandbox listener.
type Host string

const (
	HostLogin Host = "login"
	HostGraph Host = "graph"
)

// LogEntry is one request the sandbox answered. Batched marks a request that
// arrived inside a JSON $batch rather than on the wire.
type LogEntry struct {
	Time     time.Time
	Host     Host
	Method   string
	Path     string
	Query    string
	Status   int
	Duration time.Duration
	Batched  bool
}

// RequestLog records every request; tests read and count it. Safe for concurrent use.
type RequestLog struct {
	mu      sync.Mutex
	entries []LogEntry
}

func (l *RequestLog) add(e LogEntry) {
	l.mu.Lock()
	l.entries = append(l.entries, e)
	l.mu.Unlock()
}

// Entries returns a copy of everything logged so far.
func (l *RequestLog) Entries() []LogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]LogEntry(nil), l.entries...)
}

// Reset forgets everything logged so far.
func (l *RequestLog) Reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// Count counts wire requests (not batched sub-requests) to host whose method
// matches (empty = any) and whose path contains pathPart (empty = any).
func (l *RequestLog) Count(host Host, method, pathPart string) int {
	n := 0
	for _, e := range l.Entries() {
		if e.Batched || (host != "" && e.Host != host) || (method != "" && e.Method != method) {
			continue
		}
		if pathPart != "" && !strings.Contains(e.Path, pathPart) {
			continue
		}
		n++
	}
	return n
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer (to hijack).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
