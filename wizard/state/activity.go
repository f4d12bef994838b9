package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Outcome says whether an operation in the activity log worked.
type Outcome string

const (
	OK     Outcome = "ok"
	Failed Outcome = "failed"
)

// maxMessage bounds an entry's message (Graph error texts can be long).
const maxMessage = 1000

// Entry is one change the wizard made or tried.
type Entry struct {
	Time      time.Time `json:"time"`                // set by Append when zero
	Operation string    `json:"op"`                  // e.g. "Create app registration"
	Object    string    `json:"object,omitempty"`    // e.g. the app's client ID
	Outcome   Outcome   `json:"outcome"`             // OK or Failed
	RequestID string    `json:"requestId,omitempty"` // Graph request-id of a failure
	Message   string    `json:"message,omitempty"`   // short, for a support ticket
	Redacted  bool      `json:"redacted,omitempty"`  // something secret-shaped was removed
}

// Log is the activity log in a config directory. It is safe for concurrent
// use.
type Log struct {
	path string
	file *sync.Mutex // shared by every Log on the same file in this process

	mu        sync.Mutex
	forbidden []string // longest first
}

// OpenLog returns the activity log in dir, creating dir if needed. The file
// itself appears with the first entry.
func OpenLog(dir string) (*Log, error) {
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LogFile)
	return &Log{path: path, file: lockFor(path)}, nil
}

// Path is the log file, for "attach this file to your ticket".
func (l *Log) Path() string { return l.path }

// Forbid registers values that must never appear in the log, such as a client
// secret the wizard just created: Append replaces them with "[redacted]", as
// it does with anything shaped like a JWT, an Entra ID client secret or a PEM
// private key. Every non-empty value counts, however short.
func (l *Log) Forbid(values ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forbidden = addForbidden(l.forbidden, values...)
}

func (l *Log) clean(e Entry) Entry {
	l.mu.Lock()
	forbidden := l.forbidden
	l.mu.Unlock()
	for _, f := range []*string{&e.Operation, &e.Object, (*string)(&e.Outcome), &e.RequestID, &e.Message} {
		var hit bool
		if *f, hit = redact(*f, forbidden); hit {
			e.Redacted = true
		}
	}
	return e
}

// Append records e, redacted, as one line, and fsyncs it. Operation must be
// set and Outcome be OK or Failed.
func (l *Log) Append(e Entry) error {
	e = l.clean(e)
	switch {
	case strings.TrimSpace(e.Operation) == "":
		return errors.New("activity log: an entry needs an operation")
	case e.Outcome != OK && e.Outcome != Failed:
		return fmt.Errorf("activity log: outcome must be %q or %q", OK, Failed)
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	if utf8.RuneCountInString(e.Message) > maxMessage {
		e.Message = string([]rune(e.Message)[:maxMessage]) + "…"
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("activity log: %w", err)
	}
	line = append(line, '\n')

	l.file.Lock()
	defer l.file.Unlock()
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("activity log: %w", err)
	}
	defer f.Close()
	// A crash during an earlier append can leave a last line without its
	// newline; start a new line so this entry is not glued to it.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	if _, err := f.Write(line); err != nil {
		return fmt.Errorf("activity log: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("activity log: %w", err)
	}
	return f.Close()
}

// Entries reads the log back, oldest first, redacted again with what is
// forbidden now. Lines that cannot be read (a crash cut them short) are
// skipped; Export reports them.
func (l *Log) Entries() ([]Entry, error) {
	entries, _, err := l.read()
	return entries, err
}

func (l *Log) read() (entries []Entry, damaged []int, err error) {
	l.file.Lock()
	data, err := os.ReadFile(l.path)
	l.file.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading the activity log: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(raw, &e); err != nil || e.Operation == "" {
			damaged = append(damaged, n)
			continue
		}
		entries = append(entries, l.clean(e))
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading the activity log: %w", err)
	}
	return entries, damaged, nil
}

// Export writes the log as plain text for a support ticket.
func (l *Log) Export(w io.Writer) error {
	entries, damaged, err := l.read()
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "M365 Setup Wizard activity log\nFile: %s\nExported: %s\nEntries: %d\n",
		l.path, time.Now().UTC().Format(time.RFC3339), len(entries))
	if len(damaged) > 0 {
		fmt.Fprintf(&b, "Unreadable lines skipped: %v\n", damaged)
	}
	b.WriteString("Secrets and tokens are never written to this log.\n\n")
	for _, e := range entries {
		outcome := "ok"
		if e.Outcome != OK {
			outcome = "FAILED"
		}
		fmt.Fprintf(&b, "%s  %-6s  %s", e.Time.UTC().Format("2006-01-02 15:04:05Z"), outcome, oneLine(e.Operation))
		if e.Object != "" {
			fmt.Fprintf(&b, "  [%s]", oneLine(e.Object))
		}
		if e.RequestID != "" {
			fmt.Fprintf(&b, "  request-id: %s", oneLine(e.RequestID))
		}
		if e.Redacted {
			b.WriteString("  (secret-shaped text redacted)")
		}
		b.WriteString("\n")
		if e.Message != "" {
			fmt.Fprintf(&b, "    %s\n", oneLine(e.Message))
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// oneLine keeps an exported entry on its lines.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
