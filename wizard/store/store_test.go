package store_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"m365wizard/wizard/store"
)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.New(service)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// raw reads the keychain value as go-keyring holds it.
func raw(t *testing.T, tenantID, clientID string) (string, error) {
	t.Helper()
	return keyring.Get(service, strings.ToLower(tenantID)+"/"+strings.ToLower(clientID))
}

func TestSaveLoadSecret(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	ctx := context.Background()
	in := secretCred()
	in.TenantID, in.ClientID, in.KeyID = strings.ToUpper(tenant), strings.ToUpper(client), strings.ToUpper(keyID)
	if err := s.Save(ctx, in); err != nil {
		t.Fatal(err)
	}
	// Any spelling of the GUIDs finds the same entry.
	got, err := s.Load(ctx, tenant, strings.ToUpper(client))
	if err != nil {
		t.Fatal(err)
	}
	want := secretCred()
	if got.TenantID != want.TenantID || got.ClientID != want.ClientID || got.Type != store.TypeSecret ||
		got.Secret != secretA || got.KeyID != keyID || !got.Expires.Equal(want.Expires) || got.PrivateKeyPEM != nil {
		t.Fatalf("Load = %#v (secret matches: %v), want the saved credential", got, got.Secret == secretA)
	}
}

func TestEntryLayout(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	if err := s.Save(context.Background(), secretCred()); err != nil {
		t.Fatal(err)
	}
	v, err := keyring.Get(service, tenant+"/"+client)
	if err != nil {
		t.Fatalf("entry not under service %q, account <tenant>/<client>: %v", service, err)
	}
	var e map[string]any
	if err := json.Unmarshal([]byte(v), &e); err != nil {
		t.Fatalf("entry is not JSON: %v", err)
	}
	if e["v"] != 1.0 || e["type"] != "secret" || e["tenant"] != tenant || e["client"] != client || e["secret"] != secretA ||
		e["keyId"] != keyID || e["expires"] != "2027-03-01T12:00:00Z" {
		t.Fatalf("entry fields = %v", keysOf(e))
	}
	if _, ok := e["key"]; ok {
		t.Fatal("a secret entry has a key field")
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestServiceName(t *testing.T) {
	mockKeyring(t)
	t.Setenv(store.ServiceEnv, "")
	if got := store.ServiceName(); got != "m365wizard" {
		t.Fatalf("ServiceName() without %s = %q, want m365wizard", store.ServiceEnv, got)
	}
	t.Setenv(store.ServiceEnv, "m365wizard-staging")
	if got := store.ServiceName(); got != "m365wizard-staging" {
		t.Fatalf("ServiceName() = %q, want the env value", got)
	}
	s, err := store.Open()
	if err != nil {
		t.Fatal(err)
	}
	if s.Service() != "m365wizard-staging" {
		t.Fatalf("Open().Service() = %q", s.Service())
	}
	if err := s.Save(context.Background(), secretCred()); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get("m365wizard-staging", tenant+"/"+client); err != nil {
		t.Fatalf("Open() did not save under the env service: %v", err)
	}
	if _, err := keyring.Get("m365wizard", tenant+"/"+client); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("saved under the default service too: %v", err)
	}
}

func TestNewRejectsBadServiceNames(t *testing.T) {
	for _, name := range []string{"", "  ", strings.Repeat("s", 257), "m365\nwizard"} {
		if _, err := store.New(name); err == nil {
			t.Errorf("New(%q) accepted", name)
		}
	}
	t.Setenv(store.ServiceEnv, strings.Repeat("s", 300))
	if _, err := store.Open(); err == nil || !strings.Contains(err.Error(), store.ServiceEnv) {
		t.Fatalf("Open() with a too long %s = %v, want an error naming the variable", store.ServiceEnv, err)
	}
}

func TestNotFound(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.Load(ctx, tenant, client); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Load of nothing = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, tenant, client); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete of nothing = %v, want ErrNotFound", err)
	}
	if err := s.Save(ctx, secretCred()); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, tenant, client); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, tenant, client); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Load after Delete = %v, want ErrNotFound", err)
	}
	// Another app in the same tenant is another entry.
	if err := s.Save(ctx, secretCred()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, tenant, keyID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Load of another client ID = %v, want ErrNotFound", err)
	}
}

