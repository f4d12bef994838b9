package profile

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"m365wizard/assets"
)

// FuzzParse: any bytes give a checked profile or errors that say where; never
// a panic, and the same answer twice. Seeds: the shipped profiles, base, and
// the corpus in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	for _, k := range Keys() {
		if data, err := assets.Profiles.ReadFile("profiles/" + k + ".json"); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{"", "{}", "[]", "null", `{"format":1,"features":[{"key":"a","colour":1}]}`,
		"{\"features\": [{\n  \"required\": \"yes\"}]}", `{"format":1} {}`, "{\"a\":\n", "\xef\xbb\xbf{}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "f.json")
		p2, err2 := Parse(data, "f.json")
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			var e *Error
			var list ErrorList
			switch {
			case errors.As(err, &list):
				if len(list) == 0 {
					t.Fatal("empty ErrorList")
				}
				for _, e := range list {
					if e.Field == "" || e.Message == "" {
						t.Fatalf("problem without field or message: %+v", e)
					}
				}
			case errors.As(err, &e):
				lines := bytes.Count(data, []byte("\n")) + 1
				if e.Line < 0 || e.Line > lines || (e.Line > 0 && e.Column < 1) || e.Message == "" {
					t.Fatalf("position %d:%d of %d lines: %v", e.Line, e.Column, lines, e)
				}
			default:
				t.Fatalf("%T: %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), "f.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		_ = p2
		// A profile that passed keeps the helpers' promises.
		var keys []string
		for _, f := range p.Features {
			keys = append(keys, f.Key)
		}
		if len(p.Selected(nil)) > len(keys) || (len(p.DefaultFeatures()) == 0 && !p.Custom()) {
			t.Fatalf("selection: %v / defaults %v", p.Selected(nil), p.DefaultFeatures())
		}
		roles := p.AppRoles(keys)
		seen := map[string]bool{}
		for _, r := range roles {
			if seen[strings.ToLower(r)] {
				t.Fatalf("AppRoles repeats %s", r)
			}
			seen[strings.ToLower(r)] = true
		}
		for _, pr := range p.Probes(keys) {
			if !seen[strings.ToLower(pr.Permission)] {
				t.Fatalf("probe %v for a permission not asked for", pr)
			}
		}
		if p.Flow == FlowRegister && len(p.Probes(keys)) != len(roles) {
			t.Fatalf("%d probes for %d permissions", len(p.Probes(keys)), len(roles))
		}
		for _, s := range p.DelegatedScopes(keys) {
			for _, r := range p.Delegated.Remove {
				if strings.EqualFold(s, r) {
					t.Fatalf("removed scope %s is on the app", s)
				}
			}
		}
		_ = p.AppSpec("", keys)
		picked := []string{"Group.Create", "User.Read.All"}
		if all, probes := p.AllAppRoles(keys, picked), p.AllProbes(keys, picked); p.Custom() && len(all) != len(probes) {
			t.Fatalf("%d probes for %d permissions with picked ones", len(probes), len(all))
		}
	})
}
