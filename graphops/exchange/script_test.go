package exchange

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	appID = "6f1d7c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"
	spID  = "0e9f8d7c-6b5a-4938-a7b6-c5d4e3f2a1b0"
)

func plain(mode Mode) Params {
	return Params{Mode: mode, AdminUPN: "admin@contoso.com", AppDisplayName: "HelpMaster", AppID: appID,
		ServicePrincipalID: spID, Mailboxes: []string{"helpdesk@contoso.com", "support@contoso.com"},
		OutsideMailbox: "user@contoso.com", Permissions: []string{"Mail.Send", "Mail.ReadWrite", "Calendars.ReadWrite"},
		Description: "This will restrict the HelpMaster application's ability to send email \"As\" or \"On Behalf Of\" only the user mailboxes that are members of this security group."}.WithDefaults("contoso.com")
}

// hostileName has every character class that breaks naive quoting: the ASCII
// apostrophe, the four typographic single quotes PowerShell also ends a
// string on, double quotes, $(...), $var, backticks, spaces, non-ASCII.
const hostileName = "O'Brien \"Help\" Desk $(Remove-Item C:\\) $env:USERNAME `whoami` Zoë Ærø ‘a’ ‚b‛"

func hostile(mode Mode) Params {
	return Params{Mode: mode, AdminUPN: "o'brien.admin@contoso.com", AppDisplayName: hostileName, AppID: appID,
		ServicePrincipalID: spID, GroupName: "Zoë's ‘mailboxes’ $(x) `n",
		GroupAddress: "o'brien-app@contoso.com",
		Mailboxes:    []string{"o'brien@contoso.com", "helpdesk@contoso.com"}, OutsideMailbox: "user@contoso.com",
		Permissions: []string{"Mail.Send", "Calendars.ReadWrite"},
		Description: "Ærø's policy: \"As\" or ‘On Behalf Of’ $(Get-Date) `t done"}.WithDefaults("contoso.com")
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./graphops/exchange -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the generated script (run with -update after checking the change):\n%s", name, got)
	}
}

// The four scripts, byte for byte as saved (.ps1: BOM and CRLF).
func TestGoldenScripts(t *testing.T) {
	cases := map[string]Params{
		"access-policy.ps1":         plain(ModeAccessPolicy),
		"rbac.ps1":                  plain(ModeRBAC),
		"access-policy-hostile.ps1": hostile(ModeAccessPolicy),
		"rbac-hostile.ps1":          hostile(ModeRBAC),
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := PS1(p)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, b)
		})
	}
}

var assignRe = regexp.MustCompile(`(?m)^\$(\w+) = (.*)$`)

// Every value comes back out of the script exactly, read with PowerShell's
// own single-quote rules (unquote), and nothing is outside a literal.
func TestHostileValuesRoundTrip(t *testing.T) {
	for _, mode := range []Mode{ModeAccessPolicy, ModeRBAC} {
		p := hostile(mode)
		s, err := Script(p)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"AppId": p.AppID, "AppName": p.AppDisplayName, "GroupName": p.GroupName,
			"GroupAlias": p.GroupAlias, "GroupAddress": p.GroupAddress, "OutsideMailbox": p.OutsideMailbox}
		if mode == ModeAccessPolicy {
			want["Description"] = p.Description
		} else {
			want["ServicePrincipalId"], want["ScopeName"] = p.ServicePrincipalID, p.ScopeName
		}
		seen := map[string]bool{}
		for _, m := range assignRe.FindAllStringSubmatch(s, -1) {
			name, rhs := m[1], m[2]
			exp, ok := want[name]
			if !ok {
				continue
			}
			val, rest, ok := unquote(rhs)
			if !ok || rest != "" || val != exp {
				t.Errorf("%s: $%s reads back as %q (rest %q), want %q", mode, name, val, rest, exp)
			}
			seen[name] = true
		}
		for name := range want {
			if !seen[name] {
				t.Errorf("%s: no $%s assignment", mode, name)
			}
		}
		// The mailbox list: one literal a line.
		block := s[strings.Index(s, "$Mailboxes = @(\n")+len("$Mailboxes = @(\n"):]
		block = block[:strings.Index(block, "\n)\n")]
		for i, line := range strings.Split(block, "\n") {
			val, rest, ok := unquote(strings.TrimPrefix(line, "    "))
			if !ok || rest != "" || val != p.Mailboxes[i] {
				t.Errorf("%s: mailbox %d reads back as %q, want %q", mode, i, val, p.Mailboxes[i])
			}
		}
		// The sign-in line is the first command and carries the admin literally.
		conn := regexp.MustCompile(`(?m)^Connect-ExchangeOnline -UserPrincipalName (.*)$`).FindStringSubmatch(s)
		if conn == nil {
			t.Fatalf("%s: no Connect-ExchangeOnline line", mode)
		}
		if v, rest, ok := unquote(conn[1]); !ok || rest != "" || v != p.AdminUPN {
			t.Errorf("%s: admin reads back as %q", mode, v)
		}
		for _, l := range strings.Split(s[:strings.Index(s, "Connect-ExchangeOnline")], "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				t.Errorf("%s: command %q before Connect-ExchangeOnline", mode, l)
			}
		}
		// No value leaks into comments or commands: the hostile $( only appears inside literals.
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "Remove-Item") && !strings.HasPrefix(l, "$AppName = ") {
				t.Errorf("%s: a value outside its literal: %q", mode, l)
			}
		}
	}
}

