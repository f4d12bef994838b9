package graphops

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Every read-only probe kind makes its real call against the sandbox and
// passes; Group.Create, which no read-only call proves, says so plainly.
func TestEveryProbeKindMakesItsCall(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sess := e.mustSignIn(t, "admin@contoso.com")
	spec := AppSpec{DisplayName: "Probe kinds", Profile: "probes", AppRoles: []string{"AuditLog.Read.All", "Directory.Read.All",
		"Files.Read.All", "Group.Read.All", "Reports.Read.All", "Sites.Read.All", "User.Read.All", "Domain.Read.All",
		"Organization.Read.All", "Group.Create"}}
	r, err := e.runSetup(ctx, t, sess, spec)
	if err != nil {
		t.Fatal(err)
	}
	var probes []Probe
	for _, p := range spec.AppRoles {
		probes = append(probes, Probe{Permission: p, Kind: DefaultProbe(p)})
	}
	before := len(e.s.Log().Entries())
	rep, err := TestSettings(ctx, TestOptions{Cloud: e.cloud, HTTPClient: e.http(), TenantID: r.admin.TenantID,
		ClientID: r.app.AppID, Credential: AppCredential{Secret: r.secret.Value}, Expect: spec.AppRoles,
		Probes: probes, Fresh: true, Patience: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("not green: %+v", rep.Checks)
	}
	byPerm := map[string]Check{}
	for _, c := range rep.Checks {
		if c.Permission != "" && !strings.HasPrefix(c.Name, "Permission ") {
			byPerm[c.Permission] = c
		}
	}
	want := map[string]string{
		"AuditLog.Read.All": "audit log", "Directory.Read.All": "organization", "Files.Read.All": "document library",
		"Group.Read.All": "groups", "Reports.Read.All": "active user report", "Sites.Read.All": "root SharePoint site",
		"User.Read.All": "user", "Domain.Read.All": "domains", "Organization.Read.All": "organization",
		"Group.Create": "creates a group",
	}
	for perm, says := range want {
		c, ok := byPerm[perm]
		if !ok || !c.OK || !strings.Contains(c.Message, says) || strings.Contains(c.Message, "test message") {
			t.Errorf("%s: %+v; want a passing check saying %q", perm, c, says)
		}
	}
	// The real calls went out (inside the $batch).
	paths := map[string]bool{}
	for _, le := range e.s.Log().Entries()[before:] {
		paths[le.Path] = true
	}
	for _, p := range []string{"/v1.0/sites/root", "/v1.0/sites/root/drive", "/v1.0/auditLogs/directoryAudits", "/v1.0/domains"} {
		if !paths[p] {
			t.Errorf("no call to %s; calls: %v", p, paths)
		}
	}
}

// Files.Read.All alone reaches the root site's library but not the site
// itself: each probe proves its own permission.
func TestFilesProbeNeedsOnlyFiles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sess := e.mustSignIn(t, "admin@contoso.com")
	spec := AppSpec{DisplayName: "Files only", Profile: "probes", AppRoles: []string{"Files.Read.All"}}
	r, err := e.runSetup(ctx, t, sess, spec)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := TestSettings(ctx, TestOptions{Cloud: e.cloud, HTTPClient: e.http(), TenantID: r.admin.TenantID,
		ClientID: r.app.AppID, Credential: AppCredential{Secret: r.secret.Value}, Expect: spec.AppRoles,
		Probes: []Probe{{Permission: "Files.Read.All", Kind: ProbeFiles}, {Permission: "Files.Read.All", Kind: ProbeSites}},
		Fresh:  true, Patience: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var files, site Check
	for _, c := range rep.Checks {
		switch {
		case strings.HasPrefix(c.Name, "Read files"):
			files = c
		case strings.HasPrefix(c.Name, "Read SharePoint"):
			site = c
		}
	}
	if !files.OK || site.OK || site.Code != "Authorization_RequestDenied" {
		t.Fatalf("files %+v / site %+v", files, site)
	}
}

func TestDefaultProbe(t *testing.T) {
	for perm, want := range map[string]ProbeKind{
		"User.Read.All": ProbeUsers, "user.readwrite.all": ProbeUsers, "Mail.Send": ProbeSendMail, "Mail.ReadWrite": ProbeInbox,
		"Calendars.Read": ProbeCalendar, "Group.ReadWrite.All": ProbeGroups, "Group.Create": ProbeRoleOnly,
		"Directory.Read.All": ProbeOrg, "Domain.Read.All": ProbeDomains, "Reports.Read.All": ProbeReports,
		"AuditLog.Read.All": ProbeAuditLogs, "Sites.Read.All": ProbeSites, "Files.Read.All": ProbeFiles,
		"Application.Read.All": ProbeRoleOnly,
	} {
		if got := DefaultProbe(perm); got != want {
			t.Errorf("DefaultProbe(%s) = %s, want %s", perm, got, want)
		}
	}
	if len(ProbeKinds) != 12 {
		t.Errorf("ProbeKinds: %v", ProbeKinds)
	}
}
