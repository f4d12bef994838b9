package wizard

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"m365wizard/graphops"
	"m365wizard/graphops/exchange"
	"m365wizard/wizard/profile"
	"m365wizard/wizard/validate"
)

// The flows, each an ordered list of steps (issue: New setup mirrors the
// HelpMaster guide; Replace an expired secret; Enter existing details; Test
// stored settings).
var flows = map[FlowKind][]step{
	FlowNewSetup: {
		{id: StepSignIn, title: "Cloud and sign-in", check: checkSignIn, do: doSignIn},
		{id: StepRegister, title: "Register the app", check: checkRegister, do: doRegister},
		{id: StepPermissions, title: "API permissions", check: checkPermissions, do: doPermissions},
		{id: StepConsent, title: "Admin consent", do: doConsent},
		{id: StepCredential, title: "Client secret", titleFor: credentialTitle, check: checkCredential, do: doNewSecret},
		{id: StepDomains, title: "Domains", titleFor: domainsTitle, check: checkDomains, do: doDomains, skip: noDomainFilter},
		{id: StepMailbox, title: "Mailbox access", check: checkMailbox, do: doMailbox, skip: noMailboxStep},
		{id: StepTest, title: "Test Settings", do: doTest},
		{id: StepSave, title: "Save", do: doSave},
		// A secret made by a run that was killed before the keychain had it is
		// removed once its replacement tested green.
		{id: StepRemoveOld, title: "Leftover secret removed", do: doRemoveOld, skip: noLeftovers},
	},
	FlowReplaceSecret: {
		{id: StepStored, title: "Stored settings", check: checkStored, do: doLoadStored},
		{id: StepSignIn, title: "Sign in", check: checkSignIn, do: doSignIn, skip: manualSecret},
		{id: StepFindApp, title: "The app", do: doFindApp, skip: manualSecret},
		{id: StepNewSecret, title: "New client secret", check: checkCredential, do: doNewSecret, skip: manualSecret},
		{id: StepTest, title: "Test Settings", check: checkManualSecret, do: doTest},
		{id: StepSave, title: "Keychain updated", do: doSave},
		{id: StepRemoveOld, title: "Old secret removed", do: doRemoveOld, skip: keepOld},
	},
	FlowEnterExisting: {
		{id: StepDetails, title: "Application and tenant details", check: checkDetails, do: doDetails},
		{id: StepTest, title: "Test Settings", do: doTest},
		{id: StepSave, title: "Apply", do: doSave},
	},
	FlowTestStored: {
		{id: StepStored, title: "Stored settings", check: checkStored, do: doLoadStored},
		// Only an app whose private key the vendor holds needs the admin: the
		// wizard tests it from the admin's side.
		{id: StepSignIn, title: "Sign in", check: checkSignIn, do: doSignIn, skip: notVendorHeld},
		{id: StepTest, title: "Test Settings", do: doTest},
	},
}

// --- predicates --------------------------------------------------------------

func manualSecret(e *Engine) bool { return e.state.SecretInput != "" }

// keepOld skips removing old secrets: the admin keeps them and no secret of
// an interrupted run is left over (a secret typed in needs no sign-in, so
// nothing can be removed then).
func keepOld(e *Engine) bool {
	return (!e.state.RemoveOld && len(e.state.Leftovers) == 0) || e.state.SecretInput != ""
}

func noLeftovers(e *Engine) bool { return len(e.state.OldKeyIDs) == 0 }

func notVendorHeld(e *Engine) bool { return e.state.Stored == nil || !e.state.Stored.VendorHeld }

// noDomainFilter skips Domains for profiles without a domain filter.
func noDomainFilter(e *Engine) bool {
	p, err := e.profile()
	return err == nil && !p.Info().DomainFilter
}

// credentialTitle names the step after what it makes.
func credentialTitle(e *Engine) string {
	if e.state.CredentialType == CredCertificate {
		if e.vendorCertificate() {
			return "Certificate from " + e.productName()
		}
		return "Certificate"
	}
	return "Client secret"
}

func domainsTitle(e *Engine) string {
	if p, err := e.profile(); err == nil && p.Info().DomainLabel != "" {
		return p.Info().DomainLabel
	}
	return "Domains"
}

// noMailboxStep skips Mailbox access for profiles without Exchange scoping.
func noMailboxStep(e *Engine) bool {
	p, err := e.profile()
	return err == nil && !p.MailboxScoping()
}

// --- sign-in -----------------------------------------------------------------

