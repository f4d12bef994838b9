package sandbox

// Wire-level checks of the identity platform that MSAL cannot express: the
// discovery documents, the sign-in pages, and token requests with a wrong PKCE
// verifier, a reused code and a rotated refresh token.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func stsGetJSON(t *testing.T, s *Server, path string) (int, map[string]any) {
	t.Helper()
	resp, err := s.HTTPClient().Get(s.LoginURL() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return resp.StatusCode, m
}

func TestDiscoveryDocuments(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	host := strings.TrimPrefix(s.LoginURL(), "https://")
	tid := s.TenantID()

	status, doc := stsGetJSON(t, s, "/contoso.com/v2.0/.well-known/openid-configuration")
	if status != 200 {
		t.Fatalf("status %d %v", status, doc)
	}
	want := map[string]string{
		"issuer":                        s.LoginURL() + "/" + tid + "/v2.0",
		"token_endpoint":                s.LoginURL() + "/" + tid + "/oauth2/v2.0/token",
		"authorization_endpoint":        s.LoginURL() + "/" + tid + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint": s.LoginURL() + "/" + tid + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":          s.LoginURL() + "/" + tid + "/oauth2/v2.0/logout",
		"jwks_uri":                      s.LoginURL() + "/" + tid + "/discovery/v2.0/keys",
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("%s = %v, want %s", k, doc[k], v)
		}
	}
	// MSAL derives the device code endpoint by replacing every "token".
	if te := doc["token_endpoint"].(string); strings.ReplaceAll(te, "token", "devicecode") != want["device_authorization_endpoint"] {
		t.Errorf("token endpoint %q has another \"token\" in it", te)
	}

	_, common := stsGetJSON(t, s, "/organizations/v2.0/.well-known/openid-configuration")
	if common["issuer"] != s.LoginURL()+"/{tenantid}/v2.0" || common["token_endpoint"] != s.LoginURL()+"/organizations/oauth2/v2.0/token" {
		t.Errorf("organizations: %v", common)
	}

	for path, code := range map[string]float64{
		"/fabrikam.example.org/v2.0/.well-known/openid-configuration": 90002,
		"/contoso/v2.0/.well-known/openid-configuration":              900023,
	} {
		status, body := stsGetJSON(t, s, path)
		codes, _ := body["error_codes"].([]any)
		if status != 400 || len(codes) != 1 || codes[0] != code || !strings.HasPrefix(body["error_description"].(string), "AADSTS") ||
			!strings.Contains(body["error_description"].(string), "\r\nTrace ID: ") {
			t.Errorf("%s: %d %v", path, status, body)
		}
	}

	_, keys := stsGetJSON(t, s, "/"+tid+"/discovery/v2.0/keys")
	if ks, _ := keys["keys"].([]any); len(ks) != 1 || ks[0].(map[string]any)["kid"] != s.signer.kid {
		t.Errorf("keys %v", keys)
	}

	q := url.Values{"api-version": {"1.1"}, "authorization_endpoint": {s.LoginURL() + "/contoso.com/oauth2/v2.0/authorize"}}
	_, inst := stsGetJSON(t, s, "/common/discovery/instance?"+q.Encode())
	md := inst["metadata"].([]any)[0].(map[string]any)
	if inst["tenant_discovery_endpoint"] != s.LoginURL()+"/contoso.com/v2.0/.well-known/openid-configuration" ||
		md["preferred_network"] != host || md["aliases"].([]any)[0] != host {
		t.Errorf("instance discovery %v", inst)
	}
	q.Set("authorization_endpoint", "https://login.example.net/contoso.com/oauth2/v2.0/authorize")
	if status, body := stsGetJSON(t, s, "/common/discovery/instance?"+q.Encode()); status != 400 || body["error"] != "invalid_instance" {
		t.Errorf("foreign instance: %d %v", status, body)
	}
}

