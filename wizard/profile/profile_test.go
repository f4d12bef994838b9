package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"m365wizard/assets"
	"m365wizard/graphops"
)

func TestBuiltinProfilesLoad(t *testing.T) {
	names, err := fs.Glob(assets.Profiles, "profiles/*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no embedded profiles: %v", err)
	}
	for _, n := range names {
		key := strings.TrimSuffix(filepath.Base(n), ".json")
		t.Run(key, func(t *testing.T) {
			p, err := Load(key)
			if err != nil {
				t.Fatalf("Load(%q): %v", key, err)
			}
			if p.Key != key || !p.Builtin() || p.Source() != "built-in "+key+".json" {
				t.Errorf("key %q builtin %v source %q", p.Key, p.Builtin(), p.Source())
			}
			// Every shipped profile keeps its own promises.
			all := p.featureKeys()
			if len(p.DefaultFeatures()) == 0 && !p.Custom() {
				t.Error("no default features")
			}
			for _, pr := range p.Probes(all) {
				if !containsFold(p.AppRoles(all), pr.Permission) {
					t.Errorf("probe for %s, which no feature asks for", pr.Permission)
				}
			}
			if p.Flow == FlowRegister {
				if len(p.Probes(all)) != len(p.AppRoles(all)) {
					t.Errorf("%d probes for %d permissions", len(p.Probes(all)), len(p.AppRoles(all)))
				}
				if err := graphops.ValidateAppName(p.AppSpec("", all).DisplayName); err != nil {
					t.Errorf("default app name: %v", err)
				}
				if p.Credential.Default == "" || !p.AllowsCredential(p.Credential.Default) {
					t.Errorf("credential default %q", p.Credential.Default)
				}
			}
			for _, f := range p.Features {
				for _, perm := range append(append([]string(nil), f.ApplicationPermissions...), f.DelegatedScopes...) {
					if p.Reason(perm) == "" {
						t.Errorf("%s: no reason for %s", f.Key, perm)
					}
				}
			}
		})
	}
	got := All()
	if len(got) != len(names) {
		t.Fatalf("All() returned %d profiles, %d files", len(got), len(names))
	}
	if got[0].Key != HelpMaster {
		t.Errorf("All()[0] = %s, want helpmaster first", got[0].Key)
	}
	for i := 2; i < len(got); i++ {
		if strings.ToLower(got[i-1].Product) > strings.ToLower(got[i].Product) {
			t.Errorf("All() not sorted by product: %s before %s", got[i-1].Product, got[i].Product)
		}
	}
}

