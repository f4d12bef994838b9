package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sort"
	"strings"
	"time"
)

// The token endpoint, POST /{tenant}/oauth2/v2.0/token. Grants: authorization_code
// (with PKCE), urn:ietf:params:oauth:grant-type:device_code, refresh_token and
// client_credentials (secret or certificate assertion).
//
// User-flow success bodies carry token_type, scope (echoing every requested scope:
// MSAL Go counts a requested scope missing from it as declined and fails,
// base.go AuthResultFromToken), expires_in, ext_expires_in, access_token,
// refresh_token (offline_access), id_token (openid) and client_info
// (client_info=1; base64url without padding). The app flow returns token_type,
// expires_in, ext_expires_in and access_token (GRAPH-FACTS §6.1).

const stsDeviceCodeGrantURN = "urn:ietf:params:oauth:grant-type:device_code"

func (s *Server) stsToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeSTSError(w, r, errWrongVerb(r.Method))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeSTSError(w, r, errMalformed())
		return
	}
	now := time.Now()
	s.mu.Lock()
	body, e := s.tokenGrant(r, now)
	s.mu.Unlock()
	if e != nil {
		writeSTSError(w, r, *e)
		return
	}
	stsWriteJSON(w, http.StatusOK, body)
}

// tokenGrant runs a grant. Callers hold s.mu.
func (s *Server) tokenGrant(r *http.Request, now time.Time) (map[string]any, *STSError) {
	ref, e := s.resolveTenant(r.PathValue("tenant"))
	if e != nil {
		return nil, e
	}
	gt := r.PostForm.Get("grant_type")
	if gt == "" {
		e := errMissingParameter("grant_type")
		return nil, &e
	}
	cred := stsReadCredential(r)
	if cred.clientID == "" {
		e := errMissingParameter("client_id")
		return nil, &e
	}
	switch gt {
	case "authorization_code":
		return s.grantAuthorizationCode(r, ref, cred, now)
	case stsDeviceCodeGrantURN, "device_code":
		// MSAL Go sends the short "device_code" (internal/grant), which Entra
		// accepts next to the RFC 8628 URN.
		return s.grantDevice(r, ref, cred, now)
	case "refresh_token":
		return s.grantRefreshToken(r, ref, cred, now)
	case "client_credentials":
		return s.grantClientCredentials(r, ref, cred, now)
	}
	e2 := errUnsupportedGrant()
	return nil, &e2
}

// userClientAuth authenticates the client of a user flow: a public client must
// not present a credential (AADSTS700025); a confidential one must (7000218).
func (s *Server) userClientAuth(r *http.Request, t *Tenant, c *stsClient, cred stsCredential, public bool, now time.Time) *STSError {
	if public {
		if cred.present() {
			e := errPublicClientWithCredential()
			return &e
		}
		return nil
	}
	_, e := s.authenticateClient(r, t, c, cred, now)
	return e
}

func (s *Server) grantAuthorizationCode(r *http.Request, ref stsTenantRef, cred stsCredential, now time.Time) (map[string]any, *STSError) {
	code := r.PostForm.Get("code")
	if code == "" {
		e := errMissingParameter("code")
		return nil, &e
	}
	ac := s.sts.codes[code]
	switch {
	case ac == nil:
		e := errInvalidCode()
		return nil, &e
	case ac.redeemed:
		e := errCodeRedeemed()
		return nil, &e
	case now.After(ac.expires):
		e := errGrantExpired()
		return nil, &e
	case !strings.EqualFold(ac.clientID, cred.clientID):
		e := errInvalidCode()
		return nil, &e
	}
	codeMulti := ac.pathTenant == "common" || ac.pathTenant == "organizations"
	if ref.multi != codeMulti || (ref.t != nil && ref.t.ID != ac.tenantID) {
		e := errCodeWrongTenant()
		return nil, &e
	}
	if got := r.PostForm.Get("redirect_uri"); got != ac.redirectURI {
		e := errRedeemRedirectMismatch(got, ac.redirectURI)
		return nil, &e
	}
	if ac.challenge != "" {
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != ac.challenge {
			e := errPKCEMismatch()
			return nil, &e
		}
	}
	t := s.tenants[ac.tenantID]
	c := s.findClient(t, ac.clientID, now)
	if c == nil {
		e := errAppNotFound(ac.clientID, t.DisplayName)
		return nil, &e
	}
	if e := s.userClientAuth(r, t, c, cred, ac.public, now); e != nil {
		return nil, e
	}
	u := t.usersByID[ac.userID]
	if u == nil || !u.AccountEnabled {
		e := errUserDisabled()
		return nil, &e
	}
	ac.redeemed = true
	return s.userTokens(r, t, u, c, ac.scopes, ac.nonce, ac.public, now)
}

