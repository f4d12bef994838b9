package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"m365wizard/assets"
)

// MaxFileSize bounds a profile file; real ones are a few kilobytes.
const MaxFileSize = 1 << 20

// Error is one thing wrong with a profile. Line and Column (1-based) are set
// for problems found while reading the JSON; Field (a path such as
// features[2].applicationPermissions[0]) for the checks after it.
type Error struct {
	Source  string
	Line    int
	Column  int
	Field   string
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// ErrorList is every problem the checks found in one profile, in file order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	if len(l) == 1 {
		return l[0].Error()
	}
	lines := make([]string, 0, len(l)+1)
	lines = append(lines, fmt.Sprintf("%s: %d problems:", l[0].Source, len(l)))
	for _, e := range l {
		lines = append(lines, "  "+strings.TrimPrefix(e.Error(), e.Source+": "))
	}
	return strings.Join(lines, "\n")
}

// ErrNotFound is returned (wrapped) by Load for a key with no built-in profile.
var ErrNotFound = errors.New("no such built-in profile")

// Load returns the built-in profile with that key or alias (for example
// "qualityclouds" for "quality-clouds").
func Load(key string) (*Profile, error) {
	if !keyRe.MatchString(key) {
		return nil, fmt.Errorf("%w: %q is not a profile key (keys look like %s); built-in profiles: %s",
			ErrNotFound, key, HelpMaster, strings.Join(builtinKeys(), ", "))
	}
	data, err := assets.Profiles.ReadFile("profiles/" + key + ".json")
	if err != nil {
		for _, k := range builtinKeys() {
			if p, err := loadBuiltin(k); err == nil && p.Names(key) {
				return p, nil
			}
		}
		return nil, fmt.Errorf("%w: there is no built-in profile %q; built-in profiles: %s",
			ErrNotFound, key, strings.Join(builtinKeys(), ", "))
	}
	return parseBuiltin(data, key)
}

func loadBuiltin(key string) (*Profile, error) {
	data, err := assets.Profiles.ReadFile("profiles/" + key + ".json")
	if err != nil {
		return nil, err
	}
	return parseBuiltin(data, key)
}

func parseBuiltin(data []byte, key string) (*Profile, error) {
	p, err := parse(data, "built-in "+key+".json")
	if err != nil {
		return nil, err
	}
	if p.Key != key {
		return nil, ErrorList{{Source: p.source, Field: "key", Message: fmt.Sprintf("the built-in file %s.json says its key is %q", key, p.Key)}}
	}
	p.builtin = true
	return p, nil
}

// Canonical is the key of the built-in profile that key names (itself, or the
// profile an alias belongs to); key itself when no built-in has it.
func Canonical(key string) string {
	if p, err := Load(key); err == nil {
		return p.Key
	}
	return key
}

// Keys lists the built-in profiles' keys, HelpMaster first, then by product.
func Keys() []string {
	var out []string
	for _, p := range All() {
		out = append(out, p.Key)
	}
	return out
}

// All returns every built-in profile that loads, HelpMaster first, then by
// product name. (A built-in file that does not load is a build mistake the
// package tests catch; Load(key) reports what is wrong with it.)
func All() []*Profile {
	var out []*Profile
	for _, k := range builtinKeys() {
		if p, err := Load(k); err == nil {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Key == HelpMaster) != (b.Key == HelpMaster) {
			return a.Key == HelpMaster
		}
		if pa, pb := strings.ToLower(a.Product), strings.ToLower(b.Product); pa != pb {
			return pa < pb
		}
		return a.Key < b.Key
	})
	return out
}

func builtinKeys() []string {
	names, _ := fs.Glob(assets.Profiles, "profiles/*.json")
	var keys []string
	for _, n := range names {
		keys = append(keys, strings.TrimSuffix(strings.TrimPrefix(n, "profiles/"), ".json"))
	}
	sort.Strings(keys)
	return keys
}

