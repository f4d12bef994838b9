package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// IssueUserToken mints a delegated Graph access token for a seeded user, exactly
// as the token endpoint would after sign-in, for tests that exercise Graph
// without going through a sign-in flow. scopes are short Graph scope values
// ("Application.ReadWrite.All"); clientID defaults to Microsoft Graph Command
// Line Tools.
func (s *Server) IssueUserToken(upn, clientID string, scopes ...string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.order {
		if u := t.UserByIDOrUPN(upn); u != nil {
			if clientID == "" {
				clientID = GraphCommandLineToolsAppID
			}
			return s.signer.delegatedAccessToken(t, u, clientID, scopes, time.Now())
		}
	}
	return "", fmt.Errorf("sandbox: no user %q", upn)
}

// IssueAppToken mints an app-only Graph token for the app with appID, carrying
// the roles currently assigned to its service principal (ConsentLag respected),
// as client credentials would. The app needs a service principal.
func (s *Server) IssueAppToken(tenantID, appID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.order[0]
	if tenantID != "" {
		t = s.tenantByKey(tenantID)
	}
	if t == nil {
		return "", fmt.Errorf("sandbox: no tenant %q", tenantID)
	}
	sp := t.SPByAppID(appID)
	if sp == nil {
		return "", fmt.Errorf("sandbox: app %q has no service principal in %s", appID, t.ID)
	}
	return s.signer.appAccessToken(t, sp, s.effectiveRoles(t, sp, time.Now()), "1", time.Now())
}

// effectiveRoles lists the Graph app roles of sp that a token issued now carries:
// assignments younger than ConsentLag are not visible yet. Callers hold s.mu.
func (s *Server) effectiveRoles(t *Tenant, sp *ServicePrincipal, now time.Time) []string {
	var out []string
	for _, a := range t.Assignments {
		if a.PrincipalID != sp.ID || a.ResourceID != t.GraphSP.ID {
			continue
		}
		if now.Sub(a.CreatedDateTime) < s.behaviour.ConsentLag {
			continue
		}
		for _, r := range t.GraphSP.AppRoles {
			if strings.EqualFold(r.ID, a.AppRoleID) {
				out = append(out, r.Value)
			}
		}
	}
	return out
}
