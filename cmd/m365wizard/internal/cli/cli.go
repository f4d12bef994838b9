// Package cli is the wizard's command line: a second front end over the same
// engine as the window (package wizard decides every step; this package only
// reads flags, prints and asks). Exit codes: 0 success, 1 an operation or a
// check failed, 2 bad input or usage (nothing was sent to Microsoft).
//
// With --json exactly one JSON object goes to stdout when the command ends;
// progress, prompts and the device code go to stderr. A secret's value never
// appears on stdout or stderr: it goes to the keychain only.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"m365wizard/graphops"
	"m365wizard/wizard"
	"m365wizard/wizard/frontend"
	"m365wizard/wizard/profile"
	"m365wizard/wizard/validate"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitUsage = 2
)

// IO is the command's world: standard streams and environment, replaced in tests.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// OpenURL opens the browser for sign-in (the system browser when nil).
	OpenURL func(string) error
}

// Commands lists the command-line commands this package runs.
var Commands = map[string]func(ctx context.Context, args []string, io IO) int{
	"setup":         runSetup,
	"test":          runTest,
	"rotate-secret": runRotate,
	"status":        runStatus,
	"forget":        runForget,
}

// common holds the flags every command takes.
type common struct {
	cloud, tenant, signIn string
	json                  bool
}

func (c *common) register(fs *flag.FlagSet, signIn bool) {
	fs.StringVar(&c.cloud, "cloud", "global", "national cloud: global, usgov, usgov-dod or china")
	fs.StringVar(&c.tenant, "tenant", "", "tenant: its ID (a GUID) or a verified domain such as contoso.com")
	fs.BoolVar(&c.json, "json", false, "print one JSON object on stdout when done (progress goes to stderr)")
	if signIn {
		fs.StringVar(&c.signIn, "sign-in", "browser", "how to sign in: browser or device-code")
	}
}

// check validates the common flags; errors are usage errors.
func (c *common) check() error {
	if _, err := graphops.CloudByName(c.cloud); err != nil {
		return fmt.Errorf("--cloud: %q is not a cloud; use global, usgov, usgov-dod or china", c.cloud)
	}
	if c.tenant != "" {
		if err := validate.Tenant(c.tenant); err != nil {
			return fmt.Errorf("--tenant: %v", err)
		}
	}
	if c.signIn != "" && c.signIn != "browser" && c.signIn != "device-code" {
		return fmt.Errorf("--sign-in: %q; use browser or device-code", c.signIn)
	}
	return nil
}

// cmd is one running command.
type cmd struct {
	name string
	io   IO
	c    common
	fs   *flag.FlagSet
	fe   *frontend.Frontend
	mu   sync.Mutex // stderr lines from progress callbacks

	appShown   bool
	scriptFile string // setup --script-file

	prof        *profile.Profile // the command's integration profile, once known
	profileFile string           // setup --profile-file, absolute
}

func newCmd(name string, io IO, signIn bool, usage string) *cmd {
	k := &cmd{name: name, io: io}
	k.fs = flag.NewFlagSet(name, flag.ContinueOnError)
	k.fs.SetOutput(io.Stderr)
	k.fs.Usage = func() {
		fmt.Fprintf(io.Stderr, "Usage: m365wizard %s [flags]\n%s\nFlags:\n", name, usage)
		k.fs.PrintDefaults()
	}
	k.c.register(k.fs, signIn)
	return k
}

// parse reads the flags; a non-nil exit code ends the command.
func (k *cmd) parse(args []string) (int, bool) {
	if err := k.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK, false
		}
		return ExitUsage, false
	}
	if k.fs.NArg() > 0 {
		return k.usageError(fmt.Errorf("unexpected argument %q", k.fs.Arg(0))), false
	}
	if err := k.c.check(); err != nil {
		return k.usageError(err), false
	}
	return 0, true
}