func checkSignIn(e *Engine) []FieldError {
	st := e.state
	var fe []FieldError
	if _, err := e.deps.Cloud(st.Cloud); err != nil {
		fe = append(fe, fieldError("cloud", err))
	}
	if st.Tenant != "" {
		if err := validate.Tenant(st.Tenant); err != nil {
			fe = append(fe, fieldError("tenant", err))
		}
	}
	if m := st.SignInMethod; m != "" && m != "browser" && m != "device-code" {
		fe = append(fe, FieldError{"sign-in", fmt.Sprintf("Sign in with \"browser\" or \"device-code\", not %q.", m)})
	}
	return fe
}

func doSignIn(ctx context.Context, e *Engine) error {
	st := e.state
	cloud, err := e.deps.Cloud(st.Cloud)
	if err != nil {
		return err
	}
	steps := []string{graphops.NeedRegister, graphops.NeedConsent, graphops.NeedSecret, graphops.NeedMailbox}
	if spec, err := e.spec(); err == nil && len(spec.DelegatedScopes) > 0 && e.kind == FlowNewSetup {
		steps = append(steps, graphops.NeedDelegatedConsent)
	}
	if e.kind == FlowReplaceSecret {
		steps = []string{graphops.NeedSecret}
	}
	perms := graphops.ScopesFor(steps...)
	if e.kind == FlowTestStored {
		// Reading the app, its service principal and grants changes nothing.
		perms = []string{graphops.ScopeUserRead, graphops.ScopeApplicationsRead}
	}
	sess, err := e.deps.SignIn(ctx, SignInRequest{Cloud: cloud, Tenant: st.Tenant, Method: st.SignInMethod, Permissions: perms})
	e.record("sign in", st.Tenant, err)
	if err != nil {
		return err
	}
	admin, err := sess.WhoAmI(ctx)
	if err != nil {
		return err
	}
	if st.Stored != nil && !strings.EqualFold(admin.TenantID, st.Stored.TenantID) {
		return &graphops.Error{Kind: graphops.KindSignIn,
			Message:  fmt.Sprintf("You signed in to %s (%s), but the stored app is in tenant %s.", admin.TenantName, admin.TenantID, st.Stored.TenantID),
			NextStep: "Sign in with an account of the tenant the app was set up in."}
	}
	if admin.RegistrationRefused() && e.kind != FlowTestStored {
		// Stop before anything changes. When the tenant setting cannot be
		// read, the account may still register (the default): Entra decides,
		// and the advice shown after sign-in says so.
		return &graphops.Error{Kind: graphops.KindPermission, Message: admin.UPN + " cannot register apps.", NextStep: admin.Advice}
	}
	e.mu.Lock()
	e.session, st.Admin, st.Tenant = sess, admin, admin.TenantID
	e.mu.Unlock()
	return nil
}

// --- new setup ------------------------------------------------------------------

// profileKey is the chosen profile, HelpMaster when none was chosen.
func (e *Engine) profileKey() string {
	if e.state.Profile == "" {
		return "helpmaster"
	}
	return e.state.Profile
}

// profile is the flow's profile: the admin's own file (State.ProfileFile,
// read once per path) or the built-in one the key names.
func (e *Engine) profile() (Profile, error) {
	if path := e.state.ProfileFile; path != "" {
		e.pmu.Lock()
		defer e.pmu.Unlock()
		if e.fileProfile == nil || e.fileProfilePath != path {
			p, err := profile.LoadFile(path)
			if err != nil {
				return nil, err
			}
			e.fileProfile, e.fileProfilePath = ProfileOf(p), path
		}
		return e.fileProfile, nil
	}
	return e.deps.Profile(e.profileKey())
}

func (e *Engine) productName() string {
	if p, err := e.profile(); err == nil && p.Info().Product != "" {
		return p.Info().Product
	}
	return "the vendor"
}

// vendorCertificate reports whether this flow uploads the vendor's
// certificate instead of making a credential.
func (e *Engine) vendorCertificate() bool {
	if e.state.CredentialType != CredCertificate {
		return false
	}
	if len(e.state.VendorCertificate) > 0 {
		return true
	}
	p, err := e.profile()
	return err == nil && slices.Contains(p.Info().Credentials, CredVendorCertificate) && !slices.Contains(p.Info().Credentials, CredCertificate)
}

