package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"m365wizard/graphops"
	"m365wizard/graphops/sandbox"
	"m365wizard/wizard/store"
)

// runAs is world.run signing in as upn.
func (w *world) runAs(upn, stdin string, args ...string) result {
	w.t.Helper()
	var out, errOut bytes.Buffer
	io := IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return w.env[k] },
		OpenURL: func(u string) error { return w.s.CompleteSignIn(context.Background(), u, upn) }}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := Commands[args[0]](ctx, args[1:], io)
	return result{code, out.String(), errOut.String()}
}

// The JSON every profile's setup prints: the same keys for all of them.
type profileSetup struct {
	OK                 bool   `json:"ok"`
	Profile            string `json:"profile"`
	TenantID           string `json:"tenantId"`
	ClientID           string `json:"clientId"`
	AppName            string `json:"appName"`
	ServicePrincipalID string `json:"servicePrincipalId"`
	Permissions        []struct {
		Name    string `json:"name"`
		Granted bool   `json:"granted"`
	} `json:"permissions"`
	Credential struct {
		Type       string     `json:"type"`
		Hint       string     `json:"hint"`
		Thumbprint string     `json:"thumbprint"`
		VendorHeld bool       `json:"vendorHeld"`
		Expires    *time.Time `json:"expires"`
	} `json:"credential"`
	Domains *struct {
		Filter      []string `json:"filter"`
		Users       *int     `json:"users"`
		WithoutMail *int     `json:"withoutMail"`
		PerDomain   []struct {
			Domain   string `json:"domain"`
			Users    int    `json:"users"`
			Verified bool   `json:"verified"`
		} `json:"perDomain"`
	} `json:"domains"`
	Test struct {
		OK     bool `json:"ok"`
		Checks []struct {
			Name    string `json:"name"`
			OK      bool   `json:"ok"`
			Message string `json:"message"`
		} `json:"checks"`
	} `json:"test"`
	Stored bool `json:"stored"`
	Error  *struct{ Code, Message string }
}

// writeVendorCert writes a certificate as a vendor hands it out (PEM, public
// part only) and returns its path and thumbprint.
func writeVendorCert(t *testing.T, dir string, withKey bool) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Passly SSO signing"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if withKey {
		kd, _ := x509.MarshalPKCS8PrivateKey(key)
		data = append(data, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd})...)
	}
	path := filepath.Join(dir, "passly.cer")
	if withKey {
		path = filepath.Join(dir, "passly-with-key.pem")
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, graphops.Thumbprint(der)
}

