package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/zalando/go-keyring"

	"m365wizard/graphops"
	"m365wizard/graphops/exchange"
	"m365wizard/graphops/sandbox"
	"m365wizard/wizard/store"
)

// world is a sandbox tenant and the environment that points the commands at
// it: endpoints, its CA file (M365WIZARD_CA_FILE), a config folder and a
// keychain service of the test's own.
type world struct {
	t   *testing.T
	s   *sandbox.Server
	env map[string]string
	// everything the commands printed, to look for secrets in
	mu  sync.Mutex
	all bytes.Buffer
}

func newWorld(t *testing.T) *world {
	t.Helper()
	keyring.MockInit()
	s, err := sandbox.Start(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "sandbox-ca.pem")
	if err := s.WriteCAFile(ca); err != nil {
		t.Fatal(err)
	}
	return &world{t: t, s: s, env: map[string]string{
		graphops.EnvLoginURL: s.LoginURL(), graphops.EnvGraphURL: s.GraphURL(), graphops.EnvCAFile: ca,
		"M365WIZARD_CONFIG_DIR": filepath.Join(dir, "config"), "M365WIZARD_KEYRING_SERVICE": "m365wizard-cli-test-" + uuid.NewString(),
	}}
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs one command; the browser sign-in completes as admin@contoso.com.
func (w *world) run(stdin string, args ...string) result {
	w.t.Helper()
	return w.runUntil("", stdin, args...)
}

// runUntil is run, interrupted (as by Ctrl+C) once stderr shows interruptAt
// (never when empty).
func (w *world) runUntil(interruptAt, stdin string, args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	errW := io.Writer(&errOut)
	if strings.Contains(strings.Join(args, " "), "device-code") {
		errW = &deviceApprover{w: &errOut, s: w.s}
	}
	if interruptAt != "" {
		errW = &interrupter{w: errW, at: interruptAt, cancel: cancel}
	}
	io := IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: errW, Getenv: func(k string) string { return w.env[k] },
		OpenURL: func(u string) error { return w.s.CompleteSignIn(context.Background(), u, "admin@contoso.com") }}
	code := Commands[args[0]](ctx, args[1:], io)
	w.mu.Lock()
	w.all.WriteString(out.String() + errOut.String())
	w.mu.Unlock()
	return result{code, out.String(), errOut.String()}
}

// interrupter cancels the command's context when it sees a text on stderr.
type interrupter struct {
	w      io.Writer
	at     string
	cancel context.CancelFunc
}

func (i *interrupter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(i.at)) {
		i.cancel()
	}
	return i.w.Write(p)
}

// deviceApprover approves the device code it sees on stderr, as the admin
// would on the sign-in page.
type deviceApprover struct {
	w    io.Writer
	s    *sandbox.Server
	once sync.Once
}

var codeRE = regexp.MustCompile(`enter the code (\S+) to authenticate`)

func (d *deviceApprover) Write(p []byte) (int, error) {
	if m := codeRE.FindSubmatch(p); m != nil {
		d.once.Do(func() { go d.s.ApproveDeviceCode(string(m[1]), "admin@contoso.com") })
	}
	return d.w.Write(p)
}

func decode[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value on stdout:\n%s", r.stdout)
	}
	return v
}

type setupResult struct {
	OK                 bool   `json:"ok"`
	TenantID           string `json:"tenantId"`
	ClientID           string `json:"clientId"`
	AppObjectID        string `json:"appObjectId"`
	ServicePrincipalID string `json:"servicePrincipalId"`
	AppName            string `json:"appName"`
	Permissions        []struct {
		Name    string `json:"name"`
		Granted bool   `json:"granted"`
	} `json:"permissions"`
	Credential struct {
		Type, KeyID, Hint, Thumbprint string
		Expires                       time.Time
		DaysLeft                      *int
	} `json:"credential"`
	Test struct {
		OK     bool `json:"ok"`
		Checks []struct {
			Name    string `json:"name"`
			OK      bool   `json:"ok"`
			Message string `json:"message"`
		} `json:"checks"`
	} `json:"test"`
	Stored        bool     `json:"stored"`
	RemovedKeyIDs []string `json:"removedKeyIds"`
	Checks        []struct {
		Name string `json:"name"`
		OK   bool   `json:"ok"`
	} `json:"checks"`
	Error *struct{ Code, Message string } `json:"error"`
}

