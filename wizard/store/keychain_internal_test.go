package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeBackend is a backend whose calls the test decides.
type fakeBackend struct {
	set func(service, user, password string) error
	get func(service, user string) (string, error)
	del func(service, user string) error
}

var _ backend = (*fakeBackend)(nil)

func (f *fakeBackend) Set(s, u, p string) error        { return f.set(s, u, p) }
func (f *fakeBackend) Get(s, u string) (string, error) { return f.get(s, u) }
func (f *fakeBackend) Delete(s, u string) error        { return f.del(s, u) }

const (
	tTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tClient = "0b3c2a1d-5e4f-4a6b-8c7d-9e0f1a2b3c4d"
	tSecret = "xYz8Q~AbCdEfGhIjKlMnOpQrStUvWxYz0123456."
)

func fakeStore(t *testing.T, f *fakeBackend, timeout time.Duration) *Store {
	t.Helper()
	s, err := New("m365wizard-internal-test")
	if err != nil {
		t.Fatal(err)
	}
	s.kc, s.timeout = newKeychain(f), timeout
	return s
}

func cred() Credential {
	return Credential{TenantID: tTenant, ClientID: tClient, Type: TypeSecret, Secret: tSecret}
}

// TestHungKeychainTimesOut: a keychain call that never returns (a D-Bus call
// waiting on an unlock prompt) ends in an UnavailableError after the time
// limit; calls behind it wait their own limit, and the keychain is usable
// again once the hung call returns.
func TestHungKeychainTimesOut(t *testing.T) {
	release := make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	var writes atomic.Int32
	f := &fakeBackend{
		set: func(string, string, string) error { <-release; writes.Add(1); return nil },
		get: func(string, string) (string, error) { return "", errors.New("unexpected") },
	}
	s := fakeStore(t, f, 50*time.Millisecond)
	start := time.Now()
	err := s.Save(context.Background(), cred())
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Op != "save" || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not answer within 50ms") {
		t.Fatalf("Save on a hung keychain = %v, want UnavailableError wrapping DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Save took %s, the limit is 50ms", d)
	}
	// The hung call still holds the keychain: the next call waits, then gives up.
	f.get = func(string, string) (string, error) { t.Error("a second call ran beside the hung one"); return "", nil }
	if _, err := s.Load(context.Background(), tTenant, tClient); !errors.As(err, &ue) || ue.Op != "read" {
		t.Fatalf("Load behind a hung call = %v, want UnavailableError{read}", err)
	}
	releaseOnce.Do(func() { close(release) })
	// Once the hung call returns, the keychain serves again.
	deadline := time.Now().Add(5 * time.Second)
	for writes.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	f.get = func(string, string) (string, error) { return "", errors.New("boom") }
	s.timeout = 5 * time.Second
	if _, err := s.Load(context.Background(), tTenant, tClient); !errors.As(err, &ue) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Load after the hung call returned = %v, want the backend's own error", err)
	}
}

func TestContextEndsWhileWaiting(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f := &fakeBackend{get: func(string, string) (string, error) { <-release; return "", nil }}
	s := fakeStore(t, f, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := s.Load(ctx, tTenant, tClient)
	var ue *UnavailableError
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ue) {
		t.Fatalf("Load whose context ended = %v, want the context's error, not UnavailableError", err)
	}
}

func TestBackendPanicIsAnError(t *testing.T) {
	f := &fakeBackend{get: func(string, string) (string, error) {
		var m map[string]any
		return m["x"].(string), nil // what a malformed D-Bus reply does in go-keyring
	}}
	s := fakeStore(t, f, time.Second)
	_, err := s.Load(context.Background(), tTenant, tClient)
	var ue *UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "keychain library failed") {
		t.Fatalf("Load with a panicking backend = %v, want UnavailableError", err)
	}
}

// TestOneCallAtATime: go-keyring's providers are not safe for concurrent use,
// so the store never runs two backend calls at once, across stores too.
func TestOneCallAtATime(t *testing.T) {
	var inFlight, most atomic.Int32
	var mu sync.Mutex
	data := map[string]string{}
	f := &fakeBackend{
		set: func(_, u, p string) error {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			mu.Lock()
			data[u] = p
			mu.Unlock()
			return nil
		},
	}
	kc := newKeychain(f)
	a, b := fakeStore(t, f, time.Minute), fakeStore(t, f, time.Minute)
	a.kc, b.kc = kc, kc
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 0 {
				s = b
			}
			if err := s.Save(context.Background(), cred()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Fatalf("%d backend calls ran at once", most.Load())
	}
	if len(data) != 1 {
		t.Fatalf("entries = %d, want 1", len(data))
	}
}

// TestWindowsBackendLimit runs Save against a backend that refuses values
// over 2,560 bytes the way go-keyring's Windows provider does.
func TestWindowsBackendLimit(t *testing.T) {
	f := &fakeBackend{set: func(_, _, p string) error {
		if len(p) > 2560 {
			t.Errorf("store handed %d bytes to the keychain", len(p))
		}
		return nil
	}}
	s := fakeStore(t, f, time.Second)
	c := cred()
	c.Secret = strings.Repeat("s", maxSecretBytes) // the largest secret Save accepts
	c.KeyID, c.Thumbprint, c.Expires = tClient, strings.Repeat("AB", 20), time.Now()
	if err := s.Save(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	c.Secret = strings.Repeat("<", maxSecretBytes) // JSON escapes each to six bytes
	if err := s.Save(context.Background(), c); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Save of an entry over the limit = %v, want ErrTooLarge", err)
	}
}

func TestAdvice(t *testing.T) {
	for goos, want := range map[string][]string{
		"linux":   {"Secret Service", "GNOME Keyring", "unlocked"},
		"freebsd": {"GNOME Keyring"},
		"windows": {"Windows Credential Manager"},
		"darwin":  {"login keychain", "Unlock"},
		"plan9":   {"plan9", "never stores secrets in plain files"},
	} {
		a := advice(goos)
		for _, w := range want {
			if !strings.Contains(a, w) {
				t.Errorf("advice(%s) = %q, missing %q", goos, a, w)
			}
		}
	}
}

func TestEntryIsNotPrintable(t *testing.T) {
	e := entry{Secret: tSecret, Key: []byte("key material")}
	for _, out := range []string{fmtAll(e), fmtAll(&e)} {
		if strings.Contains(out, tSecret) || strings.Contains(out, "key material") || strings.Contains(out, "107") {
			t.Fatalf("entry printed its value: %s", out)
		}
	}
}
