package validate

import (
	"errors"
	"strings"
	"testing"
	"time"

	"m365wizard/graphops"
	"m365wizard/wizard/profile"
)

type tc struct {
	name, in string
	want     string // "" = valid; else a fragment of the message
}

// check runs fn over the cases: nil for valid input, else an *Error with the
// field and the message fragment, and a message that does not repeat the input.
func check(t *testing.T, field string, fn func(string) error, cases []tc) {
	t.Helper()
	for _, c := range cases {
		err := fn(c.in)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %q: unexpected error %v", c.name, c.in, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: %q: got %v (%T), want *Error", c.name, c.in, err, err)
			continue
		}
		if e.Field != field || FieldOf(err) != field {
			t.Errorf("%s: field %q, want %q", c.name, e.Field, field)
		}
		if !strings.Contains(e.Message, c.want) {
			t.Errorf("%s: %q:\n  got  %q\n  want …%s…", c.name, c.in, e.Message, c.want)
		}
		if len(strings.TrimSpace(c.in)) >= 4 && strings.Contains(e.Message+e.NextStep, strings.TrimSpace(c.in)) {
			t.Errorf("%s: the message repeats the input: %q", c.name, e.Message)
		}
	}
}

var tenantCases = []tc{
	{"guid", "72f988bf-86f1-41af-91ab-2d7cd011db47", ""},
	{"guid upper case", "72F988BF-86F1-41AF-91AB-2D7CD011DB47", ""},
	{"guid with spaces around", "  72f988bf-86f1-41af-91ab-2d7cd011db47\n", ""},
	{"onmicrosoft domain", "contoso.onmicrosoft.com", ""},
	{"custom domain", "helpdesk.contoso.co.uk", ""},
	{"empty", "", "Enter the Directory (tenant) ID"},
	{"blank", "  \t", "Enter the Directory (tenant) ID"},
	{"inner space", "contoso .com", "spaces or line breaks inside"},
	{"portal url", "https://portal.azure.com/#view/Microsoft_AAD_IAM/72f988bf-86f1-41af-91ab-2d7cd011db47", "not a web address"},
	{"login url", "login.microsoftonline.com/contoso.com", "not a web address"},
	{"application id uri", "api://72f988bf-86f1-41af-91ab-2d7cd011db47", "Application ID URI"},
	{"email", "admin@contoso.com", "That is an email address"},
	{"braces", "{72f988bf-86f1-41af-91ab-2d7cd011db47}", "Leave out the braces"},
	{"secret value", "Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9", "looks like a client secret Value"},
	{"common", "common", "That is not a tenant"},
	{"organizations", "Organizations", "That is not a tenant"},
	{"short guid", "3f2504e0-4f89-11d3-9a0c-0305e82c330", "not a complete Directory (tenant) ID"},
	{"guid no hyphens", "3f2504e04f8911d39a0c0305e82c3301", "not a complete Directory (tenant) ID"},
	{"single word", "fabrikam", "A domain name has a dot"},
	{"too long", strings.Repeat("a.", 130) + "com", "longer than a domain name can be"},
	{"underscore domain", "con_toso.com", "neither a Directory (tenant) ID"},
}

func TestTenant(t *testing.T) {
	check(t, FieldTenant, Tenant, tenantCases)
}

var clientIDCases = []tc{
	{"guid", "00001111-aaaa-2222-bbbb-3333cccc4444", ""},
	{"guid spaces around", " 00001111-aaaa-2222-bbbb-3333cccc4444 ", ""},
	{"empty", "", "Enter the Application (client) ID"},
	{"inner line break", "00001111-aaaa-2222\n-bbbb-3333cccc4444", "spaces or line breaks inside"},
	{"application id uri", "api://00001111-aaaa-2222-bbbb-3333cccc4444", "without api://"},
	{"url", "https://entra.microsoft.com/#view/app/00001111-aaaa-2222-bbbb-3333cccc4444", "not a web address"},
	{"email", "helpdesk@contoso.com", "That is an email address"},
	{"braces", "{00001111-aaaa-2222-bbbb-3333cccc4444}", "Leave out the braces"},
	{"secret value", "Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9", "looks like a client secret Value"},
	{"old secret value", "b9Kq3n+2vXh/0rT5wYzL8pQm1sD4fGjH6kN7cV0aBe=", "looks like a client secret Value"},
	{"truncated", "3f2504e0-4f89-11d3-9a0c", "not a complete Application (client) ID"},
	{"domain", "contoso.onmicrosoft.com", "looks like a domain or a name"},
	{"name", "HelpMaster", "not an Application (client) ID"},
}

