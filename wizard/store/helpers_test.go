package store_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"m365wizard/wizard/store"
)

const (
	tenant  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	client  = "0b3c2a1d-5e4f-4a6b-8c7d-9e0f1a2b3c4d"
	keyID   = "5d2b7c1e-9a3f-4e8d-b6c0-1f2a3b4c5d6e"
	service = "m365wizard-unit-test"
	// secretA and secretB have the shape of Entra ID client secrets.
	secretA = "xYz8Q~AbCdEfGhIjKlMnOpQrStUvWxYz0123456."
	secretB = "pQr7Q~ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543_"
)

// mockKeyring swaps go-keyring's provider for its in-memory mock for one test.
// The provider is global to the test binary, so a run against the real
// keychain (M365WIZARD_REAL_KEYRING) must not swap it: there these tests skip.
func mockKeyring(t *testing.T) {
	t.Helper()
	if os.Getenv("M365WIZARD_REAL_KEYRING") != "" {
		t.Skip("M365WIZARD_REAL_KEYRING is set: mock tests would replace go-keyring's global provider under the real-keychain tests; they run in the ordinary test run")
	}
	keyring.MockInit()
	t.Cleanup(keyring.MockInit)
}

func secretCred() store.Credential {
	return store.Credential{TenantID: tenant, ClientID: client, Type: store.TypeSecret, Secret: secretA,
		KeyID: keyID, Expires: time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// newCert makes a self-signed certificate like graphops.GenerateCertificate
// and returns the key and the PEM bundle of certificate and PKCS#8 key.
func newCert(t testing.TB, bits int) (*rsa.PrivateKey, *x509.Certificate, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	cert := selfSign(t, key)
	return key, cert, bundle(t, cert, key)
}

func selfSign(t testing.TB, key crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "HelpMaster"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour).Truncate(time.Second),
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func bundle(t testing.TB, cert *x509.Certificate, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})...)
}