func TestReplace(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	ctx := context.Background()
	if err := s.Save(ctx, secretCred()); err != nil {
		t.Fatal(err)
	}
	next := secretCred()
	next.Secret, next.KeyID = secretB, "11111111-2222-3333-4444-555555555555"

	// A failing test leaves the saved credential alone and says why.
	probe := errors.New("AADSTS7000215: Invalid client secret provided")
	calls := 0
	err := s.Replace(ctx, next, func(_ context.Context, c store.Credential) error {
		calls++
		if c.Secret != secretB {
			t.Error("test did not receive the new secret")
		}
		if v, _ := raw(t, tenant, client); !strings.Contains(v, secretA) {
			t.Error("the keychain changed before the test ran")
		}
		return probe
	})
	if !errors.Is(err, store.ErrTestFailed) || !errors.Is(err, probe) || calls != 1 {
		t.Fatalf("Replace with a failing test = %v after %d calls, want ErrTestFailed wrapping the test's error", err, calls)
	}
	if got, err := s.Load(ctx, tenant, client); err != nil || got.Secret != secretA || got.KeyID != keyID {
		t.Fatalf("after a failed Replace the old credential is gone (err %v, old secret kept: %v)", err, got.Secret == secretA)
	}

	// A passing test writes the new one.
	calls = 0
	if err := s.Replace(ctx, next, func(context.Context, store.Credential) error { calls++; return nil }); err != nil || calls != 1 {
		t.Fatalf("Replace = %v after %d test calls", err, calls)
	}
	if got, err := s.Load(ctx, tenant, client); err != nil || got.Secret != secretB || got.KeyID != next.KeyID {
		t.Fatalf("after Replace: err %v, new secret stored: %v", err, got.Secret == secretB)
	}
}

func TestReplaceRefusesBeforeTesting(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	ctx := context.Background()
	if err := s.Replace(ctx, secretCred(), nil); err == nil {
		t.Fatal("Replace without a test was accepted")
	}
	bad := secretCred()
	bad.Secret = keyID // the secret's ID instead of its Value
	called := false
	err := s.Replace(ctx, bad, func(context.Context, store.Credential) error { called = true; return nil })
	var in *store.InputError
	if !errors.As(err, &in) || called {
		t.Fatalf("Replace with a secret ID = %v (test called: %v), want an InputError before the test", err, called)
	}
	if _, err := raw(t, tenant, client); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatal("something was written")
	}
}

func TestReplaceWriteFailureIsReported(t *testing.T) {
	mockKeyring(t)
	cause := errors.New("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files")
	keyring.MockInitWithError(cause)
	s := newStore(t)
	tested := false
	err := s.Replace(context.Background(), secretCred(), func(context.Context, store.Credential) error { tested = true; return nil })
	var ue *store.UnavailableError
	if !tested || !errors.As(err, &ue) || ue.Op != "save" || !errors.Is(err, cause) {
		t.Fatalf("Replace onto a broken keychain = %v (tested %v), want UnavailableError{save} wrapping the cause", err, tested)
	}
}

func TestUnavailable(t *testing.T) {
	mockKeyring(t)
	cause := errors.New("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files")
	keyring.MockInitWithError(cause)
	s := newStore(t)
	ctx := context.Background()
	_, loadErr := s.Load(ctx, tenant, client)
	for op, err := range map[string]error{"save": s.Save(ctx, secretCred()), "read": loadErr, "delete": s.Delete(ctx, tenant, client)} {
		var ue *store.UnavailableError
		if !errors.As(err, &ue) || ue.Op != op || !errors.Is(err, cause) {
			t.Errorf("%s on a broken keychain = %v, want UnavailableError{%s} wrapping the cause", op, err, op)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, cause.Error()) || !strings.Contains(msg, ue.Advice()) || strings.Contains(msg, secretA) {
			t.Errorf("%s: message %q must carry the cause and the advice and no secret", op, msg)
		}
	}
	if runtime.GOOS == "linux" {
		var ue *store.UnavailableError
		errors.As(s.Save(ctx, secretCred()), &ue)
		if a := ue.Advice(); !strings.Contains(a, "GNOME Keyring") || !strings.Contains(a, "unlocked") {
			t.Errorf("Linux advice %q does not say to run and unlock GNOME Keyring", a)
		}
	}
}

