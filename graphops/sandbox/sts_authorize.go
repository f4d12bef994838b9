package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The authorize endpoint (auth code + PKCE, ED v2-oauth2-auth-code-flow.md,
// GRAPH-FACTS §6.6). GET renders the sign-in page: the app, the permissions it
// asks for and the tenant's accounts (the sandbox has no passwords). The page
// posts back to the same URL; that issues a one-time code and returns it to
// redirect_uri the way response_mode asks: an auto-submitting form for
// form_post (MSAL ≥1.7 asks for it and its loopback server accepts only POST,
// apps/internal/local/server.go), a 302 for query and fragment.
//
// Errors found before redirect_uri is trusted are shown on the page (Entra's
// "Sorry, but we're having trouble signing you in."); errors after it go back
// to the app as error/error_description, as Entra does.

// stsAuthzRequest is a validated /authorize request.
type stsAuthzRequest struct {
	ref          stsTenantRef
	client       *stsClient
	redirectURI  string
	responseMode string
	state        string
	nonce        string
	prompt       string
	loginHint    string
	challenge    string
	method       string
	scopes       []stsScope
	public       bool
}

// parseAuthorize validates an /authorize request. pageErr is for the sign-in
// page; appErr is to be sent to redirect_uri. Callers hold s.mu.
func (s *Server) parseAuthorize(r *http.Request, now time.Time) (req *stsAuthzRequest, pageErr, appErr *STSError) {
	q := r.URL.Query()
	ref, e := s.resolveTenant(r.PathValue("tenant"))
	if e != nil {
		return nil, e, nil
	}
	req = &stsAuthzRequest{ref: ref}
	clientID := q.Get("client_id")
	if clientID == "" {
		e := errMissingParameter("client_id")
		return nil, &e, nil
	}
	if ref.t != nil {
		req.client = s.findClient(ref.t, clientID, now)
	} else {
		req.client = s.findClientAnywhere(clientID, now)
	}
	if req.client == nil {
		name := ref.seg
		if ref.t != nil {
			name = ref.t.DisplayName
		}
		e := errAppNotFound(clientID, name)
		return nil, &e, nil
	}
	req.redirectURI = q.Get("redirect_uri")
	if req.redirectURI == "" {
		e := STSError{Status: 400, Error: "invalid_request", Code: 900971, Description: "No reply address provided."}
		return nil, &e, nil
	}
	public, ok := req.client.redirectAllowed(req.redirectURI)
	if !ok {
		e := errRedirectMismatch(req.redirectURI, req.client.appID)
		return nil, &e, nil
	}
	req.public = public
	req.state = q.Get("state")
	req.nonce = q.Get("nonce")
	req.prompt = q.Get("prompt")
	req.loginHint = q.Get("login_hint")
	req.responseMode = q.Get("response_mode")
	switch req.responseMode {
	case "":
		req.responseMode = "query"
	case "query", "fragment", "form_post":
	default:
		req.responseMode = "query"
		e := STSError{Status: 400, Error: "invalid_request", Code: 70007,
			Description: "The app returned an unsupported value of response_mode when requesting a token."}
		return req, nil, &e
	}
	if rt := q.Get("response_type"); rt != "code" {
		if rt == "" {
			e := errMissingParameter("response_type")
			return req, nil, &e
		}
		e := errUnsupportedResponseType(rt)
		return req, nil, &e
	}
	graph := s.order[0].GraphSP
	if ref.t != nil {
		graph = ref.t.GraphSP
	}
	sc, e := s.parseUserScopes(graph, q.Get("scope"))
	if e != nil {
		return req, nil, e
	}
	req.scopes = sc
	req.challenge, req.method = q.Get("code_challenge"), q.Get("code_challenge_method")
	if req.challenge != "" || req.public {
		switch {
		case req.challenge == "":
			e := errPKCERequired()
			return req, nil, &e
		case req.method != "S256":
			e := errPKCEMethod()
			return req, nil, &e
		case len(req.challenge) != 43:
			// base64url of a SHA-256 without padding is 43 characters
			e := errPKCESize()
			return req, nil, &e
		}
	}
	if req.prompt == "none" {
		e := errNoSession()
		return req, nil, &e
	}
	return req, nil, nil
}

func (s *Server) stsAuthorizeGet(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	req, pageErr, appErr := s.parseAuthorize(r, now)
	var page stsSignInPage
	if pageErr == nil && appErr == nil {
		page = s.signInPageData(r.URL.RequestURI(), req, nil)
	}
	s.mu.Unlock()
	switch {
	case pageErr != nil:
		stsWriteErrorPage(w, *pageErr)
	case appErr != nil:
		s.deliverError(w, r, req, *appErr)
	default:
		stsRender(w, http.StatusOK, signInTemplate, page)
	}
}

func (s *Server) stsAuthorizePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		stsWriteErrorPage(w, errMalformed())
		return
	}
	now := time.Now()
	s.mu.Lock()
	req, pageErr, appErr := s.parseAuthorize(r, now)
	if pageErr != nil || appErr != nil {
		s.mu.Unlock()
		if pageErr != nil {
			stsWriteErrorPage(w, *pageErr)
		} else {
			s.deliverError(w, r, req, *appErr)
		}
		return
	}
	switch r.PostForm.Get("decision") {
	case "cancel", "back":
		s.mu.Unlock()
		s.deliverError(w, r, req, STSError{Error: "access_denied", Code: 65004, Description: msgUserDeclinedConsent})
		return
	}
	login := strings.TrimSpace(r.PostForm.Get("login"))
	if login == "" {
		login = strings.TrimSpace(r.PostForm.Get("login_other"))
	}
	t, u := s.findSignInUser(req.ref, login)
	if u == nil {
		name := req.ref.seg
		if req.ref.t != nil {
			name = req.ref.t.DisplayName
		}
		e := errUserNotFound(login, name)
		page := s.signInPageData(r.URL.RequestURI(), req, &e)
		s.mu.Unlock()
		stsRender(w, http.StatusOK, signInTemplate, page)
		return
	}
	if !u.AccountEnabled {
		e := errUserDisabled()
		page := s.signInPageData(r.URL.RequestURI(), req, &e)
		s.mu.Unlock()
		stsRender(w, http.StatusOK, signInTemplate, page)
		return
	}
	c := req.client
	if req.ref.multi {
		if c = s.findClient(t, c.appID, now); c == nil {
			s.mu.Unlock()
			stsWriteErrorPage(w, errAppNotFound(r.URL.Query().Get("client_id"), t.DisplayName))
			return
		}
	}
	missing, needAdmin := stsConsentCheck(t, c, u, req.scopes)
	if needAdmin {
		data := stsAdminApprovalPage{AppName: c.name, Action: r.URL.RequestURI(), User: u.UserPrincipalName}
		s.mu.Unlock()
		stsRender(w, http.StatusOK, adminApprovalTemplate, data)
		return
	}
	if len(missing) > 0 {
		s.recordConsent(t, c, u, stsConsentValues(req.scopes, missing), r.PostForm.Get("consent_org") != "", now)
	}
	s.sts.prune(now)
	code := "0.A" + stsRandom(96)
	s.sts.codes[code] = &stsAuthCode{
		tenantID: t.ID, pathTenant: req.ref.seg, userID: u.ID, clientID: c.appID, redirectURI: req.redirectURI,
		challenge: req.challenge, method: req.method, scopes: req.scopes, public: req.public, nonce: req.nonce,
		expires: now.Add(stsCodeLifetime),
	}
	s.mu.Unlock()
	s.deliver(w, r, req, url.Values{"code": {code}, "state": {req.state}, "session_state": {uuid.NewString()}})
}

