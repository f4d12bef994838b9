package sandbox

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode"
)

// Entra's query rules for directory collections (users, groups), from
// microsoft-graph-docs-contrib concepts/aad-advanced-queries.md and
// concepts/includes/filter-directory-objects.md:
//   - each property supports eq / startsWith / eq null either by default or only
//     in advanced queries (ConsistencyLevel: eventual AND $count=true), or not at all;
//   - ne, not and endsWith are advanced-only;
//   - $search needs ConsistencyLevel: eventual (not $count);
//   - $filter with $orderby together are advanced-only;
//   - $count=true without the header is silently ignored.

// wlSupport levels in a property's filter table.
type wlSupport int

const (
	wlUnsupported wlSupport = iota
	wlDefault
	wlAdvanced
)

// wlFilterRule is one row of the docs' filter table.
type wlFilterRule struct{ eq, startsWith, eqNull wlSupport }

// wlResource describes one directory collection for query validation.
type wlResource struct {
	typeName  string                  // "User", as in "of resource 'User'"
	filters   map[string]wlFilterRule // lower-case property (or "coll/any") → rule
	orderable map[string]bool         // lower-case properties $orderby accepts
	// tokenized properties $search matches word by word; other string
	// properties match with startsWith.
	tokenized map[string]bool
}

// Query texts Graph answers with (aad-advanced-queries.md, and the advanced
// query feedback provider strings in msgraph-sdk-powershell for endsWith).
const (
	msgAQSearchNeedsEventual = "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"
	msgAQUnsupportedQuery    = "Unsupported Query."
	msgAQSortingUnsupported  = "Sorting not supported for current query."
)

func msgAQUnsupportedFilterProperty(prop, typeName string) string {
	return fmt.Sprintf("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", prop, typeName)
}

// wlQuery is a validated directory collection query.
type wlQuery struct {
	filter    *FilterExpr
	search    *wlSearch
	orderBy   string // lower-case property, "" = none
	desc      bool
	count     bool // render @odata.count
	top, skip int
}

