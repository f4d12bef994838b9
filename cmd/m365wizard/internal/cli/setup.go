package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"m365wizard/graphops"
	"m365wizard/graphops/exchange"
	"m365wizard/wizard"
	"m365wizard/wizard/profile"
	"m365wizard/wizard/validate"
)

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, strings.TrimSpace(v))
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// setupJSON is setup's one JSON object. Every profile gives the same fields
// (null when they do not apply): scripts need not know which product it was.
type setupJSON struct {
	OK                 bool            `json:"ok"`
	Profile            string          `json:"profile"`
	TenantID           string          `json:"tenantId"`
	ClientID           string          `json:"clientId"`
	AppObjectID        string          `json:"appObjectId"`
	ServicePrincipalID string          `json:"servicePrincipalId"`
	AppName            string          `json:"appName"`
	Permissions        []jsonGrant     `json:"permissions"`
	Credential         *jsonCredential `json:"credential"`
	Domains            *jsonDomains    `json:"domains"`
	Test               *jsonTest       `json:"test"`
	Stored             bool            `json:"stored"`
	MailboxScoping     *jsonScoping    `json:"mailboxScoping"`
	Error              *jsonError      `json:"error"`
}

// jsonDomains is a domain filter ("*" or names) and the users it covers.
type jsonDomains struct {
	Filter      []string         `json:"filter"`
	Users       *int             `json:"users"`       // null when not counted
	WithoutMail *int             `json:"withoutMail"` // for "*": users without an e-mail address
	PerDomain   []jsonDomainUser `json:"perDomain"`
}

type jsonDomainUser struct {
	Domain   string `json:"domain"`
	Users    int    `json:"users"`
	Verified bool   `json:"verified"`
}

// jsonScoping is the mailbox scoping: the mode, the script to run in
// Exchange Online PowerShell, and what Test Settings found.
type jsonScoping struct {
	Mode         string   `json:"mode"`
	ScriptFile   string   `json:"scriptFile,omitempty"`
	State        string   `json:"state,omitempty"`
	EntraLeftOut []string `json:"entraLeftOut,omitempty"`
}

type jsonGrant struct {
	Name    string `json:"name"`
	Granted bool   `json:"granted"`
}

const setupUsage = `The New setup flow without the window: sign in, register the app, grant its
Microsoft Graph permissions with admin consent, create its client secret (or
certificate), test the settings and store them in the keychain. A re-run finds
what an earlier run made and carries on.`