// findSignInUser finds the account picked on the page: in the tenant, or in any
// tenant for common and organizations. Callers hold s.mu.
func (s *Server) findSignInUser(ref stsTenantRef, login string) (*Tenant, *User) {
	if login == "" {
		return nil, nil
	}
	if ref.t != nil {
		return ref.t, ref.t.UserByIDOrUPN(login)
	}
	for _, t := range s.order {
		if u := t.UserByIDOrUPN(login); u != nil {
			return t, u
		}
	}
	return nil, nil
}

// deliverError sends an error to the app's redirect_uri.
func (s *Server) deliverError(w http.ResponseWriter, r *http.Request, req *stsAuthzRequest, e STSError) {
	trace, corr := uuid.NewString(), uuid.NewString()
	ts := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	desc := fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", e.Code, e.Description, trace, corr, ts)
	v := url.Values{"error": {e.Error}, "error_description": {desc}, "error_uri": {fmt.Sprintf("%s/error?code=%d", stsBase(r), e.Code)}}
	if req.state != "" {
		v.Set("state", req.state)
	}
	s.deliver(w, r, req, v)
}

// deliver returns parameters to redirect_uri as response_mode asks.
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, req *stsAuthzRequest, v url.Values) {
	w.Header().Set("Cache-Control", "no-store, no-cache")
	switch req.responseMode {
	case "form_post":
		// Entra's form_post page: a form named hiddenform submitted by script.
		var fields []stsFormField
		for _, k := range []string{"code", "error", "error_description", "error_uri", "state", "session_state"} {
			if x := v.Get(k); x != "" || (k == "state" && v.Has("state")) {
				fields = append(fields, stsFormField{Name: k, Value: x})
			}
		}
		stsRender(w, http.StatusOK, stsFormPostTemplate, stsFormPostPage{Action: req.redirectURI, Fields: fields})
	case "fragment":
		http.Redirect(w, r, req.redirectURI+"#"+v.Encode(), http.StatusFound)
	default:
		sep := "?"
		if strings.Contains(req.redirectURI, "?") {
			sep = "&"
		}
		http.Redirect(w, r, req.redirectURI+sep+v.Encode(), http.StatusFound)
	}
}

