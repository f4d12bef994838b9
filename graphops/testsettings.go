package graphops

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/microsoftgraph/msgraph-sdk-go/auditlogs"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/sites"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// AppCredential is how the app proves itself: a client secret Value, or a
// certificate with its private key (PEM).
type AppCredential struct {
	Secret  string
	CertPEM []byte
}

// ProbeKind is a cheap real call that proves one permission works.
type ProbeKind string

const (
	ProbeUsers     ProbeKind = "users"     // User.Read.All: read one user
	ProbeInbox     ProbeKind = "inbox"     // Mail.ReadWrite / Mail.Read: the chosen mailbox's inbox
	ProbeCalendar  ProbeKind = "calendar"  // Calendars.ReadWrite / Calendars.Read: its calendar
	ProbeSendMail  ProbeKind = "sendmail"  // Mail.Send: a test message, only on explicit request
	ProbeRoleOnly  ProbeKind = "role"      // only check the permission is in the token
	ProbeGroups    ProbeKind = "groups"    // Group.Read.All: read one group
	ProbeOrg       ProbeKind = "org"       // Organization.Read.All / Directory.Read.All: the organization
	ProbeDomains   ProbeKind = "domains"   // Domain.Read.All
	ProbeReports   ProbeKind = "reports"   // Reports.Read.All: the active user report
	ProbeAuditLogs ProbeKind = "auditlogs" // AuditLog.Read.All
	ProbeSites     ProbeKind = "sites"     // Sites.Read.All: the tenant's root SharePoint site
	ProbeFiles     ProbeKind = "files"     // Files.Read.All: the root site's document library
)

// ProbeKinds is every kind Test Settings knows, in the order docs list them.
var ProbeKinds = []ProbeKind{ProbeUsers, ProbeInbox, ProbeCalendar, ProbeSendMail, ProbeRoleOnly, ProbeGroups,
	ProbeOrg, ProbeDomains, ProbeReports, ProbeAuditLogs, ProbeSites, ProbeFiles}

// DefaultProbe is the probe that proves a Microsoft Graph application
// permission when no profile names one (permissions an admin picks for a
// custom app): the cheapest read the permission allows, or ProbeRoleOnly for a
// permission no read-only call can prove (Group.Create: testing it would
// create a group).
func DefaultProbe(permission string) ProbeKind {
	switch strings.ToLower(permission) {
	case "user.read.all", "user.readwrite.all", "user.readbasic.all":
		return ProbeUsers
	case "mail.read", "mail.readwrite", "mail.readbasic", "mail.readbasic.all":
		return ProbeInbox
	case "mail.send":
		return ProbeSendMail
	case "calendars.read", "calendars.readwrite", "calendars.readbasic":
		return ProbeCalendar
	case "group.read.all", "group.readwrite.all", "groupmember.read.all":
		return ProbeGroups
	case "organization.read.all", "directory.read.all", "directory.readwrite.all":
		return ProbeOrg
	case "domain.read.all":
		return ProbeDomains
	case "reports.read.all":
		return ProbeReports
	case "auditlog.read.all":
		return ProbeAuditLogs
	case "sites.read.all", "sites.readwrite.all":
		return ProbeSites
	case "files.read.all", "files.readwrite.all":
		return ProbeFiles
	}
	return ProbeRoleOnly
}

// Probe ties a permission to the call that proves it.
type Probe struct {
	Permission string
	Kind       ProbeKind
}

// TestOptions configures Test Settings.
type TestOptions struct {
	Cloud      Cloud
	HTTPClient *http.Client
	TenantID   string
	ClientID   string
	Credential AppCredential
	Expect     []string // application permissions that should be granted
	Probes     []Probe
	Mailbox    string // mailbox for inbox/calendar/sendmail probes
	SendTo     string // address for the Mail.Send probe; empty = no message is sent
	// Fresh marks a secret or consent made moments ago: Microsoft rejects a new
	// secret for seconds and leaves new grants out of tokens for a while, so
	// Test Settings waits for them (with progress) up to Patience.
	Fresh    bool
	Patience time.Duration
	// Scoping, when set, adds the "Mailbox scoping" check (scoping.go): one
	// chosen mailbox must work and one outside them must be refused.
	Scoping *ScopingOptions
}

