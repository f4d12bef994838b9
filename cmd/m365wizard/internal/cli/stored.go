package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"m365wizard/graphops"
	"m365wizard/wizard"
	"m365wizard/wizard/frontend"
	"m365wizard/wizard/validate"
)

// testOut is test's one JSON object, the same fields for every profile.
type testOut struct {
	OK      bool        `json:"ok"`
	Profile string      `json:"profile"`
	Checks  []jsonCheck `json:"checks"`
	Error   *jsonError  `json:"error"`
}

const testUsage = `Test Settings for the stored credentials (or, with --client-id, --tenant and
--secret-stdin, for a secret you give): signs in as the app and calls what the
product will call. An app whose certificate's private key the vendor keeps
(Passly) is checked from your side instead, after you sign in. Nothing is
stored or changed.`

func runTest(ctx context.Context, args []string, io IO) int {
	k := newCmd("test", io, true, testUsage)
	clientID := k.fs.String("client-id", "", "Application (client) ID (default: the stored app)")
	secretStdin := k.fs.Bool("secret-stdin", false, "read the client secret Value from standard input instead of the keychain")
	var mailboxes listFlag
	k.fs.Var(&mailboxes, "mailbox", "the mailbox to test with (default: the stored one)")
	if code, ok := k.parse(args); !ok {
		return code
	}
	if *clientID != "" {
		if err := validate.ClientID(*clientID); err != nil {
			return k.usageError(fmt.Errorf("--client-id: %v", err))
		}
	}
	for _, m := range mailboxes {
		if err := validate.Mailbox(m); err != nil {
			return k.usageError(fmt.Errorf("--mailbox %s: %v", m, err))
		}
	}
	var secret string
	if *secretStdin {
		if *clientID == "" || k.c.tenant == "" {
			return k.usageError(fmt.Errorf("--secret-stdin needs --client-id and --tenant"))
		}
		s, err := k.readSecret()
		if err != nil {
			return k.usageError(err)
		}
		secret = s
	}
	if code, ok := k.openOrExit(); !ok {
		return code
	}
	defer k.close()

	var e *wizard.Engine
	var err error
	if *secretStdin {
		// Enter existing details, stopped before it would store anything.
		st := &wizard.State{Cloud: k.c.cloud, Tenant: k.c.tenant, ClientID: *clientID, SecretInput: secret, Mailboxes: mailboxes}
		if s, code, perr := k.pick(*clientID); perr == nil && code == 0 {
			st.Profile, st.ProfileFile, st.Features, st.Permissions = s.Profile, s.ProfileFile, s.Features, s.Permissions
			if len(st.Mailboxes) == 0 {
				st.Mailboxes = s.Mailboxes
			}
		}
		k.prof, _ = wizard.LoadProfile(st)
		e, err = k.fe.Engine(wizard.FlowEnterExisting, st)
		if err == nil {
			err = k.drive(ctx, e, func(id wizard.StepID) bool { return id == wizard.StepSave })
		}
	} else {
		s, code, perr := k.pick(*clientID)
		if perr != nil {
			if code == ExitUsage {
				return k.usageError(perr)
			}
			return k.endTest(nil, perr)
		}
		st := frontend.StateFor(s)
		st.SignInMethod = k.c.signIn
		if len(mailboxes) > 0 {
			st.Mailboxes = mailboxes
		}
		k.prof, _ = wizard.LoadProfile(st)
		if s.Credential.VendorHeld {
			k.say("%s keeps this app's private key: testing from your side (sign in as an admin who can read apps).", k.product())
		}
		e, err = k.fe.Engine(wizard.FlowTestStored, st)
		if err == nil {
			err = k.drive(ctx, e, nil)
		}
	}
	if e == nil {
		return k.endTest(nil, err)
	}
	return k.endTest(e.State(), err)
}

