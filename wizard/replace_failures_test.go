package wizard

import (
	"context"
	"testing"
	"time"

	"m365wizard/graphops"
)

// flakyStore fails Load or Save once when told to.
type flakyStore struct {
	*memStore
	failLoad bool
}

func (f *flakyStore) Load(ctx context.Context, t, c string) (StoredCredential, error) {
	if f.failLoad {
		f.failLoad = false
		return StoredCredential{}, &graphops.Error{Kind: graphops.KindUnavailable, Message: "The keychain did not answer."}
	}
	return f.memStore.Load(ctx, t, c)
}

// Replace an expired secret: a failure at each step leaves the engine Failed
// there; a new engine resumed from the saved progress completes, the keychain
// ends with a secret that tested green and the old secret is removed once.
func TestReplaceSecretFailureAtEachStepThenResume(t *testing.T) {
	boom := &graphops.Error{Kind: graphops.KindUnavailable, Message: "Microsoft Graph could not be reached."}
	for _, failAt := range []StepID{StepStored, StepSignIn, StepFindApp, StepNewSecret, StepTest, StepSave, StepRemoveOld} {
		t.Run(string(failAt), func(t *testing.T) {
			w := newWorld()
			fs := &flakyStore{memStore: w.store}
			_ = w.store.Save(context.Background(), StoredCredential{TenantID: testTenant, ClientID: testClient, Type: "secret", Secret: "old-secret-value-xxxxxxxx", KeyID: "old-key"})
			failing := true
			once := func() error {
				if failing {
					failing = false
					return boom
				}
				return nil
			}
			switch failAt {
			case StepStored:
				fs.failLoad = true
			case StepSignIn:
				w.signInFn = once
			case StepFindApp:
				w.sess.FindFn = func(id string) (*graphops.App, error) {
					if err := once(); err != nil {
						return nil, err
					}
					return &graphops.App{ObjectID: "obj-1", AppID: id, Passwords: []graphops.Credential{{KeyID: "old-key", End: time.Now()}}}, nil
				}
			case StepNewSecret:
				w.sess.SecretFn = func(lt time.Duration) (*graphops.NewSecret, error) {
					if err := once(); err != nil {
						return nil, err
					}
					return &graphops.NewSecret{Value: "new1Q~" + "n123456789012345678901234567890123", Credential: graphops.Credential{KeyID: "new-key"}}, nil
				}
			case StepTest:
				w.testFn = func(graphops.TestOptions) (*graphops.TestReport, error) {
					if err := once(); err != nil {
						return nil, err
					}
					return &graphops.TestReport{OK: true}, nil
				}
			case StepSave:
				w.store.saveErr = boom
			case StepRemoveOld:
				w.sess.RemoveFn = func(string) error { return once() }
			}
			target := failAt
			d := w.deps()
			d.Store = fs
			e, err := New(FlowReplaceSecret, d, &State{Tenant: testTenant, ClientID: testClient, RemoveOld: true})
			if err != nil {
				t.Fatal(err)
			}
			for e.Current() != target {
				if err := e.Next(context.Background()); err != nil {
					t.Fatalf("before %s: %v", target, err)
				}
			}
			if err := e.Next(context.Background()); err == nil || e.Status() != Failed || e.Current() != target {
				t.Fatalf("failing at %s: err %v status %s step %s", target, err, e.Status(), e.Current())
			}
			if target != StepRemoveOld && w.sess.count("RemoveSecret:old-key") != 0 {
				t.Fatal("the old secret was removed before the new one was stored")
			}
			w.store.saveErr = nil
			p, found, _ := w.progress.Load()
			e2, _ := New(FlowReplaceSecret, d, &State{Tenant: testTenant, ClientID: testClient, RemoveOld: true})
			if found {
				if err := e2.Resume(p); err != nil {
					t.Fatal(err)
				}
				e2.State().RemoveOld = true
			}
			walk(t, e2)
			c, _ := w.store.Load(context.Background(), testTenant, testClient)
			if c.Secret == "old-secret-value-xxxxxxxx" || c.KeyID == "" || c.KeyID != e2.State().NewSecret.KeyID {
				t.Fatalf("keychain after resume holds key %q, the engine's new key is %q", c.KeyID, e2.State().NewSecret.KeyID)
			}
			if w.sess.count("RemoveSecret:"+c.KeyID) != 0 {
				t.Fatal("the secret in the keychain was removed from the app")
			}
			if n := w.sess.count("RemoveSecret:old-key"); n < 1 {
				t.Fatalf("old secret removed %d times", n)
			}
		})
	}
}
