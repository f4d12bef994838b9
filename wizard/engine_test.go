package wizard

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"m365wizard/graphops"
)

func mustNew(t *testing.T, kind FlowKind, w *world, st *State) *Engine {
	t.Helper()
	e, err := New(kind, w.deps(), st)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// walk presses Next until the flow ends, failing the test on an error.
func walk(t *testing.T, e *Engine) []StepID {
	t.Helper()
	var seen []StepID
	for i := 0; e.Status() != Completed; i++ {
		if i > 20 {
			t.Fatal("flow does not end")
		}
		seen = append(seen, e.Current())
		if err := e.Next(context.Background()); err != nil {
			t.Fatalf("step %s: %v", e.Current(), err)
		}
	}
	return seen
}

func TestNewSetupWalksTheGuideAndStoresTheTestedSecret(t *testing.T) {
	w := newWorld()
	e := mustNew(t, FlowNewSetup, w, &State{Mailboxes: []string{"helpdesk@contoso.com"}})
	seen := walk(t, e)
	want := "sign-in register permissions consent credential mailbox test save"
	if got := joinSteps(seen); got != want {
		t.Fatalf("steps %q, want %q", got, want)
	}
	st := e.State()
	c, err := w.store.Load(context.Background(), testTenant, testClient)
	if err != nil || c.Secret != st.NewSecret.Value || c.KeyID != st.NewSecret.KeyID || c.Type != "secret" {
		t.Fatalf("keychain = %+v, %v", c, err)
	}
	if !w.progress.p.Completed || w.progress.p.ClientID != testClient || w.progress.p.KeyID != st.NewSecret.KeyID {
		t.Fatalf("progress = %+v", w.progress.p)
	}
	if strings.Contains(w.log.text(), st.NewSecret.Value) {
		t.Fatal("the activity log holds the secret")
	}
	if w.tests[0].Mailbox != "helpdesk@contoso.com" || !w.tests[0].Fresh || strings.Join(w.tests[0].Expect, ",") != "User.Read.All,Mail.Send" {
		t.Fatalf("Test Settings ran with %+v", w.tests[0])
	}
	for _, v := range e.Steps() {
		if !v.Done && !v.Skipped {
			t.Fatalf("step %s not done at the end", v.ID)
		}
	}
}

func joinSteps(s []StepID) string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return strings.Join(out, " ")
}

func TestNextIsRefusedWhileTheStepHasErrors(t *testing.T) {
	w := newWorld()
	e := mustNew(t, FlowNewSetup, w, &State{Tenant: "not a tenant", Cloud: "mars"})
	err := e.Next(context.Background())
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 {
		t.Fatalf("Next with bad tenant and cloud: %v", err)
	}
	if w.signIns != 0 || e.Current() != StepSignIn || e.Status() != Running {
		t.Fatalf("something ran: sign-ins %d, step %s, status %s", w.signIns, e.Current(), e.Status())
	}
	e.State().Tenant, e.State().Cloud = "contoso.com", "global"
	if err := e.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.State().AppName = " HelpMaster"
	if err := e.Next(context.Background()); !errors.As(err, &ve) || ve.Fields[0].Field != "app-name" {
		t.Fatalf("bad app name: %v", err)
	}
	if w.sess.count("Prepare") != 0 {
		t.Fatal("Prepare ran for a refused step")
	}
}

// An account known not to be allowed to register apps (no role that may,
// and the tenant says users may not) stops the flow before any change. When
// the tenant setting cannot be read, Entra decides: the flow goes on.
func TestAccountWithoutRolesStopsBeforeChanges(t *testing.T) {
	no := false
	w := newWorld()
	w.sess.WhoAmIFn = func() (*graphops.Admin, error) {
		return &graphops.Admin{UPN: "user@contoso.com", TenantID: testTenant, UsersCanRegisterApps: &no, Advice: "sign in as a Global Administrator"}, nil
	}
	e := mustNew(t, FlowNewSetup, w, nil)
	err := e.Next(context.Background())
	if e.Status() != Failed || graphops.KindOf(err) != graphops.KindPermission || !strings.Contains(err.Error(), "cannot register apps") {
		t.Fatalf("status %s, err %v", e.Status(), err)
	}
	if w.sess.count("Prepare")+w.sess.count("EnsureApp") != 0 {
		t.Fatal("the flow touched the tenant")
	}

	w = newWorld()
	w.sess.WhoAmIFn = func() (*graphops.Admin, error) {
		return &graphops.Admin{UPN: "user@contoso.com", TenantID: testTenant, Advice: "it can register the app only if the tenant lets users"}, nil
	}
	e = mustNew(t, FlowNewSetup, w, nil)
	if err := e.Next(context.Background()); err != nil || e.Current() != StepRegister {
		t.Fatalf("setting unknown: %v, at %s", err, e.Current())
	}
}

