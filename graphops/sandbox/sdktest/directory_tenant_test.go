package sdktest

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"m365wizard/graphops/sandbox"
)

func TestDirectoryOrganizationDomainsAndMe(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	me := userClient(t, s, "admin@contoso.com", "User.Read")

	orgs, err := me.Organization().Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs.GetValue()) != 1 {
		t.Fatalf("%d organizations", len(orgs.GetValue()))
	}
	org := orgs.GetValue()[0]
	if entraStr(org.GetId()) != s.TenantID() || entraStr(org.GetDisplayName()) != "Contoso" || entraStr(org.GetTenantType()) != "AAD" {
		t.Fatalf("organization = %v %v %v", entraStr(org.GetId()), entraStr(org.GetDisplayName()), entraStr(org.GetTenantType()))
	}
	var initial, def string
	for _, d := range org.GetVerifiedDomains() {
		if d.GetIsInitial() != nil && *d.GetIsInitial() {
			initial = entraStr(d.GetName())
		}
		if d.GetIsDefault() != nil && *d.GetIsDefault() {
			def = entraStr(d.GetName())
		}
		if entraStr(d.GetTypeEscaped()) != "Managed" || !strings.Contains(entraStr(d.GetCapabilities()), "Email") {
			t.Errorf("verifiedDomain %+v", d)
		}
	}
	if initial != "contoso.onmicrosoft.com" || def != "contoso.com" {
		t.Fatalf("initial %q default %q", initial, def)
	}

	// /domains needs Domain.Read.All (or Directory.Read.All).
	_, err = me.Domains().Get(ctx, nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	domains, err := userClient(t, s, "admin@contoso.com", "Domain.Read.All").Domains().Get(ctx, nil)
	if err != nil || len(domains.GetValue()) != 2 || entraStr(domains.GetValue()[0].GetId()) != "contoso.com" || !*domains.GetValue()[0].GetIsVerified() {
		t.Fatalf("domains: %v %+v", err, domains)
	}

	user, err := me.Me().Get(ctx, nil)
	if err != nil || entraStr(user.GetUserPrincipalName()) != "admin@contoso.com" || entraStr(user.GetDisplayName()) != "Megan Bowen" || user.GetBusinessPhones() == nil {
		t.Fatalf("me: %v %+v", err, user)
	}
	// /me makes no sense app-only.
	_, err = appClient(t, s, entraSeedApp(t, s, "Daemon", "Mail.Send")).Me().Get(ctx, nil)
	entraODataErr(t, err, 400, "BadRequest", "/me request is only valid with delegated authentication flow.")
}

