package sandbox

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// The id of a delegated grant is client+resource(+principal) GUID bytes in
// .NET order, base64url: this reproduces the id in Microsoft's own example
// (permissions-grant-via-msgraph.md; GRAPH-FACTS §3.5) exactly.
func TestEntraGrantIDMatchesMicrosoftsExample(t *testing.T) {
	got := entraGrantID("b0d9b9e3-0ecf-4bfd-8dab-9273dd055a94", "7ea9e944-71ce-443d-811c-71e8047b557a", "3fbd929d-8c56-4462-851e-0eb9a7b3a2a5")
	if want := "47nZsM8O_UuNq5Jz3QValETpqX7OcT1EgRxx6AR7VXqdkr0_VoxiRIUeDrmns6Kl"; got != want {
		t.Fatalf("grant id = %s, want %s", got, want)
	}
	if n := len(entraGrantID("b0d9b9e3-0ecf-4bfd-8dab-9273dd055a94", "7ea9e944-71ce-443d-811c-71e8047b557a", "")); n != 43 {
		t.Fatalf("AllPrincipals grant id has %d characters, want 43", n)
	}
}

// An app role assignment id starts with its principal, as in
// serviceprincipal-post-approleassignedto.md ("-WmtM5na7Uus0D8kI1yylpU9Mdo0Pb9OoBJvd3T5eKc"
// for principal 33ad69f9-da99-4bed-acd0-3f24235cb296) and GRAPH-FACTS §3.1.
func TestEntraAssignmentIDStartsWithPrincipal(t *testing.T) {
	for principal, docID := range map[string]string{
		"33ad69f9-da99-4bed-acd0-3f24235cb296": "-WmtM5na7Uus0D8kI1yylpU9Mdo0Pb9OoBJvd3T5eKc",
		"b0d9b9e3-0ecf-4bfd-8dab-9273dd055a94": "47nZsM8O_UuNq5Jz3QValCxBBiqJea9Drc9CMK4Ru_M",
	} {
		a, b := entraAssignmentID(principal), entraAssignmentID(principal)
		if len(a) != 43 || a[:21] != docID[:21] || a == b {
			t.Fatalf("assignment ids %s, %s for %s: want 43 chars starting %s, distinct", a, b, principal, docID[:21])
		}
	}
}

func TestEntraISODuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * 24 * time.Hour: "P90D",
		4*24*time.Hour + 12*time.Hour + 30*time.Minute + 5*time.Second: "P4DT12H30M5S",
		36 * time.Hour:   "P1DT12H",
		90 * time.Minute: "PT1H30M",
		0:                "PT0S",
	} {
		if got := entraISODuration(d); got != want {
			t.Errorf("%v = %s, want %s", d, got, want)
		}
	}
}

func TestEntraNewSecretShape(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9._~-]{3}[0-9]Q~[A-Za-z0-9._~-]{34}$`)
	seen := map[string]bool{}
	for range 200 {
		s := entraNewSecret()
		if !re.MatchString(s) || seen[s] {
			t.Fatalf("secret %q: bad shape or repeated", s)
		}
		seen[s] = true
	}
	// Every character class of the alphabet shows up over many secrets.
	all := ""
	for k := range seen {
		all += k
	}
	for _, c := range []string{".", "_", "~", "-"} {
		if !strings.Contains(all, c) {
			t.Errorf("no %q in 200 secrets", c)
		}
	}
}