func TestClientID(t *testing.T) {
	check(t, FieldClientID, ClientID, clientIDCases)
}

func TestDistinctIDs(t *testing.T) {
	id := "00001111-aaaa-2222-bbbb-3333cccc4444"
	if err := DistinctIDs(id, strings.ToUpper(id)+" "); err == nil || FieldOf(err) != FieldClientID ||
		!strings.Contains(err.Error(), "same as the Directory (tenant) ID") {
		t.Errorf("same IDs: %v", err)
	}
	for _, pair := range [][2]string{{id, "72f988bf-86f1-41af-91ab-2d7cd011db47"}, {"contoso.com", id}, {"", ""}} {
		if err := DistinctIDs(pair[0], pair[1]); err != nil {
			t.Errorf("DistinctIDs(%q, %q) = %v", pair[0], pair[1], err)
		}
	}
}

var secretCases = []tc{
	{"current shape", "Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9", ""},
	{"older shape", "[6gyXA5S20@MN+WRXAJ]I-TO7g1:h2P8", ""},
	{"16 characters", "abcdefghijklmnop", ""},
	{"empty", "", "Enter the client secret's Value"},
	{"spaces around", " Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9", "spaces or line breaks around it"},
	{"line break after", "Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9\r\n", "spaces or line breaks around it"},
	{"secret id", "9a3b1c2d-4e5f-4a6b-8c7d-0e1f2a3b4c5d", "looks like the Secret ID, not the secret's Value"},
	{"table row", "Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9\t9a3b1c2d-4e5f-4a6b-8c7d-0e1f2a3b4c5d", "spaces or line breaks inside it"},
	{"masked", "Q_e****************************", "hidden form of the secret"},
	{"masked dots", "Q_e••••••••••••••••••••", "hidden form of the secret"},
	{"smart quotes", "“Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9”", "characters a client secret Value never has"},
	{"control", "Q_e8Q~ZDWJD.bkgaj\x00bREp-VFFUayCuEk8b1hDcr9", "characters a client secret Value never has"},
	{"hint only", "Q_e", "not the length of a client secret Value"},
	{"too long", strings.Repeat("A", 1025), "not the length of a client secret Value"},
}

func TestSecret(t *testing.T) {
	check(t, FieldSecret, Secret, secretCases)
	err := Secret("9a3b1c2d-4e5f-4a6b-8c7d-0e1f2a3b4c5d")
	var e *Error
	if !errors.As(err, &e) || e.Code != "AADSTS7000215" || !strings.Contains(e.NextStep, "copy the Value column") {
		t.Errorf("secret ID: %+v", e)
	}
	if ge, ok := graphops.AsError(err); !ok || ge.Kind != graphops.KindInput {
		t.Errorf("the graphops decision is not kept: %v", err)
	}
}