func TestQuoteEscapesEveryPowerShellSingleQuote(t *testing.T) {
	cases := map[string]string{
		"":               "''",
		"plain":          "'plain'",
		"O'Brien":        "'O''Brien'",
		"O’Brien":        "'O’’Brien'",
		"‘a’ ‚b‛":        "'‘‘a’’ ‚‚b‛‛'",
		`"$(x)" ` + "`n": `'"$(x)" ` + "`n'",
		"''":             "''''''",
		"Zoë Ærø":        "'Zoë Ærø'",
	}
	for in, want := range cases {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %q, want %q", in, got, want)
		}
		if v, rest, ok := unquote(Quote(in)); !ok || rest != "" || v != in {
			t.Errorf("unquote(Quote(%q)) = %q %q %v", in, v, rest, ok)
		}
	}
}

func FuzzQuoteRoundTrip(f *testing.F) {
	for _, s := range []string{"O'Brien", "‘’‚‛'", hostileName, "a''b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		v, rest, ok := unquote(Quote(s) + " tail")
		if !ok || v != s || rest != " tail" {
			t.Fatalf("Quote(%q) reads back as %q, rest %q", s, v, rest)
		}
	})
}

// What Windows PowerShell 5.1 needs from a .ps1: a UTF-8 byte order mark
// (without one it reads the ANSI code page and non-ASCII names break), CRLF
// line endings only, and valid UTF-8. The golden files are checked the same
// way, so a checkout that converted them would fail here too.
func TestPS1BytesAreWhatWindowsPowerShellNeeds(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.ps1")
	if len(files) < 4 {
		t.Fatalf("golden files: %v", files)
	}
	check := func(name string, b []byte) {
		if !bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) {
			t.Errorf("%s: no UTF-8 byte order mark", name)
		}
		body := b[3:]
		if !utf8.Valid(body) || bytes.Contains(body, []byte("\ufeff")) || bytes.IndexByte(body, 0) >= 0 {
			t.Errorf("%s: not clean UTF-8", name)
		}
		if n, crlf := bytes.Count(body, []byte("\n")), bytes.Count(body, []byte("\r\n")); n != crlf || bytes.Count(body, []byte("\r")) != crlf {
			t.Errorf("%s: %d LF, %d CRLF: every line must end in CRLF", name, n, crlf)
		}
		if !bytes.HasSuffix(body, []byte("\r\n")) {
			t.Errorf("%s: no line break at the end", name)
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check(f, b)
	}
	b, err := PS1(hostile(ModeRBAC))
	if err != nil {
		t.Fatal(err)
	}
	check("generated", b)
	if !bytes.Contains(b, []byte("Zoë")) {
		t.Error("non-ASCII name not written as UTF-8")
	}
	// EncodePS1 is idempotent on its own output and normalises any line ending.
	if got := EncodePS1(string(b)); !bytes.Equal(got, b) {
		t.Error("EncodePS1 changes a .ps1 it made")
	}
	if got := string(EncodePS1("a\r\nb\rc\nd")); got != BOM+"a\r\nb\r\nc\r\nd\r\n" {
		t.Errorf("EncodePS1 = %q", got)
	}
}

