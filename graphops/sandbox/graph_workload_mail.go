package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // event time zones must resolve on every OS the sandbox runs on
)

// Exchange Online through Graph: sendMail, mail folders, messages, the default
// calendar and its events (user-sendmail.md, user-list-mailfolders.md,
// mailfolder-get.md, user-list-messages.md, calendar-get.md, user-list-events.md,
// user-post-events.md). Every handler resolves the mailbox with mailboxOwner
// first, which applies Exchange's errors and the app-only mailbox scope.

// outlookWellKnownFolders are the top-level folders of a new Exchange Online mailbox,
// in the order Graph lists them (by display name).
var outlookWellKnownFolders = []struct{ name, display string }{
	{"archive", "Archive"},
	{"conversationhistory", "Conversation History"},
	{"deleteditems", "Deleted Items"},
	{"drafts", "Drafts"},
	{"inbox", "Inbox"},
	{"junkemail", "Junk Email"},
	{"outbox", "Outbox"},
	{"sentitems", "Sent Items"},
}

// outlookMessageProps are the properties of microsoft.graph.message a request body may
// carry (msgraph-sdk-go models/message.go, outlook_item.go, entity.go).
var outlookMessageProps = []string{"attachments", "bccRecipients", "body", "bodyPreview", "ccRecipients", "conversationId",
	"conversationIndex", "extensions", "flag", "from", "hasAttachments", "importance", "inferenceClassification",
	"internetMessageHeaders", "internetMessageId", "isDeliveryReceiptRequested", "isDraft", "isRead",
	"isReadReceiptRequested", "multiValueExtendedProperties", "parentFolderId", "receivedDateTime", "replyTo", "sender",
	"sentDateTime", "singleValueExtendedProperties", "subject", "toRecipients", "uniqueBody", "webLink",
	"categories", "changeKey", "createdDateTime", "lastModifiedDateTime", "id"}

// outlookEventProps are the properties of microsoft.graph.event (models/event.go).
var outlookEventProps = []string{"allowNewTimeProposals", "attachments", "attendees", "body", "bodyPreview", "calendar",
	"cancelledOccurrences", "end", "exceptionOccurrences", "extensions", "hasAttachments", "hideAttendees", "iCalUId",
	"importance", "instances", "isAllDay", "isCancelled", "isDraft", "isOnlineMeeting", "isOrganizer", "isReminderOn",
	"location", "locations", "multiValueExtendedProperties", "onlineMeeting", "onlineMeetingProvider",
	"onlineMeetingUrl", "organizer", "originalEndTimeZone", "originalStart", "originalStartTimeZone", "recurrence",
	"reminderMinutesBeforeStart", "responseRequested", "responseStatus", "sensitivity", "seriesMasterId", "showAs",
	"singleValueExtendedProperties", "start", "subject", "transactionId", "type", "webLink",
	"categories", "changeKey", "createdDateTime", "lastModifiedDateTime", "id"}

const (
	msgExchangeNoRecipients = "At least one recipient isn't valid., A message can't be sent because it contains no recipients."
	msgExchangeItemNotFound = "The specified object was not found in the store."
	outlookTimeZero         = "0001-01-01T00:00:00Z"
	outlookDateTime         = "2006-01-02T15:04:05.0000000"
	errorBodyInvalid        = "RequestBodyRead"
)

// --- helpers ------------------------------------------------------------------

func outlookFolderID(owner *User, name string) string {
	return "AAMkA" + deterministicGUID(owner.ID, "folder", name)[:23] + "AAA="
}

// outlookResolveFolder maps a {folder} segment (well-known name or id) to its well-known name.
func outlookResolveFolder(owner *User, seg string) (name, display string, ok bool) {
	for _, f := range outlookWellKnownFolders {
		if strings.EqualFold(seg, f.name) || seg == outlookFolderID(owner, f.name) {
			return f.name, f.display, true
		}
	}
	if strings.EqualFold(seg, "msgfolderroot") {
		return "msgfolderroot", "Top of Information Store", true
	}
	return "", "", false
}

