package sandbox

// The identity platform (v2.0 STS) of the sandbox, served on the login host:
// instance discovery, OpenID configuration, signing keys, the authorize page
// (auth code + PKCE), device code, and the token endpoint. The wire shapes follow
// shared/GRAPH-FACTS.md §6 and what MSAL Go v1.10.1 sends and expects (see the
// comments next to each handler). Files: sts.go (state, routing, tenants,
// discovery, scopes, clients, consent), sts_authorize.go, sts_device.go,
// sts_token.go, sts_client.go, sts_errors.go.

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Lifetimes the identity platform documents or uses.
const (
	stsCodeLifetime       = 10 * time.Minute    // auth codes are short-lived (ED v2-oauth2-auth-code-flow: "about 10 minutes")
	stsDeviceCodeLifetime = 900 * time.Second   // expires_in default, ED v2-oauth2-device-code.md
	stsDeviceCodeInterval = 5                   // interval, msal-js test constants / ED sample
	stsRefreshLifetime    = 90 * 24 * time.Hour // default refresh token lifetime (90 days, ED refresh-tokens.md)
	stsExpiresIn          = 3599
)

// stsState holds authorization codes, device codes and refresh tokens. All
// fields are guarded by Server.mu.
type stsState struct {
	codes     map[string]*stsAuthCode
	devices   map[string]*stsDevice // by device_code
	userCodes map[string]string     // user_code -> device_code
	refresh   map[string]*stsRefreshGrant
}

func newSTSState() *stsState {
	return &stsState{
		codes:     map[string]*stsAuthCode{},
		devices:   map[string]*stsDevice{},
		userCodes: map[string]string{},
		refresh:   map[string]*stsRefreshGrant{},
	}
}

// prune forgets codes and device codes that expired (redeemed codes are kept
// until then, so a second redemption still gets AADSTS54005). Callers hold s.mu.
func (st *stsState) prune(now time.Time) {
	for k, c := range st.codes {
		if now.After(c.expires) {
			delete(st.codes, k)
		}
	}
	for k, d := range st.devices {
		if now.After(d.expires.Add(stsDeviceCodeLifetime)) {
			delete(st.devices, k)
			delete(st.userCodes, d.userCode)
		}
	}
	for k, g := range st.refresh {
		if now.After(g.expires) {
			delete(st.refresh, k)
		}
	}
}

// stsAuthCode is a one-time authorization code issued by /authorize.
type stsAuthCode struct {
	tenantID    string // the user's tenant
	pathTenant  string // tenant segment used at /authorize (GUID, domain, common, organizations)
	userID      string
	clientID    string
	redirectURI string
	challenge   string
	method      string
	scopes      []stsScope
	public      bool // redeemed by a public client (no secret expected)
	nonce       string
	expires     time.Time
	redeemed    bool
}

// stsRefreshGrant is what a refresh token stands for: a user, a client, a tenant.
// Like Entra's, it is not bound to the scopes it was issued with, and using it
// does not invalidate it (a new one is returned next to it).
type stsRefreshGrant struct {
	tenantID string
	userID   string
	clientID string
	public   bool
	expires  time.Time
}

// routeLogin registers the identity platform endpoints on s.loginMux.
func (s *Server) routeLogin() {
	m := s.loginMux
	m.HandleFunc("GET /{tenant}/discovery/instance", s.stsInstanceDiscovery)
	m.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.stsOpenIDConfiguration)
	m.HandleFunc("GET /{tenant}/discovery/v2.0/keys", s.stsKeys)
	m.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", s.stsAuthorizeGet)
	m.HandleFunc("POST /{tenant}/oauth2/v2.0/authorize", s.stsAuthorizePost)
	m.HandleFunc("/{tenant}/oauth2/v2.0/devicecode", s.stsDeviceCode)
	m.HandleFunc("/{tenant}/oauth2/v2.0/token", s.stsToken)
	m.HandleFunc("GET /{tenant}/oauth2/v2.0/logout", s.stsLogout)
	m.HandleFunc("GET /devicelogin", s.stsDeviceLoginGet)
	m.HandleFunc("POST /devicelogin", s.stsDeviceLoginPost)
	m.HandleFunc("GET /error", s.stsErrorLookup)
	m.HandleFunc("GET /{tenant}/adminconsent", s.stsAdminConsentGet)
	m.HandleFunc("POST /{tenant}/adminconsent", s.stsAdminConsentPost)
}

