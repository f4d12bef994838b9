package sandbox

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Behaviour switches on what real tenants do. Everything is off by default so
// tests are fast; set fields through Server.SetBehaviour.
type Behaviour struct {
	// AppReplicationLag: for this long after POST /applications the new app is not
	// yet visible to other directory replicas: POST /servicePrincipals for its appId
	// answers 400 NoBackingApplicationObject, and PATCH/addPassword on it 404.
	AppReplicationLag time.Duration
	// SPReplicationLag: for this long after POST /servicePrincipals, assigning app
	// roles to the new principal answers 400 "Not a valid reference update." (odd
	// attempts) or 404 Request_ResourceNotFound (even attempts).
	SPReplicationLag time.Duration
	// SecretPropagationLag: a new client secret is rejected at the token endpoint
	// with AADSTS7000215 for this long after addPassword.
	SecretPropagationLag time.Duration
	// ConsentLag: app role assignments appear in new app-only tokens only this long
	// after they were made.
	ConsentLag time.Duration
	// MailboxScopeLag: a mailbox scope (access policy or RBAC) applies only this long
	// after it was set (Exchange: 30 minutes to 2 hours in real tenants).
	MailboxScopeLag time.Duration
}

// FaultKind is a transient failure the sandbox can inject.
type FaultKind int

const (
	FaultThrottle    FaultKind = iota + 1 // 429 TooManyRequests with Retry-After
	FaultUnavailable                      // 503 with Retry-After
	FaultDrop                             // close the connection without an answer
)

// Fault injects Kind into the next Times requests that match Host, Method
// (empty = any) and PathContains (empty = any).
type Fault struct {
	Kind         FaultKind
	Host         Host
	Method       string
	PathContains string
	Times        int
	RetryAfter   time.Duration
}

type faultSet struct {
	mu     sync.Mutex
	faults []*Fault
}

func (f *faultSet) add(x Fault) {
	if x.Times <= 0 {
		x.Times = 1
	}
	f.mu.Lock()
	f.faults = append(f.faults, &x)
	f.mu.Unlock()
}

func (f *faultSet) clear() {
	f.mu.Lock()
	f.faults = nil
	f.mu.Unlock()
}

// take consumes one matching fault, if any.
func (f *faultSet) take(host Host, r *http.Request) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.faults {
		if x.Host != "" && x.Host != host {
			continue
		}
		if x.Method != "" && !strings.EqualFold(x.Method, r.Method) {
			continue
		}
		if x.PathContains != "" && !strings.Contains(r.URL.Path, x.PathContains) {
			continue
		}
		x.Times--
		if x.Times <= 0 {
			f.faults = append(f.faults[:i], f.faults[i+1:]...)
		}
		c := *x
		return &c
	}
	return nil
}

// apply answers the request with the fault; it reports false for no fault.
func (f *Fault) apply(w http.ResponseWriter, r *http.Request) {
	switch f.Kind {
	case FaultThrottle:
		writeThrottled(w, r, http.StatusTooManyRequests, f.RetryAfter)
	case FaultUnavailable:
		writeThrottled(w, r, http.StatusServiceUnavailable, f.RetryAfter)
	case FaultDrop:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
		panic(http.ErrAbortHandler)
	}
}
