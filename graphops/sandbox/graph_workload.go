package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The workload APIs the integration profiles call once the wizard has
// registered their app: users (directory reads at scale), Exchange mail and
// calendar, usage reports, groups, and the cheap read probes of "Test Settings".
// Permissions are the ones Microsoft Graph's API reference lists for each call
// (least privileged first); the handlers live in graph_workload_*.go.

// Permission sets, per API reference page.
var (
	permUsersRead = Perm{
		Delegated:   []string{"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"},
		Application: []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"},
	}
	// GET /users/{id}: User.Read reaches only the signed-in user (checked in the handler).
	permUserGet = Perm{
		Delegated:   append([]string{"User.Read", "User.ReadWrite"}, permUsersRead.Delegated...),
		Application: permUsersRead.Application,
	}
	permMailSend   = Perm{Delegated: []string{"Mail.Send"}, Application: []string{"Mail.Send"}, Mail: true}
	permMailFolder = Perm{
		Delegated:   []string{"Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite"},
		Application: []string{"Mail.ReadBasic.All", "Mail.Read", "Mail.ReadWrite"},
		Mail:        true,
	}
	permMailRead     = permMailFolder
	permCalendarRead = Perm{
		Delegated:   []string{"Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite"},
		Application: []string{"Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite"},
		Mail:        true,
	}
	permCalendarWrite = Perm{Delegated: []string{"Calendars.ReadWrite"}, Application: []string{"Calendars.ReadWrite"}, Mail: true}
	permReports       = Perm{Delegated: []string{"Reports.Read.All"}, Application: []string{"Reports.Read.All"}}
	permGroupsRead    = Perm{
		Delegated:   []string{"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Group.ReadWrite.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"},
		Application: []string{"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"},
	}
	permGroupCreate = Perm{
		Delegated:   []string{"Group.ReadWrite.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"},
		Application: []string{"Group.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All"},
	}
	permAuditLog = Perm{Delegated: []string{"AuditLog.Read.All"}, Application: []string{"AuditLog.Read.All"}}
	permSites    = Perm{
		Delegated:   []string{"Sites.Read.All", "Sites.ReadWrite.All", "Sites.Manage.All", "Sites.FullControl.All"},
		Application: []string{"Sites.Read.All", "Sites.ReadWrite.All", "Sites.Manage.All", "Sites.FullControl.All"},
	}
	// GET /sites/{siteId}/drive (drive-get.md): files or sites permissions.
	permSiteDrive = Perm{
		Delegated:   []string{"Files.Read", "Files.ReadWrite", "Files.Read.All", "Files.ReadWrite.All", "Sites.Read.All", "Sites.ReadWrite.All"},
		Application: []string{"Files.Read.All", "Files.ReadWrite.All", "Sites.Read.All", "Sites.ReadWrite.All"},
	}
)

// routeWorkload registers users, groups, mail, calendar and reports on s.graphMux.
func (s *Server) routeWorkload() {
	// Directory reads.
	s.graphRoute("GET /v1.0/users", permUsersRead, s.listUsers)
	s.graphRoute("GET /v1.0/users/{user}", permUserGet, s.getUser)
	s.graphRoute("GET /v1.0/groups", permGroupsRead, s.listGroups)
	s.graphRoute("POST /v1.0/groups", permGroupCreate, s.createGroup)
	s.graphRoute("GET /v1.0/groups/{id}", permGroupsRead, s.getGroup)
	s.graphRoute("GET /v1.0/groups/{id}/members", permGroupsRead, s.listGroupMembers)

	// Exchange: each under /users/{user}/… and /me/….
	for _, root := range []string{"/v1.0/users/{user}", "/v1.0/me"} {
		s.graphRoute("POST "+root+"/sendMail", permMailSend, s.sendMail)
		s.graphRoute("GET "+root+"/mailFolders", permMailFolder, s.listMailFolders)
		s.graphRoute("GET "+root+"/mailFolders/{folder}", permMailFolder, s.getMailFolder)
		s.graphRoute("GET "+root+"/mailFolders/{folder}/messages", permMailRead, s.listMessages)
		s.graphRoute("GET "+root+"/messages", permMailRead, s.listMessages)
		s.graphRoute("GET "+root+"/messages/{message}", permMailRead, s.getMessage)
		s.graphRoute("GET "+root+"/calendar", permCalendarRead, s.getCalendar)
		s.graphRoute("GET "+root+"/events", permCalendarRead, s.listEvents)
		s.graphRoute("GET "+root+"/calendar/events", permCalendarRead, s.listEvents)
		s.graphRoute("POST "+root+"/events", permCalendarWrite, s.createEvent)
		s.graphRoute("POST "+root+"/calendar/events", permCalendarWrite, s.createEvent)
	}

	// Usage reports. A function segment with digits (getOffice365…) reaches the
	// mux whole; one without (getEmailActivityUserDetail) is split from its
	// "(period='D7')" by normalisePath. Both shapes land here.
	s.graphRoute("GET /v1.0/reports/{fn}", permReports, s.getReport)
	s.graphRoute("GET /v1.0/reports/{fn}/{args}", permReports, s.getReport)
	// The preauthenticated download URL the reports redirect to: no bearer token.
	s.graphMux.HandleFunc("GET /data/download/{token}", s.downloadReport)

	// Read probes of other integration guides.
	s.graphRoute("GET /v1.0/auditLogs/directoryAudits", permAuditLog, s.listDirectoryAudits)
	s.graphRoute("GET /v1.0/sites/root", permSites, s.getRootSite)
	s.graphRoute("GET /v1.0/sites/root/drive", permSiteDrive, s.getRootSiteDrive)
}

