package sandbox

import (
	"net/http"
	"strconv"
	"strings"
)

// GET /users and GET /users/{id | userPrincipalName} (user-list.md, user-get.md).
// A tenant can hold 100,000 users: the list filters and searches the model
// directly (no rendering until the page is cut) and caches each user's search
// tokens, so a page answers in milliseconds.

// wlUserResource is the user row set of filter-directory-objects.md, for the
// properties the sandbox models.
var wlUserResource = &wlResource{
	typeName: "User",
	filters: map[string]wlFilterRule{
		"id":                 {eq: wlDefault},
		"accountenabled":     {eq: wlDefault},
		"department":         {eq: wlDefault, startsWith: wlDefault, eqNull: wlAdvanced},
		"displayname":        {eq: wlDefault, startsWith: wlDefault, eqNull: wlAdvanced},
		"givenname":          {eq: wlDefault, startsWith: wlDefault, eqNull: wlAdvanced},
		"jobtitle":           {eq: wlDefault, startsWith: wlDefault, eqNull: wlAdvanced},
		"mail":               {eq: wlDefault, startsWith: wlDefault, eqNull: wlAdvanced},
		"mailnickname":       {eq: wlDefault, startsWith: wlDefault, eqNull: wlAdvanced},
		"mobilephone":        {eq: wlAdvanced, startsWith: wlAdvanced, eqNull: wlAdvanced},
		"officelocation":     {eq: wlAdvanced, startsWith: wlAdvanced, eqNull: wlAdvanced},
		"preferredlanguage":  {eq: wlAdvanced, startsWith: wlAdvanced, eqNull: wlAdvanced},
		"surname":            {eq: wlDefault, startsWith: wlDefault, eqNull: wlAdvanced},
		"usagelocation":      {eq: wlDefault, startsWith: wlDefault, eqNull: wlAdvanced},
		"userprincipalname":  {eq: wlDefault, startsWith: wlDefault},
		"usertype":           {eq: wlDefault, eqNull: wlAdvanced},
		"businessphones/any": {eq: wlAdvanced},
		"proxyaddresses/any": {eq: wlDefault, startsWith: wlDefault},
	},
	orderable: map[string]bool{"displayname": true, "userprincipalname": true},
	tokenized: map[string]bool{"displayname": true},
}

// wlUserDefaultProps is the property set Graph returns without $select, in its order.
var wlUserDefaultProps = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
	"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}

// wlUserSelectable maps lower-case names to the spelling Graph uses, for $select.
var wlUserSelectable = func() map[string]string {
	m := map[string]string{}
	for _, p := range append(append([]string{}, wlUserDefaultProps...), "accountEnabled", "department", "mailNickname",
		"userType", "usageLocation", "createdDateTime", "proxyAddresses", "otherMails", "companyName") {
		m[strings.ToLower(p)] = p
	}
	return m
}()

// wlUserProp reads one property of u by lower-case name; nil for unset strings.
func wlUserProp(t *Tenant, u *User, prop string) any {
	switch prop {
	case "id":
		return u.ID
	case "displayname":
		return strOrNil(u.DisplayName)
	case "givenname":
		return strOrNil(u.GivenName)
	case "surname":
		return strOrNil(u.Surname)
	case "userprincipalname":
		return u.UserPrincipalName
	case "mail":
		return strOrNil(u.Mail)
	case "jobtitle":
		return strOrNil(u.JobTitle)
	case "department":
		return strOrNil(u.Department)
	case "accountenabled":
		return u.AccountEnabled
	case "businessphones":
		return nonNil(u.BusinessPhones)
	case "mobilephone":
		return strOrNil(u.MobilePhone)
	case "officelocation":
		return strOrNil(u.OfficeLocation)
	case "preferredlanguage":
		return strOrNil(u.PreferredLanguage)
	case "usagelocation":
		return strOrNil(u.UsageLocation)
	case "mailnickname":
		nick, _, _ := strings.Cut(u.UserPrincipalName, "@")
		return nick
	case "usertype":
		return "Member"
	case "createddatetime":
		return graphTime(u.created)
	case "proxyaddresses":
		if u.Mail == "" {
			return []string{}
		}
		return []string{"SMTP:" + u.Mail}
	case "othermails":
		return []string{}
	case "companyname":
		return nil
	}
	return nil
}

// displayNameTokens returns the cached $search tokens of the user's display
// name, displayNameKey its search key (wlSearchKey: a cheap pre-check that
// spares tokenizing users who cannot match).
func (u *User) displayNameTokens() []string {
	u.refreshSearchCache()
	if u.searchTokens == nil {
		u.searchTokens = wlSearchTokens(u.DisplayName, true)
	}
	return u.searchTokens
}

func (u *User) displayNameKey() string {
	u.refreshSearchCache()
	return u.searchLower
}

func (u *User) refreshSearchCache() {
	if u.searchTokensOf != u.DisplayName || (u.searchLower == "" && u.DisplayName != "") {
		u.searchTokens, u.searchTokensOf, u.searchLower = nil, u.DisplayName, wlSearchKey(u.DisplayName)
	}
}

// userStringField returns a typed accessor for the string properties a filter
// can name, so a $filter over 100,000 users neither renders nor boxes values.
func userStringField(prop string) func(u *User) string {
	switch prop {
	case "id":
		return func(u *User) string { return u.ID }
	case "displayname":
		return func(u *User) string { return u.DisplayName }
	case "givenname":
		return func(u *User) string { return u.GivenName }
	case "surname":
		return func(u *User) string { return u.Surname }
	case "userprincipalname":
		return func(u *User) string { return u.UserPrincipalName }
	case "mail":
		return func(u *User) string { return u.Mail }
	case "jobtitle":
		return func(u *User) string { return u.JobTitle }
	case "department":
		return func(u *User) string { return u.Department }
	case "mobilephone":
		return func(u *User) string { return u.MobilePhone }
	case "officelocation":
		return func(u *User) string { return u.OfficeLocation }
	case "preferredlanguage":
		return func(u *User) string { return u.PreferredLanguage }
	case "usagelocation":
		return func(u *User) string { return u.UsageLocation }
	}
	return nil
}