func runSetup(ctx context.Context, args []string, io IO) int {
	k := newCmd("setup", io, true, setupUsage)
	prof := k.fs.String("profile", profile.HelpMaster, "integration profile: "+profileList())
	profileFile := k.fs.String("profile-file", "", "a profile file of your own (JSON, see docs/profiles.md) instead of --profile")
	features := k.fs.String("features", "", "the profile's features, comma-separated ("+featureList()+"; default: the profile's)")
	permissions := k.fs.String("permissions", "", "--profile custom: Microsoft Graph application permissions, comma-separated (e.g. User.Read.All,Group.Read.All)")
	domains := k.fs.String("domains", "", "where the profile has a domain filter: * (all) or domain names, comma-separated (* wins)")
	appName := k.fs.String("app-name", "", "the app's name in Entra ID (default: the profile's)")
	credential := k.fs.String("credential", "", "secret or certificate (default: the profile's; certificate with --certificate-file uploads the vendor's)")
	certFile := k.fs.String("certificate-file", "", "the certificate the vendor gives you (.cer, .crt or .pem) to upload to the app (Passly)")
	months := k.fs.Int("secret-months", 12, "how many months the secret (or certificate) is valid: 6, 12, 18 or 24")
	desc := k.fs.String("secret-description", "", "the secret's description in Entra ID")
	var mailboxes listFlag
	k.fs.Var(&mailboxes, "mailbox", "a mailbox the product uses (repeat for more); Test Settings uses the first")
	scoping := k.fs.String("scoping", "", "limit the app to those mailboxes: none, access-policy or rbac")
	groupAddress := k.fs.String("group-address", "", "with --scoping: the mail-enabled security group's address (default: <App>App@<your domain>, as in the guide)")
	scriptFile := k.fs.String("script-file", "", "with --scoping: where to save the Exchange Online PowerShell script (default: in the config folder)")
	yes := k.fs.Bool("yes", false, "ask nothing: go ahead with every step")
	if code, ok := k.parse(args); !ok {
		return code
	}

	// Every input is checked before anything is sent.
	p, err := k.loadProfile(*prof, *profileFile)
	if err != nil {
		return k.usageError(err)
	}
	st := &wizard.State{Cloud: k.c.cloud, Tenant: k.c.tenant, SignInMethod: k.c.signIn, Profile: p.Key, ProfileFile: k.profileFile,
		AppName: *appName, SecretDescription: *desc, Mailboxes: mailboxes, Scoping: *scoping}
	if *features != "" {
		st.Features = splitList(*features)
		if err := validate.Features(p, st.Features); err != nil {
			return k.usageError(fmt.Errorf("--features: %v", err))
		}
	}
	if st.Permissions, err = permissionsOf(p, *permissions, k.set("permissions")); err != nil {
		return k.usageError(err)
	}
	if k.set("domains") {
		if !p.DomainFilter.Enabled {
			return k.usageError(fmt.Errorf("--domains: %s has no domain filter", p.Product))
		}
		if st.Domains, err = graphops.NormalizeDomains([]string{*domains}); err != nil {
			return k.usageError(fmt.Errorf("--domains: %v", graphMessage(err)))
		}
	}
	if *appName != "" {
		if err := validate.AppName(*appName); err != nil {
			return k.usageError(fmt.Errorf("--app-name: %v", err))
		}
	}
	if *desc != "" {
		if err := validate.SecretDescription(*desc); err != nil {
			return k.usageError(fmt.Errorf("--secret-description: %v", err))
		}
	}
	if st.CredentialType, st.VendorCertificate, err = k.credentialOf(p, *credential, *certFile); err != nil {
		return k.usageError(err)
	}
	life, err := lifetimeOf(*months)
	if err != nil {
		return k.usageError(err)
	}
	st.SecretLifetime = life
	for _, m := range mailboxes {
		if err := validate.Mailbox(m); err != nil {
			return k.usageError(fmt.Errorf("--mailbox %s: %v", m, err))
		}
	}
	if s := *scoping; s != "" && s != "none" && s != "access-policy" && s != "rbac" {
		return k.usageError(fmt.Errorf("--scoping: %q; use none, access-policy or rbac", s))
	}
	if *scoping != "" && *scoping != "none" && !p.MailboxScoping.Enabled {
		return k.usageError(fmt.Errorf("--scoping: %s does not scope mailbox access", p.Product))
	}
	if *groupAddress != "" {
		if err := validate.Mailbox(*groupAddress); err != nil {
			return k.usageError(fmt.Errorf("--group-address: %v", err))
		}
		st.GroupAddress = *groupAddress
	}
	if *scoping != "" && *scoping != "none" && len(mailboxes) == 0 {
		return k.usageError(fmt.Errorf("--scoping %s needs the mailboxes to allow: give them with --mailbox", *scoping))
	}

	if code, ok := k.openOrExit(); !ok {
		return code
	}
	defer k.close()
	e, err := k.fe.Engine(wizard.FlowNewSetup, st)
	if err != nil {
		return k.fail(err)
	}
	// An interrupted run of the same profile carries on where it stopped, so
	// a secret it made and never stored is found and replaced.
	if prog, ok := k.fe.Unfinished(); ok && prog.Profile == p.Key && prog.ProfileFile == k.profileFile &&
		(k.c.tenant == "" || strings.EqualFold(prog.TenantID, k.c.tenant)) {
		if err := e.Resume(prog); err == nil {
			k.say("Carrying on with the setup stopped at %q (%s).", prog.Step, prog.Updated.Local().Format("2006-01-02 15:04"))
			cred, certData := st.CredentialType, st.VendorCertificate
			k.reapply(st, *appName, *features, *desc, mailboxes, *scoping, cred, life)
			st.VendorCertificate = certData
			if k.set("permissions") {
				st.Permissions, _ = permissionsOf(p, *permissions, true)
			}
			if k.set("domains") {
				st.Domains, _ = graphops.NormalizeDomains([]string{*domains})
			}
			if k.set("group-address") {
				st.GroupAddress = *groupAddress // else the interrupted run's group stays
			}
		}
	}

	var runErr error
	if !*yes {
		// Sign in and read first; ask before the first change.
		runErr = k.drive(ctx, e, func(id wizard.StepID) bool { return id == wizard.StepRegister })
		if runErr == nil && e.Current() == wizard.StepRegister {
			a := e.State().Admin
			q := fmt.Sprintf("Register %q in %s and grant it %s?", e.State().AppName, a.TenantName,
				strings.Join(p.AllAppRoles(e.State().Features, e.State().Permissions), ", "))
			if !k.confirm(q) {
				k.say("Nothing was changed.")
				return k.finishSetup(e, &wizard.ValidationError{Fields: []wizard.FieldError{{Field: "yes", Message: "Not confirmed: answer y, or pass --yes to run without questions."}}})
			}
		}
	}
	if runErr == nil {
		runErr = k.drive(ctx, e, nil)
	}
	k.scriptFile = *scriptFile
	return k.finishSetup(e, runErr)
}

