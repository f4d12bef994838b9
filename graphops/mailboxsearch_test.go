package graphops

import (
	"context"
	"strings"
	"testing"
	"time"

	"m365wizard/graphops/sandbox"
)

// The Mailbox access screen's search: server-side, by display name or mail,
// quick on a tenant of 100,000 users, and safe with quotes in the query.
func TestSearchMailboxes(t *testing.T) {
	e := newEnv(t, sandbox.Options{Tenants: []sandbox.TenantOptions{{DisplayName: "Contoso", Domain: "contoso.com", ExtraUsers: 100000}}})
	s := e.mustSignIn(t, "admin@contoso.com")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	start := time.Now()
	got, err := s.SearchMailboxes(ctx, "helpdesk", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || !strings.EqualFold(got[0].Mail, "helpdesk@contoso.com") {
		t.Fatalf("helpdesk: %+v", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("search on 100,000 users took %v", d)
	}

	many, err := s.SearchMailboxes(ctx, "a", 25)
	if err != nil {
		t.Fatal(err)
	}
	if len(many) > 25 {
		t.Errorf("asked for 25, got %d", len(many))
	}
	for _, m := range many {
		if m.Mail == "" {
			t.Errorf("a match without a mailbox address: %+v", m)
		}
	}

	if got, err := s.SearchMailboxes(ctx, `he said "hi" \`, 5); err != nil {
		t.Fatalf("a query with quotes: %v", err)
	} else if len(got) != 0 {
		t.Fatalf("a query with quotes found %+v", got)
	}
	if got, err := s.SearchMailboxes(ctx, "  ", 5); err != nil || got != nil {
		t.Fatalf("empty query: %+v %v", got, err)
	}
}
