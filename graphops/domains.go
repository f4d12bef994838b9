package graphops

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// AllDomains is the domain filter entry that means every domain.
const AllDomains = "*"

// DomainUsers is how many users one domain of a filter covers.
type DomainUsers struct {
	Domain   string
	Users    int
	Verified bool // a verified domain of the tenant (false: probably a typo, nothing can match)
}

// DomainCount is the preview of a domain filter: which users a product that
// syncs by e-mail domain would take.
type DomainCount struct {
	// All is the "*" filter: every user, with or without an e-mail address
	// ("*" wins over any names listed with it).
	All bool
	// Users is how many users the filter covers.
	Users int
	// WithoutMail is, for All, how many of them have no e-mail address.
	WithoutMail int
	// Domains is the count per listed domain (empty for All).
	Domains []DomainUsers
}

// Summary says the count in a sentence.
func (c *DomainCount) Summary() string {
	if c.All {
		s := fmt.Sprintf("All domains: %d users", c.Users)
		if c.WithoutMail > 0 {
			s += fmt.Sprintf(", %d of them without an e-mail address", c.WithoutMail)
		}
		return s + "."
	}
	parts := make([]string, 0, len(c.Domains))
	for _, d := range c.Domains {
		p := fmt.Sprintf("%s %d", d.Domain, d.Users)
		if !d.Verified {
			p += " (not a verified domain of this tenant)"
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("%d users with an e-mail address in %s.", c.Users, strings.Join(parts, ", "))
}

var domainNameRe = regexp.MustCompile(`^(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$`)

// NormalizeDomains checks a domain filter as an admin typed it (one entry per
// item, or several separated by commas, spaces or new lines): "*" or domain
// names. It returns ["*"] when "*" is among them (the asterisk takes
// precedence), else the names in lower case without repeats. An empty list is
// an error.
func NormalizeDomains(entries []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, e := range entries {
		for _, d := range strings.FieldsFunc(e, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
			d = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(d, "@"), "."))
			if d == AllDomains {
				return []string{AllDomains}, nil
			}
			if !domainNameRe.MatchString(d) || len(d) > 253 {
				return nil, &Error{Kind: KindInput, Field: "domains",
					Message: fmt.Sprintf("%q is not a domain name; enter * (all domains) or names like contoso.com.", d)}
			}
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	if len(out) == 0 {
		return nil, &Error{Kind: KindInput, Field: "domains", Message: "Enter * (all domains) or at least one domain name like contoso.com."}
	}
	return out, nil
}

// CountUsersInDomains previews a domain filter as the signed-in admin
// (User.ReadBasic.All): for "*" every user (and how many have no e-mail
// address), else the users whose e-mail address is in each domain. Counting
// uses Entra's advanced queries ($count=true with ConsistencyLevel: eventual;
// endsWith on mail is an advanced-query operator: aad-advanced-queries.md) and
// asks for one user per query, so it stays quick on a big tenant. verified
// lists the tenant's verified domains (Admin.Domains), to mark a name that
// cannot match.
//
// One request per count, not a $batch: msgraph-sdk-go-core (v1.4.0) turns
// every number inside a batched response body into null (its BatchItem
// deserializeValue; microsoftgraph/msgraph-sdk-go-core#367), and the count is
// a number.
func (s *Session) CountUsersInDomains(ctx context.Context, domains, verified []string) (*DomainCount, error) {
	domains, err := NormalizeDomains(domains)
	if err != nil {
		return nil, err
	}
	count := func(filter string) (int, error) {
		top := int32(1)
		cnt := true
		qp := &users.UsersRequestBuilderGetQueryParameters{Count: &cnt, Top: &top, Select: []string{"id"}}
		if filter != "" {
			qp.Filter = &filter
		}
		list, err := s.Graph.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
			Headers: newHeaders("ConsistencyLevel", "eventual"), QueryParameters: qp})
		if err != nil {
			return 0, fromGraph(err, "Counting the users")
		}
		if list.GetOdataCount() == nil {
			return 0, &Error{Kind: KindInternal, Message: "Microsoft Graph did not return a count of the users."}
		}
		return int(*list.GetOdataCount()), nil
	}
	out := &DomainCount{}
	if domains[0] == AllDomains {
		out.All = true
		if out.Users, err = count(""); err != nil {
			return nil, err
		}
		if out.WithoutMail, err = count("mail eq null"); err != nil {
			return nil, err
		}
		return out, nil
	}
	for _, d := range domains {
		n, err := count("endswith(mail,'@" + d + "')")
		if err != nil {
			return nil, err
		}
		out.Users += n
		out.Domains = append(out.Domains, DomainUsers{Domain: d, Users: n,
			Verified: slices.ContainsFunc(verified, func(v string) bool { return strings.EqualFold(v, d) })})
	}
	return out, nil
}
