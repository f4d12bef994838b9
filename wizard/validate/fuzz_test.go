package validate

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"m365wizard/graphops"
	"m365wizard/wizard/profile"
)

// Properties every validator keeps, whatever it is given:
//   - it does not panic;
//   - it is deterministic (same input, same answer);
//   - a refusal is an *Error for its own field, with a one-line message of
//     bounded length that is valid UTF-8;
//   - for the fields whose messages are fixed texts (tenant, client ID,
//     secret, app name, secret description) the message and next step are
//     among those the table tests produce: they cannot contain the input. A
//     new branch makes the fuzz target fail until a table case covers it.
//   - for the others, no message contains the input, unless the input is
//     itself a piece of the messages' own text (an example address, say).
//
// Seeds: the table cases (f.Add) and the corpus in testdata/fuzz/<target>.

// fixedMessages is every (message, next step) the table cases produce.
func fixedMessages(fn func(string) error, cases []tc) map[string]bool {
	set := map[string]bool{}
	for _, c := range cases {
		var e *Error
		if errors.As(fn(c.in), &e) {
			set[e.Message+"\x00"+e.NextStep] = true
		}
	}
	return set
}

func fuzzValidator(f *testing.F, field string, fn func(string) error, cases []tc, fixed bool) {
	for _, c := range cases {
		f.Add(c.in)
	}
	set := fixedMessages(fn, cases)
	var own strings.Builder
	for k := range set {
		own.WriteString(strings.ReplaceAll(k, "\x00", " ") + "\n")
	}
	ownText := own.String()
	f.Fuzz(func(t *testing.T, in string) {
		err := fn(in)
		again := fn(in)
		if (err == nil) != (again == nil) || (err != nil && err.Error() != again.Error()) {
			t.Fatalf("not deterministic: %v / %v", err, again)
		}
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%T is not an *Error", err)
		}
		if e.Field != field || FieldOf(err) != field {
			t.Fatalf("field %q, want %q", e.Field, field)
		}
		msg := e.Message + " " + e.NextStep
		if e.Message == "" || len(msg) > 400 || !utf8.ValidString(msg) || strings.ContainsAny(msg, "\n\r") {
			t.Fatalf("message not a plain line: %q", msg)
		}
		if fixed && !set[e.Message+"\x00"+e.NextStep] {
			t.Fatalf("message %q / %q is not one of the fixed texts (add a table case for this branch)", e.Message, e.NextStep)
		}
		if trimmed := strings.TrimSpace(in); !fixed && len(trimmed) >= 2 && strings.Contains(msg+err.Error(), trimmed) && !strings.Contains(ownText, trimmed) {
			t.Fatalf("the message repeats the input: %q", msg)
		}
	})
}

func FuzzTenant(f *testing.F)   { fuzzValidator(f, FieldTenant, Tenant, tenantCases, true) }
func FuzzClientID(f *testing.F) { fuzzValidator(f, FieldClientID, ClientID, clientIDCases, true) }
func FuzzSecret(f *testing.F)   { fuzzValidator(f, FieldSecret, Secret, secretCases, true) }
func FuzzMailbox(f *testing.F)  { fuzzValidator(f, FieldMailbox, Mailbox, mailboxCases, false) }
func FuzzAppName(f *testing.F)  { fuzzValidator(f, FieldAppName, AppName, appNameCases, true) }
func FuzzSecretDescription(f *testing.F) {
	fuzzValidator(f, FieldSecretDescription, SecretDescription, secretDescriptionCases, true)
}

// FuzzSecretNeverEchoed: whatever surrounds a secret-shaped value, the
// message names no part of it, in any field a secret might be pasted into.
func FuzzSecretNeverEchoed(f *testing.F) {
	f.Add("", "Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9", "")
	f.Add("Value\t", "Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9", "\t9a3b1c2d-4e5f-4a6b-8c7d-0e1f2a3b4c5d")
	f.Add("\"", "[6gyXA5S20@MN+WRXAJ]I-TO7g1:h2P8", "\"")
	f.Add("https://x/", "b9Kq3n+2vXh/0rT5wYzL8pQm1sD4fGjH6kN7cV0aBe=", "")
	f.Fuzz(func(t *testing.T, before, secret, after string) {
		if len(secret) < 8 {
			return
		}
		in := before + secret + after
		for name, fn := range map[string]func(string) error{"secret": Secret, "tenant": Tenant, "client-id": ClientID,
			"app-name": AppName, "secret-description": SecretDescription, "mailbox": Mailbox} {
			err := fn(in)
			if err == nil {
				continue
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: %T", name, err)
			}
			if strings.Contains(e.Message+e.NextStep+err.Error(), secret) && !strings.Contains(fixedText, secret) {
				t.Fatalf("%s repeats the secret: %q", name, e.Message)
			}
		}
	})
}

