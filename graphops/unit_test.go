package graphops

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestResolveCloud(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := ResolveCloud("usgov", env(nil))
	if err != nil || c.GraphURL != "https://graph.microsoft.us" || c.Scope("User.Read") != "https://graph.microsoft.us/User.Read" {
		t.Fatalf("usgov = %+v %v", c, err)
	}
	c, _ = ResolveCloud("usgov-dod", env(nil))
	if c.GraphHost() != "dod-graph.microsoft.us" || c.LoginURL != "https://login.microsoftonline.us" {
		t.Fatalf("dod = %+v", c)
	}
	c, _ = ResolveCloud("china", env(nil))
	if c.LoginURL != "https://login.partner.microsoftonline.cn" || !strings.HasPrefix(c.AppRegistrationURL("x"), "https://entra.microsoftonline.cn/") {
		t.Fatalf("china = %+v", c)
	}
	c, err = ResolveCloud("", env(map[string]string{EnvLoginURL: "https://127.0.0.1:8443/", EnvGraphURL: "https://127.0.0.1:8444"}))
	if err != nil || !c.Custom || c.LoginURL != "https://127.0.0.1:8443" || c.GraphHost() != "127.0.0.1" || c.DefaultScope() != "https://127.0.0.1:8444/.default" {
		t.Fatalf("custom = %+v %v", c, err)
	}
	for _, bad := range []map[string]string{
		{EnvLoginURL: "https://127.0.0.1:8443"},
		{EnvLoginURL: "http://127.0.0.1:8443", EnvGraphURL: "https://127.0.0.1:8444"},
		{EnvLoginURL: "https://127.0.0.1:8443/tenant", EnvGraphURL: "https://127.0.0.1:8444"},
	} {
		if _, err := ResolveCloud("", env(bad)); KindOf(err) != KindInput {
			t.Errorf("%v accepted: %v", bad, err)
		}
	}
	if _, err := ResolveCloud("germany", env(nil)); KindOf(err) != KindInput {
		t.Errorf("unknown cloud accepted: %v", err)
	}
}

func TestRetryAfterIsHonouredNotTruncated(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"2.128": 2128 * time.Millisecond, "10": 10 * time.Second, "0": 0, "": -1, "soon": -1,
		now.Add(3 * time.Second).Format(http.TimeFormat): 3 * time.Second,
	}
	for in, want := range cases {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestISODurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"P90D": 90 * 24 * time.Hour, "P1Y": 365 * 24 * time.Hour, "PT12H": 12 * time.Hour, "P1DT1H": 25 * time.Hour} {
		if got := isoDuration(in); got != want {
			t.Errorf("isoDuration(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestValidators(t *testing.T) {
	for _, ok := range []string{"contoso.com", "72f988bf-86f1-41af-91ab-2d7cd011db47", "contoso.onmicrosoft.com"} {
		if err := ValidateTenant(ok); err != nil {
			t.Errorf("tenant %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "contoso", "not a domain.com", "72f988bf-86f1-41af-91ab"} {
		if ValidateTenant(bad) == nil {
			t.Errorf("tenant %q accepted", bad)
		}
	}
	for in, want := range map[string]string{"": "Enter", " abc ": "spaces", "f0b0b335-1d71-4883-8f98-567911bfdca6": "Secret ID", "short": "length"} {
		err := ValidateSecretValue(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("secret %q: %v (want %q)", in, err, want)
		}
		if in != "" && strings.Contains(err.Error(), strings.TrimSpace(in)) {
			t.Errorf("the error repeats the secret: %v", err)
		}
	}
	if err := ValidateSecretValue("Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9"); err != nil {
		t.Errorf("a real-shaped secret value was refused: %v", err)
	}
	if ValidateAppName(strings.Repeat("a", 121)) == nil || ValidateAppName("") == nil || ValidateAppName("Help\x01Master") == nil {
		t.Error("bad app names accepted")
	}
}

// MSAL reports STS failures as text with the JSON body inside; each known
// AADSTS code becomes a plain message and next step.
func TestSTSErrorsBecomeNextSteps(t *testing.T) {
	body := func(code int, err string) error {
		return errors.New(`http call(https://login.microsoftonline.com/x/oauth2/v2.0/token)(POST) error: reply status code was 401:
{"error":"` + err + `","error_description":"AADSTS` + strconv.Itoa(code) + `: text\r\nTrace ID: t1\r\nCorrelation ID: c\r\nTimestamp: 2026-01-01 00:00:00Z","error_codes":[` + strconv.Itoa(code) + `],"trace_id":"t1"}`)
	}
	cases := []struct {
		code int
		err  string
		kind Kind
		step string
	}{
		{7000215, "invalid_client", KindSecret, "not its Secret ID"},
		{7000222, "invalid_client", KindSecret, "Replace an expired secret"},
		{700016, "unauthorized_client", KindNotFound, "Application (client) ID"},
		{90002, "invalid_tenant", KindNotFound, "cloud"},
		{65004, "access_denied", KindPermission, "Global Administrator"},
	}
	for _, c := range cases {
		e, ok := AsError(fromSTS(body(c.code, c.err), "contoso.com", "app"))
		if !ok || e.Kind != c.kind || e.Code != "AADSTS"+strconv.Itoa(c.code) || !strings.Contains(e.NextStep, c.step) || e.RequestID != "t1" || e.Status != 401 {
			t.Errorf("AADSTS%d -> %+v", c.code, e)
		}
	}
}

// An AADSTS code the wizard has no special wording for keeps Microsoft's own
// sentence, once, with the code in Code rather than repeated in the message.
func TestUnmappedSTSErrorKeepsMicrosoftsSentence(t *testing.T) {
	err := errors.New(`http call(x)(POST) error: reply status code was 400:
{"error":"invalid_grant","error_description":"AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: 2026-01-01 00:00:00Z","error_codes":[50076]}`)
	e, ok := AsError(fromSTS(err, "contoso.com", "app"))
	if !ok || e.Code != "AADSTS50076" || e.Kind != KindSignIn ||
		e.Message != "Sign-in failed: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource." {
		t.Fatalf("%+v", e)
	}
}