// reapply puts flags given on this run over the resumed choices.
func (k *cmd) reapply(st *wizard.State, appName, features, desc string, mailboxes []string, scoping, credential string, life time.Duration) {
	if k.set("app-name") {
		st.AppName = appName
	}
	if k.set("features") {
		st.Features = splitList(features)
	}
	if k.set("secret-description") {
		st.SecretDescription = desc
	}
	if k.set("mailbox") {
		st.Mailboxes = mailboxes
	}
	if k.set("scoping") {
		st.Scoping = scoping
	}
	st.CredentialType, st.SecretLifetime, st.SignInMethod = credential, life, k.c.signIn
}

func (k *cmd) finishSetup(e *wizard.Engine, runErr error) int {
	st := e.State()
	out := setupJSON{OK: runErr == nil && e.Status() == wizard.Completed, Profile: st.Profile, Stored: st.Saved, Permissions: []jsonGrant{},
		Credential: credentialJSON(st), Domains: domainsJSON(k.prof, st), Test: testJSON(st.Test), Error: errorJSON(runErr)}
	if st.Admin != nil {
		out.TenantID = st.Admin.TenantID
	}
	if a := st.App; a != nil {
		out.ClientID, out.AppObjectID, out.ServicePrincipalID, out.AppName = a.AppID, a.ObjectID, a.ServicePrincipalID, a.DisplayName
	}
	if st.Consent != nil {
		for _, g := range st.Consent.Grants {
			out.Permissions = append(out.Permissions, jsonGrant{Name: g.Permission.Value, Granted: g.Granted})
		}
	}
	out.MailboxScoping = k.saveScript(st)
	code := ExitOK
	if runErr != nil {
		code = k.fail(runErr)
		if e.MadeSomething() {
			k.say("What was made so far is kept; run the same command again to carry on.")
		}
	} else if !k.c.json {
		fmt.Fprintf(k.io.Stdout, "Application (client) ID: %s\nDirectory (tenant) ID:   %s\n", out.ClientID, out.TenantID)
		if c := out.Credential; c != nil && c.Thumbprint != "" {
			// Shown large, in groups of four, to compare with the vendor's screen.
			fmt.Fprintf(k.io.Stdout, "Certificate thumbprint:  %s\n", graphops.GroupedThumbprint(c.Thumbprint))
		}
		if c := out.Credential; c != nil && c.Expires != nil {
			fmt.Fprintf(k.io.Stdout, "%s expires:          %s\n", capitalise(c.Type), c.Expires.Format("2006-01-02"))
		}
		if d := out.Domains; d != nil {
			fmt.Fprintf(k.io.Stdout, "Domains:                 %s\n", strings.Join(d.Filter, ", "))
		}
		if st.NewCert != nil && st.NewCert.Vendor {
			fmt.Fprintf(k.io.Stdout, "Nothing secret to store: %s keeps the certificate's private key. Listed in `m365wizard status`.\n", k.prof.Product)
		} else {
			fmt.Fprintln(k.io.Stdout, "Stored in the keychain.")
		}
		if h := k.prof.Handoff; h.Location != "" {
			fmt.Fprintf(k.io.Stdout, "Next: %s", h.Location)
			var labels []string
			for _, f := range h.Fields {
				labels = append(labels, f.Label)
			}
			if len(labels) > 0 {
				fmt.Fprintf(k.io.Stdout, " (%s)", strings.Join(labels, ", "))
			}
			fmt.Fprintln(k.io.Stdout, ".")
		}
	}
	if k.c.json {
		k.writeJSON(out)
	}
	return code
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// lifetimeOf checks --secret-months against the portal's choices.
func lifetimeOf(months int) (time.Duration, error) {
	if !slices.Contains([]int{6, 12, 18, 24}, months) {
		return 0, fmt.Errorf("--secret-months: %d; the choices are 6, 12, 18 or 24 (Microsoft recommends under 12)", months)
	}
	return validate.Months(months).Duration(), nil
}

// profileList names the built-in profiles for --help, aliases in brackets.
func profileList() string {
	var out []string
	for _, p := range profile.All() {
		n := p.Key
		if len(p.Aliases) > 0 {
			n += " (or " + strings.Join(p.Aliases, ", ") + ")"
		}
		out = append(out, n)
	}
	return strings.Join(out, ", ")
}

// featureList names each profile's feature keys for --help.
func featureList() string {
	var out []string
	for _, p := range profile.All() {
		var keys []string
		for _, f := range p.Features {
			keys = append(keys, f.Key)
		}
		if len(keys) > 0 {
			out = append(out, p.Key+": "+strings.Join(keys, ","))
		}
	}
	return strings.Join(out, "; ")
}

// loadProfile reads --profile (a key or alias) or --profile-file; a bad file
// is bad input, with the file's line and column.
func (k *cmd) loadProfile(key, file string) (*profile.Profile, error) {
	if file != "" {
		if k.set("profile") {
			return nil, fmt.Errorf("--profile and --profile-file: give one of them")
		}
		p, err := profile.LoadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--profile-file: %v", err)
		}
		if abs, err := filepath.Abs(file); err == nil {
			file = abs // the stored app finds it again from another folder
		}
		k.prof, k.profileFile = p, file
		return p, nil
	}
	p, err := profile.Load(key)
	if err != nil {
		return nil, fmt.Errorf("--profile: %q is not a profile; the profiles are %s, or give a file of your own with --profile-file", key, profileList())
	}
	k.prof = p
	return p, nil
}