// fixedText is every fixed message, so that a "secret" that is merely a word
// of a message does not count as echoed.
var fixedText = func() string {
	var b strings.Builder
	for _, p := range []struct {
		fn    func(string) error
		cases []tc
	}{{Tenant, tenantCases}, {ClientID, clientIDCases}, {Secret, secretCases}, {AppName, appNameCases},
		{SecretDescription, secretDescriptionCases}, {Mailbox, mailboxCases}} {
		for k := range fixedMessages(p.fn, p.cases) {
			b.WriteString(k + "\n")
			b.WriteString(strings.ReplaceAll(k, "\x00", " ") + " (AADSTS7000215)\n")
		}
	}
	return b.String()
}()

// FuzzLifetime parses a typed lifetime and checks it (and a lifetime built
// from any two numbers) against a policy cap.
func FuzzLifetime(f *testing.F) {
	f.Add("12 months", 0, 0, int64(0), false)
	f.Add("90d", 6, 0, int64(180), false)
	f.Add("2y", 0, 731, int64(365), false)
	f.Add("6m", 24, 3, int64(-1), true)
	f.Add("99999999999999999999 days", -1<<62, 1<<62, int64(1)<<40, false)
	f.Fuzz(func(t *testing.T, s string, months, days int, capDays int64, noSecrets bool) {
		policy := graphops.SecretPolicy{Known: true, NoSecrets: noSecrets}
		if capDays > 0 && capDays < 1<<20 {
			policy.MaxLifetime = time.Duration(capDays) * 24 * time.Hour
		}
		l, perr := ParseLifetime(s)
		if p2, e2 := ParseLifetime(s); p2 != l || (perr == nil) != (e2 == nil) {
			t.Fatal("ParseLifetime not deterministic")
		}
		if perr != nil {
			if FieldOf(perr) != FieldSecretLifetime {
				t.Fatalf("parse error field %q", FieldOf(perr))
			}
			if tr := strings.TrimSpace(s); len(tr) >= 12 && strings.Contains(perr.Error(), tr) {
				t.Fatalf("parse error repeats the input: %v", perr)
			}
		} else if (l.Months == 0) == (l.Days == 0) || l.Months < 0 || l.Days < 0 {
			t.Fatalf("parsed %q as %+v", s, l)
		}
		for _, lt := range []Lifetime{l, {Months: months, Days: days}, Months(months), Days(days)} {
			err := SecretLifetime(lt, policy)
			if again := SecretLifetime(lt, policy); (err == nil) != (again == nil) || (err != nil && err.Error() != again.Error()) {
				t.Fatal("SecretLifetime not deterministic")
			}
			if d := lt.InDays(); d < -maxDays || d > maxDays || lt.Duration() != time.Duration(d)*24*time.Hour {
				t.Fatalf("%+v: InDays %d, Duration %v", lt, d, lt.Duration())
			}
			if err == nil {
				// Accepted: within a day and 24 months, within the cap, secrets allowed.
				d := lt.Duration()
				if noSecrets || d < 24*time.Hour || d > 731*24*time.Hour || (policy.MaxLifetime > 0 && d > policy.MaxLifetime) {
					t.Fatalf("%+v accepted under %+v", lt, policy)
				}
				continue
			}
			var e *Error
			if !errors.As(err, &e) || e.Field != FieldSecretLifetime || e.Message == "" {
				t.Fatalf("%+v: %v", lt, err)
			}
			if e.Policy && !noSecrets && policy.MaxLifetime == 0 {
				t.Fatalf("%+v: a policy refusal without a policy: %v", lt, err)
			}
		}
		_ = l.String()
	})
}

// FuzzFeatures checks feature lists (comma-separated) against HelpMaster.
func FuzzFeatures(f *testing.F) {
	p, err := profile.Load(profile.HelpMaster)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"users,send", "send", "", "users,users", "Send", "fax", "email-manager,calendar", " ,send", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var keys []string
		if s != "" {
			keys = strings.Split(s, ",")
		}
		err := Features(p, keys)
		if again := Features(p, keys); (err == nil) != (again == nil) || (err != nil && err.Error() != again.Error()) {
			t.Fatal("not deterministic")
		}
		if err == nil {
			if len(keys) == 0 {
				t.Fatal("an empty choice passed")
			}
			for _, k := range keys {
				if p.Feature(k) == nil {
					t.Fatalf("unknown key %q passed", k)
				}
			}
			return
		}
		if FieldOf(err) != FieldFeatures || len(err.Error()) > 400 || !utf8.ValidString(err.Error()) {
			t.Fatalf("bad error %q", err)
		}
	})
}