func (k *cmd) endTest(st *wizard.State, err error) int {
	out := testOut{Checks: []jsonCheck{}, Error: errorJSON(err)}
	if st != nil {
		out.Profile = st.Profile
	}
	if st != nil && st.Test != nil {
		t := testJSON(st.Test)
		out.Checks = t.Checks
	}
	out.OK = err == nil && st != nil && st.Test != nil && st.Test.OK
	code := ExitOK
	if err != nil {
		code = k.fail(err)
	} else if !out.OK {
		code = ExitFail
	}
	if k.c.json {
		k.writeJSON(out)
	}
	return code
}

type rotateOut struct {
	OK            bool            `json:"ok"`
	Credential    *jsonCredential `json:"credential,omitempty"`
	RemovedKeyIDs []string        `json:"removedKeyIds"`
	Test          *jsonTest       `json:"test,omitempty"`
	Error         *jsonError      `json:"error,omitempty"`
}

const rotateUsage = `Replace the stored app's client secret: sign in, create a new secret, test
it, store it in the keychain (only once it tested green) and, with --remove-old,
remove the app's other secrets. With --secret-stdin, store and test a secret you
made in the portal instead (no sign-in).`

func runRotate(ctx context.Context, args []string, io IO) int {
	k := newCmd("rotate-secret", io, true, rotateUsage)
	clientID := k.fs.String("client-id", "", "Application (client) ID (default: the stored app)")
	months := k.fs.Int("secret-months", 12, "how many months the new secret is valid: 6, 12, 18 or 24")
	desc := k.fs.String("secret-description", "", "the new secret's description in Entra ID")
	removeOld := k.fs.Bool("remove-old", false, "remove the app's other secrets once the new one tested green")
	secretStdin := k.fs.Bool("secret-stdin", false, "read a secret made in the portal from standard input instead of creating one")
	if code, ok := k.parse(args); !ok {
		return code
	}
	life, err := lifetimeOf(*months)
	if err != nil {
		return k.usageError(err)
	}
	if *desc != "" {
		if err := validate.SecretDescription(*desc); err != nil {
			return k.usageError(fmt.Errorf("--secret-description: %v", err))
		}
	}
	if *clientID != "" {
		if err := validate.ClientID(*clientID); err != nil {
			return k.usageError(fmt.Errorf("--client-id: %v", err))
		}
	}
	if *secretStdin && *removeOld {
		return k.usageError(fmt.Errorf("--remove-old needs a sign-in, which --secret-stdin skips: remove old secrets in the portal, or rotate without --secret-stdin"))
	}
	var secret string
	if *secretStdin {
		if secret, err = k.readSecret(); err != nil {
			return k.usageError(err)
		}
	}
	if code, ok := k.openOrExit(); !ok {
		return code
	}
	defer k.close()
	s, code, err := k.pick(*clientID)
	if err != nil {
		if code == ExitUsage {
			return k.usageError(err)
		}
		return k.endRotate(nil, err)
	}
	if s.Credential.VendorHeld {
		return k.usageError(fmt.Errorf("the stored app %s signs in with a certificate from its vendor, not a secret: nothing to rotate here. %s",
			s.ClientID, strings.ReplaceAll(renewWords(s), "`", "")))
	}
	if s.Credential.Type == "certificate" {
		return k.usageError(fmt.Errorf("the stored app %s uses a certificate, not a secret: run setup --credential certificate to make a new one", s.ClientID))
	}
	st := frontend.StateFor(s)
	st.SignInMethod, st.SecretLifetime, st.SecretDescription, st.RemoveOld, st.SecretInput = k.c.signIn, life, *desc, *removeOld, secret
	if k.set("cloud") {
		st.Cloud = k.c.cloud
	}
	k.say("Replacing the secret of %q (%s) in %s; it %s.", s.AppDisplayName, s.ClientID, orID(s.TenantName, s.TenantID), expiryWords(s))
	e, err := k.fe.Engine(wizard.FlowReplaceSecret, st)
	if err != nil {
		return k.fail(err)
	}
	// An earlier rotation that made a secret and stopped before the keychain
	// had it carries on, so that secret is removed instead of left behind.
	if prog, ok := k.fe.UnfinishedReplacement(s.ClientID); ok && secret == "" {
		if err := e.Resume(prog); err == nil {
			what := "the secrets it made and never stored (" + strings.Join(e.State().Leftovers, ", ") + ") are removed once the new one tested green"
			if slices.Contains(prog.Done, wizard.StepSave) {
				what = "its new secret is in the keychain; what is left is removing the old ones"
			}
			k.say("Carrying on with the replacement stopped at %q (%s): %s.", prog.Step, prog.Updated.Local().Format("2006-01-02 15:04"), what)
			st.SignInMethod, st.SecretLifetime, st.SecretDescription, st.RemoveOld = k.c.signIn, life, *desc, *removeOld
			if k.set("cloud") {
				st.Cloud = k.c.cloud
			}
		}
	}
	err = k.drive(ctx, e, nil)
	return k.endRotate(e.State(), err)
}

