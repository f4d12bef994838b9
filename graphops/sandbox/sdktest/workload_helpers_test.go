package sdktest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"m365wizard/graphops/sandbox"
)

// startWith runs a sandbox with options for one test.
func startWith(t *testing.T, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	s, err := sandbox.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// addApp registers an app with a service principal granted the Microsoft
// Graph application permissions roles an hour ago (sandbox.Server.SeedApp).
func addApp(t *testing.T, s *sandbox.Server, name string, roles ...string) string {
	t.Helper()
	appID, err := s.SeedApp("", name, roles...)
	if err != nil {
		t.Fatal(err)
	}
	return appID
}

// wantODataError asserts err is Graph's error envelope with status, code and message.
func wantODataError(t *testing.T, err error, status int, code, message string) {
	t.Helper()
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		t.Fatalf("error %v (%T) is not an *odataerrors.ODataError", err, err)
	}
	if oe.ResponseStatusCode != status {
		t.Errorf("status = %d, want %d", oe.ResponseStatusCode, status)
	}
	main := oe.GetErrorEscaped()
	if main == nil {
		t.Fatalf("ODataError without error body: %v", err)
	}
	if got := deref(main.GetCode()); got != code {
		t.Errorf("code = %q, want %q", got, code)
	}
	if got := deref(main.GetMessage()); got != message {
		t.Errorf("message = %q, want %q", got, message)
	}
	if inner := main.GetInnerError(); inner == nil || inner.GetDate() == nil || deref(inner.GetRequestId()) == "" {
		t.Errorf("innerError missing date or request-id: %+v", inner)
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// eventually polls cond every 20 ms until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: not true within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func lower(s string) string { return strings.ToLower(s) }