func (k *cmd) set(name string) bool {
	found := false
	k.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// usageError reports bad input: exit code 2, nothing sent.
func (k *cmd) usageError(err error) int {
	fmt.Fprintf(k.io.Stderr, "m365wizard %s: %v\n", k.name, err)
	if k.c.json {
		k.writeJSON(map[string]any{"ok": false, "error": jsonError{Code: "BadInput", Message: err.Error()}})
	}
	return ExitUsage
}

// open prepares the front end (keychain, config folder, connection).
func (k *cmd) open() error {
	fe, err := frontend.Open(frontend.Options{Getenv: k.io.Getenv, OpenURL: k.io.OpenURL, ShowCode: func(p graphops.DeviceCodePrompt) {
		k.say("%s", p.Message)
	}})
	if err != nil {
		return err
	}
	k.fe = fe
	return nil
}

// openOrExit opens the front end; a bad environment setting is a usage error.
func (k *cmd) openOrExit() (int, bool) {
	err := k.open()
	var env *frontend.EnvError
	switch {
	case errors.As(err, &env):
		return k.usageError(err), false
	case err != nil:
		return k.fail(err), false
	}
	return 0, true
}

func (k *cmd) close() {
	if k.fe != nil {
		k.fe.Close()
	}
}

// say prints a progress line on stderr.
func (k *cmd) say(format string, a ...any) {
	k.mu.Lock()
	defer k.mu.Unlock()
	fmt.Fprintf(k.io.Stderr, format+"\n", a...)
}

func (k *cmd) writeJSON(v any) {
	enc := json.NewEncoder(k.io.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// progressCtx reports every wait of graphops (retries, replication,
// propagation) on stderr.
func (k *cmd) progressCtx(ctx context.Context) context.Context {
	return graphops.WithProgress(ctx, func(p graphops.Progress) {
		left := time.Until(p.Deadline).Round(time.Second)
		k.say("   %s: attempt %d, next try in %s (giving up in %s; Ctrl+C cancels)", p.Activity, p.Attempt, p.Wait.Round(100*time.Millisecond), left)
	})
}

// drive runs the engine to the end (or until stop says so before a step),
// printing each step; it returns the error that stopped it.
func (k *cmd) drive(ctx context.Context, e *wizard.Engine, stop func(wizard.StepID) bool) error {
	ctx = k.progressCtx(ctx)
	for e.Status() != wizard.Completed {
		cur := e.Current()
		if stop != nil && stop(cur) {
			return nil
		}
		k.say("-> %s", title(e, cur))
		if err := e.Next(ctx); err != nil {
			if ctx.Err() != nil {
				return &graphops.Error{Kind: graphops.KindCancelled, Message: "Cancelled.", Err: ctx.Err()}
			}
			return err
		}
		k.after(e, cur)
	}
	return nil
}

func title(e *wizard.Engine, id wizard.StepID) string {
	for _, s := range e.Steps() {
		if s.ID == id {
			return s.Title
		}
	}
	return string(id)
}

// after prints what a step did.
func (k *cmd) after(e *wizard.Engine, id wizard.StepID) {
	st := e.State()
	switch id {
	case wizard.StepSignIn:
		if a := st.Admin; a != nil {
			k.say("   Signed in as %s to %s (%s).", a.UPN, a.TenantName, a.TenantID)
			if a.Advice != "" {
				k.say("   Note: %s", a.Advice)
			}
		}
	case wizard.StepRegister, wizard.StepPermissions, wizard.StepFindApp:
		if a := st.App; a != nil && !k.appShown {
			k.appShown = true
			verb := "Found"
			if a.Created {
				verb = "Registered"
			}
			k.say("   %s %q: Application (client) ID %s.", verb, a.DisplayName, a.AppID)
		}
	case wizard.StepConsent:
		if c := st.Consent; c != nil {
			for _, g := range c.Grants {
				k.say("   %s: %s", g.Permission.Value, c.Status(g))
			}
		}
	case wizard.StepCredential, wizard.StepNewSecret:
		if s := st.NewSecret; s != nil {
			k.say("   New client secret %s… (ID %s), expires %s. Its value goes to the keychain only.", s.Hint, s.KeyID, s.End.Format("2006-01-02"))
		}
		if c := st.NewCert; c != nil && c.Vendor {
			k.say("   Uploaded the certificate from %s, thumbprint %s, valid until %s.", k.product(), c.Thumbprint, c.End.Format("2006-01-02"))
			k.say("   Compare with %s's screen: %s", k.product(), graphops.GroupedThumbprint(c.Thumbprint))
		} else if c != nil {
			k.say("   New certificate, thumbprint %s, expires %s. Its private key goes to the keychain only.", c.Thumbprint, c.End.Format("2006-01-02"))
		}
	case wizard.StepDomains:
		if c := st.DomainCount; c != nil {
			k.say("   %s", c.Summary())
		} else if len(st.Domains) == 0 {
			k.say("   No domain list given (--domains): nothing to preview.")
		}
	case wizard.StepTest:
		k.printChecks(st.Test)
	case wizard.StepSave:
		if st.NewCert != nil && st.NewCert.Vendor {
			k.say("   Listed with the stored apps (nothing secret: %s keeps the private key).", k.product())
		} else {
			k.say("   Stored in the keychain.")
		}
	case wizard.StepRemoveOld:
		for _, id := range st.RemovedIDs {
			k.say("   Removed the old secret %s.", id)
		}
	}
}

func (k *cmd) printChecks(r *graphops.TestReport) {
	if r == nil {
		return
	}
	for _, c := range r.Checks {
		mark := "ok  "
		switch {
		case c.Pending:
			mark = "wait"
		case !c.OK:
			mark = "FAIL"
		case c.Warning:
			mark = "warn"
		}
		k.say("   [%s] %s: %s", mark, c.Name, c.Message)
		if (!c.OK || c.Pending || c.Warning) && c.NextStep != "" {
			k.say("          Next step: %s", c.NextStep)
		}
	}
	if r.OK {
		k.say("   %s", k.successText())
	}
}

// product is the profile's product name ("the product" before it is known).
func (k *cmd) product() string {
	if k.prof != nil {
		return k.prof.Product
	}
	return "the product"
}

// successText is what a green Test Settings says: the profile's own words
// (HelpMaster: "Microsoft 365 Authentication was successful").
func (k *cmd) successText() string {
	switch {
	case k.prof == nil || k.prof.Key == profile.HelpMaster:
		return graphops.SuccessText
	case k.prof.Test.SuccessText != "":
		return "Test Settings passed. " + k.prof.Product + " will show: " + k.prof.Test.SuccessText
	}
	return "Test Settings passed."
}

// --- JSON ------------------------------------------------------------------

type jsonError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type jsonCheck struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
	Pending bool   `json:"pending,omitempty"` // waits for Microsoft (mailbox scoping not applied yet)
}

type jsonTest struct {
	OK     bool        `json:"ok"`
	Checks []jsonCheck `json:"checks"`
}

// jsonCredential is the same object for every profile: type "secret" (with
// its hint) or "certificate" (with its thumbprint; vendorHeld when the vendor
// keeps the private key, as Passly does).
type jsonCredential struct {
	Type       string     `json:"type"`
	KeyID      string     `json:"keyId"`
	Hint       string     `json:"hint"`
	Thumbprint string     `json:"thumbprint"`
	VendorHeld bool       `json:"vendorHeld"`
	Expires    *time.Time `json:"expires"`
	DaysLeft   *int       `json:"daysLeft,omitempty"`
}

func testJSON(r *graphops.TestReport) *jsonTest {
	if r == nil {
		return nil
	}
	t := &jsonTest{OK: r.OK, Checks: []jsonCheck{}}
	for _, c := range r.Checks {
		msg := c.Message
		if (!c.OK || c.Pending || c.Warning) && c.NextStep != "" {
			msg += " " + c.NextStep
		}
		t.Checks = append(t.Checks, jsonCheck{Name: c.Name, OK: c.OK, Message: msg, Pending: c.Pending})
	}
	return t
}

func credentialJSON(st *wizard.State) *jsonCredential {
	switch {
	case st.NewCert != nil:
		return &jsonCredential{Type: "certificate", KeyID: st.NewCert.KeyID, Thumbprint: st.NewCert.Thumbprint, VendorHeld: st.NewCert.Vendor,
			Expires: timePtr(st.NewCert.End)}
	case st.NewSecret != nil:
		return &jsonCredential{Type: "secret", KeyID: st.NewSecret.KeyID, Hint: st.NewSecret.Hint, Expires: timePtr(st.NewSecret.End)}
	}
	return nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// errorJSON describes err with Microsoft's code when there is one, else the
// kind of failure; the message includes the next step.
func errorJSON(err error) *jsonError {
	if err == nil {
		return nil
	}
	var ve *wizard.ValidationError
	if errors.As(err, &ve) {
		return &jsonError{Code: "BadInput", Message: err.Error()}
	}
	if ge, ok := graphops.AsError(err); ok {
		code := ge.Code
		if code == "" {
			code = kindCode[ge.Kind]
		}
		msg := ge.Message
		if ge.NextStep != "" {
			msg += " " + ge.NextStep
		}
		return &jsonError{Code: code, Message: msg}
	}
	return &jsonError{Code: "Failed", Message: err.Error()}
}

var kindCode = map[graphops.Kind]string{
	graphops.KindInternal: "Internal", graphops.KindInput: "BadInput", graphops.KindCancelled: "Cancelled",
	graphops.KindSignIn: "SignInFailed", graphops.KindPermission: "PermissionDenied", graphops.KindSecret: "BadCredential",
	graphops.KindNotFound: "NotFound", graphops.KindThrottled: "Throttled", graphops.KindUnavailable: "Unavailable",
	graphops.KindNotReady: "NotReady", graphops.KindScoping: "MailboxScoping", graphops.KindMailbox: "Mailbox",
	graphops.KindPolicy: "Policy",
}

// fail prints err on stderr (message and next step) and returns its exit
// code: 2 for input refused before anything was sent, else 1.
func (k *cmd) fail(err error) int {
	var ve *wizard.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			k.say("m365wizard %s: %s: %s", k.name, f.Field, f.Message)
		}
		return ExitUsage
	}
	msg := err.Error()
	if ge, ok := graphops.AsError(err); ok {
		msg = ge.Message
		if ge.NextStep != "" {
			msg += "\n  Next step: " + ge.NextStep
		}
		if ge.RequestID != "" {
			msg += "\n  Request ID (for support): " + ge.RequestID
		}
	}
	k.say("m365wizard %s: %s", k.name, msg)
	return ExitFail
}

// --- stored settings and input ---------------------------------------------------

// pick finds the stored app the command works on: the one matching --tenant
// and --client-id, or the only one stored. Several without a choice is a usage
// error listing them.
func (k *cmd) pick(clientID string) (frontend.Stored, int, error) {
	list, err := k.fe.Stored()
	if err != nil {
		return frontend.Stored{}, ExitFail, err
	}
	var match []frontend.Stored
	for _, s := range list {
		if clientID != "" && !strings.EqualFold(s.ClientID, clientID) {
			continue
		}
		if k.c.tenant != "" && !strings.EqualFold(s.TenantID, k.c.tenant) && !strings.EqualFold(s.TenantName, k.c.tenant) {
			continue
		}
		match = append(match, s)
	}
	switch len(match) {
	case 0:
		return frontend.Stored{}, ExitFail, &graphops.Error{Kind: graphops.KindNotFound, Code: "NotStored",
			Message: "No stored settings match.", NextStep: "Run `m365wizard setup`, or `m365wizard status` to see what is stored."}
	case 1:
		return match[0], 0, nil
	}
	var b strings.Builder
	b.WriteString("several apps are stored; choose one with --client-id (and --tenant):")
	for _, s := range match {
		fmt.Fprintf(&b, "\n  %s  %s  tenant %s", s.ClientID, s.AppDisplayName, s.TenantID)
	}
	return frontend.Stored{}, ExitUsage, errors.New(b.String())
}

// readSecret reads a secret from stdin (one line; the newline is dropped).
func (k *cmd) readSecret() (string, error) {
	r := bufio.NewReader(k.io.Stdin)
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	s := strings.TrimRight(line, "\r\n")
	if s == "" {
		return "", errors.New("--secret-stdin: no secret on standard input")
	}
	if err := validate.Secret(s); err != nil {
		return "", fmt.Errorf("--secret-stdin: %v", err)
	}
	return s, nil
}

// confirm asks a yes/no question on stderr and reads the answer from stdin.
func (k *cmd) confirm(question string) bool {
	fmt.Fprintf(k.io.Stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(k.io.Stdin).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

// Getenv default.
func (o IO) getenv(k string) string {
	if o.Getenv != nil {
		return o.Getenv(k)
	}
	return os.Getenv(k)
}
