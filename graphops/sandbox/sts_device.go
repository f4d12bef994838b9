package sandbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// Device code flow (ED v2-oauth2-device-code.md, GRAPH-FACTS §6.5).
// POST /{tenant}/oauth2/v2.0/devicecode starts it; the user opens /devicelogin,
// enters the code, picks an account and approves or declines; the device polls
// the token endpoint (grant_type=device_code as MSAL Go sends it, or the URN)
// and gets authorization_pending (HTTP 400, the only answer besides slow_down
// on which MSAL keeps polling, oauth.go isWaitDeviceCodeErr) until then.

type stsDeviceStatus int

const (
	stsDevicePending stsDeviceStatus = iota
	stsDeviceApproved
	stsDeviceDeclined
	stsDeviceRedeemed
)

// stsDevice is one device code.
type stsDevice struct {
	deviceCode string
	userCode   string
	pathTenant stsTenantRef
	clientID   string
	clientName string
	scopes     []stsScope
	expires    time.Time
	status     stsDeviceStatus
	tenantID   string // set on approval: the user's tenant
	userID     string
}

// stsUserCodeAlphabet: Entra's user codes are 9 upper-case letters and digits
// ("FRWQDE7YL", "BPPVYQZMA" in public captures).
const stsUserCodeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func stsNewUserCode() string {
	b := make([]byte, 9)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(stsUserCodeAlphabet))))
		if err != nil {
			panic(err)
		}
		b[i] = stsUserCodeAlphabet[n.Int64()]
	}
	return string(b)
}

// stsDeviceCode answers POST /{tenant}/oauth2/v2.0/devicecode (client_id, scope).
func (s *Server) stsDeviceCode(w http.ResponseWriter, r *http.Request) {
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
	ref, e := s.resolveTenant(r.PathValue("tenant"))
	if e != nil {
		s.mu.Unlock()
		writeSTSError(w, r, *e)
		return
	}
	clientID := r.PostForm.Get("client_id")
	if clientID == "" {
		s.mu.Unlock()
		writeSTSError(w, r, errMissingParameter("client_id"))
		return
	}
	var c *stsClient
	graph := s.order[0].GraphSP
	name := ref.seg
	if ref.t != nil {
		c, graph, name = s.findClient(ref.t, clientID, now), ref.t.GraphSP, ref.t.DisplayName
	} else {
		c = s.findClientAnywhere(clientID, now)
	}
	if c == nil {
		s.mu.Unlock()
		writeSTSError(w, r, errAppNotFound(clientID, name))
		return
	}
	sc, e := s.parseUserScopes(graph, r.PostForm.Get("scope"))
	if e != nil {
		s.mu.Unlock()
		writeSTSError(w, r, *e)
		return
	}
	s.sts.prune(now)
	d := &stsDevice{deviceCode: "DAQABIQEAAAB" + stsRandom(96), pathTenant: ref, clientID: c.appID, clientName: c.name,
		scopes: sc, expires: now.Add(stsDeviceCodeLifetime)}
	for {
		d.userCode = stsNewUserCode()
		if _, taken := s.sts.userCodes[d.userCode]; !taken {
			break
		}
	}
	s.sts.devices[d.deviceCode] = d
	s.sts.userCodes[d.userCode] = d.deviceCode
	s.mu.Unlock()

	verification := stsBase(r) + "/devicelogin"
	stsWriteJSON(w, http.StatusOK, map[string]any{
		"user_code":        d.userCode,
		"device_code":      d.deviceCode,
		"verification_uri": verification,
		"expires_in":       int(stsDeviceCodeLifetime / time.Second),
		"interval":         stsDeviceCodeInterval,
		"message":          fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", verification, d.userCode),
	})
}

// Errors of ApproveDeviceCode and DeclineDeviceCode.
var (
	ErrUnknownUserCode   = errors.New("sandbox: that code didn't work; check the code and try again")
	ErrDeviceCodeExpired = errors.New("sandbox: the code has expired")
	ErrDeviceCodeUsed    = errors.New("sandbox: the code was already used")
)

// NeedAdminApprovalError is returned by ApproveDeviceCode when the account may
// not consent to what the app asks (Entra's "Need admin approval" page).
type NeedAdminApprovalError struct {
	App, UPN string
	Scopes   []string
}

func (e *NeedAdminApprovalError) Error() string {
	return fmt.Sprintf("sandbox: need admin approval: %s needs permission to access resources in your organization that only an admin can grant (%s asked for %s)",
		e.App, e.UPN, strings.Join(e.Scopes, ", "))
}

// ApproveDeviceCode does what a user would on /devicelogin: enter userCode,
// sign in as upn and accept. The polling device then gets its tokens. It fails
// for an unknown, used or expired code, an unknown or disabled account, and
// with *NeedAdminApprovalError when upn may not consent to what the app asks
// (the device keeps getting authorization_pending, as with Entra).
func (s *Server) ApproveDeviceCode(userCode, upn string) error {
	return s.decideDeviceCode(userCode, upn, true, false)
}

