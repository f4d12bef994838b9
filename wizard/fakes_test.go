package wizard

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"m365wizard/graphops"
)

// fakeSession is a Session whose behaviour each test sets through function
// fields; unset fields succeed like a healthy tenant.
type fakeSession struct {
	mu      sync.Mutex
	calls   []string
	created map[string]*graphops.App // by uniqueName, like the real upsert

	WhoAmIFn  func() (*graphops.Admin, error)
	PrepareFn func(spec graphops.AppSpec) (*graphops.Plan, error)
	EnsureFn  func(spec graphops.AppSpec) (*graphops.App, error)
	ConsentFn func(want []string) (*graphops.ConsentReport, error)
	SecretFn  func(lifetime time.Duration) (*graphops.NewSecret, error)
	RemoveFn  func(keyID string) error
	FindFn    func(clientID string) (*graphops.App, error)
	DeleteFn  func(objectID string) error
}

var _ Session = (*fakeSession)(nil)

func (f *fakeSession) call(name string) {
	f.mu.Lock()
	f.calls = append(f.calls, name)
	f.mu.Unlock()
}

func (f *fakeSession) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == name {
			n++
		}
	}
	return n
}

func (f *fakeSession) WhoAmI(context.Context) (*graphops.Admin, error) {
	f.call("WhoAmI")
	if f.WhoAmIFn != nil {
		return f.WhoAmIFn()
	}
	return &graphops.Admin{UPN: "admin@contoso.com", TenantID: testTenant, TenantName: "Contoso", CanRegisterApps: true, CanConsent: true}, nil
}

func (f *fakeSession) Prepare(_ context.Context, spec graphops.AppSpec) (*graphops.Plan, error) {
	f.call("Prepare")
	if f.PrepareFn != nil {
		return f.PrepareFn(spec)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &graphops.Plan{Graph: &graphops.GraphPermissions{ServicePrincipalID: "graph-sp"}, Existing: f.created[spec.UniqueName()]}, nil
}

func (f *fakeSession) EnsureApp(_ context.Context, spec graphops.AppSpec, _ *graphops.Plan) (*graphops.App, error) {
	f.call("EnsureApp")
	if f.EnsureFn != nil {
		return f.EnsureFn(spec)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.created == nil {
		f.created = map[string]*graphops.App{}
	}
	if a, ok := f.created[spec.UniqueName()]; ok {
		c := *a
		c.Created = false
		return &c, nil
	}
	a := &graphops.App{ObjectID: "obj-1", AppID: testClient, DisplayName: spec.DisplayName, UniqueName: spec.UniqueName(), ServicePrincipalID: "sp-1", Created: true}
	f.created[spec.UniqueName()] = a
	return a, nil
}

func (f *fakeSession) GrantDelegatedConsent(_ context.Context, _ *graphops.App, _ *graphops.Plan, scopes []string, _ string) ([]graphops.Grant, error) {
	f.call("DelegatedConsent")
	var out []graphops.Grant
	for _, s := range scopes {
		out = append(out, graphops.Grant{Permission: graphops.Permission{Value: s, Type: "Scope"}, Granted: true})
	}
	return out, nil
}

func (f *fakeSession) GrantAdminConsent(_ context.Context, _ *graphops.App, _ *graphops.Plan, want []string, org string, _ bool) (*graphops.ConsentReport, error) {
	f.call("Consent")
	if f.ConsentFn != nil {
		return f.ConsentFn(want)
	}
	r := &graphops.ConsentReport{Organization: org}
	for _, w := range want {
		r.Grants = append(r.Grants, graphops.Grant{Permission: graphops.Permission{Value: w}, Granted: true})
	}
	return r, nil
}

var secretSeq int

func (f *fakeSession) AddSecret(_ context.Context, _ *graphops.App, desc string, lifetime time.Duration, _ graphops.SecretPolicy) (*graphops.NewSecret, error) {
	f.call("AddSecret")
	if f.SecretFn != nil {
		return f.SecretFn(lifetime)
	}
	f.mu.Lock()
	secretSeq++
	n := secretSeq
	f.mu.Unlock()
	v := "abc1Q~" + strings.Repeat(string(rune('a'+n%26)), 34)
	return &graphops.NewSecret{Value: v, Credential: graphops.Credential{Type: "secret", KeyID: keyID(n), Hint: v[:3], DisplayName: desc, End: time.Now().Add(lifetime)}}, nil
}

func keyID(n int) string {
	return "00000000-0000-0000-0000-" + strings.Repeat("0", 11) + string(rune('0'+n%10))
}

func (f *fakeSession) RemoveSecret(_ context.Context, _ string, keyID string) error {
	f.call("RemoveSecret:" + keyID)
	if f.RemoveFn != nil {
		return f.RemoveFn(keyID)
	}
	return nil
}

func (f *fakeSession) FindApp(_ context.Context, clientID string) (*graphops.App, error) {
	f.call("FindApp")
	if f.FindFn != nil {
		return f.FindFn(clientID)
	}
	return &graphops.App{ObjectID: "obj-1", AppID: clientID, ServicePrincipalID: "sp-1",
		Passwords: []graphops.Credential{{Type: "secret", KeyID: "old-key", End: time.Now().Add(-time.Hour)}}}, nil
}

func (f *fakeSession) DeleteApp(_ context.Context, objectID string) error {
	f.call("DeleteApp")
	if f.DeleteFn != nil {
		return f.DeleteFn(objectID)
	}
	return nil
}

const (
	testTenant = "11111111-1111-4111-8111-111111111111"
	testClient = "22222222-2222-4222-8222-222222222222"
)

// memStore is an in-memory keychain.
type memStore struct {
	mu      sync.Mutex
	m       map[string]StoredCredential
	saveErr error
}

func (s *memStore) Save(_ context.Context, c StoredCredential) error {
	if s.saveErr != nil {
		return s.saveErr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]StoredCredential{}
	}
	s.m[c.TenantID+"/"+c.ClientID] = c
	return nil
}

func (s *memStore) Load(_ context.Context, t, c string) (StoredCredential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[t+"/"+c]
	if !ok {
		return v, ErrNotStored
	}
	return v, nil
}

func (s *memStore) Delete(_ context.Context, t, c string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, t+"/"+c)
	return nil
}

