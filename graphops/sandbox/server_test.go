package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func startT(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestGraphRejectsMissingTokenWithRealEnvelope(t *testing.T) {
	s := startT(t, Options{})
	s.graphRoute("GET /v1.0/sandboxtest/probe", Perm{Delegated: []string{"User.Read"}}, func(q *Req) { q.NoContent() })
	resp, err := s.HTTPClient().Get(s.GraphURL() + "/v1.0/sandboxtest/probe")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", resp.StatusCode)
	}
	var body struct {
		Error struct {
			Code, Message string
			InnerError    map[string]string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Error.Code != "InvalidAuthenticationToken" || body.Error.Message != "Access token is empty." {
		t.Fatalf("error = %+v", body.Error)
	}
	if _, err := time.Parse("2006-01-02T15:04:05", body.Error.InnerError["date"]); err != nil {
		t.Fatalf("innerError.date %q is not Graph's zone-less form: %v", body.Error.InnerError["date"], err)
	}
	if body.Error.InnerError["request-id"] == "" || resp.Header.Get("request-id") != body.Error.InnerError["request-id"] {
		t.Fatalf("request-id header %q vs body %q", resp.Header.Get("request-id"), body.Error.InnerError["request-id"])
	}
}

func TestUntrustedClientIsRefusedAndListenersAreLoopbackOnly(t *testing.T) {
	s := startT(t, Options{})
	if _, err := http.Get(s.LoginURL() + "/common/discovery/instance"); err == nil {
		t.Fatal("a client without the sandbox CA connected; TLS must be verified")
	}
	if _, err := Start(Options{GraphAddr: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "not loopback") {
		t.Fatalf("non-loopback listen address accepted: %v", err)
	}
	if !strings.HasPrefix(string(s.CACertPEM()), "-----BEGIN CERTIFICATE-----") {
		t.Fatal("CA PEM missing")
	}
}

func TestFaultsAreConsumedAndLogged(t *testing.T) {
	s := startT(t, Options{})
	s.InjectFault(Fault{Kind: FaultThrottle, Host: HostGraph, PathContains: "/nosuchthing", Times: 2, RetryAfter: 1500 * time.Millisecond})
	c := s.HTTPClient()
	for i, want := range []int{429, 429, 400} {
		resp, err := c.Get(s.GraphURL() + "/v1.0/nosuchthing")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("request %d: status %d, want %d", i, resp.StatusCode, want)
		}
		if want == 429 && resp.Header.Get("Retry-After") != "1.5" {
			t.Fatalf("Retry-After = %q", resp.Header.Get("Retry-After"))
		}
	}
	s.InjectFault(Fault{Kind: FaultDrop, Host: HostGraph})
	if resp, err := c.Get(s.GraphURL() + "/v1.0/nosuchthing"); err == nil {
		resp.Body.Close()
		t.Fatal("dropped connection answered")
	}
	if n := s.Log().Count(HostGraph, "GET", "/v1.0/nosuchthing"); n != 4 {
		t.Fatalf("log counted %d graph GETs, want 4", n)
	}
}

func TestFilterParser(t *testing.T) {
	obj := map[string]any{"displayName": "O'Brien App", "appId": "abc", "tags": []any{"m365wizard"}, "accountEnabled": true}
	cases := map[string]bool{
		"displayName eq 'O''Brien App'":                 true,
		"displayName eq 'other'":                        false,
		"startswith(displayName,'o''b')":                true,
		"appId eq 'abc' and accountEnabled eq true":     true,
		"appId eq 'x' or tags/any(t:t eq 'm365wizard')": true,
		"not (appId eq 'abc')":                          false,
		"accountEnabled ne false":                       true,
	}
	for f, want := range cases {
		e, err := ParseFilter(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got := e.Match(obj); got != want {
			t.Errorf("%s = %v, want %v", f, got, want)
		}
	}
	for _, bad := range []string{"displayName eq", "displayName gt 'a'", "startswith(displayName)", "(appId eq 'a'"} {
		if _, err := ParseFilter(bad); err == nil {
			t.Errorf("%q parsed; want an error", bad)
		}
	}
}