// wlParseDirQuery validates $filter, $search, $orderby, $count, $top and
// $skiptoken against res. ok is false when the request was answered with an error.
func (q *Req) wlParseDirQuery(res *wlResource, def, max int) (*wlQuery, bool) {
	qs := q.R.URL.Query()
	adv := q.wlEventual()
	count := q.wlCountRequested()
	d := &wlQuery{count: adv && count}
	var ok bool
	if d.top, d.skip, ok = q.wlDirPage(def, max); !ok {
		return nil, false
	}
	if raw := qs.Get("$search"); raw != "" {
		if !adv {
			q.Error(http.StatusBadRequest, "Request_UnsupportedQuery", msgAQSearchNeedsEventual)
			return nil, false
		}
		se, err := wlParseSearch(raw)
		if err != nil {
			q.Error(http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
			return nil, false
		}
		d.search = se
	}
	f, ok := q.Filter()
	if !ok {
		return nil, false
	}
	if f != nil {
		need, bad := res.filterNeeds(f)
		switch {
		case bad != nil:
			q.Error(http.StatusBadRequest, "Request_UnsupportedQuery", msgAQUnsupportedFilterProperty(bad.prop, res.typeName))
			return nil, false
		case need == wlAdvanced && !adv && f.usesOp("endswith"):
			q.Error(http.StatusBadRequest, "Request_UnsupportedQuery", "Operator 'endsWith' is not supported because the 'ConsistencyLevel:eventual' header is missing.")
			return nil, false
		case need == wlAdvanced && (!adv || !count):
			q.Error(http.StatusBadRequest, "Request_UnsupportedQuery", msgAQUnsupportedQuery)
			return nil, false
		}
		d.filter = f
	}
	if ob := strings.TrimSpace(qs.Get("$orderby")); ob != "" {
		prop, dir, _ := strings.Cut(ob, " ")
		prop = strings.ToLower(strings.TrimSpace(prop))
		dir = strings.ToLower(strings.TrimSpace(dir))
		if !res.orderable[prop] || (dir != "" && dir != "asc" && dir != "desc") {
			q.Error(http.StatusBadRequest, "Request_UnsupportedQuery", msgAQSortingUnsupported)
			return nil, false
		}
		if f != nil && (!adv || !count) {
			q.Error(http.StatusBadRequest, "Request_UnsupportedQuery", msgAQSortingUnsupported)
			return nil, false
		}
		d.orderBy, d.desc = prop, dir == "desc"
	}
	return d, true
}

// filterNeeds walks a filter: the strictest support level it needs, or the
// first leaf whose property/operator is not supported at all.
func (res *wlResource) filterNeeds(e *FilterExpr) (wlSupport, *FilterExpr) {
	switch e.op {
	case "and", "or":
		l, bad := res.filterNeeds(e.left)
		if bad != nil {
			return 0, bad
		}
		r, bad := res.filterNeeds(e.right)
		return max(l, r), bad
	case "not":
		_, bad := res.filterNeeds(e.left)
		return wlAdvanced, bad
	}
	prop := strings.ToLower(e.prop)
	if e.op == "any" {
		prop += "/any"
	}
	rule, known := res.filters[prop]
	if !known {
		return 0, e
	}
	var lvl wlSupport
	switch {
	case e.op == "startswith":
		lvl = rule.startsWith
	case e.op == "endswith":
		// endsWith is advanced-only, on mail and userPrincipalName (and proxyAddresses).
		lvl = wlUnsupported
		if rule.startsWith != wlUnsupported && (prop == "mail" || prop == "userprincipalname" || prop == "proxyaddresses/any") {
			lvl = wlAdvanced
		}
	case e.value == nil:
		lvl = rule.eqNull
	default:
		lvl = rule.eq
	}
	if lvl == wlUnsupported {
		return 0, e
	}
	if e.op == "ne" {
		lvl = wlAdvanced
	}
	return lvl, nil
}

func (e *FilterExpr) usesOp(op string) bool {
	if e == nil {
		return false
	}
	return e.op == op || e.left.usesOp(op) || e.right.usesOp(op)
}

// wlMatchFilter evaluates a filter with a property getter (no rendering).
func wlMatchFilter(e *FilterExpr, get func(prop string) any) bool {
	switch e.op {
	case "and":
		return wlMatchFilter(e.left, get) && wlMatchFilter(e.right, get)
	case "or":
		return wlMatchFilter(e.left, get) || wlMatchFilter(e.right, get)
	case "not":
		return !wlMatchFilter(e.left, get)
	}
	v := get(strings.ToLower(e.prop))
	switch e.op {
	case "eq":
		return equalValue(v, e.value)
	case "ne":
		return !equalValue(v, e.value)
	case "startswith":
		s, ok := v.(string)
		w := e.value.(string)
		return ok && len(s) >= len(w) && strings.EqualFold(s[:len(w)], w)
	case "endswith":
		s, ok := v.(string)
		w := e.value.(string)
		return ok && len(s) >= len(w) && strings.EqualFold(s[len(s)-len(w):], w)
	case "any":
		for _, x := range anySlice(v) {
			if equalValue(x, e.value) {
				return true
			}
		}
	}
	return false
}

// --- $search ------------------------------------------------------------------

// wlSearch is a parsed directory $search: "prop:text" clauses joined by
// AND / OR (upper case, outside the quotes) with parentheses.
type wlSearch struct {
	op          string // "and", "or", "clause"
	left, right *wlSearch
	prop        string // lower case
	tokens      []string
	text        string // lower case, for startsWith properties
}

func wlParseSearch(raw string) (*wlSearch, error) {
	p := &wlSearchParser{s: strings.TrimSpace(raw)}
	e, err := p.or()
	if err == nil && p.skipSpace() < len(p.s) {
		err = fmt.Errorf("Syntax error: character '%c' is not valid at position %d in '%s'.", p.s[p.i], p.i, p.s)
	}
	return e, err
}

type wlSearchParser struct {
	s string
	i int
}

func (p *wlSearchParser) skipSpace() int {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
	return p.i
}

func (p *wlSearchParser) keyword(k string) bool {
	p.skipSpace()
	if strings.HasPrefix(p.s[p.i:], k+" ") || strings.HasPrefix(p.s[p.i:], k+"\"") || strings.HasPrefix(p.s[p.i:], k+"(") {
		p.i += len(k)
		return true
	}
	return false
}

func (p *wlSearchParser) or() (*wlSearch, error) {
	l, err := p.and()
	for err == nil && p.keyword("OR") {
		var r *wlSearch
		if r, err = p.and(); err == nil {
			l = &wlSearch{op: "or", left: l, right: r}
		}
	}
	return l, err
}

func (p *wlSearchParser) and() (*wlSearch, error) {
	l, err := p.primary()
	for err == nil && p.keyword("AND") {
		var r *wlSearch
		if r, err = p.primary(); err == nil {
			l = &wlSearch{op: "and", left: l, right: r}
		}
	}
	return l, err
}

func (p *wlSearchParser) primary() (*wlSearch, error) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("Syntax error: unexpected end of $search expression '%s'.", p.s)
	}
	if p.s[p.i] == '(' {
		p.i++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.skipSpace(); p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, fmt.Errorf("Syntax error: missing ')' in '%s'.", p.s)
		}
		p.i++
		return e, nil
	}
	if p.s[p.i] != '"' {
		return nil, fmt.Errorf("Syntax error: character '%c' is not valid at position %d in '%s'.", p.s[p.i], p.i, p.s)
	}
	var b strings.Builder
	j := p.i + 1
	for ; j < len(p.s) && p.s[j] != '"'; j++ {
		if p.s[j] == '\\' && j+1 < len(p.s) {
			j++
		}
		b.WriteByte(p.s[j])
	}
	if j >= len(p.s) {
		return nil, fmt.Errorf("Syntax error: unterminated string in '%s'.", p.s)
	}
	p.i = j + 1
	prop, text, ok := strings.Cut(b.String(), ":")
	if !ok || strings.TrimSpace(prop) == "" {
		return nil, fmt.Errorf("Invalid search clause '%s': the syntax is \"property:text\".", b.String())
	}
	return &wlSearch{op: "clause", prop: strings.ToLower(strings.TrimSpace(prop)),
		tokens: wlSearchTokens(text, false), text: strings.ToLower(text)}, nil
}

