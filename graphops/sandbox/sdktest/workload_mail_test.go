package sdktest

import (
	"context"
	"strings"
	"testing"
	"time"

	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	graphusers "github.com/microsoftgraph/msgraph-sdk-go/users"

	"m365wizard/graphops/sandbox"
)

func mailMessage(subject, body string, to ...string) *graphusers.ItemSendMailPostRequestBody {
	m := models.NewMessage()
	m.SetSubject(ptr(subject))
	b := models.NewItemBody()
	ct := models.TEXT_BODYTYPE
	b.SetContentType(&ct)
	b.SetContent(ptr(body))
	m.SetBody(b)
	var rs []models.Recipientable
	for _, a := range to {
		r := models.NewRecipient()
		ea := models.NewEmailAddress()
		ea.SetAddress(ptr(a))
		r.SetEmailAddress(ea)
		rs = append(rs, r)
	}
	m.SetToRecipients(rs)
	req := graphusers.NewItemSendMailPostRequestBody()
	req.SetMessage(m)
	return req
}

// inbox reads the newest messages of upn's Inbox, newest first.
func inbox(t *testing.T, c *msgraphsdk.GraphServiceClient, upn string) ([]models.Messageable, error) {
	t.Helper()
	res, err := c.Users().ByUserId(upn).MailFolders().ByMailFolderId("inbox").Messages().Get(context.Background(),
		&graphusers.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration{
			QueryParameters: &graphusers.ItemMailFoldersItemMessagesRequestBuilderGetQueryParameters{
				Top: ptr(int32(5)), Orderby: []string{"receivedDateTime desc"}, Select: []string{"subject", "from", "isRead", "body"}},
		})
	if err != nil {
		return nil, err
	}
	return res.GetValue(), nil
}

// HelpMaster's send path: Mail.Send as a shared mailbox; the recipient finds it
// in their Inbox, the sender in Sent Items unless saveToSentItems is false.
func TestSendMailLandsInRecipientInbox(t *testing.T) {
	s := start(t)
	c := appClient(t, s, addApp(t, s, "HelpMaster", "User.Read.All", "Mail.Send", "Mail.ReadWrite"))
	ctx := context.Background()

	if err := c.Users().ByUserId("helpdesk@contoso.com").SendMail().Post(ctx, mailMessage("Ticket #1042 received", "We are on it.", "user@contoso.com"), nil); err != nil {
		t.Fatal(err)
	}
	msgs, err := inbox(t, c, "user@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 2 || deref(msgs[0].GetSubject()) != "Ticket #1042 received" {
		t.Fatalf("recipient inbox newest = %v (of %d)", msgs[0].GetSubject(), len(msgs))
	}
	m := msgs[0]
	if got := deref(m.GetFrom().GetEmailAddress().GetAddress()); got != "helpdesk@contoso.com" {
		t.Fatalf("from = %q", got)
	}
	if deref(m.GetIsRead()) || deref(m.GetBody().GetContent()) != "We are on it." || m.GetSubject() == nil {
		t.Fatalf("isRead %v body %q", deref(m.GetIsRead()), deref(m.GetBody().GetContent()))
	}
	if m.GetToRecipients() != nil {
		t.Fatal("$select=subject,from,isRead,body returned toRecipients")
	}
	sent, err := c.Users().ByUserId("helpdesk@contoso.com").MailFolders().ByMailFolderId("sentitems").Messages().Get(ctx, nil)
	if err != nil || len(sent.GetValue()) != 1 || deref(sent.GetValue()[0].GetSubject()) != "Ticket #1042 received" {
		t.Fatalf("sender's Sent Items: %v %v", err, sent)
	}

	// saveToSentItems false: delivered, not kept. The SDK sends "SaveToSentItems".
	req := mailMessage("No copy", "x", "support@contoso.com")
	req.SetSaveToSentItems(ptr(false))
	if err := c.Users().ByUserId("helpdesk@contoso.com").SendMail().Post(ctx, req, nil); err != nil {
		t.Fatal(err)
	}
	folder, err := c.Users().ByUserId("helpdesk@contoso.com").MailFolders().ByMailFolderId("sentitems").Get(ctx, nil)
	if err != nil || deref(folder.GetTotalItemCount()) != 1 || deref(folder.GetDisplayName()) != "Sent Items" {
		t.Fatalf("Sent Items after saveToSentItems=false: %v total %v", err, folder.GetTotalItemCount())
	}
	if msgs, err := inbox(t, c, "support@contoso.com"); err != nil || deref(msgs[0].GetSubject()) != "No copy" {
		t.Fatalf("support inbox: %v", err)
	}
	var sentMail []string
	_ = s.Tenant("", func(tn *sandbox.Tenant) {
		for _, m := range tn.SentMail {
			sentMail = append(sentMail, m.From+": "+m.Subject)
		}
	})
	if strings.Join(sentMail, "|") != "helpdesk@contoso.com: Ticket #1042 received|helpdesk@contoso.com: No copy" {
		t.Fatalf("Tenant.SentMail = %v", sentMail)
	}

	// The folder list: the well-known folders of a new mailbox, Inbox counting the unread.
	folders, err := c.Users().ByUserId("user@contoso.com").MailFolders().Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range folders.GetValue() {
		names = append(names, deref(f.GetDisplayName()))
		if deref(f.GetDisplayName()) == "Inbox" && (deref(f.GetUnreadItemCount()) != 2 || deref(f.GetTotalItemCount()) != 2) {
			t.Fatalf("Inbox counts unread %v total %v", f.GetUnreadItemCount(), f.GetTotalItemCount())
		}
	}
	if !strings.Contains(strings.Join(names, ","), "Inbox,Junk Email,Outbox,Sent Items") {
		t.Fatalf("folders %v", names)
	}

	// No recipients, and sending as someone else.
	err = c.Users().ByUserId("helpdesk@contoso.com").SendMail().Post(ctx, mailMessage("nobody", "x"), nil)
	wantODataError(t, err, 400, "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be sent because it contains no recipients.")
	spoof := mailMessage("spoof", "x", "user@contoso.com")
	from := models.NewRecipient()
	ea := models.NewEmailAddress()
	ea.SetAddress(ptr("admin@contoso.com"))
	from.SetEmailAddress(ea)
	spoof.GetMessage().SetFrom(from)
	err = c.Users().ByUserId("helpdesk@contoso.com").SendMail().Post(ctx, spoof, nil)
	wantODataError(t, err, 403, "ErrorSendAsDenied", "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.")
}