func keysOf(v any) []string {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Each profile from the command line, end to end against the sandbox: setup
// (its permissions granted, its credential, its probes green), then test and
// status on what was stored.
func TestEveryProfileFromTheCommandLine(t *testing.T) {
	certDir := t.TempDir()
	certPath, thumb := writeVendorCert(t, certDir, false)
	cases := []struct {
		name  string
		args  []string
		key   string
		perms []string
		check func(t *testing.T, w *world, s profileSetup)
	}{
		{"helpmaster", []string{"--profile", "helpmaster", "--mailbox", "helpdesk@contoso.com"}, "helpmaster",
			[]string{"User.Read.All", "Mail.Send"}, nil},
		{"quickhelp", []string{"--profile", "quickhelp", "--features", "users,reports", "--domains", "contoso.com"}, "quickhelp",
			[]string{"User.Read.All", "Reports.Read.All"}, func(t *testing.T, w *world, s profileSetup) {
				if s.Domains == nil || s.Domains.Users == nil || *s.Domains.Users == 0 || len(s.Domains.PerDomain) != 1 || !s.Domains.PerDomain[0].Verified {
					t.Errorf("domains %+v", s.Domains)
				}
				if !hasCheck(s, "Read usage reports (Reports.Read.All)", "active user report") {
					t.Errorf("no usage report probe: %+v", s.Test.Checks)
				}
			}},
		{"qualityclouds", []string{"--profile", "qualityclouds"}, "quality-clouds",
			[]string{"AuditLog.Read.All", "Directory.Read.All", "Files.Read.All", "Group.Read.All", "Reports.Read.All", "Sites.Read.All", "User.Read.All"},
			func(t *testing.T, w *world, s profileSetup) {
				if !hasCheck(s, "Read files (Files.Read.All)", "document library") || !hasCheck(s, "Read SharePoint sites (Sites.Read.All)", "root SharePoint site") {
					t.Errorf("files/sites probes: %+v", s.Test.Checks)
				}
			}},
		{"saas-connector", []string{"--profile", "saas-connector", "--domains", "*,contoso.com"}, "saas-connector",
			[]string{"Directory.Read.All", "Organization.Read.All", "User.Read.All", "Reports.Read.All"}, func(t *testing.T, w *world, s profileSetup) {
				if s.Domains == nil || len(s.Domains.Filter) != 1 || s.Domains.Filter[0] != "*" || s.Domains.WithoutMail == nil || *s.Domains.WithoutMail == 0 {
					t.Errorf("domains: * must win and count users without mail: %+v", s.Domains)
				}
				var app *sandbox.Application
				w.s.Tenant("", func(tn *sandbox.Tenant) { app = tn.AppByAppID(s.ClientID) })
				var scopes []string
				for _, r := range app.RequiredResourceAccess {
					for _, a := range r.ResourceAccess {
						if a.Type == "Scope" {
							scopes = append(scopes, a.ID)
						}
					}
				}
				if len(app.WebRedirectURIs) != 1 || app.WebRedirectURIs[0] != "http://localhost" ||
					len(scopes) != 1 || scopes[0] != "7427e0e9-2fba-42fe-b0c0-848c9e6a8182" {
					t.Errorf("app registration: redirect %v, delegated %v (want http://localhost and offline_access only)", app.WebRedirectURIs, scopes)
				}
			}},
		{"passly", []string{"--profile", "passly", "--credential", "certificate", "--certificate-file", certPath}, "passly",
			[]string{"Group.Create", "Group.Read.All", "Group.ReadWrite.All", "Domain.Read.All", "User.ReadWrite.All"},
			func(t *testing.T, w *world, s profileSetup) {
				if s.Credential.Type != "certificate" || s.Credential.Thumbprint != thumb || !s.Credential.VendorHeld || s.Credential.Hint != "" {
					t.Errorf("credential %+v", s.Credential)
				}
				var app *sandbox.Application
				w.s.Tenant("", func(tn *sandbox.Tenant) { app = tn.AppByAppID(s.ClientID) })
				if len(app.PasswordCredentials) != 0 || len(app.KeyCredentials) != 1 {
					t.Errorf("Passly's app has %d secrets and %d certificates", len(app.PasswordCredentials), len(app.KeyCredentials))
				}
				kc, _ := store.New(w.env["M365WIZARD_KEYRING_SERVICE"])
				if _, err := kc.Load(context.Background(), s.TenantID, s.ClientID); err == nil {
					t.Error("the keychain holds something for Passly")
				}
				if !hasCheck(s, graphops.CheckCertificate, thumb) || !hasCheck(s, graphops.CheckSignInAsApp, "Press Verify in Passly") {
					t.Errorf("admin-side checks: %+v", s.Test.Checks)
				}
			}},
		{"custom", []string{"--profile", "custom", "--permissions", "user.read.all,Group.Read.All,Group.Create", "--app-name", "Helpdesk directory reader"}, "custom",
			[]string{"User.Read.All", "Group.Read.All", "Group.Create"}, func(t *testing.T, w *world, s profileSetup) {
				if s.AppName != "Helpdesk directory reader" || !hasCheck(s, "Granted: Group.Create", "creates a group") {
					t.Errorf("custom: %s %+v", s.AppName, s.Test.Checks)
				}
			}},
	}
	var fields []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.run("", append([]string{"setup", "--yes", "--json"}, c.args...)...)
			if r.code != ExitOK {
				t.Fatalf("setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			var raw map[string]any
			_ = json.Unmarshal([]byte(r.stdout), &raw)
			if fields == nil {
				fields = keysOf(raw)
			} else if got := keysOf(raw); strings.Join(got, ",") != strings.Join(fields, ",") {
				t.Errorf("JSON fields %v, another profile gave %v", got, fields)
			}
			s := decode[profileSetup](t, r)
			if !s.OK || !s.Stored || s.Profile != c.key || !s.Test.OK || s.Error != nil || s.Credential.Expires == nil {
				t.Fatalf("setup JSON: %+v", s)
			}
			granted := map[string]bool{}
			for _, p := range s.Permissions {
				granted[p.Name] = p.Granted
			}
			for _, p := range c.perms {
				if !granted[p] {
					t.Errorf("%s not granted: %+v", p, s.Permissions)
				}
			}
			for _, ch := range s.Test.Checks {
				if !ch.OK {
					t.Errorf("check %+v", ch)
				}
			}
			if c.check != nil {
				c.check(t, w, s)
			}

			// Test Settings on what was stored (Passly signs the admin in).
			r = w.run("", "test", "--json")
			tr := decode[testOut](t, r)
			if r.code != ExitOK || !tr.OK || tr.Profile != c.key || len(tr.Checks) == 0 {
				t.Fatalf("test: exit %d %+v\n%s", r.code, tr, r.stderr)
			}
			if c.key != "helpmaster" && strings.Contains(r.stderr, graphops.SuccessText) {
				t.Errorf("HelpMaster's success text for %s:\n%s", c.key, r.stderr)
			}
			r = w.run("", "status", "--json")
			var st statusOut
			if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != ExitOK || st.Profile != c.key || st.Cred == nil ||
				st.Cred.Type != s.Credential.Type || st.Cred.Thumbprint != s.Credential.Thumbprint || st.Cred.DaysLeft == nil {
				t.Errorf("status: exit %d %s %+v", r.code, r.stdout, st.Cred)
			}
			if c.key == "passly" {
				if !st.Cred.VendorHeld {
					t.Error("status does not say Passly keeps the key")
				}
				r = w.run("", "status")
				if !strings.Contains(r.stdout, graphops.GroupedThumbprint(thumb)) {
					t.Errorf("status does not show the thumbprint to compare:\n%s", r.stdout)
				}
				if r := w.run("", "rotate-secret"); r.code != ExitUsage || !strings.Contains(r.stderr, "--certificate-file") {
					t.Errorf("rotate-secret on Passly: %d %s", r.code, r.stderr)
				}
			}
		})
	}
}