// permissionsOf checks --permissions: only a custom profile takes it, and it
// needs one there. Names are checked for shape here and against the tenant's
// live list once signed in.
func permissionsOf(p *profile.Profile, list string, given bool) ([]string, error) {
	perms := splitList(list)
	switch {
	case given && !p.Custom():
		return nil, fmt.Errorf("--permissions: %s's permissions come with its features (--features); --permissions is for --profile custom", p.Product)
	case p.Custom() && len(perms) == 0 && len(p.Features) == 0:
		return nil, fmt.Errorf("--profile %s needs --permissions, e.g. --permissions User.Read.All,Group.Read.All", p.Key)
	}
	for _, v := range perms {
		if !permissionRE.MatchString(v) {
			return nil, fmt.Errorf("--permissions: %q is not shaped like a Microsoft Graph application permission (like User.Read.All)", v)
		}
	}
	return perms, nil
}

var permissionRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*(?:\.[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)+$`)

// credentialOf checks --credential and --certificate-file against what the
// profile takes, and reads the certificate file.
func (k *cmd) credentialOf(p *profile.Profile, cred, certFile string) (string, []byte, error) {
	if cred != "" && cred != "secret" && cred != "certificate" {
		return "", nil, fmt.Errorf("--credential: %q; use secret or certificate", cred)
	}
	vendor := p.AllowsCredential(profile.CredentialVendorCertificate)
	if cred == "" {
		switch {
		case certFile != "" || p.Credential.Default == profile.CredentialVendorCertificate:
			cred = "certificate"
		case p.Credential.Default != "":
			cred = string(p.Credential.Default)
		default:
			cred = "secret"
		}
	}
	switch {
	case cred == "secret" && certFile != "":
		return "", nil, fmt.Errorf("--certificate-file goes with --credential certificate")
	case cred == "secret" && !p.AllowsCredential(profile.CredentialSecret):
		return "", nil, fmt.Errorf("--credential secret: %s takes no client secret; upload the certificate %s gives you with --credential certificate --certificate-file PATH", p.Product, p.Product)
	case certFile != "" && !vendor:
		return "", nil, fmt.Errorf("--certificate-file: %s takes no certificate file (use --credential certificate to have the wizard make one)", p.Product)
	case cred == "certificate" && certFile == "" && vendor && !p.AllowsCredential(profile.CredentialCertificate):
		return "", nil, fmt.Errorf("--certificate-file PATH is required: the certificate %s gives you (.cer, .crt or .pem)", p.Product)
	case cred == "certificate" && certFile == "" && !p.AllowsCredential(profile.CredentialCertificate):
		return "", nil, fmt.Errorf("--credential certificate: %s takes a client secret", p.Product)
	}
	if certFile == "" {
		return cred, nil, nil
	}
	f, err := os.Open(certFile)
	if err != nil {
		return "", nil, fmt.Errorf("--certificate-file: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, graphops.MaxCertificateFile+1))
	if err != nil {
		return "", nil, fmt.Errorf("--certificate-file: %v", err)
	}
	if _, err := graphops.ParseVendorCertificate(data, time.Now()); err != nil {
		return "", nil, fmt.Errorf("--certificate-file %s: %v", certFile, graphMessage(err))
	}
	return cred, data, nil
}

// graphMessage is a graphops error's message and next step.
func graphMessage(err error) string {
	if ge, ok := graphops.AsError(err); ok {
		if ge.NextStep != "" {
			return ge.Message + " " + ge.NextStep
		}
		return ge.Message
	}
	return err.Error()
}

// domainsJSON is the domain filter and the preview, or nil for a profile
// without one.
func domainsJSON(p *profile.Profile, st *wizard.State) *jsonDomains {
	if p == nil || !p.DomainFilter.Enabled {
		return nil
	}
	d := &jsonDomains{Filter: append([]string{}, st.Domains...), PerDomain: []jsonDomainUser{}}
	if c := st.DomainCount; c != nil {
		users, without := c.Users, c.WithoutMail
		d.Users = &users
		if c.All {
			d.WithoutMail = &without
		}
		for _, x := range c.Domains {
			d.PerDomain = append(d.PerDomain, jsonDomainUser{Domain: x.Domain, Users: x.Users, Verified: x.Verified})
		}
	}
	return d
}

// saveScript writes the Mailbox access step's PowerShell script (UTF-8 with
// BOM, CRLF: what Windows PowerShell 5.1 and PowerShell 7 both read) and
// says what to do with it.
func (k *cmd) saveScript(st *wizard.State) *jsonScoping {
	plan := st.Mailbox
	if plan == nil {
		return nil
	}
	out := &jsonScoping{Mode: string(plan.Mode), EntraLeftOut: plan.EntraLeftOut}
	if st.Test != nil && st.Test.Scoping != nil {
		out.State = string(st.Test.Scoping.State)
	}
	if plan.Script == "" {
		if plan.Mode == exchange.ModeNone {
			k.say("Warning: no mailbox scoping: the app can read and send as every mailbox in the organisation.")
		}
		return out
	}
	path := k.scriptFile
	if path == "" {
		path = filepath.Join(k.fe.ConfigDir, plan.FileName)
	}
	if err := os.WriteFile(path, plan.PS1(), 0o644); err != nil {
		k.say("Could not save the mailbox scoping script: %v", err)
		return out
	}
	out.ScriptFile = path
	k.say("\nMailbox access (%s): %s", plan.Explanation.Title, plan.Explanation.Summary)
	if plan.Explanation.Warning != "" {
		k.say("Note: %s", plan.Explanation.Warning)
	}
	k.say("Have an Exchange administrator run this script in PowerShell (it signs in with Connect-ExchangeOnline):\n  %s", path)
	k.say("Exchange applies it after 30 minutes to 2 hours; then run `m365wizard test` to verify the scoping.")
	return out
}
