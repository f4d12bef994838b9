package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Tenant-wide admin consent in the browser (the v1 admin consent endpoint):
// GET /{tenant}/adminconsent?client_id=…[&redirect_uri=…&state=…]. An admin
// signs in and accepts every permission the app's requiredResourceAccess asks
// for: application permissions become app role assignments on the resource's
// service principal (created if missing), delegated ones a tenant-wide grant.
// Afterwards the browser goes to redirect_uri with admin_consent=True&tenant=…
// &state=…, or, with no redirect_uri, the page says it is done (approximation:
// real Entra then needs a registered reply URL). Only a Global Administrator or
// Privileged Role Administrator may grant Microsoft Graph application
// permissions; anyone else is refused and nothing changes.

func (s *Server) stsAdminConsentGet(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, app, e := s.adminConsentTarget(r)
	if e != nil {
		stsWriteErrorPage(w, *e)
		return
	}
	var items []string
	for _, p := range adminConsentPermissions(t, app) {
		items = append(items, "<li>"+stsHTMLEscape(p)+"</li>")
	}
	var accounts []string
	for _, u := range t.Users {
		if u.AccountEnabled && len(accounts) < stsPageAccounts {
			accounts = append(accounts, fmt.Sprintf(`<option value="%s">%s (%s)</option>`, stsHTMLEscape(u.UserPrincipalName),
				stsHTMLEscape(u.UserPrincipalName), stsHTMLEscape(stsRoleText(u))))
		}
	}
	body := fmt.Sprintf(`<p><b>%s</b> asks for these permissions in <b>%s</b>:</p><ul>%s</ul>
<p>Accepting grants them for every user of your organization.</p>
<form id="adminconsent" method="POST" action="%s"><label>Account <select name="login">%s</select></label>
<button name="decision" value="accept">Accept</button> <button name="decision" value="cancel">Cancel</button></form>`,
		stsHTMLEscape(app.DisplayName), stsHTMLEscape(t.DisplayName), strings.Join(items, ""),
		stsHTMLEscape(r.URL.RequestURI()), strings.Join(accounts, ""))
	stsWriteHTML(w, http.StatusOK, "Permissions requested: accept for your organization", body)
}

func (s *Server) stsAdminConsentPost(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, app, e := s.adminConsentTarget(r)
	if e != nil {
		stsWriteErrorPage(w, *e)
		return
	}
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	finish := func(v url.Values, page string) {
		if redirect == "" {
			stsWriteHTML(w, http.StatusOK, page, "<p>You can close this window.</p>")
			return
		}
		if st := q.Get("state"); st != "" {
			v.Set("state", st)
		}
		http.Redirect(w, r, redirect+"?"+v.Encode(), http.StatusFound)
	}
	if r.PostFormValue("decision") != "accept" {
		finish(url.Values{"error": {"access_denied"}, "error_description": {"AADSTS65004: User declined to consent to access the app."}}, "Consent was not given")
		return
	}
	u := t.UserByIDOrUPN(r.PostFormValue("login"))
	if u == nil || !u.AccountEnabled {
		stsWriteHTML(w, http.StatusBadRequest, "Sign in", "<p class=\"error\">That account does not exist in this organization.</p>")
		return
	}
	if !u.HasRole(RoleGlobalAdministrator) && !u.HasRole(RolePrivilegedRoleAdministrator) {
		stsWriteHTML(w, http.StatusForbidden, "Need admin approval",
			`<p class="error">`+stsHTMLEscape(app.DisplayName)+` needs permission to access resources in your organization that only an admin can grant. Please ask an admin (Global Administrator or Privileged Role Administrator) to grant permission to this app before you can use it.</p>`)
		return
	}
	now := time.Now()
	sp := t.SPByAppID(app.AppID)
	if sp == nil {
		sp = &ServicePrincipal{ID: uuid.NewString(), AppID: app.AppID, DisplayName: app.DisplayName,
			AppDisplayName: app.DisplayName, AppOwnerOrganizationID: t.ID, AccountEnabled: true, ServicePrincipalType: "Application",
			ServicePrincipalNames: []string{app.AppID}, created: now}
		t.SPs[sp.ID] = sp
	}
	var scopes []string
	for _, rra := range app.RequiredResourceAccess {
		if !strings.EqualFold(rra.ResourceAppID, GraphAppID) {
			continue
		}
		for _, ra := range rra.ResourceAccess {
			switch ra.Type {
			case "Role":
				if !adminConsentHasAssignment(t, sp.ID, ra.ID) {
					t.Assignments = append(t.Assignments, &AppRoleAssignment{ID: entraAssignmentID(sp.ID), AppRoleID: ra.ID,
						PrincipalID: sp.ID, PrincipalDisplayName: sp.DisplayName, PrincipalType: "ServicePrincipal",
						ResourceID: t.GraphSP.ID, ResourceDisplayName: t.GraphSP.DisplayName, CreatedDateTime: now})
				}
			case "Scope":
				for _, sc := range t.GraphSP.OAuth2PermissionScopes {
					if strings.EqualFold(sc.ID, ra.ID) {
						scopes = append(scopes, sc.Value)
					}
				}
			}
		}
	}
	if len(scopes) > 0 {
		adminConsentGrantScopes(t, sp, scopes)
	}
	finish(url.Values{"admin_consent": {"True"}, "tenant": {t.ID}}, "Permissions granted for "+t.DisplayName)
}