// ---------------------------------------------------------------------------
// Tenants

// stsTenantRef is a resolved {tenant} path segment.
type stsTenantRef struct {
	seg   string  // the segment, lowercased
	t     *Tenant // nil for common and organizations
	multi bool    // common or organizations: the tenant comes from the user or the grant
}

var (
	stsGUIDPattern     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	stsDNSLabelPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// stsValidTenantName reports whether seg could name a tenant: a GUID or a DNS
// name of at least two labels. Anything else is AADSTS900023.
func stsValidTenantName(seg string) bool {
	if stsGUIDPattern.MatchString(seg) {
		return true
	}
	if len(seg) > 253 {
		return false
	}
	labels := strings.Split(seg, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !stsDNSLabelPattern.MatchString(l) {
			return false
		}
	}
	return true
}

// resolveTenant maps a path segment to a tenant. Callers hold s.mu.
func (s *Server) resolveTenant(seg string) (stsTenantRef, *STSError) {
	seg = strings.ToLower(seg)
	switch seg {
	case "common", "organizations":
		return stsTenantRef{seg: seg, multi: true}, nil
	}
	if !stsValidTenantName(seg) {
		e := errInvalidTenantIdentifier(seg)
		return stsTenantRef{}, &e
	}
	t := s.tenantByKey(seg)
	if t == nil {
		e := errTenantNotFound(seg)
		return stsTenantRef{}, &e
	}
	return stsTenantRef{seg: seg, t: t}, nil
}

// stsTenant resolves the request's {tenant} under s.mu, writing the STS error
// itself when the tenant is unknown or malformed.
func (s *Server) stsTenant(w http.ResponseWriter, r *http.Request) (stsTenantRef, bool) {
	s.mu.Lock()
	ref, e := s.resolveTenant(r.PathValue("tenant"))
	s.mu.Unlock()
	if e != nil {
		writeSTSError(w, r, *e)
		return stsTenantRef{}, false
	}
	return ref, true
}

// stsBase is the login host as the client addressed it (host:port matters:
// MSAL ≥1.5 compares the issuer's host with the authority's).
func stsBase(r *http.Request) string { return "https://" + r.Host }

// stsIssuer is the v2.0 issuer of tenant id tid.
func stsIssuer(r *http.Request, tid string) string { return stsBase(r) + "/" + tid + "/v2.0" }

// ---------------------------------------------------------------------------
// Discovery (GRAPH-FACTS §6.4)

// stsInstanceDiscovery answers GET /{tenant}/discovery/instance?api-version=1.1&authorization_endpoint=…
// with the sandbox host as its own (only) alias. An authorization_endpoint on
// another host is an unknown instance (AADSTS50049), as Entra answers for hosts
// it does not know.
func (s *Server) stsInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	tenant := r.PathValue("tenant")
	if ae := r.URL.Query().Get("authorization_endpoint"); ae != "" {
		u, err := url.Parse(ae)
		if err != nil || !strings.EqualFold(u.Host, host) {
			writeSTSError(w, r, errUnknownInstance())
			return
		}
		if parts := strings.Split(strings.Trim(u.Path, "/"), "/"); len(parts) > 0 && parts[0] != "" {
			tenant = parts[0]
		}
	}
	stsWriteJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": stsBase(r) + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": host,
			"preferred_cache":   host,
			"aliases":           []string{host},
		}},
	})
}

// stsOpenIDConfiguration serves the v2.0 OpenID configuration. For a tenant it
// names the tenant's GUID everywhere (as Entra does even when asked by domain);
// for common and organizations the endpoints keep the segment and the issuer is
// the literal "https://…/{tenantid}/v2.0", as Entra publishes it. MSAL replaces
// only "{tenant}" (resolvers.go) and then compares scheme and host of the issuer
// with the authority (authority.go ValidateIssuerMatchesAuthority), which the
// literal passes.
func (s *Server) stsOpenIDConfiguration(w http.ResponseWriter, r *http.Request) {
	ref, ok := s.stsTenant(w, r)
	if !ok {
		return
	}
	base := stsBase(r)
	seg, issuer, region := ref.seg, base+"/{tenantid}/v2.0", any(nil)
	if ref.t != nil {
		seg, issuer, region = ref.t.ID, stsIssuer(r, ref.t.ID), "WW"
	}
	graphHost := strings.TrimPrefix(s.graphURL, "https://")
	stsWriteJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/" + seg + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/" + seg + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                issuer,
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     s.graphURL + "/oidc/userinfo",
		"authorization_endpoint":                base + "/" + seg + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/" + seg + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/" + seg + "/oauth2/v2.0/logout",
		"claims_supported": []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
			"msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver",
			"at_hash", "c_hash", "email"},
		"kerberos_endpoint":     base + "/" + seg + "/kerberos",
		"tenant_region_scope":   region,
		"cloud_instance_name":   "microsoftonline.com",
		"cloud_graph_host_name": "graph.windows.net",
		"msgraph_host":          graphHost,
		"rbac_url":              "https://pas.windows.net",
	})
}