func TestBackendSentinels(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	ctx := context.Background()
	keyring.MockInitWithError(keyring.ErrNotFound)
	if _, err := s.Load(ctx, tenant, client); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("go-keyring ErrNotFound became %v", err)
	}
	keyring.MockInitWithError(keyring.ErrSetDataTooBig)
	if err := s.Save(ctx, secretCred()); !errors.Is(err, store.ErrTooLarge) || !errors.Is(err, keyring.ErrSetDataTooBig) {
		t.Errorf("go-keyring ErrSetDataTooBig became %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Save(ctx, secretCred())
	var ue *store.UnavailableError
	if !errors.Is(err, context.Canceled) || errors.As(err, &ue) {
		t.Fatalf("Save with a cancelled context = %v, want context.Canceled (not UnavailableError)", err)
	}
	if _, err := raw(t, tenant, client); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatal("a cancelled Save wrote the keychain")
	}
}

func TestInputErrors(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	_, cert, pemBundle := newCert(t, 2048)
	_, otherCert, _ := newCert(t, 2048)
	_, _, smallBundle := newCert(t, 1024)
	keyOnly := pemBundle[strings.Index(string(pemBundle), "-----BEGIN PRIVATE KEY"):]
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	otherCertPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: otherCert.Raw})
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}})

	certCred := func(p []byte) store.Credential {
		return store.Credential{TenantID: tenant, ClientID: client, Type: store.TypeCertificate, PrivateKeyPEM: p}
	}
	with := func(f func(*store.Credential)) store.Credential { c := secretCred(); f(&c); return c }
	cases := map[string]struct {
		c     store.Credential
		field string
	}{
		"empty tenant":          {with(func(c *store.Credential) { c.TenantID = "" }), "tenant ID"},
		"tenant domain":         {with(func(c *store.Credential) { c.TenantID = "contoso.onmicrosoft.com" }), "tenant ID"},
		"secret as tenant":      {with(func(c *store.Credential) { c.TenantID = secretB }), "tenant ID"},
		"braced client":         {with(func(c *store.Credential) { c.ClientID = "{" + client + "}" }), "client ID"},
		"bad key ID":            {with(func(c *store.Credential) { c.KeyID = "key-1" }), "key ID"},
		"bad thumbprint":        {with(func(c *store.Credential) { c.Thumbprint = "ABC" }), "thumbprint"},
		"no type":               {with(func(c *store.Credential) { c.Type = "" }), "type"},
		"unknown type":          {with(func(c *store.Credential) { c.Type = "password" }), "type"},
		"empty secret":          {with(func(c *store.Credential) { c.Secret = "" }), "secret"},
		"secret with newline":   {with(func(c *store.Credential) { c.Secret = secretA + "\n" }), "secret"},
		"secret inner newline":  {with(func(c *store.Credential) { c.Secret = "abc\ndef" }), "secret"},
		"secret ID pasted":      {with(func(c *store.Credential) { c.Secret = keyID }), "secret"},
		"huge secret":           {with(func(c *store.Credential) { c.Secret = strings.Repeat("a", 2000) }), "secret"},
		"key on a secret":       {with(func(c *store.Credential) { c.PrivateKeyPEM = keyOnly }), "private key"},
		"secret on a cert":      {func() store.Credential { c := certCred(keyOnly); c.Secret = secretA; return c }(), "secret"},
		"no key":                {certCred(nil), "private key"},
		"certificate only":      {certCred(certPEM), "private key"},
		"not PEM":               {certCred([]byte("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC")), "private key"},
		"encrypted key":         {certCred(encrypted), "private key"},
		"two keys":              {certCred(append(append([]byte{}, keyOnly...), keyOnly...)), "private key"},
		"1024-bit key":          {certCred(smallBundle), "private key"},
		"foreign certificate":   {certCred(append(append([]byte{}, otherCertPEM...), keyOnly...)), "certificate"},
		"thumbprint mismatch":   {func() store.Credential { c := certCred(pemBundle); c.Thumbprint = strings.Repeat("A", 40); return c }(), "thumbprint"},
		"unexpected PEM blocks": {certCred(append(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}}), keyOnly...)), "private key"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := s.Save(context.Background(), tc.c)
			var in *store.InputError
			if !errors.As(err, &in) || in.Field != tc.field {
				t.Fatalf("Save = %v, want an InputError on %q", err, tc.field)
			}
			if err2 := tc.c.Validate(); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("Validate = %v, want the same error as Save", err2)
			}
			msg := err.Error()
			for _, secret := range []string{secretA, secretB, string(keyOnly[30:90])} {
				if strings.Contains(msg, secret) {
					t.Errorf("message %q quotes a secret or key", msg)
				}
			}
			if _, err := raw(t, tenant, client); !errors.Is(err, keyring.ErrNotFound) {
				t.Error("a refused credential reached the keychain")
			}
		})
	}
}