// adminConsentTarget resolves the tenant (a specific one: consent is per tenant)
// and the app. Callers hold s.mu.
func (s *Server) adminConsentTarget(r *http.Request) (*Tenant, *Application, *STSError) {
	seg := r.PathValue("tenant")
	t := s.tenantByKey(seg)
	if t == nil {
		if !stsValidTenantName(strings.ToLower(seg)) {
			e := errInvalidTenantIdentifier(seg)
			return nil, nil, &e
		}
		e := errTenantNotFound(seg)
		return nil, nil, &e
	}
	clientID := r.URL.Query().Get("client_id")
	app := t.AppByAppID(clientID)
	if app == nil {
		e := errAppNotFound(clientID, t.DisplayName)
		return nil, nil, &e
	}
	if ru := r.URL.Query().Get("redirect_uri"); ru != "" {
		ok := false
		for _, reg := range append(append([]string{}, app.WebRedirectURIs...), app.PublicClientRedirects...) {
			ok = ok || stsRedirectMatch(reg, ru)
		}
		if !ok {
			e := STSError{Status: 400, Error: "invalid_request", Code: 50011,
				Description: fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'.", ru, app.AppID)}
			return nil, nil, &e
		}
	}
	return t, app, nil
}

func adminConsentPermissions(t *Tenant, app *Application) []string {
	var out []string
	for _, rra := range app.RequiredResourceAccess {
		if !strings.EqualFold(rra.ResourceAppID, GraphAppID) {
			continue
		}
		for _, ra := range rra.ResourceAccess {
			for _, ro := range t.GraphSP.AppRoles {
				if ra.Type == "Role" && strings.EqualFold(ro.ID, ra.ID) {
					out = append(out, ro.DisplayName+" ("+ro.Value+", application)")
				}
			}
			for _, sc := range t.GraphSP.OAuth2PermissionScopes {
				if ra.Type == "Scope" && strings.EqualFold(sc.ID, ra.ID) {
					out = append(out, sc.AdminConsentDisplayName+" ("+sc.Value+", delegated)")
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func adminConsentHasAssignment(t *Tenant, principal, role string) bool {
	for _, a := range t.Assignments {
		if a.PrincipalID == principal && a.ResourceID == t.GraphSP.ID && strings.EqualFold(a.AppRoleID, role) {
			return true
		}
	}
	return false
}

func adminConsentGrantScopes(t *Tenant, sp *ServicePrincipal, scopes []string) {
	for _, g := range t.Grants {
		if g.ClientID == sp.ID && g.ResourceID == t.GraphSP.ID && g.ConsentType == "AllPrincipals" {
			have := strings.Fields(g.Scope)
			for _, sc := range scopes {
				if !containsFold(have, sc) {
					have = append(have, sc)
				}
			}
			g.Scope = strings.Join(have, " ")
			return
		}
	}
	t.Grants = append(t.Grants, &OAuth2PermissionGrant{ID: entraGrantID(sp.ID, t.GraphSP.ID, ""), ClientID: sp.ID,
		ConsentType: "AllPrincipals", ResourceID: t.GraphSP.ID, Scope: strings.Join(scopes, " ")})
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// CompleteAdminConsent does in a browser's stead what an admin does with an
// admin consent link: open it, sign in as upn and accept. It returns the page's
// refusal (for an account that may not consent) as an error.
func (s *Server) CompleteAdminConsent(ctx context.Context, consentURL, upn string) error {
	browser := s.HTTPClient()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	page, err := stsDo(ctx, browser, http.MethodGet, consentURL, nil)
	if err != nil {
		return err
	}
	if page.status != http.StatusOK {
		return fmt.Errorf("sandbox admin consent: %s", stsPageError(page.body))
	}
	f := stsParseForms(page.body).find("id", "adminconsent")
	if f == nil {
		return fmt.Errorf("sandbox admin consent: no consent form on the page")
	}
	base, _ := url.Parse(consentURL)
	target, err := base.Parse(f.action)
	if err != nil {
		return err
	}
	resp, err := stsDo(ctx, browser, http.MethodPost, target.String(), url.Values{"login": {upn}, "decision": {"accept"}})
	if err != nil {
		return err
	}
	if resp.status >= 400 {
		return fmt.Errorf("sandbox admin consent: %s", stsStripTags(resp.body))
	}
	return nil
}