// outlookOwnerRef is how Graph names the mailbox in @odata.context: users('<key>').
func (q *Req) outlookOwnerRef(owner *User) string {
	key := q.R.PathValue("user")
	if key == "" {
		key = owner.ID
	}
	return "users('" + key + "')"
}

// outlookEmailAddress renders a recipient, naming tenant users as Exchange resolves them.
func outlookEmailAddress(t *Tenant, addr string) map[string]any {
	name := addr
	if u := userBySMTPAddress(t, addr); u != nil {
		name = u.DisplayName
	}
	return map[string]any{"emailAddress": map[string]any{"name": name, "address": addr}}
}

func outlookRecipients(t *Tenant, addrs []string) []map[string]any {
	out := make([]map[string]any, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, outlookEmailAddress(t, a))
	}
	return out
}

// userBySMTPAddress finds the tenant user an SMTP address belongs to.
func userBySMTPAddress(t *Tenant, addr string) *User {
	if u := t.usersByUPN[strings.ToLower(addr)]; u != nil && (u.Mail == "" || strings.EqualFold(u.Mail, addr) || strings.EqualFold(u.UserPrincipalName, addr)) {
		return u
	}
	for _, u := range t.Users {
		if u.Mail != "" && strings.EqualFold(u.Mail, addr) {
			return u
		}
	}
	return nil
}

// onlyBasicMail reports a token whose only mail read permission is
// Mail.ReadBasic(.All): Exchange leaves out body and bodyPreview.
func (q *Req) onlyBasicMail() bool {
	have := q.Claims.Scopes
	if q.User == nil {
		have = q.Claims.Roles
	}
	return !wlHasAnyFold(have, []string{"Mail.Read", "Mail.ReadWrite"})
}

func outlookPreview(s string) string {
	s = strings.Join(strings.Fields(outlookStripTags(s)), " ")
	if r := []rune(s); len(r) > 255 {
		return string(r[:255])
	}
	return s
}

func outlookStripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (q *Req) renderOutlookMessage(owner *User, m *Message) map[string]any {
	t := q.T
	ctype := m.BodyContentType
	if ctype == "" {
		ctype = "text"
	}
	importance := m.Importance
	if importance == "" {
		importance = "normal"
	}
	conv := m.ConversationID
	if conv == "" {
		conv = "AAQkA" + deterministicGUID(m.Subject)[:23] + "="
	}
	from := outlookEmailAddress(t, m.From)
	out := map[string]any{
		"@odata.etag":                fmt.Sprintf("W/\"CQAAABYAAAA%s\"", deterministicGUID(m.ID)[:12]),
		"id":                         m.ID,
		"createdDateTime":            graphTime(m.ReceivedDateTime),
		"lastModifiedDateTime":       graphTime(m.ReceivedDateTime),
		"changeKey":                  "CQAAABYAAAA" + deterministicGUID(m.ID)[:12],
		"categories":                 []string{},
		"receivedDateTime":           graphTime(m.ReceivedDateTime),
		"sentDateTime":               graphTime(m.SentDateTime),
		"hasAttachments":             false,
		"internetMessageId":          "<" + deterministicGUID(m.Subject, m.SentDateTime.String(), m.From)[:18] + "@" + t.InitialDomain() + ">",
		"subject":                    m.Subject,
		"bodyPreview":                outlookPreview(m.BodyContent),
		"importance":                 importance,
		"parentFolderId":             outlookFolderID(owner, m.Folder),
		"conversationId":             conv,
		"isDeliveryReceiptRequested": false,
		"isReadReceiptRequested":     false,
		"isRead":                     m.IsRead,
		"isDraft":                    m.Folder == "drafts",
		"webLink":                    "https://outlook.office365.com/owa/?ItemID=" + m.ID + "&exvsurl=1&viewmodel=ReadMessageItem",
		"inferenceClassification":    "focused",
		"body":                       map[string]any{"contentType": ctype, "content": m.BodyContent},
		"sender":                     from,
		"from":                       from,
		"toRecipients":               outlookRecipients(t, m.ToRecipients),
		"ccRecipients":               outlookRecipients(t, m.CcRecipients),
		"bccRecipients":              outlookRecipients(t, m.BccRecipients),
		"replyTo":                    []any{},
		"flag":                       map[string]any{"flagStatus": "notFlagged"},
	}
	if q.onlyBasicMail() {
		delete(out, "body")
		delete(out, "bodyPreview")
	}
	return out
}

