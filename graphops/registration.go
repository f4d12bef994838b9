package graphops

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithuniquename"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"
)

// GraphAppID is Microsoft Graph's appId in every tenant.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// Permission is a Microsoft Graph permission as the tenant's Graph service
// principal publishes it.
type Permission struct {
	Value       string // e.g. User.Read.All
	ID          string // app role id or scope id
	Type        string // "Role" (application) or "Scope" (delegated)
	DisplayName string
	Description string
	AdminOnly   bool // delegated scopes of type Admin
}

// GraphPermissions is the tenant's live list of Graph permissions. Names are
// resolved from here, never from a baked-in GUID table alone (a baked list broke
// PnP PowerShell 3.0.0).
type GraphPermissions struct {
	ServicePrincipalID string
	Roles              []Permission
	Scopes             []Permission
}

// Role finds an application permission by value (case-insensitive).
func (g *GraphPermissions) Role(value string) (Permission, bool) { return find(g.Roles, value) }

// Scope finds a delegated permission by value (case-insensitive).
func (g *GraphPermissions) Scope(value string) (Permission, bool) { return find(g.Scopes, value) }

// RoleByID finds an application permission by app role id.
func (g *GraphPermissions) RoleByID(id string) (Permission, bool) {
	for _, p := range g.Roles {
		if strings.EqualFold(p.ID, id) {
			return p, true
		}
	}
	return Permission{}, false
}

// Search lists application permissions whose value or display name contains q.
func (g *GraphPermissions) Search(q string) []Permission {
	q = strings.ToLower(strings.TrimSpace(q))
	var out []Permission
	for _, p := range g.Roles {
		if q == "" || strings.Contains(strings.ToLower(p.Value), q) || strings.Contains(strings.ToLower(p.DisplayName), q) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Value < out[j].Value })
	return out
}

func find(list []Permission, v string) (Permission, bool) {
	for _, p := range list {
		if strings.EqualFold(p.Value, v) {
			return p, true
		}
	}
	return Permission{}, false
}

// AppSpec is the app registration the wizard makes.
type AppSpec struct {
	DisplayName     string
	Profile         string   // integration profile key, e.g. "helpmaster"
	AppRoles        []string // Graph application permissions, e.g. User.Read.All
	DelegatedScopes []string // Graph delegated permissions, where a profile needs them
	WebRedirectURIs []string
}

// UniqueName is the client-provided alternate key that makes registration
// idempotent: the same profile and name always address the same app, so a
// re-run (or a retry after a dropped connection) never creates a second one.
func (a AppSpec) UniqueName() string {
	slug := regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(a.DisplayName), "-")
	slug = strings.Trim(slug, "-")
	if slug == "" {
		slug = "app"
	}
	if len(slug) > 40 {
		slug = slug[:40]
	}
	p := a.Profile
	if p == "" {
		p = "custom"
	}
	return "m365wizard-" + p + "-" + slug
}

// App is the registered application and its service principal.
type App struct {
	ObjectID           string
	AppID              string // Application (client) ID
	DisplayName        string
	UniqueName         string
	ServicePrincipalID string
	Created            bool // made by this run (false: found from an earlier run)
	Passwords          []Credential
	Keys               []Credential
}

// WithGrantsRead is a copy of the app that GrantAdminConsent treats as found,
// not made: it reads the grants the app holds instead of assuming a new app
// has none. Callers use it whenever grants may exist on an app made in this
// run: a retried or resumed consent (granted in the browser meanwhile), and
// revoking (only existing grants can be revoked).
func (a *App) WithGrantsRead() *App {
	c := *a
	c.Created = false
	return &c
}

// Plan is what the wizard reads before changing anything: the tenant's Graph
// permissions, an app from an earlier run, and the secret lifetime policy. It
// is one $batch round trip.
type Plan struct {
	Graph    *GraphPermissions
	Existing *App         // nil when no earlier app with this UniqueName
	Policy   SecretPolicy // zero when the policy could not be read (no Policy.Read.All)
}