// Check is one line of the Test Settings result.
type Check struct {
	Name       string
	Permission string
	OK         bool
	Message    string
	NextStep   string
	Code       string
	// Pending marks a check that is OK as far as the credential goes but waits
	// for Microsoft: mailbox scoping Exchange has not applied yet. It does not
	// fail the report (the credential works and may be saved); the front ends
	// show it apart and offer to test again later.
	Pending bool
	// Warning marks an OK check the admin should read: no mailbox scoping, or
	// scoping that could not be tested.
	Warning bool
}

// TestReport is the Test Settings result. OK is true when every check is OK;
// Pending and Warning checks count as OK.
type TestReport struct {
	OK     bool
	Roles  []string // application permissions in the app's token
	Checks []Check
	// Scoping is the mailbox scoping verdict when TestOptions.Scoping asked for it.
	Scoping *ScopingResult
}

// Pending reports whether some check waits for Microsoft (test again later).
func (r *TestReport) Pending() bool {
	for _, c := range r.Checks {
		if c.Pending {
			return true
		}
	}
	return false
}

// SuccessText is HelpMaster's own wording for a green Test Settings.
const SuccessText = "Microsoft 365 Authentication was successful"

// TestSettings signs in as the app (client credentials) and proves each
// permission with one cheap real call. Bad input is refused before anything is
// sent. A failed check is a line in the report, not an error; the error is for
// input problems and cancellation.
func TestSettings(ctx context.Context, o TestOptions) (*TestReport, error) {
	if err := ValidateTenant(o.TenantID); err != nil {
		return nil, err
	}
	if err := ValidateClientID(o.ClientID); err != nil {
		return nil, err
	}
	if len(o.Credential.CertPEM) == 0 {
		if err := ValidateSecretValue(o.Credential.Secret); err != nil {
			return nil, err
		}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = NewHTTPClient(o.Cloud, TrustConfig{})
	}
	if o.Patience == 0 {
		o.Patience = 3 * time.Minute
	}
	deadline := time.Now().Add(o.Patience)
	rep := &TestReport{}

	token, roles, err := o.appToken(ctx, deadline)
	if err != nil {
		if KindOf(err) == KindCancelled || KindOf(err) == KindInput {
			return nil, err
		}
		c := Check{Name: "Sign in as the app", Message: err.Error()}
		if e, ok := AsError(err); ok {
			c.Message, c.NextStep, c.Code = e.Message, e.NextStep, e.Code
		}
		rep.Checks = append(rep.Checks, c)
		return rep, nil
	}
	rep.Roles = roles
	rep.Checks = append(rep.Checks, Check{Name: "Sign in as the app", OK: true, Message: "The app signed in to " + o.TenantID + "."})
	has := map[string]bool{}
	for _, r := range roles {
		has[strings.ToLower(r)] = true
	}
	for _, want := range o.Expect {
		c := Check{Name: "Permission " + want, Permission: want, OK: has[strings.ToLower(want)]}
		if c.OK {
			c.Message = want + " is granted."
		} else {
			c.Message = want + " is not in the app's token."
			c.NextStep = "Grant admin consent for " + want + " (API permissions), then test again."
		}
		rep.Checks = append(rep.Checks, c)
	}
	client, adapter, err := newGraphClient(o.Cloud, o.HTTPClient, func(context.Context) (string, error) { return token, nil })
	if err != nil {
		return nil, err
	}
	probes := o.probeChecks(has)
	err = retryUntilCapped(ctx, "Waiting for the new permissions to reach Microsoft Graph", time.Until(deadline), 2*time.Second, func(err error) bool {
		return o.Fresh && err == errProbesDenied
	}, func() error {
		return o.runProbes(ctx, client, adapter, probes)
	})
	if KindOf(err) == KindCancelled {
		return nil, err
	}
	for _, p := range probes {
		rep.Checks = append(rep.Checks, p.check)
	}
	if o.Scoping != nil {
		if err := o.checkScoping(ctx, client, adapter, roles, rep); err != nil {
			return nil, err
		}
	}
	rep.OK = true
	for _, c := range rep.Checks {
		rep.OK = rep.OK && c.OK
	}
	return rep, nil
}

