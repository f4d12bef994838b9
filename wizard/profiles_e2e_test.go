package wizard

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"m365wizard/graphops"
	"m365wizard/graphops/sandbox"
	"m365wizard/wizard/profile"
)

// liveProfileDeps is sandboxDeps with the shipped profiles.
func liveProfileDeps(s *sandbox.Server, w *world) Deps {
	d := sandboxDeps(s, w, "admin@contoso.com")
	d.Profile = BuiltinProfiles
	d.TestPatience = 30 * time.Second
	return d
}

// passlyCertificate is a certificate as Passly hands it out: PEM, public
// part only, valid for a year.
func passlyCertificate(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "Passly SSO signing"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Every shipped profile's New setup runs end to end against the sandbox with
// its own permissions, credential and probes, and Test stored settings passes
// afterwards.
func TestEveryProfileEndToEnd(t *testing.T) {
	s := startSandbox(t)
	for _, key := range profile.Keys() {
		t.Run(key, func(t *testing.T) {
			w := newWorld()
			d := liveProfileDeps(s, w)
			st := &State{Profile: key}
			switch key {
			case "helpmaster":
				st.Mailboxes = []string{"helpdesk@contoso.com"}
			case "passly":
				st.VendorCertificate = passlyCertificate(t)
			case "custom":
				st.AppName, st.Permissions = "Custom "+key, []string{"user.read.all", "Group.Read.All", "Group.Create"}
			case "quickhelp":
				st.Domains = []string{"contoso.com"}
			}
			e := run(t, FlowNewSetup, d, st)
			got := e.State()
			p, _ := LoadProfile(got)
			if !got.Saved || !got.Test.OK || got.App == nil {
				t.Fatalf("not saved: %+v", got.Test)
			}
			// As the portal's "Grant admin consent": the application
			// permissions and the profile's delegated ones.
			spec, _ := e.spec()
			wantRoles := p.AllAppRoles(got.Features, got.Permissions)
			if len(got.Consent.Grants) != len(wantRoles)+len(spec.DelegatedScopes) || !got.Consent.AllGranted() {
				t.Errorf("grants %+v, want %v and delegated %v", got.Consent.Grants, wantRoles, spec.DelegatedScopes)
			}
			var orgWide string
			s.Tenant("", func(tn *sandbox.Tenant) {
				sp := tn.SPByAppID(got.App.AppID)
				for _, g := range tn.Grants {
					if g.ClientID == sp.ID && g.ConsentType == "AllPrincipals" && g.ResourceID == tn.GraphSP.ID {
						orgWide = g.Scope
					}
				}
			})
			if strings.Join(spec.DelegatedScopes, " ") != orgWide {
				t.Errorf("delegated permissions granted for the organization: %q, want %v", orgWide, spec.DelegatedScopes)
			}
			for _, c := range got.Test.Checks {
				if !c.OK || (c.Permission != "Mail.Send" && strings.Contains(c.Message, "test message")) {
					t.Errorf("check %+v", c)
				}
			}
			var app *sandbox.Application
			s.Tenant("", func(tn *sandbox.Tenant) { app = tn.AppByAppID(got.App.AppID) })
			switch key {
			case "passly":
				if len(app.PasswordCredentials) != 0 || len(app.KeyCredentials) != 1 || got.NewCert == nil || !got.NewCert.Vendor ||
					got.NewSecret != nil {
					t.Errorf("Passly: secrets %d, certificates %d, %+v", len(app.PasswordCredentials), len(app.KeyCredentials), got.NewCert)
				}
				stored, _ := w.store.Load(context.Background(), got.Admin.TenantID, got.App.AppID)
				if !stored.VendorHeld || stored.Secret != "" || strings.Contains(string(stored.CertPEM), "PRIVATE") ||
					stored.Thumbprint != got.NewCert.Thumbprint || stored.Expires.IsZero() {
					t.Errorf("Passly stored: %+v", stored)
				}
				if last := got.Test.Checks[len(got.Test.Checks)-1]; last.Name != graphops.CheckSignInAsApp || !strings.Contains(last.NextStep, "Verify") {
					t.Errorf("last check %+v", last)
				}
			case "saas-connector":
				if len(app.WebRedirectURIs) != 1 || app.WebRedirectURIs[0] != "http://localhost" {
					t.Errorf("redirect URIs %v", app.WebRedirectURIs)
				}
				scopes := map[string]bool{}
				for _, r := range app.RequiredResourceAccess {
					for _, a := range r.ResourceAccess {
						if a.Type == "Scope" {
							scopes[a.ID] = true
						}
					}
				}
				if !scopes["7427e0e9-2fba-42fe-b0c0-848c9e6a8182"] || scopes["e1fe6dd8-ba31-4d61-89e7-88639da4683d"] || len(scopes) != 1 {
					t.Errorf("delegated scopes on the app: %v (want offline_access only, no User.Read)", scopes)
				}
				if got.DomainCount == nil || !got.DomainCount.All || got.DomainCount.Users == 0 {
					t.Errorf("domain preview %+v", got.DomainCount)
				}
			case "quickhelp":
				if got.DomainCount == nil || got.DomainCount.All || got.DomainCount.Users == 0 {
					t.Errorf("domain preview %+v", got.DomainCount)
				}
			case "custom":
				if got.Permissions[0] != "User.Read.All" {
					t.Errorf("picked permission not in the tenant's spelling: %v", got.Permissions)
				}
			}

			// Test stored settings: as the app, or (Passly) from the admin's side.
			w.signIns = 0
			ts := run(t, FlowTestStored, d, &State{Tenant: got.Admin.TenantID, ClientID: got.App.AppID, Profile: key,
				Features: got.Features, Permissions: got.Permissions, Mailboxes: got.Mailboxes})
			if !ts.State().Test.OK {
				t.Errorf("test stored: %+v", ts.State().Test.Checks)
			}
		})
	}
}

// Input the profile refuses is a field error before anything is sent.
func TestProfileCredentialRules(t *testing.T) {
	w := newWorld()
	d := w.deps()
	d.Profile = BuiltinProfiles
	cases := []struct {
		st    State
		field string
		says  string
	}{
		{State{Profile: "passly"}, "certificate-file", "Choose the certificate file Passly gives you"},
		{State{Profile: "passly", CredentialType: "secret"}, "credential", "Passly does not take a client secret"},
		{State{Profile: "passly", CredentialType: "certificate", VendorCertificate: []byte("nonsense")}, "certificate-file", "not an X.509 certificate"},
		{State{Profile: "passly", CredentialType: "certificate", VendorCertificate: []byte("not base64!")}, "certificate-file", "not a certificate"},
		{State{Profile: "helpmaster", CredentialType: "certificate", VendorCertificate: []byte("x")}, "certificate-file", "HelpMaster does not take a certificate file"},
		{State{Profile: "quality-clouds", CredentialType: "certificate"}, "credential", "Quality Clouds does not take a certificate"},
	}
	for _, c := range cases {
		e, err := New(FlowNewSetup, d, &c.st)
		if err != nil {
			t.Fatal(err)
		}
		for e.Current() != StepCredential {
			if err := e.Next(context.Background()); err != nil {
				t.Fatalf("%s before the credential: %v", c.st.Profile, err)
			}
		}
		before := w.sess.count("AddSecret") + w.sess.count("AddCertificate")
		err = e.Next(context.Background())
		ve, ok := err.(*ValidationError)
		if !ok || ve.Fields[0].Field != c.field || !strings.Contains(ve.Fields[0].Message, c.says) {
			t.Errorf("%+v: %v, want %s: %q", c.st, err, c.field, c.says)
		}
		if w.sess.count("AddSecret")+w.sess.count("AddCertificate") != before {
			t.Errorf("%s made a credential anyway", c.st.Profile)
		}
	}
}

// A profile file of the admin's own runs like a built-in one, is saved with
// the stored app, and its step titles follow it; a bad file stops the flow
// with the file's own error.
func TestProfileFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.json")
	data, _ := os.ReadFile("../assets/profiles/quickhelp.json")
	mine := strings.Replace(string(data), `"key": "quickhelp"`, `"key": "my-quickhelp"`, 1)
	mine = strings.Replace(mine, `"label": "Approved domains"`, `"label": "Our domains"`, 1)
	if err := os.WriteFile(path, []byte(mine), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWorld()
	d := w.deps()
	d.Profile = BuiltinProfiles
	e := run(t, FlowNewSetup, d, &State{ProfileFile: path, Domains: []string{"*"}})
	st := e.State()
	if st.Profile != "my-quickhelp" || !st.Saved || st.AppName != "QuickHelp" {
		t.Fatalf("state %+v", st)
	}
	titles := map[StepID]string{}
	for _, s := range e.Steps() {
		titles[s.ID] = s.Title
	}
	if titles[StepDomains] != "Our domains" || titles[StepCredential] != "Client secret" {
		t.Errorf("titles %v", titles)
	}
	c, _ := w.store.Load(context.Background(), testTenant, testClient)
	if c.ProfileFile != path || c.Profile != "my-quickhelp" || len(c.Domains) != 1 || c.Domains[0] != "*" {
		t.Errorf("stored %+v", c)
	}
	if w.sess.count("CountUsersInDomains") != 1 {
		t.Error("no domain preview")
	}

	if err := os.WriteFile(path, []byte(`{"format": 1, "key": "mine",}`), 0o600); err != nil {
		t.Fatal(err)
	}
	e2, err := New(FlowNewSetup, d, &State{ProfileFile: path})
	if err != nil {
		t.Fatal(err)
	}
	_ = e2.Next(context.Background()) // sign-in needs no profile
	err = e2.Next(context.Background())
	if ve, ok := err.(*ValidationError); !ok || !strings.Contains(ve.Error(), "mine.json:1:29") || !strings.Contains(ve.Error(), "comma before a closing bracket") {
		t.Fatalf("bad file: %v", err)
	}
}