// applyDefaults fills the choices the admin left empty from the profile (app
// name, features) and the usual secret lifetime. The engine calls it when a
// flow starts and before each step runs, so the checks themselves only read.
func (e *Engine) applyDefaults() {
	st := e.state
	if st.SecretLifetime == 0 {
		st.SecretLifetime = 365 * 24 * time.Hour
	}
	if st.Cloud == "" {
		st.Cloud = "global"
	}
	p, err := e.profile()
	if err != nil {
		return // the step that needs the profile reports it
	}
	st.Profile = p.Key() // an alias or a file's key: the profile's own key is what is saved
	info := p.Info()
	if st.AppName == "" && e.kind == FlowNewSetup {
		st.AppName = p.DefaultAppName()
	}
	if len(st.Features) == 0 {
		st.Features = p.DefaultFeatures()
	}
	if st.CredentialType == "" && e.kind == FlowNewSetup {
		switch info.DefaultCredential {
		case CredCertificate, CredVendorCertificate:
			st.CredentialType = CredCertificate
		case CredSecret:
			st.CredentialType = CredSecret
		}
	}
	if len(st.Domains) == 0 && info.DomainFilter {
		st.Domains = append([]string(nil), info.DefaultDomains...)
	}
}

func checkRegister(e *Engine) []FieldError {
	p, err := e.profile()
	if err != nil {
		return []FieldError{fieldError("profile", err)}
	}
	if info := p.Info(); info.VendorConsent {
		return []FieldError{{"profile", fmt.Sprintf("%s uses its own multi-tenant app (the profile's flow is vendor-consent): "+
			"there is no app to register here. Consent from %s's admin portal, as its guide says.", info.Product, info.Product)}}
	}
	if err := validate.AppName(e.state.AppName); err != nil {
		return []FieldError{fieldError("app-name", err)}
	}
	return nil
}

// spec is the app registration for the admin's choices. With RBAC for
// Applications the Exchange permissions (Mail.*, Calendars.*) are left out, so
// the permission step does not request them and the consent step does not
// grant them (and revokes an earlier grant): Exchange takes the union of Entra
// and RBAC grants, and an Entra grant would open every mailbox.
func (e *Engine) spec() (graphops.AppSpec, error) {
	p, err := e.profile()
	if err != nil {
		return graphops.AppSpec{}, err
	}
	spec := p.AppSpec(e.state.AppName, e.state.Features, e.state.Permissions)
	spec.AppRoles = exchange.EntraKeep(e.scopingMode(), spec.AppRoles)
	return spec, nil
}

// ensurePlan reads the tenant (Graph's permissions, an earlier app, the secret
// policy) once; a resumed run reads it again on first need.
func (e *Engine) ensurePlan(ctx context.Context) (*graphops.Plan, error) {
	if e.state.Plan != nil {
		return e.state.Plan, nil
	}
	spec, err := e.spec()
	if err != nil {
		return nil, err
	}
	plan, err := e.session.Prepare(ctx, spec)
	if err != nil {
		return nil, err
	}
	e.state.Plan = plan
	return plan, nil
}

// doRegister detects an app from an earlier run (reused, never duplicated).
// The app itself is written when the permissions are confirmed, in one request.
func doRegister(ctx context.Context, e *Engine) error {
	e.state.Plan = nil
	_, err := e.ensurePlan(ctx)
	return err
}

func checkPermissions(e *Engine) []FieldError {
	p, err := e.profile()
	if err != nil {
		return []FieldError{fieldError("profile", err)}
	}
	if !p.Info().Custom {
		if len(e.state.Permissions) > 0 {
			return []FieldError{{"permissions", fmt.Sprintf("%s's permissions come with its features; only a custom app takes picked permissions.", p.Info().Product)}}
		}
		if len(e.state.Features) == 0 {
			return []FieldError{{"features", "Choose at least one feature."}}
		}
		return nil
	}
	if len(p.AppSpec("", e.state.Features, e.state.Permissions).AppRoles) == 0 {
		return []FieldError{{"permissions", "Pick at least one Microsoft Graph application permission."}}
	}
	var fe []FieldError
	for _, name := range e.state.Permissions {
		if e.state.Plan != nil && e.state.Plan.Graph != nil {
			if _, ok := e.state.Plan.Graph.Role(name); !ok {
				fe = append(fe, FieldError{"permissions", fmt.Sprintf("Microsoft Graph in this tenant has no application permission named %q; pick one from its list (for example User.Read.All).", name)})
			}
		} else if !permissionShape.MatchString(name) {
			fe = append(fe, FieldError{"permissions", fmt.Sprintf("%q is not shaped like a Microsoft Graph application permission (like User.Read.All).", name)})
		}
	}
	return fe
}