// appToken gets an app-only token, waiting while a fresh secret or consent
// propagates. A new confidential client per attempt: MSAL would otherwise
// answer from its cache with a token that predates the consent.
func (o TestOptions) appToken(ctx context.Context, deadline time.Time) (string, []string, error) {
	var cred confidential.Credential
	var err error
	if len(o.Credential.CertPEM) > 0 {
		certs, key, perr := confidential.CertFromPEM(o.Credential.CertPEM, "")
		if perr != nil {
			return "", nil, &Error{Kind: KindInput, Field: "certificate", Message: "The stored certificate cannot be read: " + perr.Error()}
		}
		cred, err = confidential.NewCredFromCert(certs, key)
	} else {
		cred, err = confidential.NewCredFromSecret(o.Credential.Secret)
	}
	if err != nil {
		return "", nil, &Error{Kind: KindInput, Field: "secret", Message: "The credential cannot be used."}
	}
	var token string
	var roles []string
	missing := func() []string {
		have := map[string]bool{}
		for _, r := range roles {
			have[strings.ToLower(r)] = true
		}
		var out []string
		for _, e := range o.Expect {
			if !have[strings.ToLower(e)] {
				out = append(out, e)
			}
		}
		return out
	}
	errRolesMissing := fmt.Errorf("roles missing from token")
	// Poll the token endpoint every second at most: Microsoft observes 4-18 s
	// before a new secret works (GRAPH-FACTS §5.4), and each try is one cheap call.
	err = retryUntilCapped(ctx, "Waiting for the new secret and consent to reach Microsoft's sign-in service", time.Until(deadline), time.Second, func(err error) bool {
		if !o.Fresh {
			return false
		}
		if err == errRolesMissing {
			return true
		}
		e, ok := AsError(err)
		return ok && (e.Code == "AADSTS7000215" || e.Code == "AADSTS7000222" || e.Code == "AADSTS700016" || e.Code == "AADSTS7000229")
	}, func() error {
		opts := []confidential.Option{confidential.WithHTTPClient(o.HTTPClient)}
		if o.Cloud.Custom {
			opts = append(opts, confidential.WithInstanceDiscovery(false))
		}
		c, err := confidential.New(o.Cloud.Authority(o.TenantID), o.ClientID, cred, opts...)
		if err != nil {
			return &Error{Kind: KindInput, Message: "Cannot prepare the app sign-in: " + err.Error()}
		}
		res, err := c.AcquireTokenByCredential(ctx, []string{o.Cloud.DefaultScope()})
		if err != nil {
			return fromSTS(err, o.TenantID, o.ClientID)
		}
		token, roles = res.AccessToken, tokenRoles(res.AccessToken)
		if len(missing()) > 0 {
			return errRolesMissing
		}
		return nil
	})
	if errors.Is(err, errRolesMissing) {
		return token, roles, nil // the missing roles are reported as checks
	}
	if e, ok := AsError(err); ok && e.Kind == KindNotReady {
		if inner, ok := AsError(e.Err); ok {
			return "", nil, inner // say why Microsoft kept refusing, not only that we gave up
		}
	}
	if err != nil {
		return "", nil, err
	}
	return token, roles, nil
}

// tokenRoles reads the roles claim of an access token (no signature check: the
// token came straight from the token endpoint over TLS).
func tokenRoles(tok string) []string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var c struct {
		Roles []string `json:"roles"`
	}
	_ = json.Unmarshal(raw, &c)
	sort.Strings(c.Roles)
	return c.Roles
}

type probeRun struct {
	probe Probe
	check Check
	done  bool
	rbac  bool // the permission comes from Exchange RBAC for Applications, not the token
}

var errProbesDenied = fmt.Errorf("a probe was refused")

func (o TestOptions) probeChecks(has map[string]bool) []*probeRun {
	var out []*probeRun
	for _, p := range o.Probes {
		r := &probeRun{probe: p, check: Check{Name: probeName(p), Permission: p.Permission}}
		r.rbac = !has[strings.ToLower(p.Permission)] && o.rbacGranted(p.Permission)
		switch {
		case !has[strings.ToLower(p.Permission)] && !r.rbac:
			r.done = true
			r.check.Message = "Skipped: " + p.Permission + " is not granted."
			r.check.NextStep = "Grant admin consent, then test again."
		case r.rbac && (p.Kind == ProbeRoleOnly || (p.Kind == ProbeSendMail && o.SendTo == "")):
			r.done, r.check.OK = true, true
			r.check.Message = p.Permission + " comes from Exchange (RBAC for Applications); the Mailbox scoping check tests it (no test message sent)."
		case p.Kind == ProbeSendMail && o.SendTo == "":
			r.done, r.check.OK = true, true
			r.check.Message = p.Permission + " is granted (no test message sent)."
		case p.Kind == ProbeRoleOnly:
			r.done, r.check.OK = true, true
			r.check.Message = roleOnlyMessage(p.Permission)
		case (p.Kind == ProbeInbox || p.Kind == ProbeCalendar || p.Kind == ProbeSendMail) && o.Mailbox == "":
			r.done = true
			r.check.Message = "Choose a mailbox to test " + p.Permission + "."
			r.check.NextStep = "Enter the mailbox the product will use, then test again."
		}
		out = append(out, r)
	}
	return out
}

