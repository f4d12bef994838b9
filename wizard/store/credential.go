package store

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// Credential types.
const (
	TypeSecret      = "secret"
	TypeCertificate = "certificate"
)

// maxSecretBytes bounds a client secret. Entra ID secrets are 40 characters;
// the bound only keeps nonsense (a pasted document) out of the keychain.
const maxSecretBytes = 1024

// ErrCorrupt means the keychain entry exists but cannot be read as a
// credential: it is damaged, was written by something else, or by a newer
// version of the wizard. Saving the credential again replaces it.
var ErrCorrupt = errors.New("the keychain entry is damaged or was not written by this version of the wizard; save the credential again")

// Credential is an app's client secret or certificate private key, as kept in
// the keychain. Exactly one of Secret (Type TypeSecret) and PrivateKeyPEM
// (Type TypeCertificate) is set.
//
// Printing, JSON or text marshalling and slog never show Secret or
// PrivateKeyPEM.
type Credential struct {
	TenantID string // directory (tenant) ID, a GUID
	ClientID string // application (client) ID, a GUID
	Type     string // TypeSecret or TypeCertificate

	// Secret is the client secret's Value (never its ID).
	Secret string

	// PrivateKeyPEM is the certificate's private key in PEM: on Save a
	// PKCS#8 "PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY" or SEC 1 "EC PRIVATE KEY"
	// block, optionally together with the app's "CERTIFICATE" (used only to
	// check that key and certificate belong together and to fill Thumbprint
	// and Expires; it is not stored). Load returns the key alone, as PKCS#8.
	PrivateKeyPEM []byte

	KeyID      string    // the credential's keyId in Entra ID (GUID), optional
	Thumbprint string    // certificate SHA-1 thumbprint, 40 hex digits, optional
	Expires    time.Time // end of validity, optional
}

// Validate reports the first problem that would make Save refuse c, as an
// *InputError. It does not touch the keychain.
func (c Credential) Validate() error {
	_, _, err := c.normalize()
	return err
}

// Account is the keychain account name for an app: "<tenantID>/<clientID>",
// lower case.
func Account(tenantID, clientID string) (string, error) {
	t, err := normalizeGUID("tenant ID", tenantID, "the Directory (tenant) ID")
	if err != nil {
		return "", err
	}
	c, err := normalizeGUID("client ID", clientID, "the Application (client) ID")
	if err != nil {
		return "", err
	}
	return t + "/" + c, nil
}

func normalizeGUID(field, v, what string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", &InputError{Field: field, Message: "is empty; enter " + what + " shown on the app's Overview page in the Microsoft Entra admin center"}
	}
	u, err := uuid.Parse(v)
	if err != nil || len(v) != 36 {
		// The value is not quoted: an admin may have pasted a secret here.
		return "", &InputError{Field: field, Message: fmt.Sprintf("is not a GUID (%d characters); %s looks like 00000000-0000-0000-0000-000000000000", len(v), what)}
	}
	return u.String(), nil
}

// normalize checks c and returns it in canonical form together with the
// private key as PKCS#8 DER (certificates only).
func (c Credential) normalize() (Credential, []byte, error) {
	var err error
	if c.TenantID, err = normalizeGUID("tenant ID", c.TenantID, "the Directory (tenant) ID"); err != nil {
		return Credential{}, nil, err
	}
	if c.ClientID, err = normalizeGUID("client ID", c.ClientID, "the Application (client) ID"); err != nil {
		return Credential{}, nil, err
	}
	if c.KeyID != "" {
		if c.KeyID, err = normalizeGUID("key ID", c.KeyID, "a credential's key ID"); err != nil {
			return Credential{}, nil, err
		}
	}
	if c.Thumbprint != "" {
		if c.Thumbprint, err = normalizeThumbprint(c.Thumbprint); err != nil {
			return Credential{}, nil, err
		}
	}
	if !c.Expires.IsZero() {
		c.Expires = c.Expires.UTC()
	}
	switch c.Type {
	case TypeSecret:
		if len(c.PrivateKeyPEM) > 0 {
			return Credential{}, nil, &InputError{Field: "private key", Message: "is set on a client secret credential; a secret credential holds only the secret"}
		}
		if err := checkSecret(c.Secret); err != nil {
			return Credential{}, nil, err
		}
		return c, nil, nil
	case TypeCertificate:
		if c.Secret != "" {
			return Credential{}, nil, &InputError{Field: "secret", Message: "is set on a certificate credential; a certificate credential holds only the private key"}
		}
		der, cert, err := parseKeyPEM(c.PrivateKeyPEM)
		if err != nil {
			return Credential{}, nil, err
		}
		if cert != nil {
			sum := sha1.Sum(cert.Raw)
			thumb := strings.ToUpper(hex.EncodeToString(sum[:]))
			if c.Thumbprint != "" && c.Thumbprint != thumb {
				return Credential{}, nil, &InputError{Field: "thumbprint", Message: fmt.Sprintf("%s does not match the certificate given with the key (%s)", c.Thumbprint, thumb)}
			}
			c.Thumbprint = thumb
			if c.Expires.IsZero() {
				c.Expires = cert.NotAfter.UTC()
			}
		}
		c.PrivateKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		return c, der, nil
	case "":
		return Credential{}, nil, &InputError{Field: "type", Message: `is empty; it must be "secret" or "certificate"`}
	default:
		return Credential{}, nil, &InputError{Field: "type", Message: `is unknown; it must be "secret" or "certificate"`}
	}
}

