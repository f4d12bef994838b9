package wizard

import (
	"context"
	"errors"
	"slices"
	"time"

	"m365wizard/graphops"
)

// Session is what a signed-in admin can do; *graphops.Session provides it and
// tests give function-field fakes.
type Session interface {
	WhoAmI(ctx context.Context) (*graphops.Admin, error)
	Prepare(ctx context.Context, spec graphops.AppSpec) (*graphops.Plan, error)
	EnsureApp(ctx context.Context, spec graphops.AppSpec, plan *graphops.Plan) (*graphops.App, error)
	GrantAdminConsent(ctx context.Context, app *graphops.App, plan *graphops.Plan, want []string, org string, revoke bool) (*graphops.ConsentReport, error)
	// GrantDelegatedConsent grants a profile's delegated permissions for the organization.
	GrantDelegatedConsent(ctx context.Context, app *graphops.App, plan *graphops.Plan, scopes []string, org string) ([]graphops.Grant, error)
	AddSecret(ctx context.Context, app *graphops.App, description string, lifetime time.Duration, policy graphops.SecretPolicy) (*graphops.NewSecret, error)
	AddCertificate(ctx context.Context, appObjectID string, certDER []byte) (graphops.Credential, error)
	RemoveSecret(ctx context.Context, appObjectID, keyID string) error
	FindApp(ctx context.Context, clientID string) (*graphops.App, error)
	DeleteApp(ctx context.Context, objectID string) error
	// CheckFromAdminSide is Test Settings for an app whose private key the
	// vendor holds (the wizard cannot sign in as it).
	CheckFromAdminSide(ctx context.Context, o graphops.AdminCheckOptions) (*graphops.TestReport, error)
	// CountUsersInDomains previews a domain filter.
	CountUsersInDomains(ctx context.Context, domains, verified []string) (*graphops.DomainCount, error)
}

var _ Session = (*graphops.Session)(nil)

// SignInRequest is what the sign-in step asks for.
type SignInRequest struct {
	Cloud       graphops.Cloud
	Tenant      string
	Method      string // "browser" or "device-code"
	Permissions []string
}

// Profile is an integration profile as the engine uses it (wizard/profile
// provides the data; an adapter implements this).
type Profile interface {
	Key() string
	DefaultAppName() string
	DefaultFeatures() []string
	// AppSpec and Probes take the features chosen and, for a custom profile,
	// the permissions the admin picked (ignored by other profiles).
	AppSpec(name string, features, picked []string) graphops.AppSpec
	Probes(features, picked []string) []graphops.Probe
	MailboxScoping() bool
	Info() ProfileInfo
}

// ProfileInfo is what else the engine reads of a profile.
type ProfileInfo struct {
	Product    string
	TestButton string // the product's own test ("Test Settings", "Verify")
	// VendorConsent: the product uses the vendor's own multi-tenant app; the
	// engine cannot run such a profile's New setup.
	VendorConsent bool
	// Credentials the product accepts: "secret", "certificate" (made by the
	// wizard), "vendor-certificate" (a file the vendor gives); and the default.
	Credentials       []string
	DefaultCredential string
	// DomainFilter: the product syncs only users of some e-mail domains;
	// DefaultDomains is the list's first value (["*"] or none).
	DomainFilter   bool
	DomainLabel    string
	DefaultDomains []string
	// Custom: the admin picks the application permissions.
	Custom bool
}

// Credential types of ProfileInfo.Credentials.
const (
	CredSecret            = "secret"
	CredCertificate       = "certificate"
	CredVendorCertificate = "vendor-certificate"
)

// StoredCredential is what the keychain holds for one app.
type StoredCredential struct {
	TenantID, ClientID string
	Type               string // "secret" or "certificate"
	Secret             string
	CertPEM            []byte
	KeyID              string
	Expires            time.Time
	// VendorHeld: a certificate whose private key the vendor keeps (Passly).
	// Nothing secret is stored: CertPEM is the public certificate only, kept
	// in the config folder, and the keychain has no entry for the app.
	VendorHeld bool

	// What the app is, for the list of stored settings (never secret). A
	// rotation may leave them empty: the stored values are kept.
	Hint, Thumbprint                string
	Cloud, TenantName               string
	Profile, AppName                string
	AppObjectID, ServicePrincipalID string
	Features, Mailboxes             []string
	Scoping                         string
	ProfileFile                     string   // a profile file of the admin's own
	Permissions, Domains            []string // custom permissions; the domain filter
}

