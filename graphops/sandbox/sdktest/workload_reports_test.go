package sdktest

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"

	"m365wizard/graphops/sandbox"
)

// QuickHelp and the SaaS connector read usage reports with Reports.Read.All:
// Graph answers 302 to a preauthenticated CSV download that kiota follows.
func TestReportsRedirectToCSV(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	c := appClient(t, s, addApp(t, s, "QuickHelp", "User.Read.All", "Reports.Read.All"))

	data, err := c.Reports().GetOffice365ActiveUserDetailWithPeriod(ptr("D7")).Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\ufeffReport Refresh Date,User Principal Name,Display Name,Is Deleted,")) {
		t.Fatalf("CSV starts %q", data[:min(len(data), 80)])
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows[0]) != 24 || rows[0][23] != "Assigned Products" {
		t.Fatalf("header %v", rows[0])
	}
	var upns []string
	for _, r := range rows[1:] {
		upns = append(upns, r[1])
	}
	// Licensed (user-mailbox) users only: not the shared or mailbox-less accounts.
	if strings.Join(upns, ",") != "admin@contoso.com,appadmin@contoso.com,pimadmin@contoso.com,user@contoso.com" {
		t.Fatalf("report users %v", upns)
	}
	if n := s.Log().Count(sandbox.HostGraph, "GET", "/data/download/"); n != 1 {
		t.Fatalf("%d download requests, want 1 (the followed redirect)", n)
	}

	email, err := c.Reports().GetEmailActivityUserDetailWithPeriod(ptr("D30")).Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(email, []byte("\ufeff")))).ReadAll()
	if err != nil || rows[0][6] != "Send Count" || rows[1][12] != "30" {
		t.Fatalf("email activity: %v %v", err, rows[:2])
	}

	_, err = c.Reports().GetOffice365ActiveUserDetailWithPeriod(ptr("D8")).Get(ctx, nil)
	wantODataError(t, err, 400, "InvalidArgument", "Invalid period value specified: D8.")

	// Without the role: the directory's refusal.
	noRole := appClient(t, s, addApp(t, s, "Sync", "User.Read.All"))
	_, err = noRole.Reports().GetEmailActivityUserDetailWithPeriod(ptr("D7")).Get(ctx, nil)
	wantODataError(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	// Delegated: the scope and a reports-reading admin role.
	if _, err := userClient(t, s, "admin@contoso.com", "Reports.Read.All").Reports().GetEmailActivityUserDetailWithPeriod(ptr("D7")).Get(ctx, nil); err != nil {
		t.Fatalf("Global Administrator: %v", err)
	}
	_, err = userClient(t, s, "user@contoso.com", "Reports.Read.All").Reports().GetEmailActivityUserDetailWithPeriod(ptr("D7")).Get(ctx, nil)
	wantODataError(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}

// The download URL is preauthenticated: no bearer token, and it expires.
func TestReportDownloadURLNeedsNoToken(t *testing.T) {
	s := start(t)
	appID := addApp(t, s, "QuickHelp", "Reports.Read.All")
	tok, err := s.IssueAppToken("", appID)
	if err != nil {
		t.Fatal(err)
	}
	hc := s.HTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	t.Cleanup(hc.CloseIdleConnections) // before s.Close, which waits for open connections
	req, _ := http.NewRequest("GET", s.GraphURL()+"/v1.0/reports/getEmailActivityUserDetail(period='D7')", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, s.GraphURL()+"/data/download/") {
		t.Fatalf("status %d Location %q", resp.StatusCode, loc)
	}
	resp, err = hc.Get(loc) // no Authorization header
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" || !bytes.Contains(body, []byte("Report Period")) {
		t.Fatalf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, err = hc.Get(s.GraphURL() + "/data/download/not-a-token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown download token: %d", resp.StatusCode)
	}
}
