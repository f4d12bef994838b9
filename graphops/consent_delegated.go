package graphops

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/oauth2permissiongrants"
)

// GrantDelegatedConsent grants Microsoft Graph delegated permissions (a
// profile's, e.g. the SaaS connector's offline_access) for the whole
// organization, as the portal's "Grant admin consent for <org>" does: one
// AllPrincipals oauth2PermissionGrant from the app's service principal to
// Microsoft Graph, created, or widened when one exists (its other scopes are
// kept). Needs DelegatedPermissionGrant.ReadWrite.All (NeedDelegatedConsent).
func (s *Session) GrantDelegatedConsent(ctx context.Context, app *App, plan *Plan, scopes []string, org string) ([]Grant, error) {
	var want []Permission
	for _, v := range scopes {
		p, ok := plan.Graph.Scope(v)
		if !ok {
			return nil, &Error{Kind: KindInput, Field: "permissions", Message: fmt.Sprintf("Microsoft Graph in this tenant has no delegated permission named %s.", v)}
		}
		want = append(want, p)
	}
	if len(want) == 0 {
		return nil, nil
	}
	var existing models.OAuth2PermissionGrantable
	if !app.Created {
		filter := fmt.Sprintf("clientId eq '%s' and consentType eq 'AllPrincipals' and resourceId eq '%s'", app.ServicePrincipalID, plan.Graph.ServicePrincipalID)
		got, err := s.Graph.Oauth2PermissionGrants().Get(ctx, &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetRequestConfiguration{
			QueryParameters: &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetQueryParameters{Filter: &filter}})
		if err != nil {
			return nil, delegatedConsentError(err)
		}
		if list := got.GetValue(); len(list) > 0 {
			existing = list[0]
		}
	}
	var have []string
	if existing != nil {
		have = strings.Fields(deref(existing.GetScope()))
	}
	scope := slices.Clone(have)
	for _, p := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, p.Value) }) {
			scope = append(scope, p.Value)
		}
	}
	joined := strings.Join(scope, " ")
	err := retryUntil(ctx, "Waiting for Entra to replicate the app's service principal", appPatience, isReplicationLag, func() error {
		switch {
		case existing == nil:
			body := models.NewOAuth2PermissionGrant()
			all := "AllPrincipals"
			body.SetClientId(&app.ServicePrincipalID)
			body.SetConsentType(&all)
			body.SetResourceId(&plan.Graph.ServicePrincipalID)
			body.SetScope(&joined)
			created, err := s.Graph.Oauth2PermissionGrants().Post(ctx, body, nil)
			if err == nil {
				existing = created
			}
			return err
		case len(scope) > len(have):
			body := models.NewOAuth2PermissionGrant()
			body.SetScope(&joined)
			_, err := s.Graph.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(deref(existing.GetId())).Patch(ctx, body, nil)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, delegatedConsentError(err)
	}
	var out []Grant
	for _, p := range want {
		out = append(out, Grant{Permission: p, Granted: true, AssignmentID: deref(existing.GetId())})
	}
	return out, nil
}

func delegatedConsentError(err error) error {
	e, ok := AsError(fromGraph(err, "Granting admin consent to delegated permissions"))
	if ok && e.Kind == KindPermission {
		e.Message = "This account cannot grant admin consent to Microsoft Graph delegated permissions."
		e.NextStep = "Sign in as a Global Administrator, or send one the admin consent link: it grants both kinds of permission."
	}
	if ok {
		return e
	}
	return err
}