// LoadFile reads an admin's own profile file.
func LoadFile(path string) (*Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Source: path, Message: "cannot open the profile file: " + plainOSError(err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &Error{Source: path, Message: "cannot read the profile file: " + plainOSError(err)}
	}
	return Parse(data, path)
}

func plainOSError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}

// Parse reads a profile from bytes (for example from a file dialog); name is
// used in messages.
func Parse(data []byte, name string) (*Profile, error) {
	if name == "" {
		name = "profile"
	}
	return parse(data, name)
}

func parse(data []byte, name string) (*Profile, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{Source: name, Message: fmt.Sprintf("the file is larger than %d KB; a profile is a small JSON file", MaxFileSize>>10)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // Notepad's byte order mark
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Source: name, Message: "the file is empty; a profile is a JSON object { … }"}
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		line, col := position(data, int64(off))
		return nil, &Error{Source: name, Line: line, Column: col, Message: "the file is not UTF-8 text; save it as UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	p := &Profile{}
	if err := dec.Decode(p); err != nil {
		return nil, decodeError(data, name, err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		if err == nil {
			off -= int64(len(fmt.Sprint(tok)))
		}
		line, col := position(data, off)
		return nil, &Error{Source: name, Line: line, Column: col, Message: "more text after the profile's closing }; a file holds one profile"}
	}
	p.source = name
	if errs := p.check(); len(errs) > 0 {
		for _, e := range errs {
			e.Source = name
		}
		return nil, errs
	}
	p.fillDefaults()
	return p, nil
}

// decodeError turns encoding/json's errors into ones with a line, a column and
// the admin's words.
func decodeError(data []byte, name string, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset-1) // Offset is just past the bad character
		return &Error{Source: name, Line: line, Column: col, Message: "JSON syntax error: " + strings.TrimPrefix(syn.Error(), "json: ") + syntaxHint(data, syn)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := position(data, int64(len(data)))
		return &Error{Source: name, Line: line, Column: col, Message: "the file ends before the profile does (a closing } or ] or \" is missing)"}
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		field := typ.Field
		if path, start, ok := locate(data, typ.Offset); ok {
			field = path
			line, col = position(data, start)
		}
		return &Error{Source: name, Line: line, Column: col, Field: field,
			Message: fmt.Sprintf("expected %s, found %s", describeType(typ.Type), describeJSON(typ.Value))}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		if u, ok := findUnknown(data, reflect.TypeOf(Profile{})); ok {
			line, col := position(data, u.offset)
			msg := fmt.Sprintf("unknown field %q", u.name)
			if len(u.known) > 0 {
				msg += "; the fields here are " + strings.Join(u.known, ", ")
			}
			return &Error{Source: name, Line: line, Column: col, Field: u.path, Message: msg}
		}
		return &Error{Source: name, Message: strings.TrimPrefix(err.Error(), "json: ")}
	}
	return &Error{Source: name, Message: strings.TrimPrefix(err.Error(), "json: ")}
}

// syntaxHint adds the usual causes of a syntax error in a hand-edited file.
func syntaxHint(data []byte, syn *json.SyntaxError) string {
	off := syn.Offset
	if off <= 0 || off > int64(len(data)) {
		return ""
	}
	before := bytes.TrimRight(data[:off-1], " \t\r\n")
	c := data[off-1]
	switch {
	case (c == '}' || c == ']') && len(before) > 0 && before[len(before)-1] == ',':
		return " (a comma before a closing bracket is not allowed in JSON)"
	case c == '/' || c == '#':
		return " (JSON has no comments; use the \"notes\" field)"
	case c == '\'':
		return " (JSON strings use double quotes)"
	case strings.Contains(syn.Error(), "after object key:value pair") || strings.Contains(syn.Error(), "after array element"):
		return " (a comma is missing before this)"
	}
	return ""
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text in double quotes"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Slice, reflect.Array:
		return "a list [ … ]"
	case reflect.Struct, reflect.Map:
		return "an object { … }"
	}
	return t.String()
}