// permissionShape is a Graph permission value: dotted segments (User.Read.All).
var permissionShape = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*(?:\.[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)+$`)

func doPermissions(ctx context.Context, e *Engine) error {
	plan, err := e.ensurePlan(ctx)
	if err != nil {
		return err
	}
	// Picked permissions take the tenant's spelling (user.read.all → User.Read.All).
	for i, name := range e.state.Permissions {
		if r, ok := plan.Graph.Role(name); ok {
			e.state.Permissions[i] = r.Value
		}
	}
	spec, err := e.spec()
	if err != nil {
		return err
	}
	app, err := e.session.EnsureApp(ctx, spec, plan)
	if app != nil {
		if prev := e.state.App; prev != nil && prev.Created && strings.EqualFold(prev.ObjectID, app.ObjectID) {
			app.Created = true // found again, but this setup made it: Cancel still offers to remove it
		}
		e.state.App = app
	}
	object := spec.DisplayName
	if app != nil {
		object = app.AppID
	}
	e.record("register app", object, err)
	return err
}

func doConsent(ctx context.Context, e *Engine) error {
	plan, err := e.ensurePlan(ctx)
	if err != nil {
		return err
	}
	spec, _ := e.spec()
	app := e.state.App
	if e.consentTried || e.resuming {
		// Grants may exist already (an earlier attempt, the browser consent
		// fallback): read them rather than assume a new app has none.
		app = app.WithGrantsRead()
	}
	e.consentTried = true
	rep, err := e.session.GrantAdminConsent(ctx, app, plan, spec.AppRoles, e.state.Admin.TenantName, true)
	e.record("grant admin consent", e.state.App.AppID, err)
	if err != nil {
		return err
	}
	if len(spec.DelegatedScopes) > 0 {
		// The portal's "Grant admin consent" covers the delegated ones too.
		grants, err := e.session.GrantDelegatedConsent(ctx, app, plan, spec.DelegatedScopes, e.state.Admin.TenantName)
		e.record("grant admin consent to delegated permissions", e.state.App.AppID, err)
		if err != nil {
			return err
		}
		rep.Grants = append(rep.Grants, grants...)
	}
	e.state.Consent = rep
	return nil
}

func checkCredential(e *Engine) []FieldError {
	st := e.state
	p, err := e.profile()
	if err != nil {
		return []FieldError{fieldError("profile", err)}
	}
	info := p.Info()
	allowed := info.Credentials
	policy := graphops.SecretPolicy{}
	switch st.CredentialType {
	case "", CredSecret:
		if e.kind == FlowNewSetup && len(allowed) > 0 && !slices.Contains(allowed, CredSecret) {
			return []FieldError{{"credential", fmt.Sprintf("%s does not take a client secret: its credential is %s.", info.Product, credentialWords(allowed, info.Product))}}
		}
		if len(st.VendorCertificate) > 0 {
			return []FieldError{{"certificate-file", "A certificate file goes with the credential \"certificate\", not a secret."}}
		}
		if st.Plan != nil {
			policy = st.Plan.Policy // the tenant's cap applies to secrets
		}
	case CredCertificate:
		vendorOnly := slices.Contains(allowed, CredVendorCertificate) && !slices.Contains(allowed, CredCertificate)
		switch {
		case len(st.VendorCertificate) > 0 && len(allowed) > 0 && !slices.Contains(allowed, CredVendorCertificate):
			return []FieldError{{"certificate-file", fmt.Sprintf("%s does not take a certificate file: its credential is %s.", info.Product, credentialWords(allowed, info.Product))}}
		case len(st.VendorCertificate) > 0:
			if _, err := graphops.ParseVendorCertificate(st.VendorCertificate, e.deps.now()); err != nil {
				return []FieldError{fieldError("certificate-file", err)}
			}
			return nil // the vendor's certificate has its own dates
		case vendorOnly && e.kind == FlowNewSetup:
			return []FieldError{{"certificate-file", fmt.Sprintf("Choose the certificate file %s gives you (.cer, .crt or .pem).", info.Product)}}
		case e.kind == FlowNewSetup && len(allowed) > 0 && !slices.Contains(allowed, CredCertificate):
			return []FieldError{{"credential", fmt.Sprintf("%s does not take a certificate: its credential is %s.", info.Product, credentialWords(allowed, info.Product))}}
		}
	default:
		return []FieldError{{"credential", fmt.Sprintf("The credential is a secret or a certificate, not %q.", st.CredentialType)}}
	}
	if err := graphops.ValidateSecretLifetime(st.SecretLifetime, policy); err != nil {
		return []FieldError{fieldError("secret-lifetime", err)}
	}
	return nil
}

// credentialWords says which credentials a product takes.
func credentialWords(allowed []string, product string) string {
	var w []string
	for _, a := range allowed {
		switch a {
		case CredSecret:
			w = append(w, "a client secret")
		case CredCertificate:
			w = append(w, "a certificate the wizard makes")
		case CredVendorCertificate:
			w = append(w, "the certificate "+product+" gives you (--certificate-file)")
		}
	}
	return strings.Join(w, " or ")
}

func doNewSecret(ctx context.Context, e *Engine) error {
	plan, err := e.ensurePlan(ctx)
	if err != nil {
		return err
	}
	if e.state.CredentialType == CredCertificate && e.kind == FlowNewSetup {
		if len(e.state.VendorCertificate) > 0 {
			return doVendorCertificate(ctx, e)
		}
		return doNewCertificate(ctx, e)
	}
	desc := e.state.SecretDescription
	if desc == "" {
		desc = "M365 Setup Wizard " + e.deps.now().Format("2006-01-02")
	}
	sec, err := e.session.AddSecret(ctx, e.state.App, desc, e.state.SecretLifetime, plan.Policy)
	e.record("add client secret", e.state.App.AppID, err)
	if err != nil {
		return err
	}
	e.forbid(sec.Value)
	e.state.NewSecret = sec
	return nil
}

// doNewCertificate makes a self-signed certificate valid for the chosen
// lifetime and uploads its public part (keeping the app's other keys).
func doNewCertificate(ctx context.Context, e *Engine) error {
	st := e.state
	der, bundle, err := graphops.GenerateCertificate("CN="+st.App.DisplayName, st.SecretLifetime)
	if err != nil {
		return err
	}
	cred, err := e.session.AddCertificate(ctx, st.App.ObjectID, der)
	e.record("add certificate "+graphops.Thumbprint(der), st.App.AppID, err)
	if err != nil {
		return err
	}
	e.forbid(string(bundle))
	st.NewCert = &NewCertificate{Credential: cred, PEM: bundle}
	return nil
}

// doVendorCertificate uploads the certificate the vendor gave (its public
// part only; the vendor keeps the private key), keeping the app's other keys.
// Uploading the same file again changes nothing.
func doVendorCertificate(ctx context.Context, e *Engine) error {
	st := e.state
	vc, err := graphops.ParseVendorCertificate(st.VendorCertificate, e.deps.now())
	if err != nil {
		return err
	}
	cred, err := e.session.AddCertificate(ctx, st.App.ObjectID, vc.DER)
	e.record("upload certificate "+vc.Thumbprint, st.App.AppID, err)
	if err != nil {
		return err
	}
	if cred.Thumbprint == "" {
		cred.Thumbprint = vc.Thumbprint
	}
	if cred.End.IsZero() {
		cred.Start, cred.End = vc.NotBefore, vc.NotAfter
	}
	st.NewCert = &NewCertificate{Credential: cred, Vendor: true,
		PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: vc.DER})}
	return nil
}

// --- domains -----------------------------------------------------------------

func checkDomains(e *Engine) []FieldError {
	if len(e.state.Domains) == 0 {
		return nil // no list: nothing to preview (the vendor may keep it)
	}
	if _, err := graphops.NormalizeDomains(e.state.Domains); err != nil {
		return []FieldError{fieldError("domains", err)}
	}
	return nil
}

// doDomains previews the users the domain filter covers ("*" wins over names).
func doDomains(ctx context.Context, e *Engine) error {
	st := e.state
	st.DomainCount = nil
	if len(st.Domains) == 0 {
		return nil
	}
	c, err := e.PreviewDomains(ctx, st.Domains)
	if err != nil {
		return err
	}
	st.Domains, _ = graphops.NormalizeDomains(st.Domains)
	st.DomainCount = c
	return nil
}

// PreviewDomains counts the users a domain filter covers, as the signed-in
// admin, without changing the state (the Domains screen calls it as the admin
// types). It needs the sign-in step done.
func (e *Engine) PreviewDomains(ctx context.Context, domains []string) (*graphops.DomainCount, error) {
	e.mu.Lock()
	sess, admin := e.session, e.state.Admin
	e.mu.Unlock()
	if sess == nil {
		return nil, &graphops.Error{Kind: graphops.KindSignIn, Message: "Sign in first to count the users."}
	}
	var verified []string
	if admin != nil {
		verified = admin.Domains
	}
	return sess.CountUsersInDomains(ctx, domains, verified)
}

func checkMailbox(e *Engine) []FieldError {
	var fe []FieldError
	for _, m := range e.state.Mailboxes {
		if err := validate.Mailbox(m); err != nil {
			fe = append(fe, fieldError("mailbox", err))
		}
	}
	if s := e.state.Scoping; s != "" && s != "none" && s != "access-policy" && s != "rbac" {
		fe = append(fe, FieldError{"scoping", fmt.Sprintf("Scoping is none, access-policy or rbac, not %q.", s)})
	}
	if e.state.Scoping != "" && e.scopingMode().Scopes() && len(e.state.Mailboxes) == 0 {
		fe = append(fe, FieldError{"mailbox", "Choose at least one mailbox the app may use, or choose no scoping."})
	}
	for _, x := range []struct{ field, v string }{{"group-address", e.state.GroupAddress}, {"outside-mailbox", e.state.OutsideMailbox}} {
		if x.v == "" {
			continue
		}
		if err := validate.Mailbox(x.v); err != nil {
			fe = append(fe, fieldError(x.field, err))
		}
	}
	return fe
}

// --- Test Settings and saving ---------------------------------------------------------

func (e *Engine) credentialForTest() (tenant, clientID string, cred graphops.AppCredential, fresh bool) {
	st := e.state
	tenant = st.Tenant
	if st.App != nil {
		clientID = st.App.AppID
	} else {
		clientID = st.ClientID
	}
	switch {
	case st.NewCert != nil:
		return tenant, clientID, graphops.AppCredential{CertPEM: st.NewCert.PEM}, true
	case st.NewSecret != nil:
		return tenant, clientID, graphops.AppCredential{Secret: st.NewSecret.Value}, true
	case st.SecretInput != "":
		return tenant, clientID, graphops.AppCredential{Secret: st.SecretInput}, false
	case st.Stored != nil:
		return st.Stored.TenantID, st.Stored.ClientID, graphops.AppCredential{Secret: st.Stored.Secret, CertPEM: st.Stored.CertPEM}, false
	}
	return tenant, clientID, graphops.AppCredential{}, false
}

func doTest(ctx context.Context, e *Engine) error {
	st := e.state
	if (st.NewCert != nil && st.NewCert.Vendor) || (st.NewCert == nil && st.Stored != nil && st.Stored.VendorHeld) {
		return doTestFromAdminSide(ctx, e)
	}
	tenant, clientID, cred, fresh := e.credentialForTest()
	if cred.Secret != "" {
		e.forbid(cred.Secret)
	}
	if cred.Secret == "" && len(cred.CertPEM) == 0 {
		return &graphops.Error{Kind: graphops.KindInput, Message: "There is no secret to test.", NextStep: "Create a new client secret."}
	}
	cloud, err := e.deps.Cloud(st.Cloud)
	if err != nil {
		return err
	}
	p, err := e.profile()
	if err != nil {
		return err
	}
	spec, err := e.spec()
	if err != nil {
		return err
	}
	o := graphops.TestOptions{Cloud: cloud, TenantID: tenant, ClientID: clientID, Credential: cred,
		Expect: spec.AppRoles, Probes: p.Probes(st.Features, st.Permissions), SendTo: st.SendTestTo,
		Fresh: fresh || st.Consent != nil, Patience: e.deps.TestPatience}
	if len(st.Mailboxes) > 0 {
		o.Mailbox = st.Mailboxes[0]
	}
	if mode := e.scopingMode(); mode != "" {
		// Mailbox scoping is verified as the app; "not active yet" is a pending
		// check that leaves the report OK (graphops/scoping.go).
		o.Scoping = &graphops.ScopingOptions{Mode: mode, Mailboxes: st.Mailboxes, Outside: st.OutsideMailbox,
			Permissions: exchange.Scoped(e.profileAppRoles())}
	}
	rep, err := e.deps.TestSettings(ctx, o)
	e.record("test settings", clientID, err)
	if err != nil {
		return err
	}
	return e.testResult(rep)
}

// doTestFromAdminSide tests an app whose private key the vendor holds: the
// wizard cannot sign in as it, so the signed-in admin checks what the
// vendor's sign-in depends on (graphops.CheckFromAdminSide).
func doTestFromAdminSide(ctx context.Context, e *Engine) error {
	st := e.state
	if e.session == nil {
		return &graphops.Error{Kind: graphops.KindSignIn, Message: "Sign in to test from your side: the vendor keeps the certificate's private key."}
	}
	p, err := e.profile()
	if err != nil {
		return err
	}
	spec, err := e.spec()
	if err != nil {
		return err
	}
	o := graphops.AdminCheckOptions{Expect: spec.AppRoles, Product: p.Info().Product, TestButton: p.Info().TestButton,
		Fresh: st.Consent != nil, Patience: e.deps.TestPatience}
	switch {
	case st.App != nil:
		o.ClientID = st.App.AppID
	case st.Stored != nil:
		o.ClientID = st.Stored.ClientID
	default:
		o.ClientID = st.ClientID
	}
	switch {
	case st.NewCert != nil:
		o.Thumbprint = st.NewCert.Thumbprint
	case st.Stored != nil:
		o.Thumbprint = st.Stored.Thumbprint
	}
	if st.Admin != nil {
		o.Organization = st.Admin.TenantName
	}
	rep, err := e.session.CheckFromAdminSide(ctx, o)
	e.record("test settings from the admin's side", o.ClientID, err)
	if err != nil {
		return err
	}
	return e.testResult(rep)
}

// testResult keeps the report and fails the step when a check failed.
func (e *Engine) testResult(rep *graphops.TestReport) error {
	st := e.state
	st.Test = rep
	if !rep.OK {
		var lines []string
		for _, c := range rep.Checks {
			if !c.OK {
				lines = append(lines, c.Name+": "+c.Message)
			}
		}
		return &graphops.Error{Kind: graphops.KindNotReady, Message: "Test Settings failed: " + strings.Join(lines, "; "),
			NextStep: "Fix what the failed checks say, then test again. Nothing was stored."}
	}
	return nil
}

// doSave stores the tested credential in the keychain. Only a credential that
// just tested green gets here, so a replaced secret is swapped only then.
func doSave(ctx context.Context, e *Engine) error {
	st := e.state
	tenant, clientID, cred, _ := e.credentialForTest()
	if st.Test == nil || !st.Test.OK {
		return &graphops.Error{Kind: graphops.KindInput, Message: "Test Settings has not passed; nothing is stored."}
	}
	c := StoredCredential{TenantID: tenant, ClientID: clientID, Type: "secret", Secret: cred.Secret, CertPEM: cred.CertPEM}
	if len(cred.CertPEM) > 0 {
		c.Type = "certificate"
	}
	if st.NewCert != nil && st.NewCert.Vendor {
		// Nothing secret: the public certificate and its facts, for the list.
		c.Type, c.VendorHeld, c.CertPEM, c.Secret = "certificate", true, st.NewCert.PEM, ""
		c.KeyID, c.Expires, c.Thumbprint = st.NewCert.KeyID, st.NewCert.End, st.NewCert.Thumbprint
	} else if st.NewCert != nil {
		c.KeyID, c.Expires, c.Thumbprint = st.NewCert.KeyID, st.NewCert.End, st.NewCert.Thumbprint
	} else if st.NewSecret != nil {
		c.KeyID, c.Expires, c.Hint = st.NewSecret.KeyID, st.NewSecret.End, st.NewSecret.Hint
	} else if st.Stored != nil && cred.Secret == st.Stored.Secret {
		c.KeyID, c.Expires, c.Hint = st.Stored.KeyID, st.Stored.Expires, st.Stored.Hint
	} else if cred.Secret != "" {
		c.Hint = hintOf(cred.Secret)
	}
	c.Cloud, c.Profile, c.Features, c.Mailboxes, c.Scoping = st.Cloud, st.Profile, st.Features, st.Mailboxes, st.Scoping
	c.ProfileFile, c.Permissions, c.Domains = st.ProfileFile, st.Permissions, st.Domains
	if st.Mailbox != nil && st.Mailbox.Mode != "" {
		c.Scoping = string(st.Mailbox.Mode) // the mode in force, so a later test verifies it
	}
	if st.Admin != nil {
		c.TenantName = st.Admin.TenantName
	}
	if st.App != nil {
		c.AppName, c.AppObjectID, c.ServicePrincipalID = st.App.DisplayName, st.App.ObjectID, st.App.ServicePrincipalID
	}
	err := e.deps.Store.Save(ctx, c)
	e.record("store credentials in the keychain", clientID, err)
	if err != nil {
		return err
	}
	st.Saved = true
	return nil
}

// hintOf is what Entra ID shows of a secret: its first three characters.
func hintOf(secret string) string {
	r := []rune(secret)
	return string(r[:min(3, len(r))])
}

// --- replace an expired secret ------------------------------------------------------

func checkStored(e *Engine) []FieldError {
	st := e.state
	if st.ClientID == "" || st.Tenant == "" {
		return []FieldError{{"stored", "No stored settings to work on: run New setup or Enter existing details first."}}
	}
	return nil
}

func doLoadStored(ctx context.Context, e *Engine) error {
	st := e.state
	c, err := e.deps.Store.Load(ctx, st.Tenant, st.ClientID)
	if err != nil {
		if err == ErrNotStored {
			if e.kind == FlowReplaceSecret {
				// The keychain lost it (or never had it): a new secret fixes that too.
				st.Stored = &StoredCredential{TenantID: st.Tenant, ClientID: st.ClientID}
				return nil
			}
			return &graphops.Error{Kind: graphops.KindNotFound, Message: "The keychain has no secret for this app.",
				NextStep: "Choose \"Replace an expired secret\" or \"Enter existing details\"."}
		}
		return err
	}
	if c.VendorHeld && e.kind == FlowReplaceSecret {
		return &graphops.Error{Kind: graphops.KindInput, Message: "This app signs in with a certificate from the vendor, not a client secret: there is no secret to replace.",
			NextStep: "When the vendor's certificate changes, run New setup with the new certificate file: it is uploaded next to the old one."}
	}
	st.Stored = &c
	return nil
}

func doFindApp(ctx context.Context, e *Engine) error {
	app, err := e.session.FindApp(ctx, e.state.Stored.ClientID)
	if err != nil {
		return err
	}
	e.state.App = app
	// What the app has now: a leftover of an interrupted run that someone
	// already removed in the portal is not removed again.
	var onApp []string
	for _, p := range app.Passwords {
		onApp = append(onApp, p.KeyID)
	}
	e.state.OldKeyIDs = onApp
	e.state.Leftovers = slices.DeleteFunc(e.state.Leftovers, func(id string) bool { return !slices.Contains(onApp, id) })
	return nil
}

func checkManualSecret(e *Engine) []FieldError {
	if e.state.SecretInput == "" {
		return nil
	}
	if err := validate.Secret(e.state.SecretInput); err != nil {
		return []FieldError{fieldError("secret", err)}
	}
	return nil
}

// SecretsToRemove lists the key IDs the remove step takes off the app: the
// secrets it had before this run (when the admin chose to remove them) and
// those of interrupted runs whose values were lost; never the new one.
func (e *Engine) SecretsToRemove() []string {
	st := e.state
	var out []string
	for _, id := range st.OldKeyIDs {
		if (st.NewSecret != nil && id == st.NewSecret.KeyID) || slices.Contains(st.RemovedIDs, id) {
			continue
		}
		if e.kind == FlowReplaceSecret && !st.RemoveOld && !slices.Contains(st.Leftovers, id) {
			continue // the admin keeps the app's other secrets
		}
		out = append(out, id)
	}
	return out
}

// doRemoveOld removes the secrets the app had before this run, only now that
// the new one tested green and is in the keychain.
func doRemoveOld(ctx context.Context, e *Engine) error {
	st := e.state
	if st.App == nil || st.NewSecret == nil {
		return nil
	}
	for _, id := range e.SecretsToRemove() {
		err := e.session.RemoveSecret(ctx, st.App.ObjectID, id)
		e.record("remove old client secret", id, err)
		if err != nil {
			return err
		}
		st.RemovedIDs = append(st.RemovedIDs, id)
	}
	return nil
}

// --- enter existing details --------------------------------------------------------

func checkDetails(e *Engine) []FieldError {
	st := e.state
	var fe []FieldError
	if err := validate.ClientID(st.ClientID); err != nil {
		fe = append(fe, fieldError("client-id", err))
	}
	if err := validate.Tenant(st.Tenant); err != nil {
		fe = append(fe, fieldError("tenant", err))
	}
	if err := validate.Secret(st.SecretInput); err != nil {
		fe = append(fe, fieldError("secret", err))
	}
	return fe
}

func doDetails(context.Context, *Engine) error { return nil }

// --- helpers -------------------------------------------------------------------

func fieldError(field string, err error) FieldError {
	var ve *validate.Error
	if errors.As(err, &ve) {
		msg := ve.Message
		if ve.NextStep != "" {
			msg += " " + ve.NextStep
		}
		return FieldError{Field: ve.Field, Message: msg}
	}
	if ge, ok := graphops.AsError(err); ok {
		msg := ge.Message
		if ge.NextStep != "" {
			msg += " " + ge.NextStep
		}
		if ge.Field != "" {
			field = ge.Field
		}
		return FieldError{Field: field, Message: msg}
	}
	return FieldError{Field: field, Message: err.Error()}
}
