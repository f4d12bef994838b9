package sandbox

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The directory APIs the wizard drives: app registrations and their
// credentials, service principals, application-permission consent
// (appRoleAssignedTo), delegated grants, the tenant app management policy, and
// the reads that tell the wizard who is signed in (organization, domains, me,
// directory roles, PIM eligibility). Shapes, permissions and error texts follow
// Microsoft Graph v1.0 (shared/GRAPH-FACTS.md §1–5); handlers live in
// graph_directory_*.go. Identifiers in these files start with "entra" so they
// cannot clash with the other Graph files of this package.

// Permission sets, per API reference page (least privileged first).
var (
	entraPermAppRead = Perm{
		Delegated:   []string{"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"},
		Application: []string{"Application.Read.All", "Application.ReadWrite.OwnedBy", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"},
	}
	// Create, update, delete, addPassword, removePassword of applications and
	// service principals (application-post-applications.md, application-update.md,
	// application-addpassword.md, application-removepassword.md).
	entraPermAppWrite = Perm{
		Delegated:   []string{"Application.ReadWrite.All", "Directory.AccessAsUser.All"},
		Application: []string{"Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"},
	}
	// POST appRoleAssignedTo / appRoleAssignments: AppRoleAssignment.ReadWrite.All
	// AND (Application.Read.All or Directory.Read.All); the second half is
	// checked in the handler (serviceprincipal-post-approleassignedto.md).
	entraPermAssignWrite = Perm{
		Delegated:   []string{"AppRoleAssignment.ReadWrite.All"},
		Application: []string{"AppRoleAssignment.ReadWrite.All"},
	}
	// DELETE appRoleAssignedTo needs only AppRoleAssignment.ReadWrite.All.
	entraPermAssignDelete = entraPermAssignWrite
	entraPermGrantRead    = Perm{
		Delegated:   []string{"DelegatedPermissionGrant.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"},
		Application: []string{"DelegatedPermissionGrant.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"},
	}
	// oauth2permissiongrant-post.md.
	entraPermGrantWrite = Perm{
		Delegated:   []string{"DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"},
		Application: []string{"DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"},
	}
	// tenantappmanagementpolicy-get.md, appmanagementpolicy-list.md.
	entraPermAuthzPolicyRead = Perm{
		Delegated:   []string{"Policy.Read.All", "Policy.ReadWrite.Authorization"},
		Application: []string{"Policy.Read.All", "Policy.ReadWrite.Authorization"},
	}
	entraPermPolicyRead = Perm{
		Delegated:   []string{"Policy.Read.All", "Policy.Read.ApplicationConfiguration", "Policy.ReadWrite.ApplicationConfiguration"},
		Application: []string{"Policy.Read.All", "Policy.Read.ApplicationConfiguration", "Policy.ReadWrite.ApplicationConfiguration"},
	}
	// organization-get.md: User.Read is enough for a signed-in user.
	entraPermOrg = Perm{
		Delegated:   []string{"User.Read", "Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"},
		Application: []string{"Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All", "Directory.ReadWrite.All"},
	}
	// domain-list.md.
	entraPermDomains = Perm{
		Delegated:   []string{"Domain.Read.All", "Directory.Read.All", "Domain.ReadWrite.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"},
		Application: []string{"Domain.Read.All", "Directory.Read.All", "Domain.ReadWrite.All", "Directory.ReadWrite.All"},
	}
	// user-get.md and user-list-transitivememberof.md for the signed-in user.
	// Every application role is listed so any app-only call reaches the
	// handler and gets Graph's "/me request is only valid with delegated
	// authentication flow."
	entraPermMe = Perm{
		Delegated:   []string{"User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"},
		Application: entraAllGraphRoleValues(),
	}
	// unifiedroleeligibilityscheduleinstance-filterbycurrentuser.md. PIM
	// answers a missing permission with its own envelope, so every token with
	// some Graph permission reaches the handler, which checks entraPIMScopes.
	entraPermPIM = Perm{
		Delegated:   append(entraAllGraphScopeValues(), entraPIMScopes...),
		Application: append(entraAllGraphRoleValues(), entraPIMScopes...),
	}
)

// entraPIMScopes allow reading the caller's role eligibilities.
var entraPIMScopes = []string{"RoleEligibilitySchedule.Read.Directory", "RoleManagement.Read.Directory", "RoleManagement.Read.All", "RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.ReadWrite.Directory"}

func entraAllGraphScopeValues() []string {
	out := []string{"Mail.Read", "Mail.ReadWrite", "User.ReadBasic.All", "User.ReadWrite", "Group.Read.All", "GroupMember.Read.All"}
	for _, s := range graphScopes() {
		out = append(out, s.Value)
	}
	return out
}

func entraAllGraphRoleValues() []string {
	var out []string
	for _, r := range graphAppRoles() {
		out = append(out, r.Value)
	}
	return out
}

// Messages of the directory APIs (Graph's own words; GRAPH-FACTS §5.2 and the
// sources named in graph_directory_*.go).
const (
	msgEntraDuplicateSPN          = "Another object with the same value for property servicePrincipalNames already exists."
	msgEntraPermissionNotFound    = "Permission being assigned was not found on application."
	msgEntraNewPasswordViaActions = "New password credentials must be generated with service actions."
	msgEntraOwnedByLocalTenant    = "When using this permission, the backing application of the service principal being created must in the local tenant"
	msgEntraMeDelegatedOnly       = "/me request is only valid with delegated authentication flow."
	msgEntraKeyEndDateInvalid     = "Key credential end date is invalid."
	msgEntraKeyUsageInvalid       = "The value for the property \"usage\" in one of your credentials is invalid. Acceptable values are Sign, Verify."
	msgEntraGrantExists           = "Permission entry already exists."
)

func msgEntraNoPasswordKeyID(keyID string) string {
	return fmt.Sprintf("No password credential found with keyId %s.", keyID)
}

func msgEntraLifetimePolicy(policyID string) string {
	return fmt.Sprintf("Credential lifetime exceeds the max value allowed as per assigned policy '%s'.", policyID)
}

func msgEntraInvalidValue(prop, resource string) string {
	return fmt.Sprintf("Invalid value specified for property '%s' of resource '%s'.", prop, resource)
}

// routeDirectory registers the directory APIs (applications, servicePrincipals,
// appRoleAssignedTo, policies, organization, domains, me) on s.graphMux.
func (s *Server) routeDirectory() {
	// Applications. A path like /applications(appId='…') reaches these
	// patterns as /applications/(appId='…') (graph.go normalisePath).
	s.graphRoute("POST /v1.0/applications", entraPermAppWrite, s.entraCreateApp)
	s.graphRoute("GET /v1.0/applications", entraPermAppRead, s.entraListApps)
	s.graphRoute("GET /v1.0/applications/{id}", entraPermAppRead, s.entraGetApp)
	s.graphRoute("PATCH /v1.0/applications/{id}", entraPermAppWrite, s.entraPatchApp)
	s.graphRoute("DELETE /v1.0/applications/{id}", entraPermAppWrite, s.entraDeleteApp)
	s.graphRoute("POST /v1.0/applications/{id}/addPassword", entraPermAppWrite, s.entraAddPassword)
	s.graphRoute("POST /v1.0/applications/{id}/removePassword", entraPermAppWrite, s.entraRemovePassword)
	s.graphRoute("GET /v1.0/applications/{id}/owners", entraPermAppRead, s.entraListAppOwners)

	// Service principals and consent.
	s.graphRoute("POST /v1.0/servicePrincipals", entraPermAppWrite, s.entraCreateSP)
	s.graphRoute("GET /v1.0/servicePrincipals", entraPermAppRead, s.entraListSPs)
	s.graphRoute("GET /v1.0/servicePrincipals/{id}", entraPermAppRead, s.entraGetSP)
	s.graphRoute("DELETE /v1.0/servicePrincipals/{id}", entraPermAppWrite, s.entraDeleteSP)
	s.graphRoute("POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo", entraPermAssignWrite, s.entraAssignResourceSide)
	s.graphRoute("GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo", entraPermAppRead, s.entraListAssignedTo)
	s.graphRoute("GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo/{aid}", entraPermAppRead, s.entraGetAssignedTo)
	s.graphRoute("DELETE /v1.0/servicePrincipals/{id}/appRoleAssignedTo/{aid}", entraPermAssignDelete, s.entraDeleteAssignedTo)
	s.graphRoute("POST /v1.0/servicePrincipals/{id}/appRoleAssignments", entraPermAssignWrite, s.entraAssignClientSide)
	s.graphRoute("GET /v1.0/servicePrincipals/{id}/appRoleAssignments", entraPermAppRead, s.entraListAssignments)
	s.graphRoute("DELETE /v1.0/servicePrincipals/{id}/appRoleAssignments/{aid}", entraPermAssignDelete, s.entraDeleteAssignment)
	s.graphRoute("POST /v1.0/oauth2PermissionGrants", entraPermGrantWrite, s.entraCreateGrant)
	s.graphRoute("GET /v1.0/oauth2PermissionGrants", entraPermGrantRead, s.entraListGrants)
	s.graphRoute("GET /v1.0/oauth2PermissionGrants/{id}", entraPermGrantRead, s.entraGetGrant)
	s.graphRoute("PATCH /v1.0/oauth2PermissionGrants/{id}", entraPermGrantWrite, s.entraPatchGrant)
	s.graphRoute("DELETE /v1.0/oauth2PermissionGrants/{id}", entraPermGrantWrite, s.entraDeleteGrant)

	// Tenant app management policy.
	s.graphRoute("GET /v1.0/policies/defaultAppManagementPolicy", entraPermPolicyRead, s.entraGetDefaultPolicy)
	s.graphRoute("GET /v1.0/policies/appManagementPolicies", entraPermPolicyRead, s.entraListAppPolicies)
	s.graphRoute("GET /v1.0/policies/authorizationPolicy", entraPermAuthzPolicyRead, s.entraGetAuthorizationPolicy)

	// Who is signed in, and where.
	s.graphRoute("GET /v1.0/organization", entraPermOrg, s.entraListOrganization)
	s.graphRoute("GET /v1.0/organization/{id}", entraPermOrg, s.entraGetOrganization)
	s.graphRoute("GET /v1.0/domains", entraPermDomains, s.entraListDomains)
	s.graphRoute("GET /v1.0/domains/{id}", entraPermDomains, s.entraGetDomain)
	s.graphRoute("GET /v1.0/me", entraPermMe, s.entraGetMe)
	for _, rel := range []string{"memberOf", "transitiveMemberOf"} {
		s.graphRoute("GET /v1.0/me/"+rel, entraPermMe, s.entraMyMemberships(""))
		// OData casts: Graph accepts the namespace and its alias "graph", which
		// msgraph-sdk-go uses (…/transitiveMemberOf/graph.directoryRole).
		for _, ns := range []string{"microsoft.graph.", "graph."} {
			s.graphRoute("GET /v1.0/me/"+rel+"/"+ns+"directoryRole", entraPermMe, s.entraMyMemberships("directoryRole"))
			s.graphRoute("GET /v1.0/me/"+rel+"/"+ns+"group", entraPermMe, s.entraMyMemberships("group"))
		}
	}
	s.graphRoute("GET /v1.0/roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser/{on}", entraPermPIM, s.entraMyEligibleRoles)
}

// --- authorization beyond scopes ---------------------------------------------

// entraAppAdminRoles may manage every app registration and enterprise app.
var entraAppAdminRoles = []string{RoleGlobalAdministrator, RoleApplicationAdministrator, RoleCloudApplicationAdministrator}

// entraAppCreatorRoles may register apps whatever "Users can register
// applications" says (the SaaS connector guide's list).
var entraAppCreatorRoles = []string{RoleGlobalAdministrator, RoleApplicationAdministrator, RoleCloudApplicationAdministrator, RoleApplicationDeveloper}

// entraMayCreateApp: an app-only caller with the permission, or a user the
// tenant lets register apps.
func (q *Req) entraMayCreateApp() bool {
	return q.User == nil || q.T.UsersCanRegisterApps || q.UserHasAnyRole(entraAppCreatorRoles...)
}

// entraCallerID is the object id of the caller: the signed-in user, or the
// client service principal of an app-only token.
func (q *Req) entraCallerID() string {
	if q.User != nil {
		return q.User.ID
	}
	return q.Claims.ObjectID
}

// entraHasAny reports whether the token carries one of the permissions (scopes
// for a user token, roles for an app-only token).
func (q *Req) entraHasAny(perms ...string) bool {
	have := q.Claims.Scopes
	if q.Claims.IsApp() {
		have = q.Claims.Roles
	}
	for _, h := range have {
		for _, p := range perms {
			if strings.EqualFold(h, p) {
				return true
			}
		}
	}
	return false
}

// entraMayManage reports whether the caller may modify an object with these
// owners. Delegated: an owner, or an application administrator role (the
// directory enforces this on top of the scope). App-only: Application.ReadWrite.All,
// or Application.ReadWrite.OwnedBy and being an owner.
func (q *Req) entraMayManage(owners []string) bool {
	isOwner := false
	for _, o := range owners {
		if strings.EqualFold(o, q.entraCallerID()) {
			isOwner = true
		}
	}
	if q.Claims.IsApp() {
		return isOwner || q.entraHasAny("Application.ReadWrite.All")
	}
	return isOwner || q.UserHasAnyRole(entraAppAdminRoles...)
}

// --- replication lag ---------------------------------------------------------

// entraAppLagging reports whether a new application is still invisible to
// other replicas (Behaviour.AppReplicationLag). Callers hold s.mu.
func (s *Server) entraAppLagging(a *Application, now time.Time) bool {
	return s.behaviour.AppReplicationLag > 0 && now.Sub(a.created) < s.behaviour.AppReplicationLag
}

// entraSPLagging reports whether a new service principal cannot yet be the
// principal of an app role assignment (Behaviour.SPReplicationLag).
func (s *Server) entraSPLagging(sp *ServicePrincipal, now time.Time) bool {
	return s.behaviour.SPReplicationLag > 0 && now.Sub(sp.created) < s.behaviour.SPReplicationLag
}

// --- lookups -------------------------------------------------------------------

// entraFindApp resolves a key from the path: id, appId or uniqueName.
func entraFindApp(t *Tenant, prop, value string) *Application {
	switch strings.ToLower(prop) {
	case "id":
		if a := t.Apps[strings.ToLower(value)]; a != nil {
			return a
		}
		for _, a := range t.Apps {
			if strings.EqualFold(a.ID, value) {
				return a
			}
		}
	case "appid":
		return t.AppByAppID(value)
	case "uniquename":
		for _, a := range t.Apps {
			if a.UniqueName != "" && strings.EqualFold(a.UniqueName, value) {
				return a
			}
		}
	}
	return nil
}

// entraFindSP resolves a service principal key: id or appId.
func entraFindSP(t *Tenant, prop, value string) *ServicePrincipal {
	switch strings.ToLower(prop) {
	case "id":
		if sp := t.SPs[strings.ToLower(value)]; sp != nil {
			return sp
		}
		for _, sp := range t.SPs {
			if strings.EqualFold(sp.ID, value) {
				return sp
			}
		}
	case "appid":
		return t.SPByAppID(value)
	}
	return nil
}

// --- identifiers -----------------------------------------------------------------

// entraGUIDBytes is a GUID in .NET's byte order (the first three groups
// little-endian), which is how Entra composes its base64url ids: an app role
// assignment id begins with its principal, a delegated grant id is
// client+resource(+principal) (compare the ids in GRAPH-FACTS §3.1 and §3.5).
func entraGUIDBytes(s string) []byte {
	u, err := uuid.Parse(s)
	if err != nil {
		return make([]byte, 16)
	}
	b := u[:]
	return []byte{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]}
}