func describeJSON(v string) string {
	switch {
	case v == "string":
		return "text"
	case v == "bool":
		return "true/false"
	case v == "array":
		return "a list"
	case v == "object":
		return "an object"
	case strings.HasPrefix(v, "number"):
		return "a number" + strings.TrimPrefix(v, "number")
	}
	return v
}

// position turns a byte offset into a 1-based line and column (in characters).
func position(data []byte, off int64) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

type unknownField struct {
	path   string
	name   string
	offset int64
	known  []string
}

// findUnknown walks the JSON against the Go type and returns the first object
// key that no field takes, with its path and where it starts.
func findUnknown(data []byte, t reflect.Type) (unknownField, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var found unknownField
	ok := false
	var walk func(t reflect.Type, path string) error
	walk = func(t reflect.Type, path string) error {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		d, isDelim := tok.(json.Delim)
		if !isDelim {
			return nil
		}
		switch {
		case d == '{' && t.Kind() == reflect.Struct:
			fields := jsonFields(t)
			for dec.More() {
				ktok, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := ktok.(string)
				ft, known := fieldType(fields, key)
				if !known {
					names := make([]string, 0, len(fields))
					for _, f := range fields {
						names = append(names, f.name)
					}
					found = unknownField{path: path, name: key, offset: keyStart(data, dec.InputOffset()), known: names}
					ok = true
					return io.EOF
				}
				if err := walk(ft, join(path, key)); err != nil {
					return err
				}
			}
		case d == '{' && t.Kind() == reflect.Map:
			for dec.More() {
				ktok, err := dec.Token()
				if err != nil {
					return err
				}
				if err := walk(t.Elem(), join(path, fmt.Sprint(ktok))); err != nil {
					return err
				}
			}
		case d == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
			for i := 0; dec.More(); i++ {
				if err := walk(t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		default: // a type mismatch, reported elsewhere: skip the value
			for depth := 1; depth > 0; {
				tok, err := dec.Token()
				if err != nil {
					return err
				}
				if d, ok := tok.(json.Delim); ok {
					if d == '{' || d == '[' {
						depth++
					} else {
						depth--
					}
				}
			}
			return nil
		}
		_, err = dec.Token() // the closing delimiter
		return err
	}
	_ = walk(t, "")
	return found, ok
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

type jsonField struct {
	name string
	typ  reflect.Type
}

func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, typ: f.Type})
	}
	return out
}

// fieldType matches a key the way encoding/json does: exactly, else without case.
func fieldType(fields []jsonField, key string) (reflect.Type, bool) {
	for _, f := range fields {
		if f.name == key {
			return f.typ, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f.typ, true
		}
	}
	return nil, false
}

// keyStart finds the opening quote of the object key that ends at off.
func keyStart(data []byte, off int64) int64 {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	i := off - 1
	for i >= 0 && data[i] != '"' {
		i--
	}
	for i--; i >= 0; i-- {
		if data[i] == '"' && (i == 0 || data[i-1] != '\\') {
			return i
		}
	}
	return 0
}

// locate finds the path of the value that ends at offset off (where
// encoding/json reports a type error), and where that value starts.
func locate(data []byte, off int64) (found string, start int64, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func(path string) error
	walk = func(path string) error {
		begin := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, isDelim := tok.(json.Delim); isDelim {
			if d == '{' {
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						return err
					}
					if err := walk(join(path, fmt.Sprint(k))); err != nil {
						return err
					}
				}
			} else {
				for i := 0; dec.More(); i++ {
					if err := walk(fmt.Sprintf("%s[%d]", path, i)); err != nil {
						return err
					}
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
		}
		if end := dec.InputOffset(); end == off || (begin < off && off <= end && !ok) {
			found, start, ok = pathOrRoot(path), valueStart(data, begin), true
			return io.EOF
		}
		return nil
	}
	_ = walk("")
	return found, start, ok
}

func pathOrRoot(p string) string {
	if p == "" {
		return "(the whole file)"
	}
	return p
}

// valueStart skips the separators encoding/json counts before a value.
func valueStart(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
			continue
		}
		break
	}
	return off
}

var keyRe = regexp.MustCompile(`^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$`)
