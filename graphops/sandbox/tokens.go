package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Audiences Graph accepts: the v1 resource URI and Graph's appId (v2 tokens).
const graphAudience = "https://graph.microsoft.com"

// signer holds the tenant-independent token signing key, published at the jwks_uri.
type signer struct {
	key *rsa.PrivateKey
	kid string
}

func newSigner() (*signer, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(k.PublicKey.N.Bytes())
	return &signer{key: k, kid: base64.RawURLEncoding.EncodeToString(sum[:15])}, nil
}

func (s *signer) sign(claims jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = s.kid
	tok.Header["x5t"] = s.kid
	return tok.SignedString(s.key)
}

// jwks is the JSON Web Key Set served at /{tenant}/discovery/v2.0/keys.
func (s *signer) jwks() map[string]any {
	pub := s.key.PublicKey
	return map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "kid": s.kid, "x5t": s.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}

// AccessClaims is what Graph reads from a bearer token.
type AccessClaims struct {
	Audience  string
	TenantID  string
	ObjectID  string // user object id (delegated) or client service principal id (app-only)
	AppID     string // client application id
	IDType    string // "user" or "app"
	Scopes    []string
	Roles     []string
	Wids      []string
	UPN       string
	ExpiresAt time.Time
	NotBefore time.Time
}

// IsApp reports whether the token is app-only (client credentials).
func (c *AccessClaims) IsApp() bool { return c.IDType == "app" }

var (
	errTokenExpired  = errors.New("token expired")
	errTokenAudience = errors.New("invalid audience")
	errTokenInvalid  = errors.New("invalid token")
)

// verify checks signature, expiry and audience the way Graph does.
func (s *signer) verify(raw string, now time.Time) (*AccessClaims, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if t.Method.Alg() != "RS256" {
			return nil, fmt.Errorf("unexpected alg %s", t.Method.Alg())
		}
		return &s.key.PublicKey, nil
	}, jwt.WithoutClaimsValidation())
	if err != nil {
		return nil, errTokenInvalid
	}
	c := &AccessClaims{}
	c.Audience, _ = claims["aud"].(string)
	c.TenantID, _ = claims["tid"].(string)
	c.ObjectID, _ = claims["oid"].(string)
	c.AppID, _ = claims["appid"].(string)
	c.IDType, _ = claims["idtyp"].(string)
	c.UPN, _ = claims["upn"].(string)
	if scp, _ := claims["scp"].(string); scp != "" {
		c.Scopes = strings.Fields(scp)
	}
	c.Roles = stringList(claims["roles"])
	c.Wids = stringList(claims["wids"])
	if exp, ok := claims["exp"].(float64); ok {
		c.ExpiresAt = time.Unix(int64(exp), 0)
	}
	if nbf, ok := claims["nbf"].(float64); ok {
		c.NotBefore = time.Unix(int64(nbf), 0)
	}
	if now.After(c.ExpiresAt) || now.Add(5*time.Minute).Before(c.NotBefore) {
		return c, errTokenExpired
	}
	if c.Audience != graphAudience && c.Audience != GraphAppID {
		return c, errTokenAudience
	}
	return c, nil
}

func stringList(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// tokenLifetime matches the 60-90 minutes real access tokens live; expires_in is
// reported as 3599 like Microsoft's examples.
const tokenLifetime = time.Hour

// delegatedAccessToken makes a v1-format Graph token for a signed-in user
// (GRAPH-FACTS §6.7): aud, iss, tid, oid, scp, wids, upn, name, appid, idtyp.
func (s *signer) delegatedAccessToken(t *Tenant, u *User, clientID string, scopes []string, now time.Time) (string, error) {
	wids := append([]string{}, u.Roles...)
	wids = append(wids, roleDefaultUser)
	return s.sign(jwt.MapClaims{
		"aud": graphAudience, "iss": "https://sts.windows.net/" + t.ID + "/",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(tokenLifetime).Unix(),
		"tid": t.ID, "oid": u.ID, "sub": deterministicGUID(u.ID, clientID),
		"upn": u.UserPrincipalName, "unique_name": u.UserPrincipalName, "name": u.DisplayName,
		"given_name": u.GivenName, "family_name": u.Surname,
		"scp": strings.Join(scopes, " "), "wids": wids,
		"appid": clientID, "appidacr": "0", "idtyp": "user", "ver": "1.0",
		"uti": uuid.NewString(),
	})
}

// appAccessToken makes an app-only Graph token (client credentials). roles is
// omitted when nothing is assigned, as Entra does. acr is "1" for a secret, "2"
// for a certificate.
func (s *signer) appAccessToken(t *Tenant, sp *ServicePrincipal, roles []string, acr string, now time.Time) (string, error) {
	c := jwt.MapClaims{
		"aud": graphAudience, "iss": "https://sts.windows.net/" + t.ID + "/",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(tokenLifetime).Unix(),
		"tid": t.ID, "oid": sp.ID, "sub": sp.ID,
		"appid": sp.AppID, "appidacr": acr, "idtyp": "app", "ver": "1.0",
		"uti": uuid.NewString(),
	}
	if len(roles) > 0 {
		c["roles"] = roles
	}
	return s.sign(c)
}

// idToken makes a v2 id_token for the client (aud = client id).
func (s *signer) idToken(issuer string, t *Tenant, u *User, clientID, nonce string, now time.Time) (string, error) {
	c := jwt.MapClaims{
		"aud": clientID, "iss": issuer,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(tokenLifetime).Unix(),
		"tid": t.ID, "oid": u.ID, "sub": deterministicGUID(u.ID, clientID, "id"),
		"preferred_username": u.UserPrincipalName, "name": u.DisplayName, "ver": "2.0",
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	return s.sign(c)
}

// clientInfo is base64url without padding, as MSAL decodes it (GRAPH-FACTS §6.7).
func clientInfo(uid, utid string) string {
	b, _ := json.Marshal(map[string]string{"uid": uid, "utid": utid})
	return base64.RawURLEncoding.EncodeToString(b)
}