func (k *cmd) endRotate(st *wizard.State, err error) int {
	out := rotateOut{RemovedKeyIDs: []string{}, Error: errorJSON(err)}
	if st != nil {
		out.OK = err == nil && st.Saved
		out.Credential = credentialJSON(st)
		if out.Credential == nil && st.SecretInput != "" && st.Saved {
			out.Credential = &jsonCredential{Type: "secret", Hint: string([]rune(st.SecretInput)[:3])}
		}
		out.Test = testJSON(st.Test)
		out.RemovedKeyIDs = append(out.RemovedKeyIDs, st.RemovedIDs...)
	}
	code := ExitOK
	if err != nil {
		code = k.fail(err)
		if st != nil && st.NewSecret != nil && !st.Saved {
			k.say("The new secret was not stored; the old one is still in the keychain. Run the command again: it carries on, and removes the unstored secret (ID %s) from the app once a new one tested green.", st.NewSecret.KeyID)
		}
	} else if !k.c.json {
		if c := out.Credential; c != nil && c.Expires != nil {
			fmt.Fprintf(k.io.Stdout, "New secret stored; it expires %s.\n", c.Expires.Format("2006-01-02"))
		} else {
			fmt.Fprintln(k.io.Stdout, "New secret stored.")
		}
	}
	if k.c.json {
		k.writeJSON(out)
	}
	return code
}

// renewWords says how to replace a stored credential.
func renewWords(s frontend.Stored) string {
	if s.Credential.VendorHeld {
		product := "the vendor"
		if p, err := wizard.LoadProfile(frontend.StateFor(s)); err == nil {
			product = p.Product
		}
		return fmt.Sprintf("Download the current certificate from %s and run `m365wizard setup --profile %s --certificate-file FILE`.", product, s.Profile)
	}
	return "Run `m365wizard rotate-secret`."
}

