package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

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

type setupJSON struct {
	OK                 bool            `json:"ok"`
	TenantID           string          `json:"tenantId,omitempty"`
	ClientID           string          `json:"clientId,omitempty"`
	AppObjectID        string          `json:"appObjectId,omitempty"`
	ServicePrincipalID string          `json:"servicePrincipalId,omitempty"`
	AppName            string          `json:"appName,omitempty"`
	Permissions        []jsonGrant     `json:"permissions"`
	Credential         *jsonCredential `json:"credential,omitempty"`
	Test               *jsonTest       `json:"test,omitempty"`
	Stored             bool            `json:"stored"`
	MailboxScoping     *jsonScoping    `json:"mailboxScoping,omitempty"`
	Error              *jsonError      `json:"error,omitempty"`
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
	prof := k.fs.String("profile", "helpmaster", "integration profile: "+strings.Join(profileKeys(), ", "))
	features := k.fs.String("features", "", "the profile's features, comma-separated (HelpMaster: users,send,mailbox,calendar; default users,send)")
	appName := k.fs.String("app-name", "", "the app's name in Entra ID (default: the profile's)")
	credential := k.fs.String("credential", "secret", "secret or certificate")
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
	p, err := profile.Load(*prof)
	if err != nil {
		return k.usageError(fmt.Errorf("--profile: %v (profiles: %s)", err, strings.Join(profileKeys(), ", ")))
	}
	st := &wizard.State{Cloud: k.c.cloud, Tenant: k.c.tenant, SignInMethod: k.c.signIn, Profile: p.Key,
		AppName: *appName, SecretDescription: *desc, Mailboxes: mailboxes, Scoping: *scoping, CredentialType: *credential}
	if *features != "" {
		st.Features = splitList(*features)
		if err := validate.Features(p, st.Features); err != nil {
			return k.usageError(fmt.Errorf("--features: %v", err))
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
	if *credential != "secret" && *credential != "certificate" {
		return k.usageError(fmt.Errorf("--credential: %q; use secret or certificate", *credential))
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
	if prog, ok := k.fe.Unfinished(); ok && prog.Profile == p.Key && (k.c.tenant == "" || strings.EqualFold(prog.TenantID, k.c.tenant)) {
		if err := e.Resume(prog); err == nil {
			k.say("Carrying on with the setup stopped at %q (%s).", prog.Step, prog.Updated.Local().Format("2006-01-02 15:04"))
			k.reapply(st, *appName, *features, *desc, mailboxes, *scoping, *credential, life)
		}
	}

	var runErr error
	if !*yes {
		// Sign in and read first; ask before the first change.
		runErr = k.drive(ctx, e, func(id wizard.StepID) bool { return id == wizard.StepRegister })
		if runErr == nil && e.Current() == wizard.StepRegister {
			a := e.State().Admin
			q := fmt.Sprintf("Register %q in %s and grant it %s?", e.State().AppName, a.TenantName, strings.Join(p.AppRoles(e.State().Features), ", "))
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
	out := setupJSON{OK: runErr == nil && e.Status() == wizard.Completed, Stored: st.Saved, Permissions: []jsonGrant{},
		Credential: credentialJSON(st), Test: testJSON(st.Test), Error: errorJSON(runErr)}
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
		if c := out.Credential; c != nil && c.Expires != nil {
			fmt.Fprintf(k.io.Stdout, "%s expires:          %s\n", capitalise(c.Type), c.Expires.Format("2006-01-02"))
		}
		fmt.Fprintln(k.io.Stdout, "Stored in the keychain.")
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

func profileKeys() []string {
	var keys []string
	for _, p := range profile.All() {
		keys = append(keys, p.Key)
	}
	return keys
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