// memProgress keeps the last saved progress.
type memProgress struct {
	mu    sync.Mutex
	p     Progress
	found bool
	saves int
}

func (m *memProgress) Save(p Progress) error {
	m.mu.Lock()
	m.p, m.found = p, true
	m.saves++
	m.mu.Unlock()
	return nil
}

func (m *memProgress) Load() (Progress, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.p, m.found, nil
}

func (m *memProgress) Clear() error {
	m.mu.Lock()
	m.p, m.found = Progress{}, false
	m.mu.Unlock()
	return nil
}

// memLog keeps activity entries.
type memLog struct {
	mu sync.Mutex
	es []Activity
}

func (l *memLog) Record(a Activity) { l.mu.Lock(); l.es = append(l.es, a); l.mu.Unlock() }

func (l *memLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, e := range l.es {
		b.WriteString(e.Operation + " " + e.Object + " " + e.Outcome + " " + e.RequestID + " " + e.Message + "\n")
	}
	return b.String()
}

// testProfile is HelpMaster's shape, enough for the engine.
type testProfile struct{ scoping bool }

func (testProfile) Key() string               { return "helpmaster" }
func (testProfile) DefaultAppName() string    { return "HelpMaster" }
func (testProfile) DefaultFeatures() []string { return []string{"users", "send"} }
func (p testProfile) MailboxScoping() bool    { return p.scoping }
func (testProfile) Probes(f, _ []string) []graphops.Probe {
	out := []graphops.Probe{{Permission: "User.Read.All", Kind: graphops.ProbeUsers}}
	for _, x := range f {
		switch x {
		case "send":
			out = append(out, graphops.Probe{Permission: "Mail.Send", Kind: graphops.ProbeSendMail})
		case "mailbox":
			out = append(out, graphops.Probe{Permission: "Mail.ReadWrite", Kind: graphops.ProbeInbox})
		case "calendar":
			out = append(out, graphops.Probe{Permission: "Calendars.ReadWrite", Kind: graphops.ProbeCalendar})
		}
	}
	return out
}
func (p testProfile) AppSpec(name string, f, _ []string) graphops.AppSpec {
	spec := graphops.AppSpec{DisplayName: name, Profile: "helpmaster"}
	for _, pr := range p.Probes(f, nil) {
		spec.AppRoles = append(spec.AppRoles, pr.Permission)
	}
	return spec
}
func (testProfile) Info() ProfileInfo {
	return ProfileInfo{Product: "HelpMaster", TestButton: "Test Settings", Credentials: []string{CredSecret, CredCertificate}, DefaultCredential: CredSecret}
}

// world is a set of fakes wired into Deps.
type world struct {
	sess     *fakeSession
	store    *memStore
	progress *memProgress
	log      *memLog
	signIns  int
	signInFn func() error
	testFn   func(o graphops.TestOptions) (*graphops.TestReport, error)
	tests    []graphops.TestOptions
}

func newWorld() *world {
	return &world{sess: &fakeSession{}, store: &memStore{}, progress: &memProgress{}, log: &memLog{}}
}

func (w *world) deps() Deps {
	return Deps{
		Cloud: func(name string) (graphops.Cloud, error) {
			if name == "" {
				name = "global"
			}
			return graphops.CloudByName(name)
		},
		SignIn: func(ctx context.Context, r SignInRequest) (Session, error) {
			w.signIns++
			if w.signInFn != nil {
				if err := w.signInFn(); err != nil {
					return nil, err
				}
			}
			return w.sess, nil
		},
		TestSettings: func(ctx context.Context, o graphops.TestOptions) (*graphops.TestReport, error) {
			w.tests = append(w.tests, o)
			if w.testFn != nil {
				return w.testFn(o)
			}
			return &graphops.TestReport{OK: true, Checks: []graphops.Check{{Name: "Sign in as the app", OK: true}}}, nil
		},
		Profile: func(key string) (Profile, error) {
			if key != "helpmaster" {
				return nil, errors.New("no profile " + key)
			}
			return testProfile{scoping: true}, nil
		},
		Store: w.store, Progress: w.progress, Log: w.log,
	}
}

func (f *fakeSession) AddCertificate(_ context.Context, _ string, der []byte) (graphops.Credential, error) {
	f.call("AddCertificate")
	return graphops.Credential{Type: "certificate", KeyID: keyID(99), Thumbprint: graphops.Thumbprint(der), End: time.Now().AddDate(1, 0, 0)}, nil
}

func (f *fakeSession) CheckFromAdminSide(_ context.Context, o graphops.AdminCheckOptions) (*graphops.TestReport, error) {
	f.call("CheckFromAdminSide")
	return &graphops.TestReport{OK: true, Checks: []graphops.Check{{Name: graphops.CheckCertificate, OK: true, Message: o.Thumbprint}}}, nil
}

func (f *fakeSession) CountUsersInDomains(_ context.Context, domains, _ []string) (*graphops.DomainCount, error) {
	f.call("CountUsersInDomains")
	return &graphops.DomainCount{All: len(domains) > 0 && domains[0] == "*", Users: 7}, nil
}