// stsAuthorizeURL builds an /authorize URL like MSAL's, with response_mode=query.
func stsAuthorizeURL(s *Server, tenant, clientID, redirect, scope, verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return s.LoginURL() + "/" + tenant + "/oauth2/v2.0/authorize?" + url.Values{
		"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {redirect}, "scope": {scope},
		"state": {"st8"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"response_mode": {"query"}, "prompt": {"select_account"},
	}.Encode()
}

func stsNoRedirectClient(s *Server) *http.Client {
	c := s.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func stsReadBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSignInPages(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	browser := stsNoRedirectClient(s)
	get := func(u string) (int, string) {
		resp, err := browser.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, stsReadBody(t, resp)
	}
	page := stsAuthorizeURL(s, "contoso.com", GraphCommandLineToolsAppID, "http://localhost:5555", "User.Read Application.ReadWrite.All openid offline_access profile", "v")
	status, body := get(page)
	for _, want := range []string{"Microsoft Graph Command Line Tools", "Sign in and read user profile", "Read and write all applications",
		"(Admin consent required)", "admin@contoso.com", "Global Administrator", "Application Administrator",
		"pimadmin@contoso.com", "eligible, not active: Global Administrator"} {
		if !strings.Contains(body, want) {
			t.Fatalf("sign-in page (%d) lacks %q:\n%s", status, want, body)
		}
	}
	if strings.Contains(body, "helpdesk@contoso.com") {
		t.Fatal("a shared mailbox (disabled account) is offered for sign-in")
	}

	status, body = get(stsAuthorizeURL(s, "contoso.com", "11111111-2222-3333-4444-555555555555", "http://localhost:5555", "User.Read", "v"))
	if status != 400 || !strings.Contains(body, "AADSTS700016: Application with identifier &#39;11111111-2222-3333-4444-555555555555&#39; was not found in the directory &#39;Contoso&#39;") {
		t.Fatalf("unknown client: %d\n%s", status, body)
	}
	if status, body = get(stsAuthorizeURL(s, "contoso.com", GraphCommandLineToolsAppID, "https://evil.example.com/cb", "User.Read", "v")); status != 400 || !strings.Contains(body, "AADSTS50011") {
		t.Fatalf("foreign redirect: %d\n%s", status, body)
	}
	// A user without an admin role asking for an admin-consent scope gets "Need
	// admin approval"; leaving it sends access_denied (AADSTS65004) to the app.
	adminScope := stsAuthorizeURL(s, "contoso.com", GraphCommandLineToolsAppID, "http://localhost:5555", "Application.ReadWrite.All openid", "v")
	resp, err := browser.PostForm(adminScope, url.Values{"login": {"user@contoso.com"}, "decision": {"accept"}})
	if err != nil {
		t.Fatal(err)
	}
	if body := stsReadBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "Need admin approval") ||
		!strings.Contains(body, "Return to the application without granting consent") {
		t.Fatalf("non-admin consent: %d\n%s", resp.StatusCode, body)
	}
	if resp, err = browser.PostForm(adminScope, url.Values{"decision": {"back"}}); err != nil {
		t.Fatal(err)
	}
	stsReadBody(t, resp)
	back, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || back.Query().Get("error") != "access_denied" ||
		!strings.HasPrefix(back.Query().Get("error_description"), "AADSTS65004: User declined to consent to access the app.\r\nTrace ID: ") {
		t.Fatalf("leaving the approval page: %d %s", resp.StatusCode, back)
	}

	// After the redirect URI is trusted, errors go back to the app.
	resp, err = browser.Get(stsAuthorizeURL(s, "contoso.com", GraphCommandLineToolsAppID, "http://localhost:5555", "User.Frobnicate", "v"))
	if err != nil {
		t.Fatal(err)
	}
	stsReadBody(t, resp)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || loc.Host != "localhost:5555" || loc.Query().Get("error") != "invalid_scope" ||
		!strings.HasPrefix(loc.Query().Get("error_description"), "AADSTS70011: ") || loc.Query().Get("state") != "st8" {
		t.Fatalf("invalid scope: %d %s", resp.StatusCode, loc)
	}
}

func TestAuthCodeRedemptionRules(t *testing.T) {
	t.Parallel()
	s := startT(t, Options{})
	browser := stsNoRedirectClient(s)
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const redirect = "http://localhost:5555"
	page := stsAuthorizeURL(s, "contoso.com", GraphCommandLineToolsAppID, redirect, "User.Read openid offline_access profile", verifier)
	resp, err := browser.PostForm(page, url.Values{"login": {"admin@contoso.com"}, "decision": {"accept"}})
	if err != nil {
		t.Fatal(err)
	}
	stsReadBody(t, resp)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if resp.StatusCode != 302 || code == "" || loc.Query().Get("state") != "st8" {
		t.Fatalf("sign-in answered %d %s", resp.StatusCode, loc)
	}
	token := func(v url.Values) (int, map[string]any) {
		resp, err := s.HTTPClient().PostForm(s.LoginURL()+"/"+s.TenantID()+"/oauth2/v2.0/token", v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		m := map[string]any{}
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	redeem := func(v string) (int, map[string]any) {
		return token(url.Values{"grant_type": {"authorization_code"}, "client_id": {GraphCommandLineToolsAppID}, "code": {code},
			"redirect_uri": {redirect}, "code_verifier": {v}, "scope": {"User.Read openid offline_access profile"}, "client_info": {"1"}})
	}
	if status, body := redeem("not-the-verifier"); status != 400 || body["error"] != "invalid_grant" || !strings.HasPrefix(body["error_description"].(string), "AADSTS50148: ") {
		t.Fatalf("wrong verifier: %d %v", status, body)
	}
	status, body := redeem(verifier)
	if status != 200 {
		t.Fatalf("redeem: %d %v", status, body)
	}
	for _, k := range []string{"access_token", "refresh_token", "id_token", "client_info", "scope", "expires_in", "ext_expires_in"} {
		if body[k] == nil {
			t.Fatalf("token response lacks %s: %v", k, body)
		}
	}
	if body["token_type"] != "Bearer" || body["expires_in"] != float64(3599) {
		t.Fatalf("token response %v", body)
	}
	for _, sc := range []string{"User.Read", "openid", "profile"} {
		if !strings.Contains(" "+body["scope"].(string)+" ", " "+sc+" ") {
			t.Fatalf("scope %q does not echo %s", body["scope"], sc)
		}
	}
	ci := body["client_info"].(string)
	raw, err := base64.RawURLEncoding.DecodeString(ci)
	if err != nil || strings.Contains(ci, "=") || !strings.Contains(string(raw), `"utid":"`+s.TenantID()+`"`) {
		t.Fatalf("client_info %q (%s): %v", ci, raw, err)
	}
	if status, body := redeem(verifier); status != 400 || !strings.HasPrefix(body["error_description"].(string), "AADSTS54005: ") {
		t.Fatalf("reused code: %d %v", status, body)
	}

	refresh := func(rt, scope string) (int, map[string]any) {
		return token(url.Values{"grant_type": {"refresh_token"}, "client_id": {GraphCommandLineToolsAppID}, "refresh_token": {rt},
			"scope": {scope}, "client_info": {"1"}})
	}
	rt1 := body["refresh_token"].(string)
	status, r2 := refresh(rt1, "https://graph.microsoft.com/User.Read openid offline_access profile")
	if status != 200 || r2["refresh_token"] == nil || r2["refresh_token"] == rt1 {
		t.Fatalf("refresh: %d %v", status, r2)
	}
	if !strings.Contains(r2["scope"].(string), "https://graph.microsoft.com/User.Read") {
		t.Fatalf("refresh scope %q does not echo the request", r2["scope"])
	}
	// Like Entra's, an earlier refresh token keeps working after a refresh.
	if status, r3 := refresh(rt1, "User.Read offline_access"); status != 200 || r3["id_token"] != nil {
		t.Fatalf("old refresh token: %d %v", status, r3)
	}
	if status, r4 := refresh(rt1, "api://someone-else/read"); status != 400 || r4["error"] != "invalid_scope" {
		t.Fatalf("foreign scope: %d %v", status, r4)
	}
	// A public client must not send a secret.
	if status, r5 := token(url.Values{"grant_type": {"refresh_token"}, "client_id": {GraphCommandLineToolsAppID}, "refresh_token": {rt1},
		"scope": {"User.Read"}, "client_secret": {"x"}}); status != 401 || !strings.HasPrefix(r5["error_description"].(string), "AADSTS700025: ") {
		t.Fatalf("public client with a secret: %d %v", status, r5)
	}
	if status, r6 := token(url.Values{"grant_type": {"password"}, "client_id": {GraphCommandLineToolsAppID}}); status != 400 || r6["error"] != "unsupported_grant_type" {
		t.Fatalf("unsupported grant: %d %v", status, r6)
	}
}