// ---------------------------------------------------------------------------
// Pages

type stsAccount struct {
	UPN, DisplayName, Roles string
	Selected                bool
}

type stsPermission struct {
	Value, DisplayName string
	Admin              bool
}

type stsSignInPage struct {
	Tenant      string
	AppName     string
	Action      string
	Permissions []stsPermission
	Accounts    []stsAccount
	Error       string
}

// stsPageAccounts is how many accounts the page lists; others can be typed.
const stsPageAccounts = 25

// signInPageData builds the sign-in page. Callers hold s.mu.
func (s *Server) signInPageData(action string, req *stsAuthzRequest, e *STSError) stsSignInPage {
	p := stsSignInPage{AppName: req.client.name, Action: action, Tenant: "Microsoft"}
	tenants := s.order
	if req.ref.t != nil {
		tenants = []*Tenant{req.ref.t}
		p.Tenant = req.ref.t.DisplayName
	}
	graph := tenants[0].GraphSP
	for _, sc := range req.scopes {
		values := []string{sc.value}
		if sc.dflt {
			values = stsStaticScopes(tenants[0], req.client)
		}
		for _, v := range values {
			ps := stsGraphScope(graph, v)
			if ps == nil {
				continue
			}
			name := ps.UserConsentDisplayName
			if ps.Type == "Admin" {
				name = ps.AdminConsentDisplayName
			}
			p.Permissions = append(p.Permissions, stsPermission{Value: ps.Value, DisplayName: name, Admin: ps.Type == "Admin"})
		}
	}
	for _, t := range tenants {
		n := 0
		for _, u := range t.Users {
			hinted := req.loginHint != "" && strings.EqualFold(u.UserPrincipalName, req.loginHint)
			if !u.AccountEnabled || (n >= stsPageAccounts && !hinted) {
				continue
			}
			n++
			p.Accounts = append(p.Accounts, stsAccount{UPN: u.UserPrincipalName, DisplayName: u.DisplayName,
				Roles: stsRoleText(u), Selected: hinted})
		}
	}
	if e != nil {
		p.Error = stsErrorText(*e)
	}
	return p
}