// A failure at each step leaves the engine Failed on that step with the
// reason; Next retries it; and a new engine resumed from the saved progress
// completes with exactly one app.
func TestFailureAtEachStepThenRetryAndResume(t *testing.T) {
	boom := &graphops.Error{Kind: graphops.KindUnavailable, Message: "Microsoft Graph could not be reached."}
	steps := []StepID{StepSignIn, StepRegister, StepPermissions, StepConsent, StepCredential, StepTest, StepSave}
	for _, failAt := range steps {
		t.Run(string(failAt), func(t *testing.T) {
			w := newWorld()
			failing := true
			fail := func() error {
				if failing {
					failing = false
					return boom
				}
				return nil
			}
			switch failAt {
			case StepSignIn:
				w.signInFn = fail
			case StepRegister:
				w.sess.PrepareFn = func(spec graphops.AppSpec) (*graphops.Plan, error) {
					if err := fail(); err != nil {
						return nil, err
					}
					return &graphops.Plan{Graph: &graphops.GraphPermissions{}}, nil
				}
			case StepPermissions:
				orig := w.sess
				w.sess.EnsureFn = func(spec graphops.AppSpec) (*graphops.App, error) {
					if err := fail(); err != nil {
						return nil, err
					}
					orig.EnsureFn = nil
					return orig.EnsureApp(context.Background(), spec, nil)
				}
			case StepConsent:
				w.sess.ConsentFn = func(want []string) (*graphops.ConsentReport, error) { return &graphops.ConsentReport{}, fail() }
			case StepCredential:
				orig := w.sess
				w.sess.SecretFn = func(lt time.Duration) (*graphops.NewSecret, error) {
					if err := fail(); err != nil {
						return nil, err
					}
					orig.SecretFn = nil
					return orig.AddSecret(context.Background(), nil, "", lt, graphops.SecretPolicy{})
				}
			case StepTest:
				w.testFn = func(graphops.TestOptions) (*graphops.TestReport, error) {
					if fail() != nil {
						return &graphops.TestReport{OK: false, Checks: []graphops.Check{{Name: "Sign in as the app", Message: "AADSTS7000215"}}}, nil
					}
					return &graphops.TestReport{OK: true}, nil
				}
			case StepSave:
				w.store.saveErr = boom
			}
			e := mustNew(t, FlowNewSetup, w, &State{Mailboxes: []string{"helpdesk@contoso.com"}})
			var err error
			for e.Current() != failAt {
				if err = e.Next(context.Background()); err != nil {
					t.Fatalf("before %s: %v", failAt, err)
				}
			}
			err = e.Next(context.Background())
			if err == nil || e.Status() != Failed || e.Current() != failAt || e.Failure() == nil {
				t.Fatalf("after failing at %s: err %v, status %s, step %s", failAt, err, e.Status(), e.Current())
			}
			if _, stored := w.store.Load(context.Background(), testTenant, testClient); stored == nil {
				t.Fatal("something was stored although the flow failed")
			}

			// Resume in a new engine, as a new process would, from the saved progress.
			w.store.saveErr = nil
			p, found, _ := w.progress.Load()
			e2 := mustNew(t, FlowNewSetup, w, nil)
			if found {
				if err := e2.Resume(p); err != nil {
					t.Fatal(err)
				}
			}
			walk(t, e2)
			if n := len(w.sess.created); n != 1 {
				t.Fatalf("%d apps after a failure at %s and a resume", n, failAt)
			}
			if c, err := w.store.Load(context.Background(), testTenant, testClient); err != nil || c.Secret == "" {
				t.Fatalf("nothing stored after resume: %v", err)
			}
		})
	}
}