// TestHelpMaster pins the primary profile to the guide (seed 002).
func TestHelpMaster(t *testing.T) {
	p, err := Load("helpmaster")
	if err != nil {
		t.Fatal(err)
	}
	if p.Product != "HelpMaster" || p.App.DefaultName != "HelpMaster" || p.App.Audience != "single-tenant" || p.Flow != FlowRegister {
		t.Errorf("product %q name %q audience %q flow %q", p.Product, p.App.DefaultName, p.App.Audience, p.Flow)
	}
	type row struct{ key, label, module, functionality, perm string }
	want := []row{
		{"users", "Browse users", "All modules", "Browse / enumerate users in M365", "User.Read.All"},
		{"send", "Send email", "All modules", "Send email from HelpMaster", "Mail.Send"},
		{"email-manager", "Email Manager", "Email Manager", "Read email inboxes / folders", "Mail.ReadWrite"},
		{"calendar", "Workflow calendar", "All Workflow Scripts", "Manage Calendar Schedules", "Calendars.ReadWrite"},
	}
	if len(p.Features) != len(want) {
		t.Fatalf("%d features, want %d", len(p.Features), len(want))
	}
	for i, w := range want {
		f := p.Features[i]
		got := row{f.Key, f.Label, f.Module, f.Functionality, strings.Join(f.ApplicationPermissions, ",")}
		if got != w {
			t.Errorf("feature %d = %+v, want %+v", i, got, w)
		}
		if len(f.DelegatedScopes) != 0 {
			t.Errorf("%s has delegated scopes %v", f.Key, f.DelegatedScopes)
		}
		if f.Required != (f.Key == "users") {
			t.Errorf("%s required = %v", f.Key, f.Required)
		}
		if p.Reason(w.perm) == "" || strings.Contains(p.Reason(w.perm), "\n") {
			t.Errorf("reason for %s: %q", w.perm, p.Reason(w.perm))
		}
	}
	if got := p.DefaultFeatures(); !reflect.DeepEqual(got, []string{"users", "send"}) {
		t.Errorf("DefaultFeatures = %v", got)
	}
	if p.Defaults.Label != "Send Only Permissions" {
		t.Errorf("defaults label %q", p.Defaults.Label)
	}
	all := []string{"users", "send", "email-manager", "calendar"}
	spec := p.AppSpec("", all)
	wantSpec := graphops.AppSpec{DisplayName: "HelpMaster", Profile: "helpmaster",
		AppRoles: []string{"User.Read.All", "Mail.Send", "Mail.ReadWrite", "Calendars.ReadWrite"}}
	if !reflect.DeepEqual(spec, wantSpec) {
		t.Errorf("AppSpec = %+v\nwant %+v", spec, wantSpec)
	}
	if got := p.AppSpec("HelpMaster Prod", nil); got.DisplayName != "HelpMaster Prod" || !reflect.DeepEqual(got.AppRoles, []string{"User.Read.All"}) {
		t.Errorf("AppSpec(name, nil) = %+v (the required feature must stay on)", got)
	}
	wantProbes := []graphops.Probe{
		{Permission: "User.Read.All", Kind: graphops.ProbeUsers},
		{Permission: "Mail.Send", Kind: graphops.ProbeSendMail},
		{Permission: "Mail.ReadWrite", Kind: graphops.ProbeInbox},
		{Permission: "Calendars.ReadWrite", Kind: graphops.ProbeCalendar},
	}
	if got := p.Probes(all); !reflect.DeepEqual(got, wantProbes) {
		t.Errorf("Probes = %v", got)
	}
	if got := p.Probes([]string{"calendar"}); !reflect.DeepEqual(got, []graphops.Probe{wantProbes[0], wantProbes[3]}) {
		t.Errorf("Probes(calendar) = %v", got)
	}
	if p.NeedsMailbox(nil) || !p.NeedsMailbox([]string{"send"}) {
		t.Error("NeedsMailbox: users alone needs none, send does")
	}
	if !p.MailboxScoping.Enabled {
		t.Error("mailbox scoping is off")
	}
	for perm, scoped := range map[string]bool{"Mail.Send": true, "mail.readwrite": true, "Calendars.ReadWrite": true, "User.Read.All": false} {
		if p.ExchangeScoped(perm) != scoped {
			t.Errorf("ExchangeScoped(%s) = %v", perm, !scoped)
		}
	}
	if got := p.ScopedPermissions([]string{"send", "email-manager"}); !reflect.DeepEqual(got, []string{"Mail.Send", "Mail.ReadWrite"}) {
		t.Errorf("ScopedPermissions = %v", got)
	}
	if p.Credential.Default != CredentialSecret || !p.AllowsCredential(CredentialCertificate) || p.AllowsCredential(CredentialVendorCertificate) {
		t.Errorf("credential %+v", p.Credential)
	}
	if p.Test.SuccessText != graphops.SuccessText || p.Test.Button != "Test Settings" {
		t.Errorf("test %+v", p.Test)
	}
	for name, frag := range map[string]string{
		p.Help.SecretValue: "the Value, not the Secret ID",
		p.Help.Expiry:      "if a secret expires",
		p.Help.Credential:  "descriptive label only",
		p.Help.Intro:       "send and receive email from Microsoft 365",
		p.Help.Scoping:     "Mail-enabled security group",
	} {
		if !strings.Contains(name, frag) {
			t.Errorf("help text %q lacks %q", name, frag)
		}
	}
	if len(p.Legacy) != 0 || p.DomainFilter.Enabled || len(p.DelegatedScopes(all)) != 0 {
		t.Error("HelpMaster has no legacy items, domain filter or delegated scopes")
	}
	var handoff []string
	for _, f := range p.Handoff.Fields {
		handoff = append(handoff, f.Value)
	}
	if !reflect.DeepEqual(handoff, []string{ValueClientID, ValueTenantID, ValueSecret}) {
		t.Errorf("handoff %v", handoff)
	}
}