var signInTemplate = template.Must(template.New("signin").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to your account</title>{{/* shared sandbox page style */}}<style>body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;color:#1b1b1b;margin:0;padding:40px 16px}body>*{max-width:560px;margin-left:auto;margin-right:auto}h1{font-size:24px;font-weight:600}h2{font-size:17px}fieldset{border:1px solid #ccc;background:#fff;padding:12px 16px}label{display:block;line-height:1.4;margin:8px 0}button,input[type=submit]{background:#0067b8;color:#fff;border:0;padding:8px 24px;margin:12px 8px 0 0;font-size:15px;cursor:pointer}button[value=cancel],button[value=decline]{background:#ccc;color:#1b1b1b}.error{color:#a80000}</style></head>
<body>
<h1>Sign in to your account</h1>
<p id="tenant">{{.Tenant}} (simulated tenant: accounts have no passwords)</p>
{{if .Error}}<div id="error" role="alert"><p id="error-text">{{.Error}}</p></div>{{end}}
<h2 id="app">{{.AppName}}</h2>
<p>This app would like to:</p>
<ul id="permissions">{{range .Permissions}}
<li data-scope="{{.Value}}">{{.DisplayName}}{{if .Admin}} <em>(Admin consent required)</em>{{end}}</li>{{end}}
</ul>
<form id="signin" method="post" action="{{.Action}}">
<fieldset><legend>Pick an account</legend>{{range .Accounts}}
<label><input type="radio" name="login" value="{{.UPN}}"{{if .Selected}} checked{{end}}> {{.DisplayName}} &lt;{{.UPN}}&gt; &mdash; {{.Roles}}</label><br>{{end}}
<label>Use another account: <input type="email" name="login_other"></label>
</fieldset>
<p><label><input type="checkbox" name="consent_org" value="1"> Consent on behalf of your organization (administrators)</label></p>
<p>Accepting these permissions means that you allow this app to use your data as specified in their terms of service and privacy statement.</p>
<button type="submit" name="decision" value="accept">Accept</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form>
</body></html>
`))

type stsAdminApprovalPage struct{ AppName, Action, User string }

// Entra's page for a user who may not consent to what the app asks.
var adminApprovalTemplate = template.Must(template.New("approval").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Need admin approval</title>{{/* shared sandbox page style */}}<style>body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;color:#1b1b1b;margin:0;padding:40px 16px}body>*{max-width:560px;margin-left:auto;margin-right:auto}h1{font-size:24px;font-weight:600}h2{font-size:17px}fieldset{border:1px solid #ccc;background:#fff;padding:12px 16px}label{display:block;line-height:1.4;margin:8px 0}button,input[type=submit]{background:#0067b8;color:#fff;border:0;padding:8px 24px;margin:12px 8px 0 0;font-size:15px;cursor:pointer}button[value=cancel],button[value=decline]{background:#ccc;color:#1b1b1b}.error{color:#a80000}</style></head>
<body>
<p id="user">{{.User}}</p>
<h1>Need admin approval</h1>
<h2 id="app">{{.AppName}}</h2>
<p id="error-text">{{.AppName}} needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>
<p>Have an admin account? Sign in with that account</p>
<form id="admin-approval" method="post" action="{{.Action}}">
<input type="hidden" name="decision" value="back">
<button type="submit">Return to the application without granting consent</button>
</form>
</body></html>
`))

type stsFormField struct{ Name, Value string }

type stsFormPostPage struct {
	Action string
	Fields []stsFormField
}

// Entra's form_post response page.
var stsFormPostTemplate = template.Must(template.New("formpost").Parse(`<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="{{.Action}}">{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}" />{{end}}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form><script language="javascript">document.forms[0].submit();</script></body></html>
`))

type stsErrorPageData struct{ Text string }