// NewCertificate is a certificate on the app. Made by the wizard: its public
// part is on the app, the PEM (certificate and private key) is in memory only
// until the keychain has it. Given by the vendor (Vendor): PEM is the public
// certificate only; the vendor keeps the private key.
type NewCertificate struct {
	graphops.Credential
	PEM    []byte
	Vendor bool
}

// ErrNotStored is returned by a CredentialStore that has no entry.
var ErrNotStored = errors.New("no stored credentials")

// CredentialStore is the OS keychain.
type CredentialStore interface {
	Save(ctx context.Context, c StoredCredential) error
	Load(ctx context.Context, tenantID, clientID string) (StoredCredential, error)
	Delete(ctx context.Context, tenantID, clientID string) error
}

// ProgressStore keeps the non-secret progress between runs.
type ProgressStore interface {
	Save(p Progress) error
	Load() (p Progress, found bool, err error)
	Clear() error
}

// Activity is one activity log entry: never a secret or a token.
type Activity struct {
	Time      time.Time
	Operation string
	Object    string
	Outcome   string // ok or failed
	RequestID string
	Message   string
}

// ActivityLog records what the wizard changed or tried.
type ActivityLog interface{ Record(Activity) }

// Deps is what the engine needs from the world.
type Deps struct {
	Cloud        func(name string) (graphops.Cloud, error)
	SignIn       func(ctx context.Context, r SignInRequest) (Session, error)
	TestSettings func(ctx context.Context, o graphops.TestOptions) (*graphops.TestReport, error)
	Profile      func(key string) (Profile, error)
	Store        CredentialStore
	Progress     ProgressStore // optional
	Log          ActivityLog   // optional
	Now          func() time.Time
	// TestPatience bounds how long Test Settings waits for a fresh secret or
	// consent to propagate (0: graphops' default).
	TestPatience time.Duration
}

func (d Deps) check() error {
	switch {
	case d.Cloud == nil, d.SignIn == nil, d.TestSettings == nil, d.Profile == nil, d.Store == nil:
		return errors.New("wizard: Deps needs Cloud, SignIn, TestSettings, Profile and Store")
	}
	return nil
}

// State is the flow's inputs (set by the front end) and results (set by steps).
type State struct {
	Flow FlowKind

	// Inputs.
	Cloud        string // global, usgov, usgov-dod, china (custom endpoints come from the environment)
	Tenant       string // GUID or verified domain; optional for sign-in
	SignInMethod string // browser (default) or device-code
	Profile      string // profile key (or alias); "helpmaster" by default
	// ProfileFile is a profile file of the admin's own (Open profile…,
	// --profile-file), read with profile.LoadFile; it wins over Profile, which
	// the engine sets to the file's key.
	ProfileFile string
	Features    []string
	// Permissions are the application permissions the admin picked for a
	// custom profile (names from the tenant's live list, State.Plan.Graph).
	Permissions []string
	// Domains is the domain filter of a profile that has one: "*" (all) or
	// domain names; Test Settings' Domains step previews the users it covers.
	Domains []string
	// VendorCertificate is the certificate file the vendor gave (.cer, .crt,
	// .pem) for a profile whose credential is the vendor's certificate
	// (Passly); with CredentialType "certificate" it is uploaded as is.
	VendorCertificate []byte
	AppName           string
	SecretDescription string
	SecretLifetime    time.Duration
	Mailboxes         []string // the mailbox Test Settings uses first
	Scoping           string   // none, access-policy, rbac
	CredentialType    string   // secret (default) or certificate: what New setup creates
	SendTestTo        string   // Mail.Send probe address; empty = no test message
	ClientID          string   // enter-existing and manual replace
	SecretInput       string   // a secret typed by the admin (enter-existing, manual replace); never saved outside the keychain
	RemoveOld         bool     // replace flow: remove the old secret after the new one tested green

	// Mailbox access (issue 7); empty fields get defaults (exchange.Params.WithDefaults).
	GroupName         string // the mail-enabled security group's name
	GroupAddress      string // its address, e.g. HelpMasterApp@contoso.com
	PolicyDescription string // the access policy's description (e.g. the profile's)
	OutsideMailbox    string // Test Settings: a mailbox that must be refused; empty = picked by Test Settings

	// Results.
	Admin     *graphops.Admin
	Plan      *graphops.Plan
	App       *graphops.App
	Consent   *graphops.ConsentReport
	NewSecret *graphops.NewSecret // shown once; in memory only until the keychain has it
	NewCert   *NewCertificate     // the certificate alternative (or the vendor's); a key goes only to the keychain
	// DomainCount is the Domains step's preview of the users the filter covers.
	DomainCount *graphops.DomainCount
	Test        *graphops.TestReport
	Stored      *StoredCredential // what the keychain had (replace and test flows)
	OldKeyIDs   []string          // secrets to remove after the new one tested green
	// Leftovers are secrets an interrupted run made whose values were lost
	// (never stored): removed once the new one tested green, even when the
	// admin keeps the app's other old secrets.
	Leftovers  []string
	RemovedIDs []string
	Saved      bool
	Mailbox    *MailboxPlan // the Mailbox access step's script and explanation (wizard/mailbox.go)
}

