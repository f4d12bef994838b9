package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The Graph listener: every call is authenticated (signature, expiry, audience),
// resolved to a tenant by the token's tid, and checked against the permission the
// real API requires before its handler runs.

// Perm lists the permissions that allow a call: any one delegated scope (for a
// user token) or any one application role (for an app-only token). Mail marks an
// Exchange (Outlook) API, whose permission error differs from the directory's.
type Perm struct {
	Delegated   []string
	Application []string
	Mail        bool
}

// Req is one authenticated Graph request as a handler sees it.
type Req struct {
	W      http.ResponseWriter
	R      *http.Request
	S      *Server
	T      *Tenant
	Claims *AccessClaims
	User   *User // the signed-in user for delegated tokens; nil for app-only
}

// Handler serves an authenticated Graph request. It runs with Server.mu held.
type Handler func(q *Req)

// graphRoute registers pattern (a Go ServeMux pattern beginning with a method,
// e.g. "GET /v1.0/applications/{id}") on the Graph mux.
func (s *Server) graphRoute(pattern string, p Perm, h Handler) {
	s.graphMux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.serveGraph(w, r, p, h)
	})
}

func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request, p Perm, h Handler) {
	if w.Header().Get("request-id") == "" {
		w.Header().Set("request-id", uuid.NewString())
	}
	if cr := r.Header.Get("client-request-id"); cr != "" {
		w.Header().Set("client-request-id", cr)
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		writeGraphError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", msgTokenEmpty)
		return
	}
	claims, err := s.signer.verify(strings.TrimSpace(raw), time.Now())
	switch err {
	case nil:
	case errTokenExpired:
		writeGraphError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", msgTokenExpired)
		return
	case errTokenAudience:
		writeGraphError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", msgTokenInvalidAudience)
		return
	default:
		writeGraphError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", msgTokenValidation)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[claims.TenantID]
	if t == nil {
		writeGraphError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", msgTokenValidation)
		return
	}
	q := &Req{W: w, R: r, S: s, T: t, Claims: claims}
	if !claims.IsApp() {
		q.User = t.usersByID[claims.ObjectID]
		if q.User == nil {
			writeGraphError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", msgTokenValidation)
			return
		}
	}
	if len(claims.Scopes) == 0 && len(claims.Roles) == 0 {
		writeGraphError(w, r, http.StatusForbidden, "AccessDenied", msgNoScpOrRoles)
		return
	}
	// An app whose mail permission comes from an RBAC for Applications role
	// assignment has no mail role in its token; Exchange decides per mailbox
	// (mailboxOwner, rbac.go).
	if !q.allowed(p) && !(p.Mail && claims.IsApp() && s.rbacAssigned(t, claims.AppID, p.Application, time.Now())) {
		if p.Mail {
			writeGraphError(w, r, http.StatusForbidden, "ErrorAccessDenied", msgMailAccessDenied)
		} else {
			writeGraphError(w, r, http.StatusForbidden, "Authorization_RequestDenied", msgInsufficientPrivileges)
		}
		return
	}
	h(q)
}

func (q *Req) allowed(p Perm) bool {
	have, want := q.Claims.Scopes, p.Delegated
	if q.Claims.IsApp() {
		have, want = q.Claims.Roles, p.Application
	}
	for _, h := range have {
		for _, w := range want {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}

// HasScope reports whether a delegated token carries the scope.
func (q *Req) HasScope(v string) bool {
	for _, s := range q.Claims.Scopes {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// UserHasAnyRole reports whether the signed-in user holds one of the active roles.
func (q *Req) UserHasAnyRole(templates ...string) bool {
	if q.User == nil {
		return false
	}
	for _, t := range templates {
		if q.User.HasRole(t) {
			return true
		}
	}
	return false
}

// Error writes the Graph error envelope.
func (q *Req) Error(status int, code, message string, details ...GraphErrorDetail) {
	writeGraphError(q.W, q.R, status, code, message, details...)
}

// Denied writes 403 Authorization_RequestDenied (directory) for a signed-in
// user who lacks the directory role the operation needs.
func (q *Req) Denied() {
	q.Error(http.StatusForbidden, "Authorization_RequestDenied", msgInsufficientPrivileges)
}

// NotFound writes 404 Request_ResourceNotFound for a directory object.
func (q *Req) NotFound(id string) {
	q.Error(http.StatusNotFound, "Request_ResourceNotFound", msgResourceNotFound(id))
}

// BadRequest writes 400 Request_BadRequest.
func (q *Req) BadRequest(message string, details ...GraphErrorDetail) {
	q.Error(http.StatusBadRequest, "Request_BadRequest", message, details...)
}

// JSON writes a success body with Graph's content type.
func (q *Req) JSON(status int, body any) {
	q.W.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	q.W.WriteHeader(status)
	_ = json.NewEncoder(q.W).Encode(body)
}

// NoContent writes 204.
func (q *Req) NoContent() { q.W.WriteHeader(http.StatusNoContent) }

// Context is the @odata.context URL for a metadata fragment, e.g. "applications/$entity".
func (q *Req) Context(fragment string) string {
	return "https://" + q.R.Host + "/v1.0/$metadata#" + fragment
}

// Key parses a path key: a plain id, or an alternate key such as (appId='…').
// It returns the property name ("id" for a plain key) and the value.
func (q *Req) Key(name string) (prop, value string) {
	return parseKey(q.R.PathValue(name))
}

var altKeyRe = regexp.MustCompile(`^\((\w+)='((?:[^']|'')*)'\)$`)

func parseKey(seg string) (prop, value string) {
	if m := altKeyRe.FindStringSubmatch(seg); m != nil {
		return m[1], strings.ReplaceAll(m[2], "''", "'")
	}
	return "id", seg
}

// Body decodes a JSON object body, rejecting properties not in allowed (matched
// case-insensitively, as Graph matches action parameters: msgraph-sdk-go sends
// some in PascalCase). "@odata.type" is always allowed. entityType names the type
// in the error, e.g. "microsoft.graph.application". The returned map is keyed by
// the allowed spelling.
func (q *Req) Body(entityType string, allowed ...string) (map[string]json.RawMessage, bool) {
	raw := map[string]json.RawMessage{}
	data, err := io.ReadAll(q.R.Body)
	if err == nil && len(bytes.TrimSpace(data)) > 0 {
		err = json.Unmarshal(data, &raw)
	}
	if err != nil {
		q.Error(http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
		return nil, false
	}
	out := map[string]json.RawMessage{}
	for k, v := range raw {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		found := ""
		for _, a := range allowed {
			if strings.EqualFold(a, k) {
				found = a
				break
			}
		}
		if found == "" {
			if strings.HasPrefix(entityType, "microsoft.graph.") && isOutlookType(entityType) {
				q.Error(http.StatusBadRequest, "RequestBodyRead", fmt.Sprintf("The property '%s' does not exist on type '%s'. Make sure to only use property names that are defined by the type or mark the type as open type.", k, outlookTypeName(entityType)))
			} else {
				q.BadRequest(fmt.Sprintf("Property '%s' does not exist as a declared property or extension property.", k))
			}
			return nil, false
		}
		out[found] = v
	}
	return out, true
}

func isOutlookType(t string) bool {
	switch t {
	case "microsoft.graph.message", "microsoft.graph.event", "microsoft.graph.mailFolder", "microsoft.graph.sendMail":
		return true
	}
	return false
}

func outlookTypeName(t string) string {
	name := strings.TrimPrefix(t, "microsoft.graph.")
	return "Microsoft.OutlookServices." + strings.ToUpper(name[:1]) + name[1:]
}

// --- OData query options ---------------------------------------------------

// Select applies $select to a rendered object: it keeps the listed properties
// (and @odata annotations) when $select is present.
func (q *Req) Select(obj map[string]any) map[string]any {
	sel := q.R.URL.Query().Get("$select")
	if sel == "" {
		return obj
	}
	keep := map[string]bool{}
	for _, f := range strings.Split(sel, ",") {
		keep[strings.ToLower(strings.TrimSpace(f))] = true
	}
	out := map[string]any{}
	for k, v := range obj {
		if keep[strings.ToLower(k)] || strings.HasPrefix(k, "@odata") {
			out[k] = v
		}
	}
	return out
}

// SelectFragment is the "(a,b)" part Graph puts in @odata.context under $select.
func (q *Req) SelectFragment() string {
	if sel := q.R.URL.Query().Get("$select"); sel != "" {
		return "(" + sel + ")"
	}
	return ""
}

// Filter parses $filter; nil means no filter. A parse error has already been answered.
func (q *Req) Filter() (expr *FilterExpr, ok bool) {
	f := q.R.URL.Query().Get("$filter")
	if f == "" {
		return nil, true
	}
	e, err := ParseFilter(f)
	if err != nil {
		q.Error(http.StatusBadRequest, "Request_UnsupportedQuery", "Invalid filter clause: "+err.Error())
		return nil, false
	}
	return e, true
}

// Page writes a collection page: $top (default def, at most max) and an opaque
// $skiptoken in @odata.nextLink when more remain. items are already filtered,
// ordered and selected.
func (q *Req) Page(contextFragment string, items []map[string]any, def, max int) {
	qs := q.R.URL.Query()
	top := def
	if t := qs.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > max {
			q.Error(http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", t, max))
			return
		}
		top = n
	}
	skip := 0
	if tok := qs.Get("$skiptoken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "RFNwdAIAAQAAAB"))
		if err != nil || n < 0 {
			q.Error(http.StatusBadRequest, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
			return
		}
		skip = n
	}
	end := min(skip+top, len(items))
	if skip > len(items) {
		skip = len(items)
	}
	body := map[string]any{"@odata.context": q.Context(contextFragment), "value": items[skip:end]}
	if qs.Get("$count") == "true" {
		body["@odata.count"] = len(items)
	}
	if end < len(items) {
		next := *q.R.URL
		nq := next.Query()
		nq.Set("$skiptoken", "RFNwdAIAAQAAAB"+strconv.Itoa(end))
		nq.Set("$top", strconv.Itoa(top))
		next.RawQuery = nq.Encode()
		body["@odata.nextLink"] = "https://" + q.R.Host + next.RequestURI()
	}
	q.JSON(http.StatusOK, body)
}

// --- path normalisation and $batch ------------------------------------------

// segmentKeyRe splits "applications(appId='x')" into "applications" + "(appId='x')"
// so ServeMux patterns can take the key as their own segment.
var segmentKeyRe = regexp.MustCompile(`^([A-Za-z.]+)(\(.*\))$`)

func normalisePath(p string) string {
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs)+2)
	for _, s := range segs {
		if m := segmentKeyRe.FindStringSubmatch(s); m != nil {
			out = append(out, m[1], m[2])
			continue
		}
		out = append(out, s)
	}
	return strings.Join(out, "/")
}

// graphEntry rewrites alternate-key segments and hands the request to the mux.
func (s *Server) graphEntry(w http.ResponseWriter, r *http.Request) {
	r2 := r.Clone(r.Context())
	r2.URL.Path = normalisePath(r.URL.Path)
	r2.URL.RawPath = ""
	if r2.Method == http.MethodPost && r2.URL.Path == "/v1.0/$batch" {
		s.serveBatch(w, r2)
		return
	}
	s.graphMux.ServeHTTP(w, r2)
}

type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

// serveBatch implements JSON batching: up to 20 requests, each routed as if it
// came on the wire with the batch's Authorization, answered in one body.
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Requests []batchRequest `json:"requests"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "Invalid batch payload format.")
		return
	}
	if len(in.Requests) == 0 || len(in.Requests) > 20 {
		writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "Invalid batch payload format.")
		return
	}
	seen := map[string]bool{}
	for _, br := range in.Requests {
		if br.ID == "" || seen[br.ID] {
			writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "Batch request ids must be unique and not empty.")
			return
		}
		seen[br.ID] = true
	}
	status := map[string]int{}
	var responses []map[string]any
	for _, br := range in.Requests {
		failedDep := false
		for _, d := range br.DependsOn {
			if st, ok := status[d]; !ok || st >= 400 {
				failedDep = true
			}
		}
		if failedDep {
			status[br.ID] = http.StatusFailedDependency
			responses = append(responses, map[string]any{"id": br.ID, "status": http.StatusFailedDependency,
				"body": map[string]any{"error": map[string]any{"code": "FailedDependency", "message": "Dependency failed."}}})
			continue
		}
		rel := br.URL
		if !strings.HasPrefix(rel, "/") {
			rel = "/" + rel
		}
		u, err := url.Parse("/v1.0" + rel)
		if err != nil {
			status[br.ID] = http.StatusBadRequest
			responses = append(responses, map[string]any{"id": br.ID, "status": 400})
			continue
		}
		var body io.Reader = http.NoBody
		if len(br.Body) > 0 && string(br.Body) != "null" {
			body = bytes.NewReader(br.Body)
		}
		sub, _ := http.NewRequestWithContext(r.Context(), strings.ToUpper(br.Method), u.String(), body)
		sub.Host = r.Host
		sub.Header.Set("Authorization", r.Header.Get("Authorization"))
		for k, v := range br.Headers {
			sub.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		start := time.Now()
		sub.URL.Path = normalisePath(u.Path)
		s.graphMux.ServeHTTP(rec, sub)
		s.log.add(LogEntry{Time: start, Host: HostGraph, Method: sub.Method, Path: u.Path, Query: u.RawQuery,
			Status: rec.Code, Duration: time.Since(start), Batched: true})
		status[br.ID] = rec.Code
		resp := map[string]any{"id": br.ID, "status": rec.Code}
		hdrs := map[string]string{}
		for k := range rec.Header() {
			hdrs[k] = rec.Header().Get(k)
		}
		resp["headers"] = hdrs
		if b := rec.Body.Bytes(); len(bytes.TrimSpace(b)) > 0 {
			resp["body"] = json.RawMessage(bytes.TrimSpace(b))
		}
		responses = append(responses, resp)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"responses": responses})
}

// --- rendering helpers --------------------------------------------------------

// graphTime formats a timestamp as Graph does (RFC 3339, UTC, Z).
func graphTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// strOrNil renders "" as JSON null, as Graph does for unset strings.
func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nonNil renders a nil slice as [] (Graph never sends null collections).
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// sortedKeys returns map keys in order, for stable listings.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