var stsErrorTemplate = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to your account</title>{{/* shared sandbox page style */}}<style>body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;color:#1b1b1b;margin:0;padding:40px 16px}body>*{max-width:560px;margin-left:auto;margin-right:auto}h1{font-size:24px;font-weight:600}h2{font-size:17px}fieldset{border:1px solid #ccc;background:#fff;padding:12px 16px}label{display:block;line-height:1.4;margin:8px 0}button,input[type=submit]{background:#0067b8;color:#fff;border:0;padding:8px 24px;margin:12px 8px 0 0;font-size:15px;cursor:pointer}button[value=cancel],button[value=decline]{background:#ccc;color:#1b1b1b}.error{color:#a80000}</style></head>
<body>
<div id="error" role="alert">
<p>Sorry, but we’re having trouble signing you in.</p>
<p id="error-text">{{.Text}}</p>
</div>
</body></html>
`))

func stsWriteErrorPage(w http.ResponseWriter, e STSError) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	stsRender(w, status, stsErrorTemplate, stsErrorPageData{Text: stsErrorText(e)})
}

func stsRender(w http.ResponseWriter, status int, t *template.Template, data any) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// stsWriteHTML writes a small page; body must already be escaped.
func stsWriteHTML(w http.ResponseWriter, status int, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title><style>body{font-family:\"Segoe UI\",system-ui,sans-serif;background:#f2f2f2;color:#1b1b1b;margin:0;padding:40px 16px}body>*{max-width:560px;margin-left:auto;margin-right:auto}h1{font-size:24px;font-weight:600}h2{font-size:17px}fieldset{border:1px solid #ccc;background:#fff;padding:12px 16px}label{display:block;line-height:1.4;margin:8px 0}button,input[type=submit]{background:#0067b8;color:#fff;border:0;padding:8px 24px;margin:12px 8px 0 0;font-size:15px;cursor:pointer}button[value=cancel],button[value=decline]{background:#ccc;color:#1b1b1b}.error{color:#a80000}</style></head><body><h1>%s</h1>%s</body></html>\n",
		stsHTMLEscape(title), stsHTMLEscape(title), body)
}

func stsHTMLEscape(s string) string { return html.EscapeString(s) }

// ---------------------------------------------------------------------------
// CompleteSignIn: a browser for the sign-in page

// CompleteSignIn does what a browser would with an authorize URL: it opens the
// sign-in page, picks the account upn, and returns the result to the app's
// redirect URI (POSTing the form_post form, or following the 302). When the
// user may not consent ("Need admin approval") it leaves the page the way a
// user would, so the app receives access_denied (AADSTS65004). It fails when
// the page shows an error instead (unknown app or tenant, bad redirect URI,
// unknown account) or the redirect URI is not on this machine.
//
// Tests pass it to MSAL as public.WithOpenURL; the product uses it when no
// browser is available.
func (s *Server) CompleteSignIn(ctx context.Context, stsAuthorizeURL, upn string) error {
	return SignInAs(ctx, s.HTTPClient(), stsAuthorizeURL, upn)
}

// SignInAs is CompleteSignIn for another process: browser must trust the
// sandbox CA (e.g. a client built from the CA file `m365wizard sandbox` writes).
// The product uses it for --sandbox sign-in when no browser is available.
func SignInAs(ctx context.Context, browser *http.Client, stsAuthorizeURL, upn string) error {
	b := *browser
	browser = &b
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	loopback := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	pageURL, err := url.Parse(stsAuthorizeURL)
	if err != nil {
		return fmt.Errorf("sandbox sign-in: %w", err)
	}
	resp, err := stsDo(ctx, browser, http.MethodGet, pageURL.String(), nil)
	if err != nil {
		return err
	}
	for step := 0; step < 4; step++ {
		if resp.status >= 300 && resp.status < 400 {
			if resp.location == "" {
				return fmt.Errorf("sandbox sign-in: redirect without a location")
			}
			return deliverToApp(ctx, loopback, http.MethodGet, resp.location, nil)
		}
		forms := stsParseForms(resp.body)
		if f := forms.find("name", "hiddenform"); f != nil {
			return deliverToApp(ctx, loopback, http.MethodPost, f.action, f.values)
		}
		if f := forms.find("id", "admin-approval"); f != nil {
			target, err := pageURL.Parse(f.action)
			if err != nil {
				return fmt.Errorf("sandbox sign-in: %w", err)
			}
			if resp, err = stsDo(ctx, browser, http.MethodPost, target.String(), f.values); err != nil {
				return err
			}
			continue
		}
		if msg := stsPageError(resp.body); msg != "" {
			return fmt.Errorf("sandbox sign-in: %s", msg)
		}
		if f := forms.find("id", "signin"); f != nil && step == 0 {
			target, err := pageURL.Parse(f.action)
			if err != nil {
				return fmt.Errorf("sandbox sign-in: %w", err)
			}
			if resp, err = stsDo(ctx, browser, http.MethodPost, target.String(), url.Values{"login": {upn}, "decision": {"accept"}}); err != nil {
				return err
			}
			continue
		}
		return fmt.Errorf("sandbox sign-in: unexpected page (HTTP %d)", resp.status)
	}
	return errors.New("sandbox sign-in: too many steps")
}

// deliverToApp sends the result to the app's redirect URI, which must be on
// this machine (MSAL listens on http://localhost:{port}).
func deliverToApp(ctx context.Context, c *http.Client, method, target string, form url.Values) error {
	if !stsIsLoopbackURL(target) {
		return fmt.Errorf("sandbox sign-in: the redirect URI %q is not on this machine; a browser would be needed", target)
	}
	resp, err := stsDo(ctx, c, method, target, form)
	if err != nil {
		return err
	}
	if resp.status >= 400 {
		return fmt.Errorf("sandbox sign-in: the app's redirect URI answered HTTP %d: %s", resp.status, strings.TrimSpace(stsStripTags(resp.body)))
	}
	return nil
}

type stsResponse struct {
	status   int
	location string
	body     string
}

func stsDo(ctx context.Context, c *http.Client, method, target string, form url.Values) (*stsResponse, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("sandbox sign-in: %w", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sandbox sign-in: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("sandbox sign-in: %w", err)
	}
	return &stsResponse{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)}, nil
}

// A minimal reader for the forms of the sandbox's own pages.

type stsHTMLForm struct {
	attrs  map[string]string
	action string
	values url.Values
}

type stsHTMLForms []stsHTMLForm

func (fs stsHTMLForms) find(attr, value string) *stsHTMLForm {
	for i := range fs {
		if fs[i].attrs[attr] == value {
			return &fs[i]
		}
	}
	return nil
}

var (
	stsFormPattern  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	stsInputPattern = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	stsAttrPattern  = regexp.MustCompile(`(?s)([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*"([^"]*)"`)
	stsErrPattern   = regexp.MustCompile(`(?s)<p id="error-text">(.*?)</p>`)
	stsTagPattern   = regexp.MustCompile(`(?s)<[^>]*>`)
)

func stsParseAttrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range stsAttrPattern.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

func stsParseForms(body string) stsHTMLForms {
	var out stsHTMLForms
	for _, fm := range stsFormPattern.FindAllStringSubmatch(body, -1) {
		f := stsHTMLForm{attrs: stsParseAttrs(fm[1]), values: url.Values{}}
		f.action = f.attrs["action"]
		for _, im := range stsInputPattern.FindAllStringSubmatch(fm[2], -1) {
			a := stsParseAttrs(im[1])
			if strings.EqualFold(a["type"], "hidden") && a["name"] != "" {
				f.values.Add(a["name"], a["value"])
			}
		}
		out = append(out, f)
	}
	return out
}

func stsPageError(body string) string {
	m := stsErrPattern.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(stsStripTags(m[1])))
}

func stsStripTags(s string) string { return stsTagPattern.ReplaceAllString(s, "") }