// stsKeys serves the signing keys (the same key signs for every tenant).
func (s *Server) stsKeys(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.stsTenant(w, r); !ok {
		return
	}
	stsWriteJSON(w, http.StatusOK, s.signer.jwks())
}

// stsLogout is the end_session_endpoint: there is no session to end.
func (s *Server) stsLogout(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.stsTenant(w, r); !ok {
		return
	}
	if p := r.URL.Query().Get("post_logout_redirect_uri"); p != "" && stsIsLoopbackURL(p) {
		http.Redirect(w, r, p, http.StatusFound)
		return
	}
	stsWriteHTML(w, http.StatusOK, "You signed out of your account", `<p>It's a good idea to close all browser windows.</p>`)
}

// stsErrorLookup is the page error_uri points to.
func (s *Server) stsErrorLookup(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("code")
	stsWriteHTML(w, http.StatusOK, "Error code lookup",
		`<p>Error code: <strong>`+stsHTMLEscape(code)+`</strong></p><p>This is the simulated tenant's identity platform; see the error_description of the response for details.</p>`)
}

// ---------------------------------------------------------------------------
// Scopes

// stsScope is one requested scope.
type stsScope struct {
	raw      string // as requested (echoed back in the token response's scope)
	value    string // canonical Graph scope value ("User.Read"); "" for .default
	oidc     bool   // openid, profile, email or offline_access
	dflt     bool   // {resource}/.default
	resource string // the Graph identifier the scope was prefixed with, if any
}

var stsOIDCScopes = map[string]string{"openid": "openid", "profile": "profile", "email": "email", "offline_access": "offline_access"}

// graphResourceIDs are the identifiers of Microsoft Graph a scope may be
// prefixed with: its URI in each cloud (GRAPH-FACTS §7), its appId, and the
// sandbox's own Graph URL (the product's custom endpoint).
func (s *Server) graphResourceIDs() []string {
	return []string{"https://graph.microsoft.com", "https://graph.microsoft.us", "https://dod-graph.microsoft.us",
		"https://microsoftgraph.chinacloudapi.cn", GraphAppID, s.graphURL}
}

// splitGraphScope splits "https://graph.microsoft.com/User.Read" into the Graph
// resource and "User.Read". ok is false for a scope of another resource.
func (s *Server) splitGraphScope(raw string) (resource, value string, ok bool) {
	for _, id := range s.graphResourceIDs() {
		if len(raw) > len(id) && strings.EqualFold(raw[:len(id)], id) && raw[len(id)] == '/' {
			return raw[:len(id)], raw[len(id)+1:], true
		}
	}
	if !strings.ContainsAny(raw, "/:") {
		return "", raw, true // a bare scope is a Microsoft Graph scope
	}
	return "", "", false
}

// stsGraphScope finds a delegated permission of Microsoft Graph.
func stsGraphScope(sp *ServicePrincipal, v string) *PermissionScope {
	for i := range sp.OAuth2PermissionScopes {
		if strings.EqualFold(sp.OAuth2PermissionScopes[i].Value, v) {
			return &sp.OAuth2PermissionScopes[i]
		}
	}
	return nil
}