func probeName(p Probe) string {
	switch p.Kind {
	case ProbeUsers:
		return "Read users (" + p.Permission + ")"
	case ProbeInbox:
		return "Read the mailbox (" + p.Permission + ")"
	case ProbeCalendar:
		return "Read the calendar (" + p.Permission + ")"
	case ProbeSendMail:
		return "Send a test message (" + p.Permission + ")"
	case ProbeReports:
		return "Read usage reports (" + p.Permission + ")"
	case ProbeGroups:
		return "Read groups (" + p.Permission + ")"
	case ProbeOrg:
		return "Read the organization (" + p.Permission + ")"
	case ProbeDomains:
		return "Read the domains (" + p.Permission + ")"
	case ProbeAuditLogs:
		return "Read the audit log (" + p.Permission + ")"
	case ProbeSites:
		return "Read SharePoint sites (" + p.Permission + ")"
	case ProbeFiles:
		return "Read files (" + p.Permission + ")"
	case ProbeRoleOnly:
		return "Granted: " + p.Permission
	}
	return p.Permission
}

// probeWorked is what a probe that answered 2xx proved.
func probeWorked(p Probe) string {
	switch p.Kind {
	case ProbeUsers:
		return "Read a user from the directory."
	case ProbeInbox:
		return "Read the mailbox's inbox."
	case ProbeCalendar:
		return "Read the mailbox's calendar."
	case ProbeSendMail:
		return "Sent the test message."
	case ProbeGroups:
		return "Listed the groups."
	case ProbeOrg:
		return "Read the organization's details."
	case ProbeDomains:
		return "Listed the tenant's domains."
	case ProbeReports:
		return "Downloaded the Microsoft 365 active user report (last 7 days)."
	case ProbeAuditLogs:
		return "Read the directory audit log."
	case ProbeSites:
		return "Read the tenant's root SharePoint site."
	case ProbeFiles:
		return "Read the root site's document library."
	}
	return "Works."
}

// roleOnlyMessage says plainly that only the grant was checked, and why.
func roleOnlyMessage(permission string) string {
	l := strings.ToLower(permission)
	granted := permission + " is granted (it is in the app's token). "
	switch {
	case l == "group.create":
		return granted + "The only call that proves it creates a group, so Test Settings checks the grant only."
	case strings.Contains(l, "write") || strings.Contains(l, "create") || strings.HasSuffix(l, ".send"):
		return granted + "Proving it would change something in the tenant, so Test Settings checks the grant only."
	}
	return granted + "Test Settings has no read-only call for it, so it checks the grant only."
}

