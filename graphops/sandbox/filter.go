package sandbox

import (
	"fmt"
	"strings"
	"unicode"
)

// A small OData $filter evaluator for the subset Graph's directory supports on
// the properties the wizard queries: eq, ne, startswith, endswith, any() over
// string collections, and/or/not and parentheses. It evaluates against a
// rendered object (property names case-insensitive).

// FilterExpr is a parsed $filter.
type FilterExpr struct {
	op          string // and, or, not, eq, ne, startswith, endswith, any
	left, right *FilterExpr
	prop        string
	value       any // string, bool or nil
}

// Match evaluates the filter against a rendered object.
func (e *FilterExpr) Match(obj map[string]any) bool {
	switch e.op {
	case "and":
		return e.left.Match(obj) && e.right.Match(obj)
	case "or":
		return e.left.Match(obj) || e.right.Match(obj)
	case "not":
		return !e.left.Match(obj)
	}
	v := lookupProp(obj, e.prop)
	switch e.op {
	case "eq":
		return equalValue(v, e.value)
	case "ne":
		return !equalValue(v, e.value)
	case "startswith":
		s, ok := v.(string)
		return ok && strings.HasPrefix(strings.ToLower(s), strings.ToLower(e.value.(string)))
	case "endswith":
		s, ok := v.(string)
		return ok && strings.HasSuffix(strings.ToLower(s), strings.ToLower(e.value.(string)))
	case "any":
		for _, x := range anySlice(v) {
			if equalValue(x, e.value) {
				return true
			}
		}
	}
	return false
}

func anySlice(v any) []any {
	switch s := v.(type) {
	case []any:
		return s
	case []string:
		out := make([]any, len(s))
		for i, x := range s {
			out[i] = x
		}
		return out
	}
	return nil
}

func lookupProp(obj map[string]any, path string) any {
	var cur any = obj
	for _, part := range strings.Split(path, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = nil
		for k, v := range m {
			if strings.EqualFold(k, part) {
				cur = v
				break
			}
		}
	}
	return cur
}

func equalValue(a, b any) bool {
	if b == nil {
		return a == nil
	}
	switch bv := b.(type) {
	case string:
		as, ok := a.(string)
		return ok && strings.EqualFold(as, bv)
	case bool:
		ab, ok := a.(bool)
		return ok && ab == bv
	}
	return false
}

// ParseFilter parses a $filter expression.
func ParseFilter(s string) (*FilterExpr, error) {
	p := &filterParser{toks: tokenize(s)}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("syntax error at '%s'", p.toks[p.pos])
	}
	return e, nil
}

type filterParser struct {
	toks []string
	pos  int
}

func (p *filterParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *filterParser) next() string { t := p.peek(); p.pos++; return t }

func (p *filterParser) expect(t string) error {
	if got := p.next(); got != t {
		return fmt.Errorf("expected '%s' but found '%s'", t, got)
	}
	return nil
}

func (p *filterParser) or() (*FilterExpr, error) {
	l, err := p.and()
	for err == nil && strings.EqualFold(p.peek(), "or") {
		p.next()
		var r *FilterExpr
		if r, err = p.and(); err == nil {
			l = &FilterExpr{op: "or", left: l, right: r}
		}
	}
	return l, err
}

func (p *filterParser) and() (*FilterExpr, error) {
	l, err := p.unary()
	for err == nil && strings.EqualFold(p.peek(), "and") {
		p.next()
		var r *FilterExpr
		if r, err = p.unary(); err == nil {
			l = &FilterExpr{op: "and", left: l, right: r}
		}
	}
	return l, err
}

func (p *filterParser) unary() (*FilterExpr, error) {
	if strings.EqualFold(p.peek(), "not") {
		p.next()
		e, err := p.unary()
		return &FilterExpr{op: "not", left: e}, err
	}
	if p.peek() == "(" {
		p.next()
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		return e, p.expect(")")
	}
	return p.comparison()
}

func (p *filterParser) comparison() (*FilterExpr, error) {
	t := p.next()
	lower := strings.ToLower(t)
	if lower == "startswith" || lower == "endswith" {
		if err := p.expect("("); err != nil {
			return nil, err
		}
		prop := p.next()
		if err := p.expect(","); err != nil {
			return nil, err
		}
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%s needs a string", lower)
		}
		return &FilterExpr{op: lower, prop: prop, value: s}, p.expect(")")
	}
	if t == "" || !isIdent(t) {
		return nil, fmt.Errorf("unexpected '%s'", t)
	}
	// collection/any(x:x eq 'v')
	if prop, ok := strings.CutSuffix(t, "/any"); ok {
		if err := p.expect("("); err != nil {
			return nil, err
		}
		varName := p.next()
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		if v := p.next(); v != varName {
			return nil, fmt.Errorf("expected '%s'", varName)
		}
		if op := strings.ToLower(p.next()); op != "eq" {
			return nil, fmt.Errorf("any() supports eq only")
		}
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		return &FilterExpr{op: "any", prop: prop, value: v}, p.expect(")")
	}
	op := strings.ToLower(p.next())
	if op != "eq" && op != "ne" {
		return nil, fmt.Errorf("unsupported operator '%s'", op)
	}
	v, err := p.literal()
	return &FilterExpr{op: op, prop: t, value: v}, err
}

func (p *filterParser) literal() (any, error) {
	t := p.next()
	switch {
	case strings.HasPrefix(t, "'"):
		return strings.ReplaceAll(t[1:len(t)-1], "''", "'"), nil
	case strings.EqualFold(t, "true"):
		return true, nil
	case strings.EqualFold(t, "false"):
		return false, nil
	case strings.EqualFold(t, "null"):
		return nil, nil
	}
	return nil, fmt.Errorf("expected a literal but found '%s'", t)
}

func isIdent(t string) bool {
	for _, r := range t {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '/' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}

func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '(' || c == ')' || c == ',' || c == ':':
			toks = append(toks, string(c))
			i++
		case c == '\'':
			j := i + 1
			for j < len(s) {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(s) {
				toks = append(toks, s[i:]+"'")
				i = len(s)
				continue
			}
			toks = append(toks, s[i:j+1])
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" (),:'", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}