// Prepare reads what the setup needs, changing nothing.
func (s *Session) Prepare(ctx context.Context, spec AppSpec) (*Plan, error) {
	graphID, unique := GraphAppID, spec.UniqueName()
	b := newBatch(s.adapter)
	if err := b.add("graph", step(s.Graph.ServicePrincipalsWithAppId(&graphID).ToGetRequestInformation(ctx,
		&serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{
				Select: []string{"id", "appId", "appRoles", "oauth2PermissionScopes"}}}))); err != nil {
		return nil, err
	}
	if err := b.add("app", step(s.Graph.ApplicationsWithUniqueName(&unique).ToGetRequestInformation(ctx,
		&applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderGetRequestConfiguration{
			QueryParameters: &applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderGetQueryParameters{
				Select: []string{"id", "appId", "displayName", "uniqueName", "passwordCredentials", "keyCredentials"}}}))); err != nil {
		return nil, err
	}
	readPolicy := s.HasPermission(ScopePolicyRead)
	if readPolicy {
		if err := b.add("policy", step(s.Graph.Policies().DefaultAppManagementPolicy().ToGetRequestInformation(ctx, nil))); err != nil {
			return nil, err
		}
	}
	res, err := b.send(ctx)
	if err != nil {
		return nil, fromGraph(err, "Reading the tenant")
	}
	sp, err := batchParse[models.ServicePrincipalable](res, "graph", models.CreateServicePrincipalFromDiscriminatorValue)
	if err != nil {
		return nil, fromGraph(err, "Reading Microsoft Graph's permissions")
	}
	plan := &Plan{Graph: graphPermissions(sp)}
	if res.status("app") == 200 {
		a, err := batchParse[models.Applicationable](res, "app", models.CreateApplicationFromDiscriminatorValue)
		if err != nil {
			return nil, fromGraph(err, "Reading the existing app")
		}
		plan.Existing = appFromModel(a)
	} else if st := res.status("app"); st != 404 {
		_, err := batchParse[models.Applicationable](res, "app", models.CreateApplicationFromDiscriminatorValue)
		return nil, fromGraph(err, "Looking for an app from an earlier run")
	}
	if readPolicy {
		if pol, err := batchParse[models.TenantAppManagementPolicyable](res, "policy", models.CreateTenantAppManagementPolicyFromDiscriminatorValue); err == nil {
			plan.Policy = secretPolicy(pol, time.Now())
		}
	}
	return plan, nil
}

func graphPermissions(sp models.ServicePrincipalable) *GraphPermissions {
	g := &GraphPermissions{ServicePrincipalID: deref(sp.GetId())}
	for _, r := range sp.GetAppRoles() {
		if r.GetId() == nil || !deref(r.GetIsEnabled()) {
			continue
		}
		g.Roles = append(g.Roles, Permission{Value: deref(r.GetValue()), ID: r.GetId().String(), Type: "Role",
			DisplayName: deref(r.GetDisplayName()), Description: deref(r.GetDescription())})
	}
	for _, sc := range sp.GetOauth2PermissionScopes() {
		if sc.GetId() == nil || !deref(sc.GetIsEnabled()) {
			continue
		}
		g.Scopes = append(g.Scopes, Permission{Value: deref(sc.GetValue()), ID: sc.GetId().String(), Type: "Scope",
			DisplayName: deref(sc.GetAdminConsentDisplayName()), Description: deref(sc.GetAdminConsentDescription()),
			AdminOnly: deref(sc.GetTypeEscaped()) == "Admin"})
	}
	return g
}

func appFromModel(a models.Applicationable) *App {
	app := &App{ObjectID: deref(a.GetId()), AppID: deref(a.GetAppId()), DisplayName: deref(a.GetDisplayName()), UniqueName: deref(a.GetUniqueName())}
	for _, p := range a.GetPasswordCredentials() {
		app.Passwords = append(app.Passwords, credentialFromPassword(p))
	}
	for _, k := range a.GetKeyCredentials() {
		app.Keys = append(app.Keys, credentialFromKey(k))
	}
	return app
}