// --- sendMail -----------------------------------------------------------------

type outlookRecipientJSON struct {
	EmailAddress struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"emailAddress"`
}

type outlookMessageJSON struct {
	Subject string `json:"subject"`
	Body    *struct {
		ContentType string `json:"contentType"`
		Content     string `json:"content"`
	} `json:"body"`
	ToRecipients  []outlookRecipientJSON `json:"toRecipients"`
	CcRecipients  []outlookRecipientJSON `json:"ccRecipients"`
	BccRecipients []outlookRecipientJSON `json:"bccRecipients"`
	From          *outlookRecipientJSON  `json:"from"`
	Importance    string                 `json:"importance"`
}

func outlookAddresses(rs []outlookRecipientJSON) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		if a := strings.TrimSpace(r.EmailAddress.Address); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// outlookObject checks a nested Outlook object's property names the way
// Exchange does for the top level (RequestBodyRead), and decodes it.
func (q *Req) outlookObject(raw json.RawMessage, typ string, allowed []string, into any) bool {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		q.Error(http.StatusBadRequest, errorBodyInvalid, "Cannot convert the literal '"+strings.TrimSpace(string(raw))+"' to the expected type '"+typ+"'.")
		return false
	}
	for k := range keys {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		if !wlHasAnyFold([]string{k}, allowed) {
			q.Error(http.StatusBadRequest, errorBodyInvalid, fmt.Sprintf("The property '%s' does not exist on type '%s'. Make sure to only use property names that are defined by the type or mark the type as open type.", k, typ))
			return false
		}
	}
	// Property names are matched case-insensitively like the top level.
	norm := map[string]json.RawMessage{}
	for k, v := range keys {
		norm[strings.ToLower(k[:1])+k[1:]] = v
	}
	b, _ := json.Marshal(norm)
	if err := json.Unmarshal(b, into); err != nil {
		q.Error(http.StatusBadRequest, errorBodyInvalid, "Cannot read the request body: "+err.Error())
		return false
	}
	return true
}

func (s *Server) sendMail(q *Req) {
	body, ok := q.Body("microsoft.graph.sendMail", "message", "saveToSentItems")
	if !ok {
		return
	}
	owner, mb := q.mailboxOwner(permMailSend)
	if owner == nil {
		return
	}
	raw, has := body["message"]
	if !has || string(raw) == "null" {
		q.Error(http.StatusBadRequest, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.")
		return
	}
	var m outlookMessageJSON
	if !q.outlookObject(raw, "Microsoft.OutlookServices.Message", outlookMessageProps, &m) {
		return
	}
	save := true
	if v, has := body["saveToSentItems"]; has {
		// The docs' own example sends the string "false"; the SDK sends a boolean.
		var b bool
		var str string
		switch {
		case json.Unmarshal(v, &b) == nil:
			save = b
		case json.Unmarshal(v, &str) == nil && strings.EqualFold(str, "false"):
			save = false
		}
	}
	to, cc, bcc := outlookAddresses(m.ToRecipients), outlookAddresses(m.CcRecipients), outlookAddresses(m.BccRecipients)
	if len(to)+len(cc)+len(bcc) == 0 {
		q.Error(http.StatusBadRequest, "ErrorInvalidRecipients", msgExchangeNoRecipients)
		return
	}
	if m.From != nil && m.From.EmailAddress.Address != "" && userBySMTPAddress(q.T, m.From.EmailAddress.Address) != owner {
		q.Error(http.StatusForbidden, "ErrorSendAsDenied", msgExchangeSendAsDenied)
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	sent := &Message{Subject: m.Subject, From: owner.Mail, ToRecipients: to, CcRecipients: cc, BccRecipients: bcc,
		SentDateTime: now, ReceivedDateTime: now, IsRead: true, Folder: "sentitems", Importance: strings.ToLower(m.Importance),
		BodyContentType: "text"}
	if m.Body != nil {
		sent.BodyContentType, sent.BodyContent = strings.ToLower(m.Body.ContentType), m.Body.Content
		if sent.BodyContentType == "" {
			sent.BodyContentType = "text"
		}
	}
	sent.ConversationID = "AAQkA" + deterministicGUID(owner.ID, m.Subject, now.String())[:23] + "="
	sent.ID = mb.newItemID(owner)
	q.T.SentMail = append(q.T.SentMail, sent)
	if save {
		mb.Messages = append(mb.Messages, sent)
	}
	delivered := map[string]bool{}
	for _, addr := range append(append(append([]string{}, to...), cc...), bcc...) {
		r := userBySMTPAddress(q.T, addr)
		if r == nil || r.Mailbox == MailboxNone || delivered[r.ID] {
			continue
		}
		delivered[r.ID] = true
		rmb := q.T.Mailboxes[r.ID]
		if rmb == nil {
			rmb = &Mailbox{}
			q.T.Mailboxes[r.ID] = rmb
		}
		in := *sent
		in.ID, in.Folder, in.IsRead = rmb.newItemID(r), "inbox", false
		in.BccRecipients = nil // recipients never see Bcc
		rmb.Messages = append(rmb.Messages, &in)
	}
	q.W.WriteHeader(http.StatusAccepted)
}

// --- folders and messages -----------------------------------------------------

func (q *Req) renderOutlookFolder(owner *User, mb *Mailbox, name, display string) map[string]any {
	total, unread := 0, 0
	for _, m := range mb.Messages {
		if m.Folder == name {
			total++
			if !m.IsRead {
				unread++
			}
		}
	}
	return map[string]any{
		"id":               outlookFolderID(owner, name),
		"displayName":      display,
		"parentFolderId":   outlookFolderID(owner, "msgfolderroot"),
		"childFolderCount": 0,
		"unreadItemCount":  unread,
		"totalItemCount":   total,
		"isHidden":         false,
	}
}

func (s *Server) listMailFolders(q *Req) {
	owner, mb := q.mailboxOwner(permMailFolder)
	if owner == nil {
		return
	}
	top, skip, ok := q.outlookPage()
	if !ok {
		return
	}
	q.writeOutlookPage(q.outlookOwnerRef(owner)+"/mailFolders"+q.SelectFragment(), len(outlookWellKnownFolders), top, skip, func(i int) map[string]any {
		return q.renderOutlookFolder(owner, mb, outlookWellKnownFolders[i].name, outlookWellKnownFolders[i].display)
	})
}

func (s *Server) getMailFolder(q *Req) {
	owner, mb := q.mailboxOwner(permMailFolder)
	if owner == nil {
		return
	}
	name, display, ok := outlookResolveFolder(owner, q.R.PathValue("folder"))
	if !ok {
		q.Error(http.StatusNotFound, "ErrorItemNotFound", msgExchangeItemNotFound)
		return
	}
	out := q.Select(q.renderOutlookFolder(owner, mb, name, display))
	out["@odata.context"] = q.Context(q.outlookOwnerRef(owner) + "/mailFolders" + q.SelectFragment() + "/$entity")
	q.JSON(http.StatusOK, out)
}

func (s *Server) listMessages(q *Req) {
	owner, mb := q.mailboxOwner(permMailRead)
	if owner == nil {
		return
	}
	ctx := q.outlookOwnerRef(owner)
	folder := ""
	if seg := q.R.PathValue("folder"); seg != "" {
		name, _, ok := outlookResolveFolder(owner, seg)
		if !ok {
			q.Error(http.StatusNotFound, "ErrorItemNotFound", msgExchangeItemNotFound)
			return
		}
		folder = name
		ctx += "/mailFolders('" + seg + "')"
	}
	ctx += "/messages" + q.SelectFragment()
	top, skip, ok := q.outlookPage()
	if !ok {
		return
	}
	f, ok := q.Filter()
	if !ok {
		return
	}
	var list []*Message
	for _, m := range mb.Messages {
		if folder != "" && m.Folder != folder {
			continue
		}
		if f != nil && !f.Match(q.renderOutlookMessage(owner, m)) {
			continue
		}
		list = append(list, m)
	}
	// Exchange's default order is newest first; $orderby takes one date or subject.
	key, desc := "receiveddatetime", true
	if ob := strings.TrimSpace(q.R.URL.Query().Get("$orderby")); ob != "" {
		p, d, _ := strings.Cut(ob, " ")
		key, desc = strings.ToLower(p), strings.EqualFold(strings.TrimSpace(d), "desc")
		if key != "receiveddatetime" && key != "sentdatetime" && key != "subject" {
			q.Error(http.StatusBadRequest, "ErrorInvalidProperty", fmt.Sprintf("The property '%s' does not support sorting.", p))
			return
		}
	}
	less := func(a, b *Message) bool {
		switch key {
		case "subject":
			return strings.ToLower(a.Subject) < strings.ToLower(b.Subject)
		case "sentdatetime":
			return a.SentDateTime.Before(b.SentDateTime)
		}
		return a.ReceivedDateTime.Before(b.ReceivedDateTime)
	}
	sort.SliceStable(list, func(a, b int) bool {
		if desc {
			return less(list[b], list[a])
		}
		return less(list[a], list[b])
	})
	q.writeOutlookPage(ctx, len(list), top, skip, func(i int) map[string]any {
		return q.renderOutlookMessage(owner, list[i])
	})
}

func (s *Server) getMessage(q *Req) {
	owner, mb := q.mailboxOwner(permMailRead)
	if owner == nil {
		return
	}
	id := q.R.PathValue("message")
	for _, m := range mb.Messages {
		if m.ID == id {
			out := q.Select(q.renderOutlookMessage(owner, m))
			out["@odata.context"] = q.Context(q.outlookOwnerRef(owner) + "/messages" + q.SelectFragment() + "/$entity")
			q.JSON(http.StatusOK, out)
			return
		}
	}
	q.Error(http.StatusNotFound, "ErrorItemNotFound", msgExchangeItemNotFound)
}

// --- calendar -----------------------------------------------------------------

func (s *Server) getCalendar(q *Req) {
	owner, _ := q.mailboxOwner(permCalendarRead)
	if owner == nil {
		return
	}
	out := q.Select(map[string]any{
		"id":                            "AAMkA" + deterministicGUID(owner.ID, "calendar")[:23] + "AAA=",
		"name":                          "Calendar",
		"color":                         "auto",
		"hexColor":                      "",
		"isDefaultCalendar":             true,
		"changeKey":                     deterministicGUID(owner.ID, "calendar-ck")[:16],
		"canShare":                      true,
		"canViewPrivateItems":           true,
		"canEdit":                       true,
		"allowedOnlineMeetingProviders": []string{"teamsForBusiness"},
		"defaultOnlineMeetingProvider":  "teamsForBusiness",
		"isTallyingResponses":           true,
		"isRemovable":                   false,
		"owner":                         map[string]any{"name": owner.DisplayName, "address": owner.Mail},
	})
	out["@odata.context"] = q.Context(q.outlookOwnerRef(owner) + "/calendar" + q.SelectFragment() + "/$entity")
	q.JSON(http.StatusOK, out)
}

// outlookWindowsZones maps the Windows time zone names Outlook uses to IANA zones.
var outlookWindowsZones = map[string]string{
	"utc": "UTC", "gmt standard time": "Europe/London", "w. europe standard time": "Europe/Berlin",
	"romance standard time": "Europe/Paris", "central europe standard time": "Europe/Budapest",
	"eastern standard time": "America/New_York", "central standard time": "America/Chicago",
	"mountain standard time": "America/Denver", "pacific standard time": "America/Los_Angeles",
	"aus eastern standard time": "Australia/Sydney", "tokyo standard time": "Asia/Tokyo",
	"india standard time": "Asia/Kolkata", "new zealand standard time": "Pacific/Auckland",
}

func outlookZone(name string) (*time.Location, bool) {
	if name == "" {
		return time.UTC, true
	}
	if iana, ok := outlookWindowsZones[strings.ToLower(name)]; ok {
		name = iana
	}
	loc, err := time.LoadLocation(name)
	return loc, err == nil
}

// outlookPreferredZone is the zone of a `Prefer: outlook.timezone="…"` header (UTC by default).
func (q *Req) outlookPreferredZone() (string, *time.Location) {
	for _, p := range q.R.Header.Values("Prefer") {
		for _, part := range strings.Split(p, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && strings.EqualFold(k, "outlook.timezone") {
				v = strings.Trim(v, "\"")
				if loc, ok := outlookZone(v); ok {
					return v, loc
				}
			}
		}
	}
	return "UTC", time.UTC
}

func (q *Req) renderOutlookEvent(owner *User, e *Event) map[string]any {
	t := q.T
	zone, loc := q.outlookPreferredZone()
	ctype := e.BodyContentType
	if ctype == "" {
		ctype = "html"
	}
	attendees := make([]map[string]any, 0, len(e.Attendees))
	for _, a := range e.Attendees {
		at := outlookEmailAddress(t, a)
		at["type"] = "required"
		at["status"] = map[string]any{"response": "none", "time": outlookTimeZero}
		attendees = append(attendees, at)
	}
	isOrganizer := strings.EqualFold(e.Organizer, owner.Mail)
	response := "organizer"
	if !isOrganizer {
		response = "notResponded"
	}
	return map[string]any{
		"@odata.etag":                fmt.Sprintf("W/\"%s\"", deterministicGUID(e.ID, "etag")[:20]),
		"id":                         e.ID,
		"createdDateTime":            graphTime(e.Created),
		"lastModifiedDateTime":       graphTime(e.Created),
		"changeKey":                  deterministicGUID(e.ID, "etag")[:20],
		"categories":                 []string{},
		"transactionId":              nil,
		"originalStartTimeZone":      e.StartTimeZone,
		"originalEndTimeZone":        e.EndTimeZone,
		"iCalUId":                    "040000008200E00074C5B7101A82E00800000000" + strings.ToUpper(strings.ReplaceAll(deterministicGUID(e.ID, "ical"), "-", "")),
		"reminderMinutesBeforeStart": 15,
		"isReminderOn":               true,
		"hasAttachments":             false,
		"subject":                    e.Subject,
		"bodyPreview":                outlookPreview(e.BodyContent),
		"importance":                 "normal",
		"sensitivity":                "normal",
		"isAllDay":                   e.IsAllDay,
		"isCancelled":                false,
		"isOrganizer":                isOrganizer,
		"responseRequested":          true,
		"seriesMasterId":             nil,
		"showAs":                     "busy",
		"type":                       "singleInstance",
		"webLink":                    "https://outlook.office365.com/owa/?itemid=" + e.ID + "&exvsurl=1&path=/calendar/item",
		"onlineMeetingUrl":           nil,
		"isOnlineMeeting":            false,
		"onlineMeetingProvider":      "unknown",
		"allowNewTimeProposals":      true,
		"isDraft":                    false,
		"hideAttendees":              false,
		"responseStatus":             map[string]any{"response": response, "time": outlookTimeZero},
		"body":                       map[string]any{"contentType": ctype, "content": e.BodyContent},
		"start":                      map[string]any{"dateTime": e.Start.In(loc).Format(outlookDateTime), "timeZone": zone},
		"end":                        map[string]any{"dateTime": e.End.In(loc).Format(outlookDateTime), "timeZone": zone},
		"location": map[string]any{"displayName": e.Location, "locationType": "default",
			"uniqueIdType": "unknown", "address": map[string]any{}, "coordinates": map[string]any{}},
		"locations":     []any{},
		"recurrence":    nil,
		"attendees":     attendees,
		"organizer":     outlookEmailAddress(t, e.Organizer),
		"onlineMeeting": nil,
	}
}

func (s *Server) listEvents(q *Req) {
	owner, mb := q.mailboxOwner(permCalendarRead)
	if owner == nil {
		return
	}
	top, skip, ok := q.outlookPage()
	if !ok {
		return
	}
	f, ok := q.Filter()
	if !ok {
		return
	}
	var list []*Event
	for _, e := range mb.Events {
		if f == nil || f.Match(q.renderOutlookEvent(owner, e)) {
			list = append(list, e)
		}
	}
	sort.SliceStable(list, func(a, b int) bool { return list[a].Start.Before(list[b].Start) })
	ctx := q.outlookOwnerRef(owner) + "/events" + q.SelectFragment()
	if strings.Contains(q.R.URL.Path, "/calendar/events") {
		ctx = q.outlookOwnerRef(owner) + "/calendar/events" + q.SelectFragment()
	}
	q.writeOutlookPage(ctx, len(list), top, skip, func(i int) map[string]any { return q.renderOutlookEvent(owner, list[i]) })
}

type outlookDateTimeTimeZone struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

func (q *Req) parseOutlookTime(v *outlookDateTimeTimeZone) (time.Time, bool) {
	loc, ok := outlookZone(v.TimeZone)
	if !ok {
		q.Error(http.StatusBadRequest, "TimeZoneNotSupportedException", fmt.Sprintf("A valid TimeZone value must be specified. The following TimeZone value is not supported: '%s'.", v.TimeZone))
		return time.Time{}, false
	}
	for _, layout := range []string{"2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if ts, err := time.ParseInLocation(layout, strings.TrimSuffix(v.DateTime, "Z"), loc); err == nil {
			return ts.UTC(), true
		}
	}
	q.Error(http.StatusBadRequest, errorBodyInvalid, "Cannot convert the literal '"+v.DateTime+"' to the expected type 'Edm.String'.")
	return time.Time{}, false
}

func (s *Server) createEvent(q *Req) {
	body, ok := q.Body("microsoft.graph.event", outlookEventProps...)
	if !ok {
		return
	}
	owner, mb := q.mailboxOwner(permCalendarWrite)
	if owner == nil {
		return
	}
	raw, _ := json.Marshal(body)
	var in struct {
		Subject string `json:"subject"`
		Body    *struct {
			ContentType string `json:"contentType"`
			Content     string `json:"content"`
		} `json:"body"`
		Start    *outlookDateTimeTimeZone `json:"start"`
		End      *outlookDateTimeTimeZone `json:"end"`
		Location *struct {
			DisplayName string `json:"displayName"`
		} `json:"location"`
		Attendees []outlookRecipientJSON `json:"attendees"`
		IsAllDay  bool                   `json:"isAllDay"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		q.Error(http.StatusBadRequest, errorBodyInvalid, "Cannot read the request body: "+err.Error())
		return
	}
	if in.Start == nil || in.End == nil {
		q.Error(http.StatusBadRequest, "ErrorInvalidRequest", "Your request can't be completed. An event needs a start and an end.")
		return
	}
	start, ok := q.parseOutlookTime(in.Start)
	if !ok {
		return
	}
	end, ok := q.parseOutlookTime(in.End)
	if !ok {
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	e := &Event{ID: mb.newItemID(owner), Subject: in.Subject, Start: start, End: end, Organizer: owner.Mail,
		StartTimeZone: in.Start.TimeZone, EndTimeZone: in.End.TimeZone, IsAllDay: in.IsAllDay, Created: now,
		Attendees: outlookAddresses(in.Attendees), BodyContentType: "html"}
	if e.StartTimeZone == "" {
		e.StartTimeZone, e.EndTimeZone = "UTC", "UTC"
	}
	if in.Body != nil {
		e.BodyContentType, e.BodyContent = strings.ToLower(in.Body.ContentType), in.Body.Content
	}
	if in.Location != nil {
		e.Location = in.Location.DisplayName
	}
	mb.Events = append(mb.Events, e)
	// Attendees in the tenant get the meeting in their calendars.
	for _, a := range e.Attendees {
		r := userBySMTPAddress(q.T, a)
		if r == nil || r == owner || r.Mailbox == MailboxNone {
			continue
		}
		rmb := q.T.Mailboxes[r.ID]
		if rmb == nil {
			rmb = &Mailbox{}
			q.T.Mailboxes[r.ID] = rmb
		}
		cp := *e
		cp.ID = rmb.newItemID(r)
		rmb.Events = append(rmb.Events, &cp)
	}
	out := q.renderOutlookEvent(owner, e)
	out["@odata.context"] = q.Context(q.outlookOwnerRef(owner) + "/events/$entity")
	q.JSON(http.StatusCreated, out)
}