// --- paging --------------------------------------------------------------

// wlSkipTokenPrefix makes directory $skiptoken values opaque, as graph.go's Page does.
const wlSkipTokenPrefix = "RFNwdAIAAQAAAB"

// wlDirPage reads $top (default def, at most max) and $skiptoken. ok is false
// when the request has been answered with an error.
func (q *Req) wlDirPage(def, max int) (top, skip int, ok bool) {
	qs := q.R.URL.Query()
	top = def
	if t := qs.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > max {
			q.Error(http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", t, max))
			return 0, 0, false
		}
		top = n
	}
	if tok := qs.Get("$skiptoken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, wlSkipTokenPrefix))
		if err != nil || n < 0 || !strings.HasPrefix(tok, wlSkipTokenPrefix) {
			q.Error(http.StatusBadRequest, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
			return 0, 0, false
		}
		skip = n
	}
	return top, skip, true
}

// wlWriteDirPage answers one page of a directory collection of total items,
// rendering only the items on the page. count adds @odata.count (Graph honours
// $count=true only in advanced queries; callers decide).
func (q *Req) wlWriteDirPage(contextFragment string, total, top, skip int, count bool, render func(i int) map[string]any) {
	skip = min(skip, total)
	end := min(skip+top, total)
	items := make([]map[string]any, 0, end-skip)
	for i := skip; i < end; i++ {
		items = append(items, render(i))
	}
	body := map[string]any{"@odata.context": q.Context(contextFragment)}
	if count {
		body["@odata.count"] = total
	}
	if end < total {
		next := *q.R.URL
		nq := next.Query()
		nq.Set("$skiptoken", wlSkipTokenPrefix+strconv.Itoa(end))
		next.RawQuery = odataEncode(nq)
		body["@odata.nextLink"] = "https://" + q.R.Host + next.RequestURI()
	}
	body["value"] = items
	q.JSON(http.StatusOK, body)
}

// odataEncode encodes a query the way Graph writes its nextLinks: system query
// options keep their literal "$" ($skiptoken=…, not %24skiptoken=…).
func odataEncode(v url.Values) string {
	var b strings.Builder
	for _, k := range sortedKeys(v) {
		for _, val := range v[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(strings.ReplaceAll(url.QueryEscape(k), "%24", "$"))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(val))
		}
	}
	return b.String()
}

// outlookPage reads Outlook's paging: $top (default 10, at most 1000) and $skip,
// which Exchange puts in @odata.nextLink.
func (q *Req) outlookPage() (top, skip int, ok bool) {
	qs := q.R.URL.Query()
	top = 10
	if t := qs.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			q.Error(http.StatusBadRequest, "ErrorInvalidProperty", fmt.Sprintf("The value '%s' of parameter '$top' is invalid.", t))
			return 0, 0, false
		}
		top = min(n, 1000)
	}
	if sk := qs.Get("$skip"); sk != "" {
		n, err := strconv.Atoi(sk)
		if err != nil || n < 0 {
			q.Error(http.StatusBadRequest, "ErrorInvalidProperty", fmt.Sprintf("The value '%s' of parameter '$skip' is invalid.", sk))
			return 0, 0, false
		}
		skip = n
	}
	return top, skip, true
}

// writeOutlookPage answers a page of an Exchange collection.
func (q *Req) writeOutlookPage(contextFragment string, total, top, skip int, render func(i int) map[string]any) {
	skip = min(skip, total)
	end := min(skip+top, total)
	items := make([]map[string]any, 0, end-skip)
	for i := skip; i < end; i++ {
		items = append(items, q.Select(render(i)))
	}
	body := map[string]any{"@odata.context": q.Context(contextFragment)}
	if end < total {
		next := *q.R.URL
		nq := next.Query()
		nq.Set("$skip", strconv.Itoa(end))
		next.RawQuery = odataEncode(nq)
		body["@odata.nextLink"] = "https://" + q.R.Host + next.RequestURI()
	}
	body["value"] = items
	q.JSON(http.StatusOK, body)
}

// wlEventual reports whether the request opted into Entra's advanced query
// capabilities (ConsistencyLevel: eventual).
func (q *Req) wlEventual() bool {
	return strings.EqualFold(strings.TrimSpace(q.R.Header.Get("ConsistencyLevel")), "eventual")
}

// wlCountRequested reports $count=true.
func (q *Req) wlCountRequested() bool {
	return strings.EqualFold(q.R.URL.Query().Get("$count"), "true")
}