func TestRBACScriptFetchesTheGroupDNAndEscapesItsQuotes(t *testing.T) {
	s, err := Script(plain(ModeRBAC))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"$groupDN = [string]$group.DistinguishedName",
		`$filter = "MemberOfGroup -eq '" + ($groupDN -replace '([\u0027\u2018\u2019\u201A\u201B])', '$1$1') + "'"`,
		"New-ManagementScope -Name $ScopeName -RecipientRestrictionFilter $filter",
		"New-ServicePrincipal -AppId $AppId -ObjectId $ServicePrincipalId -DisplayName $AppName",
		"New-ManagementRoleAssignment -Name $assignment.Name -App $ServicePrincipalId -Role $assignment.Role -CustomResourceScope $ScopeName",
		"Test-ServicePrincipalAuthorization -Identity $ServicePrincipalId -Resource $mailbox",
		"@{ Role = 'Application Mail.Send'; Name = 'Mail.Send " + appID + "' }",
		"@{ Role = 'Application Calendars.ReadWrite'; Name = 'Calendars.ReadWrite " + appID + "' }",
		"-Type Security -Members $Mailboxes",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("RBAC script lacks %q", want)
		}
	}
	if strings.Contains(s, "New-ApplicationAccessPolicy") {
		t.Error("RBAC script makes an access policy")
	}
	a, _ := Script(plain(ModeAccessPolicy))
	for _, want := range []string{
		"New-ApplicationAccessPolicy -AppId $AppId -PolicyScopeGroupId $GroupAddress -AccessRight RestrictAccess -Description $Description",
		"Test-ApplicationAccessPolicy -Identity $mailbox -AppId $AppId",
		"Test-ApplicationAccessPolicy -Identity $OutsideMailbox -AppId $AppId",
	} {
		if !strings.Contains(a, want) {
			t.Errorf("access policy script lacks %q", want)
		}
	}
	if strings.Contains(a, "ManagementRoleAssignment") || strings.Contains(a, "ServicePrincipalId") {
		t.Error("access policy script does RBAC")
	}
}

func TestValidateRefusesWhatCannotBeQuotedOrRun(t *testing.T) {
	cases := map[string]func(*Params){
		"line break in a name":     func(p *Params) { p.GroupName = "a\nb" },
		"CR in the description":    func(p *Params) { p.Description = "a\rb" },
		"NUL in the app name":      func(p *Params) { p.AppDisplayName = "a\x00" },
		"no mailboxes":             func(p *Params) { p.Mailboxes = nil },
		"a mailbox twice":          func(p *Params) { p.Mailboxes = []string{"a@contoso.com", "A@contoso.com"} },
		"display-name address":     func(p *Params) { p.Mailboxes = []string{"Help <help@contoso.com>"} },
		"no admin":                 func(p *Params) { p.AdminUPN = "" },
		"group name over 64":       func(p *Params) { p.GroupName = strings.Repeat("é", 65) },
		"alias with a space":       func(p *Params) { p.GroupAlias = "help desk" },
		"no service principal":     func(p *Params) { p.ServicePrincipalID = "" },
		"a permission not scoped":  func(p *Params) { p.Permissions = []string{"User.Read.All"} },
		"outside is a chosen one":  func(p *Params) { p.OutsideMailbox = "HELPDESK@contoso.com" },
		"mode none has no script":  func(p *Params) { p.Mode = ModeNone },
		"invalid UTF-8 in a value": func(p *Params) { p.GroupName = "\xff" },
	}
	for name, mutate := range cases {
		p := plain(ModeRBAC)
		mutate(&p)
		if _, err := Script(p); err == nil {
			t.Errorf("%s: accepted", name)
		} else if pe, ok := err.(*ParamError); !ok || pe.Field == "" {
			t.Errorf("%s: %T %v", name, err, err)
		}
	}
}

func TestDefaultsFollowTheGuidesExample(t *testing.T) {
	p := Params{AppDisplayName: "HelpMaster", AppID: appID}.WithDefaults("contoso.com")
	if p.GroupAlias != "HelpMasterApp" || p.GroupAddress != "HelpMasterApp@contoso.com" || p.GroupName != "HelpMaster mailboxes" ||
		p.ScopeName != "Mailboxes of app "+appID || !strings.Contains(p.Description, "HelpMasterApp@contoso.com") {
		t.Fatalf("defaults = %+v", p)
	}
	h := Params{AppDisplayName: "Zoë's $(app)"}.WithDefaults("contoso.com")
	if h.GroupAlias != "ZosappApp" || h.GroupAddress != "ZosappApp@contoso.com" {
		t.Fatalf("alias from a hostile name = %+v", h)
	}
	kept := Params{GroupAddress: "desk@contoso.com", GroupName: "Mine"}.WithDefaults("fabrikam.com")
	if kept.GroupAlias != "desk" || kept.GroupAddress != "desk@contoso.com" || kept.GroupName != "Mine" {
		t.Fatalf("the admin's choices overwritten: %+v", kept)
	}
}

