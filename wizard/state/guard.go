package state

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// redactedText replaces secret-looking text in the activity log.
const redactedText = "[redacted]"

var secretPatterns = []*regexp.Regexp{
	// A JWT (access or ID token): three base64url parts, the first a JSON
	// header starting {" (eyJ in base64url).
	regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`),
	// A Microsoft Entra ID client secret's Value: three characters, a digit,
	// "Q~", then 30 or more.
	regexp.MustCompile(`[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{30,}`),
	// A PEM private key, complete or cut short.
	regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`),
}

// looksSecret reports whether s contains text shaped like a token, client
// secret or private key.
func looksSecret(s string) bool {
	for _, re := range secretPatterns {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// redact replaces every forbidden value and every secret-shaped text in s.
// forbidden must be sorted longest first, so a value that contains another is
// replaced whole.
func redact(s string, forbidden []string) (string, bool) {
	out := s
	for _, f := range forbidden {
		out = strings.ReplaceAll(out, f, redactedText)
	}
	for _, re := range secretPatterns {
		out = re.ReplaceAllLiteralString(out, redactedText)
	}
	return out, out != s
}

// addForbidden adds values, and the forms they take inside a URL or a JSON
// string, to a longest-first list, skipping empty and known values.
func addForbidden(list []string, values ...string) []string {
	for _, v := range values {
		if v == "" {
			continue
		}
		quoted, _ := json.Marshal(v)
		for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v), string(quoted[1 : len(quoted)-1])} {
			if !slices.Contains(list, form) {
				list = append(list, form)
			}
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	return list
}
