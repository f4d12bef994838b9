package state

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CertDir is the folder inside the config directory that holds the apps'
// public certificates. The keychain keeps only a certificate's private key
// (see package wizard/store); the certificate itself is public and lives here.
const CertDir = "certificates"

// ErrNoCertificate means no certificate is saved for the app.
var ErrNoCertificate = errors.New("no certificate is saved for this app")

// certPath names dir/certificates/<tenantID>_<clientID>.pem. Both IDs must be
// GUIDs, which also keeps the name inside the folder.
func certPath(dir, tenantID, clientID string) (string, error) {
	t, c := strings.ToLower(strings.TrimSpace(tenantID)), strings.ToLower(strings.TrimSpace(clientID))
	for _, id := range []string{t, c} {
		if len(id) != 36 || strings.Trim(id, "0123456789abcdef-") != "" || strings.Count(id, "-") != 4 {
			return "", fmt.Errorf("certificate file: tenant and client ID must be GUIDs (%d and %d characters given)", len(tenantID), len(clientID))
		}
	}
	return filepath.Join(dir, CertDir, t+"_"+c+".pem"), nil
}

// SaveCertificate keeps the app's public certificate. pemData may be the
// bundle of certificate and private key that the wizard generates: only its
// CERTIFICATE blocks are written, never a key. It fails when pemData holds no
// readable certificate.
func SaveCertificate(dir, tenantID, clientID string, pemData []byte) error {
	path, err := certPath(dir, tenantID, clientID)
	if err != nil {
		return err
	}
	var out []byte
	for rest := pemData; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue // the private key stays out of files
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("certificate file: the certificate cannot be read: %w", err)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Bytes})...)
	}
	if len(out) == 0 {
		return errors.New("certificate file: no PEM CERTIFICATE block given")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("certificate file: %w", err)
	}
	mu := lockFor(path)
	mu.Lock()
	defer mu.Unlock()
	if err := writeAtomic(filepath.Dir(path), filepath.Base(path), out); err != nil {
		return fmt.Errorf("certificate file: %w", err)
	}
	return nil
}

// LoadCertificate returns the app's certificate PEM, or ErrNoCertificate.
// Append the key PEM from the keychain to get the bundle MSAL reads.
func LoadCertificate(dir, tenantID, clientID string) ([]byte, error) {
	path, err := certPath(dir, tenantID, clientID)
	if err != nil {
		return nil, err
	}
	mu := lockFor(path)
	mu.Lock()
	data, err := os.ReadFile(path)
	mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoCertificate
	}
	if err != nil {
		return nil, fmt.Errorf("certificate file: %w", err)
	}
	return data, nil
}

// DeleteCertificate removes the app's certificate file; deleting nothing is
// not an error.
func DeleteCertificate(dir, tenantID, clientID string) error {
	path, err := certPath(dir, tenantID, clientID)
	if err != nil {
		return err
	}
	mu := lockFor(path)
	mu.Lock()
	defer mu.Unlock()
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("certificate file: %w", err)
	}
	return nil
}