func TestEntraPermissionsFollowTheMode(t *testing.T) {
	roles := []string{"User.Read.All", "Mail.Send", "mail.readwrite", "Calendars.ReadWrite"}
	if got := EntraLeaveOut(ModeRBAC, roles); strings.Join(got, ",") != "Mail.Send,Mail.ReadWrite,Calendars.ReadWrite" {
		t.Fatalf("RBAC leaves out %v", got)
	}
	if got := EntraKeep(ModeRBAC, roles); strings.Join(got, ",") != "User.Read.All" {
		t.Fatalf("RBAC keeps %v", got)
	}
	for _, m := range []Mode{ModeAccessPolicy, ModeNone, ""} {
		if EntraLeaveOut(m, roles) != nil || len(EntraKeep(m, roles)) != 4 {
			t.Fatalf("%q changes the Entra permissions", m)
		}
	}
	if r, ok := RBACRole("calendars.readwrite"); !ok || r != "Application Calendars.ReadWrite" {
		t.Fatalf("RBACRole = %q %v", r, ok)
	}
	if _, ok := RBACRole("User.Read.All"); ok {
		t.Fatal("User.Read.All has an Exchange role")
	}
}

func TestExplanationsSayTheUnionRule(t *testing.T) {
	perms := []string{"Mail.Send", "Mail.ReadWrite"}
	cs := Choices("HelpMaster", perms)
	if len(cs) != 3 || cs[0].Mode != ModeAccessPolicy || cs[1].Mode != ModeRBAC || cs[2].Mode != ModeNone {
		t.Fatalf("choices = %+v", cs)
	}
	if !strings.Contains(cs[0].Title, "HelpMaster guide") || !strings.Contains(strings.Join(cs[0].Points, " "), "keeps Mail.Send and Mail.ReadWrite in Entra ID") {
		t.Errorf("access policy: %+v", cs[0])
	}
	if !strings.Contains(cs[1].Warning, "Never grant Mail.Send and Mail.ReadWrite in Entra ID") || !strings.Contains(cs[1].Warning, "every mailbox") {
		t.Errorf("RBAC: %+v", cs[1])
	}
	if !strings.Contains(cs[2].Summary, "every mailbox") {
		t.Errorf("none: %+v", cs[2])
	}
	for _, c := range cs {
		for _, l := range append([]string{c.Summary, c.Warning}, c.Points...) {
			if len(l) > 200 {
				t.Errorf("%s: a line too long for a screen: %q", c.Mode, l)
			}
		}
	}
	if m, err := ParseMode(" RBAC "); err != nil || m != ModeRBAC {
		t.Fatalf("ParseMode = %q %v", m, err)
	}
	if _, err := ParseMode("policy"); err == nil {
		t.Fatal("ParseMode accepted policy")
	}
}

func TestPowerShellLaunchPrefersPowerShell7(t *testing.T) {
	have := map[string]string{"pwsh.exe": `C:\Program Files\PowerShell\7\pwsh.exe`, "powershell.exe": `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`}
	look := func(h map[string]string) func(string) (string, error) {
		return func(f string) (string, error) {
			if p, ok := h[f]; ok {
				return p, nil
			}
			return "", os.ErrNotExist
		}
	}
	argv, ok := PowerShellLaunch(look(have), `C:\Users\me\mailbox-access-rbac.ps1`)
	if !ok || argv[0] != have["pwsh.exe"] || argv[len(argv)-2] != "-File" || argv[len(argv)-1] != `C:\Users\me\mailbox-access-rbac.ps1` {
		t.Fatalf("argv = %q", argv)
	}
	delete(have, "pwsh.exe")
	if argv, ok := PowerShellLaunch(look(have), "x.ps1"); !ok || argv[0] != have["powershell.exe"] {
		t.Fatalf("5.1 fallback = %q", argv)
	}
	if _, ok := PowerShellLaunch(look(nil), "x.ps1"); ok {
		t.Fatal("a launch without PowerShell")
	}
}