func (s *Server) grantDevice(r *http.Request, ref stsTenantRef, cred stsCredential, now time.Time) (map[string]any, *STSError) {
	dc := r.PostForm.Get("device_code")
	if dc == "" {
		e := errMissingParameter("device_code")
		return nil, &e
	}
	d := s.sts.devices[dc]
	if d == nil || !strings.EqualFold(d.clientID, cred.clientID) || d.status == stsDeviceRedeemed {
		e := errBadDeviceCode()
		return nil, &e
	}
	if now.After(d.expires) {
		e := errDeviceCodeExpired()
		return nil, &e
	}
	switch d.status {
	case stsDevicePending:
		e := errAuthorizationPending()
		return nil, &e
	case stsDeviceDeclined:
		e := errDeviceDeclined()
		return nil, &e
	}
	t := s.tenants[d.tenantID]
	c := s.findClient(t, d.clientID, now)
	if c == nil {
		e := errAppNotFound(d.clientID, t.DisplayName)
		return nil, &e
	}
	// The device code flow is a public client flow: an app registration must
	// allow public client flows, or Entra asks for a credential (AADSTS7000218,
	// as captured in AzureAD/azure-activedirectory-library-for-nodejs#140).
	public := c.isPublicFallback()
	if e := s.userClientAuth(r, t, c, cred, public, now); e != nil {
		return nil, e
	}
	u := t.usersByID[d.userID]
	if u == nil || !u.AccountEnabled {
		e := errUserDisabled()
		return nil, &e
	}
	d.status = stsDeviceRedeemed
	return s.userTokens(r, t, u, c, d.scopes, "", public, now)
}

func (s *Server) grantRefreshToken(r *http.Request, ref stsTenantRef, cred stsCredential, now time.Time) (map[string]any, *STSError) {
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		e := errMissingParameter("refresh_token")
		return nil, &e
	}
	g := s.sts.refresh[rt]
	switch {
	case g == nil || !strings.EqualFold(g.clientID, cred.clientID):
		e := errMalformed()
		return nil, &e
	case now.After(g.expires):
		e := errGrantExpired()
		return nil, &e
	}
	t := s.tenants[g.tenantID]
	u := t.usersByID[g.userID]
	if u == nil || !u.AccountEnabled {
		e := errUserDisabled()
		return nil, &e
	}
	c := s.findClient(t, g.clientID, now)
	if c == nil {
		e := errAppNotFound(g.clientID, t.DisplayName)
		return nil, &e
	}
	if e := s.userClientAuth(r, t, c, cred, g.public, now); e != nil {
		return nil, e
	}
	sc, e := s.parseUserScopes(t.GraphSP, r.PostForm.Get("scope"))
	if e != nil {
		return nil, e
	}
	// A refresh token is good for any scope of the resource that is consented;
	// anything else needs an interactive request (AADSTS65001).
	if missing, _ := stsConsentCheck(t, c, u, sc); len(missing) > 0 {
		e := errConsentRequired(c.appID, c.name)
		return nil, &e
	}
	return s.userTokens(r, t, u, c, sc, "", g.public, now)
}

