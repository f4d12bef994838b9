package sdktest

import (
	"context"
	"strings"
	"testing"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	graphusers "github.com/microsoftgraph/msgraph-sdk-go/users"

	"m365wizard/graphops/sandbox"
)

func eventualHeaders() *abstractions.RequestHeaders {
	h := abstractions.NewRequestHeaders()
	h.Add("ConsistencyLevel", "eventual")
	return h
}

// A user sync (QuickHelp, HelpMaster's user browser) walks every page through
// @odata.nextLink with the SDK's PageIterator.
func TestUsersPageAcrossNextLinks(t *testing.T) {
	s := startWith(t, sandbox.Options{Tenants: []sandbox.TenantOptions{{DisplayName: "Contoso", Domain: "contoso.com", ExtraUsers: 250}}})
	c := appClient(t, s, addApp(t, s, "QuickHelp", "User.Read.All"))
	ctx := context.Background()

	first, err := c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{Top: ptr(int32(100)), Select: []string{"id", "displayName", "userPrincipalName"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(first.GetValue()); n != 100 {
		t.Fatalf("first page has %d users, want 100", n)
	}
	if first.GetOdataNextLink() == nil || !strings.Contains(*first.GetOdataNextLink(), "$skiptoken=") {
		t.Fatalf("first page nextLink = %v, want a $skiptoken link", first.GetOdataNextLink())
	}
	if first.GetValue()[0].GetMail() != nil {
		t.Fatalf("$select=id,displayName,userPrincipalName returned mail %q", *first.GetValue()[0].GetMail())
	}
	it, err := msgraphcore.NewPageIterator[models.Userable](first, c.RequestAdapter, models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	if err := it.Iterate(ctx, func(u models.Userable) bool {
		seen[deref(u.GetId())] = true
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if want := len(sandbox.DefaultPeople) + 250; len(seen) != want {
		t.Fatalf("iterated %d distinct users, want %d", len(seen), want)
	}
	if n := s.Log().Count(sandbox.HostGraph, "GET", "/v1.0/users"); n != 3 {
		t.Fatalf("%d GET /users requests for 257 users at 100 a page, want 3", n)
	}
}

func TestUsersSearchNeedsConsistencyLevel(t *testing.T) {
	s := start(t)
	c := appClient(t, s, addApp(t, s, "Sync", "User.Read.All"))
	ctx := context.Background()
	q := &graphusers.UsersRequestBuilderGetQueryParameters{Search: ptr(`"displayName:megan"`), Count: ptr(true)}

	_, err := c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{QueryParameters: q})
	wantODataError(t, err, 400, "Request_UnsupportedQuery",
		"Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'")

	res, err := c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{QueryParameters: q, Headers: eventualHeaders()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetValue()) != 1 || deref(res.GetValue()[0].GetDisplayName()) != "Megan Bowen" || deref(res.GetOdataCount()) != 1 {
		t.Fatalf("search megan: %d users, count %v", len(res.GetValue()), res.GetOdataCount())
	}
	// Tokens match word prefixes in any order; a word in the middle does not.
	for search, want := range map[string]int{`"displayName:sicil die"`: 1, `"displayName:iciliani"`: 0, `"displayName:no reply"`: 1} {
		res, err := c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{Headers: eventualHeaders(),
			QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{Search: ptr(search)}})
		if err != nil || len(res.GetValue()) != want {
			t.Fatalf("$search=%s: %v, %d users, want %d", search, err, len(res.GetValue()), want)
		}
	}
	// OR of a tokenized displayName clause and a startsWith mail clause.
	res, err = c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{Headers: eventualHeaders(),
		QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{Search: ptr(`"displayName:bowen" OR "mail:helpdesk"`)}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range res.GetValue() {
		names = append(names, deref(u.GetDisplayName()))
	}
	if len(names) != 2 || !strings.Contains(strings.Join(names, ","), "Megan Bowen") || !strings.Contains(strings.Join(names, ","), "Helpdesk") {
		t.Fatalf("OR search found %v", names)
	}
}

func TestUsersFilterSelectOrderAndCount(t *testing.T) {
	s := start(t)
	c := appClient(t, s, addApp(t, s, "Sync", "Directory.Read.All"))
	ctx := context.Background()

	// Shared mailboxes are disabled accounts; $select adds accountEnabled, and
	// $count=true without ConsistencyLevel is silently ignored.
	res, err := c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{
		Filter: ptr("accountEnabled eq false"), Select: []string{"displayName", "accountEnabled", "mail"}, Count: ptr(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetValue()) != 2 || res.GetOdataCount() != nil {
		t.Fatalf("disabled users: %d, count %v; want 2 and no count", len(res.GetValue()), res.GetOdataCount())
	}
	for _, u := range res.GetValue() {
		if u.GetAccountEnabled() == nil || *u.GetAccountEnabled() || u.GetId() != nil || u.GetMail() == nil {
			t.Fatalf("selected user %q: accountEnabled %v, id %v", deref(u.GetDisplayName()), u.GetAccountEnabled(), u.GetId())
		}
	}

	// $filter with $orderby needs the advanced query parameters.
	q := &graphusers.UsersRequestBuilderGetQueryParameters{Filter: ptr("startswith(jobTitle,'S')"), Orderby: []string{"displayName desc"}}
	_, err = c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{QueryParameters: q})
	wantODataError(t, err, 400, "Request_UnsupportedQuery", "Sorting not supported for current query.")
	q.Count = ptr(true)
	res, err = c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{QueryParameters: q, Headers: eventualHeaders()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetValue()) != 2 || deref(res.GetValue()[0].GetDisplayName()) != "Lidia Holloway" || deref(res.GetValue()[1].GetDisplayName()) != "Diego Siciliani" {
		t.Fatalf("jobTitle startswith S, displayName desc: %d users", len(res.GetValue()))
	}
	if deref(res.GetOdataCount()) != 2 {
		t.Fatalf("@odata.count = %v, want 2", res.GetOdataCount())
	}

	// endsWith is advanced-only.
	_, err = c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{
		Filter: ptr("endswith(mail,'@contoso.com')")}})
	wantODataError(t, err, 400, "Request_UnsupportedQuery", "Operator 'endsWith' is not supported because the 'ConsistencyLevel:eventual' header is missing.")

	// The default property set: businessPhones is an empty collection, not null.
	res, err = c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{
		Filter: ptr("userPrincipalName eq 'user@contoso.com'")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetValue()) != 1 {
		t.Fatalf("upn eq: %d users", len(res.GetValue()))
	}
	u := res.GetValue()[0]
	if deref(u.GetJobTitle()) != "Support Technician" || u.GetBusinessPhones() == nil || u.GetAccountEnabled() != nil {
		t.Fatalf("default properties: jobTitle %v businessPhones %v accountEnabled %v", u.GetJobTitle(), u.GetBusinessPhones(), u.GetAccountEnabled())
	}
}

func TestUserGetPermissions(t *testing.T) {
	s := start(t)
	ctx := context.Background()

	// User.Read reads only the signed-in user.
	me := userClient(t, s, "user@contoso.com", "User.Read")
	u, err := me.Users().ByUserId("user@contoso.com").Get(ctx, nil)
	if err != nil || deref(u.GetDisplayName()) != "Diego Siciliani" {
		t.Fatalf("own profile: %v %v", err, u)
	}
	_, err = me.Users().ByUserId("admin@contoso.com").Get(ctx, nil)
	wantODataError(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

	// User.Read.All reads anyone, by id or by userPrincipalName alternate key.
	all := userClient(t, s, "user@contoso.com", "User.Read.All")
	admin, err := all.UsersWithUserPrincipalName(ptr("admin@contoso.com")).Get(ctx, nil)
	if err != nil || deref(admin.GetDisplayName()) != "Megan Bowen" {
		t.Fatalf("users(userPrincipalName=…): %v", err)
	}
	byID, err := all.Users().ByUserId(deref(admin.GetId())).Get(ctx, nil)
	if err != nil || deref(byID.GetUserPrincipalName()) != "admin@contoso.com" {
		t.Fatalf("by id: %v", err)
	}
	_, err = all.Users().ByUserId("nobody@contoso.com").Get(ctx, nil)
	wantODataError(t, err, 404, "Request_ResourceNotFound",
		"Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present.")

	// An app without a directory role cannot list users.
	mailOnly := appClient(t, s, addApp(t, s, "MailOnly", "Mail.Send"))
	_, err = mailOnly.Users().Get(ctx, nil)
	wantODataError(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}

// TestUsersAt100kStayFast measures a $search and a $filter page in a tenant of
// 100,000 users. Run alone:
//
//	go test -run TestUsersAt100kStayFast -v ./graphops/sandbox/sdktest/
func TestUsersAt100kStayFast(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100,000-user tenant")
	}
	s := startWith(t, sandbox.Options{Tenants: []sandbox.TenantOptions{{DisplayName: "Fabrikam", Domain: "fabrikam.com", ExtraUsers: 100000}}})
	c := appClient(t, s, addApp(t, s, "Sync", "User.Read.All"))
	ctx := context.Background()
	// Warm the connection so the figure is the server's work, not the TLS handshake.
	if _, err := c.Users().ByUserId("admin@fabrikam.com").Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	measure := func(name string, cfg *graphusers.UsersRequestBuilderGetRequestConfiguration, want func(models.UserCollectionResponseable) bool) time.Duration {
		t.Helper()
		start := time.Now()
		res, err := c.Users().Get(ctx, cfg)
		d := time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !want(res) {
			t.Fatalf("%s: unexpected page (%d users, count %v)", name, len(res.GetValue()), res.GetOdataCount())
		}
		t.Logf("%s: %v", name, d)
		if limit := 500 * time.Millisecond * raceSlowdown; d > limit {
			t.Errorf("%s took %v on 100,000 users; want under %v", name, d, limit)
		}
		return d
	}
	search := &graphusers.UsersRequestBuilderGetRequestConfiguration{Headers: eventualHeaders(),
		QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{Search: ptr(`"displayName:zoë ødeg"`), Count: ptr(true), Top: ptr(int32(999)),
			Orderby: []string{"displayName"}, Select: []string{"id", "displayName", "mail"}}}
	searchOK := func(r models.UserCollectionResponseable) bool {
		n := deref(r.GetOdataCount())
		return n > 0 && n < 1000 && len(r.GetValue()) == int(n) && strings.HasPrefix(deref(r.GetValue()[0].GetDisplayName()), "Zoë Ødeg")
	}
	measure("$search displayName (cold token cache)", search, searchOK)
	measure("$search displayName (warm)", search, searchOK)
	measure("$filter startswith(userPrincipalName) with $count", &graphusers.UsersRequestBuilderGetRequestConfiguration{Headers: eventualHeaders(),
		QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{Filter: ptr("startswith(userPrincipalName,'adele.')"), Count: ptr(true), Top: ptr(int32(999))}},
		func(r models.UserCollectionResponseable) bool {
			return deref(r.GetOdataCount()) == 100000/24 && len(r.GetValue()) == 999 && r.GetOdataNextLink() != nil
		})
	measure("first page of all users", &graphusers.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{Top: ptr(int32(999))}},
		func(r models.UserCollectionResponseable) bool {
			return len(r.GetValue()) == 999 && r.GetOdataNextLink() != nil
		})
}