var mailboxCases = []tc{
	{"plain", "helpdesk@contoso.com", ""},
	{"onmicrosoft", "support@contoso.onmicrosoft.com", ""},
	{"dots and plus", "first.last+helpdesk@mail.contoso.co.uk", ""},
	{"atext", "o'brien#1@contoso.com", ""},
	{"hyphenated domain", "helpdesk@contoso-it.com", ""},
	{"empty", "", "Enter the mailbox's email address"},
	{"space before", " helpdesk@contoso.com", "before or after it"},
	{"display name", "Help Desk <helpdesk@contoso.com>", "without a name or angle brackets"},
	{"angle brackets", "<helpdesk@contoso.com>", "without a name or angle brackets"},
	{"mailto", "mailto:helpdesk@contoso.com", "Leave out \"mailto:\""},
	{"inner space", "help desk@contoso.com", "An email address has no spaces"},
	{"no at", "helpdesk.contoso.com", "The address has no @"},
	{"two ats", "helpdesk@contoso@com", "more than one @"},
	{"nothing before", "@fabrikam.com", "nothing before the @"},
	{"missing domain", "helpdesk@", "nothing after the @"},
	{"no dot in domain", "helpdesk@contoso", "needs a dot"},
	{"consecutive dots local", "help..desk@contoso.com", "two dots in a row"},
	{"consecutive dots domain", "helpdesk@contoso..com", "two dots in a row"},
	{"leading dot", ".helpdesk@contoso.com", "cannot start or end with a dot"},
	{"dot before at", "helpdesk.@contoso.com", "cannot start or end with a dot"},
	{"trailing dot", "helpdesk@contoso.com.", "domain after the @ cannot start or end with a dot"},
	{"local too long", strings.Repeat("a", 65) + "@contoso.com", "longer than the 64 characters"},
	{"address too long", strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "com", "longer than the 254 characters"},
	{"label too long", "a@" + strings.Repeat("b", 64) + ".com", "longer than the 63 characters"},
	{"comma", "helpdesk,support@contoso.com", "a comma (,)"},
	{"two addresses", "helpdesk@contoso.com;support@contoso.com", "more than one @"},
	{"quoted", "\"help desk\"@contoso.com", "An email address has no spaces"},
	{"quoted no space", "\"helpdesk\"@contoso.com", "Quoted addresses"},
	{"accented", "café@contoso.com", "outside plain ASCII"},
	{"underscore domain", "helpdesk@con_toso.com", "an underscore (_)"},
	{"hyphen label", "helpdesk@-contoso.com", "cannot start or end with a hyphen"},
	{"ip", "helpdesk@10.0.0.1", "not an IP address"},
	{"bracket ip", "helpdesk@[10.0.0.1]", "a bracket ( [ )"},
	{"control", "helpdesk@contoso.com\x00x", "control character"},
	{"nbsp", "help\u00a0desk@contoso.com", "An email address has no spaces"},
}

func TestMailbox(t *testing.T) {
	check(t, FieldMailbox, Mailbox, mailboxCases)
}

var appNameCases = []tc{
	{"guide's name", "HelpMaster", ""},
	{"with spaces", "HelpMaster – Production (Sydney)", ""},
	{"120", strings.Repeat("é", 120), ""},
	{"empty", "", "Enter a name for the app registration"},
	{"spaces", " HelpMaster", "starts or ends with spaces"},
	{"too long", strings.Repeat("x", 121), "longer than the 120 characters Entra allows"},
	{"control", "Help\tMaster", "control character"},
	{"not text", "Help\xffMaster", "not text"},
}

func TestAppName(t *testing.T) {
	check(t, FieldAppName, AppName, appNameCases)
}

var secretDescriptionCases = []tc{
	{"simple", "HelpMaster", ""},
	{"dated", "HelpMaster, created by M365 Setup Wizard 2025-01-31", ""},
	{"100", strings.Repeat("d", 100), ""},
	{"empty", "", "Enter a description for the secret"},
	{"blank", "   ", "Enter a description for the secret"},
	{"spaces", "HelpMaster ", "starts or ends with spaces"},
	{"two lines", "Help\nMaster", "one line"},
	{"too long", strings.Repeat("d", 101), "longer than 100 characters"},
	{"not text", "\xc3\x28abc", "not text"},
}

func TestSecretDescription(t *testing.T) {
	check(t, FieldSecretDescription, SecretDescription, secretDescriptionCases)
}

