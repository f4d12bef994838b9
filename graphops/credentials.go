package graphops

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Credential is a client secret or certificate on an app, as listed (never
// with a secret value).
type Credential struct {
	Type        string // "secret" or "certificate"
	KeyID       string
	DisplayName string
	Hint        string // first characters of a secret
	Thumbprint  string // SHA-1, hex upper case, for certificates
	Start, End  time.Time
}

// DaysLeft is the whole days until the credential expires (negative once expired).
func (c Credential) DaysLeft(now time.Time) int {
	return int(c.End.Sub(now).Hours() / 24)
}

func credentialFromPassword(p models.PasswordCredentialable) Credential {
	c := Credential{Type: "secret", DisplayName: deref(p.GetDisplayName()), Hint: deref(p.GetHint())}
	if p.GetKeyId() != nil {
		c.KeyID = p.GetKeyId().String()
	}
	c.Start, c.End = deref(p.GetStartDateTime()), deref(p.GetEndDateTime())
	return c
}

func credentialFromKey(k models.KeyCredentialable) Credential {
	c := Credential{Type: "certificate", DisplayName: deref(k.GetDisplayName())}
	if k.GetKeyId() != nil {
		c.KeyID = k.GetKeyId().String()
	}
	if ck := k.GetCustomKeyIdentifier(); len(ck) > 0 {
		c.Thumbprint = strings.ToUpper(hex.EncodeToString(ck))
	}
	c.Start, c.End = deref(k.GetStartDateTime()), deref(k.GetEndDateTime())
	return c
}

// SecretPolicy is what the tenant's app management policy allows for secrets.
type SecretPolicy struct {
	Known       bool          // the policy was read
	MaxLifetime time.Duration // 0 = no cap
	NoSecrets   bool          // passwordAddition restriction: no new secrets at all
}

// Explain says the cap in the admin's words ("" when there is none).
func (p SecretPolicy) Explain() string {
	switch {
	case p.NoSecrets:
		return "Your tenant's app management policy does not allow new client secrets. Use a certificate instead."
	case p.MaxLifetime > 0:
		return fmt.Sprintf("Your tenant's app management policy allows secrets to live at most %d days.", int(p.MaxLifetime.Hours()/24))
	}
	return ""
}

func secretPolicy(pol models.TenantAppManagementPolicyable, now time.Time) SecretPolicy {
	out := SecretPolicy{Known: true}
	if !deref(pol.GetIsEnabled()) || pol.GetApplicationRestrictions() == nil {
		return out
	}
	for _, r := range pol.GetApplicationRestrictions().GetPasswordCredentials() {
		if st := r.GetState(); st != nil && st.String() == "disabled" {
			continue
		}
		if after := r.GetRestrictForAppsCreatedAfterDateTime(); after != nil && after.After(now) {
			continue
		}
		switch t := r.GetRestrictionType(); {
		case t == nil:
		case t.String() == "passwordLifetime" && r.GetMaxLifetime() != nil:
			d := isoDuration(r.GetMaxLifetime().String())
			if d > 0 && (out.MaxLifetime == 0 || d < out.MaxLifetime) {
				out.MaxLifetime = d
			}
		case t.String() == "passwordAddition":
			out.NoSecrets = true
		}
	}
	return out
}

// isoDuration reads the day/hour parts of an ISO-8601 duration such as P90D or P1Y.
func isoDuration(s string) time.Duration {
	s = strings.ToUpper(strings.TrimPrefix(strings.ToUpper(s), "P"))
	var d time.Duration
	num := 0
	inTime := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			num = num*10 + int(r-'0')
		case r == 'T':
			inTime = true
		case r == 'Y':
			d += time.Duration(num) * 365 * 24 * time.Hour
			num = 0
		case r == 'M' && !inTime:
			d += time.Duration(num) * 30 * 24 * time.Hour
			num = 0
		case r == 'W':
			d += time.Duration(num) * 7 * 24 * time.Hour
			num = 0
		case r == 'D':
			d += time.Duration(num) * 24 * time.Hour
			num = 0
		case r == 'H':
			d += time.Duration(num) * time.Hour
			num = 0
		case r == 'M':
			d += time.Duration(num) * time.Minute
			num = 0
		case r == 'S':
			d += time.Duration(num) * time.Second
			num = 0
		}
	}
	return d
}