// requiredAccess builds requiredResourceAccess for Microsoft Graph from names,
// resolved against the tenant's live list. Unknown names are an input error.
func requiredAccess(g *GraphPermissions, roles, scopes []string) (models.RequiredResourceAccessable, error) {
	var unknown []string
	var access []models.ResourceAccessable
	add := func(p Permission) {
		id := uuid.MustParse(p.ID)
		typ := p.Type
		ra := models.NewResourceAccess()
		ra.SetId(&id)
		ra.SetTypeEscaped(&typ)
		access = append(access, ra)
	}
	for _, r := range roles {
		if p, ok := g.Role(r); ok {
			add(p)
		} else {
			unknown = append(unknown, r)
		}
	}
	for _, sc := range scopes {
		if p, ok := g.Scope(sc); ok {
			add(p)
		} else {
			unknown = append(unknown, sc)
		}
	}
	if len(unknown) > 0 {
		return nil, &Error{Kind: KindInput, Field: "permissions",
			Message:  fmt.Sprintf("Microsoft Graph in this tenant has no permission named %s.", strings.Join(unknown, ", ")),
			NextStep: "Check the spelling (for example User.Read.All), or pick from the tenant's list."}
	}
	rra := models.NewRequiredResourceAccess()
	gid := GraphAppID
	rra.SetResourceAppId(&gid)
	rra.SetResourceAccess(access)
	return rra, nil
}

// appPatience bounds how long the wizard waits for Entra replication.
const appPatience = 2 * time.Minute

// EnsureApp creates the single-tenant app registration, or updates the one an
// earlier run made (found by UniqueName), with the wanted permissions, and then
// its service principal. Idempotent: a re-run finds and reuses both.
func (s *Session) EnsureApp(ctx context.Context, spec AppSpec, plan *Plan) (*App, error) {
	if err := ValidateAppName(spec.DisplayName); err != nil {
		return nil, err
	}
	rra, err := requiredAccess(plan.Graph, spec.AppRoles, spec.DelegatedScopes)
	if err != nil {
		return nil, err
	}
	unique := spec.UniqueName()
	body := models.NewApplication()
	body.SetDisplayName(&spec.DisplayName)
	aud := "AzureADMyOrg"
	body.SetSignInAudience(&aud)
	body.SetRequiredResourceAccess([]models.RequiredResourceAccessable{rra})
	body.SetTags([]string{"m365wizard", "m365wizard:" + spec.Profile})
	notes := "Created by M365 Setup Wizard for " + spec.Profile + ". Re-running the wizard updates this app instead of creating another."
	body.SetNotes(&notes)
	if len(spec.WebRedirectURIs) > 0 {
		web := models.NewWebApplication()
		web.SetRedirectUris(spec.WebRedirectURIs)
		body.SetWeb(web)
	}
	cfg := &applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderPatchRequestConfiguration{}
	cfg.Headers = newHeaders("Prefer", "create-if-missing")
	// The upsert is idempotent by design, so it may be resent after a dropped connection.
	created, err := s.Graph.ApplicationsWithUniqueName(&unique).Patch(withIdempotent(ctx), body, cfg)
	if err != nil {
		return nil, fromGraph(err, "Registering the app")
	}
	var app *App
	if created != nil { // 201: new
		app = appFromModel(created)
		app.Created = true
	} else { // 204: it existed and was updated
		if plan.Existing != nil {
			app = plan.Existing
		} else {
			got, err := s.Graph.ApplicationsWithUniqueName(&unique).Get(ctx, nil)
			if err != nil {
				return nil, fromGraph(err, "Reading the app")
			}
			app = appFromModel(got)
		}
		app.DisplayName = spec.DisplayName
	}
	if app.UniqueName == "" {
		app.UniqueName = unique
	}
	spID, err := s.ensureServicePrincipal(ctx, app.AppID, !app.Created)
	if err != nil {
		return app, err
	}
	app.ServicePrincipalID = spID
	return app, nil
}