// The whole life of an app from the command line: setup, test, status,
// rotate-secret (removing the old secret), test again, forget.
func TestCommandLineLifecycle(t *testing.T) {
	w := newWorld(t)
	r := w.run("", "setup", "--yes", "--json", "--sign-in", "device-code", "--mailbox", "helpdesk@contoso.com", "--secret-months", "6")
	if r.code != ExitOK {
		t.Fatalf("setup exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("setup said:\n%s\n%s", r.stderr, r.stdout)
	if !strings.Contains(r.stderr, "To sign in, use a web browser to open the page") {
		t.Errorf("device code line not on stderr:\n%s", r.stderr)
	}
	s := decode[setupResult](t, r)
	if !s.OK || !s.Stored || s.TenantID != w.s.TenantID() || s.AppName != "HelpMaster" || !s.Test.OK || len(s.Test.Checks) == 0 ||
		s.Credential.Type != "secret" || s.Credential.KeyID == "" || len(s.Credential.Hint) != 3 || s.Error != nil {
		t.Fatalf("setup JSON: %+v", s)
	}
	if d := time.Until(s.Credential.Expires); d < 179*24*time.Hour || d > 181*24*time.Hour {
		t.Errorf("6-month secret expires in %v", d)
	}
	granted := map[string]bool{}
	for _, p := range s.Permissions {
		granted[p.Name] = p.Granted
	}
	if !granted["User.Read.All"] || !granted["Mail.Send"] {
		t.Errorf("permissions: %+v", s.Permissions)
	}
	// The tenant has it: app, service principal, and exactly the one secret.
	var app *sandbox.Application
	w.s.Tenant("", func(tn *sandbox.Tenant) { app = tn.AppByAppID(s.ClientID) })
	if app == nil || app.ID != s.AppObjectID || len(app.PasswordCredentials) != 1 || app.PasswordCredentials[0].KeyID != s.Credential.KeyID {
		t.Fatalf("sandbox app: %+v", app)
	}
	kc, _ := store.New(w.env["M365WIZARD_KEYRING_SERVICE"])
	first, err := kc.Load(context.Background(), s.TenantID, s.ClientID)
	if err != nil || first.Secret == "" {
		t.Fatalf("keychain: %v", err)
	}

	r = w.run("", "test", "--json")
	if tr := decode[setupResult](t, r); r.code != ExitOK || !tr.OK || len(tr.Checks) == 0 {
		t.Fatalf("test: exit %d %+v\n%s", r.code, tr, r.stderr)
	}

	r = w.run("", "status", "--json")
	st := decode[struct {
		Stored                      bool
		TenantID, ClientID, AppName string
		Cloud                       string
		Credential                  struct {
			Type, KeyID, Hint string
			Expires           time.Time
			DaysLeft          *int
		}
	}](t, r)
	if r.code != ExitOK || !st.Stored || st.ClientID != s.ClientID || st.Cloud != "global" || st.AppName != "HelpMaster" ||
		st.Credential.KeyID != s.Credential.KeyID || st.Credential.DaysLeft == nil || *st.Credential.DaysLeft < 179 || *st.Credential.DaysLeft > 183 {
		t.Fatalf("status: exit %d %+v", r.code, st)
	}

	r = w.run("", "rotate-secret", "--json", "--remove-old", "--secret-months", "12")
	rot := decode[setupResult](t, r)
	if r.code != ExitOK || !rot.OK || rot.Credential.KeyID == "" || rot.Credential.KeyID == s.Credential.KeyID || !rot.Test.OK ||
		len(rot.RemovedKeyIDs) != 1 || rot.RemovedKeyIDs[0] != s.Credential.KeyID {
		t.Fatalf("rotate: exit %d %+v\n%s", r.code, rot, r.stderr)
	}
	w.s.Tenant("", func(tn *sandbox.Tenant) { app = tn.AppByAppID(s.ClientID) })
	if len(app.PasswordCredentials) != 1 || app.PasswordCredentials[0].KeyID != rot.Credential.KeyID {
		t.Fatalf("after rotation the app has %+v", app.PasswordCredentials)
	}
	second, _ := kc.Load(context.Background(), s.TenantID, s.ClientID)
	if second.Secret == first.Secret || second.KeyID != rot.Credential.KeyID {
		t.Fatal("the keychain does not hold the new secret")
	}
	if r := w.run("", "test"); r.code != ExitOK || !strings.Contains(r.stderr, graphops.SuccessText) {
		t.Fatalf("test after rotation: %d\n%s", r.code, r.stderr)
	}

	r = w.run("", "forget", "--json")
	if f := decode[map[string]any](t, r); r.code != ExitOK || f["ok"] != true || f["clientId"] != s.ClientID {
		t.Fatalf("forget: %d %v", r.code, f)
	}
	if _, err := kc.Load(context.Background(), s.TenantID, s.ClientID); err == nil {
		t.Fatal("forget left the secret in the keychain")
	}
	r = w.run("", "status", "--json")
	if st := decode[map[string]any](t, r); r.code != ExitFail || st["stored"] != false {
		t.Fatalf("status after forget: %d %v", r.code, st)
	}

	for _, secret := range []string{first.Secret, second.Secret} {
		if strings.Contains(w.all.String(), secret) {
			t.Fatal("a secret value was printed")
		}
	}
}

// rotate-secret interrupted after it made the new secret (Ctrl+C) keeps the
// old secret in the keychain; run again, it carries on and removes the secret
// whose value was lost, and keeps the old one since --remove-old was not given.
func TestInterruptedRotationCarriesOn(t *testing.T) {
	w := newWorld(t)
	r := w.run("", "setup", "--yes", "--json")
	s := decode[setupResult](t, r)
	if r.code != ExitOK || !s.OK {
		t.Fatalf("setup: %d\n%s", r.code, r.stderr)
	}
	r = w.runUntil("Its value goes to the keychain only", "", "rotate-secret", "--json")
	cut := decode[setupResult](t, r)
	if r.code != ExitFail || cut.OK || cut.Error == nil || cut.Credential.KeyID == "" || cut.Credential.KeyID == s.Credential.KeyID {
		t.Fatalf("interrupted rotation: exit %d %+v\n%s", r.code, cut, r.stderr)
	}
	lost := cut.Credential.KeyID
	if !strings.Contains(r.stderr, "removes the unstored secret (ID "+lost+")") {
		t.Errorf("the interrupted run does not say what happens to its secret:\n%s", r.stderr)
	}
	if st := decode[setupResult](t, w.run("", "status", "--json")); st.Credential.KeyID != s.Credential.KeyID {
		t.Fatalf("after the interruption the keychain holds %s, not the old %s", st.Credential.KeyID, s.Credential.KeyID)
	}

	r = w.run("", "rotate-secret", "--json")
	rot := decode[setupResult](t, r)
	if r.code != ExitOK || !rot.OK || !strings.Contains(r.stderr, "Carrying on with the replacement") || !strings.Contains(r.stderr, "never stored ("+lost+")") {
		t.Fatalf("second rotation: exit %d %+v\n%s", r.code, rot, r.stderr)
	}
	if len(rot.RemovedKeyIDs) != 1 || rot.RemovedKeyIDs[0] != lost {
		t.Fatalf("removed %v, want only the lost secret %s", rot.RemovedKeyIDs, lost)
	}
	var keys []string
	w.s.Tenant("", func(tn *sandbox.Tenant) {
		for _, p := range tn.AppByAppID(s.ClientID).PasswordCredentials {
			keys = append(keys, p.KeyID)
		}
	})
	if len(keys) != 2 || !slices.Contains(keys, s.Credential.KeyID) || !slices.Contains(keys, rot.Credential.KeyID) {
		t.Fatalf("secrets on the app: %v; want the old %s and the new %s", keys, s.Credential.KeyID, rot.Credential.KeyID)
	}
	if st := decode[setupResult](t, w.run("", "status", "--json")); st.Credential.KeyID != rot.Credential.KeyID {
		t.Fatalf("status after the second rotation: key %s, want %s", st.Credential.KeyID, rot.Credential.KeyID)
	}
	// Done: a third rotation starts afresh.
	if r := w.run("", "rotate-secret"); r.code != ExitOK || strings.Contains(r.stderr, "Carrying on") {
		t.Fatalf("third rotation: %d\n%s", r.code, r.stderr)
	}
}

// Bad input exits with 2 and sends nothing to Microsoft.
func TestBadInputExitsTwoAndSendsNothing(t *testing.T) {
	w := newWorld(t)
	cases := []struct {
		stdin string
		args  []string
		says  string
	}{
		{"", []string{"setup", "--cloud", "mars"}, `"mars" is not a cloud`},
		{"", []string{"setup", "--tenant", "not a tenant!"}, "--tenant"},
		{"", []string{"setup", "--secret-months", "7"}, "6, 12, 18 or 24"},
		{"", []string{"setup", "--features", "users,teleport"}, "--features"},
		{"", []string{"setup", "--mailbox", "not-an-address"}, "--mailbox"},
		{"", []string{"setup", "--scoping", "rbac"}, "--mailbox"},
		{"", []string{"setup", "--profile", "nosuch"}, "--profile"},
		{"", []string{"setup", "--credential", "password"}, "secret or certificate"},
		{"", []string{"setup", "--sign-in", "telepathy"}, "browser or device-code"},
		{"", []string{"setup", "extra"}, "unexpected argument"},
		{"", []string{"test", "--secret-stdin"}, "--client-id and --tenant"},
		{"0b4b4e4e-1c5a-4f3e-9a7d-2f6e8b9c1d2e\n", []string{"test", "--secret-stdin", "--client-id", "11111111-2222-3333-4444-555555555555", "--tenant", "contoso.com"}, "Secret ID"},
		{"", []string{"rotate-secret", "--secret-stdin", "--remove-old"}, "--remove-old"},
		{"", []string{"forget", "--client-id", "xyz"}, "--client-id"},
		{"n\n", []string{"setup", "--sign-in", "device-code"}, "Not confirmed"},
	}
	for _, c := range cases {
		before := len(w.s.Log().Entries())
		r := w.run(c.stdin, c.args...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", c.args, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, c.says) {
			t.Errorf("%v: stderr %q does not mention %q", c.args, r.stderr, c.says)
		}
		// Only the last case signs in (to show what it would do); none changes anything.
		for _, e := range w.s.Log().Entries()[before:] {
			if e.Method != "GET" && e.Host == sandbox.HostGraph && !strings.Contains(e.Path, "$batch") {
				t.Errorf("%v sent %s %s", c.args, e.Method, e.Path)
			}
		}
		if c.args[len(c.args)-1] != "device-code" && len(w.s.Log().Entries()) != before {
			t.Errorf("%v sent %d requests", c.args, len(w.s.Log().Entries())-before)
		}
	}
	w.env["M365WIZARD_SIGNIN_CLIENT_ID"] = "not-a-guid"
	if r := w.run("", "status"); r.code != ExitUsage || !strings.Contains(r.stderr, "M365WIZARD_SIGNIN_CLIENT_ID") {
		t.Errorf("bad environment: exit %d %s", r.code, r.stderr)
	}
	var app bool
	w.s.Tenant("", func(tn *sandbox.Tenant) { app = len(tn.Apps) > 0 })
	if app {
		t.Error("an app was registered although the admin said no")
	}
}

// --json with a bad flag still prints one JSON object with the error.
func TestJSONOnBadInput(t *testing.T) {
	w := newWorld(t)
	r := w.run("", "setup", "--json", "--secret-months", "3")
	e := decode[setupResult](t, r)
	if r.code != ExitUsage || e.OK || e.Error == nil || e.Error.Code != "BadInput" {
		t.Fatalf("%d %+v", r.code, e)
	}
}

// setup --scoping rbac: the Exchange permission stays out of Entra, the
// script is saved as a .ps1 PowerShell 5.1 reads, Test Settings says the
// scope is not active yet; once Exchange has it, `test` says it is active.
func TestSetupWithRBACScoping(t *testing.T) {
	w := newWorld(t)
	script := filepath.Join(t.TempDir(), "scope.ps1")
	r := w.run("", "setup", "--yes", "--json", "--mailbox", "helpdesk@contoso.com", "--scoping", "rbac", "--script-file", script)
	if r.code != ExitOK {
		t.Fatalf("setup: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var s struct {
		ClientID           string `json:"clientId"`
		ServicePrincipalID string `json:"servicePrincipalId"`
		Permissions        []struct {
			Name    string `json:"name"`
			Granted bool   `json:"granted"`
		} `json:"permissions"`
		MailboxScoping struct {
			Mode, ScriptFile, State string
			EntraLeftOut            []string
		} `json:"mailboxScoping"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	for _, p := range s.Permissions {
		if p.Name == "Mail.Send" && p.Granted {
			t.Error("Mail.Send granted in Entra in RBAC mode: the scope would be defeated")
		}
	}
	if s.MailboxScoping.Mode != "rbac" || s.MailboxScoping.ScriptFile != script || s.MailboxScoping.State != "not-active-yet" ||
		len(s.MailboxScoping.EntraLeftOut) != 1 || s.MailboxScoping.EntraLeftOut[0] != "Mail.Send" {
		t.Fatalf("mailboxScoping: %+v", s.MailboxScoping)
	}
	b, err := os.ReadFile(script)
	if err != nil || !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) || !bytes.Contains(b, []byte("New-ManagementRoleAssignment")) ||
		!bytes.Contains(b, []byte(s.ServicePrincipalID)) {
		t.Fatalf("script file: %v\n%.300s", err, b)
	}
	if !strings.Contains(r.stderr, "30 minutes to 2 hours") {
		t.Errorf("stderr does not say how long Exchange takes:\n%s", r.stderr)
	}

	// The Exchange administrator runs it; Exchange applies it.
	p := exchange.Params{Mode: exchange.ModeRBAC, AdminUPN: "admin@contoso.com", AppDisplayName: "HelpMaster", AppID: s.ClientID,
		ServicePrincipalID: s.ServicePrincipalID, Mailboxes: []string{"helpdesk@contoso.com"}, Permissions: []string{"Mail.Send"}}.WithDefaults("contoso.com")
	if err := w.s.ApplyMailboxScript("", p); err != nil {
		t.Fatal(err)
	}
	r = w.run("", "test", "--json")
	var tr struct {
		OK     bool
		Checks []struct {
			Name    string
			OK      bool
			Pending bool
			Message string
		}
	}
	json.Unmarshal([]byte(r.stdout), &tr)
	active := false
	for _, c := range tr.Checks {
		if c.Name == graphops.ScopingCheckName {
			active = c.OK && !c.Pending && strings.Contains(c.Message, graphops.ScopingActiveText)
		}
	}
	if r.code != ExitOK || !tr.OK || !active {
		t.Fatalf("test after the script ran: %d %+v\n%s", r.code, tr, r.stderr)
	}
}
