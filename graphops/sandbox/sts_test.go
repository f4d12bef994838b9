package sandbox

// The identity platform exercised with the real MSAL Go (v1.10.1): device code,
// interactive (auth code + PKCE through CompleteSignIn), silent refresh, and
// confidential clients with secrets and certificates.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// ---------------------------------------------------------------------------
// helpers

func stsCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func stsPublicClient(t *testing.T, s *Server, tenant string) public.Client {
	t.Helper()
	c, err := public.New(GraphCommandLineToolsAppID, public.WithAuthority(s.LoginURL()+"/"+tenant),
		public.WithHTTPClient(s.HTTPClient()), public.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func stsConfidentialClient(t *testing.T, s *Server, tenant, appID string, cred confidential.Credential) confidential.Client {
	t.Helper()
	c, err := confidential.New(s.LoginURL()+"/"+tenant, appID, cred,
		confidential.WithHTTPClient(s.HTTPClient()), confidential.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stsJWTClaims decodes a JWT's payload without verifying it.
func stsJWTClaims(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func stsClaimList(c map[string]any, name string) []string {
	switch v := c[name].(type) {
	case string:
		return strings.Fields(v)
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func stsUserID(t *testing.T, s *Server, tenantID, upn string) string {
	t.Helper()
	var id string
	if err := s.Tenant(tenantID, func(tn *Tenant) { id = tn.UserByIDOrUPN(upn).ID }); err != nil {
		t.Fatal(err)
	}
	return id
}

func stsWantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error does not contain %q:\n%v", p, err)
		}
	}
}

// stsEventually polls f until it returns nil or the deadline passes.
func stsEventually(t *testing.T, within time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %v: %v", within, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func stsInteractive(ctx context.Context, s *Server, c public.Client, upn string, scopes ...string) (public.AuthResult, error) {
	return c.AcquireTokenInteractive(ctx, scopes, public.WithOpenURL(func(u string) error {
		return s.CompleteSignIn(ctx, u, upn)
	}))
}

// stsDaemon arranges a confidential client app in a tenant.
type stsDaemon struct {
	noSP        bool
	secretAge   time.Duration // how long ago the secret was added (default an hour)
	secretEnd   time.Time     // default a year from now
	appAge      time.Duration // how long ago the app was created (default a day)
	roles       []string      // Graph app role ids to assign
	assignedAgo time.Duration // how long ago the roles were assigned (default an hour)
	certs       []*x509.Certificate
}

func stsArrangeDaemon(t *testing.T, s *Server, tenantID string, d stsDaemon) (appID, secret string) {
	t.Helper()
	now := time.Now()
	if d.secretAge == 0 {
		d.secretAge = time.Hour
	}
	if d.secretEnd.IsZero() {
		d.secretEnd = now.AddDate(1, 0, 0)
	}
	if d.appAge == 0 {
		d.appAge = 24 * time.Hour
	}
	if d.assignedAgo == 0 {
		d.assignedAgo = time.Hour
	}
	appID, secret = uuid.NewString(), "Q_e8Q~"+stsRandom(26)
	err := s.Tenant(tenantID, func(tn *Tenant) {
		app := &Application{ID: uuid.NewString(), AppID: appID, DisplayName: "Helpdesk connector", SignInAudience: "AzureADMyOrg",
			CreatedDateTime: now.Add(-d.appAge), created: now.Add(-d.appAge),
			PasswordCredentials: []PasswordCredential{{KeyID: uuid.NewString(), DisplayName: "wizard", Hint: secret[:3],
				StartDateTime: now.Add(-d.secretAge), EndDateTime: d.secretEnd, Secret: secret, created: now.Add(-d.secretAge)}}}
		for _, c := range d.certs {
			thumb := sha1.Sum(c.Raw)
			app.KeyCredentials = append(app.KeyCredentials, KeyCredential{KeyID: uuid.NewString(), DisplayName: c.Subject.String(),
				Type: "AsymmetricX509Cert", Usage: "Verify", Key: c.Raw, CustomKeyIdentifier: thumb[:],
				StartDateTime: c.NotBefore, EndDateTime: c.NotAfter})
		}
		tn.Apps[app.ID] = app
		if d.noSP {
			return
		}
		sp := &ServicePrincipal{ID: uuid.NewString(), AppID: appID, DisplayName: app.DisplayName, AppDisplayName: app.DisplayName,
			AppOwnerOrganizationID: tn.ID, AccountEnabled: true, ServicePrincipalType: "Application", created: now.Add(-d.appAge)}
		tn.SPs[sp.ID] = sp
		for _, r := range d.roles {
			tn.Assignments = append(tn.Assignments, &AppRoleAssignment{ID: uuid.NewString(), AppRoleID: r, PrincipalID: sp.ID,
				PrincipalType: "ServicePrincipal", ResourceID: tn.GraphSP.ID, ResourceDisplayName: "Microsoft Graph",
				CreatedDateTime: now.Add(-d.assignedAgo)})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return appID, secret
}

func stsSelfSignedCert(t *testing.T, cn string) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

const (
	stsRoleUserReadAll = "df021288-bdef-4463-88db-98f22de89214"
	stsRoleMailSend    = "b633e1c5-b582-4048-a93e-9f11b44c7e96"
)

// ---------------------------------------------------------------------------
// Device code

func TestDeviceCodeApprovedGivesUserTokens(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	c := stsPublicClient(t, s, "contoso.com")
	dc, err := c.AcquireTokenByDeviceCode(ctx, []string{"User.Read"})
	if err != nil {
		t.Fatal(err)
	}
	r := dc.Result
	if !regexp.MustCompile(`^[A-Z0-9]{9}$`).MatchString(r.UserCode) {
		t.Fatalf("user code %q is not 9 upper-case letters and digits", r.UserCode)
	}
	wantURI := s.LoginURL() + "/devicelogin"
	if r.VerificationURL != wantURI {
		t.Fatalf("verification_uri = %q, want %q", r.VerificationURL, wantURI)
	}
	wantMsg := "To sign in, use a web browser to open the page " + wantURI + " and enter the code " + r.UserCode + " to authenticate."
	if r.Message != wantMsg {
		t.Fatalf("message = %q\nwant      %q", r.Message, wantMsg)
	}
	if d := time.Until(r.ExpiresOn); d < 14*time.Minute || d > 15*time.Minute {
		t.Fatalf("expires in %v, want 15 minutes", d)
	}
	if r.Interval != 5 {
		t.Fatalf("interval = %d", r.Interval)
	}
	go func() {
		if err := s.ApproveDeviceCode(r.UserCode, "admin@contoso.com"); err != nil {
			t.Error(err)
		}
	}()
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cl := stsJWTClaims(t, res.AccessToken)
	if cl["aud"] != "https://graph.microsoft.com" || cl["tid"] != s.TenantID() || cl["upn"] != "admin@contoso.com" ||
		cl["oid"] != stsUserID(t, s, "", "admin@contoso.com") || cl["appid"] != GraphCommandLineToolsAppID {
		t.Fatalf("claims: %v", cl)
	}
	if scp := stsClaimList(cl, "scp"); !slices.Contains(scp, "User.Read") || slices.Contains(scp, "offline_access") {
		t.Fatalf("scp = %v", scp)
	}
	if res.Account.PreferredUsername != "admin@contoso.com" || res.IDToken.TenantID != s.TenantID() {
		t.Fatalf("account %+v id token %+v", res.Account, res.IDToken)
	}
	// The code is spent.
	if err := s.ApproveDeviceCode(r.UserCode, "admin@contoso.com"); !errors.Is(err, ErrDeviceCodeUsed) {
		t.Fatalf("approving again: %v", err)
	}
}

func TestDeviceCodePendingThenApproved(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	c := stsPublicClient(t, s, s.TenantID())
	dc, err := c.AcquireTokenByDeviceCode(ctx, []string{"https://graph.microsoft.com/User.Read"})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		res public.AuthResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := dc.AuthenticationResult(ctx)
		done <- result{res, err}
	}()
	// Wait until MSAL has been told authorization_pending at least once.
	pending := func() error {
		for _, e := range s.Log().Entries() {
			if e.Host == HostLogin && e.Method == "POST" && strings.HasSuffix(e.Path, "/oauth2/v2.0/token") && e.Status == 400 {
				return nil
			}
		}
		return errors.New("no authorization_pending answer yet")
	}
	stsEventually(t, 10*time.Second, pending)
	select {
	case r := <-done:
		t.Fatalf("finished before approval: %v", r.err)
	default:
	}
	if err := s.ApproveDeviceCode(dc.Result.UserCode, "appadmin@contoso.com"); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if cl := stsJWTClaims(t, r.res.AccessToken); cl["upn"] != "appadmin@contoso.com" {
		t.Fatalf("claims %v", cl)
	}
}

func TestDeviceCodeDeclinedOnThePage(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	c := stsPublicClient(t, s, "contoso.com")
	dc, err := c.AcquireTokenByDeviceCode(ctx, []string{"User.Read"})
	if err != nil {
		t.Fatal(err)
	}
	browser := s.HTTPClient()
	post := func(v url.Values) string {
		resp, err := browser.PostForm(dc.Result.VerificationURL, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if page := post(url.Values{"otc": {"AAAAAAAAA"}}); !strings.Contains(page, "That code didn&#39;t work") {
		t.Fatalf("a wrong code was accepted:\n%s", page)
	}
	page := post(url.Values{"otc": {strings.ToLower(dc.Result.UserCode)}})
	for _, want := range []string{"Microsoft Graph Command Line Tools", "Sign in and read user profile", "admin@contoso.com", "Global Administrator"} {
		if !strings.Contains(page, want) {
			t.Fatalf("account page lacks %q:\n%s", want, page)
		}
	}
	if page := post(url.Values{"otc": {dc.Result.UserCode}, "decision": {"decline"}}); !strings.Contains(page, "declined") {
		t.Fatalf("decline page:\n%s", page)
	}
	_, err = dc.AuthenticationResult(ctx)
	stsWantErr(t, err, "authorization_declined")
}

func TestDeviceCodeExpires(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	c := stsPublicClient(t, s, "contoso.com")
	dc, err := c.AcquireTokenByDeviceCode(ctx, []string{"User.Read"})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.sts.devices[s.sts.userCodes[dc.Result.UserCode]].expires = time.Now().Add(-time.Second)
	s.mu.Unlock()
	if err := s.ApproveDeviceCode(dc.Result.UserCode, "admin@contoso.com"); !errors.Is(err, ErrDeviceCodeExpired) {
		t.Fatalf("approve after expiry: %v", err)
	}
	_, err = dc.AuthenticationResult(ctx)
	stsWantErr(t, err, "expired_token", "AADSTS70020")
}

func TestDeviceCodeNonAdminCannotApproveAdminScope(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	c := stsPublicClient(t, s, "contoso.com")
	dc, err := c.AcquireTokenByDeviceCode(ctx, []string{"Application.ReadWrite.All"})
	if err != nil {
		t.Fatal(err)
	}
	var need *NeedAdminApprovalError
	if err := s.ApproveDeviceCode(dc.Result.UserCode, "pimadmin@contoso.com"); !errors.As(err, &need) {
		t.Fatalf("PIM-eligible user approved an admin scope: %v", err)
	}
	if err := s.ApproveDeviceCode(dc.Result.UserCode, "admin@contoso.com"); err != nil {
		t.Fatal(err)
	}
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if scp := stsClaimList(stsJWTClaims(t, res.AccessToken), "scp"); !slices.Contains(scp, "Application.ReadWrite.All") {
		t.Fatalf("scp = %v", scp)
	}
}

// ---------------------------------------------------------------------------
// Interactive (auth code + PKCE, form_post)

func TestInteractiveGlobalAdminThenSilentRefresh(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	c := stsPublicClient(t, s, "contoso.com")
	res, err := stsInteractive(ctx, s, c, "admin@contoso.com", "User.Read", "Application.ReadWrite.All")
	if err != nil {
		t.Fatal(err)
	}
	adminID := stsUserID(t, s, "", "admin@contoso.com")
	cl := stsJWTClaims(t, res.AccessToken)
	if cl["aud"] != "https://graph.microsoft.com" || cl["tid"] != s.TenantID() || cl["oid"] != adminID ||
		cl["upn"] != "admin@contoso.com" || cl["idtyp"] != "user" {
		t.Fatalf("claims: %v", cl)
	}
	scp := stsClaimList(cl, "scp")
	for _, want := range []string{"User.Read", "Application.ReadWrite.All", "openid", "profile"} {
		if !slices.Contains(scp, want) {
			t.Fatalf("scp %v lacks %s", scp, want)
		}
	}
	if !slices.Contains(stsClaimList(cl, "wids"), RoleGlobalAdministrator) {
		t.Fatalf("wids = %v", cl["wids"])
	}
	if res.IDToken.PreferredUsername != "admin@contoso.com" || res.IDToken.Oid != adminID ||
		res.IDToken.Issuer != s.LoginURL()+"/"+s.TenantID()+"/v2.0" || res.IDToken.Audience != GraphCommandLineToolsAppID {
		t.Fatalf("id token: %+v", res.IDToken)
	}
	if res.Account.HomeAccountID != adminID+"."+s.TenantID() {
		t.Fatalf("home account id %q", res.Account.HomeAccountID)
	}
	// The consent is recorded as Entra records it: a grant for this user.
	var grant string
	_ = s.Tenant("", func(tn *Tenant) {
		cli := tn.SPByAppID(GraphCommandLineToolsAppID)
		for _, g := range tn.Grants {
			if g.ClientID == cli.ID && g.ConsentType == "Principal" && g.PrincipalID == adminID {
				grant = g.Scope
			}
		}
	})
	if !strings.Contains(grant, "Application.ReadWrite.All") {
		t.Fatalf("grant scope %q", grant)
	}

	// Another scope set of the same resource: not in the cache, so MSAL redeems
	// the refresh token (no new sign-in).
	authorizes := s.Log().Count(HostLogin, "GET", "/oauth2/v2.0/authorize")
	tokens := s.Log().Count(HostLogin, "POST", "/oauth2/v2.0/token")
	silent, err := c.AcquireTokenSilent(ctx, []string{"https://graph.microsoft.com/Application.ReadWrite.All"}, public.WithSilentAccount(res.Account))
	if err != nil {
		t.Fatal(err)
	}
	if s.Log().Count(HostLogin, "POST", "/oauth2/v2.0/token") != tokens+1 || s.Log().Count(HostLogin, "GET", "/oauth2/v2.0/authorize") != authorizes {
		t.Fatal("silent call did not go through exactly one refresh_token request")
	}
	if silent.AccessToken == res.AccessToken {
		t.Fatal("silent call returned the cached token")
	}
	if scp := stsClaimList(stsJWTClaims(t, silent.AccessToken), "scp"); !slices.Contains(scp, "Application.ReadWrite.All") || !slices.Contains(scp, "User.Read") {
		t.Fatalf("refreshed scp %v (want the consented scopes)", scp)
	}
	// A scope nobody consented to needs an interactive request.
	_, err = c.AcquireTokenSilent(ctx, []string{"Policy.Read.All"}, public.WithSilentAccount(res.Account))
	stsWantErr(t, err, "AADSTS65001", "consent_required")
}

func TestInteractiveTenantByGUIDAndAppAdminConsent(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	c := stsPublicClient(t, s, s.TenantID())
	res, err := stsInteractive(ctx, s, c, "appadmin@contoso.com", "Application.ReadWrite.All")
	if err != nil {
		t.Fatal(err)
	}
	cl := stsJWTClaims(t, res.AccessToken)
	if cl["tid"] != s.TenantID() || !slices.Contains(stsClaimList(cl, "scp"), "Application.ReadWrite.All") ||
		!slices.Contains(stsClaimList(cl, "wids"), RoleApplicationAdministrator) {
		t.Fatalf("claims %v", cl)
	}
}

func TestInteractiveNonAdminNeedsAdminApproval(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	for _, upn := range []string{"user@contoso.com", "pimadmin@contoso.com"} {
		_, err := stsInteractive(ctx, s, stsPublicClient(t, s, "contoso.com"), upn, "Application.ReadWrite.All")
		stsWantErr(t, err, "AADSTS65004", "User declined to consent to access the app.")
	}
	// A user may consent to a user-consentable scope himself.
	res, err := stsInteractive(ctx, s, stsPublicClient(t, s, "contoso.com"), "user@contoso.com", "User.Read")
	if err != nil {
		t.Fatal(err)
	}
	if cl := stsJWTClaims(t, res.AccessToken); cl["upn"] != "user@contoso.com" || len(stsClaimList(cl, "wids")) != 1 {
		t.Fatalf("claims %v", cl)
	}
	// Once an admin consented for the whole organisation, the user needs no approval.
	_ = s.Tenant("", func(tn *Tenant) {
		cli := tn.SPByAppID(GraphCommandLineToolsAppID).ID
		tn.Grants = append(tn.Grants, &OAuth2PermissionGrant{ID: stsGrantIDFor(cli, tn.GraphSP.ID, ""), ClientID: cli,
			ConsentType: "AllPrincipals", ResourceID: tn.GraphSP.ID, Scope: "User.Read Application.ReadWrite.All"})
	})
	res, err = stsInteractive(ctx, s, stsPublicClient(t, s, "contoso.com"), "user@contoso.com", "Application.ReadWrite.All")
	if err != nil {
		t.Fatal(err)
	}
	if scp := stsClaimList(stsJWTClaims(t, res.AccessToken), "scp"); !slices.Contains(scp, "Application.ReadWrite.All") {
		t.Fatalf("scp %v", scp)
	}
}

func TestUnknownAndMalformedTenants(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	_, err := stsPublicClient(t, s, "nosuchtenant.example.com").AcquireTokenByDeviceCode(ctx, []string{"User.Read"})
	stsWantErr(t, err, "AADSTS90002", "invalid_tenant")
	_, err = stsPublicClient(t, s, uuid.NewString()).AcquireTokenByDeviceCode(ctx, []string{"User.Read"})
	stsWantErr(t, err, "AADSTS90002")
	_, err = stsPublicClient(t, s, "not_a_tenant").AcquireTokenByDeviceCode(ctx, []string{"User.Read"})
	stsWantErr(t, err, "AADSTS900023", "neither a valid DNS name")
}

func TestOrganizationsAuthorityFindsTheUsersTenant(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	fabrikam := s.AddTenant(TenantOptions{DisplayName: "Fabrikam", Domain: "fabrikam.com"})
	ctx := stsCtx(t)
	res, err := stsInteractive(ctx, s, stsPublicClient(t, s, "organizations"), "admin@fabrikam.com", "User.Read")
	if err != nil {
		t.Fatal(err)
	}
	if cl := stsJWTClaims(t, res.AccessToken); cl["tid"] != fabrikam || cl["upn"] != "admin@fabrikam.com" {
		t.Fatalf("claims %v", cl)
	}
}

// ---------------------------------------------------------------------------
// Confidential clients

func TestClientSecretGivesAppToken(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	appID, secret := stsArrangeDaemon(t, s, "", stsDaemon{roles: []string{stsRoleUserReadAll, stsRoleMailSend}})
	cred, _ := confidential.NewCredFromSecret(secret)
	res, err := stsConfidentialClient(t, s, "contoso.com", appID, cred).AcquireTokenByCredential(ctx, []string{"https://graph.microsoft.com/.default"})
	if err != nil {
		t.Fatal(err)
	}
	cl := stsJWTClaims(t, res.AccessToken)
	roles := stsClaimList(cl, "roles")
	slices.Sort(roles)
	if !slices.Equal(roles, []string{"Mail.Send", "User.Read.All"}) || cl["idtyp"] != "app" || cl["appid"] != appID ||
		cl["appidacr"] != "1" || cl["tid"] != s.TenantID() || cl["scp"] != nil {
		t.Fatalf("claims %v", cl)
	}
	// The sandbox's own Graph URL names Microsoft Graph too (custom endpoints).
	res, err = stsConfidentialClient(t, s, s.TenantID(), appID, cred).AcquireTokenByCredential(ctx, []string{s.GraphURL() + "/.default"})
	if err != nil {
		t.Fatal(err)
	}
	if cl := stsJWTClaims(t, res.AccessToken); cl["appid"] != appID {
		t.Fatalf("claims %v", cl)
	}
}

func TestClientSecretFailures(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	appID, secret := stsArrangeDaemon(t, s, "", stsDaemon{})
	acquire := func(tenant, appID, secret string, scopes ...string) error {
		cred, _ := confidential.NewCredFromSecret(secret)
		if len(scopes) == 0 {
			scopes = []string{"https://graph.microsoft.com/.default"}
		}
		_, err := stsConfidentialClient(t, s, tenant, appID, cred).AcquireTokenByCredential(ctx, scopes)
		return err
	}
	// The secret's ID instead of its value: the most common support case.
	stsWantErr(t, acquire("contoso.com", appID, uuid.NewString()), "AADSTS7000215", "invalid_client", "status code was 401")
	stsWantErr(t, acquire("contoso.com", appID, secret, "User.Read.All"), "AADSTS1002012", "invalid_scope")
	stsWantErr(t, acquire("contoso.com", appID, secret, "https://example.contoso.com/.default"), "AADSTS500011")

	expiredID, expiredSecret := stsArrangeDaemon(t, s, "", stsDaemon{secretAge: 400 * 24 * time.Hour, secretEnd: time.Now().Add(-time.Hour)})
	stsWantErr(t, acquire("contoso.com", expiredID, expiredSecret), "AADSTS7000222", "are expired")

	fabrikam := s.AddTenant(TenantOptions{DisplayName: "Fabrikam", Domain: "fabrikam.com"})
	stsWantErr(t, acquire(fabrikam, appID, secret), "AADSTS700016", "was not found in the directory 'Fabrikam'")

	noSPID, noSPSecret := stsArrangeDaemon(t, s, "", stsDaemon{noSP: true})
	stsWantErr(t, acquire("contoso.com", noSPID, noSPSecret), "AADSTS7000229", "missing service principal")
}

func TestClientSecretInHTTPBasic(t *testing.T) {
	// MSAL always posts the secret in the body; client_secret_basic needs a hand-made request.
	t.Parallel()
	s := startT(t, Options{})
	appID, secret := stsArrangeDaemon(t, s, "", stsDaemon{roles: []string{stsRoleUserReadAll}})
	post := func(secret string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", s.LoginURL()+"/contoso.com/oauth2/v2.0/token", strings.NewReader(url.Values{
			"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(appID), url.QueryEscape(secret))
		resp, err := s.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		m := map[string]any{}
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	status, body := post(secret)
	if status != 200 || body["token_type"] != "Bearer" || body["expires_in"] == nil || body["ext_expires_in"] == nil || body["scope"] != nil {
		t.Fatalf("status %d body %v", status, body)
	}
	if roles := stsClaimList(stsJWTClaims(t, body["access_token"].(string)), "roles"); !slices.Equal(roles, []string{"User.Read.All"}) {
		t.Fatalf("roles %v", roles)
	}
	if status, body := post("wrong"); status != 401 || body["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", status, body)
	}
}

func TestSecretPropagationLag(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	const lag = 300 * time.Millisecond
	s.SetBehaviour(Behaviour{SecretPropagationLag: lag})
	added := time.Now()
	appID, secret := stsArrangeDaemon(t, s, "", stsDaemon{secretAge: time.Nanosecond})
	cred, _ := confidential.NewCredFromSecret(secret)
	c := stsConfidentialClient(t, s, "contoso.com", appID, cred)
	_, err := c.AcquireTokenByCredential(ctx, []string{"https://graph.microsoft.com/.default"})
	stsWantErr(t, err, "AADSTS7000215")
	stsEventually(t, 5*time.Second, func() error {
		_, err := c.AcquireTokenByCredential(ctx, []string{"https://graph.microsoft.com/.default"})
		return err
	})
	if d := time.Since(added); d < lag {
		t.Fatalf("the new secret worked after %v, before the %v lag", d, lag)
	}
}

func TestConsentLag(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	const lag = 300 * time.Millisecond
	s.SetBehaviour(Behaviour{ConsentLag: lag})
	appID, secret := stsArrangeDaemon(t, s, "", stsDaemon{roles: []string{stsRoleUserReadAll}, assignedAgo: time.Nanosecond})
	cred, _ := confidential.NewCredFromSecret(secret)
	withoutRoles := 0
	stsEventually(t, 5*time.Second, func() error {
		// A fresh client each time: MSAL would otherwise return its cached token.
		res, err := stsConfidentialClient(t, s, "contoso.com", appID, cred).AcquireTokenByCredential(ctx, []string{"https://graph.microsoft.com/.default"})
		if err != nil {
			return err
		}
		if roles := stsClaimList(stsJWTClaims(t, res.AccessToken), "roles"); !slices.Contains(roles, "User.Read.All") {
			withoutRoles++
			return fmt.Errorf("token without roles: %v", roles)
		}
		return nil
	})
	if withoutRoles == 0 {
		t.Fatal("the first token after consent already carried the role; ConsentLag not applied")
	}
}

func TestAppReplicationLag(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	s.SetBehaviour(Behaviour{AppReplicationLag: 300 * time.Millisecond})
	appID, secret := stsArrangeDaemon(t, s, "", stsDaemon{appAge: time.Nanosecond})
	cred, _ := confidential.NewCredFromSecret(secret)
	c := stsConfidentialClient(t, s, "contoso.com", appID, cred)
	_, err := c.AcquireTokenByCredential(ctx, []string{"https://graph.microsoft.com/.default"})
	stsWantErr(t, err, "AADSTS700016")
	stsEventually(t, 5*time.Second, func() error {
		_, err := c.AcquireTokenByCredential(ctx, []string{"https://graph.microsoft.com/.default"})
		return err
	})
}

func TestCertificateCredential(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	ctx := stsCtx(t)
	cert, key := stsSelfSignedCert(t, "CN=helpdesk-connector")
	appID, _ := stsArrangeDaemon(t, s, "", stsDaemon{certs: []*x509.Certificate{cert}, roles: []string{stsRoleMailSend}})
	cred, err := confidential.NewCredFromCert([]*x509.Certificate{cert}, key)
	if err != nil {
		t.Fatal(err)
	}
	res, err := stsConfidentialClient(t, s, "contoso.com", appID, cred).AcquireTokenByCredential(ctx, []string{"https://graph.microsoft.com/.default"})
	if err != nil {
		t.Fatal(err)
	}
	if cl := stsJWTClaims(t, res.AccessToken); cl["appidacr"] != "2" || !slices.Equal(stsClaimList(cl, "roles"), []string{"Mail.Send"}) {
		t.Fatalf("claims %v", cl)
	}

	// A certificate the app does not have.
	other, otherKey := stsSelfSignedCert(t, "CN=someone-else")
	otherCred, _ := confidential.NewCredFromCert([]*x509.Certificate{other}, otherKey)
	_, err = stsConfidentialClient(t, s, "contoso.com", appID, otherCred).AcquireTokenByCredential(ctx, []string{"https://graph.microsoft.com/.default"})
	stsWantErr(t, err, "AADSTS700027", "The key was not found")

	// RS256 with an x5t (SHA-1) header, as older MSALs and ADFS send; and the
	// same signed by the wrong key.
	assertion := func(signer *rsa.PrivateKey, aud string) confidential.Credential {
		return confidential.NewCredFromAssertionCallback(func(_ context.Context, o confidential.AssertionRequestOptions) (string, error) {
			if aud == "" {
				aud = o.TokenEndpoint
			}
			sum := sha1.Sum(cert.Raw)
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"aud": aud, "iss": o.ClientID, "sub": o.ClientID,
				"jti": uuid.NewString(), "nbf": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix()})
			tok.Header["x5t"] = base64.RawURLEncoding.EncodeToString(sum[:])
			return tok.SignedString(signer)
		})
	}
	if _, err := stsConfidentialClient(t, s, "contoso.com", appID, assertion(key, "")).AcquireTokenByCredential(ctx, []string{"https://graph.microsoft.com/.default"}); err != nil {
		t.Fatal(err)
	}
	_, err = stsConfidentialClient(t, s, "contoso.com", appID, assertion(otherKey, "")).AcquireTokenByCredential(ctx, []string{"https://graph.microsoft.com/.default"})
	stsWantErr(t, err, "AADSTS700027", "signature")
	_, err = stsConfidentialClient(t, s, "contoso.com", appID, assertion(key, "https://login.microsoftonline.com/common/oauth2/v2.0/token")).AcquireTokenByCredential(ctx, []string{"https://graph.microsoft.com/.default"})
	stsWantErr(t, err, "AADSTS50012")
}
