package state

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const (
	tenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	clientID = "0b3c2a1d-5e4f-4a6b-8c7d-9e0f1a2b3c4d"
)

func certBundle(t *testing.T) (certPEM, bundle []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "HelpMaster"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return certPEM, append(append([]byte{}, certPEM...), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
}

func TestCertificateFileKeepsNoKey(t *testing.T) {
	dir := t.TempDir()
	certPEM, bundle := certBundle(t)
	if _, err := LoadCertificate(dir, tenantID, clientID); !errors.Is(err, ErrNoCertificate) {
		t.Fatalf("LoadCertificate of nothing = %v", err)
	}
	if err := SaveCertificate(dir, strings.ToUpper(tenantID), clientID, bundle); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCertificate(dir, tenantID, strings.ToUpper(clientID))
	if err != nil || string(got) != string(certPEM) {
		t.Fatalf("LoadCertificate = %q, %v; want the certificate alone", got, err)
	}
	path := filepath.Join(dir, CertDir, tenantID+"_"+clientID+".pem")
	data, err := os.ReadFile(path)
	if err != nil || strings.Contains(string(data), "PRIVATE KEY") {
		t.Fatalf("certificate file %s: %v, holds a key: %v", path, err, strings.Contains(string(data), "PRIVATE KEY"))
	}
	if runtime.GOOS != "windows" {
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("certificate file mode %o, want 600", st.Mode().Perm())
		}
	}
	if err := DeleteCertificate(dir, tenantID, clientID); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCertificate(dir, tenantID, clientID); !errors.Is(err, ErrNoCertificate) {
		t.Fatalf("after delete: %v", err)
	}
	if err := DeleteCertificate(dir, tenantID, clientID); err != nil {
		t.Fatalf("deleting nothing = %v", err)
	}
}

func TestCertificateFileRefusals(t *testing.T) {
	dir := t.TempDir()
	_, bundle := certBundle(t)
	keyOnly := bundle[strings.Index(string(bundle), "-----BEGIN PRIVATE KEY"):]
	for name, tc := range map[string]struct {
		tenant, client string
		data           []byte
	}{
		"key only":        {tenantID, clientID, keyOnly},
		"not PEM":         {tenantID, clientID, []byte("hello")},
		"bad certificate": {tenantID, clientID, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2}})},
		"path in tenant":  {"../../../../etc/passwd-0000-0000-0000", clientID, bundle},
		"domain tenant":   {"contoso.onmicrosoft.com", clientID, bundle},
	} {
		if err := SaveCertificate(dir, tc.tenant, tc.client, tc.data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, CertDir))
	if len(entries) != 0 {
		t.Fatalf("refused certificates left files: %v", entries)
	}
}
