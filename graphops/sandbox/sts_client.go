package sandbox

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Client authentication at the token endpoint (ED v2-oauth2-client-creds-grant-flow.md,
// GRAPH-FACTS §6.1 and §4.4): client_secret in the body or HTTP Basic, or a
// client_assertion JWT signed with a certificate uploaded to the app.

const stsClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// stsCredential is what the request carries to authenticate the client.
type stsCredential struct {
	clientID      string // from client_id, or from HTTP Basic
	secret        string
	assertion     string
	assertionType string
}

func (p stsCredential) present() bool { return p.secret != "" || p.assertion != "" }

// stsReadCredential reads client_id and the credential from the form or from HTTP
// Basic (client_secret_basic: both parts form-urlencoded, RFC 6749 §2.3.1).
func stsReadCredential(r *http.Request) stsCredential {
	p := stsCredential{
		clientID:      r.PostForm.Get("client_id"),
		secret:        r.PostForm.Get("client_secret"),
		assertion:     r.PostForm.Get("client_assertion"),
		assertionType: r.PostForm.Get("client_assertion_type"),
	}
	if id, secret, ok := r.BasicAuth(); ok {
		if v, err := url.QueryUnescape(id); err == nil {
			id = v
		}
		if v, err := url.QueryUnescape(secret); err == nil {
			secret = v
		}
		if p.clientID == "" {
			p.clientID = id
		}
		if p.secret == "" && strings.EqualFold(id, p.clientID) {
			p.secret = secret
		}
	}
	return p
}

// authenticateClient checks the credential of a confidential client and returns
// the authentication method class for appidacr: "1" secret, "2" certificate.
// Callers hold s.mu.
func (s *Server) authenticateClient(r *http.Request, t *Tenant, c *stsClient, p stsCredential, now time.Time) (string, *STSError) {
	switch {
	case p.assertion != "":
		if p.assertionType != stsClientAssertionType {
			e := errMissingParameter("client_assertion_type")
			return "", &e
		}
		if e := s.verifyAssertion(r, t, c, p.assertion, now); e != nil {
			return "", e
		}
		return "2", nil
	case p.secret != "":
		if e := s.verifySecret(c, p.secret, now); e != nil {
			return "", e
		}
		return "1", nil
	}
	e := errMissingCredential()
	return "", &e
}

// verifySecret compares the secret with the app's password credentials: none
// matches → AADSTS7000215; the match is expired → AADSTS7000222; the match was
// added less than SecretPropagationLag ago → AADSTS7000215, as a real tenant
// answers while the new secret replicates (GRAPH-FACTS §5.4).
func (s *Server) verifySecret(c *stsClient, secret string, now time.Time) *STSError {
	var creds []PasswordCredential
	if c.app != nil {
		creds = c.app.PasswordCredentials
	}
	for _, pc := range creds {
		if pc.Secret == "" || subtle.ConstantTimeCompare([]byte(pc.Secret), []byte(secret)) != 1 {
			continue
		}
		switch {
		case now.Sub(pc.created) < s.behaviour.SecretPropagationLag:
			e := errInvalidSecret(c.appID)
			return &e
		case !pc.EndDateTime.IsZero() && now.After(pc.EndDateTime):
			e := errExpiredSecret(c.appID)
			return &e
		case !pc.StartDateTime.IsZero() && now.Before(pc.StartDateTime):
			e := errInvalidSecret(c.appID)
			return &e
		}
		return nil
	}
	e := errInvalidSecret(c.appID)
	return &e
}

// stsDecodeThumbprint accepts the standard base64 MSAL Go sends in x5t#S256 as
// well as base64url (RFC 7515).
func stsDecodeThumbprint(v string) []byte {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawURLEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			return b
		}
	}
	return nil
}