func orID(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

func expiryWords(s frontend.Stored) string {
	switch s.Expiry() {
	case frontend.ExpiryExpired:
		return fmt.Sprintf("expired %d days ago", -s.DaysLeft)
	case frontend.ExpiryUnknown:
		return "has no known expiry"
	}
	return fmt.Sprintf("expires in %d days (%s)", s.DaysLeft, s.Credential.Expires.Format("2006-01-02"))
}

type statusOut struct {
	Stored   bool            `json:"stored"`
	TenantID string          `json:"tenantId,omitempty"`
	ClientID string          `json:"clientId,omitempty"`
	AppName  string          `json:"appName,omitempty"`
	Cloud    string          `json:"cloud,omitempty"`
	Profile  string          `json:"profile,omitempty"`
	Cred     *jsonCredential `json:"credential,omitempty"`
	Error    *jsonError      `json:"error,omitempty"`
}

const statusUsage = `What is stored, and when its secret expires. Exit code 0 when the credential
is valid, 1 when it has expired or nothing is stored (for scheduled checks).
Under 30 days left prints a warning.`

func runStatus(ctx context.Context, args []string, io IO) int {
	k := newCmd("status", io, false, statusUsage)
	clientID := k.fs.String("client-id", "", "Application (client) ID (default: the stored app)")
	if code, ok := k.parse(args); !ok {
		return code
	}
	if code, ok := k.openOrExit(); !ok {
		return code
	}
	defer k.close()
	if !k.set("tenant") && *clientID == "" {
		// status with several stored apps reports the most recently saved
		// one and lists the others on stderr.
		list, err := k.fe.Stored()
		if err == nil && len(list) > 1 {
			for _, s := range list[1:] {
				k.say("Also stored: %s %q in %s (%s).", s.ClientID, s.AppDisplayName, orID(s.TenantName, s.TenantID), expiryWords(s))
			}
			return k.endStatus(list[0], nil)
		}
	}
	s, code, err := k.pick(*clientID)
	if err != nil && code == ExitUsage {
		return k.usageError(err)
	}
	return k.endStatus(s, err)
}

func (k *cmd) endStatus(s frontend.Stored, err error) int {
	out := statusOut{Error: errorJSON(err)}
	code := ExitOK
	if err != nil {
		code = k.fail(err)
	} else {
		days := s.DaysLeft
		out = statusOut{Stored: true, TenantID: s.TenantID, ClientID: s.ClientID, AppName: s.AppDisplayName, Cloud: s.Cloud, Profile: s.Profile,
			Cred: &jsonCredential{Type: s.Credential.Type, KeyID: s.Credential.KeyID, Hint: s.Credential.Hint, Thumbprint: s.Credential.Thumbprint,
				VendorHeld: s.Credential.VendorHeld, Expires: timePtr(s.Credential.Expires)}}
		if !s.Credential.Expires.IsZero() {
			out.Cred.DaysLeft = &days
		}
		word := map[string]string{"secret": "Client secret", "certificate": "Certificate"}[s.Credential.Type]
		if !k.c.json {
			fmt.Fprintf(k.io.Stdout, "App:                     %s\nApplication (client) ID: %s\nDirectory (tenant) ID:   %s (%s)\nCloud:                   %s\n%s %s.\n",
				s.AppDisplayName, s.ClientID, s.TenantID, s.TenantName, s.Cloud, strings.TrimSpace(word), expiryWords(s))
			if s.Credential.Thumbprint != "" {
				fmt.Fprintf(k.io.Stdout, "Certificate thumbprint:  %s\n", graphops.GroupedThumbprint(s.Credential.Thumbprint))
			}
		}
		switch s.Expiry() {
		case frontend.ExpiryExpired:
			k.say("The %s has expired: the product cannot sign in. %s", strings.ToLower(word), renewWords(s))
			code = ExitFail
			out.Error = &jsonError{Code: "Expired", Message: "The credential has expired. " + strings.ReplaceAll(renewWords(s), "`", "")}
		case frontend.ExpirySoon:
			k.say("Warning: the %s expires in %d days. %s", strings.ToLower(word), s.DaysLeft, strings.TrimSuffix(renewWords(s), ".")+" before then.")
		}
	}
	if k.c.json {
		k.writeJSON(out)
	}
	return code
}

const forgetUsage = `Delete the stored credentials from the keychain (and the wizard's list). The
app registration in Entra ID stays; delete it in the Entra admin center if it
is no longer needed.`

func runForget(ctx context.Context, args []string, io IO) int {
	k := newCmd("forget", io, false, forgetUsage)
	clientID := k.fs.String("client-id", "", "Application (client) ID (default: the stored app)")
	if code, ok := k.parse(args); !ok {
		return code
	}
	if *clientID != "" {
		if err := validate.ClientID(*clientID); err != nil {
			return k.usageError(fmt.Errorf("--client-id: %v", err))
		}
	}
	if code, ok := k.openOrExit(); !ok {
		return code
	}
	defer k.close()
	s, code, err := k.pick(*clientID)
	if err == nil {
		err = k.fe.Forget(ctx, s.TenantID, s.ClientID)
	} else if code == ExitUsage {
		return k.usageError(err)
	}
	out := map[string]any{"ok": err == nil}
	if err != nil {
		out["error"] = errorJSON(err)
		code = k.fail(err)
	} else {
		out["tenantId"], out["clientId"] = s.TenantID, s.ClientID
		k.say("Deleted the stored credentials of %q (%s) from the keychain. The app registration in Entra ID stays.", s.AppDisplayName, s.ClientID)
		code = ExitOK
	}
	if k.c.json {
		k.writeJSON(out)
	}
	return code
}