func TestExchangeErrorsForMailboxes(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	c := appClient(t, s, addApp(t, s, "HelpMaster", "Mail.ReadWrite", "Mail.Send"))

	_, err := inbox(t, c, "noreply@contoso.com")
	wantODataError(t, err, 404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
	err = c.Users().ByUserId("noreply@contoso.com").SendMail().Post(ctx, mailMessage("x", "x", "user@contoso.com"), nil)
	wantODataError(t, err, 404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")

	_, err = inbox(t, c, "ghost@contoso.com")
	wantODataError(t, err, 404, "ErrorInvalidUser", "The requested user 'ghost@contoso.com' is invalid.")

	// An app holding only directory roles is refused by Exchange, not the directory.
	dirOnly := appClient(t, s, addApp(t, s, "Sync", "User.Read.All"))
	_, err = inbox(t, dirOnly, "user@contoso.com")
	wantODataError(t, err, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
	err = dirOnly.Users().ByUserId("helpdesk@contoso.com").SendMail().Post(ctx, mailMessage("x", "x", "user@contoso.com"), nil)
	wantODataError(t, err, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")

	// /me has no meaning for an app.
	_, err = c.Me().Messages().Get(ctx, nil)
	wantODataError(t, err, 400, "BadRequest", "/me request is only valid with delegated authentication flow.")

	// Mail.ReadBasic.All reads messages without their body.
	basic := appClient(t, s, addApp(t, s, "Basic", "Mail.ReadBasic.All"))
	res, err := basic.Users().ByUserId("user@contoso.com").Messages().Get(ctx, nil)
	if err != nil || len(res.GetValue()) != 1 || res.GetValue()[0].GetBody() != nil || deref(res.GetValue()[0].GetSubject()) != "Welcome to Contoso" {
		t.Fatalf("Mail.ReadBasic.All: %v", err)
	}
}

func TestDelegatedMailReachesOnlyOwnMailbox(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	c := userClient(t, s, "user@contoso.com", "Mail.Read", "Mail.Send")
	res, err := c.Me().MailFolders().ByMailFolderId("inbox").Messages().Get(ctx, nil)
	if err != nil || len(res.GetValue()) != 1 {
		t.Fatalf("own inbox: %v", err)
	}
	if err := c.Me().SendMail().Post(ctx, mailMessage("hi", "from me", "admin@contoso.com"), nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.Users().ByUserId("admin@contoso.com").Messages().Get(ctx, nil)
	wantODataError(t, err, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
	// Mail.Read does not send.
	reader := userClient(t, s, "user@contoso.com", "Mail.Read")
	err = reader.Me().SendMail().Post(ctx, mailMessage("x", "x", "admin@contoso.com"), nil)
	wantODataError(t, err, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
	admin := appClient(t, s, addApp(t, s, "Reader", "Mail.Read"))
	msgs, err := inbox(t, admin, "admin@contoso.com")
	if err != nil || deref(msgs[0].GetSubject()) != "hi" || deref(msgs[0].GetFrom().GetEmailAddress().GetName()) != "Diego Siciliani" {
		t.Fatalf("admin inbox after delegated send: %v", err)
	}
}

// Seed 002, step 5: an ApplicationAccessPolicy limits the app to the helpdesk
// mailbox. Exchange applies it only after a delay (modelled in hundreds of ms).
func TestMailboxScopeAllowsDeniesAndLags(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	appID := addApp(t, s, "HelpMaster", "User.Read.All", "Mail.Send", "Mail.ReadWrite")
	c := appClient(t, s, appID)
	const lag = 300 * time.Millisecond
	s.SetBehaviour(sandbox.Behaviour{MailboxScopeLag: lag})

	set := time.Now()
	if err := s.SetMailboxScope("", appID, []string{"helpdesk@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := inbox(t, c, "user@contoso.com"); err != nil && time.Since(set) < lag {
		t.Fatalf("scope applied before its lag: %v", err)
	}
	waited := eventually(t, 5*time.Second, "policy reaches Graph", func() bool {
		_, err := inbox(t, c, "user@contoso.com")
		return err != nil
	})
	if time.Since(set) < lag {
		t.Fatalf("denied after %v, before the %v lag", waited, lag)
	}
	_, err := inbox(t, c, "user@contoso.com")
	wantODataError(t, err, 403, "ErrorAccessDenied", "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.")
	err = c.Users().ByUserId("user@contoso.com").SendMail().Post(ctx, mailMessage("x", "x", "admin@contoso.com"), nil)
	wantODataError(t, err, 403, "ErrorAccessDenied", "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.")

	// Inside the scope: reads and sends.
	if _, err := inbox(t, c, "helpdesk@contoso.com"); err != nil {
		t.Fatalf("scoped mailbox: %v", err)
	}
	if err := c.Users().ByUserId("helpdesk@contoso.com").SendMail().Post(ctx, mailMessage("ok", "x", "user@contoso.com"), nil); err != nil {
		t.Fatalf("send from scoped mailbox: %v", err)
	}
	// The policy binds the app's application permissions only: directory reads
	// and delegated mail are untouched.
	if _, err := c.Users().ByUserId("user@contoso.com").Get(ctx, nil); err != nil {
		t.Fatalf("directory read under a mailbox scope: %v", err)
	}
	if _, err := inbox(t, userClient(t, s, "user@contoso.com", "Mail.Read"), "user@contoso.com"); err != nil {
		t.Fatalf("delegated read under an app scope: %v", err)
	}
	// Another app is not scoped.
	if _, err := inbox(t, appClient(t, s, addApp(t, s, "Other", "Mail.Read")), "user@contoso.com"); err != nil {
		t.Fatalf("unscoped app: %v", err)
	}

	// Removing the policy also takes the lag; until then it still denies.
	cleared := time.Now()
	if err := s.ClearMailboxScope("", appID); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "removal reaches Graph", func() bool {
		_, err := inbox(t, c, "user@contoso.com")
		return err == nil
	})
	if time.Since(cleared) < lag {
		t.Fatal("removal applied before its lag")
	}
	if err := s.SetMailboxScope("", appID, []string{"nobody@contoso.com"}); err == nil {
		t.Fatal("SetMailboxScope accepted an unknown user")
	}
}

// The policy as seed 002 builds it: scoped to a mail-enabled security group
// whose membership is read at each call.
func TestMailboxScopeByGroup(t *testing.T) {
	s := start(t)
	appID := addApp(t, s, "HelpMaster", "Mail.ReadWrite")
	c := appClient(t, s, appID)
	var helpdesk, user string
	_ = s.Tenant("", func(tn *sandbox.Tenant) {
		helpdesk = tn.UserByIDOrUPN("helpdesk@contoso.com").ID
		user = tn.UserByIDOrUPN("user@contoso.com").ID
		tn.Groups["5e1f0d0a-4ad8-4c52-9b31-2f3f6cbd2c11"] = &sandbox.Group{ID: "5e1f0d0a-4ad8-4c52-9b31-2f3f6cbd2c11",
			DisplayName: "HelpMaster mailboxes", Mail: "helpmasterapp@contoso.com", MailNickname: "helpmasterapp",
			MailEnabled: true, SecurityEnabled: true, Members: []string{helpdesk}, CreatedDateTime: time.Now()}
	})
	if err := s.SetMailboxScopeGroup("", appID, "user@contoso.com"); err == nil {
		t.Fatal("SetMailboxScopeGroup accepted a user as the group")
	}
	if err := s.SetMailboxScopeGroup("", appID, "HelpMasterApp@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := inbox(t, c, "helpdesk@contoso.com"); err != nil {
		t.Fatalf("group member: %v", err)
	}
	_, err := inbox(t, c, "user@contoso.com")
	wantODataError(t, err, 403, "ErrorAccessDenied", "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.")
	_ = s.Tenant("", func(tn *sandbox.Tenant) {
		g := tn.Groups["5e1f0d0a-4ad8-4c52-9b31-2f3f6cbd2c11"]
		g.Members = append(g.Members, user)
	})
	if _, err := inbox(t, c, "user@contoso.com"); err != nil {
		t.Fatalf("after adding the user to the group: %v", err)
	}
}

func TestCalendarAndEvents(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	c := appClient(t, s, addApp(t, s, "HelpMaster", "Calendars.ReadWrite"))

	cal, err := c.Users().ByUserId("helpdesk@contoso.com").Calendar().Get(ctx, nil)
	if err != nil || deref(cal.GetName()) != "Calendar" || !deref(cal.GetIsDefaultCalendar()) ||
		deref(cal.GetOwner().GetAddress()) != "helpdesk@contoso.com" {
		t.Fatalf("calendar: %v", err)
	}

	ev := models.NewEvent()
	ev.SetSubject(ptr("On-site visit"))
	start, end := models.NewDateTimeTimeZone(), models.NewDateTimeTimeZone()
	start.SetDateTime(ptr("2030-03-04T09:00:00"))
	start.SetTimeZone(ptr("W. Europe Standard Time"))
	end.SetDateTime(ptr("2030-03-04T10:00:00"))
	end.SetTimeZone(ptr("W. Europe Standard Time"))
	ev.SetStart(start)
	ev.SetEnd(end)
	at := models.NewAttendee()
	ea := models.NewEmailAddress()
	ea.SetAddress(ptr("user@contoso.com"))
	at.SetEmailAddress(ea)
	ev.SetAttendees([]models.Attendeeable{at})
	created, err := c.Users().ByUserId("helpdesk@contoso.com").Calendar().Events().Post(ctx, ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Stored as an instant and answered in UTC: 09:00 CET is 08:00 UTC.
	if deref(created.GetStart().GetDateTime()) != "2030-03-04T08:00:00.0000000" || deref(created.GetStart().GetTimeZone()) != "UTC" ||
		deref(created.GetOriginalStartTimeZone()) != "W. Europe Standard Time" || !deref(created.GetIsOrganizer()) {
		t.Fatalf("created start %v %v", deref(created.GetStart().GetDateTime()), deref(created.GetStart().GetTimeZone()))
	}
	// The attendee has it in their calendar.
	events, err := c.Users().ByUserId("user@contoso.com").Events().Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, e := range events.GetValue() {
		subjects = append(subjects, deref(e.GetSubject()))
	}
	if strings.Join(subjects, ",") != "Helpdesk weekly sync,On-site visit" {
		t.Fatalf("attendee events %v", subjects)
	}

	// Read-only calendar permission cannot create.
	ro := appClient(t, s, addApp(t, s, "Viewer", "Calendars.Read"))
	if _, err := ro.Users().ByUserId("user@contoso.com").Calendar().Events().Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	_, err = ro.Users().ByUserId("user@contoso.com").Events().Post(ctx, ev, nil)
	wantODataError(t, err, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
	_, err = c.Users().ByUserId("noreply@contoso.com").Calendar().Get(ctx, nil)
	wantODataError(t, err, 404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
}