func normalizeThumbprint(t string) (string, error) {
	s := strings.ToUpper(strings.NewReplacer(":", "", " ", "").Replace(t))
	if _, err := hex.DecodeString(s); err != nil || len(s) != 40 {
		return "", &InputError{Field: "thumbprint", Message: fmt.Sprintf("is not a certificate thumbprint (40 hexadecimal digits, SHA-1); it has %d characters", len(t))}
	}
	return s, nil
}

// checkSecret refuses values that cannot be a client secret's Value. Its
// messages never quote the value.
func checkSecret(s string) error {
	switch {
	case s == "":
		return &InputError{Field: "secret", Message: "is empty; paste the secret's Value, which Entra ID shows once when the secret is created"}
	case len(s) > maxSecretBytes:
		return &InputError{Field: "secret", Message: fmt.Sprintf("is %d bytes long; a client secret's Value is about 40 characters. Paste only the Value", len(s))}
	case strings.TrimSpace(s) != s:
		return &InputError{Field: "secret", Message: "starts or ends with a space or line break; paste only the Value, without spaces around it"}
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return &InputError{Field: "secret", Message: "contains a line break or another control character; paste only the Value"}
	}
	if _, err := uuid.Parse(s); err == nil && len(s) == 36 {
		return &InputError{Field: "secret", Message: "looks like the secret's ID (a GUID), not its Value. In Certificates & secrets, copy the Value column, not Secret ID"}
	}
	return nil
}

// parseKeyPEM returns the private key in data as PKCS#8 DER and the first
// certificate in data, if any. Errors never contain key material.
func parseKeyPEM(data []byte) ([]byte, *x509.Certificate, error) {
	bad := func(msg string) error { return &InputError{Field: "private key", Message: msg} }
	if len(data) == 0 {
		return nil, nil, bad("is empty; a certificate credential needs the certificate's private key in PEM")
	}
	var key any
	var cert *x509.Certificate
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		var k any
		var err error
		switch b.Type {
		case "CERTIFICATE":
			if cert == nil {
				if cert, err = x509.ParseCertificate(b.Bytes); err != nil {
					return nil, nil, &InputError{Field: "certificate", Message: "could not be read: " + err.Error()}
				}
			}
			continue
		case "ENCRYPTED PRIVATE KEY":
			return nil, nil, bad("is encrypted with a password; give it unencrypted (the keychain protects it)")
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if _, enc := b.Headers["DEK-Info"]; enc {
				return nil, nil, bad("is encrypted with a password; give it unencrypted (the keychain protects it)")
			}
			if b.Type == "RSA PRIVATE KEY" {
				k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
			} else {
				k, err = x509.ParseECPrivateKey(b.Bytes)
			}
		default:
			return nil, nil, bad(fmt.Sprintf("contains a PEM block of type %q; expected PRIVATE KEY and optionally CERTIFICATE", b.Type))
		}
		if err != nil {
			return nil, nil, bad(fmt.Sprintf("could not be read from its %q block: %v", b.Type, err))
		}
		if key != nil {
			return nil, nil, bad("contains more than one private key; give only the app certificate's key")
		}
		key = k
	}
	if key == nil {
		return nil, nil, bad("contains no PEM private key block (-----BEGIN PRIVATE KEY-----)")
	}
	if rk, ok := key.(*rsa.PrivateKey); ok && rk.N.BitLen() < 2048 {
		return nil, nil, bad(fmt.Sprintf("is a %d-bit RSA key; Microsoft Entra ID needs at least 2048 bits", rk.N.BitLen()))
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, bad(fmt.Sprintf("has an unsupported type %T", key))
	}
	if cert != nil {
		pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(signer.Public()) {
			return nil, nil, &InputError{Field: "certificate", Message: "does not belong to the private key given with it"}
		}
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, bad("could not be encoded as PKCS#8: " + err.Error())
	}
	return der, cert, nil
}

// entryVersion is the format of the JSON kept in the keychain.
const entryVersion = 1

// entry is the keychain value. It holds the secret or key, so it is never
// printed: Format hides it like Credential's.
type entry struct {
	V          int       `json:"v"`
	Type       string    `json:"type"`
	Tenant     string    `json:"tenant"`
	Client     string    `json:"client"`
	KeyID      string    `json:"keyId,omitempty"`
	Thumbprint string    `json:"thumbprint,omitempty"`
	Expires    time.Time `json:"expires,omitzero"`
	Secret     string    `json:"secret,omitempty"`
	Key        []byte    `json:"key,omitempty"` // PKCS#8 DER (base64 in JSON)
}