// TestOtherProfiles pins the other shipped profiles to their guides (seeds
// 000, 001, 003, 004): only what the guides say.
func TestOtherProfiles(t *testing.T) {
	cases := []struct {
		key         string
		flow        Flow
		roles       []string
		scopes      []string
		removed     []string
		redirects   []string
		credentials []CredentialType
		domains     string // domainFilter.setBy, "" = none
		legacy      int
		button      string
		success     string
		handoff     []string
	}{
		{key: "quickhelp", flow: FlowRegister, roles: []string{"User.Read.All", "Reports.Read.All"},
			credentials: []CredentialType{CredentialSecret}, domains: "vendor", button: "Test Settings",
			handoff: []string{ValueClientID, ValueTenantID, ValueSecret, ValueDomains}},
		{key: "quality-clouds", flow: FlowRegister,
			roles:       []string{"AuditLog.Read.All", "Directory.Read.All", "Files.Read.All", "Group.Read.All", "Reports.Read.All", "Sites.Read.All", "User.Read.All"},
			scopes:      []string{"User.Read"},
			credentials: []CredentialType{CredentialSecret}, legacy: 1, button: "Test Settings",
			handoff: []string{ValueClientID, ValueTenantID, ValueSecret}},
		{key: "saas-connector", flow: FlowRegister,
			roles:  []string{"Directory.Read.All", "Organization.Read.All", "User.Read.All", "Reports.Read.All"},
			scopes: []string{"offline_access"}, removed: []string{"User.Read"}, redirects: []string{"http://localhost"},
			credentials: []CredentialType{CredentialSecret}, domains: "product", button: "Test Settings",
			handoff: []string{ValueTenantID, ValueClientID, ValueSecret, ValueDomains}},
		{key: "passly", flow: FlowRegister,
			roles:       []string{"Group.Create", "Group.Read.All", "Group.ReadWrite.All", "Domain.Read.All", "User.ReadWrite.All"},
			credentials: []CredentialType{CredentialVendorCertificate}, button: "Verify", success: "Is verified",
			handoff: []string{ValueClientID, ValueTenantID}},
		{key: "custom", flow: FlowRegister, credentials: []CredentialType{CredentialSecret, CredentialCertificate}, button: "Test Settings"},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			p, err := Load(c.key)
			if err != nil {
				t.Fatal(err)
			}
			all := p.featureKeys()
			var handoff []string
			for _, f := range p.Handoff.Fields {
				handoff = append(handoff, f.Value)
			}
			domains := ""
			if p.DomainFilter.Enabled {
				domains = p.DomainFilter.SetBy
			}
			got := []any{p.Flow, p.AppRoles(all), p.DelegatedScopes(all), p.RemovedScopes(), p.RedirectURIs(),
				p.Credential.Allowed, domains, len(p.Legacy), p.Test.Button, p.Test.SuccessText, handoff}
			want := []any{c.flow, c.roles, c.scopes, c.removed, c.redirects, c.credentials, c.domains, c.legacy, c.button, c.success, c.handoff}
			names := []string{"flow", "roles", "delegated scopes", "removed scopes", "redirect URIs", "credentials", "domain filter", "legacy items", "test button", "success text", "handoff"}
			for i := range got {
				if g, w := fmt.Sprint(got[i]), fmt.Sprint(want[i]); g != w {
					t.Errorf("%s = %s, want %s", names[i], g, w)
				}
			}
			if p.MailboxScoping.Enabled {
				t.Error("no seed but HelpMaster scopes mailboxes")
			}
		})
	}
}

// Aliases: the command line says qualityclouds; the file's key stays
// quality-clouds (it names the app's uniqueName).
func TestAliases(t *testing.T) {
	for _, k := range []string{"qualityclouds", "quality-clouds"} {
		p, err := Load(k)
		if err != nil || p.Key != "quality-clouds" || !p.Names("qualityclouds") || Canonical(k) != "quality-clouds" {
			t.Errorf("Load(%q) = %v, %v", k, p, err)
		}
	}
	if Canonical("nosuch") != "nosuch" {
		t.Error("Canonical of an unknown key")
	}
	keys := Keys()
	if len(keys) != len(All()) || keys[0] != HelpMaster {
		t.Errorf("Keys() = %v", keys)
	}
	for _, k := range keys {
		if k == "qualityclouds" {
			t.Error("an alias is listed as a profile")
		}
	}
}

