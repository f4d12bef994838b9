package graphops

import (
	"context"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// MailboxMatch is one user a mailbox search found: what the Mailbox access
// screen lists and what the admin picks.
type MailboxMatch struct {
	ID          string
	DisplayName string
	UPN         string
	Mail        string // empty: the user has no mailbox address
}

// SearchMailboxes finds up to max users whose display name or mail address
// matches query, as the signed-in admin (User.ReadBasic.All). It is a
// server-side $search (ConsistencyLevel: eventual), so it stays quick on a
// tenant with 100,000 users; only users with a mail address are returned.
// An empty query returns nothing without asking Graph.
func (s *Session) SearchMailboxes(ctx context.Context, query string, max int) ([]MailboxMatch, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, nil
	}
	if max <= 0 || max > 999 {
		max = 25
	}
	q := searchLiteral(query)
	top := int32(max)
	cfg := &users.UsersRequestBuilderGetRequestConfiguration{
		Headers: newHeaders("ConsistencyLevel", "eventual"),
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{
			Search:  ptr(`"displayName:` + q + `" OR "mail:` + q + `"`),
			Select:  []string{"id", "displayName", "userPrincipalName", "mail"},
			Orderby: []string{"displayName"},
			Top:     &top,
		},
	}
	res, err := s.Graph.Users().Get(ctx, cfg)
	if err != nil {
		return nil, fromGraph(err, "Searching mailboxes")
	}
	var out []MailboxMatch
	for _, u := range res.GetValue() {
		m := MailboxMatch{ID: deref(u.GetId()), DisplayName: deref(u.GetDisplayName()),
			UPN: deref(u.GetUserPrincipalName()), Mail: deref(u.GetMail())}
		if m.Mail == "" {
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

// searchLiteral escapes text for the inside of a "property:text" $search
// clause: a double quote or backslash would end or break the clause.
func searchLiteral(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return r.Replace(s)
}

func ptr[T any](v T) *T { return &v }
