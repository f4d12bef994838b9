package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Microsoft 365 usage reports (reportroot-getoffice365activeuserdetail.md,
// reportroot-getemailactivityuserdetail.md): the function answers 302 Found with
// a preauthenticated, short-lived download URL in Location; that URL answers the
// CSV (application/octet-stream, UTF-8 with a byte order mark, as real reports
// are: microsoft-graph-docs#7522) and needs no Authorization header.
// kiota's redirect handler follows the 302 (and drops Authorization when the
// host changes), so msgraph-sdk-go's Get returns the CSV bytes.
//
// Usage data lags: the report refresh date is two days back and activity newer
// than it does not show (seed 000: "up to 36 hours", shown "delayed by five days").

// Delegated callers also need one of these directory roles (reportroot-authorization.md:
// Company Administrator, Exchange/SharePoint/Lync/Teams Service/Teams
// Communications Administrator, Global Reader, Usage Summary Reports Reader, Reports Reader).
var reportReaderRoles = []string{
	RoleGlobalAdministrator, RoleExchangeAdministrator,
	"f28a1f50-f6e7-4571-818b-6a12f2af6b6c", // SharePoint Administrator
	"75941009-915a-4869-abe7-691bff18279e", // Skype for Business (Lync) Administrator
	"69091246-20e8-4a56-aa4d-066075b2a7a8", // Teams Administrator
	"baf37b3a-610e-45da-9e62-d9d1e5e8914b", // Teams Communications Administrator
	"f2ef992c-3afb-46b9-b7cf-a126ee74c451", // Global Reader
	"75934031-6c7e-415a-99d7-48dbd49e875e", // Usage Summary Reports Reader
	"4a5d8f65-41da-4de4-8968-e035b65339cf", // Reports Reader
}

// reportLifetime is how long a download URL stays valid ("a few minutes").
const reportLifetime = 5 * time.Minute

type reportDownload struct {
	srv     *Server
	csv     []byte
	expires time.Time
}

// reportDownloads holds the CSVs behind issued download URLs, across servers
// (each entry remembers its server).
var reportDownloads sync.Map // token → *reportDownload

var reportArgsRe = regexp.MustCompile(`^\((period|date)=('?)([^')]*)('?)\)$`)

type reportFunc func(t *Tenant, refresh time.Time, days int) [][]string

var reportFuncs = map[string]reportFunc{
	"getoffice365activeuserdetail": office365ActiveUserDetail,
	"getemailactivityuserdetail":   emailActivityUserDetail,
}

func (s *Server) getReport(q *Req) {
	fn, args := q.R.PathValue("fn"), q.R.PathValue("args")
	if args == "" {
		if i := strings.Index(fn, "("); i >= 0 {
			fn, args = fn[:i], fn[i:]
		}
	}
	gen := reportFuncs[strings.ToLower(fn)]
	m := reportArgsRe.FindStringSubmatch(args)
	if gen == nil || m == nil {
		seg := fn + args
		q.Error(http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+seg+"'.")
		return
	}
	if q.User != nil && !q.UserHasAnyRole(reportReaderRoles...) {
		q.Denied()
		return
	}
	refresh := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -2)
	days := 0
	switch m[1] {
	case "period":
		n, err := strconv.Atoi(strings.TrimPrefix(m[3], "D"))
		if m[2] != "'" || m[4] != "'" || !strings.HasPrefix(m[3], "D") || err != nil || (n != 7 && n != 30 && n != 90 && n != 180) {
			q.Error(http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("Invalid period value specified: %s.", m[3]))
			return
		}
		days = n
	case "date":
		d, err := time.Parse("2006-01-02", m[3])
		if err != nil || m[2] != "" || d.After(time.Now().UTC()) || d.Before(time.Now().UTC().AddDate(0, 0, -28)) {
			q.Error(http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("Invalid date value specified: %s. Only support data for the past 28 days.", m[3]))
			return
		}
		refresh, days = d, 1
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(gen(q.T, refresh, days))
	tok := make([]byte, 21)
	_, _ = rand.Read(tok)
	token := base64.RawURLEncoding.EncodeToString(tok)
	now := time.Now()
	reportDownloads.Range(func(k, v any) bool {
		if now.After(v.(*reportDownload).expires) {
			reportDownloads.Delete(k)
		}
		return true
	})
	reportDownloads.Store(token, &reportDownload{srv: s, csv: buf.Bytes(), expires: now.Add(reportLifetime)})
	q.W.Header().Set("Location", "https://"+q.R.Host+"/data/download/"+token)
	q.W.Header().Set("Content-Type", "text/plain")
	q.W.WriteHeader(http.StatusFound)
}

// downloadReport serves a preauthenticated report URL (no bearer token).
func (s *Server) downloadReport(w http.ResponseWriter, r *http.Request) {
	v, ok := reportDownloads.Load(r.PathValue("token"))
	if !ok || v.(*reportDownload).srv != s || time.Now().After(v.(*reportDownload).expires) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(v.(*reportDownload).csv)
}

func reportCSVBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func reportCSVDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

// reportLicensed users are the ones with a user mailbox (the sandbox's E3 licence).
func reportLicensed(u *User) bool { return u.Mailbox == MailboxUser }

// reportLastSent is the user's latest sendMail up to the refresh date.
func reportLastSent(t *Tenant, refresh time.Time) map[string]time.Time {
	last := map[string]time.Time{}
	for _, m := range t.SentMail {
		if m.SentDateTime.After(refresh.Add(24 * time.Hour)) {
			continue
		}
		if m.SentDateTime.After(last[strings.ToLower(m.From)]) {
			last[strings.ToLower(m.From)] = m.SentDateTime
		}
	}
	return last
}

func office365ActiveUserDetail(t *Tenant, refresh time.Time, _ int) [][]string {
	rows := [][]string{{"Report Refresh Date", "User Principal Name", "Display Name", "Is Deleted", "Deleted Date",
		"Has Exchange License", "Has OneDrive License", "Has SharePoint License", "Has Skype For Business License",
		"Has Yammer License", "Has Teams License", "Exchange Last Activity Date", "OneDrive Last Activity Date",
		"SharePoint Last Activity Date", "Skype For Business Last Activity Date", "Yammer Last Activity Date",
		"Teams Last Activity Date", "Exchange License Assign Date", "OneDrive License Assign Date",
		"SharePoint License Assign Date", "Skype For Business License Assign Date", "Yammer License Assign Date",
		"Teams License Assign Date", "Assigned Products"}}
	last := reportLastSent(t, refresh)
	for _, u := range t.Users {
		if !reportLicensed(u) {
			continue
		}
		assigned := reportCSVDate(u.created)
		rows = append(rows, []string{reportCSVDate(refresh), u.UserPrincipalName, u.DisplayName, "False", "",
			"True", "True", "True", "False", "True", "True", reportCSVDate(last[strings.ToLower(u.Mail)]), "", "", "", "", "",
			assigned, assigned, assigned, "", assigned, assigned, "OFFICE 365 E3"})
	}
	return rows
}

func emailActivityUserDetail(t *Tenant, refresh time.Time, days int) [][]string {
	rows := [][]string{{"Report Refresh Date", "User Principal Name", "Display Name", "Is Deleted", "Deleted Date",
		"Last Activity Date", "Send Count", "Receive Count", "Read Count", "Meeting Created Count",
		"Meeting Interacted Count", "Assigned Products", "Report Period"}}
	from, to := refresh.AddDate(0, 0, -days+1), refresh.Add(24*time.Hour)
	in := func(ts time.Time) bool { return !ts.Before(from) && ts.Before(to) }
	sent := map[string]int{}
	for _, m := range t.SentMail {
		if in(m.SentDateTime) {
			sent[strings.ToLower(m.From)]++
		}
	}
	last := reportLastSent(t, refresh)
	for _, u := range t.Users {
		if !reportLicensed(u) {
			continue
		}
		received, read, meetings := 0, 0, 0
		if mb := t.Mailboxes[u.ID]; mb != nil {
			for _, m := range mb.Messages {
				if m.Folder == "inbox" && in(m.ReceivedDateTime) {
					received++
					if m.IsRead {
						read++
					}
				}
			}
			for _, e := range mb.Events {
				if in(e.Created) && strings.EqualFold(e.Organizer, u.Mail) {
					meetings++
				}
			}
		}
		rows = append(rows, []string{reportCSVDate(refresh), u.UserPrincipalName, u.DisplayName, "False", "",
			reportCSVDate(last[strings.ToLower(u.Mail)]), strconv.Itoa(sent[strings.ToLower(u.Mail)]), strconv.Itoa(received),
			strconv.Itoa(read), strconv.Itoa(meetings), "0", "OFFICE 365 E3", strconv.Itoa(days)})
	}
	return rows
}