// userTokens builds the success body of a user flow. Callers hold s.mu.
func (s *Server) userTokens(r *http.Request, t *Tenant, u *User, c *stsClient, sc []stsScope, nonce string, public bool, now time.Time) (map[string]any, *STSError) {
	// scp: the requested Graph scopes plus everything already consented for this
	// client and user (Entra puts all consented scopes of the resource in the
	// token), then the OIDC scopes except offline_access.
	var scp []string
	seen := map[string]bool{}
	add := func(v string) {
		if !seen[strings.ToLower(v)] {
			seen[strings.ToLower(v)] = true
			scp = append(scp, v)
		}
	}
	for _, v := range stsWantedValues(t, c, u, sc) {
		add(v)
	}
	granted := stsGrantedScopes(t, c.sp, u.ID)
	var extra []string
	for k, v := range granted {
		if _, oidc := stsOIDCScopes[k]; !oidc {
			extra = append(extra, v)
		}
	}
	sort.Strings(extra)
	for _, v := range extra {
		add(v)
	}
	openid := stsScopesHave(sc, "openid")
	var oidc []string
	for _, v := range []string{"openid", "profile", "email"} {
		if stsScopesHave(sc, v) || (v == "email" && openid) {
			oidc = append(oidc, v)
			add(v)
		}
	}
	// scope: every requested scope as requested (minus offline_access, which
	// Entra does not echo), the values a /.default stood for, and the OIDC ones.
	var echo []string
	for _, x := range sc {
		if x.oidc {
			continue
		}
		echo = append(echo, x.raw)
		if x.dflt {
			for _, v := range stsWantedValues(t, c, u, []stsScope{x}) {
				echo = append(echo, v)
			}
		}
	}
	echo = append(echo, oidc...)

	at, err := s.signer.delegatedAccessToken(t, u, c.appID, scp, now)
	if err != nil {
		e := STSError{Status: 500, Error: "server_error", Code: 50000, Description: "There was an error issuing a token."}
		return nil, &e
	}
	body := map[string]any{
		"token_type":     "Bearer",
		"scope":          strings.Join(echo, " "),
		"expires_in":     stsExpiresIn,
		"ext_expires_in": stsExpiresIn,
		"access_token":   at,
	}
	if stsScopesHave(sc, "offline_access") {
		rt := "1.A" + stsRandom(160)
		s.sts.refresh[rt] = &stsRefreshGrant{tenantID: t.ID, userID: u.ID, clientID: c.appID, public: public,
			expires: now.Add(stsRefreshLifetime)}
		body["refresh_token"] = rt
	}
	if openid {
		idt, err := s.signer.idToken(stsIssuer(r, t.ID), t, u, c.appID, nonce, now)
		if err != nil {
			e := STSError{Status: 500, Error: "server_error", Code: 50000, Description: "There was an error issuing a token."}
			return nil, &e
		}
		body["id_token"] = idt
	}
	if r.PostForm.Get("client_info") == "1" {
		body["client_info"] = clientInfo(u.ID, t.ID)
	}
	return body, nil
}

// grantClientCredentials issues an app-only token (ED v2-oauth2-client-creds-grant-flow.md).
func (s *Server) grantClientCredentials(r *http.Request, ref stsTenantRef, cred stsCredential, now time.Time) (map[string]any, *STSError) {
	if ref.multi {
		e := errNoTenant()
		return nil, &e
	}
	t := ref.t
	raw := r.PostForm.Get("scope")
	if strings.TrimSpace(raw) == "" {
		e := errMissingParameter("scope")
		return nil, &e
	}
	// MSAL Go always appends "openid offline_access profile" (accesstokens.go
	// addScopeQueryParam); Entra ignores them in this flow. What is left must be
	// a single {resource}/.default.
	var resources []string
	for _, f := range strings.Fields(raw) {
		if _, ok := stsOIDCScopes[strings.ToLower(f)]; ok && !strings.EqualFold(f, "email") {
			continue
		}
		res, ok := strings.CutSuffix(f, "/.default")
		if !ok || res == "" {
			e := errClientCredentialsScope(raw)
			return nil, &e
		}
		resources = append(resources, res)
	}
	switch {
	case len(resources) == 0:
		e := errClientCredentialsScope(raw)
		return nil, &e
	case len(resources) > 1:
		e := errMultipleResources()
		return nil, &e
	}
	c := s.findClient(t, cred.clientID, now)
	if c == nil {
		e := errAppNotFound(cred.clientID, t.DisplayName)
		return nil, &e
	}
	if c.firstParty && !cred.present() {
		e := errMissingCredential()
		return nil, &e
	}
	acr, e := s.authenticateClient(r, t, c, cred, now)
	if e != nil {
		return nil, e
	}
	if c.sp == nil {
		e := errMissingServicePrincipal(c.appID, t.ID)
		return nil, &e
	}
	if !c.sp.AccountEnabled {
		e := STSError{Status: 400, Error: "unauthorized_client", Code: 7000112,
			Description: "Application '" + c.appID + "'(" + c.name + ") is disabled."}
		return nil, &e
	}
	graph := false
	for _, id := range s.graphResourceIDs() {
		if strings.EqualFold(strings.TrimSuffix(resources[0], "/"), id) {
			graph = true
		}
	}
	if !graph {
		e := errResourceNotFound(resources[0], t.DisplayName)
		return nil, &e
	}
	at, err := s.signer.appAccessToken(t, c.sp, s.effectiveRoles(t, c.sp, now), acr, now)
	if err != nil {
		e := STSError{Status: 500, Error: "server_error", Code: 50000, Description: "There was an error issuing a token."}
		return nil, &e
	}
	return map[string]any{
		"token_type":     "Bearer",
		"expires_in":     stsExpiresIn,
		"ext_expires_in": stsExpiresIn,
		"access_token":   at,
	}, nil
}