func hasCheck(s profileSetup, name, says string) bool {
	for _, c := range s.Test.Checks {
		if c.Name == name && c.OK && strings.Contains(c.Message, says) {
			return true
		}
	}
	return false
}

// A profile file of the admin's own: it runs end to end, and what was stored
// remembers it, so a later test uses it again.
func TestProfileFileFromTheCommandLine(t *testing.T) {
	w := newWorld(t)
	path := filepath.Join(t.TempDir(), "directory-sync.json")
	if err := os.WriteFile(path, []byte(ownProfile), 0o600); err != nil {
		t.Fatal(err)
	}
	r := w.run("", "setup", "--yes", "--json", "--profile-file", path, "--features", "users,groups")
	if r.code != ExitOK {
		t.Fatalf("setup: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	s := decode[profileSetup](t, r)
	if !s.OK || s.Profile != "directory-sync" || s.AppName != "Directory sync" || len(s.Permissions) != 2 || !s.Test.OK {
		t.Fatalf("%+v", s)
	}
	if !strings.Contains(r.stderr, "Test Settings passed. Directory sync will show: Connected") {
		t.Errorf("success text:\n%s", r.stderr)
	}
	r = w.run("", "test", "--json")
	if tr := decode[testOut](t, r); r.code != ExitOK || !tr.OK || tr.Profile != "directory-sync" || len(tr.Checks) != 5 {
		t.Fatalf("test: %d %+v\n%s", r.code, tr, r.stderr)
	}
}

const ownProfile = `{
  "format": 1,
  "key": "directory-sync",
  "product": "Directory sync",
  "guide": {"title": "Our internal runbook", "reference": "IT wiki, page 12"},
  "app": {"defaultName": "Directory sync"},
  "features": [
    {"key": "users", "label": "Users", "required": true, "reason": "Reads the users.", "applicationPermissions": ["User.Read.All"]},
    {"key": "groups", "label": "Groups", "reason": "Reads the groups.", "applicationPermissions": ["Group.Read.All"]}
  ],
  "defaults": {"features": ["users"]},
  "credential": {"allowed": ["secret"]},
  "probes": [{"permission": "User.Read.All", "kind": "users"}, {"permission": "Group.Read.All", "kind": "groups"}],
  "test": {"successText": "Connected"}
}`

// A bad profile file, and flags a profile does not take, exit 2 with a
// message that says what to fix, and send nothing.
func TestBadProfileInputExitsTwo(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	syntax := file("syntax.json", "{\n  \"format\": 1,\n  \"key\": \"mine\",\n}\n")
	unknown := file("unknown.json", strings.Replace(ownProfile, `"reason": "Reads the groups."`, `"reason": "Reads the groups.", "permission": "x"`, 1))
	semantic := file("semantic.json", strings.Replace(ownProfile, `"kind": "groups"`, `"kind": "mailbox"`, 1))
	notUTF8 := file("latin1.json", "{\"product\": \"Caf\xe9\"}")
	empty := file("empty.json", "")
	cert, _ := writeVendorCert(t, dir, false)
	certWithKey, _ := writeVendorCert(t, dir, true)
	cases := []struct {
		args []string
		says string
	}{
		{[]string{"--profile-file", syntax}, "syntax.json:4:1: JSON syntax error"},
		{[]string{"--profile-file", syntax}, "a comma before a closing bracket is not allowed in JSON"},
		{[]string{"--profile-file", unknown}, `unknown field "permission"; the fields here are key, label`},
		{[]string{"--profile-file", semantic}, `probes[1].kind: "mailbox" is not a probe the wizard knows`},
		{[]string{"--profile-file", notUTF8}, "the file is not UTF-8 text"},
		{[]string{"--profile-file", empty}, "the file is empty"},
		{[]string{"--profile-file", filepath.Join(dir, "missing.json")}, "cannot open the profile file"},
		{[]string{"--profile", "helpmaster", "--profile-file", semantic}, "give one of them"},
		{[]string{"--profile", "nosuch"}, "the profiles are helpmaster"},
		{[]string{"--profile", "helpmaster", "--permissions", "Group.Read.All"}, "--permissions is for --profile custom"},
		{[]string{"--profile", "custom"}, "--profile custom needs --permissions"},
		{[]string{"--profile", "custom", "--permissions", "Group Read All"}, "not shaped like a Microsoft Graph application permission"},
		{[]string{"--profile", "helpmaster", "--domains", "contoso.com"}, "HelpMaster has no domain filter"},
		{[]string{"--profile", "saas-connector", "--domains", "contoso"}, `"contoso" is not a domain name`},
		{[]string{"--profile", "quickhelp", "--features", "sync-users"}, "QuickHelp has no feature"},
		{[]string{"--profile", "passly"}, "--certificate-file PATH is required"},
		{[]string{"--profile", "passly", "--credential", "secret"}, "Passly takes no client secret"},
		{[]string{"--profile", "passly", "--certificate-file", certWithKey}, "holds a private key"},
		{[]string{"--profile", "passly", "--certificate-file", syntax}, "not a certificate"},
		{[]string{"--profile", "helpmaster", "--certificate-file", cert}, "HelpMaster takes no certificate file"},
		{[]string{"--profile", "quality-clouds", "--credential", "certificate"}, "Quality Clouds takes a client secret"},
		{[]string{"--profile", "saas-connector", "--scoping", "rbac", "--mailbox", "helpdesk@contoso.com"}, "does not scope mailbox access"},
	}
	for _, c := range cases {
		before := len(w.s.Log().Entries())
		r := w.run("", append([]string{"setup", "--yes", "--json"}, c.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.says) {
			t.Errorf("%v: exit %d, stderr %q; want 2 saying %q", c.args, r.code, r.stderr, c.says)
		}
		if e := decode[setupResult](t, r); e.OK || e.Error == nil || e.Error.Code != "BadInput" {
			t.Errorf("%v: JSON %+v", c.args, e)
		}
		if n := len(w.s.Log().Entries()) - before; n != 0 {
			t.Errorf("%v sent %d requests", c.args, n)
		}
	}

	// A permission the tenant's Microsoft Graph does not publish: found after
	// sign-in, before anything changes.
	r := w.run("", "setup", "--yes", "--profile", "custom", "--permissions", "User.Read.All,Teleport.Read.All")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `no application permission named "Teleport.Read.All"`) {
		t.Errorf("unknown permission: %d %s", r.code, r.stderr)
	}
	var apps int
	w.s.Tenant("", func(tn *sandbox.Tenant) { apps = len(tn.Apps) })
	if apps != 0 {
		t.Errorf("%d apps registered after refused input", apps)
	}
}

// The SaaS connector's guide: registering apps needs one of Global
// administrator, Application administrator, Cloud application administrator
// (or Application developer), and consent needs a Global administrator. The
// wizard finds out at sign-in, before anything changes.
func TestRolesCheckedUpFront(t *testing.T) {
	w := newWorld(t)
	// A user without a role cannot even consent to what the wizard's sign-in
	// asks for (Application.ReadWrite.All): Entra refuses, and says who can.
	r := w.runAs("user@contoso.com", "", "setup", "--yes", "--json", "--profile", "saas-connector")
	s := decode[setupResult](t, r)
	if r.code != ExitFail || s.OK || s.Error == nil || !strings.Contains(s.Error.Message, "Application Administrator") ||
		!strings.Contains(s.Error.Message, "Global Administrator") {
		t.Fatalf("plain user: %d %+v\n%s", r.code, s.Error, r.stderr)
	}
	var apps int
	w.s.Tenant("", func(tn *sandbox.Tenant) { apps = len(tn.Apps) })
	if apps != 0 {
		t.Errorf("an app was registered for a user who may not")
	}
	// An Application Administrator may register but not consent: told up front.
	r = w.runAs("appadmin@contoso.com", "n\n", "setup", "--profile", "saas-connector")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "cannot grant admin consent") {
		t.Errorf("application administrator: %d\n%s", r.code, r.stderr)
	}
}