func TestCertificateRoundTrip(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	ctx := context.Background()
	key, cert, pemBundle := newCert(t, 2048)
	in := store.Credential{TenantID: tenant, ClientID: client, Type: store.TypeCertificate, PrivateKeyPEM: pemBundle, KeyID: keyID}
	if err := s.Save(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, tenant, client)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(cert.Raw)
	if got.Type != store.TypeCertificate || got.Secret != "" || got.KeyID != keyID ||
		got.Thumbprint != strings.ToUpper(hex.EncodeToString(sum[:])) || !got.Expires.Equal(cert.NotAfter) {
		t.Fatalf("Load = %v, want the certificate's thumbprint %X and expiry %s filled in", got, sum, cert.NotAfter)
	}
	block, rest := pem.Decode(got.PrivateKeyPEM)
	if block == nil || block.Type != "PRIVATE KEY" || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatal("Load did not return exactly one PKCS#8 PRIVATE KEY block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil || !key.Equal(k) {
		t.Fatalf("loaded key differs from the saved one (%v)", err)
	}
	v, _ := raw(t, tenant, client)
	if strings.Contains(v, "CERTIFICATE") || strings.Contains(v, string(cert.Raw[:16])) {
		t.Error("the public certificate went into the keychain entry; only the key should")
	}
}

func TestOtherKeyEncodings(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	ctx := context.Background()
	rsaKey, _, _ := newCert(t, 2048)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		pem []byte
		key interface{ Equal(crypto.PrivateKey) bool }
	}{
		"PKCS#1 RSA":          {pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), rsaKey},
		"SEC 1 EC":            {pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}), ecKey},
		"EC with certificate": {bundle(t, selfSign(t, ecKey), ecKey), ecKey},
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.Save(ctx, store.Credential{TenantID: tenant, ClientID: client, Type: store.TypeCertificate, PrivateKeyPEM: tc.pem}); err != nil {
				t.Fatal(err)
			}
			got, err := s.Load(ctx, tenant, client)
			if err != nil {
				t.Fatal(err)
			}
			block, _ := pem.Decode(got.PrivateKeyPEM)
			if block == nil || block.Type != "PRIVATE KEY" {
				t.Fatal("not returned as PKCS#8")
			}
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil || !tc.key.Equal(k) {
				t.Fatalf("loaded key differs (%v)", err)
			}
		})
	}
}

// TestCertificateFitsWindowsLimit: a 2048-bit RSA certificate credential with
// every optional field set stays under Credential Manager's 2,560 bytes, while
// the PEM bundle of certificate and key alone would not.
func TestCertificateFitsWindowsLimit(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	largest := 0
	for i := 0; i < 5; i++ { // PKCS#8 DER length varies by a byte or two per key
		_, _, pemBundle := newCert(t, 2048)
		if len(pemBundle) <= store.MaxEntryBytes {
			t.Fatalf("the PEM bundle is %d bytes: the test no longer shows why only the key is stored", len(pemBundle))
		}
		c := store.Credential{TenantID: tenant, ClientID: client, Type: store.TypeCertificate, PrivateKeyPEM: pemBundle, KeyID: keyID,
			Expires: time.Date(2099, 12, 31, 23, 59, 59, 999999999, time.FixedZone("x", 3600))}
		if err := s.Save(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		v, err := raw(t, tenant, client)
		if err != nil {
			t.Fatal(err)
		}
		largest = max(largest, len(v))
	}
	if largest > store.MaxEntryBytes || store.MaxEntryBytes != 2560 {
		t.Fatalf("largest entry %d bytes, limit %d (must be 2560)", largest, store.MaxEntryBytes)
	}
	t.Logf("largest 2048-bit RSA certificate entry: %d of %d bytes", largest, store.MaxEntryBytes)
}

func TestLargeKeyRefused(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	_, _, pemBundle := newCert(t, 3072)
	c := store.Credential{TenantID: tenant, ClientID: client, Type: store.TypeCertificate, PrivateKeyPEM: pemBundle}
	if err := s.Save(context.Background(), c); !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("Save of a 3072-bit key = %v, want ErrTooLarge", err)
	}
	tested := false
	if err := s.Replace(context.Background(), c, func(context.Context, store.Credential) error { tested = true; return nil }); !errors.Is(err, store.ErrTooLarge) || tested {
		t.Fatalf("Replace of a 3072-bit key = %v (tested %v), want ErrTooLarge before the test", err, tested)
	}
	if _, err := raw(t, tenant, client); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatal("an oversized credential reached the keychain")
	}
}

