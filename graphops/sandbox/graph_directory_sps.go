package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Service principals, app role assignments (application-permission consent)
// and delegated permission grants: GRAPH-FACTS §2 and §3.

// entraSPProps are the declared properties of microsoft.graph.servicePrincipal
// a request body may carry.
var entraSPProps = []string{
	"id", "deletedDateTime", "accountEnabled", "addIns", "alternativeNames", "appDescription", "appDisplayName", "appId",
	"applicationTemplateId", "appOwnerOrganizationId", "appRoleAssignmentRequired", "appRoles", "description",
	"disabledByMicrosoftStatus", "displayName", "homepage", "info", "keyCredentials", "loginUrl", "logoutUrl", "notes",
	"notificationEmailAddresses", "oauth2PermissionScopes", "passwordCredentials", "preferredSingleSignOnMode",
	"preferredTokenSigningKeyThumbprint", "replyUrls", "resourceSpecificApplicationPermissions", "samlSingleSignOnSettings",
	"servicePrincipalNames", "servicePrincipalType", "signInAudience", "tags", "tokenEncryptionKeyId", "verifiedPublisher",
}

// entraSPStored are declared properties kept as sent and rendered back.
var entraSPStored = map[string]bool{
	"alternativeNames": true, "appDescription": true, "description": true, "homepage": true, "loginUrl": true,
	"logoutUrl": true, "notes": true, "notificationEmailAddresses": true, "preferredSingleSignOnMode": true,
	"replyUrls": true, "samlSingleSignOnSettings": true, "info": true,
}

// entraRenderSP is the servicePrincipal as Graph returns it (GRAPH-FACTS §2.1,
// §2.2 for appRoles and oauth2PermissionScopes).
func (q *Req) entraRenderSP(sp *ServicePrincipal) map[string]any {
	roles := make([]map[string]any, 0, len(sp.AppRoles))
	for _, r := range sp.AppRoles {
		roles = append(roles, map[string]any{
			"allowedMemberTypes": entraStrings(r.AllowedMemberTypes), "description": r.Description,
			"displayName": r.DisplayName, "id": r.ID, "isEnabled": r.IsEnabled, "origin": r.Origin, "value": r.Value,
		})
	}
	scopes := make([]map[string]any, 0, len(sp.OAuth2PermissionScopes))
	for _, s := range sp.OAuth2PermissionScopes {
		scopes = append(scopes, map[string]any{
			"adminConsentDescription": s.AdminConsentDescription, "adminConsentDisplayName": s.AdminConsentDisplayName,
			"id": s.ID, "isEnabled": s.IsEnabled, "type": s.Type, "userConsentDescription": s.UserConsentDescription,
			"userConsentDisplayName": s.UserConsentDisplayName, "value": s.Value,
		})
	}
	publisher := q.T.DisplayName
	if sp.AppOwnerOrganizationID == microsoftTenantID {
		publisher = "Microsoft Services"
	}
	typ := sp.ServicePrincipalType
	if typ == "" {
		typ = "Application"
	}
	aud := sp.SignInAudience
	if aud == "" {
		aud = "AzureADMultipleOrgs"
	}
	obj := map[string]any{
		"id":                                     sp.ID,
		"deletedDateTime":                        nil,
		"accountEnabled":                         sp.AccountEnabled,
		"alternativeNames":                       []any{},
		"appDisplayName":                         strOrNil(sp.AppDisplayName),
		"appDescription":                         nil,
		"appId":                                  sp.AppID,
		"applicationTemplateId":                  nil,
		"appOwnerOrganizationId":                 strOrNil(sp.AppOwnerOrganizationID),
		"appRoleAssignmentRequired":              sp.AppRoleAssignmentRequired,
		"description":                            nil,
		"disabledByMicrosoftStatus":              nil,
		"displayName":                            sp.DisplayName,
		"homepage":                               nil,
		"loginUrl":                               nil,
		"logoutUrl":                              nil,
		"notes":                                  nil,
		"notificationEmailAddresses":             []any{},
		"preferredSingleSignOnMode":              nil,
		"preferredTokenSigningKeyThumbprint":     nil,
		"publisherName":                          publisher,
		"replyUrls":                              []any{},
		"samlSingleSignOnSettings":               nil,
		"servicePrincipalNames":                  entraStrings(sp.ServicePrincipalNames),
		"servicePrincipalType":                   typ,
		"signInAudience":                         aud,
		"tags":                                   entraStrings(sp.Tags),
		"tokenEncryptionKeyId":                   nil,
		"addIns":                                 []any{},
		"appRoles":                               roles,
		"info":                                   map[string]any{"logoUrl": nil, "marketingUrl": nil, "privacyStatementUrl": nil, "supportUrl": nil, "termsOfServiceUrl": nil},
		"keyCredentials":                         []any{},
		"oauth2PermissionScopes":                 scopes,
		"passwordCredentials":                    []any{},
		"resourceSpecificApplicationPermissions": []any{},
		"verifiedPublisher":                      map[string]any{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil},
	}
	for k, v := range sp.extra {
		obj[k] = v
	}
	return obj
}

