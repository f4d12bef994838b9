package graphops

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
)

// VendorCertificate is a certificate a vendor gives the admin to upload to the
// app (Passly: "Signing and Encryption", download): the public part only. The
// vendor keeps the private key and signs in with it; the wizard never has it.
type VendorCertificate struct {
	DER        []byte
	Thumbprint string // SHA-1, hex upper case, as the portal and the vendor show it
	Subject    string
	NotBefore  time.Time
	NotAfter   time.Time
}

// MaxCertificateFile bounds a certificate file (real ones are 1-4 KB).
const MaxCertificateFile = 64 << 10

// ParseVendorCertificate reads a .cer, .crt or .pem file: PEM ("-----BEGIN
// CERTIFICATE-----"), binary DER, or DER in base64 without the PEM lines (how
// Windows exports "Base-64 encoded X.509" minus its header, or a copy from a web
// page). A file holding a private key is refused: the vendor's key must stay
// with the vendor. The certificate must be in date at now.
func ParseVendorCertificate(data []byte, now time.Time) (*VendorCertificate, error) {
	bad := func(msg string, args ...any) error {
		return &Error{Kind: KindInput, Field: "certificate-file", Message: fmt.Sprintf(msg, args...)}
	}
	if len(data) == 0 {
		return nil, bad("The certificate file is empty.")
	}
	if len(data) > MaxCertificateFile {
		return nil, bad("The file is larger than %d KB; a certificate file is a few KB.", MaxCertificateFile>>10)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var der []byte
	if bytes.Contains(data, []byte("-----BEGIN")) {
		for rest := data; ; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			switch {
			case strings.Contains(b.Type, "PRIVATE KEY"):
				return nil, bad("The file holds a private key. Upload only the certificate the vendor gives you (.cer, .crt or .pem): its private key stays with the vendor.")
			case b.Type == "CERTIFICATE" && der == nil:
				der = b.Bytes
			}
		}
		if der == nil {
			return nil, bad("The file has no \"BEGIN CERTIFICATE\" block.")
		}
	} else if len(data) > 0 && data[0] == 0x30 { // an ASN.1 SEQUENCE: binary DER
		der = data
	} else {
		raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(data)), ""))
		if err != nil {
			return nil, bad("The file is not a certificate (PEM, DER or base64).")
		}
		der = raw
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, bad("The file is not an X.509 certificate: %v.", strings.TrimPrefix(err.Error(), "x509: "))
	}
	c := &VendorCertificate{DER: der, Thumbprint: Thumbprint(der), Subject: cert.Subject.String(),
		NotBefore: cert.NotBefore.UTC(), NotAfter: cert.NotAfter.UTC()}
	switch {
	case !now.Before(c.NotAfter):
		return nil, bad("The certificate (thumbprint %s) expired on %s. Download the current one from the vendor.", c.Thumbprint, c.NotAfter.Format("2 January 2006"))
	case now.Before(c.NotBefore):
		return nil, bad("The certificate (thumbprint %s) is valid only from %s.", c.Thumbprint, c.NotBefore.Format("2 January 2006 15:04 MST"))
	}
	return c, nil
}

// GroupedThumbprint writes a thumbprint in groups of four for reading aloud
// and comparing by eye with the vendor's screen ("AB12 CD34 …").
func GroupedThumbprint(t string) string {
	var b strings.Builder
	for i, r := range t {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