// DeclineDeviceCode does what a user would by pressing Cancel on /devicelogin:
// the polling device gets authorization_declined.
func (s *Server) DeclineDeviceCode(userCode string) error {
	return s.decideDeviceCode(userCode, "", false, false)
}

func (s *Server) decideDeviceCode(userCode, upn string, approve, consentOrg bool) error {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.pendingDevice(userCode, now)
	if err != nil {
		return err
	}
	if !approve {
		d.status = stsDeviceDeclined
		return nil
	}
	t, u := s.findSignInUser(d.pathTenant, upn)
	if u == nil {
		name := d.pathTenant.seg
		if d.pathTenant.t != nil {
			name = d.pathTenant.t.DisplayName
		}
		return fmt.Errorf("sandbox: %s", stsErrorText(errUserNotFound(upn, name)))
	}
	if !u.AccountEnabled {
		return fmt.Errorf("sandbox: %s", stsErrorText(errUserDisabled()))
	}
	c := s.findClient(t, d.clientID, now)
	if c == nil {
		return fmt.Errorf("sandbox: %s", stsErrorText(errAppNotFound(d.clientID, t.DisplayName)))
	}
	missing, needAdmin := stsConsentCheck(t, c, u, d.scopes)
	if needAdmin {
		return &NeedAdminApprovalError{App: c.name, UPN: u.UserPrincipalName, Scopes: missing}
	}
	if len(missing) > 0 {
		s.recordConsent(t, c, u, stsConsentValues(d.scopes, missing), consentOrg, now)
	}
	d.status, d.tenantID, d.userID = stsDeviceApproved, t.ID, u.ID
	return nil
}

// pendingDevice finds a device code the user may still act on. Callers hold s.mu.
func (s *Server) pendingDevice(userCode string, now time.Time) (*stsDevice, error) {
	dc, ok := s.sts.userCodes[strings.ToUpper(strings.TrimSpace(userCode))]
	if !ok {
		return nil, ErrUnknownUserCode
	}
	d := s.sts.devices[dc]
	switch {
	case now.After(d.expires):
		return nil, ErrDeviceCodeExpired
	case d.status != stsDevicePending:
		return nil, ErrDeviceCodeUsed
	}
	return d, nil
}

// ---------------------------------------------------------------------------
// The /devicelogin pages

type stsDeviceLoginPage struct {
	Error       string
	Code        string
	AppName     string
	Permissions []stsPermission
	Accounts    []stsAccount
	Done        string
}