// parseUserScopes parses the scope parameter of a delegated (user) flow. Callers
// hold s.mu. graph is the Microsoft Graph service principal to validate against.
func (s *Server) parseUserScopes(graph *ServicePrincipal, raw string) ([]stsScope, *STSError) {
	var out []stsScope
	seen := map[string]bool{}
	for _, f := range strings.Fields(raw) {
		if seen[strings.ToLower(f)] {
			continue
		}
		seen[strings.ToLower(f)] = true
		if v, ok := stsOIDCScopes[strings.ToLower(f)]; ok {
			out = append(out, stsScope{raw: f, value: v, oidc: true})
			continue
		}
		res, v, ok := s.splitGraphScope(f)
		if !ok || v == "" {
			e := errInvalidScope(f)
			return nil, &e
		}
		if strings.EqualFold(v, ".default") {
			out = append(out, stsScope{raw: f, dflt: true, resource: res})
			continue
		}
		ps := stsGraphScope(graph, v)
		if ps == nil || !ps.IsEnabled {
			e := errInvalidScope(f)
			return nil, &e
		}
		out = append(out, stsScope{raw: f, value: ps.Value, resource: res})
	}
	if len(out) == 0 {
		e := errMissingParameter("scope")
		return nil, &e
	}
	nonOIDC, dflt := 0, false
	for _, sc := range out {
		if !sc.oidc {
			nonOIDC++
		}
		dflt = dflt || sc.dflt
	}
	if dflt && nonOIDC > 1 {
		e := errInvalidScope(raw)
		return nil, &e
	}
	return out, nil
}

