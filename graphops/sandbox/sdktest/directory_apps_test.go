package sdktest

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithuniquename"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"m365wizard/graphops/sandbox"
)

func TestDirectoryCreateApplicationShapeOwnerAndStatus(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAdminScopes...)
	app := entraNewApp(t, admin, "Helpdesk Connector")

	if entraStr(app.GetDisplayName()) != "Helpdesk Connector" || app.GetId() == nil || app.GetAppId() == nil || *app.GetId() == *app.GetAppId() {
		t.Fatalf("id/appId/displayName: %v %v %v", app.GetId(), app.GetAppId(), app.GetDisplayName())
	}
	if got := entraStr(app.GetPublisherDomain()); got != "contoso.onmicrosoft.com" {
		t.Errorf("publisherDomain = %q, want the initial domain", got)
	}
	if got := entraStr(app.GetSignInAudience()); got != "AzureADMyOrg" {
		t.Errorf("default signInAudience = %q", got)
	}
	if app.GetCreatedDateTime() == nil || time.Since(*app.GetCreatedDateTime()) > time.Minute {
		t.Errorf("createdDateTime = %v", app.GetCreatedDateTime())
	}
	if app.GetPasswordCredentials() == nil || len(app.GetPasswordCredentials()) != 0 || app.GetWeb() == nil ||
		app.GetWeb().GetImplicitGrantSettings() == nil || app.GetApi() == nil || app.GetPublicClient() == nil ||
		app.GetIdentifierUris() == nil || app.GetRequiredResourceAccess() == nil || app.GetInfo() == nil {
		t.Errorf("documented collections/complex values missing: %+v", app)
	}

	// The creator owns the app.
	owners, err := admin.Applications().ByApplicationId(*app.GetId()).Owners().Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(owners.GetValue()) != 1 || entraStr(owners.GetValue()[0].GetOdataType()) != "#microsoft.graph.user" {
		t.Fatalf("owners = %+v", owners.GetValue())
	}
	if u, ok := owners.GetValue()[0].(models.Userable); !ok || entraStr(u.GetUserPrincipalName()) != "admin@contoso.com" {
		t.Fatalf("owner is not the creating admin: %+v", owners.GetValue()[0])
	}

	// On the wire: 201 with the single-entity context.
	tok, _ := s.IssueUserToken("admin@contoso.com", "", "Application.ReadWrite.All")
	req, _ := http.NewRequest("POST", s.GraphURL()+"/v1.0/applications", strings.NewReader(`{"displayName":"Raw"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	hc := s.HTTPClient()
	t.Cleanup(hc.CloseIdleConnections)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	if resp.StatusCode != http.StatusCreated || raw["@odata.context"] != s.GraphURL()+"/v1.0/$metadata#applications/$entity" {
		t.Fatalf("status %d context %v", resp.StatusCode, raw["@odata.context"])
	}
	if _, present := raw["passwordCredentials"]; !present || raw["tokenEncryptionKeyId"] != nil || raw["isFallbackPublicClient"] != nil {
		t.Fatalf("full shape not rendered: %v", raw)
	}
}

func TestDirectoryCreateApplicationRejections(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAdminScopes...)

	// displayName is required.
	_, err := admin.Applications().Post(ctx, models.NewApplication(), nil)
	entraODataErr(t, err, 400, "Request_BadRequest", "Invalid value specified for property 'displayName' of resource 'Application'.")

	// Secrets cannot be part of the create (use addPassword).
	body := models.NewApplication()
	body.SetDisplayName(entraS("With secret"))
	pc := models.NewPasswordCredential()
	pc.SetDisplayName(entraS("s1"))
	body.SetPasswordCredentials([]models.PasswordCredentialable{pc})
	_, err = admin.Applications().Post(ctx, body, nil)
	entraODataErr(t, err, 400, "Request_BadRequest", "New password credentials must be generated with service actions.")

	// Unknown properties are refused by name.
	body = models.NewApplication()
	body.SetDisplayName(entraS("Unknown prop"))
	body.SetAdditionalData(map[string]any{"secretSauce": "yes"})
	_, err = admin.Applications().Post(ctx, body, nil)
	entraODataErr(t, err, 400, "Request_BadRequest", "Property 'secretSauce' does not exist as a declared property or extension property.")

	// An invalid signInAudience.
	body = models.NewApplication()
	body.SetDisplayName(entraS("Audience"))
	body.SetSignInAudience(entraS("Everyone"))
	_, err = admin.Applications().Post(ctx, body, nil)
	entraODataErr(t, err, 400, "Request_BadRequest", "Invalid value specified for property 'signInAudience' of resource 'Application'.")

	// Nothing was created.
	list, err := admin.Applications().Get(ctx, nil)
	if err != nil || len(list.GetValue()) != 0 {
		t.Fatalf("rejected creates left apps behind: %v %d", err, len(list.GetValue()))
	}
}

func TestDirectoryPermissionsAndTokens(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)

	// A user token without an application scope: 403 from the directory.
	_, err := userClient(t, s, "admin@contoso.com", "User.Read").Applications().Get(ctx, nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

	// An app-only token whose roles do not include an Application.* role.
	appID := entraSeedApp(t, s, "Reader", "User.Read.All")
	reader := appClient(t, s, appID)
	_, err = reader.Applications().Get(ctx, nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	_, err = reader.Applications().Post(ctx, func() models.Applicationable { a := models.NewApplication(); a.SetDisplayName(entraS("x")); return a }(), nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

	// Expired and wrong-audience tokens: 401 InvalidAuthenticationToken.
	expired, err := s.MintUserTokenWith("admin@contoso.com", entraAppScopes, map[string]any{
		"exp": time.Now().Add(-10 * time.Minute).Unix(), "nbf": time.Now().Add(-70 * time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = newClient(t, s, expired).Applications().Get(ctx, nil)
	entraODataErr(t, err, 401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")

	wrongAud, err := s.MintUserTokenWith("admin@contoso.com", entraAppScopes, map[string]any{"aud": "https://management.azure.com"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = newClient(t, s, wrongAud).Applications().Get(ctx, nil)
	entraODataErr(t, err, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")

	// The same admin with the right scope succeeds.
	if _, err := userClient(t, s, "admin@contoso.com", entraAppScopes...).Applications().Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func TestDirectoryDelegatedOwnershipAndAdminRoles(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAppScopes...)
	user := userClient(t, s, "user@contoso.com", entraAppScopes...)
	appAdmin := userClient(t, s, "appadmin@contoso.com", entraAppScopes...)

	adminApp := entraNewApp(t, admin, "Admin's app")
	// A user without a role may register apps (the tenant default) and owns them.
	own := entraNewApp(t, user, "User's app")
	patch := models.NewApplication()
	patch.SetNotes(entraS("mine"))
	if _, err := user.Applications().ByApplicationId(*own.GetId()).Patch(ctx, patch, nil); err != nil {
		t.Fatalf("owner PATCH: %v", err)
	}
	// …but not change or delete someone else's.
	_, err := user.Applications().ByApplicationId(*adminApp.GetId()).Patch(ctx, patch, nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	_, err = user.Applications().ByApplicationId(*adminApp.GetId()).AddPassword().Post(ctx, applications.NewItemAddPasswordPostRequestBody(), nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	err = user.Applications().ByApplicationId(*adminApp.GetId()).Delete(ctx, nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	// An Application Administrator may.
	if _, err := appAdmin.Applications().ByApplicationId(*adminApp.GetId()).Patch(ctx, patch, nil); err != nil {
		t.Fatalf("application administrator PATCH: %v", err)
	}
	if err := appAdmin.Applications().ByApplicationId(*own.GetId()).Delete(ctx, nil); err != nil {
		t.Fatalf("application administrator DELETE: %v", err)
	}
	_, err = admin.Applications().ByApplicationId(*own.GetId()).Get(ctx, nil)
	entraODataErr(t, err, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", *own.GetId()))
}

// "Users can register applications" = No: a user without a role is refused
// (POST and the uniqueName upsert); an Application Developer is not. The
// authorization policy says which, to those who may read it.
func TestDirectoryUsersCanRegisterApplications(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	policy := func(upn string) (bool, error) {
		p, err := userClient(t, s, upn, "Policy.Read.All").Policies().AuthorizationPolicy().Get(ctx, nil)
		if err != nil {
			return false, err
		}
		return *p.GetDefaultUserRolePermissions().GetAllowedToCreateApps(), nil
	}
	if allowed, err := policy("admin@contoso.com"); err != nil || !allowed {
		t.Fatalf("a new tenant lets users register apps: %v %v", allowed, err)
	}
	_, err := policy("user@contoso.com")
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

	_ = s.Tenant("", func(tn *sandbox.Tenant) { tn.UsersCanRegisterApps = false })
	if allowed, err := policy("admin@contoso.com"); err != nil || allowed {
		t.Fatalf("after switching it off the policy says %v %v", allowed, err)
	}
	user := userClient(t, s, "user@contoso.com", entraAppScopes...)
	body := models.NewApplication()
	body.SetDisplayName(entraS("Not allowed"))
	_, err = user.Applications().Post(ctx, body, nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	upsert := applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderPatchRequestConfiguration{Headers: abs.NewRequestHeaders()}
	upsert.Headers.Add("Prefer", "create-if-missing")
	_, err = user.ApplicationsWithUniqueName(entraS("not-allowed")).Patch(ctx, body, &upsert)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

	_ = s.Tenant("", func(tn *sandbox.Tenant) {
		u := tn.UserByIDOrUPN("user@contoso.com")
		u.Roles = append(u.Roles, sandbox.RoleApplicationDeveloper)
	})
	dev := userClient(t, s, "user@contoso.com", entraAppScopes...)
	entraNewApp(t, dev, "Allowed to an Application Developer")
	if _, err := dev.ApplicationsWithUniqueName(entraS("dev-upsert")).Patch(ctx, body, &upsert); err != nil {
		t.Fatalf("Application Developer upsert: %v", err)
	}
}

func TestDirectoryAppOnlyOwnedBy(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAppScopes...)
	foreign := entraNewApp(t, admin, "Not mine")

	automation := appClient(t, s, entraSeedApp(t, s, "Automation", "Application.ReadWrite.OwnedBy"))
	mine := entraNewApp(t, automation, "Created by automation")
	if _, err := automation.Applications().ByApplicationId(*mine.GetId()).AddPassword().Post(ctx, applications.NewItemAddPasswordPostRequestBody(), nil); err != nil {
		t.Fatalf("OwnedBy on its own app: %v", err)
	}
	_, err := automation.Applications().ByApplicationId(*foreign.GetId()).AddPassword().Post(ctx, applications.NewItemAddPasswordPostRequestBody(), nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}

func TestDirectoryListFilterSelectCountAndPaging(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAppScopes...)
	var wizardIDs []string
	for i := range 7 {
		body := models.NewApplication()
		body.SetDisplayName(entraS(fmt.Sprintf("Wizard app %d", i)))
		body.SetTags([]string{"m365wizard"})
		app, err := admin.Applications().Post(ctx, body, nil)
		if err != nil {
			t.Fatal(err)
		}
		wizardIDs = append(wizardIDs, *app.GetId())
	}
	other := entraNewApp(t, admin, "O'Brien tool")

	// startswith + $top pages through @odata.nextLink.
	cfg := &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{
			Filter: entraS("startswith(displayName,'Wizard app')"), Top: func() *int32 { n := int32(3); return &n }(),
			Select: []string{"id", "displayName", "tags"},
		},
	}
	page, err := admin.Applications().Get(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	pages := 0
	for {
		pages++
		for _, a := range page.GetValue() {
			got = append(got, *a.GetId())
			if a.GetAppId() != nil || a.GetPublisherDomain() != nil {
				t.Fatalf("$select leaked unselected properties: %+v", a)
			}
		}
		next := page.GetOdataNextLink()
		if next == nil {
			break
		}
		if page, err = admin.Applications().WithUrl(*next).Get(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if pages != 3 || strings.Join(got, ",") != strings.Join(wizardIDs, ",") {
		t.Fatalf("paged %d pages, ids %v, want 3 pages of %v", pages, got, wizardIDs)
	}

	// displayName eq with a doubled quote, appId eq, tags/any.
	for filter, want := range map[string]int{
		"displayName eq 'O''Brien tool'":                                     1,
		"appId eq '" + *other.GetAppId() + "'":                               1,
		"tags/any(t:t eq 'm365wizard')":                                      7,
		"displayName eq 'nothing like this'":                                 0,
		"tags/any(t:t eq 'm365wizard') or appId eq 'x'":                      7,
		"startswith(displayName,'wizard') and tags/any(t:t eq 'm365wizard')": 7,
	} {
		res, err := admin.Applications().Get(ctx, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
			QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Filter: entraS(filter)}})
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		if len(res.GetValue()) != want {
			t.Errorf("%s: %d apps, want %d", filter, len(res.GetValue()), want)
		}
	}

	// $count=true is an advanced query: the count comes with ConsistencyLevel: eventual.
	headers := abs.NewRequestHeaders()
	headers.Add("ConsistencyLevel", "eventual")
	counted, err := admin.Applications().Get(ctx, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		Headers:         headers,
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Count: func() *bool { b := true; return &b }(), Top: func() *int32 { n := int32(2); return &n }()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if counted.GetOdataCount() == nil || *counted.GetOdataCount() != 8 || len(counted.GetValue()) != 2 {
		t.Fatalf("@odata.count = %v with %d items, want 8 with 2", counted.GetOdataCount(), len(counted.GetValue()))
	}

	// A malformed filter and an out-of-range $top.
	_, err = admin.Applications().Get(ctx, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Filter: entraS("displayName eq")}})
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 400 || entraStr(oe.GetErrorEscaped().GetCode()) != "Request_UnsupportedQuery" {
		t.Fatalf("malformed $filter: %v", err)
	}
	_, err = admin.Applications().Get(ctx, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Top: func() *int32 { n := int32(1000); return &n }()}})
	entraODataErr(t, err, 400, "Request_BadRequest", "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.")
}

func TestDirectoryAlternateKeysAndUpsert(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAppScopes...)
	app := entraNewApp(t, admin, "Alt keys")

	byAppID, err := admin.ApplicationsWithAppId(app.GetAppId()).Get(ctx, nil)
	if err != nil || *byAppID.GetId() != *app.GetId() {
		t.Fatalf("GET (appId=…): %v %v", err, byAppID)
	}
	_, err = admin.ApplicationsWithAppId(entraS("8f0e3c79-0000-4000-8000-000000000000")).Get(ctx, nil)
	entraODataErr(t, err, 404, "Request_ResourceNotFound", "Resource '8f0e3c79-0000-4000-8000-000000000000' does not exist or one of its queried reference-property objects are not present.")

	// On the wire, $select shows in the context of a single entity.
	tok, _ := s.IssueUserToken("admin@contoso.com", "", "Application.Read.All")
	req, _ := http.NewRequest("GET", s.GraphURL()+"/v1.0/applications(appId='"+*app.GetAppId()+"')?$select=id,appId", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	hc := s.HTTPClient()
	t.Cleanup(hc.CloseIdleConnections)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	resp.Body.Close()
	if raw["@odata.context"] != s.GraphURL()+"/v1.0/$metadata#applications(id,appId)/$entity" || len(raw) != 3 {
		t.Fatalf("selected entity = %v", raw)
	}

	// addPassword addressed by appId.
	pw, err := admin.Applications().ByApplicationId(*app.GetId()).AddPassword().
		WithUrl(s.GraphURL()+"/v1.0/applications(appId='"+*app.GetAppId()+"')/addPassword").
		Post(ctx, applications.NewItemAddPasswordPostRequestBody(), nil)
	if err != nil || pw.GetKeyId() == nil {
		t.Fatalf("addPassword by appId: %v", err)
	}

	// Upsert by uniqueName: 201 with the app, then 204.
	prefer := abs.NewRequestHeaders()
	prefer.Add("Prefer", "create-if-missing")
	cfg := &applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderPatchRequestConfiguration{Headers: prefer}
	body := models.NewApplication()
	body.SetDisplayName(entraS("Upserted"))
	created, err := admin.ApplicationsWithUniqueName(entraS("app-65278")).Patch(ctx, body, cfg)
	if err != nil || created == nil || entraStr(created.GetUniqueName()) != "app-65278" {
		t.Fatalf("upsert create: %v %v", err, created)
	}
	again, err := admin.ApplicationsWithUniqueName(entraS("app-65278")).Patch(ctx, body, cfg)
	if err != nil || again != nil {
		t.Fatalf("upsert update: %v %v", err, again)
	}
	_, err = admin.ApplicationsWithUniqueName(entraS("app-missing")).Patch(ctx, body, nil)
	entraODataErr(t, err, 404, "Request_ResourceNotFound", "Resource 'app-missing' does not exist or one of its queried reference-property objects are not present.")
}

func TestDirectoryPatchReplacesCollectionsAndCertificates(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAppScopes...)
	app := entraNewApp(t, admin, "Patch me")
	item := admin.Applications().ByApplicationId(*app.GetId())

	rra := func(ids ...string) []models.RequiredResourceAccessable {
		r := models.NewRequiredResourceAccess()
		r.SetResourceAppId(entraS(entraGraphAppID))
		var acc []models.ResourceAccessable
		for _, id := range ids {
			ra := models.NewResourceAccess()
			ra.SetId(entraUUID(id))
			ra.SetTypeEscaped(entraS("Role"))
			acc = append(acc, ra)
		}
		r.SetResourceAccess(acc)
		return []models.RequiredResourceAccessable{r}
	}
	p := models.NewApplication()
	p.SetRequiredResourceAccess(rra(entraRoleUserReadAll, entraRoleMailSend))
	web := models.NewWebApplication()
	web.SetRedirectUris([]string{"https://helpdesk.example.com/auth", "https://helpdesk.example.com/alt"})
	p.SetWeb(web)
	p.SetTags([]string{"a", "b"})
	p.SetSignInAudience(entraS("AzureADMultipleOrgs"))
	if _, err := item.Patch(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	p = models.NewApplication()
	p.SetRequiredResourceAccess(rra(entraRoleMailSend))
	web = models.NewWebApplication()
	web.SetRedirectUris([]string{"https://helpdesk.example.com/auth"})
	p.SetWeb(web)
	p.SetTags([]string{"c"})
	if _, err := item.Patch(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	got, err := item.Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	acc := got.GetRequiredResourceAccess()
	if len(acc) != 1 || len(acc[0].GetResourceAccess()) != 1 || acc[0].GetResourceAccess()[0].GetId().String() != entraRoleMailSend ||
		entraStr(acc[0].GetResourceAccess()[0].GetTypeEscaped()) != "Role" {
		t.Fatalf("requiredResourceAccess not replaced: %+v", acc)
	}
	if uris := got.GetWeb().GetRedirectUris(); len(uris) != 1 || uris[0] != "https://helpdesk.example.com/auth" {
		t.Fatalf("web.redirectUris = %v", uris)
	}
	if tags := got.GetTags(); len(tags) != 1 || tags[0] != "c" || entraStr(got.GetSignInAudience()) != "AzureADMultipleOrgs" {
		t.Fatalf("tags %v audience %v", tags, entraStr(got.GetSignInAudience()))
	}

	// The other properties the wizard sets.
	p = models.NewApplication()
	p.SetDisplayName(entraS("Patched"))
	p.SetDescription(entraS("Helpdesk connector"))
	p.SetNotes(entraS("Created by the M365 setup wizard"))
	p.SetIdentifierUris([]string{"api://" + *app.GetAppId()})
	p.SetIsFallbackPublicClient(func() *bool { b := true; return &b }())
	pub := models.NewPublicClientApplication()
	pub.SetRedirectUris([]string{"http://localhost"})
	p.SetPublicClient(pub)
	spa := models.NewSpaApplication()
	spa.SetRedirectUris([]string{"https://helpdesk.example.com/spa"})
	p.SetSpa(spa)
	if _, err := item.Patch(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	got, err = item.Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if entraStr(got.GetDisplayName()) != "Patched" || entraStr(got.GetDescription()) != "Helpdesk connector" ||
		entraStr(got.GetNotes()) != "Created by the M365 setup wizard" || len(got.GetIdentifierUris()) != 1 ||
		got.GetIsFallbackPublicClient() == nil || !*got.GetIsFallbackPublicClient() ||
		strings.Join(got.GetPublicClient().GetRedirectUris(), ",") != "http://localhost" ||
		strings.Join(got.GetSpa().GetRedirectUris(), ",") != "https://helpdesk.example.com/spa" ||
		strings.Join(got.GetWeb().GetRedirectUris(), ",") != "https://helpdesk.example.com/auth" {
		t.Fatalf("PATCHed properties did not round-trip: %+v", got)
	}

	// Secrets cannot be PATCHed in; unknown properties are refused.
	p = models.NewApplication()
	p.SetPasswordCredentials([]models.PasswordCredentialable{models.NewPasswordCredential()})
	_, err = item.Patch(ctx, p, nil)
	entraODataErr(t, err, 400, "Request_BadRequest", "New password credentials must be generated with service actions.")
	p = models.NewApplication()
	p.SetAdditionalData(map[string]any{"clientSecret": "x"})
	_, err = item.Patch(ctx, p, nil)
	entraODataErr(t, err, 400, "Request_BadRequest", "Property 'clientSecret' does not exist as a declared property or extension property.")

	// A certificate: key is the DER, customKeyIdentifier defaults to the thumbprint.
	now := time.Now().Truncate(time.Second)
	der := entraSelfSignedCert(t, "helpdesk-wizard", now.Add(-time.Hour), now.AddDate(1, 0, 0))
	kc := models.NewKeyCredential()
	kc.SetTypeEscaped(entraS("AsymmetricX509Cert"))
	kc.SetUsage(entraS("Verify"))
	kc.SetKey(der)
	p = models.NewApplication()
	p.SetKeyCredentials([]models.KeyCredentialable{kc})
	if _, err := item.Patch(ctx, p, nil); err != nil {
		t.Fatalf("PATCH keyCredentials: %v", err)
	}
	got, err = item.Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := got.GetKeyCredentials()
	thumb := sha1.Sum(der)
	if len(keys) != 1 || keys[0].GetKey() != nil || !bytes.Equal(keys[0].GetCustomKeyIdentifier(), thumb[:]) ||
		entraStr(keys[0].GetDisplayName()) != "CN=helpdesk-wizard" || entraStr(keys[0].GetUsage()) != "Verify" ||
		keys[0].GetEndDateTime() == nil || !keys[0].GetEndDateTime().Equal(now.AddDate(1, 0, 0)) {
		t.Fatalf("keyCredentials without $select = %+v", keys)
	}
	withKey, err := item.Get(ctx, &applications.ApplicationItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationItemRequestBuilderGetQueryParameters{Select: []string{"id", "keyCredentials"}}})
	if err != nil {
		t.Fatal(err)
	}
	if k := withKey.GetKeyCredentials(); len(k) != 1 || !bytes.Equal(k[0].GetKey(), der) || withKey.GetDisplayName() != nil {
		t.Fatalf("$select=keyCredentials should return the key (and nothing unselected): %+v", k)
	}

	// Invalid certificates.
	for name, mut := range map[string]func(models.KeyCredentialable){
		"not a certificate": func(k models.KeyCredentialable) { k.SetKey([]byte("not a certificate")) },
		"wrong usage":       func(k models.KeyCredentialable) { k.SetUsage(entraS("Encrypt")) },
		"beyond the cert":   func(k models.KeyCredentialable) { e := now.AddDate(3, 0, 0); k.SetEndDateTime(&e) },
	} {
		bad := models.NewKeyCredential()
		bad.SetTypeEscaped(entraS("AsymmetricX509Cert"))
		bad.SetUsage(entraS("Verify"))
		bad.SetKey(der)
		mut(bad)
		p = models.NewApplication()
		p.SetKeyCredentials([]models.KeyCredentialable{bad})
		_, err := item.Patch(ctx, p, nil)
		want := map[string]string{
			"not a certificate": "Invalid value specified for property 'key' of resource 'KeyCredential'.",
			"wrong usage":       `The value for the property "usage" in one of your credentials is invalid. Acceptable values are Sign, Verify.`,
			"beyond the cert":   "Key credential end date is invalid.",
		}[name]
		entraODataErr(t, err, 400, "Request_BadRequest", want)
	}
	// The failed PATCHes left the certificate alone.
	got, _ = item.Get(ctx, nil)
	if len(got.GetKeyCredentials()) != 1 {
		t.Fatalf("failed PATCH changed keyCredentials: %d", len(got.GetKeyCredentials()))
	}
}

func TestDirectoryAddAndRemovePassword(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAppScopes...)
	app := entraNewApp(t, admin, "Secrets")
	item := admin.Applications().ByApplicationId(*app.GetId())

	body := applications.NewItemAddPasswordPostRequestBody()
	pc := models.NewPasswordCredential()
	pc.SetDisplayName(entraS("Helpdesk wizard"))
	body.SetPasswordCredential(pc)
	before := time.Now().Add(-time.Second)
	cred, err := item.AddPassword().Post(ctx, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret := entraStr(cred.GetSecretText())
	if !regexp.MustCompile(`^[A-Za-z0-9._~-]{3}[0-9]Q~[A-Za-z0-9._~-]{34}$`).MatchString(secret) {
		t.Fatalf("secretText %q is not shaped like an Entra secret", secret)
	}
	if entraStr(cred.GetHint()) != secret[:3] || cred.GetKeyId() == nil || entraStr(cred.GetDisplayName()) != "Helpdesk wizard" {
		t.Fatalf("hint/keyId/displayName: %q %v %q", entraStr(cred.GetHint()), cred.GetKeyId(), entraStr(cred.GetDisplayName()))
	}
	from, until := *cred.GetStartDateTime(), *cred.GetEndDateTime()
	if from.Before(before) || !until.Equal(from.AddDate(2, 0, 0)) {
		t.Fatalf("start %v end %v: default lifetime is two years", from, until)
	}
	// The sandbox keeps the secret (the token endpoint checks it) with its creation time.
	_ = s.Tenant("", func(tn *sandbox.Tenant) {
		a := tn.AppByAppID(*app.GetAppId())
		if len(a.PasswordCredentials) != 1 || a.PasswordCredentials[0].Secret != secret {
			t.Errorf("stored credential = %+v", a.PasswordCredentials)
		}
	})

	// Reads never return the secret.
	got, err := item.Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pcs := got.GetPasswordCredentials(); len(pcs) != 1 || pcs[0].GetSecretText() != nil || entraStr(pcs[0].GetHint()) != secret[:3] ||
		*pcs[0].GetKeyId() != *cred.GetKeyId() {
		t.Fatalf("passwordCredentials on GET = %+v", pcs)
	}
	list, err := admin.Applications().Get(ctx, nil)
	if err != nil || len(list.GetValue()) != 1 || list.GetValue()[0].GetPasswordCredentials()[0].GetSecretText() != nil {
		t.Fatalf("list leaks secretText: %v", err)
	}

	// An explicit lifetime.
	body = applications.NewItemAddPasswordPostRequestBody()
	pc = models.NewPasswordCredential()
	e := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	pc.SetEndDateTime(&e)
	body.SetPasswordCredential(pc)
	second, err := item.AddPassword().Post(ctx, body, nil)
	if err != nil || !second.GetEndDateTime().Equal(e) {
		t.Fatalf("explicit endDateTime: %v %v", err, second)
	}

	// removePassword: 204, then the key is gone; an unknown keyId is refused.
	rm := applications.NewItemRemovePasswordPostRequestBody()
	rm.SetKeyId(cred.GetKeyId())
	if err := item.RemovePassword().Post(ctx, rm, nil); err != nil {
		t.Fatal(err)
	}
	got, _ = item.Get(ctx, nil)
	if pcs := got.GetPasswordCredentials(); len(pcs) != 1 || *pcs[0].GetKeyId() != *second.GetKeyId() {
		t.Fatalf("after removePassword: %+v", pcs)
	}
	err = item.RemovePassword().Post(ctx, rm, nil)
	entraODataErr(t, err, 400, "Request_BadRequest", "No password credential found with keyId "+cred.GetKeyId().String()+".")
}

func TestDirectorySecretLifetimePolicy(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAdminScopes...)
	app := entraNewApp(t, admin, "Capped")
	item := admin.Applications().ByApplicationId(*app.GetId())

	pol, err := admin.Policies().DefaultAppManagementPolicy().Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pol.GetIsEnabled() == nil || *pol.GetIsEnabled() || entraStr(pol.GetId()) != "00000000-0000-0000-0000-000000000000" ||
		entraStr(pol.GetDisplayName()) != "Default app management tenant policy" {
		t.Fatalf("default policy = %+v", pol)
	}

	if err := s.SetSecretLifetimeCap("", 90*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	pol, err = admin.Policies().DefaultAppManagementPolicy().Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	restr := pol.GetApplicationRestrictions().GetPasswordCredentials()
	if !*pol.GetIsEnabled() || len(restr) != 1 || restr[0].GetRestrictionType().String() != "passwordLifetime" ||
		restr[0].GetMaxLifetime() == nil || restr[0].GetMaxLifetime().GetWeeks()*7+restr[0].GetMaxLifetime().GetDays() != 90 || restr[0].GetRestrictForAppsCreatedAfterDateTime() == nil {
		t.Fatalf("capped policy = %v %v %v %v", *pol.GetIsEnabled(), restr[0].GetRestrictionType(), restr[0].GetMaxLifetime(), restr[0].GetRestrictForAppsCreatedAfterDateTime())
	}

	// The default two years is beyond the cap: Graph's real error.
	_, err = item.AddPassword().Post(ctx, applications.NewItemAddPasswordPostRequestBody(), nil)
	oe := entraODataErr(t, err, 400, "CredentialInvalidLifetimeAsPerAppPolicy", "Credential lifetime exceeds the max value allowed as per assigned policy '00000000-0000-0000-0000-000000000000'.")
	if d := oe.GetErrorEscaped().GetDetails(); len(d) != 1 || entraStr(d[0].GetCode()) != "InvalidKeyEndDate" || entraStr(d[0].GetTarget()) != "EndDate" {
		t.Fatalf("details = %+v", d)
	}
	// Within the cap it works.
	body := applications.NewItemAddPasswordPostRequestBody()
	pc := models.NewPasswordCredential()
	e := time.Now().Add(60 * 24 * time.Hour)
	pc.SetEndDateTime(&e)
	body.SetPasswordCredential(pc)
	if _, err := item.AddPassword().Post(ctx, body, nil); err != nil {
		t.Fatalf("within the cap: %v", err)
	}
	// Lifting the cap disables the policy again.
	_ = s.SetSecretLifetimeCap("", 0)
	if _, err := item.AddPassword().Post(ctx, applications.NewItemAddPasswordPostRequestBody(), nil); err != nil {
		t.Fatalf("after lifting the cap: %v", err)
	}

	// Reading the policy needs Policy.Read.All.
	_, err = userClient(t, s, "admin@contoso.com", entraAppScopes...).Policies().DefaultAppManagementPolicy().Get(ctx, nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	custom, err := admin.Policies().AppManagementPolicies().Get(ctx, nil)
	if err != nil || custom.GetValue() == nil || len(custom.GetValue()) != 0 {
		t.Fatalf("appManagementPolicies: %v %v", err, custom)
	}
}

func TestDirectoryAppReplicationLag(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAppScopes...)
	const lag = 400 * time.Millisecond
	s.SetBehaviour(sandbox.Behaviour{AppReplicationLag: lag})
	created := time.Now()
	app := entraNewApp(t, admin, "Replicating")
	id, appID := *app.GetId(), *app.GetAppId()
	notFound := fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)

	// Right after create, the app is not visible to the next replica.
	_, err := admin.Applications().ByApplicationId(id).Get(ctx, nil)
	entraODataErr(t, err, 404, "Request_ResourceNotFound", notFound)
	_, err = admin.Applications().ByApplicationId(id).AddPassword().Post(ctx, applications.NewItemAddPasswordPostRequestBody(), nil)
	entraODataErr(t, err, 404, "Request_ResourceNotFound", notFound)
	p := models.NewApplication()
	p.SetNotes(entraS("x"))
	_, err = admin.Applications().ByApplicationId(id).Patch(ctx, p, nil)
	entraODataErr(t, err, 404, "Request_ResourceNotFound", notFound)
	body := models.NewServicePrincipal()
	body.SetAppId(&appID)
	_, err = admin.ServicePrincipals().Post(ctx, body, nil)
	msg := "The appId '" + appID + "' of the service principal does not reference a valid application object."
	oe := entraODataErr(t, err, 400, "Request_BadRequest", msg)
	if d := oe.GetErrorEscaped().GetDetails(); len(d) != 1 || entraStr(d[0].GetCode()) != "NoBackingApplicationObject" ||
		entraStr(d[0].GetMessage()) != msg || entraStr(d[0].GetTarget()) != "appId" {
		t.Fatalf("details = %+v", d)
	}

	// Retrying with a deadline, as the wizard does, gets through once replicated.
	var sp models.ServicePrincipalable
	seen := entraPoll(t, 5*time.Second, "create SP during app replication", func() error {
		var err error
		sp, err = admin.ServicePrincipals().Post(ctx, body, nil)
		return err
	})
	if len(seen) == 0 || time.Since(created) < lag || entraStr(sp.GetAppId()) != appID {
		t.Fatalf("SP created after %v with %d failures", time.Since(created), len(seen))
	}
	if _, err := admin.Applications().ByApplicationId(id).AddPassword().Post(ctx, applications.NewItemAddPasswordPostRequestBody(), nil); err != nil {
		t.Fatalf("addPassword after replication: %v", err)
	}
}
