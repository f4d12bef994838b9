package sandbox

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer lets the test read what Serve writes from another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestServePrintsEndpointsAndWritesATrustableCA(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, Options{}, dir, &out) }()

	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Press Ctrl+C") {
		if time.Now().After(deadline) {
			t.Fatalf("Serve printed no endpoints in time: %q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	text := out.String()
	for _, want := range []string{"M365WIZARD_LOGIN_URL=https://127.0.0.1:", "M365WIZARD_GRAPH_URL=https://127.0.0.1:",
		"admin@contoso.com", "Global Administrator", "appadmin@contoso.com", "Application Administrator", "eligible through PIM"} {
		if !strings.Contains(text, want) {
			t.Errorf("description lacks %q:\n%s", want, text)
		}
	}
	m := regexp.MustCompile(`M365WIZARD_CA_FILE=(\S+)`).FindStringSubmatch(text)
	if m == nil || filepath.Dir(m[1]) != dir {
		t.Fatalf("CA file line missing or outside %s:\n%s", dir, text)
	}
	pemBytes, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		t.Fatal("CA file is not PEM")
	}
	ca, err := x509.ParseCertificate(blk.Bytes)
	if err != nil || !ca.IsCA {
		t.Fatalf("CA file does not hold a CA certificate: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not stop when its context ended")
	}
}