// A secret created before a stop has no value after a restart (it was never
// written anywhere but memory): the resumed flow makes a new one and removes
// the orphan after the new one tested green.
func TestResumeAfterSecretCreatedReplacesTheLostSecret(t *testing.T) {
	w := newWorld()
	e := mustNew(t, FlowNewSetup, w, &State{Mailboxes: []string{"helpdesk@contoso.com"}})
	for e.Current() != StepMailbox {
		if err := e.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	lost := e.State().NewSecret.KeyID
	p, _, _ := w.progress.Load()
	if p.KeyID != lost {
		t.Fatalf("progress keyId %q, want %q", p.KeyID, lost)
	}
	e2 := mustNew(t, FlowNewSetup, w, nil)
	if err := e2.Resume(p); err != nil {
		t.Fatal(err)
	}
	seen := walk(t, e2)
	if got := joinSteps(seen); got != "sign-in credential mailbox test save remove-old" {
		t.Fatalf("resumed steps %q", got)
	}
	if w.sess.count("RemoveSecret:"+lost) != 1 || w.sess.count("AddSecret") != 2 {
		t.Fatalf("calls %v", w.sess.calls)
	}
}

// Replace an expired secret: the old secret is removed only after the new
// one tested green and is in the keychain; a red test changes nothing.
func TestReplaceSecretSwapsOnlyAfterGreen(t *testing.T) {
	w := newWorld()
	_ = w.store.Save(context.Background(), StoredCredential{TenantID: testTenant, ClientID: testClient, Type: "secret", Secret: "old-secret-value-xxxxxxxx", KeyID: "old-key"})
	red := true
	w.testFn = func(o graphops.TestOptions) (*graphops.TestReport, error) {
		if red {
			return &graphops.TestReport{Checks: []graphops.Check{{Name: "Sign in as the app", Message: "Microsoft rejected the client secret."}}}, nil
		}
		return &graphops.TestReport{OK: true}, nil
	}
	e := mustNew(t, FlowReplaceSecret, w, &State{Tenant: testTenant, ClientID: testClient, RemoveOld: true})
	for e.Current() != StepTest {
		if err := e.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Next(context.Background()); err == nil || e.Status() != Failed {
		t.Fatalf("red test: %v %s", err, e.Status())
	}
	if c, _ := w.store.Load(context.Background(), testTenant, testClient); c.Secret != "old-secret-value-xxxxxxxx" {
		t.Fatal("the keychain changed after a red test")
	}
	if w.sess.count("RemoveSecret:old-key") != 0 {
		t.Fatal("old secret removed before the new one tested green")
	}
	red = false
	seen := walk(t, e)
	if got := joinSteps(seen); got != "test save remove-old" {
		t.Fatalf("steps after retry %q", got)
	}
	c, _ := w.store.Load(context.Background(), testTenant, testClient)
	if c.Secret != e.State().NewSecret.Value || w.sess.count("RemoveSecret:old-key") != 1 || e.State().RemovedIDs[0] != "old-key" {
		t.Fatalf("after green: keychain %q, calls %v", c.KeyID, w.sess.calls)
	}
}

// The manual path: a secret made in the portal is checked (Value, not ID),
// tested, then stored; no sign-in.
func TestReplaceWithAPastedSecret(t *testing.T) {
	w := newWorld()
	_ = w.store.Save(context.Background(), StoredCredential{TenantID: testTenant, ClientID: testClient, Secret: "old-secret-value-xxxxxxxx"})
	e := mustNew(t, FlowReplaceSecret, w, &State{Tenant: testTenant, ClientID: testClient, SecretInput: "f0b0b335-1d71-4883-8f98-567911bfdca6"})
	if err := e.Next(context.Background()); err != nil { // stored
		t.Fatal(err)
	}
	var ve *ValidationError
	if err := e.Next(context.Background()); !errors.As(err, &ve) || !strings.Contains(ve.Error(), "Secret ID") {
		t.Fatalf("secret ID pasted: %v", err)
	}
	if len(w.tests) != 0 {
		t.Fatal("a secret ID was sent to Test Settings")
	}
	e.State().SecretInput = "Abc1Q~pastedFromThePortal0123456789abcdef"
	walk(t, e)
	if w.signIns != 0 {
		t.Fatal("the manual path signed in")
	}
	if c, _ := w.store.Load(context.Background(), testTenant, testClient); c.Secret != "Abc1Q~pastedFromThePortal0123456789abcdef" {
		t.Fatalf("stored %q", c.Secret)
	}
}

func TestEnterExistingDetailsAndTestStored(t *testing.T) {
	w := newWorld()
	e := mustNew(t, FlowEnterExisting, w, &State{Tenant: "contoso.com", ClientID: "nope", SecretInput: ""})
	var ve *ValidationError
	if err := e.Next(context.Background()); !errors.As(err, &ve) || len(ve.Fields) != 2 {
		t.Fatalf("bad details: %v", err)
	}
	e.State().ClientID, e.State().SecretInput = testClient, "Abc1Q~enteredByHand0123456789abcdefghij"
	e.State().Tenant = testTenant
	if got := joinSteps(walk(t, e)); got != "details test save" {
		t.Fatalf("steps %q", got)
	}
	t2 := mustNew(t, FlowTestStored, w, &State{Tenant: testTenant, ClientID: testClient})
	if got := joinSteps(walk(t, t2)); got != "stored test" {
		t.Fatalf("test-stored steps %q", got)
	}
	if last := w.tests[len(w.tests)-1]; last.Credential.Secret != "Abc1Q~enteredByHand0123456789abcdefghij" || last.Fresh {
		t.Fatalf("test-stored used %+v", last)
	}
	empty := mustNew(t, FlowTestStored, w, &State{Tenant: testTenant, ClientID: "33333333-3333-4333-8333-333333333333"})
	empty.Next(context.Background())
	if err := empty.Next(context.Background()); graphops.KindOf(err) != graphops.KindNotFound && graphops.KindOf(err) != graphops.KindInput {
		t.Fatalf("testing settings that are not stored: %v", err)
	}
}

// Cancelling after the app exists: MadeSomething tells the front end to ask
// keep-or-remove; Undo removes it and forgets the progress.
func TestAbortAndUndo(t *testing.T) {
	w := newWorld()
	e := mustNew(t, FlowNewSetup, w, nil)
	for e.Current() != StepConsent {
		if err := e.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if !e.MadeSomething() {
		t.Fatal("the app was created but MadeSomething is false")
	}
	e.Abort()
	if e.Status() != Aborted || !w.progress.p.Aborted || w.progress.p.AppObjectID == "" {
		t.Fatalf("abort: %s %+v", e.Status(), w.progress.p)
	}
	if err := e.Next(context.Background()); err != ErrFinished {
		t.Fatalf("Next after abort: %v", err)
	}
	if err := e.Undo(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w.sess.count("DeleteApp") != 1 || w.progress.found {
		t.Fatalf("undo: calls %v, progress kept %v", w.sess.calls, w.progress.found)
	}
}

func TestBackReturnsToThePreviousStep(t *testing.T) {
	w := newWorld()
	e := mustNew(t, FlowNewSetup, w, nil)
	e.Next(context.Background())
	e.Next(context.Background())
	if e.Current() != StepPermissions || !e.Back() || e.Current() != StepRegister {
		t.Fatalf("back from permissions: %s", e.Current())
	}
	walk(t, e)
	if len(w.sess.created) != 1 {
		t.Fatal("going back made a second app")
	}
}

// Check only reads: a choice the front end cleared is reported, not silently
// refilled; Next fills the profile's default before it checks.
func TestCheckHasNoSideEffects(t *testing.T) {
	w := newWorld()
	e := mustNew(t, FlowNewSetup, w, nil)
	if e.State().AppName != "HelpMaster" || e.State().Profile != "helpmaster" {
		t.Fatalf("defaults at start: %+v", e.State())
	}
	e.Next(context.Background()) // sign-in
	e.State().AppName = ""
	fe := e.Check()
	if len(fe) != 1 || fe[0].Field != "app-name" || e.State().AppName != "" {
		t.Fatalf("Check: %+v, app name now %q", fe, e.State().AppName)
	}
	if err := e.Next(context.Background()); err != nil || e.State().AppName != "HelpMaster" {
		t.Fatalf("Next: %v, app name %q", err, e.State().AppName)
	}
}
