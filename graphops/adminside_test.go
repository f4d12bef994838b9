package graphops

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"m365wizard/graphops/sandbox"
)

// vendorCert makes a certificate as a vendor would hand it out: only the
// public part, valid from nb to na.
func vendorCert(t *testing.T, cn string, nb, na time.Time) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, NotBefore: nb, NotAfter: na}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

var passlyRoles = []string{"Group.Create", "Group.Read.All", "Group.ReadWrite.All", "Domain.Read.All", "User.ReadWrite.All"}

// An app whose private key the vendor holds is checked from the admin's side:
// registration, service principal, every grant, the certificate and its dates.
func TestCheckFromAdminSide(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sess := e.mustSignIn(t, "admin@contoso.com")
	admin, _ := sess.WhoAmI(ctx)
	spec := AppSpec{DisplayName: "Passly daemon sync", Profile: "passly", AppRoles: passlyRoles}
	plan, err := sess.Prepare(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	app, err := sess.EnsureApp(ctx, spec, plan)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.GrantAdminConsent(ctx, app, plan, spec.AppRoles, admin.TenantName, true); err != nil {
		t.Fatal(err)
	}
	der := vendorCert(t, "Passly signing", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	vc, err := ParseVendorCertificate(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := sess.AddCertificate(ctx, app.ObjectID, vc.DER)
	if err != nil || cred.Thumbprint != vc.Thumbprint {
		t.Fatalf("upload: %v %+v", err, cred)
	}
	// A second upload of the same file changes nothing.
	if _, err := sess.AddCertificate(ctx, app.ObjectID, vc.DER); err != nil {
		t.Fatal(err)
	}
	var keys int
	e.s.Tenant("", func(tn *sandbox.Tenant) { keys = len(tn.AppByAppID(app.AppID).KeyCredentials) })
	if keys != 1 {
		t.Fatalf("%d certificates on the app after two uploads", keys)
	}

	// Test Settings as an admin who may only read apps.
	reader, err := SignInInteractive(ctx, SignInOptions{Cloud: e.cloud, Tenant: e.s.TenantDomain(), HTTPClient: e.http(),
		Permissions: []string{ScopeUserRead, ScopeApplicationsRead},
		OpenURL:     func(u string) error { return e.s.CompleteSignIn(ctx, u, "admin@contoso.com") }})
	if err != nil {
		t.Fatal(err)
	}
	o := AdminCheckOptions{ClientID: app.AppID, Organization: "Contoso", Expect: passlyRoles, Thumbprint: vc.Thumbprint, Product: "Passly", TestButton: "Verify"}
	before := len(e.s.Log().Entries())
	rep, err := reader.CheckFromAdminSide(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Checks) != 2+len(passlyRoles)+2 {
		t.Fatalf("not green: %+v", rep.Checks)
	}
	for _, le := range e.s.Log().Entries()[before:] {
		if le.Host == sandbox.HostGraph && le.Method != "GET" && !strings.Contains(le.Path, "$batch") {
			t.Errorf("the check changed something: %s %s", le.Method, le.Path)
		}
	}
	last := rep.Checks[len(rep.Checks)-1]
	if last.Name != CheckSignInAsApp || !last.Warning || !strings.Contains(last.NextStep, "Press Verify in Passly") {
		t.Errorf("sign-in check: %+v", last)
	}
	find := func(r *TestReport, name string) Check {
		for _, c := range r.Checks {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no check %q in %+v", name, r.Checks)
		return Check{}
	}
	if c := find(rep, CheckCertificate); !strings.Contains(c.Message, vc.Thumbprint) || !strings.Contains(c.Message, "valid until") {
		t.Errorf("certificate: %+v", c)
	}

	// Another certificate than the vendor's.
	o2 := o
	o2.Thumbprint = strings.Repeat("AB", 20)
	rep, _ = reader.CheckFromAdminSide(ctx, o2)
	if c := find(rep, CheckCertificate); rep.OK || c.OK || !strings.Contains(c.Message, "not on the app") {
		t.Errorf("wrong thumbprint: %+v", c)
	}
	// A grant taken away.
	if _, err := sess.GrantAdminConsent(ctx, &App{ObjectID: app.ObjectID, AppID: app.AppID, ServicePrincipalID: app.ServicePrincipalID},
		plan, passlyRoles[1:], admin.TenantName, true); err != nil {
		t.Fatal(err)
	}
	rep, _ = reader.CheckFromAdminSide(ctx, o)
	if c := find(rep, "Permission Group.Create"); rep.OK || c.OK || !strings.Contains(c.NextStep, "admin consent") {
		t.Errorf("revoked grant: %+v", c)
	}
	// The certificate expired.
	e.s.Tenant("", func(tn *sandbox.Tenant) {
		a := tn.AppByAppID(app.AppID)
		a.KeyCredentials[0].EndDateTime = time.Now().Add(-time.Hour)
	})
	rep, _ = reader.CheckFromAdminSide(ctx, o)
	if c := find(rep, CheckCertificate); c.OK || !strings.Contains(c.Message, "expired") {
		t.Errorf("expired: %+v", c)
	}
	// No such app.
	o3 := o
	o3.ClientID = "11111111-2222-3333-4444-555555555555"
	rep, err = reader.CheckFromAdminSide(ctx, o3)
	if err != nil || rep.OK || !strings.Contains(find(rep, CheckAppRegistration).Message, "No app") || find(rep, CheckServicePrincipal).OK {
		t.Fatalf("missing app: %v %+v", err, rep)
	}
}

func TestParseVendorCertificate(t *testing.T) {
	now := time.Now()
	der := vendorCert(t, "Passly", now.Add(-time.Hour), now.AddDate(1, 0, 0))
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	b64 := base64.StdEncoding.EncodeToString(der)
	for name, data := range map[string][]byte{
		"pem": pemData, "pem with BOM and CRLF": append([]byte("\xef\xbb\xbf"), []byte(strings.ReplaceAll(string(pemData), "\n", "\r\n"))...),
		"der": der, "bare base64": []byte(b64[:40] + "\n" + b64[40:] + "\n"),
	} {
		c, err := ParseVendorCertificate(data, now)
		if err != nil || c.Thumbprint != Thumbprint(der) || len(c.Thumbprint) != 40 {
			t.Errorf("%s: %v %+v", name, err, c)
		}
	}
	_, key, _ := GenerateCertificate("CN=x", 24*time.Hour)
	for name, c := range map[string]struct {
		data []byte
		says string
	}{
		"empty":       {nil, "empty"},
		"private key": {key, "private key"},
		"text":        {[]byte("hello, this is not a certificate"), "not a certificate"},
		"no cert":     {[]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), "no \"BEGIN CERTIFICATE\""},
		"expired":     {vendorCert(t, "old", now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0)), "expired"},
		"future":      {vendorCert(t, "new", now.AddDate(0, 1, 0), now.AddDate(1, 0, 0)), "valid only from"},
		"junk der":    {[]byte{0x30, 0x03, 0x01, 0x02}, "not an X.509 certificate"},
	} {
		_, err := ParseVendorCertificate(c.data, now)
		if KindOf(err) != KindInput || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want one saying %q", name, err, c.says)
		}
	}
	if g := GroupedThumbprint("0123456789ABCDEF01"); g != "0123 4567 89AB CDEF 01" {
		t.Errorf("grouped: %q", g)
	}
}

// The domain preview counts users by e-mail domain without reading them.
func TestCountUsersInDomains(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sess := e.mustSignIn(t, "admin@contoso.com")
	var total, noMail int
	e.s.Tenant("", func(tn *sandbox.Tenant) {
		total = len(tn.Users)
		for _, u := range tn.Users {
			if u.Mail == "" {
				noMail++
			}
		}
	})
	all, err := sess.CountUsersInDomains(ctx, []string{"contoso.com", "*"}, []string{"contoso.com"})
	if err != nil || !all.All || all.Users != total || all.WithoutMail != noMail || noMail == 0 {
		t.Fatalf("*: %v %+v (want %d, %d without mail)", err, all, total, noMail)
	}
	c, err := sess.CountUsersInDomains(ctx, []string{"Contoso.com, fabrikam.com", "@contoso.com"}, []string{"contoso.com"})
	if err != nil || c.All || len(c.Domains) != 2 || c.Users != total-noMail || c.Domains[0].Users != total-noMail ||
		!c.Domains[0].Verified || c.Domains[1].Verified || c.Domains[1].Users != 0 {
		t.Fatalf("domains: %v %+v", err, c)
	}
	if !strings.Contains(c.Summary(), "fabrikam.com 0 (not a verified domain") {
		t.Errorf("summary: %s", c.Summary())
	}
	for _, bad := range [][]string{nil, {""}, {"contoso"}, {"con toso.com!"}} {
		if _, err := sess.CountUsersInDomains(ctx, bad, nil); KindOf(err) != KindInput {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