// validate checks that every clause names a property the resource can search.
func (e *wlSearch) validate(res *wlResource) error {
	if e.op != "clause" {
		if err := e.left.validate(res); err != nil {
			return err
		}
		return e.right.validate(res)
	}
	if _, ok := res.filters[e.prop]; !ok && !res.tokenized[e.prop] {
		return fmt.Errorf("%s", msgAQUnsupportedFilterProperty(e.prop, res.typeName))
	}
	return nil
}

// match evaluates the search: tokenized properties match when every search
// token is the prefix of one of the value's tokens (in any order); others match
// with startsWith. tokensOf returns the (cached) tokens of a tokenized
// property, keyOf its wlSearchKey.
func (e *wlSearch) match(res *wlResource, get func(prop string) any, tokensOf func(prop string) []string, keyOf func(prop string) string) bool {
	switch e.op {
	case "and":
		return e.left.match(res, get, tokensOf, keyOf) && e.right.match(res, get, tokensOf, keyOf)
	case "or":
		return e.left.match(res, get, tokensOf, keyOf) || e.right.match(res, get, tokensOf, keyOf)
	}
	if res.tokenized[e.prop] {
		if len(e.tokens) == 0 {
			return false
		}
		// Every token must occur in the value's search key: a cheap test
		// before tokenizing it.
		key := keyOf(e.prop)
		for _, want := range e.tokens {
			if !strings.Contains(key, want) {
				return false
			}
		}
		have := tokensOf(e.prop)
		for _, want := range e.tokens {
			found := false
			for _, h := range have {
				if strings.HasPrefix(h, want) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	v, _ := get(e.prop).(string)
	return len(v) >= len(e.text) && strings.EqualFold(v[:len(e.text)], e.text)
}

// wlSearchTokens splits a value the way Entra's directory search does
// (search-query-parameter.md): at spaces, symbols and digit/letter changes, and
// where lower case turns to upper case; symbol-joined words also match joined
// ("hello.world" → hello, world, helloworld) when joined is set, as for the
// indexed value (not the search text). Tokens are lower case.
func wlSearchTokens(s string, joined bool) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	kind := func(r rune) int {
		switch {
		case unicode.IsDigit(r):
			return 1
		case unicode.IsLetter(r):
			return 2
		}
		return 0
	}
	var prev rune
	groups := [][]string{} // words separated only by symbols (not spaces) form a group
	group := []string{}
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			flush()
			if len(group) > 0 {
				groups = append(groups, group)
				group = []string{}
			}
		case kind(r) == 0:
			flush()
		default:
			if len(cur) > 0 && (kind(r) != kind(prev) || (unicode.IsLower(prev) && unicode.IsUpper(r))) {
				flush()
			}
			if len(cur) == 0 {
				group = append(group, "")
			}
			cur = append(cur, r)
			group[len(group)-1] += strings.ToLower(string(r))
		}
		prev = r
	}
	flush()
	if len(group) > 0 {
		groups = append(groups, group)
	}
	for _, g := range groups {
		if joined && len(g) > 1 {
			words = append(words, strings.Join(g, ""))
		}
	}
	return words
}

// wlSearchKey is a value's letters and digits, lower-cased. Every token of the
// value (and every prefix of one, joined tokens included) is a substring of it.
func wlSearchKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// wlOrderIndexes sorts idx by a string property, case-insensitively, ties by id.
func wlOrderIndexes(idx []int, desc bool, key func(i int) string, id func(i int) string) {
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := strings.ToLower(key(idx[a])), strings.ToLower(key(idx[b]))
		if ka == kb {
			return id(idx[a]) < id(idx[b])
		}
		if desc {
			return ka > kb
		}
		return ka < kb
	})
}