// entraAssignmentID is a 43-character base64url id that starts with the
// principal's GUID bytes, like "-WmtM5na7Uus0D8kI1yylpU9Mdo0Pb9OoBJvd3T5eKc"
// for principal 33ad69f9-da99-4bed-acd0-3f24235cb296.
func entraAssignmentID(principalID string) string {
	r := uuid.New()
	return base64.RawURLEncoding.EncodeToString(append(entraGUIDBytes(principalID), r[:]...))
}

// entraGrantID is client+resource(+principal) bytes in base64url: 43
// characters for AllPrincipals, 64 for a single principal.
func entraGrantID(clientID, resourceID, principalID string) string {
	b := append(entraGUIDBytes(clientID), entraGUIDBytes(resourceID)...)
	if principalID != "" {
		b = append(b, entraGUIDBytes(principalID)...)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// --- rendering and paging ------------------------------------------------------

// entraTime renders a timestamp with 7 fractional digits, as directory
// objects carry them ("2019-09-17T19:10:35.2742618Z").
func entraTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

// entraStrings renders a string list, never null.
func entraStrings(s []string) []string { return nonNil(append([]string(nil), s...)) }

// entraSelected reports whether $select names prop.
func (q *Req) entraSelected(prop string) bool {
	for _, f := range strings.Split(q.R.URL.Query().Get("$select"), ",") {
		if strings.EqualFold(strings.TrimSpace(f), prop) {
			return true
		}
	}
	return false
}

// entraList answers a directory collection: $filter over the rendered
// objects, $select, $top (default 100, at most 999) with an opaque $skiptoken
// in @odata.nextLink, and @odata.count when $count=true comes with
// ConsistencyLevel: eventual (Graph's advanced queries; without the header
// the count is not returned).
func (q *Req) entraList(contextFragment string, items []map[string]any) {
	filter, ok := q.Filter()
	if !ok {
		return
	}
	var kept []map[string]any
	for _, it := range items {
		if filter == nil || filter.Match(it) {
			kept = append(kept, it)
		}
	}
	qs := q.R.URL.Query()
	top := 100
	if t := qs.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > 999 {
			q.Error(http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and 999 inclusive.", t))
			return
		}
		top = n
	}
	skip := 0
	if tok := qs.Get("$skiptoken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, entraSkipPrefix))
		if err != nil || n < 0 || !strings.HasPrefix(tok, entraSkipPrefix) {
			q.Error(http.StatusBadRequest, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
			return
		}
		skip = n
	}
	skip = min(skip, len(kept))
	end := min(skip+top, len(kept))
	page := make([]map[string]any, 0, end-skip)
	for _, it := range kept[skip:end] {
		page = append(page, q.Select(it))
	}
	if sel := qs.Get("$select"); sel != "" && !strings.Contains(contextFragment, "(") {
		contextFragment += "(" + sel + ")"
	}
	body := map[string]any{"@odata.context": q.Context(contextFragment), "value": page}
	if strings.EqualFold(qs.Get("$count"), "true") && strings.EqualFold(strings.TrimSpace(q.R.Header.Get("ConsistencyLevel")), "eventual") {
		body["@odata.count"] = len(kept)
	}
	if end < len(kept) {
		next := *q.R.URL
		nq := next.Query()
		nq.Set("$skiptoken", entraSkipPrefix+strconv.Itoa(end))
		nq.Del("$top")
		if qs.Get("$top") != "" {
			nq.Set("$top", strconv.Itoa(top))
		}
		next.RawQuery = nq.Encode()
		body["@odata.nextLink"] = "https://" + q.R.Host + next.RequestURI()
	}
	q.JSON(http.StatusOK, body)
}

// entraSkipPrefix makes $skiptoken values opaque, like Graph's.
const entraSkipPrefix = "RFNwdAIAAQAAAB"

// entraEntity answers one object with its @odata.context, honouring $select.
func (q *Req) entraEntity(status int, set string, obj map[string]any) {
	out := q.Select(obj)
	out["@odata.context"] = q.Context(set + q.SelectFragment() + "/$entity")
	q.JSON(status, out)
}

// entraSortByCreated orders objects oldest first, then by id, so paging is stable.
func entraSortByCreated[T any](xs []T, created func(T) time.Time, id func(T) string) {
	sort.SliceStable(xs, func(i, j int) bool {
		ci, cj := created(xs[i]), created(xs[j])
		if !ci.Equal(cj) {
			return ci.Before(cj)
		}
		return id(xs[i]) < id(xs[j])
	})
}