// NewSecret is a secret just created. Value is shown to the admin once and
// otherwise only goes to the keychain; it has no String method on purpose.
type NewSecret struct {
	Credential
	Value string
}

// AddSecret creates a client secret with addPassword (never by rewriting the
// credential list). The lifetime is checked against the tenant policy first, so
// a cap is explained before anything is sent.
func (s *Session) AddSecret(ctx context.Context, app *App, description string, lifetime time.Duration, policy SecretPolicy) (*NewSecret, error) {
	if err := ValidateSecretLifetime(lifetime, policy); err != nil {
		return nil, err
	}
	if strings.TrimSpace(description) == "" {
		description = "M365 Setup Wizard " + time.Now().Format("2006-01-02")
	}
	end := time.Now().Add(lifetime).UTC().Truncate(time.Second)
	pc := models.NewPasswordCredential()
	pc.SetDisplayName(&description)
	pc.SetEndDateTime(&end)
	body := applications.NewItemAddPasswordPostRequestBody()
	body.SetPasswordCredential(pc)
	var out *NewSecret
	// Right after the app is created Entra may answer 404 for it: retry that.
	// Any other failure is returned, never resent blindly: a resent addPassword
	// could leave a second secret behind.
	err := retryUntil(ctx, "Waiting for Entra to replicate the new app", appPatience, func(err error) bool {
		_, _, st := graphCode(err)
		return st == 404 && app.Created
	}, func() error {
		got, err := s.Graph.Applications().ByApplicationId(app.ObjectID).AddPassword().Post(ctx, body, nil)
		if err != nil {
			return err
		}
		out = &NewSecret{Credential: credentialFromPassword(got), Value: deref(got.GetSecretText())}
		return nil
	})
	if err != nil {
		return nil, fromGraph(err, "Creating the client secret")
	}
	if out.Value == "" {
		return nil, &Error{Kind: KindInternal, Message: "Microsoft created the secret but returned no value.", NextStep: "Remove it and create another."}
	}
	return out, nil
}

// ValidateSecretLifetime checks a lifetime against the usual range and the policy.
func ValidateSecretLifetime(lifetime time.Duration, policy SecretPolicy) error {
	day := 24 * time.Hour
	switch {
	case policy.NoSecrets:
		return &Error{Kind: KindPolicy, Field: "secret-lifetime", Message: policy.Explain()}
	case lifetime < day:
		return &Error{Kind: KindInput, Field: "secret-lifetime", Message: "A secret must live at least one day."}
	case lifetime > 2*365*day+day:
		return &Error{Kind: KindInput, Field: "secret-lifetime", Message: "Microsoft recommends secrets live at most 24 months; choose 24 months or less."}
	case policy.MaxLifetime > 0 && lifetime > policy.MaxLifetime:
		return &Error{Kind: KindPolicy, Field: "secret-lifetime", Message: policy.Explain(),
			NextStep: fmt.Sprintf("Choose %d days or less, or use a certificate.", int(policy.MaxLifetime/day))}
	}
	return nil
}

// Credentials lists the app's secrets and certificates with their expiry.
func (s *Session) Credentials(ctx context.Context, appObjectID string) ([]Credential, error) {
	got, err := s.Graph.Applications().ByApplicationId(appObjectID).Get(ctx, &applications.ApplicationItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationItemRequestBuilderGetQueryParameters{Select: []string{"id", "passwordCredentials", "keyCredentials"}}})
	if err != nil {
		return nil, fromGraph(err, "Reading the app's secrets")
	}
	app := appFromModel(got)
	return append(app.Passwords, app.Keys...), nil
}