var deviceLoginTemplate = template.Must(template.New("devicelogin").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Enter code</title>{{/* shared sandbox page style */}}<style>body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;color:#1b1b1b;margin:0;padding:40px 16px}body>*{max-width:560px;margin-left:auto;margin-right:auto}h1{font-size:24px;font-weight:600}h2{font-size:17px}fieldset{border:1px solid #ccc;background:#fff;padding:12px 16px}label{display:block;line-height:1.4;margin:8px 0}button,input[type=submit]{background:#0067b8;color:#fff;border:0;padding:8px 24px;margin:12px 8px 0 0;font-size:15px;cursor:pointer}button[value=cancel],button[value=decline]{background:#ccc;color:#1b1b1b}.error{color:#a80000}</style></head>
<body>
{{if .Done}}<h1 id="done">{{.Done}}</h1>
{{else if .AppName}}<h1>Pick an account</h1>
{{if .Error}}<div id="error" role="alert"><p id="error-text">{{.Error}}</p></div>{{end}}
<h2 id="app">{{.AppName}}</h2>
<p>Are you trying to sign in to {{.AppName}}? Only continue if you downloaded the app from a store or website that you trust.</p>
<p>This app would like to:</p>
<ul id="permissions">{{range .Permissions}}
<li data-scope="{{.Value}}">{{.DisplayName}}{{if .Admin}} <em>(Admin consent required)</em>{{end}}</li>{{end}}
</ul>
<form id="devicelogin-account" method="post" action="/devicelogin">
<input type="hidden" name="otc" value="{{.Code}}">
<fieldset><legend>Accounts</legend>{{range .Accounts}}
<label><input type="radio" name="login" value="{{.UPN}}"> {{.DisplayName}} &lt;{{.UPN}}&gt; &mdash; {{.Roles}}</label><br>{{end}}
<label>Use another account: <input type="email" name="login_other"></label>
</fieldset>
<p><label><input type="checkbox" name="consent_org" value="1"> Consent on behalf of your organization (administrators)</label></p>
<button type="submit" name="decision" value="approve">Continue</button>
<button type="submit" name="decision" value="decline">Cancel</button>
</form>
{{else}}<h1>Enter code</h1>
{{if .Error}}<div id="error" role="alert"><p id="error-text">{{.Error}}</p></div>{{end}}
<p>Enter the code displayed on your app or device.</p>
<form id="devicelogin" method="post" action="/devicelogin">
<input type="text" name="otc" placeholder="Code" value="{{.Code}}" autocomplete="off">
<button type="submit">Next</button>
</form>
{{end}}
</body></html>
`))

func (s *Server) stsDeviceLoginGet(w http.ResponseWriter, r *http.Request) {
	stsRender(w, http.StatusOK, deviceLoginTemplate, stsDeviceLoginPage{Code: r.URL.Query().Get("otc")})
}

func (s *Server) stsDeviceLoginPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		stsRender(w, http.StatusBadRequest, deviceLoginTemplate, stsDeviceLoginPage{Error: err.Error()})
		return
	}
	code := strings.ToUpper(strings.TrimSpace(r.PostForm.Get("otc")))
	decision := r.PostForm.Get("decision")
	login := strings.TrimSpace(r.PostForm.Get("login"))
	if login == "" {
		login = strings.TrimSpace(r.PostForm.Get("login_other"))
	}
	switch {
	case decision == "decline":
		if err := s.DeclineDeviceCode(code); err != nil {
			s.renderDeviceCodeEntry(w, code, err)
			return
		}
		stsRender(w, http.StatusOK, deviceLoginTemplate, stsDeviceLoginPage{Done: "You have declined to sign in to the application on your device. You may now close this window."})
		return
	case decision == "approve" && login != "":
		err := s.decideDeviceCode(code, login, true, r.PostForm.Get("consent_org") != "")
		var need *NeedAdminApprovalError
		switch {
		case errors.As(err, &need):
			stsRender(w, http.StatusOK, adminApprovalDeviceTemplate, need)
			return
		case errors.Is(err, ErrUnknownUserCode), errors.Is(err, ErrDeviceCodeExpired), errors.Is(err, ErrDeviceCodeUsed):
			s.renderDeviceCodeEntry(w, code, err)
			return
		case err != nil:
			s.renderDeviceAccounts(w, code, strings.TrimPrefix(err.Error(), "sandbox: "))
			return
		}
		s.mu.Lock()
		name := s.sts.devices[s.sts.userCodes[code]].clientName
		s.mu.Unlock()
		stsRender(w, http.StatusOK, deviceLoginTemplate, stsDeviceLoginPage{Done: "You have signed in to the " + name + " application on your device. You may now close this window."})
		return
	}
	s.renderDeviceAccounts(w, code, "")
}

// renderDeviceCodeEntry shows the code page again with what went wrong.
func (s *Server) renderDeviceCodeEntry(w http.ResponseWriter, code string, err error) {
	msg := "That code didn't work. Check the code and try again."
	if errors.Is(err, ErrDeviceCodeExpired) {
		msg = "The code you entered has expired. Get a new code from the device you're trying to sign in to and try again."
	}
	stsRender(w, http.StatusOK, deviceLoginTemplate, stsDeviceLoginPage{Error: msg, Code: code})
}

// renderDeviceAccounts shows the app, its permissions and the accounts.
func (s *Server) renderDeviceAccounts(w http.ResponseWriter, code, errText string) {
	s.mu.Lock()
	d, err := s.pendingDevice(code, time.Now())
	if err != nil {
		s.mu.Unlock()
		s.renderDeviceCodeEntry(w, code, err)
		return
	}
	tenants := s.order
	if d.pathTenant.t != nil {
		tenants = []*Tenant{d.pathTenant.t}
	}
	fake := &stsAuthzRequest{ref: d.pathTenant, client: &stsClient{appID: d.clientID, name: d.clientName}, scopes: d.scopes}
	if c := s.findClient(tenants[0], d.clientID, time.Now()); c != nil {
		fake.client = c
	}
	page := s.signInPageData("/devicelogin", fake, nil)
	s.mu.Unlock()
	stsRender(w, http.StatusOK, deviceLoginTemplate, stsDeviceLoginPage{Code: d.userCode, AppName: page.AppName,
		Permissions: page.Permissions, Accounts: page.Accounts, Error: errText})
}

var adminApprovalDeviceTemplate = template.Must(template.New("approvaldevice").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Need admin approval</title>{{/* shared sandbox page style */}}<style>body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;color:#1b1b1b;margin:0;padding:40px 16px}body>*{max-width:560px;margin-left:auto;margin-right:auto}h1{font-size:24px;font-weight:600}h2{font-size:17px}fieldset{border:1px solid #ccc;background:#fff;padding:12px 16px}label{display:block;line-height:1.4;margin:8px 0}button,input[type=submit]{background:#0067b8;color:#fff;border:0;padding:8px 24px;margin:12px 8px 0 0;font-size:15px;cursor:pointer}button[value=cancel],button[value=decline]{background:#ccc;color:#1b1b1b}.error{color:#a80000}</style></head>
<body>
<p id="user">{{.UPN}}</p>
<h1>Need admin approval</h1>
<h2 id="app">{{.App}}</h2>
<p id="error-text">{{.App}} needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>
<p>Have an admin account? Sign in with that account</p>
</body></html>
`))
