package state

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openLog(t *testing.T) *Log {
	t.Helper()
	l, err := OpenLog(filepath.Join(t.TempDir(), "m365wizard"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAppendAndRead(t *testing.T) {
	l := openLog(t)
	if filepath.Base(l.Path()) != LogFile {
		t.Fatalf("Path() = %s", l.Path())
	}
	if e, err := l.Entries(); err != nil || len(e) != 0 {
		t.Fatalf("a new log has entries %v, %v", e, err)
	}
	at := time.Date(2025, 11, 22, 18, 30, 0, 0, time.FixedZone("CET", 3600))
	in := []Entry{
		{Time: at, Operation: "Create app registration", Object: "0b3c2a1d-5e4f-4a6b-8c7d-9e0f1a2b3c4d", Outcome: OK, Message: "HelpMaster Email"},
		{Operation: "Grant admin consent", Object: "a1b2c3d4-0000-4000-8000-000000000002", Outcome: Failed,
			RequestID: "8f0a2c1e-4b3d-4e5f-a6b7-c8d9e0f1a2b3", Message: "Authorization_RequestDenied: Insufficient privileges to complete the operation."},
	}
	before := time.Now().UTC().Add(-time.Second)
	for _, e := range in {
		if err := l.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.Entries()
	if err != nil || len(got) != 2 {
		t.Fatalf("Entries = %v, %v", got, err)
	}
	if !got[0].Time.Equal(at) || got[0].Time.Location() != time.UTC {
		t.Errorf("time %v, want %v in UTC", got[0].Time, at)
	}
	if got[1].Time.Before(before) {
		t.Errorf("a zero time was not set to now: %v", got[1].Time)
	}
	for i := range in {
		g, w := got[i], in[i]
		if g.Operation != w.Operation || g.Object != w.Object || g.Outcome != w.Outcome || g.RequestID != w.RequestID || g.Message != w.Message || g.Redacted {
			t.Errorf("entry %d = %+v, want %+v", i, g, w)
		}
	}
	data, _ := os.ReadFile(l.Path())
	if lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "{") {
		t.Fatalf("the file is not one JSON object per line:\n%s", data)
	}
}

func TestAppendRefusesIncompleteEntries(t *testing.T) {
	l := openLog(t)
	for _, e := range []Entry{{Outcome: OK}, {Operation: " ", Outcome: OK}, {Operation: "x"}, {Operation: "x", Outcome: "maybe"}} {
		if err := l.Append(e); err == nil {
			t.Errorf("Append(%+v) accepted", e)
		}
	}
	if _, err := os.Stat(l.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused entry created the file")
	}
}

// TestNoSecretsInLog: forbidden values, tokens, Entra ID client secrets and
// private keys never reach the file, Entries or Export; the rest of the entry
// stays.
func TestNoSecretsInLog(t *testing.T) {
	l := openLog(t)
	custom := "correct horse battery staple" // a secret of no known shape
	short := "s3!"
	quoted := `pa"ss\word-2` // appears escaped inside a JSON body
	l.Forbid(custom, short, "", quoted)
	l.Forbid(custom) // twice is fine
	entries := []Entry{
		{Operation: "Create client secret", Object: "0b3c2a1d-5e4f-4a6b-8c7d-9e0f1a2b3c4d", Outcome: OK, Message: "created " + entraSecret + " (expires 2027-03-01)"},
		{Operation: "Test Settings", Outcome: Failed, RequestID: "req-1", Message: "GET /me failed with Authorization: Bearer " + jwt},
		{Operation: "Upload certificate", Outcome: OK, Message: "key " + pemKey},
		{Operation: "Upload certificate", Outcome: Failed, Message: "key cut short -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA"},
		{Operation: "Send request", Outcome: Failed, Message: `body {"password":"pa\"ss\\word-2"}`},
		{Operation: "Store " + custom, Object: custom, Outcome: Failed, RequestID: jwt, Message: "url: client_secret=" + url.QueryEscape(custom) + " or " + custom + " and " + short},
	}
	for _, e := range entries {
		if err := l.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	var export bytes.Buffer
	if err := l.Export(&export); err != nil {
		t.Fatal(err)
	}
	got, err := l.Entries()
	if err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(l.Path())
	for name, out := range map[string]string{"file": string(file), "export": export.String(), "entries": fmt.Sprintf("%+v", got)} {
		for _, secret := range []string{entraSecret, jwt, "eyJ0eXAi", "MIIEvQIBADAN", "MIIEowIBAAKCAQEA", "PRIVATE KEY", custom, url.QueryEscape(custom), short, "ss\\"} {
			if strings.Contains(out, secret) {
				t.Errorf("the %s shows %q:\n%s", name, secret, out)
			}
		}
	}
	if len(got) != len(entries) {
		t.Fatalf("%d entries, want %d", len(got), len(entries))
	}
	for i, e := range got {
		if !e.Redacted || !strings.Contains(e.Message+e.Object+e.Operation, "[redacted]") {
			t.Errorf("entry %d not marked redacted: %+v", i, e)
		}
	}
	if got[0].Message != "created [redacted] (expires 2027-03-01)" || got[1].Message != "GET /me failed with Authorization: Bearer [redacted]" {
		t.Errorf("redaction removed more than the secret: %q / %q", got[0].Message, got[1].Message)
	}
	if !strings.Contains(export.String(), "secret-shaped text redacted") {
		t.Error("Export does not say that text was redacted")
	}
}

func TestOrdinaryTextIsNotRedacted(t *testing.T) {
	l := openLog(t)
	msg := "Request 8f0a2c1e-4b3d-4e5f-a6b7-c8d9e0f1a2b3 for app 0b3c2a1d-5e4f-4a6b-8c7d-9e0f1a2b3c4d: hint xYz, thumbprint 0A1B2C3D4E5F60718293A4B5C6D7E8F901234567, AADSTS7000215: Invalid client secret provided. eyJ is not a token."
	if err := l.Append(Entry{Operation: "Test Settings", Outcome: Failed, Message: msg}); err != nil {
		t.Fatal(err)
	}
	got, _ := l.Entries()
	if len(got) != 1 || got[0].Message != msg || got[0].Redacted {
		t.Fatalf("ordinary text was changed: %+v", got)
	}
}

// TestForbidAppliesWhenReading: a value forbidden after it was written (by an
// older wizard, or before the caller knew it) does not come back out.
func TestForbidAppliesWhenReading(t *testing.T) {
	l := openLog(t)
	if err := l.Append(Entry{Operation: "Rotate secret", Outcome: OK, Message: "old value 12345678-later-secret"}); err != nil {
		t.Fatal(err)
	}
	l.Forbid("12345678-later-secret")
	got, _ := l.Entries()
	var out bytes.Buffer
	_ = l.Export(&out)
	if len(got) != 1 || strings.Contains(got[0].Message, "later-secret") || strings.Contains(out.String(), "later-secret") {
		t.Fatalf("a value forbidden later came back: %+v\n%s", got, out.String())
	}
}

// TestCutShortLine: an append cut short by a crash leaves a line without its
// end; the next entry still gets its own line and the damaged one is reported.
func TestCutShortLine(t *testing.T) {
	l := openLog(t)
	if err := l.Append(Entry{Operation: "Sign in", Outcome: OK}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(l.Path(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"time":"2025-11-22T18:00:00Z","op":"Create app regis`)
	_ = f.Close()
	if err := l.Append(Entry{Operation: "Create app registration", Outcome: OK}); err != nil {
		t.Fatal(err)
	}
	got, err := l.Entries()
	if err != nil || len(got) != 2 || got[1].Operation != "Create app registration" {
		t.Fatalf("Entries = %+v, %v; want both whole entries", got, err)
	}
	var out bytes.Buffer
	if err := l.Export(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Unreadable lines skipped: [2]") {
		t.Fatalf("Export does not report the damaged line:\n%s", out.String())
	}
}

func TestConcurrentAppends(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m365wizard")
	a, _ := OpenLog(dir)
	b, _ := OpenLog(dir) // two Logs on one file share its lock
	var wg sync.WaitGroup
	for w := 0; w < 10; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := a
			if w%2 == 1 {
				l = b
			}
			for i := 0; i < 30; i++ {
				msg := strings.Repeat(fmt.Sprintf("w%d-%d ", w, i), 40)
				if err := l.Append(Entry{Operation: "Add permission", Outcome: OK, Message: msg}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	entries, damaged, err := a.read()
	if err != nil || len(damaged) > 0 || len(entries) != 300 {
		t.Fatalf("%d entries, damaged lines %v, %v; want 300 whole entries", len(entries), damaged, err)
	}
	for _, e := range entries {
		words := strings.Fields(e.Message)
		for _, w := range words {
			if w != words[0] {
				t.Fatalf("entries interleaved: %q", e.Message)
			}
		}
	}
}

func TestExport(t *testing.T) {
	l := openLog(t)
	at := time.Date(2025, 11, 22, 18, 30, 5, 0, time.UTC)
	_ = l.Append(Entry{Time: at, Operation: "Create app registration", Object: "0b3c2a1d-5e4f-4a6b-8c7d-9e0f1a2b3c4d", Outcome: OK})
	_ = l.Append(Entry{Time: at.Add(time.Minute), Operation: "Grant admin consent", Outcome: Failed, RequestID: "8f0a2c1e-4b3d-4e5f-a6b7-c8d9e0f1a2b3",
		Message: "Insufficient privileges\nto complete the operation."})
	var out bytes.Buffer
	if err := l.Export(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"Entries: 2",
		"2025-11-22 18:30:05Z  ok      Create app registration  [0b3c2a1d-5e4f-4a6b-8c7d-9e0f1a2b3c4d]\n",
		"2025-11-22 18:31:05Z  FAILED  Grant admin consent  request-id: 8f0a2c1e-4b3d-4e5f-a6b7-c8d9e0f1a2b3\n",
		"    Insufficient privileges to complete the operation.\n",
		l.Path(),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("export lacks %q:\n%s", want, text)
		}
	}
	// An empty log exports a header, not an error.
	var empty bytes.Buffer
	if err := openLog(t).Export(&empty); err != nil || !strings.Contains(empty.String(), "Entries: 0") {
		t.Fatalf("empty export: %v\n%s", err, empty.String())
	}
}

func TestLongMessageIsCut(t *testing.T) {
	l := openLog(t)
	if err := l.Append(Entry{Operation: "Test Settings", Outcome: Failed, Message: strings.Repeat("é", 5000)}); err != nil {
		t.Fatal(err)
	}
	got, _ := l.Entries()
	if n := len([]rune(got[0].Message)); n != maxMessage+1 || !strings.HasSuffix(got[0].Message, "…") {
		t.Fatalf("message of %d runes, want %d ending in …", n, maxMessage+1)
	}
}