// RemoveSecret removes one secret by keyId with removePassword.
func (s *Session) RemoveSecret(ctx context.Context, appObjectID, keyID string) error {
	id, err := uuid.Parse(keyID)
	if err != nil {
		return &Error{Kind: KindInput, Field: "key-id", Message: fmt.Sprintf("%q is not a secret's key ID.", keyID)}
	}
	body := applications.NewItemRemovePasswordPostRequestBody()
	body.SetKeyId(&id)
	if err := s.Graph.Applications().ByApplicationId(appObjectID).RemovePassword().Post(ctx, body, nil); err != nil {
		return fromGraph(err, "Removing the old secret")
	}
	return nil
}

// Thumbprint is the SHA-1 thumbprint of a certificate as the portal shows it.
func Thumbprint(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// AddCertificate uploads the public part of a certificate. keyCredentials can
// only be written whole, so the existing keys are read (with their key bytes)
// and sent back with the new one: nobody else's certificate is dropped.
func (s *Session) AddCertificate(ctx context.Context, appObjectID string, certDER []byte) (Credential, error) {
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return Credential{}, &Error{Kind: KindInput, Field: "certificate", Message: "That file is not an X.509 certificate.", Err: err}
	}
	if time.Now().After(cert.NotAfter) {
		return Credential{}, &Error{Kind: KindInput, Field: "certificate", Message: fmt.Sprintf("The certificate expired on %s.", cert.NotAfter.Format("2 January 2006"))}
	}
	got, err := s.Graph.Applications().ByApplicationId(appObjectID).Get(ctx, &applications.ApplicationItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationItemRequestBuilderGetQueryParameters{Select: []string{"id", "keyCredentials"}}})
	if err != nil {
		return Credential{}, fromGraph(err, "Reading the app's certificates")
	}
	thumb := Thumbprint(certDER)
	keys := got.GetKeyCredentials()
	for _, k := range keys {
		if c := credentialFromKey(k); strings.EqualFold(c.Thumbprint, thumb) {
			return c, nil // already uploaded
		}
	}
	kc := models.NewKeyCredential()
	// The key ID is chosen here (keyCredentials take a client-set keyId), so
	// the admin and the stored list can name the certificate without reading
	// the app again.
	keyID := uuid.New()
	kc.SetKeyId(&keyID)
	typ, usage := "AsymmetricX509Cert", "Verify"
	name := cert.Subject.String()
	start, end := cert.NotBefore.UTC(), cert.NotAfter.UTC()
	kc.SetTypeEscaped(&typ)
	kc.SetUsage(&usage)
	kc.SetKey(certDER)
	kc.SetDisplayName(&name)
	kc.SetStartDateTime(&start)
	kc.SetEndDateTime(&end)
	body := models.NewApplication()
	body.SetKeyCredentials(append(keys, kc))
	if _, err := s.Graph.Applications().ByApplicationId(appObjectID).Patch(ctx, body, nil); err != nil {
		return Credential{}, fromGraph(err, "Uploading the certificate")
	}
	return Credential{Type: "certificate", KeyID: keyID.String(), DisplayName: name, Thumbprint: thumb, Start: start, End: end}, nil
}

// GenerateCertificate makes a self-signed certificate for the app and returns
// its DER and the PEM of certificate plus private key (for the keychain).
func GenerateCertificate(subject string, lifetime time.Duration) (certDER []byte, pemBundle []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	now := time.Now().Add(-5 * time.Minute)
	skid := sha256.Sum256(key.PublicKey.N.Bytes())
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: subject},
		NotBefore: now, NotAfter: now.Add(lifetime), KeyUsage: x509.KeyUsageDigitalSignature, SubjectKeyId: skid[:20]}
	certDER, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	pemBundle = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	return certDER, pemBundle, nil
}

// newHeaders builds request headers for an SDK request configuration.
func newHeaders(kv ...string) *abs.RequestHeaders {
	h := abs.NewRequestHeaders()
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}
