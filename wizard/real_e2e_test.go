package wizard

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/zalando/go-keyring"

	"m365wizard/graphops"
	"m365wizard/wizard/state"
	"m365wizard/wizard/store"
)

// realDeps wires the engine as the product does: the sandbox through graphops,
// the shipped HelpMaster profile, the keychain, the progress file and the log.
func realDeps(t *testing.T, s interface {
	LoginURL() string
	GraphURL() string
	CompleteSignIn(context.Context, string, string) error
}, pool graphops.TrustConfig, kc *store.Store, dir string) Deps {
	t.Helper()
	env := map[string]string{graphops.EnvLoginURL: s.LoginURL(), graphops.EnvGraphURL: s.GraphURL()}
	d := LiveDeps(LiveOptions{Getenv: func(k string) string { return env[k] }, Trust: pool,
		OpenURL: func(u string) error { return s.CompleteSignIn(context.Background(), u, "admin@contoso.com") }})
	log, err := state.OpenLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	d.Profile, d.Store, d.Progress, d.Log = BuiltinProfiles, Keychain{Store: kc, ConfigDir: dir}, ProgressFile{dir}, LogFile{log}
	return d
}

// endToEndThroughTheKeychain runs New setup, reads the secret back from the
// keychain through a fresh store, and Test stored settings with it; the
// secret is in no file of the config dir.
func endToEndThroughTheKeychain(t *testing.T, service string) {
	s := startSandbox(t)
	dir := t.TempDir()
	kc, err := store.New(service)
	if err != nil {
		t.Fatal(err)
	}
	trust := graphops.TrustConfig{ExtraCAs: s.CertPool()}
	d := realDeps(t, s, trust, kc, dir)
	setup := run(t, FlowNewSetup, d, &State{Mailboxes: []string{"helpdesk@contoso.com"}})
	st := setup.State()
	if !st.Saved || st.Profile != "helpmaster" || strings.Join(st.Features, ",") != "users,send" {
		t.Fatalf("setup: saved %v profile %q features %v", st.Saved, st.Profile, st.Features)
	}

	fresh, err := store.New(service) // another process's view of the keychain
	if err != nil {
		t.Fatal(err)
	}
	got, err := fresh.Load(context.Background(), st.Admin.TenantID, st.App.AppID)
	if err != nil || got.Secret != st.NewSecret.Value {
		t.Fatalf("keychain read-back: %v (same secret: %v)", err, got.Secret == st.NewSecret.Value)
	}
	t.Cleanup(func() { fresh.Delete(context.Background(), st.Admin.TenantID, st.App.AppID) })

	// The list of stored settings names the app and its expiry, without the secret.
	list, err := (Keychain{Store: fresh, ConfigDir: dir}).List()
	if err != nil || len(list) != 1 {
		t.Fatalf("stored list: %+v %v", list, err)
	}
	if c := list[0]; c.ClientID != st.App.AppID || c.AppDisplayName != st.App.DisplayName || c.Cloud != "global" ||
		c.Credential.KeyID != st.NewSecret.KeyID || !c.Credential.Expires.Equal(st.NewSecret.End) || c.TenantName == "" ||
		c.Credential.Hint != st.NewSecret.Value[:3] || c.Profile != "helpmaster" {
		t.Fatalf("stored list entry: %+v", c)
	}

	d2 := realDeps(t, s, trust, fresh, dir)
	p, found, err := d2.Progress.Load()
	if err != nil || !found || !p.Completed || p.ClientID != st.App.AppID {
		t.Fatalf("progress file: %+v %v %v", p, found, err)
	}
	tested := run(t, FlowTestStored, d2, &State{Tenant: p.TenantID, ClientID: p.ClientID, Features: p.Features, Mailboxes: p.Mailboxes})
	if !tested.State().Test.OK {
		t.Fatalf("the stored secret does not work: %+v", tested.State().Test)
	}
	filepath.WalkDir(dir, func(path string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), st.NewSecret.Value) {
				t.Errorf("%s holds the secret", path)
			}
		}
		return nil
	})
}

func TestEndToEndWithShippedProfileAndFiles(t *testing.T) {
	keyring.MockInit()
	endToEndThroughTheKeychain(t, "m365wizard-test-"+uuid.NewString())
}

// TestRealKeychainEndToEnd is the same against the OS keychain; ./dev.sh test
// runs it inside a throwaway GNOME Keyring (see dev.sh keyring_tests).
func TestRealKeychainEndToEnd(t *testing.T) {
	if os.Getenv("M365WIZARD_REAL_KEYRING") != "1" {
		t.Skip("needs a real keychain: run through ./dev.sh keyring (M365WIZARD_REAL_KEYRING=1)")
	}
	endToEndThroughTheKeychain(t, "m365wizard-test-"+uuid.NewString())
}