func TestReplaceCertificateTestGetsCertificate(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	_, _, pemBundle := newCert(t, 2048)
	c := store.Credential{TenantID: strings.ToUpper(tenant), ClientID: client, Type: store.TypeCertificate, PrivateKeyPEM: pemBundle}
	err := s.Replace(context.Background(), c, func(_ context.Context, got store.Credential) error {
		if string(got.PrivateKeyPEM) != string(pemBundle) || got.TenantID != tenant || got.Thumbprint == "" {
			return fmt.Errorf("test received PEM as given: %v, normalized tenant: %v, thumbprint: %q",
				string(got.PrivateKeyPEM) == string(pemBundle), got.TenantID == tenant, got.Thumbprint)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCorruptEntries(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	ctx := context.Background()
	account := tenant + "/" + client
	for name, v := range map[string]string{
		"not JSON":       "plain " + secretA,
		"newer format":   `{"v":2,"type":"secret","tenant":"` + tenant + `","client":"` + client + `","secret":"` + secretA + `"}`,
		"another app":    `{"v":1,"type":"secret","tenant":"` + tenant + `","client":"` + keyID + `","secret":"` + secretA + `"}`,
		"no secret":      `{"v":1,"type":"secret","tenant":"` + tenant + `","client":"` + client + `"}`,
		"bad key":        `{"v":1,"type":"certificate","tenant":"` + tenant + `","client":"` + client + `","key":"AAAA"}`,
		"unknown type":   `{"v":1,"type":"` + secretA + `","tenant":"` + tenant + `","client":"` + client + `","secret":"x"}`,
		"truncated JSON": `{"v":1,"type":"secret","tenant":"` + tenant + `","client":"` + client + `","secret":"` + secretA,
	} {
		t.Run(name, func(t *testing.T) {
			if err := keyring.Set(service, account, v); err != nil {
				t.Fatal(err)
			}
			_, err := s.Load(ctx, tenant, client)
			if !errors.Is(err, store.ErrCorrupt) || strings.Contains(err.Error(), secretA) {
				t.Fatalf("Load = %v, want ErrCorrupt without the value", err)
			}
		})
	}
}

func TestAccount(t *testing.T) {
	got, err := store.Account(strings.ToUpper(tenant), " "+client+" ")
	if err != nil || got != tenant+"/"+client {
		t.Fatalf("Account = %q, %v", got, err)
	}
	if _, err := store.Account(tenant, "not-a-guid"); err == nil {
		t.Fatal("Account accepted a non-GUID client ID")
	}
}

func TestConcurrentUse(t *testing.T) {
	mockKeyring(t)
	s := newStore(t)
	other := newStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := s
			if i%2 == 1 {
				st = other // two stores share the process-wide keychain
			}
			c := secretCred()
			c.ClientID = fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
			for j := 0; j < 5; j++ {
				if err := st.Save(ctx, c); err != nil {
					errs <- err
					return
				}
				got, err := st.Load(ctx, tenant, c.ClientID)
				if err != nil || got.Secret != secretA {
					errs <- fmt.Errorf("load %d: %v", i, err)
					return
				}
			}
			if err := st.Delete(ctx, tenant, c.ClientID); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