func (entry) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("store.entry{[redacted]}")) }

// encode turns a normalized credential into the keychain value.
func encode(c Credential, keyDER []byte) ([]byte, error) {
	e := entry{V: entryVersion, Type: c.Type, Tenant: c.TenantID, Client: c.ClientID,
		KeyID: c.KeyID, Thumbprint: c.Thumbprint, Expires: c.Expires, Secret: c.Secret, Key: keyDER}
	b, err := json.Marshal(e)
	if err != nil {
		// Only reachable with an Expires outside years 0-9999; the message
		// of json.Marshal names the time, not the secret.
		return nil, &InputError{Field: "expires", Message: "cannot be stored: " + err.Error()}
	}
	if len(b) > MaxEntryBytes {
		return nil, fmt.Errorf("%w (this one needs %d bytes)", ErrTooLarge, len(b))
	}
	return b, nil
}

// decode reads a keychain value stored under account.
func decode(tenantID, clientID, value string) (Credential, error) {
	var e entry
	if err := json.Unmarshal([]byte(value), &e); err != nil {
		// The JSON error is not quoted: it could show part of the value.
		return Credential{}, fmt.Errorf("%w (not JSON in the wizard's format)", ErrCorrupt)
	}
	if e.V != entryVersion {
		return Credential{}, fmt.Errorf("%w (format version %d; this wizard reads version %d)", ErrCorrupt, e.V, entryVersion)
	}
	if e.Tenant != tenantID || e.Client != clientID {
		return Credential{}, fmt.Errorf("%w (it names another app)", ErrCorrupt)
	}
	c := Credential{TenantID: e.Tenant, ClientID: e.Client, Type: e.Type, KeyID: e.KeyID, Thumbprint: e.Thumbprint, Expires: e.Expires}
	switch e.Type {
	case TypeSecret:
		if e.Secret == "" || len(e.Key) > 0 {
			return Credential{}, fmt.Errorf("%w (a secret entry without a secret)", ErrCorrupt)
		}
		c.Secret = e.Secret
	case TypeCertificate:
		if e.Secret != "" || len(e.Key) == 0 {
			return Credential{}, fmt.Errorf("%w (a certificate entry without a private key)", ErrCorrupt)
		}
		if _, err := x509.ParsePKCS8PrivateKey(e.Key); err != nil {
			return Credential{}, fmt.Errorf("%w (the private key cannot be read)", ErrCorrupt)
		}
		c.PrivateKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: e.Key})
	default:
		return Credential{}, fmt.Errorf("%w (unknown credential type)", ErrCorrupt)
	}
	return c, nil
}

// redacted is what output shows instead of a secret or key.
const redacted = "[redacted]"

func (c Credential) hidden() (secret, key string) {
	if c.Secret != "" {
		secret = redacted
	}
	if len(c.PrivateKeyPEM) > 0 {
		key = redacted
	}
	return secret, key
}

// String describes c without its secret or private key.
func (c Credential) String() string {
	secret, key := c.hidden()
	exp := ""
	if !c.Expires.IsZero() {
		exp = c.Expires.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("store.Credential{TenantID:%s ClientID:%s Type:%s KeyID:%s Thumbprint:%s Expires:%s Secret:%s PrivateKeyPEM:%s}",
		c.TenantID, c.ClientID, c.Type, c.KeyID, c.Thumbprint, exp, secret, key)
}

// GoString is String, for %#v.
func (c Credential) GoString() string { return c.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %x, %d, ...) print
// String, so no verb can reach the fields.
func (c Credential) Format(f fmt.State, verb rune) {
	s := c.String()
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = f.Write([]byte(s))
}

// MarshalJSON writes c without its secret or private key.
func (c Credential) MarshalJSON() ([]byte, error) {
	secret, key := c.hidden()
	return json.Marshal(struct {
		TenantID      string    `json:"tenantId"`
		ClientID      string    `json:"clientId"`
		Type          string    `json:"type"`
		KeyID         string    `json:"keyId,omitempty"`
		Thumbprint    string    `json:"thumbprint,omitempty"`
		Expires       time.Time `json:"expires,omitzero"`
		Secret        string    `json:"secret,omitempty"`
		PrivateKeyPEM string    `json:"privateKeyPem,omitempty"`
	}{c.TenantID, c.ClientID, c.Type, c.KeyID, c.Thumbprint, c.Expires, secret, key})
}

// MarshalText is String (encoding.TextMarshaler: slog's text handler, XML,
// YAML and similar encoders).
func (c Credential) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// LogValue describes c to log/slog without its secret or private key.
func (c Credential) LogValue() slog.Value {
	secret, key := c.hidden()
	return slog.GroupValue(slog.String("tenantId", c.TenantID), slog.String("clientId", c.ClientID),
		slog.String("type", c.Type), slog.String("keyId", c.KeyID), slog.String("thumbprint", c.Thumbprint),
		slog.Time("expires", c.Expires), slog.String("secret", secret), slog.String("privateKeyPem", key))
}
