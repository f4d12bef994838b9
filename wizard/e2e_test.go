package wizard

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"m365wizard/graphops"
	"m365wizard/graphops/sandbox"
)

// sandboxDeps wires the engine to a sandbox through graphops, signing in as upn.
func sandboxDeps(s *sandbox.Server, w *world, upn string) Deps {
	env := map[string]string{graphops.EnvLoginURL: s.LoginURL(), graphops.EnvGraphURL: s.GraphURL()}
	d := LiveDeps(LiveOptions{
		Getenv:  func(k string) string { return env[k] },
		Trust:   graphops.TrustConfig{ExtraCAs: s.CertPool()},
		OpenURL: func(u string) error { return s.CompleteSignIn(context.Background(), u, upn) },
	})
	d.Profile = func(string) (Profile, error) { return testProfile{scoping: true}, nil }
	d.Store, d.Progress, d.Log = w.store, w.progress, w.log
	return d
}

func startSandbox(t *testing.T) *sandbox.Server {
	t.Helper()
	s, err := sandbox.Start(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func run(t *testing.T, kind FlowKind, d Deps, st *State) *Engine {
	t.Helper()
	e, err := New(kind, d, st)
	if err != nil {
		t.Fatal(err)
	}
	walk(t, e)
	return e
}

// The flows end to end against the sandbox, no UI: New setup, then Test
// stored settings with what the keychain holds, then Replace the secret.
func TestFlowsEndToEndAgainstTheSandbox(t *testing.T) {
	s := startSandbox(t)
	w := newWorld()
	d := sandboxDeps(s, w, "admin@contoso.com")

	setup := run(t, FlowNewSetup, d, &State{Mailboxes: []string{"helpdesk@contoso.com"}, Features: []string{"users", "send", "mailbox"}})
	st := setup.State()
	if !st.Test.OK || !st.Saved || !st.Consent.AllGranted() {
		t.Fatalf("new setup: test %+v saved %v", st.Test, st.Saved)
	}
	var held []string
	s.Tenant("", func(tn *sandbox.Tenant) {
		sp := tn.SPByAppID(st.App.AppID)
		held = tn.RolesOf(sp.ID)
	})
	sort.Strings(held)
	if strings.Join(held, ",") != "Mail.ReadWrite,Mail.Send,User.Read.All" {
		t.Fatalf("the app holds %v", held)
	}

	tenant, client := st.Admin.TenantID, st.App.AppID
	tested := run(t, FlowTestStored, d, &State{Tenant: tenant, ClientID: client, Features: st.Features, Mailboxes: st.Mailboxes})
	if !tested.State().Test.OK {
		t.Fatalf("test stored: %+v", tested.State().Test)
	}

	firstKey := st.NewSecret.KeyID
	rot := run(t, FlowReplaceSecret, d, &State{Tenant: tenant, ClientID: client, RemoveOld: true, Features: st.Features, Mailboxes: st.Mailboxes})
	c, _ := w.store.Load(context.Background(), tenant, client)
	if c.KeyID != rot.State().NewSecret.KeyID || c.KeyID == firstKey {
		t.Fatalf("keychain after rotation holds key %s", c.KeyID)
	}
	var keys []string
	s.Tenant("", func(tn *sandbox.Tenant) {
		for _, p := range tn.AppByAppID(client).PasswordCredentials {
			keys = append(keys, p.KeyID)
		}
	})
	if len(keys) != 1 || keys[0] != c.KeyID {
		t.Fatalf("secrets on the app after rotation: %v (old %s should be gone)", keys, firstKey)
	}
}

// fileProgress is a ProgressStore in a JSON file (the real one lives in wizard/state).
type fileProgress struct{ path string }

func (f fileProgress) Save(p Progress) error {
	b, _ := json.Marshal(p)
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, f.path)
}

func (f fileProgress) Load() (Progress, bool, error) {
	var p Progress
	b, err := os.ReadFile(f.path)
	if os.IsNotExist(err) {
		return p, false, nil
	}
	if err != nil {
		return p, false, err
	}
	return p, true, json.Unmarshal(b, &p)
}

func (f fileProgress) Clear() error { return os.Remove(f.path) }

// The child half of TestKilledProcessResumesWithExactlyOneApp: runs New setup
// against the parent's sandbox and stops dead after the app is created.
func TestMain(m *testing.M) {
	if os.Getenv("WIZARD_TEST_CHILD") == "1" {
		os.Exit(childSetup())
	}
	os.Exit(m.Run())
}

func childSetup() int {
	pool, err := graphops.LoadCAFile(os.Getenv("WIZARD_TEST_CA"))
	if err != nil {
		return 3
	}
	browser := graphops.NewHTTPClient(graphops.Cloud{Custom: true}, graphops.TrustConfig{ExtraCAs: pool})
	d := LiveDeps(LiveOptions{Trust: graphops.TrustConfig{ExtraCAs: pool},
		OpenURL: func(u string) error { return sandbox.SignInAs(context.Background(), browser, u, "admin@contoso.com") }})
	d.Profile = func(string) (Profile, error) { return testProfile{}, nil }
	d.Store, d.Progress = &memStore{}, fileProgress{os.Getenv("WIZARD_TEST_PROGRESS")}
	e, err := New(FlowNewSetup, d, nil)
	if err != nil {
		return 4
	}
	for e.Current() != StepConsent {
		if err := e.Next(context.Background()); err != nil {
			return 5
		}
	}
	select {} // the app exists and the progress says so: wait for SIGKILL
}

// A process killed (SIGKILL) right after the app was created resumes in a new
// process to completion with exactly one app.
func TestKilledProcessResumesWithExactlyOneApp(t *testing.T) {
	s := startSandbox(t)
	dir := t.TempDir()
	caFile, progressFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "progress.json")
	if err := s.WriteCAFile(caFile); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WIZARD_TEST_CHILD=1", "WIZARD_TEST_CA="+caFile, "WIZARD_TEST_PROGRESS="+progressFile,
		graphops.EnvLoginURL+"="+s.LoginURL(), graphops.EnvGraphURL+"="+s.GraphURL())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	fp := fileProgress{progressFile}
	deadline := time.Now().Add(60 * time.Second)
	for {
		p, found, _ := fp.Load()
		if found && p.AppObjectID != "" && p.Step == StepConsent {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the child ended before the app was made: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child made no app in time")
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	<-exited

	w := newWorld()
	d := sandboxDeps(s, w, "admin@contoso.com")
	d.Profile = func(string) (Profile, error) { return testProfile{}, nil }
	p, _, err := fp.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(FlowNewSetup, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Resume(p); err != nil {
		t.Fatal(err)
	}
	if got := joinSteps(walk(t, e)); got != "sign-in consent credential test save" {
		t.Fatalf("resumed steps %q", got)
	}
	n := 0
	s.Tenant("", func(tn *sandbox.Tenant) {
		for _, a := range tn.Apps {
			if a.DisplayName == "HelpMaster" {
				n++
			}
		}
	})
	if n != 1 || !e.State().Test.OK || e.State().App.ObjectID != p.AppObjectID {
		t.Fatalf("%d HelpMaster apps after kill and resume; test %+v", n, e.State().Test)
	}
}

// Replacing a secret while keeping the app's old ones: the keychain refuses
// the new secret, so its value is lost with the engine. The next run resumes
// the saved progress, makes another secret, stores it, and removes the lost
// one from the app, while the old secret the admin chose to keep stays.
func TestReplacementResumedRemovesTheLostSecretOnly(t *testing.T) {
	s := startSandbox(t)
	w := newWorld()
	d := sandboxDeps(s, w, "admin@contoso.com")
	st := run(t, FlowNewSetup, d, &State{Features: []string{"users"}}).State()
	tenant, client, oldKey := st.Admin.TenantID, st.App.AppID, st.NewSecret.KeyID

	w.store.saveErr = &graphops.Error{Kind: graphops.KindUnavailable, Message: "The keychain is locked."}
	e, err := New(FlowReplaceSecret, d, &State{Tenant: tenant, ClientID: client, Features: st.Features})
	if err != nil {
		t.Fatal(err)
	}
	for e.Status() == Running {
		if err = e.Next(context.Background()); err != nil {
			break
		}
	}
	if err == nil || e.Current() != StepSave || e.State().NewSecret == nil {
		t.Fatalf("the refused save: err %v at %s", err, e.Current())
	}
	lost := e.State().NewSecret.KeyID
	w.store.saveErr = nil

	p, found, _ := w.progress.Load()
	if !found || p.Flow != FlowReplaceSecret || p.KeyID != lost {
		t.Fatalf("progress after the refused save: %+v", p)
	}
	e2, _ := New(FlowReplaceSecret, d, &State{Tenant: tenant, ClientID: client, Features: st.Features})
	if err := e2.Resume(p); err != nil {
		t.Fatal(err)
	}
	walk(t, e2)
	c, _ := w.store.Load(context.Background(), tenant, client)
	newKey := e2.State().NewSecret.KeyID
	if c.KeyID != newKey || newKey == lost {
		t.Fatalf("keychain holds %s; the resumed run made %s; lost %s", c.KeyID, newKey, lost)
	}
	var keys []string
	s.Tenant("", func(tn *sandbox.Tenant) {
		for _, pc := range tn.AppByAppID(client).PasswordCredentials {
			keys = append(keys, pc.KeyID)
		}
	})
	sort.Strings(keys)
	want := []string{oldKey, newKey}
	sort.Strings(want)
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Fatalf("secrets on the app: %v, want the kept old one and the new one %v (lost %s removed)", keys, want, lost)
	}
	if got := e2.State().RemovedIDs; len(got) != 1 || got[0] != lost {
		t.Fatalf("removed %v, want only the lost secret %s", got, lost)
	}
}