// The custom profile: the admin's picked permissions, each with a probe.
func TestCustomPermissions(t *testing.T) {
	p, err := Load("custom")
	if err != nil {
		t.Fatal(err)
	}
	picked := []string{"User.Read.All", "Group.Create", "user.read.all", "Sites.Read.All"}
	if got := p.AllAppRoles(nil, picked); !reflect.DeepEqual(got, []string{"User.Read.All", "Group.Create", "Sites.Read.All"}) {
		t.Errorf("AllAppRoles = %v", got)
	}
	want := []graphops.Probe{{Permission: "User.Read.All", Kind: graphops.ProbeUsers}, {Permission: "Group.Create", Kind: graphops.ProbeRoleOnly},
		{Permission: "Sites.Read.All", Kind: graphops.ProbeSites}}
	if got := p.AllProbes(nil, picked); !reflect.DeepEqual(got, want) {
		t.Errorf("AllProbes = %v", got)
	}
	if spec := p.AppSpecFor("My app", nil, picked); spec.DisplayName != "My app" || len(spec.AppRoles) != 3 || spec.Profile != "custom" {
		t.Errorf("AppSpecFor = %+v", spec)
	}
	// A profile without customPermissions ignores picked ones.
	hm, _ := Load(HelpMaster)
	if got := hm.AllAppRoles([]string{"users"}, []string{"Group.Create"}); !reflect.DeepEqual(got, []string{"User.Read.All"}) {
		t.Errorf("HelpMaster took a picked permission: %v", got)
	}
	// A profile's own probe wins over the default.
	qc, _ := Load("qualityclouds")
	if pr := qc.Probe("Directory.Read.All"); pr.Kind != graphops.ProbeOrg {
		t.Errorf("Probe = %v", pr)
	}
	if qc.Legacy[0].MappedTo != "User.Read" || !containsFold(qc.DelegatedScopes(nil), "User.Read") {
		t.Errorf("Quality Clouds' retired Azure AD Graph User.Read is not mapped to Microsoft Graph's: %+v", qc.Legacy)
	}
	ps, _ := Load("passly")
	if !ps.VendorCertificate() || qc.VendorCertificate() {
		t.Error("VendorCertificate")
	}
}

func TestLoadUnknown(t *testing.T) {
	for _, key := range []string{"nope", "../assets", "HelpMaster", ""} {
		_, err := Load(key)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "helpmaster") {
			t.Errorf("Load(%q) = %v; want ErrNotFound naming the built-in profiles", key, err)
		}
	}
}

// base is a valid profile exercising what HelpMaster does not: delegated
// scopes added and removed, a redirect URI, a domain filter, legacy items.
const base = `{
  "format": 1,
  "key": "saas-connector",
  "product": "SaaS connector",
  "guide": {"title": "Prepare Microsoft 365 connector", "reference": "seed 003"},
  "app": {"defaultName": "SaaS connector", "redirectUris": [{"platform": "web", "uri": "http://localhost"}]},
  "features": [
    {"key": "connector", "label": "Connector", "required": true, "reason": "Reads subscriptions and users.",
     "applicationPermissions": ["Directory.Read.All", "Organization.Read.All", "User.Read.All"]},
    {"key": "activity", "label": "User activity", "reason": "Reads usage reports.",
     "applicationPermissions": ["Reports.Read.All", "User.Read.All"], "delegatedScopes": ["Reports.Read.All"]}
  ],
  "defaults": {"features": ["activity"]},
  "delegated": {"add": ["offline_access"], "remove": ["User.Read"]},
  "credential": {"allowed": ["secret"]},
  "domainFilter": {"enabled": true, "label": "Domains", "setBy": "product", "default": ["*"]},
  "probes": [
    {"permission": "Directory.Read.All", "kind": "org"},
    {"permission": "Organization.Read.All", "kind": "org"},
    {"permission": "User.Read.All", "kind": "users"},
    {"permission": "Reports.Read.All", "kind": "reports"}
  ],
  "legacy": [{"api": "Azure Active Directory Graph", "permission": "User.Read", "type": "delegated", "note": "Retired."}]
}`

func TestHelpersOnAnotherShape(t *testing.T) {
	p, err := Parse([]byte(base), "base.json")
	if err != nil {
		t.Fatal(err)
	}
	if p.Credential.Default != CredentialSecret || p.Test.Button != "Test Settings" || p.Flow != FlowRegister {
		t.Errorf("defaults not filled: %+v %+v %q", p.Credential, p.Test, p.Flow)
	}
	if got := p.AppRoles([]string{"activity", "activity", "unknown"}); !reflect.DeepEqual(got,
		[]string{"Directory.Read.All", "Organization.Read.All", "User.Read.All", "Reports.Read.All"}) {
		t.Errorf("AppRoles = %v", got)
	}
	if got := p.DelegatedScopes(nil); !reflect.DeepEqual(got, []string{"offline_access"}) {
		t.Errorf("DelegatedScopes(nil) = %v", got)
	}
	if got := p.DelegatedScopes([]string{"activity"}); !reflect.DeepEqual(got, []string{"Reports.Read.All", "offline_access"}) {
		t.Errorf("DelegatedScopes(activity) = %v", got)
	}
	if got := p.RemovedScopes(); !reflect.DeepEqual(got, []string{"User.Read"}) {
		t.Errorf("RemovedScopes = %v", got)
	}
	spec := p.AppSpec("Connector", []string{"activity"})
	if !reflect.DeepEqual(spec.WebRedirectURIs, []string{"http://localhost"}) || spec.Profile != "saas-connector" {
		t.Errorf("AppSpec = %+v", spec)
	}
	if p.ExchangeScoped("User.Read.All") || p.NeedsMailbox([]string{"activity"}) {
		t.Error("no mailbox scoping here")
	}
	if p.Feature("activity") == nil || p.Feature("nope") != nil {
		t.Error("Feature lookup")
	}
	if got := p.Selected([]string{"activity"}); !reflect.DeepEqual(got, []string{"connector", "activity"}) {
		t.Errorf("Selected = %v", got)
	}
}

