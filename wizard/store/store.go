package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/zalando/go-keyring"
)

const (
	// DefaultService is the keychain service name unless ServiceEnv is set.
	DefaultService = "m365wizard"
	// ServiceEnv names the environment variable that overrides the service name.
	ServiceEnv = "M365WIZARD_KEYRING_SERVICE"
	// MaxEntryBytes is the largest keychain value the store writes: the
	// Windows Credential Manager limit, enforced on every platform.
	MaxEntryBytes = 2560
	// DefaultTimeout bounds each keychain call.
	DefaultTimeout = 10 * time.Second
)

// maxServiceBytes keeps "<service>:<tenant>/<client>" well inside the Windows
// target name limit (go-keyring refuses services of 512 bytes or more).
const maxServiceBytes = 256

// ServiceName is the keychain service name: $M365WIZARD_KEYRING_SERVICE when
// set, else DefaultService.
func ServiceName() string {
	if v := strings.TrimSpace(os.Getenv(ServiceEnv)); v != "" {
		return v
	}
	return DefaultService
}

// Store keeps credentials in the system keychain under one service name. It is
// safe for concurrent use.
type Store struct {
	service string
	timeout time.Duration
	kc      *keychain
}

// New returns a store for the given keychain service name.
func New(service string) (*Store, error) {
	switch {
	case strings.TrimSpace(service) == "":
		return nil, &InputError{Field: "keychain service name", Message: "is empty"}
	case len(service) > maxServiceBytes:
		return nil, &InputError{Field: "keychain service name", Message: fmt.Sprintf("is %d bytes long; at most %d fit in Windows Credential Manager", len(service), maxServiceBytes)}
	case strings.IndexFunc(service, unicode.IsControl) >= 0:
		return nil, &InputError{Field: "keychain service name", Message: "contains a control character"}
	}
	return &Store{service: service, timeout: DefaultTimeout, kc: system}, nil
}

// Open returns the store for ServiceName().
func Open() (*Store, error) {
	s, err := New(ServiceName())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ServiceEnv, err)
	}
	return s, nil
}

// Service is the keychain service name the store uses.
func (s *Store) Service() string { return s.service }

// Save writes c to the keychain, replacing any credential saved for the same
// tenant and client ID. Bad input is an *InputError, a credential that does
// not fit one entry ErrTooLarge, and a keychain that cannot be used an
// *UnavailableError; nothing is written anywhere else.
func (s *Store) Save(ctx context.Context, c Credential) error {
	n, der, err := c.normalize()
	if err != nil {
		return err
	}
	value, err := encode(n, der)
	if err != nil {
		return err
	}
	return s.set(ctx, n, value)
}

// Load reads the credential saved for the app: ErrNotFound when there is none,
// ErrCorrupt when the entry cannot be read. A certificate credential comes
// back with its private key alone (PKCS#8 PEM); see the package doc.
func (s *Store) Load(ctx context.Context, tenantID, clientID string) (Credential, error) {
	account, err := Account(tenantID, clientID)
	if err != nil {
		return Credential{}, err
	}
	v, err := s.kc.do(ctx, s.timeout, func(b backend) (string, error) { return b.Get(s.service, account) })
	if err != nil {
		return Credential{}, s.fail(ctx, "read", account, err)
	}
	t, c, _ := strings.Cut(account, "/")
	cred, err := decode(t, c, v)
	if err != nil {
		return Credential{}, fmt.Errorf("%s: %w", s.where(account), err)
	}
	return cred, nil
}

// Delete removes the app's credential from the keychain; ErrNotFound when
// there is none.
func (s *Store) Delete(ctx context.Context, tenantID, clientID string) error {
	account, err := Account(tenantID, clientID)
	if err != nil {
		return err
	}
	_, err = s.kc.do(ctx, s.timeout, func(b backend) (string, error) { return "", b.Delete(s.service, account) })
	return s.fail(ctx, "delete", account, err)
}

// Replace is Save for a rotation: it checks c, runs test with it first, and
// writes the keychain only when test returns nil. When the test fails the
// error wraps both ErrTestFailed and the test's error, and the saved
// credential is left as it was. test receives c with normalized IDs and the
// PrivateKeyPEM as given (certificate included, if it was).
//
// Replace does not lock out a concurrent Save of the same app between the
// test and the write; the wizard rotates one app at a time.
func (s *Store) Replace(ctx context.Context, c Credential, test func(context.Context, Credential) error) error {
	if test == nil {
		return &InputError{Field: "test", Message: "is missing; Replace writes only a credential that passed a test"}
	}
	n, der, err := c.normalize()
	if err != nil {
		return err
	}
	value, err := encode(n, der) // a credential that cannot be stored is not worth testing
	if err != nil {
		return err
	}
	given := n
	if n.Type == TypeCertificate {
		given.PrivateKeyPEM = c.PrivateKeyPEM
	}
	if err := test(ctx, given); err != nil {
		return fmt.Errorf("%w: %w", ErrTestFailed, err)
	}
	return s.set(ctx, n, value)
}

func (s *Store) set(ctx context.Context, c Credential, value []byte) error {
	account := c.TenantID + "/" + c.ClientID
	_, err := s.kc.do(ctx, s.timeout, func(b backend) (string, error) { return "", b.Set(s.service, account, string(value)) })
	return s.fail(ctx, "save", account, err)
}

// where names the entry for messages, the way Credential Manager lists it.
func (s *Store) where(account string) string { return "keychain entry " + s.service + ":" + account }

// fail turns a keychain error into the store's errors, keeping the cause.
func (s *Store) fail(ctx context.Context, op, account string, err error) error {
	var timeout errTimeout
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("%w (%s)", ErrNotFound, s.where(account))
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	case errors.As(err, &timeout):
		return &UnavailableError{Op: op, Cause: err}
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return fmt.Errorf("keychain %s of %s stopped: %w", op, s.where(account), err)
	default:
		return &UnavailableError{Op: op, Cause: err}
	}
}