func stsScopesHave(sc []stsScope, v string) bool {
	for _, x := range sc {
		if x.oidc && x.value == v {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// Clients

// stsClient is the application a request names in client_id.
type stsClient struct {
	appID      string
	name       string
	firstParty bool              // Microsoft Graph Command Line Tools (a Microsoft public client)
	app        *Application      // the app registration (maybe in another tenant); nil for first party
	sp         *ServicePrincipal // its service principal in the tenant; may be nil
}

// findClient finds clientID in tenant t: the first-party Graph Command Line
// Tools, an app registered in t (visible only after AppReplicationLag), or a
// multi-tenant app registered elsewhere that has a service principal in t.
// Callers hold s.mu.
func (s *Server) findClient(t *Tenant, clientID string, now time.Time) *stsClient {
	if strings.EqualFold(clientID, GraphCommandLineToolsAppID) {
		return &stsClient{appID: GraphCommandLineToolsAppID, name: "Microsoft Graph Command Line Tools", firstParty: true,
			sp: t.SPByAppID(GraphCommandLineToolsAppID)}
	}
	if app := t.AppByAppID(clientID); app != nil {
		if now.Sub(app.created) < s.behaviour.AppReplicationLag {
			return nil // not replicated to the STS yet: AADSTS700016 for a few seconds (GRAPH-FACTS §5.4)
		}
		return &stsClient{appID: app.AppID, name: app.DisplayName, app: app, sp: t.SPByAppID(clientID)}
	}
	if sp := t.SPByAppID(clientID); sp != nil {
		for _, other := range s.order {
			if app := other.AppByAppID(clientID); app != nil && other != t {
				return &stsClient{appID: app.AppID, name: app.DisplayName, app: app, sp: sp}
			}
		}
	}
	return nil
}

// findClientAnywhere finds clientID for /common and /organizations, before the
// user (and so the tenant) is known.
func (s *Server) findClientAnywhere(clientID string, now time.Time) *stsClient {
	for _, t := range s.order {
		if c := s.findClient(t, clientID, now); c != nil {
			return c
		}
	}
	return nil
}

// isPublicFallback reports whether the app allows public client flows (device
// code and a redemption without a credential).
func (c *stsClient) isPublicFallback() bool {
	if c.firstParty {
		return true
	}
	return c.app != nil && c.app.IsFallbackPublicClient != nil && *c.app.IsFallbackPublicClient
}

// redirectAllowed checks redirect_uri against the client's registration and
// reports whether it is a public-client (native or SPA) redirect. Entra ignores
// the port of http://localhost and http://127.0.0.1 redirect URIs (ED
// reply-url.md), and Graph Command Line Tools is registered with http://localhost.
func (c *stsClient) redirectAllowed(uri string) (public, ok bool) {
	if c.firstParty {
		return true, stsLoopbackMatch("http://localhost", uri)
	}
	if c.app == nil {
		return false, false
	}
	for _, r := range c.app.PublicClientRedirects {
		if stsRedirectMatch(r, uri) {
			return true, true
		}
	}
	for _, r := range c.app.SPARedirectURIs {
		if stsRedirectMatch(r, uri) {
			return true, true
		}
	}
	for _, r := range c.app.WebRedirectURIs {
		if stsRedirectMatch(r, uri) {
			return false, true
		}
	}
	return false, false
}

func stsRedirectMatch(registered, requested string) bool {
	if registered == requested {
		return true
	}
	return stsLoopbackMatch(registered, requested)
}

// stsLoopbackMatch matches a loopback redirect URI ignoring the port.
func stsLoopbackMatch(registered, requested string) bool {
	ru, err1 := url.Parse(registered)
	qu, err2 := url.Parse(requested)
	if err1 != nil || err2 != nil || ru.Scheme != "http" || qu.Scheme != "http" {
		return false
	}
	h := ru.Hostname()
	if h != "localhost" && h != "127.0.0.1" && h != "::1" {
		return false
	}
	if !strings.EqualFold(h, qu.Hostname()) {
		// localhost and 127.0.0.1 are distinct registrations in Entra
		return false
	}
	rp, qp := strings.TrimSuffix(ru.Path, "/"), strings.TrimSuffix(qu.Path, "/")
	return rp == qp && qu.RawQuery == "" && qu.Fragment == ""
}

func stsIsLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	switch u.Hostname() {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// ---------------------------------------------------------------------------
// Consent

// stsConsentAdminRoles may consent to delegated permissions that require admin
// consent (ED permissions-consent-overview / grant-admin-consent: Global
// Administrator, Privileged Role Administrator, Cloud Application Administrator,
// Application Administrator). PIM-eligible roles do not count until activated.
var stsConsentAdminRoles = []string{RoleGlobalAdministrator, RolePrivilegedRoleAdministrator,
	RoleApplicationAdministrator, RoleCloudApplicationAdministrator}

func stsCanConsentAdminScopes(u *User) bool {
	for _, r := range stsConsentAdminRoles {
		if u.HasRole(r) {
			return true
		}
	}
	return false
}

// stsGrantedScopes lists the Graph scope values consented for the client: tenant
// wide (AllPrincipals) or for this user (Principal). Callers hold s.mu.
func stsGrantedScopes(t *Tenant, clientSP *ServicePrincipal, userID string) map[string]string {
	out := map[string]string{}
	if clientSP == nil {
		return out
	}
	for _, g := range t.Grants {
		if g.ClientID != clientSP.ID || g.ResourceID != t.GraphSP.ID {
			continue
		}
		all := strings.EqualFold(g.ConsentType, "AllPrincipals")
		mine := strings.EqualFold(g.ConsentType, "Principal") && strings.EqualFold(g.PrincipalID, userID)
		if !all && !mine {
			continue
		}
		for _, v := range strings.Fields(g.Scope) {
			out[strings.ToLower(v)] = v
		}
	}
	return out
}

// stsStaticScopes are the delegated Graph permissions an app registration lists in
// requiredResourceAccess (what /.default asks for).
func stsStaticScopes(t *Tenant, c *stsClient) []string {
	if c.app == nil {
		return nil
	}
	var out []string
	for _, rra := range c.app.RequiredResourceAccess {
		if rra.ResourceAppID != GraphAppID {
			continue
		}
		for _, ra := range rra.ResourceAccess {
			if ra.Type != "Scope" {
				continue
			}
			for _, ps := range t.GraphSP.OAuth2PermissionScopes {
				if strings.EqualFold(ps.ID, ra.ID) {
					out = append(out, ps.Value)
				}
			}
		}
	}
	return out
}

// stsWantedValues are the Graph scope values a request needs consented: the
// explicit ones, or for /.default the app's static permissions plus what is
// already consented. OIDC scopes never need a grant here.
func stsWantedValues(t *Tenant, c *stsClient, u *User, sc []stsScope) []string {
	var out []string
	seen := map[string]bool{}
	add := func(v string) {
		if !seen[strings.ToLower(v)] {
			seen[strings.ToLower(v)] = true
			out = append(out, v)
		}
	}
	for _, x := range sc {
		switch {
		case x.oidc:
		case x.dflt:
			for _, v := range stsStaticScopes(t, c) {
				add(v)
			}
			granted := stsGrantedScopes(t, c.sp, u.ID)
			for _, k := range sortedKeys(granted) {
				if _, oidc := stsOIDCScopes[k]; !oidc {
					add(granted[k])
				}
			}
		default:
			add(x.value)
		}
	}
	return out
}

// stsConsentCheck works out what consent a sign-in needs: missing lists the values
// not yet consented; needAdmin is set when one of them requires admin consent
// and the user is no admin ("Need admin approval"). Callers hold s.mu.
func stsConsentCheck(t *Tenant, c *stsClient, u *User, sc []stsScope) (missing []string, needAdmin bool) {
	granted := stsGrantedScopes(t, c.sp, u.ID)
	for _, v := range stsWantedValues(t, c, u, sc) {
		if _, ok := granted[strings.ToLower(v)]; ok {
			continue
		}
		missing = append(missing, v)
		if ps := stsGraphScope(t.GraphSP, v); ps != nil && ps.Type == "Admin" && !stsCanConsentAdminScopes(u) {
			needAdmin = true
		}
	}
	return missing, needAdmin
}

// recordConsent writes the consent a user just gave as an oauth2PermissionGrant,
// as Entra does: for the user (Principal), or for everyone (AllPrincipals) when
// an admin ticked "Consent on behalf of your organization". Entra creates the
// client's service principal on first consent when it has none. Callers hold s.mu.
func (s *Server) recordConsent(t *Tenant, c *stsClient, u *User, values []string, org bool, now time.Time) {
	if len(values) == 0 {
		return
	}
	if c.sp == nil && c.app != nil {
		c.sp = &ServicePrincipal{
			ID: uuid.NewString(), AppID: c.app.AppID, DisplayName: c.app.DisplayName, AppDisplayName: c.app.DisplayName,
			AppOwnerOrganizationID: stsOwnerTenant(s, c.app), AccountEnabled: true, ServicePrincipalType: "Application",
			ServicePrincipalNames: []string{c.app.AppID}, created: now,
		}
		t.SPs[c.sp.ID] = c.sp
	}
	if c.sp == nil {
		return
	}
	consentType, principal := "Principal", u.ID
	if org && stsCanConsentAdminScopes(u) {
		consentType, principal = "AllPrincipals", ""
	}
	for _, g := range t.Grants {
		if g.ClientID == c.sp.ID && g.ResourceID == t.GraphSP.ID && g.ConsentType == consentType && g.PrincipalID == principal {
			have := map[string]bool{}
			for _, v := range strings.Fields(g.Scope) {
				have[strings.ToLower(v)] = true
			}
			for _, v := range values {
				if !have[strings.ToLower(v)] {
					g.Scope = strings.TrimSpace(g.Scope + " " + v)
				}
			}
			return
		}
	}
	t.Grants = append(t.Grants, &OAuth2PermissionGrant{
		ID: stsGrantIDFor(c.sp.ID, t.GraphSP.ID, principal), ClientID: c.sp.ID, ConsentType: consentType, PrincipalID: principal,
		ResourceID: t.GraphSP.ID, Scope: strings.Join(values, " "),
	})
}

func stsOwnerTenant(s *Server, app *Application) string {
	for _, t := range s.order {
		if t.Apps[app.ID] == app {
			return t.ID
		}
	}
	return ""
}

// stsGrantIDFor is the id Entra gives a delegated grant: base64url of the
// client, resource and (for Principal grants) user object ids, each GUID in
// .NET byte order (the same scheme graph_directory.go uses for POST
// /oauth2PermissionGrants, so a later POST of the same grant conflicts).
func stsGrantIDFor(clientID, resourceID, principalID string) string {
	var b []byte
	for _, id := range []string{clientID, resourceID, principalID} {
		if id == "" {
			continue
		}
		u, err := uuid.Parse(id)
		if err != nil {
			u = uuid.Nil
		}
		b = append(b, u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6])
		b = append(b, u[8:]...)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// stsConsentValues adds the OIDC scopes to what is recorded, as Entra's grants
// list "openid profile offline_access User.Read".
func stsConsentValues(sc []stsScope, missing []string) []string {
	out := append([]string(nil), missing...)
	for _, x := range sc {
		if x.oidc {
			out = append(out, x.value)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Helpers

func stsRandom(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func stsWriteJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// stsRoleText names a user's active directory roles for the sign-in pages.
func stsRoleText(u *User) string {
	var names []string
	for _, r := range u.Roles {
		if n, ok := roleNames[r]; ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	text := "no admin role"
	if len(names) > 0 {
		text = strings.Join(names, ", ")
	}
	var eligible []string
	for _, r := range u.EligibleRoles {
		if n, ok := roleNames[r]; ok {
			eligible = append(eligible, n)
		}
	}
	if len(eligible) > 0 {
		sort.Strings(eligible)
		text += " (eligible, not active: " + strings.Join(eligible, ", ") + ")"
	}
	return text
}
