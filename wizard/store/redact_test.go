package store_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"testing"

	"m365wizard/wizard/store"
)

// TestNoSecretInOutput prints, marshals and logs credentials in every usual
// way and looks for the secret and for any piece of the private key.
func TestNoSecretInOutput(t *testing.T) {
	_, _, pemBundle := newCert(t, 2048)
	keyPEM := string(pemBundle[strings.Index(string(pemBundle), "-----BEGIN PRIVATE KEY"):])
	keyLines := strings.Split(keyPEM, "\n")
	secret := secretCred()
	cert := store.Credential{TenantID: tenant, ClientID: client, Type: store.TypeCertificate, PrivateKeyPEM: []byte(keyPEM)}

	for _, c := range []store.Credential{secret, cert} {
		var outputs []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v"} {
			outputs = append(outputs, fmt.Sprintf(verb, c), fmt.Sprintf(verb, &c))
		}
		outputs = append(outputs, fmt.Sprintf("%T %v", c, c), fmt.Sprint(c), fmt.Sprintln(c), fmt.Sprint([]store.Credential{c}),
			fmt.Sprintf("%+v", map[string]store.Credential{"c": c}),
			fmt.Sprintf("%+v", struct{ C store.Credential }{c}),
			fmt.Sprintf("%#v", struct{ C *store.Credential }{&c}),
			c.String(), c.GoString())
		for _, v := range []any{c, &c, []store.Credential{c}, struct{ C store.Credential }{c}} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			outputs = append(outputs, string(b))
		}
		b, err := xml.Marshal(xmlWrapper{C: c})
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
		var logs bytes.Buffer
		slog.New(slog.NewTextHandler(&logs, nil)).Info("saved", "cred", c, "ptr", &c)
		slog.New(slog.NewJSONHandler(&logs, nil)).Info("saved", "cred", c)
		log.New(&logs, "", 0).Printf("saved %v", c)
		outputs = append(outputs, logs.String())

		for _, out := range outputs {
			if strings.Contains(out, secretA) {
				t.Fatalf("output shows the secret: %s", out)
			}
			for _, line := range keyLines[1 : len(keyLines)-2] {
				if strings.Contains(out, line) {
					t.Fatalf("output shows the private key: %s", out)
				}
			}
			if !strings.Contains(out, tenant) {
				t.Errorf("output %q lost the non-secret fields", out)
			}
		}
		if s := c.String(); !strings.Contains(s, "[redacted]") {
			t.Errorf("String() = %q does not mark the hidden value", s)
		}
	}
	// Marshalling does not change the credential itself.
	if secret.Secret != secretA || !strings.Contains(string(cert.PrivateKeyPEM), keyLines[1]) {
		t.Fatal("marshalling modified the credential")
	}
}

type xmlWrapper struct{ C store.Credential }