// entraSPByKey resolves {id} (object id or appId) or answers 404.
func (q *Req) entraSPByKey() *ServicePrincipal {
	prop, val := q.Key("id")
	sp := entraFindSP(q.T, prop, val)
	if sp == nil {
		q.NotFound(val)
		return nil
	}
	return sp
}

// POST /servicePrincipals {appId} (GRAPH-FACTS §2.1, §5.2, §5.4).
func (s *Server) entraCreateSP(q *Req) {
	body, ok := q.Body("microsoft.graph.servicePrincipal", entraSPProps...)
	if !ok {
		return
	}
	var appID string
	if raw := body["appId"]; len(raw) > 0 {
		_ = json.Unmarshal(raw, &appID)
	}
	if appID == "" {
		q.BadRequest(msgEntraInvalidValue("appId", "ServicePrincipal"))
		return
	}
	now := time.Now()
	// The backing application: this tenant's, or a multi-tenant one elsewhere.
	app, home := q.T.AppByAppID(appID), q.T
	if app == nil {
		for _, t := range s.order {
			if a := t.AppByAppID(appID); a != nil && a.SignInAudience != "AzureADMyOrg" {
				app, home = a, t
			}
		}
	}
	ownedByOnly := q.Claims.IsApp() && !q.entraHasAny("Application.ReadWrite.All")
	if app == nil || s.entraAppLagging(app, now) {
		if ownedByOnly && app != nil {
			// Application.ReadWrite.OwnedBy right after creating the app
			// (terraform-provider-azuread#611: "usually due to the application
			// object not being fully replicated").
			q.Error(http.StatusForbidden, "Authorization_RequestDenied", msgEntraOwnedByLocalTenant)
			return
		}
		msg := msgNoBackingApplication(appID)
		q.BadRequest(msg, GraphErrorDetail{Code: "NoBackingApplicationObject", Message: msg, Target: "appId"})
		return
	}
	if q.T.SPByAppID(appID) != nil {
		q.Error(http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue", msgEntraDuplicateSPN)
		return
	}
	// Creating the enterprise app of an app registration: its owners or an
	// application administrator (delegated); OwnedBy needs ownership.
	if home == q.T && !q.entraMayManage(app.Owners) {
		q.Denied()
		return
	}
	if home != q.T && !q.Claims.IsApp() && !q.UserHasAnyRole(entraAppAdminRoles...) {
		q.Denied()
		return
	}
	sp := &ServicePrincipal{
		ID:                     uuid.NewString(),
		AppID:                  app.AppID,
		DisplayName:            app.DisplayName,
		AppDisplayName:         app.DisplayName,
		AppOwnerOrganizationID: home.ID,
		AccountEnabled:         true,
		ServicePrincipalType:   "Application",
		ServicePrincipalNames:  append([]string{app.AppID}, app.IdentifierURIs...),
		SignInAudience:         app.SignInAudience,
		created:                now,
		Owners:                 []string{q.entraCallerID()},
		extra:                  map[string]any{},
	}
	for k, raw := range body {
		switch k {
		case "accountEnabled":
			var v bool
			if json.Unmarshal(raw, &v) == nil {
				sp.AccountEnabled = v
			}
		case "appRoleAssignmentRequired":
			var v bool
			if json.Unmarshal(raw, &v) == nil {
				sp.AppRoleAssignmentRequired = v
			}
		case "tags":
			if json.Unmarshal(raw, &sp.Tags) != nil {
				q.BadRequest(msgEntraInvalidValue("tags", "ServicePrincipal"))
				return
			}
		case "displayName":
			var v string
			if json.Unmarshal(raw, &v) == nil && v != "" {
				sp.DisplayName = v
			}
		case "passwordCredentials", "keyCredentials":
			var v []any
			if json.Unmarshal(raw, &v) == nil && len(v) > 0 && k == "passwordCredentials" {
				q.BadRequest(msgEntraNewPasswordViaActions)
				return
			}
		default:
			if entraSPStored[k] {
				var v any
				if json.Unmarshal(raw, &v) == nil {
					sp.extra[k] = v
				}
			}
		}
	}
	q.T.SPs[sp.ID] = sp
	q.entraEntity(http.StatusCreated, "servicePrincipals", q.entraRenderSP(sp))
}

// GET /servicePrincipals with $filter (appId eq, displayName eq, …), $select, paging.
func (s *Server) entraListSPs(q *Req) {
	sps := make([]*ServicePrincipal, 0, len(q.T.SPs))
	for _, sp := range q.T.SPs {
		sps = append(sps, sp)
	}
	entraSortByCreated(sps, func(sp *ServicePrincipal) time.Time { return sp.created }, func(sp *ServicePrincipal) string { return sp.ID })
	items := make([]map[string]any, 0, len(sps))
	for _, sp := range sps {
		items = append(items, q.entraRenderSP(sp))
	}
	q.entraList("servicePrincipals", items)
}

// GET /servicePrincipals/{id} and /servicePrincipals(appId='…') (GRAPH-FACTS §2.2).
func (s *Server) entraGetSP(q *Req) {
	sp := q.entraSPByKey()
	if sp == nil {
		return
	}
	q.entraEntity(http.StatusOK, "servicePrincipals", q.entraRenderSP(sp))
}

// DELETE /servicePrincipals/{id}: 204. First-party (Microsoft) principals are
// not deletable here.
func (s *Server) entraDeleteSP(q *Req) {
	sp := q.entraSPByKey()
	if sp == nil {
		return
	}
	if sp.AppOwnerOrganizationID == microsoftTenantID || !q.entraMayManage(sp.Owners) {
		q.Denied()
		return
	}
	entraRemoveSP(q.T, sp)
	q.NoContent()
}

// entraRemoveSP deletes a service principal with the assignments and grants
// that reference it.
func entraRemoveSP(t *Tenant, sp *ServicePrincipal) {
	delete(t.SPs, sp.ID)
	kept := t.Assignments[:0]
	for _, a := range t.Assignments {
		if a.PrincipalID != sp.ID && a.ResourceID != sp.ID {
			kept = append(kept, a)
		}
	}
	t.Assignments = kept
	grants := t.Grants[:0]
	for _, g := range t.Grants {
		if g.ClientID != sp.ID && g.ResourceID != sp.ID {
			grants = append(grants, g)
		}
	}
	t.Grants = grants
}

// --- app role assignments ------------------------------------------------------

func entraRenderAssignment(a *AppRoleAssignment) map[string]any {
	return map[string]any{
		"id": a.ID, "deletedDateTime": nil, "appRoleId": a.AppRoleID, "createdDateTime": entraTime(a.CreatedDateTime),
		"principalDisplayName": a.PrincipalDisplayName, "principalId": a.PrincipalID, "principalType": a.PrincipalType,
		"resourceDisplayName": a.ResourceDisplayName, "resourceId": a.ResourceID,
	}
}

// entraAssignProps are the declared properties of microsoft.graph.appRoleAssignment.
var entraAssignProps = []string{"id", "deletedDateTime", "appRoleId", "createdDateTime", "principalDisplayName", "principalId", "principalType", "resourceDisplayName", "resourceId"}

// POST /servicePrincipals/{resource}/appRoleAssignedTo (GRAPH-FACTS §3.1).
func (s *Server) entraAssignResourceSide(q *Req) {
	sp := q.entraSPByKey()
	if sp == nil {
		return
	}
	s.entraAssign(q, sp, "appRoleAssignedTo", func(principalID, resourceID string) (string, bool) {
		if resourceID != "" && !strings.EqualFold(resourceID, sp.ID) {
			return "", false
		}
		return sp.ID, true
	})
}

// POST /servicePrincipals/{client}/appRoleAssignments (GRAPH-FACTS §3.3): the
// same assignment made from the client side; principalId must be the client.
func (s *Server) entraAssignClientSide(q *Req) {
	sp := q.entraSPByKey()
	if sp == nil {
		return
	}
	s.entraAssign(q, sp, "appRoleAssignments", func(principalID, resourceID string) (string, bool) {
		return resourceID, strings.EqualFold(principalID, sp.ID)
	})
}

// entraAssign creates an app role assignment. resolve checks the body's ids
// against the addressed principal and returns the resource id.
func (s *Server) entraAssign(q *Req, addressed *ServicePrincipal, nav string, resolve func(principalID, resourceID string) (string, bool)) {
	// AppRoleAssignment.ReadWrite.All AND Application.Read.All or Directory.Read.All.
	if !q.entraHasAny("Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All") {
		q.Denied()
		return
	}
	body, ok := q.Body("microsoft.graph.appRoleAssignment", entraAssignProps...)
	if !ok {
		return
	}
	var principalID, resourceID, appRoleID string
	for k, dst := range map[string]*string{"principalId": &principalID, "resourceId": &resourceID, "appRoleId": &appRoleID} {
		if raw := body[k]; len(raw) > 0 {
			if err := json.Unmarshal(raw, dst); err != nil {
				q.BadRequest(msgEntraInvalidValue(k, "AppRoleAssignment"))
				return
			}
		}
	}
	resourceID, ok = resolve(principalID, resourceID)
	if !ok || principalID == "" || resourceID == "" {
		q.BadRequest(msgOneOrMoreInvalid)
		return
	}
	resource := q.T.SPs[strings.ToLower(resourceID)]
	if resource == nil {
		q.NotFound(resourceID)
		return
	}
	// Granting Microsoft Graph app roles needs Global Administrator or
	// Privileged Role Administrator; Application and Cloud Application
	// Administrators may grant any other API's app roles (Entra "grant
	// tenant-wide admin consent"). Owners of the resource may assign its roles.
	if q.User != nil {
		allowed := q.UserHasAnyRole(RoleGlobalAdministrator, RolePrivilegedRoleAdministrator)
		if resource.ID != q.T.GraphSP.ID && resource.AppOwnerOrganizationID != microsoftTenantID {
			allowed = allowed || q.UserHasAnyRole(RoleApplicationAdministrator, RoleCloudApplicationAdministrator)
			for _, o := range resource.Owners {
				allowed = allowed || o == q.User.ID
			}
		}
		if !allowed {
			q.Denied()
			return
		}
	}
	now := time.Now()
	var principalName, principalType string
	if p := q.T.SPs[strings.ToLower(principalID)]; p != nil {
		// A principal created moments ago is not yet a valid reference
		// (GRAPH-FACTS §5.4): 400 "Not a valid reference update." or 404, alternately.
		if s.entraSPLagging(p, now) {
			p.lagAttempts++
			if p.lagAttempts%2 == 1 {
				q.BadRequest(msgNotValidReferenceUpdate)
			} else {
				q.NotFound(principalID)
			}
			return
		}
		principalName, principalType = p.DisplayName, "ServicePrincipal"
	} else if u := q.T.usersByID[strings.ToLower(principalID)]; u != nil {
		principalName, principalType = u.DisplayName, "User"
	} else if g := q.T.Groups[strings.ToLower(principalID)]; g != nil {
		principalName, principalType = g.DisplayName, "Group"
	} else {
		q.NotFound(principalID)
		return
	}
	found := appRoleID == "00000000-0000-0000-0000-000000000000" && principalType != "ServicePrincipal"
	for _, r := range resource.AppRoles {
		if strings.EqualFold(r.ID, appRoleID) && r.IsEnabled {
			found = true
		}
	}
	if !found {
		q.BadRequest(msgEntraPermissionNotFound)
		return
	}
	for _, a := range q.T.Assignments {
		if strings.EqualFold(a.PrincipalID, principalID) && a.ResourceID == resource.ID && strings.EqualFold(a.AppRoleID, appRoleID) {
			q.BadRequest(msgPermissionExists)
			return
		}
	}
	a := &AppRoleAssignment{
		ID:                   entraAssignmentID(principalID),
		AppRoleID:            strings.ToLower(appRoleID),
		PrincipalID:          strings.ToLower(principalID),
		PrincipalDisplayName: principalName,
		PrincipalType:        principalType,
		ResourceID:           resource.ID,
		ResourceDisplayName:  resource.DisplayName,
		CreatedDateTime:      now,
	}
	q.T.Assignments = append(q.T.Assignments, a)
	obj := entraRenderAssignment(a)
	obj["@odata.context"] = q.Context("servicePrincipals('" + addressed.ID + "')/" + nav + "/$entity")
	q.JSON(http.StatusCreated, obj)
}

// GET /servicePrincipals/{resource}/appRoleAssignedTo (GRAPH-FACTS §3.2).
func (s *Server) entraListAssignedTo(q *Req) {
	sp := q.entraSPByKey()
	if sp == nil {
		return
	}
	var items []map[string]any
	for _, a := range q.T.Assignments {
		if a.ResourceID == sp.ID {
			items = append(items, entraRenderAssignment(a))
		}
	}
	q.entraList("servicePrincipals('"+sp.ID+"')/appRoleAssignedTo", items)
}

// GET /servicePrincipals/{resource}/appRoleAssignedTo/{aid}.
func (s *Server) entraGetAssignedTo(q *Req) {
	sp := q.entraSPByKey()
	if sp == nil {
		return
	}
	aid := q.R.PathValue("aid")
	for _, a := range q.T.Assignments {
		if a.ResourceID == sp.ID && a.ID == aid {
			q.entraEntity(http.StatusOK, "servicePrincipals('"+sp.ID+"')/appRoleAssignedTo", entraRenderAssignment(a))
			return
		}
	}
	q.NotFound(aid)
}

// GET /servicePrincipals/{client}/appRoleAssignments: the roles granted to it.
func (s *Server) entraListAssignments(q *Req) {
	sp := q.entraSPByKey()
	if sp == nil {
		return
	}
	var items []map[string]any
	for _, a := range q.T.Assignments {
		if a.PrincipalID == sp.ID {
			items = append(items, entraRenderAssignment(a))
		}
	}
	q.entraList("servicePrincipals('"+sp.ID+"')/appRoleAssignments", items)
}

// DELETE /servicePrincipals/{resource}/appRoleAssignedTo/{aid} (GRAPH-FACTS §3.4).
func (s *Server) entraDeleteAssignedTo(q *Req) {
	s.entraDeleteAssignmentWhere(q, func(sp *ServicePrincipal, a *AppRoleAssignment) bool { return a.ResourceID == sp.ID })
}

// DELETE /servicePrincipals/{client}/appRoleAssignments/{aid}.
func (s *Server) entraDeleteAssignment(q *Req) {
	s.entraDeleteAssignmentWhere(q, func(sp *ServicePrincipal, a *AppRoleAssignment) bool { return a.PrincipalID == sp.ID })
}

func (s *Server) entraDeleteAssignmentWhere(q *Req, match func(*ServicePrincipal, *AppRoleAssignment) bool) {
	sp := q.entraSPByKey()
	if sp == nil {
		return
	}
	aid := q.R.PathValue("aid")
	for i, a := range q.T.Assignments {
		if a.ID != aid || !match(sp, a) {
			continue
		}
		if q.User != nil {
			allowed := q.UserHasAnyRole(RoleGlobalAdministrator, RolePrivilegedRoleAdministrator)
			if a.ResourceID != q.T.GraphSP.ID {
				allowed = allowed || q.UserHasAnyRole(RoleApplicationAdministrator, RoleCloudApplicationAdministrator)
			}
			if !allowed {
				q.Denied()
				return
			}
		}
		q.T.Assignments = append(q.T.Assignments[:i:i], q.T.Assignments[i+1:]...)
		q.NoContent()
		return
	}
	q.NotFound(aid)
}

// --- delegated permission grants (GRAPH-FACTS §3.5) --------------------------------

func entraRenderGrant(g *OAuth2PermissionGrant) map[string]any {
	return map[string]any{
		"clientId": g.ClientID, "consentType": g.ConsentType, "id": g.ID,
		"principalId": strOrNil(g.PrincipalID), "resourceId": g.ResourceID, "scope": g.Scope,
	}
}

// entraMayGrant: a delegated caller needs an admin role that can consent
// (Global, Privileged Role, Application or Cloud Application Administrator).
func (q *Req) entraMayGrant() bool {
	return q.User == nil || q.UserHasAnyRole(RoleGlobalAdministrator, RolePrivilegedRoleAdministrator, RoleApplicationAdministrator, RoleCloudApplicationAdministrator)
}

// POST /oauth2PermissionGrants.
func (s *Server) entraCreateGrant(q *Req) {
	if !q.entraMayGrant() {
		q.Denied()
		return
	}
	body, ok := q.Body("microsoft.graph.oAuth2PermissionGrant", "id", "clientId", "consentType", "principalId", "resourceId", "scope")
	if !ok {
		return
	}
	var in struct {
		ClientID    string  `json:"clientId"`
		ConsentType string  `json:"consentType"`
		PrincipalID *string `json:"principalId"`
		ResourceID  string  `json:"resourceId"`
		Scope       string  `json:"scope"`
	}
	raw, _ := json.Marshal(body)
	if err := json.Unmarshal(raw, &in); err != nil {
		q.BadRequest(msgOneOrMoreInvalid)
		return
	}
	principal := ""
	if in.PrincipalID != nil {
		principal = strings.ToLower(*in.PrincipalID)
	}
	switch {
	case strings.EqualFold(in.ConsentType, "AllPrincipals") && principal == "":
		in.ConsentType = "AllPrincipals"
	case strings.EqualFold(in.ConsentType, "Principal") && principal != "":
		in.ConsentType = "Principal"
		if q.T.usersByID[principal] == nil {
			q.NotFound(principal)
			return
		}
	default:
		q.BadRequest(msgOneOrMoreInvalid)
		return
	}
	client, resource := q.T.SPs[strings.ToLower(in.ClientID)], q.T.SPs[strings.ToLower(in.ResourceID)]
	if client == nil {
		q.NotFound(in.ClientID)
		return
	}
	if resource == nil {
		q.NotFound(in.ResourceID)
		return
	}
	id := entraGrantID(client.ID, resource.ID, principal)
	for _, g := range q.T.Grants {
		if g.ID == id {
			q.Error(http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue", msgEntraGrantExists)
			return
		}
	}
	g := &OAuth2PermissionGrant{ID: id, ClientID: client.ID, ConsentType: in.ConsentType, PrincipalID: principal,
		ResourceID: resource.ID, Scope: strings.Join(strings.Fields(in.Scope), " ")}
	q.T.Grants = append(q.T.Grants, g)
	q.entraEntity(http.StatusCreated, "oauth2PermissionGrants", entraRenderGrant(g))
}

// GET /oauth2PermissionGrants with $filter (clientId eq '…', resourceId, consentType).
func (s *Server) entraListGrants(q *Req) {
	items := []map[string]any{}
	for _, g := range q.T.Grants {
		items = append(items, entraRenderGrant(g))
	}
	q.entraList("oauth2PermissionGrants", items)
}

func (q *Req) entraGrantByID() (int, *OAuth2PermissionGrant) {
	id := q.R.PathValue("id")
	for i, g := range q.T.Grants {
		if g.ID == id {
			return i, g
		}
	}
	q.NotFound(id)
	return -1, nil
}

// GET /oauth2PermissionGrants/{id}.
func (s *Server) entraGetGrant(q *Req) {
	if _, g := q.entraGrantByID(); g != nil {
		q.entraEntity(http.StatusOK, "oauth2PermissionGrants", entraRenderGrant(g))
	}
}

// PATCH /oauth2PermissionGrants/{id} {"scope": "…"}: 204.
func (s *Server) entraPatchGrant(q *Req) {
	if !q.entraMayGrant() {
		q.Denied()
		return
	}
	_, g := q.entraGrantByID()
	if g == nil {
		return
	}
	body, ok := q.Body("microsoft.graph.oAuth2PermissionGrant", "scope")
	if !ok {
		return
	}
	var scope string
	if err := json.Unmarshal(body["scope"], &scope); err != nil {
		q.BadRequest(msgEntraInvalidValue("scope", "OAuth2PermissionGrant"))
		return
	}
	g.Scope = strings.Join(strings.Fields(scope), " ")
	q.NoContent()
}

// DELETE /oauth2PermissionGrants/{id}: 204.
func (s *Server) entraDeleteGrant(q *Req) {
	if !q.entraMayGrant() {
		q.Denied()
		return
	}
	i, g := q.entraGrantByID()
	if g == nil {
		return
	}
	q.T.Grants = append(q.T.Grants[:i:i], q.T.Grants[i+1:]...)
	q.NoContent()
}
