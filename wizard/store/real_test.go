package store

// Tests against the system keychain. They need a keychain they may write to,
// so they run only when M365WIZARD_REAL_KEYRING is set; ./dev.sh test runs them
// inside a throwaway D-Bus session with its own unlocked GNOME Keyring.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const (
	realEnv     = "M365WIZARD_REAL_KEYRING"          // "1": run the real-keychain tests
	passwordEnv = "M365WIZARD_REAL_KEYRING_PASSWORD" // the throwaway keyring's password: the lock test may lock it
	childEnv    = "M365WIZARD_STORE_TEST_CHILD"
)

// realStore is a store on the system keychain under a service name of its
// own, emptied again when the test ends.
func realStore(t *testing.T) *Store {
	t.Helper()
	if os.Getenv(realEnv) == "" {
		t.Skip(realEnv + " is not set: this test writes to the system keychain (./dev.sh test runs it in a throwaway GNOME Keyring session)")
	}
	s, err := New(fmt.Sprintf("m365wizard-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Delete(context.Background(), tTenant, tClient); err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("cleanup: %v", err)
		}
	})
	return s
}

// TestRealRoundTrip: store, read, replace after a passing test, a failed
// replace keeps the old credential, delete, not found.
func TestRealRoundTrip(t *testing.T) {
	s := realStore(t)
	ctx := context.Background()
	account := tTenant + "/" + tClient
	const secretB = "pQr7Q~ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543_"
	const secretC = "abc1Q~0000000000000000000000000000000000"

	first := cred()
	first.KeyID = "5d2b7c1e-9a3f-4e8d-b6c0-1f2a3b4c5d6e"
	first.Expires = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := s.Save(ctx, first); err != nil {
		t.Fatalf("store: %v", err)
	}
	if n := secretServiceItems(t, s.Service(), account); n == 0 {
		t.Fatal("store: the Secret Service has no item for the entry (is the test talking to the real keychain?)")
	}
	got, err := s.Load(ctx, tTenant, tClient)
	if err != nil || got.Secret != tSecret || got.KeyID != first.KeyID || !got.Expires.Equal(first.Expires) {
		t.Fatalf("read: %v (secret matches: %v, got %v)", err, got.Secret == tSecret, got)
	}

	second := cred()
	second.Secret = secretB
	err = s.Replace(ctx, second, func(ctx context.Context, c Credential) error {
		if c.Secret != secretB {
			return errors.New("the test got another secret")
		}
		old, err := s.Load(ctx, tTenant, tClient)
		if err != nil || old.Secret != tSecret {
			return fmt.Errorf("the keychain changed before the test passed (%v)", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("replace after a passing test: %v", err)
	}
	if got, err := s.Load(ctx, tTenant, tClient); err != nil || got.Secret != secretB {
		t.Fatalf("read after replace: %v (new secret: %v)", err, got.Secret == secretB)
	}

	third := cred()
	third.Secret = secretC
	probe := errors.New("AADSTS7000215: Invalid client secret provided")
	if err := s.Replace(ctx, third, func(context.Context, Credential) error { return probe }); !errors.Is(err, ErrTestFailed) || !errors.Is(err, probe) {
		t.Fatalf("replace after a failing test = %v, want ErrTestFailed", err)
	}
	if got, err := s.Load(ctx, tTenant, tClient); err != nil || got.Secret != secretB {
		t.Fatalf("a failed replace did not leave the old credential (err %v, old kept: %v)", err, got.Secret == secretB)
	}

	if err := s.Delete(ctx, tTenant, tClient); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.Load(ctx, tTenant, tClient); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read after delete = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, tTenant, tClient); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete = %v, want ErrNotFound", err)
	}
	if n := secretServiceItems(t, s.Service(), account); n > 0 {
		t.Fatalf("%d Secret Service items remain after delete", n)
	}
}

func TestRealCertificate(t *testing.T) {
	s := realStore(t)
	ctx := context.Background()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := Credential{TenantID: tTenant, ClientID: tClient, Type: TypeCertificate, Thumbprint: strings.Repeat("0A", 20),
		PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, tTenant, tClient)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(got.PrivateKeyPEM)
	if block == nil {
		t.Fatal("no PEM back")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil || !key.Equal(k) || got.Thumbprint != c.Thumbprint {
		t.Fatalf("certificate credential did not survive the keychain (%v)", err)
	}
}

// TestRealLockedKeychain locks the throwaway login keyring: with no one to
// answer the unlock prompt, saving and reading fail with an UnavailableError
// that keeps the Secret Service's cause, and nothing is lost once unlocked.
func TestRealLockedKeychain(t *testing.T) {
	s := realStore(t)
	password := os.Getenv(passwordEnv)
	if password == "" {
		t.Skip(passwordEnv + " is not set: locking a keychain needs its password to unlock it again, so this runs only on the throwaway keyring of ./dev.sh test")
	}
	s.timeout = 5 * time.Second // a desktop would show a prompt; give up on it sooner
	ctx := context.Background()
	if err := s.Save(ctx, cred()); err != nil {
		t.Fatal(err)
	}
	lockLogin(t, password)

	var ue *UnavailableError
	next := cred()
	next.Secret = "pQr7Q~ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543_"
	if err := s.Save(ctx, next); !errors.As(err, &ue) || ue.Op != "save" || ue.Cause == nil {
		t.Fatalf("save to a locked keychain = %v, want UnavailableError with its cause", err)
	} else {
		t.Logf("locked: %v", err)
	}
	if _, err := s.Load(ctx, tTenant, tClient); !errors.As(err, &ue) || ue.Op != "read" {
		t.Fatalf("read from a locked keychain = %v, want UnavailableError", err)
	}
	unlockLogin(t, password)
	if got, err := s.Load(ctx, tTenant, tClient); err != nil || got.Secret != tSecret {
		t.Fatalf("after unlocking: %v (old secret kept: %v)", err, got.Secret == tSecret)
	}
}

// TestNoSecretService runs a child test process whose session bus does not
// exist: the real go-keyring fails, the store says so with an
// UnavailableError, and no file appears in the child's home or config dirs.
func TestNoSecretService(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("a missing Secret Service is a Linux situation; elsewhere the keychain is part of the OS")
	}
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoSecretServiceChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1", realEnv+"=",
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(home, "no-such-bus"),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestNoSecretServiceChild") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if strings.Contains(string(out), tSecret) {
		t.Fatal("the child's output shows the secret")
	}
	var files []string
	_ = filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) > 0 {
		t.Fatalf("files appeared without a keychain: %v", files)
	}
}

func TestNoSecretServiceChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs only as the child process of TestNoSecretService")
	}
	s, err := New("m365wizard-test-nobus")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Save(context.Background(), cred())
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Op != "save" || ue.Cause == nil || !strings.Contains(err.Error(), "GNOME Keyring") {
		t.Fatalf("Save without a session bus = %v, want UnavailableError with the cause and the advice", err)
	}
	if strings.Contains(err.Error(), tSecret) {
		t.Fatal("the error shows the secret")
	}
	t.Logf("without a Secret Service: %v", err)
	if _, err := s.Load(context.Background(), tTenant, tClient); !errors.As(err, &ue) || ue.Op != "read" {
		t.Fatalf("Load without a session bus = %v, want UnavailableError", err)
	}
}
