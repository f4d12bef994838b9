package sandbox

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The tenant app management policy, and the reads that tell the wizard who is
// signed in and where: organization, domains, me, directory roles, PIM.

// SetSecretLifetimeCap enables the tenant's default app management policy with
// a passwordLifetime restriction of max for every application (0 = no cap:
// the policy is disabled again). Empty tenantID = primary tenant.
func (s *Server) SetSecretLifetimeCap(tenantID string, max time.Duration) error {
	return s.Tenant(tenantID, func(t *Tenant) {
		if max <= 0 {
			t.Policy.IsEnabled = false
			t.Policy.PasswordRestrictions = nil
			return
		}
		t.Policy.IsEnabled = true
		t.Policy.PasswordRestrictions = []PasswordLifetimeRestriction{{
			RestrictionType:                     "passwordLifetime",
			MaxLifetime:                         max,
			RestrictForAppsCreatedAfterDateTime: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC),
		}}
	})
}

// entraISODuration renders a duration as ISO 8601 (P90D, P4DT12H30M5S), the
// form of passwordCredentialConfiguration.maxLifetime.
func entraISODuration(d time.Duration) string {
	d = d.Round(time.Second)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	sec := d / time.Second
	out := "P"
	if days > 0 {
		out += fmt.Sprintf("%dD", days)
	}
	if h > 0 || m > 0 || sec > 0 {
		out += "T"
		if h > 0 {
			out += fmt.Sprintf("%dH", h)
		}
		if m > 0 {
			out += fmt.Sprintf("%dM", m)
		}
		if sec > 0 {
			out += fmt.Sprintf("%dS", sec)
		}
	}
	if out == "P" {
		out = "PT0S"
	}
	return out
}

// GET /policies/defaultAppManagementPolicy (tenantappmanagementpolicy-get.md).
func (s *Server) entraGetDefaultPolicy(q *Req) {
	p := q.T.Policy
	pw := []map[string]any{}
	for _, r := range p.PasswordRestrictions {
		var max any
		if r.RestrictionType == "passwordLifetime" || r.RestrictionType == "symmetricKeyLifetime" {
			max = entraISODuration(r.MaxLifetime)
		}
		pw = append(pw, map[string]any{
			"restrictionType":                     r.RestrictionType,
			"state":                               "enabled",
			"maxLifetime":                         max,
			"restrictForAppsCreatedAfterDateTime": graphTime(r.RestrictForAppsCreatedAfterDateTime),
		})
	}
	obj := map[string]any{
		"id":                           p.ID,
		"displayName":                  p.DisplayName,
		"description":                  p.Description,
		"isEnabled":                    p.IsEnabled,
		"applicationRestrictions":      map[string]any{"passwordCredentials": pw, "keyCredentials": []any{}},
		"servicePrincipalRestrictions": map[string]any{"passwordCredentials": []any{}, "keyCredentials": []any{}},
	}
	out := q.Select(obj)
	out["@odata.context"] = q.Context("policies/defaultAppManagementPolicy" + q.SelectFragment() + "/$entity")
	q.JSON(http.StatusOK, out)
}

// entraAuthzPolicyReaders are the sandbox's roles that may read the
// authorization policy in a delegated call (authorizationpolicy-get.md lists
// readers such as Global Reader and Privileged Role Administrator; the
// application roles and plain users are not among them).
var entraAuthzPolicyReaders = []string{RoleGlobalAdministrator, RolePrivilegedRoleAdministrator, RoleGlobalReader}

// GET /policies/authorizationPolicy (authorizationpolicy-get.md): the single
// authorizationPolicy object; only "Users can register applications" varies.
func (s *Server) entraGetAuthorizationPolicy(q *Req) {
	if q.User != nil && !q.UserHasAnyRole(entraAuthzPolicyReaders...) {
		q.Denied()
		return
	}
	obj := map[string]any{
		"id": "authorizationPolicy", "displayName": "Authorization Policy",
		"description":                               "Used to manage authorization related settings across the company.",
		"allowInvitesFrom":                          "everyone",
		"allowedToSignUpEmailBasedSubscriptions":    true,
		"allowedToUseSSPR":                          true,
		"allowEmailVerifiedUsersToJoinOrganization": false,
		"allowUserConsentForRiskyApps":              false,
		"blockMsolPowerShell":                       false,
		"guestUserRoleId":                           "10dae51f-b6af-4016-8d66-8c2a99b929b3",
		"defaultUserRolePermissions": map[string]any{
			"allowedToCreateApps":                      q.T.UsersCanRegisterApps,
			"allowedToCreateSecurityGroups":            true,
			"allowedToCreateTenants":                   true,
			"allowedToReadBitlockerKeysForOwnedDevice": true,
			"allowedToReadOtherUsers":                  true,
			"permissionGrantPoliciesAssigned":          []string{"ManagePermissionGrantsForSelf.microsoft-user-default-legacy"},
		},
	}
	out := q.Select(obj)
	out["@odata.context"] = q.Context("policies/authorizationPolicy" + q.SelectFragment() + "/$entity")
	q.JSON(http.StatusOK, out)
}

