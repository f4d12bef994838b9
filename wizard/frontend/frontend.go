// Package frontend is what the two front ends (the window in ui/ and the
// command line in cmd/m365wizard) share besides the engine: the config folder,
// the keychain and the list of what it holds, the activity log, and the
// connection to Microsoft — or to the simulated tenant, started in this
// process for `m365wizard --sandbox`. It has no flow logic (that is package
// wizard's) and no Fyne.
package frontend

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"m365wizard/graphops"
	"m365wizard/graphops/sandbox"
	"m365wizard/wizard"
	"m365wizard/wizard/state"
	"m365wizard/wizard/store"
	"m365wizard/wizard/validate"
)

// SandboxAdmin is the account a sandbox sign-in completes as when no browser
// is there to pick one: the simulated tenant's Global Administrator.
const SandboxAdmin = "admin@contoso.com"

// SignInClientEnv names the environment variable that replaces the client
// the admin signs in through (Microsoft Graph Command Line Tools by default):
// the Application (client) ID of a public client app of the admin's own, for
// tenants that block Microsoft's.
const SignInClientEnv = "M365WIZARD_SIGNIN_CLIENT_ID"

// Options says how a front end runs.
type Options struct {
	Getenv func(string) string // os.Getenv when nil
	// Sandbox starts the simulated tenant in this process and points every
	// call at it; its settings live apart from real ones (a "sandbox" folder
	// in the config folder, and the keychain service "<service>-sandbox").
	Sandbox bool
	// ClientID is the sign-in client ($M365WIZARD_SIGNIN_CLIENT_ID, else
	// Microsoft Graph Command Line Tools, when empty).
	ClientID string
	// OpenURL opens the browser for sign-in; the system browser when nil.
	OpenURL func(url string) error
	// ShowCode shows a device code prompt (required for device code sign-in).
	ShowCode func(p graphops.DeviceCodePrompt)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// EnvError is a bad environment setting: bad input, found before anything
// was sent.
type EnvError struct {
	Var, Value string
	Err        error
}

func (e *EnvError) Error() string { return fmt.Sprintf("%s=%s: %v", e.Var, e.Value, e.Err) }
func (e *EnvError) Unwrap() error { return e.Err }

// Frontend is the world one front end runs in. Close it when done.
type Frontend struct {
	Deps      wizard.Deps
	ConfigDir string
	Keychain  wizard.Keychain
	// Sandbox is the simulated tenant (nil unless Options.Sandbox).
	Sandbox *sandbox.Server
	// MemoryKeychain: sandbox only, the OS keychain could not be used, so
	// this run keeps the sandbox's (throwaway) secrets in memory. Real
	// settings never fall back like this.
	MemoryKeychain bool

	log     *state.Log
	now     func() time.Time
	mu      sync.Mutex
	pending string // the sandbox sign-in page last opened
}

// Open prepares the config folder, the keychain and the connection. Bad
// environment settings (an unreadable M365WIZARD_CA_FILE, a config folder that
// cannot be made) are errors here, before anything is sent.
func Open(o Options) (*Frontend, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	f := &Frontend{now: o.Now}
	if f.now == nil {
		f.now = time.Now
	}
	dir := getenv(state.ConfigDirEnv)
	if dir == "" {
		d, err := state.ConfigDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	service := getenv("M365WIZARD_KEYRING_SERVICE")
	if service == "" {
		service = store.DefaultService
	}
	trust := graphops.TrustConfig{}
	if ca := getenv(graphops.EnvCAFile); ca != "" {
		pool, err := graphops.LoadCAFile(ca)
		if err != nil {
			return nil, &EnvError{Var: graphops.EnvCAFile, Value: ca, Err: err}
		}
		trust.ExtraCAs = pool
	}
	if o.ClientID == "" {
		o.ClientID = getenv(SignInClientEnv)
		if o.ClientID != "" {
			if err := validate.ClientID(o.ClientID); err != nil {
				return nil, &EnvError{Var: SignInClientEnv, Value: o.ClientID, Err: err}
			}
		}
	}
	openURL := o.OpenURL
	if o.Sandbox {
		s, err := sandbox.Start(sandbox.Options{})
		if err != nil {
			return nil, fmt.Errorf("starting the simulated tenant: %w", err)
		}
		f.Sandbox = s
		dir, service = filepath.Join(dir, "sandbox"), service+"-sandbox"
		trust.ExtraCAs = s.CertPool()
		env := map[string]string{graphops.EnvLoginURL: s.LoginURL(), graphops.EnvGraphURL: s.GraphURL()}
		getenv = func(k string) string { return env[k] }
		openURL = f.sandboxOpener(o.OpenURL)
	}
	f.ConfigDir = dir
	kc, err := store.New(service)
	if err != nil {
		f.Close()
		return nil, err
	}
	f.Keychain = wizard.Keychain{Store: kc, ConfigDir: dir}
	log, err := state.OpenLog(dir)
	if err != nil {
		f.Close()
		return nil, err
	}
	f.log = log
	if o.Sandbox {
		if err := f.freshSandboxSettings(); err != nil {
			f.Close()
			return nil, err
		}
	}
	d := wizard.LiveDeps(wizard.LiveOptions{Getenv: getenv, Trust: trust, ClientID: o.ClientID, OpenURL: openURL, ShowCode: o.ShowCode})
	d.Profile, d.Store, d.Progress, d.Log, d.Now = wizard.BuiltinProfiles, f.Keychain, wizard.ProgressFile{Dir: dir}, wizard.LogFile{Log: log}, f.now
	f.Deps = d
	return f, nil
}

// Close stops the simulated tenant, if any.
func (f *Frontend) Close() {
	if f.Sandbox != nil {
		f.Sandbox.Close()
	}
}

// freshSandboxSettings forgets what an earlier sandbox run stored: that
// tenant lived in memory and is gone. It also finds out whether the OS
// keychain can be used, and keeps throwaway sandbox secrets in memory if not.
func (f *Frontend) freshSandboxSettings() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, err := f.Keychain.Store.Load(ctx, "00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000")
	var un *store.UnavailableError
	if errors.As(err, &un) {
		keyring.MockInit() // this process talks only to the sandbox
		f.MemoryKeychain = true
	}
	list, err := f.Keychain.List()
	if err != nil {
		// A damaged sandbox list is worth nothing: start over.
		_ = os.Remove(filepath.Join(f.ConfigDir, state.ConnectionsFile))
	}
	for _, c := range list {
		if err := f.Keychain.Delete(ctx, c.TenantID, c.ClientID); err != nil && !f.MemoryKeychain {
			return fmt.Errorf("clearing an earlier sandbox run's settings: %w", err)
		}
	}
	return wizard.ProgressFile{Dir: f.ConfigDir}.Clear()
}

// sandboxOpener opens the sandbox's sign-in page in the browser; when no
// browser can be started, it completes the sign-in as SandboxAdmin itself so
// the walk-through works on a machine without one.
func (f *Frontend) sandboxOpener(open func(string) error) func(string) error {
	if open == nil {
		open = OpenBrowser
	}
	return func(u string) error {
		f.mu.Lock()
		f.pending = u
		f.mu.Unlock()
		if err := open(u); err != nil {
			go f.Sandbox.CompleteSignIn(context.Background(), u, SandboxAdmin)
		}
		return nil
	}
}

// SandboxSignIn completes the sign-in page the sandbox opened last as upn
// (SandboxAdmin when empty): what the admin would click in the browser. For a
// browser that did not show up.
func (f *Frontend) SandboxSignIn(ctx context.Context, upn string) error {
	if f.Sandbox == nil {
		return errors.New("not running against the sandbox")
	}
	f.mu.Lock()
	u := f.pending
	f.mu.Unlock()
	if u == "" {
		return errors.New("no sign-in is waiting")
	}
	if upn == "" {
		upn = SandboxAdmin
	}
	return f.Sandbox.CompleteSignIn(ctx, u, upn)
}

// Engine starts a flow on these settings.
func (f *Frontend) Engine(kind wizard.FlowKind, st *wizard.State) (*wizard.Engine, error) {
	return wizard.New(kind, f.Deps, st)
}

// Unfinished is the saved progress of a New setup that did not complete (to
// offer resuming it), if any.
func (f *Frontend) Unfinished() (wizard.Progress, bool) {
	p, found, err := f.Deps.Progress.Load()
	if err != nil || !found || p.Completed || p.Flow != wizard.FlowNewSetup {
		return wizard.Progress{}, false
	}
	return p, true
}

// UnfinishedReplacement is the saved progress of a secret replacement of the
// app clientID that stopped after it made a new secret (killed, cancelled, or
// the keychain refused it), or that still carries such a secret of an earlier
// run. Resuming it finishes the job and removes that
// secret from the app once a new one tested green; starting afresh would
// leave it there, unused, until it expires.
func (f *Frontend) UnfinishedReplacement(clientID string) (wizard.Progress, bool) {
	p, found, err := f.Deps.Progress.Load()
	if err != nil || !found || p.Completed || p.Flow != wizard.FlowReplaceSecret ||
		(p.KeyID == "" && len(p.Leftovers) == 0) || !strings.EqualFold(p.ClientID, clientID) {
		return wizard.Progress{}, false
	}
	return p, true
}

// Stored is one app whose credential the keychain holds.
type Stored struct {
	state.Connection
	// DaysLeft until the credential expires (negative: expired that many
	// days ago); meaningless when Expires is zero (unknown, e.g. a secret
	// typed in by the admin).
	DaysLeft int
}

// Expiry states of a stored credential.
const (
	ExpiryOK       = "ok"
	ExpirySoon     = "soon" // under 30 days left
	ExpiryExpired  = "expired"
	ExpiryUnknown  = "unknown"
	WarnDaysBefore = 30
)

// Expiry says whether the credential is fine, expires soon or has expired.
func (s Stored) Expiry() string {
	switch {
	case s.Credential.Expires.IsZero():
		return ExpiryUnknown
	case s.DaysLeft < 0: // DaysLeft rounds down: any time past expiry is below 0
		return ExpiryExpired
	case s.DaysLeft < WarnDaysBefore:
		return ExpirySoon
	}
	return ExpiryOK
}

// Stored lists what the keychain holds, most recently saved first.
func (f *Frontend) Stored() ([]Stored, error) {
	list, err := f.Keychain.List()
	if err != nil {
		return nil, err
	}
	now := f.now()
	out := make([]Stored, 0, len(list))
	for _, c := range list {
		out = append(out, Stored{Connection: c, DaysLeft: DaysLeft(c.Credential.Expires, now)})
	}
	return out, nil
}

// DaysLeft counts whole days from now until expires, rounding down (an hour
// left is 0 days; expired an hour ago is -1).
func DaysLeft(expires, now time.Time) int {
	d := expires.Sub(now)
	days := int(d / (24 * time.Hour))
	if d < 0 && d%(24*time.Hour) != 0 {
		days--
	}
	return days
}

// Forget deletes an app's credential from the keychain (and its certificate
// file and list entry). The app registration in Entra ID stays.
func (f *Frontend) Forget(ctx context.Context, tenantID, clientID string) error {
	err := f.Keychain.Delete(ctx, tenantID, clientID)
	f.Deps.Log.Record(wizard.Activity{Time: f.now(), Operation: "forget stored credentials", Object: clientID, Outcome: outcome(err), Message: errText(err)})
	return err
}

// StateFor prepares the State of a flow on a stored app (replace, test):
// which cloud, tenant, app, profile, features and mailboxes it had.
func StateFor(s Stored) *wizard.State {
	return &wizard.State{Cloud: s.Cloud, Tenant: s.TenantID, ClientID: s.ClientID, Profile: s.Profile,
		ProfileFile: s.ProfileFile, Features: s.Features, Permissions: s.Permissions, Domains: s.Domains,
		Mailboxes: s.Mailboxes, Scoping: s.Scoping}
}

func outcome(err error) string {
	if err != nil {
		return "failed"
	}
	return "ok"
}

func errText(err error) string {
	if err != nil {
		return err.Error()
	}
	return ""
}