// verifyAssertion checks a client assertion (MSAL Go accesstokens.go
// Credential.JWT): the key is found by the header's x5t#S256 (SHA-256 of the
// certificate DER, PS256, MSAL ≥1.4.2) or x5t (SHA-1, RS256) among the app's key
// credentials; the signature is verified with that certificate; iss and sub are
// the client id; aud is this tenant's token endpoint; exp and nbf hold.
// Callers hold s.mu.
func (s *Server) verifyAssertion(r *http.Request, t *Tenant, c *stsClient, assertion string, now time.Time) *STSError {
	unverified, _, err := jwt.NewParser().ParseUnverified(assertion, jwt.MapClaims{})
	if err != nil {
		e := errMalformed()
		e.Error, e.Status = "invalid_client", 401
		return &e
	}
	var want []byte
	sha256Thumb := true
	if v, _ := unverified.Header["x5t#S256"].(string); v != "" {
		want = stsDecodeThumbprint(v)
	} else if v, _ := unverified.Header["x5t"].(string); v != "" {
		want, sha256Thumb = stsDecodeThumbprint(v), false
	}
	thumbHex := hex.EncodeToString(want)
	var key *KeyCredential
	var cert *x509.Certificate
	if c.app != nil && len(want) > 0 {
		for i := range c.app.KeyCredentials {
			kc := &c.app.KeyCredentials[i]
			if kc.Usage != "" && !strings.EqualFold(kc.Usage, "Verify") {
				continue
			}
			var sum []byte
			if sha256Thumb {
				h := sha256.Sum256(kc.Key)
				sum = h[:]
			} else {
				h := sha1.Sum(kc.Key)
				sum = h[:]
			}
			if subtle.ConstantTimeCompare(sum, want) != 1 {
				continue
			}
			if parsed, err := x509.ParseCertificate(kc.Key); err == nil {
				key, cert = kc, parsed
				break
			}
		}
	}
	if key == nil {
		e := errAssertionKeyNotFound(thumbHex, c.appID)
		return &e
	}
	start, end := key.StartDateTime, key.EndDateTime
	if start.IsZero() {
		start = cert.NotBefore
	}
	if end.IsZero() {
		end = cert.NotAfter
	}
	if now.After(end) || now.Before(start) {
		e := errAssertionKeyExpired(thumbHex, c.appID, start, end)
		return &e
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(assertion, claims, func(*jwt.Token) (any, error) { return cert.PublicKey, nil },
		jwt.WithValidMethods([]string{"PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}),
		jwt.WithoutClaimsValidation())
	if err != nil {
		e := errAssertionSignature()
		return &e
	}
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	if !strings.EqualFold(iss, c.appID) {
		e := errAssertionIssuer()
		return &e
	}
	if !strings.EqualFold(sub, iss) {
		e := errAssertionSubject()
		return &e
	}
	if !s.assertionAudienceOK(r, t, claims) {
		e := errAssertionAudience()
		return &e
	}
	exp, errExp := claims.GetExpirationTime()
	nbf, _ := claims.GetNotBefore()
	const skew = 5 * time.Minute
	var expT, nbfT time.Time
	if exp != nil {
		expT = exp.Time
	}
	if nbf != nil {
		nbfT = nbf.Time
	}
	if errExp != nil || exp == nil || now.After(expT.Add(skew)) || (nbf != nil && now.Add(skew).Before(nbfT)) {
		e := errAssertionTime(now, nbfT, expT)
		return &e
	}
	return nil
}

// assertionAudienceOK accepts the tenant's token endpoint however the tenant is
// spelled (GUID or verified domain), v2.0 or v1, as the aud.
func (s *Server) assertionAudienceOK(r *http.Request, t *Tenant, claims jwt.MapClaims) bool {
	auds, err := claims.GetAudience()
	if err != nil {
		return false
	}
	keys := []string{t.ID}
	for _, d := range t.Domains {
		keys = append(keys, d.Name)
	}
	for _, a := range auds {
		for _, k := range keys {
			for _, suffix := range []string{"/oauth2/v2.0/token", "/oauth2/token"} {
				if strings.EqualFold(a, stsBase(r)+"/"+k+suffix) {
					return true
				}
			}
		}
	}
	return false
}
