package wizard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"m365wizard/graphops"
	"m365wizard/graphops/exchange"
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
		{id: StepCredential, title: "Client secret", check: checkCredential, do: doNewSecret},
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
		{id: StepTest, title: "Test Settings", do: doTest},
	},
}

// --- predicates --------------------------------------------------------------

func manualSecret(e *Engine) bool { return e.state.SecretInput != "" }

func keepOld(e *Engine) bool { return !e.state.RemoveOld || e.state.SecretInput != "" }

func noLeftovers(e *Engine) bool { return len(e.state.OldKeyIDs) == 0 }

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
	if e.kind == FlowReplaceSecret {
		steps = []string{graphops.NeedSecret}
	}
	sess, err := e.deps.SignIn(ctx, SignInRequest{Cloud: cloud, Tenant: st.Tenant, Method: st.SignInMethod, Permissions: graphops.ScopesFor(steps...)})
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
	if !admin.CanRegisterApps {
		// Stop before anything changes.
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

func (e *Engine) profile() (Profile, error) { return e.deps.Profile(e.profileKey()) }

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
	if st.AppName == "" && e.kind == FlowNewSetup {
		st.AppName = p.DefaultAppName()
	}
	if len(st.Features) == 0 {
		st.Features = p.DefaultFeatures()
	}
}

func checkRegister(e *Engine) []FieldError {
	if _, err := e.deps.Profile(e.profileKey()); err != nil {
		return []FieldError{fieldError("profile", err)}
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
	spec := p.AppSpec(e.state.AppName, e.state.Features)
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
	if len(e.state.Features) == 0 {
		return []FieldError{{"features", "Choose at least one feature."}}
	}
	return nil
}

func doPermissions(ctx context.Context, e *Engine) error {
	plan, err := e.ensurePlan(ctx)
	if err != nil {
		return err
	}
	spec, err := e.spec()
	if err != nil {
		return err
	}
	app, err := e.session.EnsureApp(ctx, spec, plan)
	if app != nil {
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
	rep, err := e.session.GrantAdminConsent(ctx, e.state.App, plan, spec.AppRoles, e.state.Admin.TenantName, true)
	e.record("grant admin consent", e.state.App.AppID, err)
	if err != nil {
		return err
	}
	e.state.Consent = rep
	return nil
}

func checkCredential(e *Engine) []FieldError {
	policy := graphops.SecretPolicy{}
	switch e.state.CredentialType {
	case "", "secret":
		if e.state.Plan != nil {
			policy = e.state.Plan.Policy // the tenant's cap applies to secrets
		}
	case "certificate":
	default:
		return []FieldError{{"credential", fmt.Sprintf("The credential is a secret or a certificate, not %q.", e.state.CredentialType)}}
	}
	if err := graphops.ValidateSecretLifetime(e.state.SecretLifetime, policy); err != nil {
		return []FieldError{fieldError("secret-lifetime", err)}
	}
	return nil
}

func doNewSecret(ctx context.Context, e *Engine) error {
	plan, err := e.ensurePlan(ctx)
	if err != nil {
		return err
	}
	if e.state.CredentialType == "certificate" && e.kind == FlowNewSetup {
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
		Expect: spec.AppRoles, Probes: p.Probes(st.Features), SendTo: st.SendTestTo,
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
	if st.NewCert != nil {
		c.KeyID, c.Expires, c.Thumbprint = st.NewCert.KeyID, st.NewCert.End, st.NewCert.Thumbprint
	} else if st.NewSecret != nil {
		c.KeyID, c.Expires, c.Hint = st.NewSecret.KeyID, st.NewSecret.End, st.NewSecret.Hint
	} else if st.Stored != nil && cred.Secret == st.Stored.Secret {
		c.KeyID, c.Expires, c.Hint = st.Stored.KeyID, st.Stored.Expires, st.Stored.Hint
	} else if cred.Secret != "" {
		c.Hint = hintOf(cred.Secret)
	}
	c.Cloud, c.Profile, c.Features, c.Mailboxes, c.Scoping = st.Cloud, st.Profile, st.Features, st.Mailboxes, st.Scoping
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
	st.Stored = &c
	return nil
}

func doFindApp(ctx context.Context, e *Engine) error {
	app, err := e.session.FindApp(ctx, e.state.Stored.ClientID)
	if err != nil {
		return err
	}
	e.state.App = app
	for _, p := range app.Passwords {
		if !slices.Contains(e.state.OldKeyIDs, p.KeyID) {
			e.state.OldKeyIDs = append(e.state.OldKeyIDs, p.KeyID)
		}
	}
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

// doRemoveOld removes the secrets the app had before this run, only now that
// the new one tested green and is in the keychain.
func doRemoveOld(ctx context.Context, e *Engine) error {
	st := e.state
	if st.App == nil || st.NewSecret == nil {
		return nil
	}
	for _, id := range st.OldKeyIDs {
		if id == st.NewSecret.KeyID || slices.Contains(st.RemovedIDs, id) {
			continue
		}
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
