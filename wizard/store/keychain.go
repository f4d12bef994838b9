package store

import (
	"context"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"
)

// backend is the part of go-keyring the store uses. The system backend calls
// go-keyring's package functions, so keyring.MockInit replaces it in tests.
type backend interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

type goKeyring struct{}

func (goKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}
func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

var _ backend = goKeyring{}

// keychain runs backend calls one at a time (go-keyring's providers, its mock
// included, are not safe for concurrent use) under a time limit.
type keychain struct {
	b   backend
	sem chan struct{} // holds one token while a backend call runs
}

func newKeychain(b backend) *keychain { return &keychain{b: b, sem: make(chan struct{}, 1)} }

// system is the process-wide keychain: every Store shares it.
var system = newKeychain(goKeyring{})

// errTimeout is the cause of an UnavailableError when the keychain does not
// answer in time.
type errTimeout struct{ d time.Duration }

func (e errTimeout) Error() string {
	return fmt.Sprintf("the keychain did not answer within %s (it may be locked and waiting for an unlock prompt, or not running)", e.d)
}
func (errTimeout) Unwrap() error { return context.DeadlineExceeded }

type result struct {
	v   string
	err error
}

// do runs fn against the backend in its own goroutine and waits at most
// timeout, or until ctx ends. On a timeout it returns errTimeout; when ctx
// ends first it returns ctx.Err(). An abandoned call runs to its end in the
// background and only then lets the next call start.
func (k *keychain) do(ctx context.Context, timeout time.Duration, fn func(backend) (string, error)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case k.sem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	case <-timer.C:
		return "", errTimeout{timeout}
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-k.sem }()
		defer func() {
			// go-keyring's Secret Service client type-asserts D-Bus replies;
			// a malformed reply must fail this call, not crash the wizard.
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("the keychain library failed: %v", p)}
			}
		}()
		v, err := fn(k.b)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	case <-timer.C:
		return "", errTimeout{timeout}
	}
}
