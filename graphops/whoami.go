package graphops

import (
	"context"
	"sort"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/organization"
	"github.com/microsoftgraph/msgraph-sdk-go/policies"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// Directory role template ids (the same in every tenant).
const (
	RoleGlobalAdministrator           = "62e90394-69f5-4237-9190-012177145e10"
	RolePrivilegedRoleAdministrator   = "e8611ab8-c189-46e8-94e1-60213ab1f814"
	RoleApplicationAdministrator      = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	RoleCloudApplicationAdministrator = "158c047a-c907-4556-b7ef-446551a6b5f7"
	RoleApplicationDeveloper          = "cf1c38e5-3621-4004-a7cb-879624dced7c"
)

// Admin is who signed in, their tenant and what their active roles let them do.
type Admin struct {
	UPN         string
	DisplayName string
	ObjectID    string
	TenantID    string
	TenantName  string
	Domains     []string // verified domains, default first
	Roles       []string // active directory role names
	// CanRegisterApps: may create app registrations and their secrets: by an
	// admin role, the Application Developer role, or because the tenant lets
	// every user register apps.
	CanRegisterApps bool
	// UsersCanRegisterApps is the tenant's "Users can register applications"
	// setting, nil when this account may not read it (reading the
	// authorization policy needs a role such as Global Reader).
	UsersCanRegisterApps *bool
	// CanConsent: may grant Microsoft Graph application permissions
	// (Global Administrator or Privileged Role Administrator).
	CanConsent bool
	// Advice explains, before anything changes, what this account cannot do.
	Advice string
}

// WhoAmI reads the signed-in account, its tenant and its ACTIVE directory roles
// (a role only eligible through Privileged Identity Management is not listed by
// Graph until it is activated) and, when it may, the tenant's "Users can
// register applications" setting, in one $batch. User.Read suffices; the
// setting needs Policy.Read.All and is left unknown without it. It changes nothing.
func (s *Session) WhoAmI(ctx context.Context) (*Admin, error) {
	b := newBatch(s.adapter)
	if err := b.add("me", step(s.Graph.Me().ToGetRequestInformation(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "displayName", "userPrincipalName"}}}))); err != nil {
		return nil, err
	}
	if err := b.add("org", step(s.Graph.Organization().ToGetRequestInformation(ctx, &organization.OrganizationRequestBuilderGetRequestConfiguration{
		QueryParameters: &organization.OrganizationRequestBuilderGetQueryParameters{Select: []string{"id", "displayName", "verifiedDomains"}}}))); err != nil {
		return nil, err
	}
	if err := b.add("roles", step(s.Graph.Me().TransitiveMemberOf().GraphDirectoryRole().ToGetRequestInformation(ctx, nil))); err != nil {
		return nil, err
	}
	if err := b.add("authz", step(s.Graph.Policies().AuthorizationPolicy().ToGetRequestInformation(ctx, &policies.AuthorizationPolicyRequestBuilderGetRequestConfiguration{
		QueryParameters: &policies.AuthorizationPolicyRequestBuilderGetQueryParameters{Select: []string{"defaultUserRolePermissions"}}}))); err != nil {
		return nil, err
	}
	res, err := b.send(ctx)
	if err != nil {
		return nil, fromGraph(err, "Reading who signed in")
	}
	user, err := batchParse[models.Userable](res, "me", models.CreateUserFromDiscriminatorValue)
	if err != nil {
		return nil, fromGraph(err, "Reading who signed in")
	}
	orgs, err := batchParse[models.OrganizationCollectionResponseable](res, "org", models.CreateOrganizationCollectionResponseFromDiscriminatorValue)
	if err != nil {
		return nil, fromGraph(err, "Reading the organization")
	}
	roles, err := batchParse[models.DirectoryRoleCollectionResponseable](res, "roles", models.CreateDirectoryRoleCollectionResponseFromDiscriminatorValue)
	if err != nil {
		return nil, fromGraph(err, "Reading the account's admin roles")
	}
	a := &Admin{UPN: deref(user.GetUserPrincipalName()), DisplayName: deref(user.GetDisplayName()),
		ObjectID: deref(user.GetId()), TenantID: s.TenantID}
	if list := orgs.GetValue(); len(list) > 0 {
		a.TenantName = deref(list[0].GetDisplayName())
		a.TenantID = deref(list[0].GetId())
		for _, d := range list[0].GetVerifiedDomains() {
			if deref(d.GetIsDefault()) {
				a.Domains = append([]string{deref(d.GetName())}, a.Domains...)
			} else {
				a.Domains = append(a.Domains, deref(d.GetName()))
			}
		}
	}
	templates := map[string]bool{}
	for _, r := range roles.GetValue() {
		templates[strings.ToLower(deref(r.GetRoleTemplateId()))] = true
		a.Roles = append(a.Roles, deref(r.GetDisplayName()))
	}
	sort.Strings(a.Roles)
	// Any failure of this step (403 without a reader role or without
	// Policy.Read.All) leaves the setting unknown; the rest still stands.
	if p, err := batchParse[models.AuthorizationPolicyable](res, "authz", models.CreateAuthorizationPolicyFromDiscriminatorValue); err == nil {
		if d := p.GetDefaultUserRolePermissions(); d != nil && d.GetAllowedToCreateApps() != nil {
			a.UsersCanRegisterApps = d.GetAllowedToCreateApps()
		}
	}
	a.judge(templates)
	return a, nil
}

// judge sets what the account can do from its role templates and the tenant
// setting, and the advice to give before anything changes.
func (a *Admin) judge(templates map[string]bool) {
	a.CanConsent = templates[RoleGlobalAdministrator] || templates[RolePrivilegedRoleAdministrator]
	byRole := a.CanConsent || templates[RoleApplicationAdministrator] || templates[RoleCloudApplicationAdministrator] ||
		templates[RoleApplicationDeveloper]
	usersMay := a.UsersCanRegisterApps != nil && *a.UsersCanRegisterApps
	a.CanRegisterApps = byRole || usersMay
	const consentNeeds = "cannot grant admin consent to Microsoft Graph application permissions: that needs a Global Administrator or Privileged Role Administrator. You can stop here, or continue and send the admin consent link to one of them."
	switch {
	case a.CanConsent:
	case byRole:
		a.Advice = "This account can register the app and create its secret, but " + consentNeeds
	case usersMay:
		a.Advice = "This account has no admin role, but the tenant lets users register applications, so it can register the app and create its secret. It " + consentNeeds
	case a.UsersCanRegisterApps != nil:
		a.Advice = "This tenant does not let users register applications (User settings > Users can register applications: No), and this account has none of the roles that may: Global Administrator, Application Administrator, Cloud Application Administrator or Application Developer. " +
			"If you have one of them eligible in Privileged Identity Management, activate it and sign in again; otherwise sign in as a Global Administrator."
	default:
		a.Advice = "This account has no active admin role. It can register the app only if the tenant lets users register applications (the default; this account cannot read that setting), and it cannot grant admin consent: that needs a Global Administrator. " +
			"If you have a role that is eligible in Privileged Identity Management, activate it and sign in again; otherwise sign in as a Global Administrator."
	}
}

// RegistrationRefused reports whether this account is known not to be
// allowed to register apps: no role that may, and the tenant setting read as No.
// When the setting cannot be read the wizard lets Entra decide.
func (a *Admin) RegistrationRefused() bool {
	return !a.CanRegisterApps && a.UsersCanRegisterApps != nil
}