// compileUserFilter turns a validated $filter into a predicate on the model.
func compileUserFilter(t *Tenant, e *FilterExpr) func(u *User) bool {
	switch e.op {
	case "and":
		l, r := compileUserFilter(t, e.left), compileUserFilter(t, e.right)
		return func(u *User) bool { return l(u) && r(u) }
	case "or":
		l, r := compileUserFilter(t, e.left), compileUserFilter(t, e.right)
		return func(u *User) bool { return l(u) || r(u) }
	case "not":
		l := compileUserFilter(t, e.left)
		return func(u *User) bool { return !l(u) }
	}
	field := userStringField(strings.ToLower(e.prop))
	want, isString := e.value.(string)
	if field == nil || !isString {
		leaf := e
		return func(u *User) bool {
			return wlMatchFilter(leaf, func(p string) any { return wlUserProp(t, u, p) })
		}
	}
	switch e.op {
	case "eq":
		return func(u *User) bool { return strings.EqualFold(field(u), want) }
	case "ne":
		return func(u *User) bool { return !strings.EqualFold(field(u), want) }
	case "startswith":
		return func(u *User) bool {
			v := field(u)
			return len(v) >= len(want) && strings.EqualFold(v[:len(want)], want)
		}
	case "endswith":
		return func(u *User) bool {
			v := field(u)
			return len(v) >= len(want) && strings.EqualFold(v[len(v)-len(want):], want)
		}
	}
	return func(*User) bool { return false }
}

// wlUserSelect resolves $select against the user's properties: the Graph
// spellings to render, nil for the default set. ok is false after an error.
func (q *Req) wlUserSelect() (props []string, ok bool) {
	sel := q.R.URL.Query().Get("$select")
	if sel == "" {
		return nil, true
	}
	for _, f := range strings.Split(sel, ",") {
		f = strings.TrimSpace(f)
		name, known := wlUserSelectable[strings.ToLower(f)]
		if !known {
			q.Error(http.StatusBadRequest, "Request_UnsupportedQuery", "Could not find a property named '"+f+"' on type 'microsoft.graph.user'.")
			return nil, false
		}
		props = append(props, name)
	}
	return props, true
}

// wlRenderUser renders u with the default property set or the $select'ed one.
func wlRenderUser(t *Tenant, u *User, props []string) map[string]any {
	if props == nil {
		props = wlUserDefaultProps
	}
	out := make(map[string]any, len(props))
	for _, p := range props {
		out[p] = wlUserProp(t, u, strings.ToLower(p))
	}
	return out
}

func (s *Server) listUsers(q *Req) {
	d, ok := q.wlParseDirQuery(wlUserResource, 100, 999)
	if !ok {
		return
	}
	if d.search != nil {
		if err := d.search.validate(wlUserResource); err != nil {
			q.Error(http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
			return
		}
	}
	props, ok := q.wlUserSelect()
	if !ok {
		return
	}
	t := q.T
	users := t.Users
	var idx []int
	if d.filter == nil && d.search == nil {
		idx = make([]int, len(users))
		for i := range idx {
			idx[i] = i
		}
	} else {
		match := func(*User) bool { return true }
		if d.filter != nil {
			match = compileUserFilter(t, d.filter)
		}
		for i, u := range users {
			if !match(u) {
				continue
			}
			if d.search != nil && !d.search.match(wlUserResource, func(p string) any { return wlUserProp(t, u, p) },
				func(string) []string { return u.displayNameTokens() }, func(string) string { return u.displayNameKey() }) {
				continue
			}
			idx = append(idx, i)
		}
	}
	if d.orderBy != "" {
		wlOrderIndexes(idx, d.desc, func(i int) string {
			if d.orderBy == "userprincipalname" {
				return users[i].UserPrincipalName
			}
			return users[i].DisplayName
		}, func(i int) string { return users[i].ID })
	}
	q.wlWriteDirPage("users"+q.SelectFragment(), len(idx), d.top, d.skip, d.count, func(i int) map[string]any {
		return wlRenderUser(t, users[idx[i]], props)
	})
}

func (s *Server) getUser(q *Req) {
	prop, key := q.Key("user")
	if key == "$count" {
		// GET /users/$count: text/plain, advanced queries only (aad-advanced-queries.md).
		if !q.wlEventual() {
			q.BadRequest("$count is not currently supported.")
			return
		}
		q.W.Header().Set("Content-Type", "text/plain")
		q.W.WriteHeader(http.StatusOK)
		_, _ = q.W.Write([]byte(strconv.Itoa(len(q.T.Users))))
		return
	}
	var u *User
	switch prop {
	case "id", "userPrincipalName":
		u = q.T.UserByIDOrUPN(key)
	}
	if u == nil {
		q.NotFound(key)
		return
	}
	// User.Read (and User.ReadWrite) reach only the signed-in user's own profile.
	if q.User != nil && q.User != u && !wlHasAnyFold(q.Claims.Scopes, permUsersRead.Delegated) {
		q.Denied()
		return
	}
	props, ok := q.wlUserSelect()
	if !ok {
		return
	}
	body := wlRenderUser(q.T, u, props)
	body["@odata.context"] = q.Context("users" + q.SelectFragment() + "/$entity")
	q.JSON(http.StatusOK, body)
}