// GET /policies/appManagementPolicies: custom policies; the sandbox has none.
func (s *Server) entraListAppPolicies(q *Req) {
	q.entraList("policies/appManagementPolicies", nil)
}

// --- organization and domains ---------------------------------------------------

// entraTenantCreated stands for the tenant's creation date.
var entraTenantCreated = time.Date(2019, 9, 17, 19, 10, 35, 0, time.UTC)

func entraRenderOrg(t *Tenant) map[string]any {
	domains := make([]map[string]any, 0, len(t.Domains))
	for _, d := range t.Domains {
		if !d.IsVerified {
			continue
		}
		domains = append(domains, map[string]any{
			"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": d.IsDefault, "isInitial": d.IsInitial,
			"name": d.Name, "type": "Managed",
		})
	}
	return map[string]any{
		"id":                   t.ID,
		"deletedDateTime":      nil,
		"businessPhones":       []any{},
		"city":                 nil,
		"country":              nil,
		"countryLetterCode":    "US",
		"createdDateTime":      graphTime(entraTenantCreated),
		"defaultUsageLocation": nil,
		"displayName":          t.DisplayName,
		"isMultipleDataLocationsForServicesEnabled": nil,
		"marketingNotificationEmails":               []any{},
		"onPremisesLastSyncDateTime":                nil,
		"onPremisesSyncEnabled":                     nil,
		"partnerTenantType":                         nil,
		"postalCode":                                nil,
		"preferredLanguage":                         "en",
		"securityComplianceNotificationMails":       []any{},
		"securityComplianceNotificationPhones":      []any{},
		"state":                                     nil,
		"street":                                    nil,
		"technicalNotificationMails":                []any{"admin@" + t.DefaultDomain()},
		"tenantType":                                "AAD",
		"directorySizeQuota":                        map[string]any{"used": len(t.Users) + len(t.Apps) + len(t.SPs), "total": 300000},
		"privacyProfile":                            nil,
		"assignedPlans":                             []any{},
		"onPremisesSyncStatus":                      []any{},
		"provisionedPlans":                          []any{},
		"verifiedDomains":                           domains,
	}
}

// GET /organization: a collection of one (organization-get.md).
func (s *Server) entraListOrganization(q *Req) {
	q.entraList("organization", []map[string]any{entraRenderOrg(q.T)})
}

// GET /organization/{id}.
func (s *Server) entraGetOrganization(q *Req) {
	id := q.R.PathValue("id")
	if !strings.EqualFold(id, q.T.ID) {
		q.NotFound(id)
		return
	}
	q.entraEntity(http.StatusOK, "organization", entraRenderOrg(q.T))
}

func entraRenderDomain(d Domain) map[string]any {
	return map[string]any{
		"authenticationType": "Managed", "availabilityStatus": nil, "id": d.Name, "isAdminManaged": true,
		"isDefault": d.IsDefault, "isInitial": d.IsInitial, "isRoot": true, "isVerified": d.IsVerified,
		"passwordNotificationWindowInDays": 14, "passwordValidityPeriodInDays": 2147483647,
		"supportedServices": []string{"Email", "OfficeCommunicationsOnline"}, "state": nil,
	}
}

// GET /domains (domain-list.md).
func (s *Server) entraListDomains(q *Req) {
	items := make([]map[string]any, 0, len(q.T.Domains))
	for _, d := range q.T.Domains {
		items = append(items, entraRenderDomain(d))
	}
	q.entraList("domains", items)
}

// GET /domains/{id}.
func (s *Server) entraGetDomain(q *Req) {
	id := q.R.PathValue("id")
	for _, d := range q.T.Domains {
		if strings.EqualFold(d.Name, id) {
			q.entraEntity(http.StatusOK, "domains", entraRenderDomain(d))
			return
		}
	}
	q.NotFound(id)
}

// --- the signed-in user ------------------------------------------------------------

// entraMe is the signed-in user, or nil after answering an app-only call with
// Graph's 400.
func (q *Req) entraMe() *User {
	if q.User == nil {
		q.Error(http.StatusBadRequest, "BadRequest", msgEntraMeDelegatedOnly)
		return nil
	}
	return q.User
}

// GET /me: the user's default property set (user-get.md).
func (s *Server) entraGetMe(q *Req) {
	u := q.entraMe()
	if u == nil {
		return
	}
	q.entraEntity(http.StatusOK, "users", map[string]any{
		"id": u.ID, "businessPhones": entraStrings(u.BusinessPhones), "displayName": u.DisplayName,
		"givenName": strOrNil(u.GivenName), "jobTitle": strOrNil(u.JobTitle), "mail": strOrNil(u.Mail),
		"mobilePhone": strOrNil(u.MobilePhone), "officeLocation": strOrNil(u.OfficeLocation),
		"preferredLanguage": strOrNil(u.PreferredLanguage), "surname": strOrNil(u.Surname),
		"userPrincipalName": u.UserPrincipalName,
	})
}

