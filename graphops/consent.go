package graphops

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Grant is one application permission's consent state.
type Grant struct {
	Permission   Permission
	Granted      bool
	AssignmentID string
}

// ConsentReport is the outcome of admin consent, read back from Entra.
type ConsentReport struct {
	Organization string
	Grants       []Grant
	Revoked      []string // permission values whose grant was removed
}

// Status is the portal's wording for a grant, e.g. "Granted for Contoso".
func (r *ConsentReport) Status(g Grant) string {
	if g.Granted {
		return "Granted for " + r.Organization
	}
	return "Not granted for " + r.Organization
}

// AllGranted reports whether every wanted permission is granted.
func (r *ConsentReport) AllGranted() bool {
	for _, g := range r.Grants {
		if !g.Granted {
			return false
		}
	}
	return true
}

// GrantAdminConsent grants the app's service principal each wanted Microsoft
// Graph application permission (appRoleAssignedTo on the Graph service
// principal), in one $batch with a read-back of the result, and revokes grants
// of Graph permissions no longer wanted when revoke is set. Grants that exist
// are kept, never duplicated. Replication errors right after the service
// principal was created are retried with a deadline.
func (s *Session) GrantAdminConsent(ctx context.Context, app *App, plan *Plan, want []string, org string, revoke bool) (*ConsentReport, error) {
	report := &ConsentReport{Organization: org}
	wanted := map[string]Permission{}
	for _, w := range want {
		p, ok := plan.Graph.Role(w)
		if !ok {
			return nil, &Error{Kind: KindInput, Field: "permissions", Message: fmt.Sprintf("Microsoft Graph in this tenant has no application permission named %s.", w)}
		}
		wanted[strings.ToLower(p.ID)] = p
	}
	existing := map[string]string{} // appRoleId -> assignment id
	if !app.Created {
		got, err := s.Graph.ServicePrincipals().ByServicePrincipalId(app.ServicePrincipalID).AppRoleAssignments().Get(ctx, nil)
		if err != nil {
			return nil, fromGraph(err, "Reading the app's current permissions")
		}
		for _, a := range got.GetValue() {
			if a.GetResourceId() != nil && strings.EqualFold(a.GetResourceId().String(), plan.Graph.ServicePrincipalID) && a.GetAppRoleId() != nil {
				existing[strings.ToLower(a.GetAppRoleId().String())] = deref(a.GetId())
			}
		}
	}
	principal, err := uuid.Parse(app.ServicePrincipalID)
	if err != nil {
		return nil, &Error{Kind: KindInternal, Message: "The app's service principal id is not a GUID."}
	}
	resource, _ := uuid.Parse(plan.Graph.ServicePrincipalID)
	pending := map[string]Permission{}
	for id, p := range wanted {
		if _, ok := existing[id]; !ok {
			pending[id] = p
		}
	}
	var toRevoke []string
	if revoke {
		for id := range existing {
			if _, ok := wanted[id]; !ok {
				toRevoke = append(toRevoke, id)
			}
		}
	}
	sort.Strings(toRevoke)
	graphSP := s.Graph.ServicePrincipals().ByServicePrincipalId(plan.Graph.ServicePrincipalID)
	var readBack models.AppRoleAssignmentCollectionResponseable
	err = retryUntil(ctx, "Waiting for Entra to replicate the app's service principal", appPatience, isReplicationLag, func() error {
		b := newBatch(s.adapter)
		var keys []string
		for _, id := range sortedIDs(pending) {
			p := pending[id]
			roleID := uuid.MustParse(p.ID)
			body := models.NewAppRoleAssignment()
			body.SetPrincipalId(&principal)
			body.SetResourceId(&resource)
			body.SetAppRoleId(&roleID)
			key := "grant:" + id
			if err := b.add(key, step(graphSP.AppRoleAssignedTo().ToPostRequestInformation(ctx, body, nil))); err != nil {
				return err
			}
			keys = append(keys, key)
		}
		for _, id := range toRevoke {
			key := "revoke:" + id
			if err := b.add(key, step(graphSP.AppRoleAssignedTo().ByAppRoleAssignmentId(existing[id]).ToDeleteRequestInformation(ctx, nil))); err != nil {
				return err
			}
			keys = append(keys, key)
		}
		// Read back what Entra now holds, after the writes (dependsOn keeps order).
		if err := b.add("readback", step(s.Graph.ServicePrincipals().ByServicePrincipalId(app.ServicePrincipalID).AppRoleAssignments().ToGetRequestInformation(ctx, nil)), keys...); err != nil {
			return err
		}
		res, err := b.send(ctx)
		if err != nil {
			return err
		}
		var retry error
		for _, key := range keys {
			id := key[strings.Index(key, ":")+1:]
			st := res.status(key)
			switch {
			case st == 201 || st == 204:
				delete(pending, id)
				if strings.HasPrefix(key, "revoke:") {
					toRevoke = slices.DeleteFunc(toRevoke, func(x string) bool { return x == id })
					if p, ok := plan.Graph.RoleByID(id); ok {
						report.Revoked = append(report.Revoked, p.Value)
					}
				}
			case strings.HasPrefix(key, "revoke:") && st == 404:
				toRevoke = slices.DeleteFunc(toRevoke, func(x string) bool { return x == id }) // already gone
			default:
				_, ferr := batchParse[models.AppRoleAssignmentable](res, key, models.CreateAppRoleAssignmentFromDiscriminatorValue)
				if _, msg, _ := graphCode(ferr); st == 400 && strings.Contains(msg, "already exists") {
					delete(pending, id) // granted by someone else meanwhile: keep it
					continue
				}
				if ferr == nil {
					ferr = fmt.Errorf("unexpected status %d", st)
				}
				if !isReplicationLag(ferr) {
					return ferr
				}
				retry = ferr
			}
		}
		if retry != nil {
			return retry
		}
		if res.status("readback") == 200 {
			readBack, err = batchParse[models.AppRoleAssignmentCollectionResponseable](res, "readback", models.CreateAppRoleAssignmentCollectionResponseFromDiscriminatorValue)
			return err
		}
		return nil
	})
	if err != nil {
		if e, ok := AsError(fromGraph(err, "Granting admin consent")); ok && e.Kind == KindPermission {
			e.Message = "This account cannot grant admin consent to Microsoft Graph application permissions."
			e.NextStep = "Sign in as a Global Administrator or Privileged Role Administrator, or send them the admin consent link."
			return nil, e
		}
		return nil, fromGraph(err, "Granting admin consent")
	}
	if readBack == nil {
		readBack, err = s.Graph.ServicePrincipals().ByServicePrincipalId(app.ServicePrincipalID).AppRoleAssignments().Get(ctx, nil)
		if err != nil {
			return nil, fromGraph(err, "Reading back the granted permissions")
		}
	}
	granted := map[string]string{}
	for _, a := range readBack.GetValue() {
		if a.GetAppRoleId() != nil && a.GetResourceId() != nil && strings.EqualFold(a.GetResourceId().String(), plan.Graph.ServicePrincipalID) {
			granted[strings.ToLower(a.GetAppRoleId().String())] = deref(a.GetId())
		}
	}
	for _, id := range sortedIDs(wanted) {
		aid, ok := granted[id]
		report.Grants = append(report.Grants, Grant{Permission: wanted[id], Granted: ok, AssignmentID: aid})
	}
	return report, nil
}

