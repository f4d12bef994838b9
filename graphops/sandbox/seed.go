package sandbox

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// SeedApp arranges, directly in the model, a single-tenant app with a service
// principal that was granted the given Microsoft Graph application permissions
// an hour ago (so no lag applies), as if an admin had set it up by hand. It
// returns the app's appId. tenantID "" means the primary tenant.
func (s *Server) SeedApp(tenantID, name string, roles ...string) (string, error) {
	appID := uuid.NewString()
	var missing []string
	err := s.Tenant(tenantID, func(tn *Tenant) {
		past := time.Now().Add(-time.Hour)
		app := &Application{ID: uuid.NewString(), AppID: appID, DisplayName: name,
			SignInAudience: "AzureADMyOrg", CreatedDateTime: past, PublisherDomain: tn.InitialDomain(), created: past}
		tn.Apps[app.ID] = app
		sp := &ServicePrincipal{ID: uuid.NewString(), AppID: appID, DisplayName: name, AppDisplayName: name,
			AppOwnerOrganizationID: tn.ID, AccountEnabled: true, ServicePrincipalType: "Application",
			ServicePrincipalNames: []string{appID}, created: past}
		tn.SPs[sp.ID] = sp
		for _, r := range roles {
			found := false
			for _, ar := range tn.GraphSP.AppRoles {
				if strings.EqualFold(ar.Value, r) {
					found = true
					tn.Assignments = append(tn.Assignments, &AppRoleAssignment{ID: entraAssignmentID(sp.ID),
						AppRoleID: ar.ID, PrincipalID: sp.ID, PrincipalDisplayName: name, PrincipalType: "ServicePrincipal",
						ResourceID: tn.GraphSP.ID, ResourceDisplayName: tn.GraphSP.DisplayName, CreatedDateTime: past})
				}
			}
			if !found {
				missing = append(missing, r)
			}
		}
	})
	if err != nil {
		return "", err
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("sandbox: Microsoft Graph has no application permission %s", strings.Join(missing, ", "))
	}
	return appID, nil
}