// Progress is the non-secret state saved after each step, so a closed window
// or a killed process resumes where it stopped. It has no field for a secret.
type Progress struct {
	Flow               FlowKind  `json:"flow"`
	Step               StepID    `json:"step"`
	Done               []StepID  `json:"done"`
	Cloud              string    `json:"cloud"`
	TenantID           string    `json:"tenantId"`
	TenantName         string    `json:"tenantName,omitempty"`
	Profile            string    `json:"profile"`
	ProfileFile        string    `json:"profileFile,omitempty"`
	Features           []string  `json:"features,omitempty"`
	Permissions        []string  `json:"permissions,omitempty"`
	Domains            []string  `json:"domains,omitempty"`
	AppName            string    `json:"appName,omitempty"`
	UniqueName         string    `json:"uniqueName,omitempty"`
	AppObjectID        string    `json:"appObjectId,omitempty"`
	ClientID           string    `json:"clientId,omitempty"`
	ServicePrincipalID string    `json:"servicePrincipalId,omitempty"`
	AppCreated         bool      `json:"appCreated,omitempty"` // this flow made the app (so Cancel offers to remove it)
	CredentialType     string    `json:"credentialType,omitempty"`
	KeyID              string    `json:"keyId,omitempty"`
	Hint               string    `json:"hint,omitempty"`
	Expires            time.Time `json:"expires,omitempty"`
	Mailboxes          []string  `json:"mailboxes,omitempty"`
	Scoping            string    `json:"scoping,omitempty"`
	// The mailbox scoping group and Test Settings' outside mailbox, as chosen.
	GroupName      string `json:"groupName,omitempty"`
	GroupAddress   string `json:"groupAddress,omitempty"`
	OutsideMailbox string `json:"outsideMailbox,omitempty"`
	// Leftovers are secrets of earlier interrupted runs, still to remove.
	Leftovers []string  `json:"leftoverKeyIds,omitempty"`
	Completed bool      `json:"completed"`
	Aborted   bool      `json:"aborted"`
	Updated   time.Time `json:"updated"`
}

func (e *Engine) saveProgressLocked() {
	if e.deps.Progress == nil {
		return
	}
	st := e.state
	p := Progress{Flow: e.kind, Cloud: st.Cloud, TenantID: st.Tenant, Profile: st.Profile, Features: st.Features,
		ProfileFile: st.ProfileFile, Permissions: st.Permissions, Domains: st.Domains,
		AppName: st.AppName, Mailboxes: st.Mailboxes, Scoping: st.Scoping,
		GroupName: st.GroupName, GroupAddress: st.GroupAddress, OutsideMailbox: st.OutsideMailbox,
		Completed: e.status == Completed, Aborted: e.status == Aborted, Updated: e.deps.now()}
	if e.idx < len(e.steps) {
		p.Step = e.steps[e.idx].id
	}
	for _, s := range e.steps {
		if e.done[s.id] {
			p.Done = append(p.Done, s.id)
		}
	}
	if st.Admin != nil {
		p.TenantID, p.TenantName = st.Admin.TenantID, st.Admin.TenantName
	}
	if st.App != nil {
		p.UniqueName, p.AppObjectID, p.ClientID, p.ServicePrincipalID = st.App.UniqueName, st.App.ObjectID, st.App.AppID, st.App.ServicePrincipalID
		p.AppCreated = st.App.Created
	} else if st.ClientID != "" {
		p.ClientID = st.ClientID
	}
	if st.NewSecret != nil {
		p.CredentialType, p.KeyID, p.Hint, p.Expires = "secret", st.NewSecret.KeyID, st.NewSecret.Hint, st.NewSecret.End
	}
	for _, id := range st.Leftovers {
		if !slices.Contains(st.RemovedIDs, id) {
			p.Leftovers = append(p.Leftovers, id)
		}
	}
	if st.NewCert != nil && !st.NewCert.Vendor {
		p.CredentialType, p.KeyID, p.Expires = "certificate", st.NewCert.KeyID, st.NewCert.End
	}
	if err := e.deps.Progress.Save(p); err != nil {
		e.record("save progress", "", err)
	}
}

