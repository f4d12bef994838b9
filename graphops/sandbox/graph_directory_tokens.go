package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// MintUserTokenWith issues a delegated Graph token for upn like
// IssueUserToken, then overrides claims (a nil value deletes one) and signs
// the result with the sandbox's key. Tests use it for tokens the token
// endpoint would never hand out: expired ("exp" in the past), another
// audience, a missing scp.
func (s *Server) MintUserTokenWith(upn string, scopes []string, override map[string]any) (string, error) {
	raw, err := s.IssueUserToken(upn, "", scopes...)
	if err != nil {
		return "", err
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("sandbox: unexpected token shape")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	claims := jwt.MapClaims{}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", err
	}
	for k, v := range override {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	return s.signer.sign(claims)
}