// ensureServicePrincipal finds or creates the app's service principal. Right
// after the app is created, Entra may not have replicated it yet: Graph answers
// 400 NoBackingApplicationObject (or 403 "backing application … must in the
// local tenant", or 404); the wizard retries those with a deadline.
func (s *Session) ensureServicePrincipal(ctx context.Context, appID string, lookFirst bool) (string, error) {
	if lookFirst {
		got, err := s.Graph.ServicePrincipalsWithAppId(&appID).Get(ctx, nil)
		if err == nil {
			return deref(got.GetId()), nil
		}
		if _, _, st := graphCode(err); st != 404 {
			return "", fromGraph(err, "Looking for the app's service principal")
		}
	}
	var id string
	err := retryUntil(ctx, "Waiting for Entra to replicate the new app", appPatience, isReplicationLag, func() error {
		body := models.NewServicePrincipal()
		body.SetAppId(&appID)
		sp, err := s.Graph.ServicePrincipals().Post(ctx, body, nil)
		if err == nil {
			id = deref(sp.GetId())
			return nil
		}
		if code, _, st := graphCode(err); st == 409 || code == "Request_MultipleObjectsWithSameKeyValue" {
			got, gerr := s.Graph.ServicePrincipalsWithAppId(&appID).Get(ctx, nil)
			if gerr != nil {
				return gerr
			}
			id = deref(got.GetId())
			return nil
		}
		return err
	})
	if err != nil {
		return "", fromGraph(err, "Creating the app's service principal")
	}
	return id, nil
}

// isReplicationLag recognises the errors Entra gives while a new object has not
// reached every replica (GRAPH-FACTS §5.4).
func isReplicationLag(err error) bool {
	code, msg, st := graphCode(err)
	switch {
	case st == 404:
		return true
	case st == 400 && (strings.Contains(msg, "does not reference a valid application object") || strings.Contains(msg, "Not a valid reference update")):
		return true
	case st == 403 && strings.Contains(msg, "backing application of the service principal"):
		return true
	case st == 409 && code != "Request_MultipleObjectsWithSameKeyValue":
		return true
	}
	return false
}

// DeleteApp removes an app registration the wizard made (undo). Its service
// principal goes with it. Deleted apps stay restorable for 30 days.
func (s *Session) DeleteApp(ctx context.Context, objectID string) error {
	err := s.Graph.Applications().ByApplicationId(objectID).Delete(ctx, nil)
	if err != nil {
		if _, _, st := graphCode(err); st == 404 {
			return nil // already gone: undo is idempotent
		}
		return fromGraph(err, "Deleting the app")
	}
	return nil
}

// FindApp finds an app registration by its Application (client) ID, with its
// secrets and certificates and its service principal, as the replace-secret
// flow needs. A missing app is KindNotFound with a next step.
func (s *Session) FindApp(ctx context.Context, clientID string) (*App, error) {
	if err := ValidateClientID(clientID); err != nil {
		return nil, err
	}
	got, err := s.Graph.ApplicationsWithAppId(&clientID).Get(ctx, &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetRequestConfiguration{
		QueryParameters: &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetQueryParameters{
			Select: []string{"id", "appId", "displayName", "uniqueName", "passwordCredentials", "keyCredentials"}}})
	if err != nil {
		if _, _, st := graphCode(err); st == 404 {
			return nil, &Error{Kind: KindNotFound, Status: 404, Err: err,
				Message:  fmt.Sprintf("No app with Application (client) ID %s exists in this tenant.", clientID),
				NextStep: "It may have been deleted, or you signed in to another tenant. Sign in to the tenant you set up, or run New setup."}
		}
		return nil, fromGraph(err, "Finding the app")
	}
	app := appFromModel(got)
	sp, err := s.Graph.ServicePrincipalsWithAppId(&clientID).Get(ctx, nil)
	if err == nil {
		app.ServicePrincipalID = deref(sp.GetId())
	} else if _, _, st := graphCode(err); st != 404 {
		return nil, fromGraph(err, "Finding the app's service principal")
	}
	return app, nil
}