func TestSecretLifetime(t *testing.T) {
	none := graphops.SecretPolicy{}
	capped := graphops.SecretPolicy{Known: true, MaxLifetime: 365 * 24 * time.Hour}
	noSecrets := graphops.SecretPolicy{Known: true, NoSecrets: true}
	cases := []struct {
		name     string
		l        Lifetime
		policy   graphops.SecretPolicy
		want     string
		isPolicy bool
	}{
		{"6 months", Months(6), none, "", false},
		{"24 months", Months(24), none, "", false},
		{"90 days", Days(90), none, "", false},
		{"731 days", Days(731), none, "", false},
		{"12 months under a 365-day cap", Months(12), capped, "", false},
		{"none", Lifetime{}, none, "Choose how long the secret lives", false},
		{"both", Lifetime{Months: 6, Days: 3}, none, "not both", false},
		{"7 months", Months(7), none, "Choose 6, 12, 18 or 24 months", false},
		{"negative months", Months(-6), none, "Choose 6, 12, 18 or 24 months", false},
		{"36 months", Months(36), none, "at most 24 months", false},
		{"huge months", Months(1 << 62), none, "at most 24 months", false},
		{"0 days negative", Days(-5), none, "at least one day", false},
		{"800 days", Days(800), none, "at most 24 months", false},
		{"huge days", Days(-1 << 63), none, "at least one day", false},
		{"18 months over the cap", Months(18), capped, "allows secrets to live at most 365 days", true},
		{"no secrets", Months(6), noSecrets, "does not allow new client secrets", true},
	}
	for _, c := range cases {
		err := SecretLifetime(c.l, c.policy)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Field != FieldSecretLifetime || !strings.Contains(e.Message, c.want) || e.Policy != c.isPolicy {
			t.Errorf("%s: got %+v, want …%s… policy=%v", c.name, e, c.want, c.isPolicy)
		}
	}
	if err := SecretLifetime(Months(18), capped); err == nil || !strings.Contains(err.(*Error).NextStep, "Choose 365 days or less, or use a certificate") {
		t.Errorf("capped next step: %v", err)
	}
	if got := Choices(capped); len(got) != 2 || got[1] != Months(12) {
		t.Errorf("Choices(capped) = %v", got)
	}
	if got := Choices(noSecrets); len(got) != 0 {
		t.Errorf("Choices(noSecrets) = %v", got)
	}
	for l, want := range map[Lifetime]string{Months(12): "365 days (12 months)", Months(24): "730 days (24 months)", Days(90): "90 days"} {
		if l.String() != want {
			t.Errorf("%v.String() = %q", l, l.String())
		}
	}
	if Months(6).Duration() != 180*24*time.Hour || Days(2).Duration() != 48*time.Hour {
		t.Error("Duration")
	}
}

func TestParseLifetime(t *testing.T) {
	good := map[string]Lifetime{
		"12 months": Months(12), "6m": Months(6), "18 Months": Months(18), "24mo": Months(24), "1 month": Months(1),
		"90 days": Days(90), "90d": Days(90), " 1 day ": Days(1), "1 year": Months(12), "2y": Months(24),
	}
	for in, want := range good {
		got, err := ParseLifetime(in)
		if err != nil || got != want {
			t.Errorf("ParseLifetime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":                             "Enter how long the secret lives",
		"12":                           "Say months or days",
		"twelve months":                "as a number of months or days",
		"12 weeks":                     "as a number of months or days",
		"-3 days":                      "as a number of months or days",
		"0 days":                       "at least one day",
		"99999999999999999999999 days": "far longer than Microsoft allows",
	}
	for in, want := range bad {
		_, err := ParseLifetime(in)
		if err == nil || FieldOf(err) != FieldSecretLifetime || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseLifetime(%q) = %v; want …%s…", in, err, want)
		}
	}
}

func TestFeatures(t *testing.T) {
	p, err := profile.Load(profile.HelpMaster)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		keys []string
		want string
	}{
		{[]string{"users", "send"}, ""},
		{[]string{"send"}, ""}, // users is required, so always on
		{[]string{"send", "send", "calendar"}, ""},
		{nil, "Choose at least one HelpMaster feature"},
		{[]string{"send", "fax"}, `HelpMaster has no feature "fax"; the features are users, send, email-manager, calendar.`},
		{[]string{"Send"}, `Feature names are lower case: write "send".`},
		{[]string{" "}, "A feature name is empty"},
		{[]string{strings.Repeat("x", 50)}, "That is not a HelpMaster feature; the features are users, send, email-manager, calendar."},
	}
	for _, c := range cases {
		err := Features(p, c.keys)
		if c.want == "" {
			if err != nil {
				t.Errorf("Features(%v) = %v", c.keys, err)
			}
			continue
		}
		if err == nil || FieldOf(err) != FieldFeatures || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Features(%v) = %v; want …%s…", c.keys, err, c.want)
		}
	}
	if err := Features(nil, []string{"send"}); err == nil || !strings.Contains(err.Error(), "Choose the product") {
		t.Errorf("no profile: %v", err)
	}
}

func TestErrorForm(t *testing.T) {
	e := &Error{Field: FieldSecret, Message: "m.", Code: "AADSTS7000215"}
	if e.Error() != "m. (AADSTS7000215)" {
		t.Error(e.Error())
	}
	if FieldOf(errors.New("x")) != "" || FieldOf(graphops.ValidateTenant("")) != "tenant" {
		t.Error("FieldOf")
	}
	if errors.Unwrap(Tenant("x")) != nil {
		t.Error("a tenant error must not carry graphops' message, which quotes the input")
	}
}