func TestDirectoryMyRolesActiveAndEligible(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	roleNames := func(upn string) []string {
		res, err := userClient(t, s, upn, "User.Read").Me().TransitiveMemberOf().GraphDirectoryRole().Get(ctx, nil)
		if err != nil {
			t.Fatalf("%s: %v", upn, err)
		}
		var out []string
		for _, r := range res.GetValue() {
			if entraStr(r.GetRoleTemplateId()) == "" || entraStr(r.GetDescription()) == "" || r.GetId() == nil {
				t.Errorf("directoryRole %+v lacks fields", r)
			}
			out = append(out, entraStr(r.GetDisplayName())+"="+entraStr(r.GetRoleTemplateId()))
		}
		return out
	}
	if got := roleNames("admin@contoso.com"); len(got) != 1 || got[0] != "Global Administrator=62e90394-69f5-4237-9190-012177145e10" {
		t.Fatalf("admin roles %v", got)
	}
	if got := roleNames("appadmin@contoso.com"); len(got) != 1 || got[0] != "Application Administrator=9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3" {
		t.Fatalf("appadmin roles %v", got)
	}
	// Eligible is not active: no role until activated in PIM.
	if got := roleNames("pimadmin@contoso.com"); len(got) != 0 {
		t.Fatalf("pimadmin active roles %v", got)
	}
	// The uncast collection carries the @odata.type of each member.
	all, err := userClient(t, s, "admin@contoso.com", "User.Read").Me().TransitiveMemberOf().Get(ctx, nil)
	if err != nil || len(all.GetValue()) != 1 {
		t.Fatalf("transitiveMemberOf: %v", err)
	}
	if _, ok := all.GetValue()[0].(models.DirectoryRoleable); !ok {
		t.Fatalf("member is %T, want a directoryRole", all.GetValue()[0])
	}

	// PIM eligibility: the real function, with its own permission.
	on := "principal"
	_, err = userClient(t, s, "pimadmin@contoso.com", "User.Read").RoleManagement().Directory().RoleEligibilityScheduleInstances().FilterByCurrentUserWithOn(&on).GetAsFilterByCurrentUserWithOnGetResponse(ctx, nil)
	entraODataErr(t, err, 403, "UnknownError", `{"errorCode":"PermissionScopeNotGranted","message":"Authorization failed due to missing permission scope RoleEligibilitySchedule.Read.Directory,RoleManagement.Read.Directory,RoleManagement.Read.All,RoleEligibilitySchedule.ReadWrite.Directory,RoleManagement.ReadWrite.Directory.","instanceAnnotations":[]}`)
	pim := userClient(t, s, "pimadmin@contoso.com", "User.Read", "RoleEligibilitySchedule.Read.Directory")
	el, err := pim.RoleManagement().Directory().RoleEligibilityScheduleInstances().FilterByCurrentUserWithOn(&on).GetAsFilterByCurrentUserWithOnGetResponse(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(el.GetValue()) != 1 || entraStr(el.GetValue()[0].GetRoleDefinitionId()) != sandbox.RoleGlobalAdministrator ||
		entraStr(el.GetValue()[0].GetDirectoryScopeId()) != "/" || !strings.HasSuffix(entraStr(el.GetValue()[0].GetId()), "-1-e") {
		t.Fatalf("eligibility = %+v", el.GetValue())
	}
	none, err := userClient(t, s, "admin@contoso.com", "RoleEligibilitySchedule.Read.Directory").RoleManagement().Directory().
		RoleEligibilityScheduleInstances().FilterByCurrentUserWithOn(&on).GetAsFilterByCurrentUserWithOnGetResponse(ctx, nil)
	if err != nil || len(none.GetValue()) != 0 {
		t.Fatalf("admin eligibility: %v %d", err, len(none.GetValue()))
	}
}

// A POST throttled once (429, Retry-After under a second) is retried by the
// SDK's retry handler with its body intact: the app is created once, with the
// name that was sent.
func TestDirectoryPostRetriedAfter429KeepsItsBody(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAppScopes...)
	s.InjectFault(sandbox.Fault{Kind: sandbox.FaultThrottle, Host: sandbox.HostGraph, Method: "POST", PathContains: "/v1.0/applications", Times: 2, RetryAfter: 500 * time.Millisecond})
	app := entraNewApp(t, admin, "Throttled but created")
	if entraStr(app.GetDisplayName()) != "Throttled but created" {
		t.Fatalf("displayName %q after retry", entraStr(app.GetDisplayName()))
	}
	if n := s.Log().Count(sandbox.HostGraph, "POST", "/v1.0/applications"); n != 3 {
		t.Fatalf("%d POSTs on the wire, want 3 (two 429s, then 201)", n)
	}
	list, err := admin.Applications().Get(ctx, nil)
	if err != nil || len(list.GetValue()) != 1 {
		t.Fatalf("apps after the retried POST: %v %d", err, len(list.GetValue()))
	}

	// Same for an action: addPassword retried after a 503.
	s.InjectFault(sandbox.Fault{Kind: sandbox.FaultUnavailable, Host: sandbox.HostGraph, Method: "POST", PathContains: "/addPassword", RetryAfter: 100 * time.Millisecond})
	if _, err := admin.Applications().ByApplicationId(*app.GetId()).AddPassword().Post(ctx, applications.NewItemAddPasswordPostRequestBody(), nil); err != nil {
		t.Fatalf("addPassword after 503: %v", err)
	}
}

// kiota sends no Authorization header to a host outside the allowed hosts and
// raises no error (GRAPH-FACTS §8.2): the sandbox then answers 401 with Graph's
// envelope. newClient lists 127.0.0.1, so its requests are authenticated.
func TestDirectoryAllowedHostsDecideTheAuthorizationHeader(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	tok, err := s.IssueUserToken("admin@contoso.com", "", "User.Read")
	if err != nil {
		t.Fatal(err)
	}
	var sawAuth atomic.Int32
	spy := &entraSpyTransport{next: http.DefaultTransport, saw: &sawAuth}
	hc := s.HTTPClient()
	t.Cleanup(hc.CloseIdleConnections)
	spy.next = hc.Transport
	client := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(spy, middlewares()...)}
	auth := absauth.NewBaseBearerTokenAuthenticationProvider(&staticToken{token: tok,
		hosts: absauth.NewAllowedHostsValidator([]string{"graph.microsoft.com"})})
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, client)
	if err != nil {
		t.Fatal(err)
	}
	adapter.SetBaseUrl(s.GraphURL() + "/v1.0")
	_, err = msgraphsdk.NewGraphServiceClient(adapter).Organization().Get(ctx, nil)
	entraODataErr(t, err, 401, "InvalidAuthenticationToken", "Access token is empty.")
	if sawAuth.Load() != 0 {
		t.Fatal("an Authorization header reached a host outside the allowed hosts")
	}
	if _, err := userClient(t, s, "admin@contoso.com", "User.Read").Organization().Get(ctx, nil); err != nil {
		t.Fatalf("newClient (127.0.0.1 allowed): %v", err)
	}
}

type entraSpyTransport struct {
	next http.RoundTripper
	saw  *atomic.Int32
}

func (s *entraSpyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") != "" {
		s.saw.Add(1)
	}
	return s.next.RoundTrip(r)
}