// mutate parses base, applies edit to it as generic JSON and returns the bytes.
func mutate(t *testing.T, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(base), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func feature(m map[string]any, i int) map[string]any {
	return m["features"].([]any)[i].(map[string]any)
}

func TestSemanticErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(m map[string]any)
		want []string // each "field: message fragment"
	}{
		{"no format", func(m map[string]any) { delete(m, "format") }, []string{`format: is required; this wizard reads profile format 1`}},
		{"future format", func(m map[string]any) { m["format"] = 2 }, []string{`format: this wizard reads profile format 1, the file is format 2`}},
		{"no key", func(m map[string]any) { delete(m, "key") }, []string{`key: is required`}},
		{"key not a slug", func(m map[string]any) { m["key"] = "My Profile" }, []string{`key: "My Profile" is not a profile key`}},
		{"key too long", func(m map[string]any) { m["key"] = strings.Repeat("a", 33) }, []string{`is not a profile key: use up to 32`}},
		{"no product", func(m map[string]any) { delete(m, "product") }, []string{`product: is required`}},
		{"product two lines", func(m map[string]any) { m["product"] = "a\nb" }, []string{`product: must be one line`}},
		{"no guide", func(m map[string]any) { m["guide"] = map[string]any{"title": "x"} }, []string{`guide: needs a reference or a url`}},
		{"bad guide url", func(m map[string]any) { m["guide"] = map[string]any{"title": "x", "url": "docs/guide"} }, []string{`guide.url: "docs/guide" is not a web address`}},
		{"bad flow", func(m map[string]any) { m["flow"] = "manual" }, []string{`flow: "manual" is not a flow; use "register" or "vendor-consent"`}},
		{"no app name", func(m map[string]any) { m["app"].(map[string]any)["defaultName"] = "" }, []string{`app.defaultName: is required`}},
		{"app name too long", func(m map[string]any) { m["app"].(map[string]any)["defaultName"] = strings.Repeat("x", 121) }, []string{`app.defaultName: The app name is longer than the 120 characters Entra allows.`}},
		{"multi-tenant", func(m map[string]any) { m["app"].(map[string]any)["audience"] = "multi-tenant" }, []string{`app.audience: "multi-tenant" is not supported`}},
		{"http redirect", func(m map[string]any) {
			m["app"].(map[string]any)["redirectUris"] = []any{map[string]any{"platform": "web", "uri": "http://example.com/cb"}}
		}, []string{`app.redirectUris[0].uri: "http://example.com/cb": Entra accepts http:// only for localhost`}},
		{"spa redirect", func(m map[string]any) {
			m["app"].(map[string]any)["redirectUris"] = []any{map[string]any{"platform": "spa", "uri": "https://x.example.com"}}
		}, []string{`app.redirectUris[0].platform: "spa" is not supported`}},
		{"no features", func(m map[string]any) {
			m["features"] = []any{}
			m["defaults"] = map[string]any{}
			m["probes"] = []any{}
		},
			[]string{`features: needs at least one feature`}},
		{"duplicate feature key", func(m map[string]any) { feature(m, 1)["key"] = "connector" },
			[]string{`features[1].key: "connector" is also the key of features[0]; feature keys must be unique`,
				`defaults.features[0]: "activity" is not the key of a feature; the features are connector, connector`}},
		{"feature key shape", func(m map[string]any) { feature(m, 1)["key"] = "User_Activity" },
			[]string{`features[1].key: "User_Activity" is not a feature key`, `defaults.features[0]: "activity" is not the key of a feature`}},
		{"no label, no reason", func(m map[string]any) { delete(feature(m, 0), "label"); delete(feature(m, 0), "reason") },
			[]string{`features[0].label: is required`, `features[0].reason: is required`}},
		{"permission shape", func(m map[string]any) {
			feature(m, 0)["applicationPermissions"] = []any{"Directory Read All", "Organization.Read.All", "User.Read.All"}
		},
			[]string{`features[0].applicationPermissions[0]: "Directory Read All" is not shaped like a Microsoft Graph application permission`,
				`probes[0].permission: Directory.Read.All is not an application permission of any feature`}},
		{"openid name as app permission", func(m map[string]any) { feature(m, 1)["applicationPermissions"] = []any{"offline_access"} },
			[]string{`features[1].applicationPermissions[0]: "offline_access" is not shaped like a Microsoft Graph application permission`,
				`probes[3].permission: Reports.Read.All is not an application permission of any feature`}},
		{"scope shape", func(m map[string]any) { feature(m, 1)["delegatedScopes"] = []any{"Reports Read"} },
			[]string{`features[1].delegatedScopes[0]: "Reports Read" is not shaped like a Microsoft Graph delegated permission`}},
		{"repeated permission", func(m map[string]any) {
			feature(m, 1)["applicationPermissions"] = []any{"Reports.Read.All", "reports.read.all"}
		},
			[]string{`features[1].applicationPermissions[1]: reports.read.all is listed twice`}},
		{"feature without permissions", func(m map[string]any) {
			delete(feature(m, 1), "applicationPermissions")
			delete(feature(m, 1), "delegatedScopes")
		},
			[]string{`features[1]: needs at least one permission`, `probes[3].permission: Reports.Read.All is not an application permission of any feature`}},
		{"default not a feature", func(m map[string]any) { m["defaults"] = map[string]any{"features": []any{"activity", "reports"}} },
			[]string{`defaults.features[1]: "reports" is not the key of a feature; the features are connector, activity`}},
		{"default twice", func(m map[string]any) { m["defaults"] = map[string]any{"features": []any{"activity", "activity"}} },
			[]string{`defaults.features[1]: "activity" is listed twice`}},
		{"nothing on at first", func(m map[string]any) { delete(feature(m, 0), "required"); m["defaults"] = map[string]any{} },
			[]string{`defaults.features: no feature would be on at first`}},
		{"scope added and removed", func(m map[string]any) {
			m["delegated"] = map[string]any{"add": []any{"User.Read"}, "remove": []any{"user.read"}}
		},
			[]string{`delegated.add[0]: User.Read is both added and removed`}},
		{"feature scope removed", func(m map[string]any) {
			m["delegated"] = map[string]any{"remove": []any{"Reports.Read.All"}}
		}, []string{`features[1].delegatedScopes[0]: Reports.Read.All is in delegated.remove`}},
		{"no credential", func(m map[string]any) { m["credential"] = map[string]any{} }, []string{`credential.allowed: needs at least one credential type: secret, certificate, vendor-certificate`}},
		{"unknown credential", func(m map[string]any) { m["credential"] = map[string]any{"allowed": []any{"password"}} },
			[]string{`credential.allowed[0]: "password" is not a credential type`}},
		{"default credential not allowed", func(m map[string]any) {
			m["credential"] = map[string]any{"allowed": []any{"secret"}, "default": "certificate"}
		}, []string{`credential.default: "certificate" is not one of credential.allowed`}},
		{"default credential missing", func(m map[string]any) { m["credential"] = map[string]any{"allowed": []any{"secret", "certificate"}} },
			[]string{`credential.default: is required when more than one credential type is allowed`}},
		{"vendor consent with credential", func(m map[string]any) {
			m["flow"] = "vendor-consent"
			delete(m["app"].(map[string]any), "redirectUris")
		},
			[]string{`credential: the vendor-consent flow makes no credential`}},
		{"scoping without permissions", func(m map[string]any) { m["mailboxScoping"] = map[string]any{"enabled": true} },
			[]string{`mailboxScoping.permissions: lists no permission`}},
		{"scoping a permission Exchange cannot scope", func(m map[string]any) {
			m["mailboxScoping"] = map[string]any{"enabled": true, "permissions": []any{"User.Read.All"}}
		}, []string{`mailboxScoping.permissions[0]: User.Read.All is not a permission Exchange can restrict to some mailboxes`}},
		{"scoping a permission no feature has", func(m map[string]any) {
			m["mailboxScoping"] = map[string]any{"enabled": true, "permissions": []any{"Mail.Send"}}
		}, []string{`mailboxScoping.permissions[0]: Mail.Send is not an application permission of any feature`}},
		{"domain filter setBy", func(m map[string]any) { m["domainFilter"].(map[string]any)["setBy"] = "admin" },
			[]string{`domainFilter.setBy: "admin": say who keeps the list`}},
		{"domain filter default", func(m map[string]any) { m["domainFilter"].(map[string]any)["default"] = []any{"*", "contoso"} },
			[]string{`domainFilter.default[1]: "contoso" is neither * (all domains) nor a domain name`}},
		{"domain filter settings while off", func(m map[string]any) { m["domainFilter"].(map[string]any)["enabled"] = false },
			[]string{`domainFilter.enabled: is false, yet the domain filter has settings`}},
		{"unknown probe kind", func(m map[string]any) { m["probes"].([]any)[0].(map[string]any)["kind"] = "directory" },
			[]string{`probes[0].kind: "directory" is not a probe the wizard knows; use one of users, inbox, calendar, sendmail, role, groups, org, domains, reports, auditlogs, sites, files`}},
		{"probe twice", func(m map[string]any) {
			m["probes"] = append(m["probes"].([]any), map[string]any{"permission": "user.read.all", "kind": "role"})
		}, []string{`probes[4].permission: user.read.all already has a probe`}},
		{"permission without probe", func(m map[string]any) { m["probes"] = m["probes"].([]any)[:3] },
			[]string{`features[1].applicationPermissions[0]: Reports.Read.All has no probe: add {"permission": "Reports.Read.All", "kind": …} to probes`}},
		{"handoff value", func(m map[string]any) {
			m["handoff"] = map[string]any{"fields": []any{map[string]any{"label": "Key", "value": "password"}}}
		}, []string{`handoff.fields[0].value: "password" is not a value the wizard hands over`}},
		{"legacy without note", func(m map[string]any) { delete(m["legacy"].([]any)[0].(map[string]any), "note") },
			[]string{`legacy[0].note: is required`}},
		{"control character in help", func(m map[string]any) { m["help"] = map[string]any{"intro": "a\x07b"} },
			[]string{`help.intro: contains a control character`}},
		{"alias not a key", func(m map[string]any) { m["aliases"] = []any{"SaaS Connector", "saas-connector"} },
			[]string{`aliases[0]: "SaaS Connector" is not a profile key`, `aliases[1]: "saas-connector" is the key or another alias already`}},
		{"legacy mapped to nothing asked for", func(m map[string]any) { m["legacy"].([]any)[0].(map[string]any)["mappedTo"] = "User.Read" },
			[]string{`legacy[0].mappedTo: User.Read is not a permission of this profile: add it to a feature or to delegated.add`}},
		{"legacy mapped to a bad name", func(m map[string]any) { m["legacy"].([]any)[0].(map[string]any)["mappedTo"] = "User Read" },
			[]string{`legacy[0].mappedTo: "User Read" is not shaped like a Microsoft Graph delegated permission`}},
		{"custom permissions settings while off", func(m map[string]any) { m["customPermissions"] = map[string]any{"text": "Pick"} },
			[]string{`customPermissions.enabled: is false, yet customPermissions has settings`}},
		{"custom permissions with vendor consent", func(m map[string]any) {
			m["flow"] = "vendor-consent"
			m["customPermissions"] = map[string]any{"enabled": true}
			delete(m["app"].(map[string]any), "redirectUris")
			m["credential"] = map[string]any{}
		}, []string{`customPermissions: the vendor-consent flow registers no app`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(mutate(t, c.edit), "bad.json")
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("err = %v (%T), want an ErrorList", err, err)
			}
			var got []string
			for _, e := range list {
				if e.Source != "bad.json" || e.Line != 0 {
					t.Errorf("problem %+v: want source bad.json and no line", e)
				}
				got = append(got, e.Field+": "+e.Message)
			}
			for _, w := range c.want {
				found := false
				for _, g := range got {
					found = found || strings.Contains(g, w)
				}
				if !found {
					t.Errorf("no problem %q in\n  %s", w, strings.Join(got, "\n  "))
				}
			}
			if len(got) > len(c.want) {
				t.Errorf("more problems than expected:\n  %s", strings.Join(got, "\n  "))
			}
			if !strings.HasPrefix(err.Error(), "bad.json: ") {
				t.Errorf("Error() = %q, want it to start with the file name", err)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	cases := []struct {
		name, in string
		want     string // the whole Error()
	}{
		{"empty", "  \n", `p.json: the file is empty; a profile is a JSON object { … }`},
		{"trailing comma", "{\n  \"format\": 1,\n  \"key\": \"x\",\n}", `p.json:4:1: JSON syntax error: invalid character '}' looking for beginning of object key string (a comma before a closing bracket is not allowed in JSON)`},
		{"comment", "{\n  // mine\n  \"format\": 1\n}", `p.json:2:3: JSON syntax error: invalid character '/' looking for beginning of object key string (JSON has no comments; use the "notes" field)`},
		{"single quotes", "{'format': 1}", `p.json:1:2: JSON syntax error: invalid character '\'' looking for beginning of object key string (JSON strings use double quotes)`},
		{"missing comma", "{\n  \"format\": 1\n  \"key\": \"x\"\n}", `p.json:3:3: JSON syntax error: invalid character '"' after object key:value pair (a comma is missing before this)`},
		{"truncated", "{\n  \"format\": 1,\n  \"features\": [", `p.json:3:16: the file ends before the profile does (a closing } or ] or " is missing)`},
		{"two objects", "{\"format\": 1}\n{}", `p.json:2:1: more text after the profile's closing }; a file holds one profile`},
		{"unknown top-level field", "{\n  \"format\": 1,\n  \"colour\": \"red\"\n}", `p.json:3:3: unknown field "colour"; the fields here are format, key, aliases, product, vendor, guide, flow, app, features, defaults, delegated, credential, mailboxScoping, domainFilter, probes, test, handoff, help, customPermissions, legacy, notes`},
		{"unknown nested field", "{\"format\": 1, \"features\": [{\"key\": \"a\"}, {\"key\": \"b\",\n  \"permissions\": [\"Mail.Send\"]}]}", `p.json:2:3: features[1]: unknown field "permissions"; the fields here are key, label, module, functionality, applicationPermissions, delegatedScopes, required, reason, note`},
		{"unknown help screen", "{\"help\": {\"welcome\": \"hi\"}}", `p.json:1:11: help: unknown field "welcome"; the fields here are intro, signIn, register, permissions, consent, credential, secretValue, expiry, certificate, scoping, domains, test, finish`},
		{"wrong type bool", "{\"features\": [{\n  \"required\": \"yes\"}]}", `p.json:2:15: features[0].required: expected true or false, found text`},
		{"wrong type list", "{\"features\": [{\"applicationPermissions\": \"Mail.Send\"}]}", `p.json:1:42: features[0].applicationPermissions: expected a list [ … ], found text`},
		{"wrong type object", "{\n\"product\": {\"name\": \"x\"}}", `p.json:2:12: product: expected text in double quotes, found an object`},
		{"fraction", "{\"format\": 1.0}", `p.json:1:12: format: expected a whole number, found a number 1.0`},
		{"not an object", "[1]", `p.json:1:1: (the whole file): expected an object { … }, found a list`},
		{"not UTF-8", "{\"product\": \"caf\xe9\"}", `p.json:1:17: the file is not UTF-8 text; save it as UTF-8`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.in), "p.json")
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != c.want {
				t.Errorf("got  %s\nwant %s", err, c.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%T is not an *Error", err)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mine.json")
	if err := os.WriteFile(good, append([]byte("\xef\xbb\xbf"), base...), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadFile(good)
	if err != nil {
		t.Fatalf("a file with a byte order mark: %v", err)
	}
	if p.Source() != good || p.Builtin() {
		t.Errorf("source %q builtin %v", p.Source(), p.Builtin())
	}

	_, err = LoadFile(filepath.Join(dir, "missing.json"))
	if err == nil || !strings.Contains(err.Error(), "missing.json: cannot open the profile file: no such file or directory") {
		t.Errorf("missing file: %v", err)
	}
	_, err = LoadFile(dir)
	if err == nil || !strings.Contains(err.Error(), "cannot read the profile file") {
		t.Errorf("a directory: %v", err)
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, []byte(`{"notes": ["`+strings.Repeat("x", MaxFileSize)+`"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(big)
	if err == nil || !strings.Contains(err.Error(), "big.json: the file is larger than 1024 KB") {
		t.Errorf("big file: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, mutate(t, func(m map[string]any) { m["key"] = "Bad"; delete(m, "product") }), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(bad)
	want := bad + ": 2 problems:\n  key: \"Bad\" is not a profile key"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "\n  product: is required") {
		t.Errorf("bad file:\n%v\nwant prefix\n%s", err, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	p, err := Load(HelpMaster)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.AppSpec("", []string{"send", "calendar"})
			_ = p.Probes(nil)
			_ = p.ExchangeScoped("Mail.Send")
			_ = p.Feature("users")
			_ = All()
		}()
	}
	wg.Wait()
}