// ConsentedRoles reads which Graph application permissions the app holds now
// (to verify a consent the admin gave in the browser).
func (s *Session) ConsentedRoles(ctx context.Context, app *App, plan *Plan) ([]string, error) {
	got, err := s.Graph.ServicePrincipals().ByServicePrincipalId(app.ServicePrincipalID).AppRoleAssignments().Get(ctx, nil)
	if err != nil {
		return nil, fromGraph(err, "Reading the app's permissions")
	}
	var out []string
	for _, a := range got.GetValue() {
		if a.GetAppRoleId() == nil || a.GetResourceId() == nil || !strings.EqualFold(a.GetResourceId().String(), plan.Graph.ServicePrincipalID) {
			continue
		}
		if p, ok := plan.Graph.RoleByID(a.GetAppRoleId().String()); ok {
			out = append(out, p.Value)
		}
	}
	sort.Strings(out)
	return out, nil
}

// RevokeAppRoles removes the app's Entra grants of just these Graph
// application permissions and keeps every other grant: the remedy Test
// Settings names when, with RBAC for Applications, the app still holds
// Mail.Send (or another Exchange permission) in Entra ID and so reaches every
// mailbox (ScopingResult.EntraGrants). It reads what the app holds and lets
// GrantAdminConsent revoke the rest in one $batch, with its read-back. The
// app's requested permissions (requiredResourceAccess) are not changed; the
// wizard's RBAC flow leaves the Exchange permissions out of them already.
func (s *Session) RevokeAppRoles(ctx context.Context, app *App, plan *Plan, permissions []string, org string) (*ConsentReport, error) {
	held, err := s.ConsentedRoles(ctx, app, plan)
	if err != nil {
		return nil, err
	}
	var keep []string
	for _, h := range held {
		if !slices.ContainsFunc(permissions, func(p string) bool { return strings.EqualFold(p, h) }) {
			keep = append(keep, h)
		}
	}
	return s.GrantAdminConsent(ctx, app.WithGrantsRead(), plan, keep, org, true)
}

func sortedIDs(m map[string]Permission) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return m[out[i]].Value < m[out[j]].Value })
	return out
}