// Resume restores saved progress into a new engine of the same flow: the
// choices, what was made (app, service principal) and the position. Steps
// are idempotent, so the first resumed step may redo work safely. A secret
// created before the stop was never saved anywhere but the keychain, so if the
// stop came before the keychain had it, its keyId is kept to be removed once
// a new secret tested green.
func (e *Engine) Resume(p Progress) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p.Flow != e.kind {
		return errors.New("wizard: the saved progress is for another flow")
	}
	st := e.state
	st.Cloud, st.Tenant, st.Profile, st.Features = p.Cloud, p.TenantID, p.Profile, p.Features
	st.ProfileFile, st.Permissions, st.Domains = p.ProfileFile, p.Permissions, p.Domains
	st.AppName, st.Mailboxes, st.Scoping = p.AppName, p.Mailboxes, p.Scoping
	st.GroupName, st.GroupAddress, st.OutsideMailbox = p.GroupName, p.GroupAddress, p.OutsideMailbox
	st.ClientID = p.ClientID
	if p.ClientID != "" && p.AppObjectID != "" {
		st.App = &graphops.App{ObjectID: p.AppObjectID, AppID: p.ClientID, DisplayName: p.AppName,
			UniqueName: p.UniqueName, ServicePrincipalID: p.ServicePrincipalID, Created: p.AppCreated}
	}
	for _, id := range p.Done {
		e.done[id] = true
	}
	for _, id := range p.Leftovers {
		if !slices.Contains(st.Leftovers, id) {
			st.Leftovers = append(st.Leftovers, id)
			st.OldKeyIDs = append(st.OldKeyIDs, id)
		}
	}
	saved := e.done[StepSave]
	switch {
	case p.KeyID != "" && !saved && !p.Completed && p.CredentialType == "certificate":
		// The private key died with the process: make a new certificate. The
		// uploaded public key is useless without it but harmless.
		for _, id := range []StepID{StepCredential, StepTest, StepSave} {
			delete(e.done, id)
		}
	case p.KeyID != "" && saved && p.CredentialType == "certificate":
		st.NewCert = &NewCertificate{Credential: graphops.Credential{Type: p.CredentialType, KeyID: p.KeyID, End: p.Expires}}
	case p.KeyID != "" && !saved && !p.Completed:
		// The secret's value died with the process (only the keychain may hold
		// it, and it never got there): make a new one, remove this one later.
		if !slices.Contains(st.Leftovers, p.KeyID) {
			st.OldKeyIDs = append(st.OldKeyIDs, p.KeyID)
			st.Leftovers = append(st.Leftovers, p.KeyID)
		}
		for _, id := range []StepID{StepCredential, StepNewSecret, StepTest, StepSave, StepRemoveOld} {
			delete(e.done, id)
		}
	case p.KeyID == "" && !saved && !p.Completed:
		// No credential recorded (a vendor's certificate is not): upload it
		// again (idempotent) before testing and saving.
		for _, id := range []StepID{StepCredential, StepTest, StepSave} {
			delete(e.done, id)
		}
	case p.KeyID != "" && saved:
		// The keychain has the new secret: keep it, and know its keyId so the
		// old-secret removal leaves it alone.
		st.NewSecret = &graphops.NewSecret{Credential: graphops.Credential{Type: p.CredentialType, KeyID: p.KeyID, Hint: p.Hint, End: p.Expires}}
	}
	// Sign-in never survives a restart, and the reads whose results are not
	// saved (stored settings, the app's current secrets) are done again.
	for _, id := range []StepID{StepSignIn, StepStored, StepFindApp} {
		delete(e.done, id)
	}
	if st.Profile == "" {
		st.Profile = e.profileKey()
	}
	e.applyDefaults()
	e.idx = e.firstFrom(0)
	e.resuming = true
	return nil
}