// entraRoleDescriptions are the built-in roles' descriptions as Entra shows them.
var entraRoleDescriptions = map[string]string{
	RoleGlobalAdministrator:           "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.",
	RolePrivilegedRoleAdministrator:   "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.",
	RoleApplicationAdministrator:      "Can create and manage all aspects of app registrations and enterprise apps.",
	RoleCloudApplicationAdministrator: "Can create and manage all aspects of app registrations and enterprise apps except App Proxy.",
	RoleApplicationDeveloper:          "Can create application registrations independent of the 'Users can register applications' setting.",
	RoleGlobalReader:                  "Can read everything that a Global Administrator can, but not update anything.",
	RoleExchangeAdministrator:         "Can manage all aspects of the Exchange product.",
}

// entraRenderDirectoryRole is an activated directoryRole of the tenant: its own
// object id, and the template id that is the same everywhere.
func entraRenderDirectoryRole(t *Tenant, template string) map[string]any {
	name := roleNames[template]
	if name == "" {
		name = template
	}
	return map[string]any{
		"@odata.type": "#microsoft.graph.directoryRole", "id": deterministicGUID(t.ID, "directoryRole", template),
		"deletedDateTime": nil, "description": strOrNil(entraRoleDescriptions[template]), "displayName": name,
		"roleTemplateId": template,
	}
}

// GET /me/memberOf, /me/transitiveMemberOf and their casts to directoryRole
// and group. Only ACTIVE role assignments count: a PIM-eligible role is not a
// membership until activated.
func (s *Server) entraMyMemberships(cast string) Handler {
	return func(q *Req) {
		u := q.entraMe()
		if u == nil {
			return
		}
		var items []map[string]any
		if cast == "" || cast == "directoryRole" {
			for _, r := range u.Roles {
				items = append(items, entraRenderDirectoryRole(q.T, r))
			}
		}
		if cast == "" || cast == "group" {
			for _, id := range sortedKeys(q.T.Groups) {
				g := q.T.Groups[id]
				for _, m := range g.Members {
					if m == u.ID {
						items = append(items, map[string]any{
							"@odata.type": "#microsoft.graph.group", "id": g.ID, "deletedDateTime": nil,
							"displayName": g.DisplayName, "description": strOrNil(g.Description), "mail": strOrNil(g.Mail),
							"mailEnabled": g.MailEnabled, "mailNickname": strOrNil(g.MailNickname),
							"securityEnabled": g.SecurityEnabled, "groupTypes": entraStrings(g.GroupTypes),
							"createdDateTime": graphTime(g.CreatedDateTime),
						})
						break
					}
				}
			}
		}
		set := map[string]string{"": "directoryObjects", "directoryRole": "directoryRoles", "group": "groups"}[cast]
		q.entraList(set, items)
	}
}

// GET /roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal'):
// the caller's PIM-eligible roles (unifiedroleeligibilityscheduleinstance-filterbycurrentuser.md).
func (s *Server) entraMyEligibleRoles(q *Req) {
	if !q.entraHasAny(entraPIMScopes...) {
		// PIM's own envelope (learn.microsoft.com Q&A 1656176: "UnknownError"
		// wrapping {"errorCode":"PermissionScopeNotGranted",…}).
		q.Error(http.StatusForbidden, "UnknownError", `{"errorCode":"PermissionScopeNotGranted","message":"Authorization failed due to missing permission scope `+
			strings.Join(entraPIMScopes, ",")+`.","instanceAnnotations":[]}`)
		return
	}
	prop, val := parseKey(q.R.PathValue("on"))
	if !strings.EqualFold(prop, "on") || val != "principal" {
		q.Error(http.StatusBadRequest, "BadRequest", "Resource not found for the segment 'filterByCurrentUser'.")
		return
	}
	var items []map[string]any
	if q.User != nil {
		for _, r := range q.User.EligibleRoles {
			id := base64.RawURLEncoding.EncodeToString(append(entraGUIDBytes(r), entraGUIDBytes(q.User.ID)...)) + "-1-e"
			items = append(items, map[string]any{
				"@odata.type": "#microsoft.graph.unifiedRoleEligibilityScheduleInstance",
				"id":          id, "principalId": q.User.ID, "roleDefinitionId": r, "directoryScopeId": "/",
				"appScopeId": nil, "startDateTime": entraTime(entraTenantCreated), "endDateTime": nil,
				"memberType": "Direct", "roleEligibilityScheduleId": deterministicGUID(q.T.ID, "eligibility", q.User.ID, r),
			})
		}
	}
	q.entraList("Collection(unifiedRoleEligibilityScheduleInstance)", items)
}
