package wizard

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/zalando/go-keyring"

	"m365wizard/graphops"
	"m365wizard/wizard/state"
	"m365wizard/wizard/store"
)

// Passly's certificate: nothing secret goes to the keychain, yet the list of
// stored apps has it (thumbprint, expiry) and Load answers for it; a later
// secret for the same app replaces the entry whole.
func TestKeychainVendorHeldCertificate(t *testing.T) {
	keyring.MockInit()
	kc, err := store.New("m365wizard-vendor-test-" + uuid.NewString())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := Keychain{Store: kc, ConfigDir: dir}
	ctx := context.Background()
	tenant, client := uuid.NewString(), uuid.NewString()
	pemData := passlyCertificate(t)
	vc, err := graphops.ParseVendorCertificate(pemData, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := StoredCredential{TenantID: tenant, ClientID: client, Type: "certificate", VendorHeld: true, CertPEM: pemData,
		Thumbprint: vc.Thumbprint, Expires: vc.NotAfter, Profile: "passly", AppName: "Passly daemon sync", Cloud: "global"}
	if err := k.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.Load(ctx, tenant, client); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the keychain has an entry for a vendor-held certificate: %v", err)
	}
	list, err := k.List()
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	ci := list[0].Credential
	if ci.Type != "certificate" || !ci.VendorHeld || ci.Thumbprint != vc.Thumbprint || !ci.Expires.Equal(vc.NotAfter) || list[0].Profile != "passly" {
		t.Errorf("listed as %+v", list[0])
	}
	got, err := k.Load(ctx, tenant, client)
	if err != nil || !got.VendorHeld || got.Thumbprint != vc.Thumbprint || !strings.Contains(string(got.CertPEM), "BEGIN CERTIFICATE") ||
		got.AppName != "Passly daemon sync" || got.Secret != "" {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	// No private key anywhere in the config folder.
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), "PRIVATE KEY") {
				t.Errorf("%s holds a private key", p)
			}
		}
		return nil
	})
	// The same app later set up with a secret: the list says secret.
	if err := k.Save(ctx, StoredCredential{TenantID: tenant, ClientID: client, Type: "secret", Secret: "abc1Q~" + strings.Repeat("x", 34), Hint: "abc"}); err != nil {
		t.Fatal(err)
	}
	list, _ = state.Connections(dir)
	if list[0].Credential.VendorHeld || list[0].Credential.Type != "secret" {
		t.Errorf("after a secret: %+v", list[0].Credential)
	}
	if got, err := k.Load(ctx, tenant, client); err != nil || got.VendorHeld || got.Secret == "" {
		t.Errorf("Load after a secret: %+v %v", got, err)
	}
	if err := k.Delete(ctx, tenant, client); err != nil {
		t.Fatal(err)
	}
}
