package store

import (
	"errors"
	"runtime"
)

var (
	// ErrNotFound means the keychain holds no credential for the app.
	ErrNotFound = errors.New("no credential for this app is saved in the keychain")

	// ErrTooLarge means the credential does not fit in one keychain entry
	// (MaxEntryBytes, the Windows Credential Manager limit).
	ErrTooLarge = errors.New("the credential is too large for one keychain entry (Windows Credential Manager stores at most 2,560 bytes); use a 2048-bit RSA or an ECDSA P-256 key")

	// ErrTestFailed means Replace did not write the new credential because its
	// test failed; the saved credential is unchanged. The test's own error is
	// wrapped beside it.
	ErrTestFailed = errors.New("the new credential did not pass its test, so the saved credential was left unchanged")
)

// InputError is a credential or app identifier the store refuses before it
// touches the keychain. Its message says what is wrong and never quotes a
// secret.
type InputError struct {
	Field   string // "tenant ID", "client ID", "secret", "private key", ...
	Message string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Message }

// UnavailableError means the keychain could not be used: there is no keychain
// service, it is locked, it refused the request or did not answer in time.
// The cause is kept (Unwrap) and the message tells the admin what to do.
// Nothing was written to any other place instead.
type UnavailableError struct {
	Op    string // "save", "read" or "delete"
	Cause error
}

func (e *UnavailableError) Error() string {
	msg := "the system keychain could not " + e.Op + " the credential"
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg + ". " + e.Advice()
}

func (e *UnavailableError) Unwrap() error { return e.Cause }

// Advice is what the admin can do about it on this operating system.
func (e *UnavailableError) Advice() string { return advice(runtime.GOOS) }

func advice(goos string) string {
	switch goos {
	case "windows":
		return "The wizard keeps secrets only in Windows Credential Manager. Run it signed in to Windows with your own account " +
			"in an interactive session (Credential Manager is not available to some service and remote sessions), then try again."
	case "darwin":
		return "The wizard keeps secrets only in the macOS login keychain. Unlock it (Keychain Access) and allow the wizard " +
			"to use it when macOS asks, then try again."
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return "The wizard keeps secrets only in the system keychain, which on this system is a Secret Service: " +
			"GNOME Keyring (or KWallet with its Secret Service) must be running in your desktop session and its " +
			"login keyring must be unlocked. Start or unlock it, then try again."
	default:
		return "The wizard supports no keychain on " + goos + ", and it never stores secrets in plain files."
	}
}