// runProbes sends every pending probe in one $batch and records each outcome.
// It returns errProbesDenied when a probe was refused with 403 (which a fresh
// consent may still cure).
func (o TestOptions) runProbes(ctx context.Context, client graphClient, adapter requestAdapter, probes []*probeRun) error {
	b := newBatch(adapter)
	for i, p := range probes {
		if p.done {
			continue
		}
		key := fmt.Sprint(i)
		var err error
		top := int32(1)
		switch p.probe.Kind {
		case ProbeUsers:
			err = b.add(key, step(client.Users().ToGetRequestInformation(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: &top, Select: []string{"id", "displayName"}}})))
		case ProbeInbox:
			err = b.add(key, step(client.Users().ByUserId(o.Mailbox).MailFolders().ByMailFolderId("inbox").Messages().ToGetRequestInformation(ctx,
				&users.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration{
					QueryParameters: &users.ItemMailFoldersItemMessagesRequestBuilderGetQueryParameters{Top: &top, Select: []string{"id"}}})))
		case ProbeCalendar:
			err = b.add(key, step(client.Users().ByUserId(o.Mailbox).Calendar().Events().ToGetRequestInformation(ctx,
				&users.ItemCalendarEventsRequestBuilderGetRequestConfiguration{
					QueryParameters: &users.ItemCalendarEventsRequestBuilderGetQueryParameters{Top: &top, Select: []string{"id"}}})))
		case ProbeSendMail:
			err = b.add(key, step(client.Users().ByUserId(o.Mailbox).SendMail().ToPostRequestInformation(ctx, testMessage(o.SendTo), nil)))
		case ProbeGroups:
			err = b.add(key, step(client.Groups().ToGetRequestInformation(ctx, nil)))
		case ProbeOrg:
			err = b.add(key, step(client.Organization().ToGetRequestInformation(ctx, nil)))
		case ProbeDomains:
			err = b.add(key, step(client.Domains().ToGetRequestInformation(ctx, nil)))
		case ProbeReports:
			period := "D7"
			err = b.add(key, step(client.Reports().GetOffice365ActiveUserDetailWithPeriod(&period).ToGetRequestInformation(ctx, nil)))
		case ProbeAuditLogs:
			err = b.add(key, step(client.AuditLogs().DirectoryAudits().ToGetRequestInformation(ctx,
				&auditlogs.DirectoryAuditsRequestBuilderGetRequestConfiguration{
					QueryParameters: &auditlogs.DirectoryAuditsRequestBuilderGetQueryParameters{Top: &top}})))
		case ProbeSites:
			// GET /sites/root: "the tenant root site" (site-get.md; Sites.Read.All).
			err = b.add(key, step(client.Sites().BySiteId("root").ToGetRequestInformation(ctx,
				&sites.SiteItemRequestBuilderGetRequestConfiguration{
					QueryParameters: &sites.SiteItemRequestBuilderGetQueryParameters{Select: []string{"id", "webUrl"}}})))
		case ProbeFiles:
			// GET /sites/root/drive: the root site's document library
			// (drive-get.md, "Get the document library for a site"; Files.Read.All).
			err = b.add(key, step(client.Sites().BySiteId("root").Drive().ToGetRequestInformation(ctx,
				&sites.ItemDriveRequestBuilderGetRequestConfiguration{
					QueryParameters: &sites.ItemDriveRequestBuilderGetQueryParameters{Select: []string{"id", "driveType"}}})))
		default:
			p.done, p.check.Message = true, "Unknown probe "+string(p.probe.Kind)
			continue
		}
		if err != nil {
			return err
		}
	}
	if b.len() == 0 {
		return nil
	}
	res, err := b.send(ctx)
	if err != nil {
		return fromGraph(err, "Testing the permissions")
	}
	denied := false
	for i, p := range probes {
		if p.done {
			continue
		}
		key := fmt.Sprint(i)
		st := res.status(key)
		if st >= 200 && st < 400 {
			p.done, p.check.OK = true, true
			p.check.Message = probeWorked(p.probe)
			continue
		}
		_, perr := batchParse[models.Entityable](res, key, models.CreateEntityFromDiscriminatorValue)
		e, _ := AsError(fromGraph(perr, p.check.Name))
		if e == nil {
			e = &Error{Message: fmt.Sprintf("%s: unexpected status %d", p.check.Name, st)}
		}
		p.check.Message, p.check.NextStep, p.check.Code = e.Message, e.NextStep, e.Code
		if st == 403 && e.Kind == KindPermission && !p.rbac {
			denied = true // may still be propagating; retried while Fresh
			continue
		}
		p.done = true
	}
	if denied {
		return errProbesDenied
	}
	return nil
}

func testMessage(to string) *users.ItemSendMailPostRequestBody {
	msg := models.NewMessage()
	subject := "M365 Setup Wizard test message"
	msg.SetSubject(&subject)
	body := models.NewItemBody()
	ct := models.TEXT_BODYTYPE
	text := "This message was sent by M365 Setup Wizard's Test Settings to prove the app can send mail."
	body.SetContentType(&ct)
	body.SetContent(&text)
	msg.SetBody(body)
	rcpt := models.NewRecipient()
	addr := models.NewEmailAddress()
	addr.SetAddress(&to)
	rcpt.SetEmailAddress(addr)
	msg.SetToRecipients([]models.Recipientable{rcpt})
	req := users.NewItemSendMailPostRequestBody()
	req.SetMessage(msg)
	save := false
	req.SetSaveToSentItems(&save)
	return req
}
