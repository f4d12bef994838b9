package graphops

import (
	"context"
	"fmt"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"m365wizard/graphops/exchange"
)

// Mailbox scoping verification, the last check of Test Settings (issue 7). As
// the app, one chosen mailbox must work and one mailbox outside them must be
// refused (ErrorAccessDenied). Exchange applies a new access policy or RBAC
// assignment only after 30 minutes to 2 hours, so "not refused yet" is a
// Pending check: the report stays OK and the credential can be saved; the
// window re-tests later and `m365wizard test` does the same from the CLI.

// ScopingOptions asks Test Settings to verify mailbox scoping.
type ScopingOptions struct {
	// Mode is the mechanism the admin chose; ModeNone gives a warning only.
	Mode exchange.Mode
	// Mailboxes are the chosen mailboxes (the group's members); the first is
	// the one that must work. Empty: TestOptions.Mailbox.
	Mailboxes []string
	// Outside is a mailbox that is not in the group and must be refused.
	// Empty: Test Settings picks one itself, reading the directory as the app
	// (a user with a mail address that is not chosen; users without an
	// Exchange mailbox are skipped).
	Outside string
	// Permissions are the Exchange permissions the product uses (Mail.Send,
	// Mail.ReadWrite, Calendars.ReadWrite). In RBAC mode Exchange grants them
	// and they are not in the token; the permission probes run all the same.
	Permissions []string
}

// ScopingState is the verdict of the Mailbox scoping check.
type ScopingState string

const (
	ScopingActive   ScopingState = "active"         // the chosen mailbox works, the outside one is refused
	ScopingPending  ScopingState = "not-active-yet" // Exchange has not applied it yet: test again later
	ScopingDefeated ScopingState = "defeated"       // RBAC mode, but the app still holds the permissions in Entra ID
	ScopingNone     ScopingState = "none"           // no scoping chosen: every mailbox is open
	ScopingFailed   ScopingState = "failed"         // the chosen mailbox is refused, or the answers make no sense
	ScopingUnknown  ScopingState = "unknown"        // could not be tested (no mailbox permission, no outside mailbox)
)

// The check's words, as the issue and the window use them.
const (
	ScopingCheckName   = "Mailbox scoping"
	ScopingActiveText  = "Mailbox scoping is active"
	ScopingPendingText = "Not active yet: Exchange can take 30 minutes to 2 hours. Test again later"
)

// ScopingResult is what the Mailbox scoping check found.
type ScopingResult struct {
	Mode           exchange.Mode
	State          ScopingState
	Allowed        string // the chosen mailbox tested (must work)
	Outside        string // the mailbox outside the group tested (must be refused)
	AllowedWorks   bool
	OutsideRefused bool
	// EntraGrants are the Exchange permissions the app still holds in Entra ID
	// in RBAC mode: each one opens every mailbox whatever the scope says.
	// Session.RevokeAppRoles removes them.
	EntraGrants []string
}

// rbacGranted reports whether Exchange RBAC, not the token, grants permission.
func (o TestOptions) rbacGranted(permission string) bool {
	if o.Scoping == nil || o.Scoping.Mode != exchange.ModeRBAC {
		return false
	}
	for _, p := range o.Scoping.Permissions {
		if strings.EqualFold(p, permission) {
			return true
		}
	}
	return false
}

// mailboxAnswer is how Exchange answered a call on one mailbox.
type mailboxAnswer int

const (
	answerReached   mailboxAnswer = iota + 1 // past Exchange's access check
	answerRefused                            // 403 ErrorAccessDenied
	answerNoMailbox                          // no Exchange mailbox, or no such user
	answerError                              // anything else
)

// scopingProbe is the cheapest call that shows whether the app may reach a
// mailbox with a permission it holds: a read of one message or event, or, for
// an app that may only send, a sendMail with no recipients, which Exchange
// answers 400 ErrorInvalidRecipients after the access check and never sends.
type scopingProbe struct {
	permission string
	build      func(ctx context.Context, c graphClient, mailbox string) batchStep
}

func pickScopingProbe(perms []string) (scopingProbe, bool) {
	has := func(names ...string) string {
		for _, n := range names {
			for _, p := range perms {
				if strings.EqualFold(p, n) {
					return n
				}
			}
		}
		return ""
	}
	top := int32(1)
	if p := has("Mail.ReadWrite", "Mail.Read", "Mail.ReadBasic", "Mail.ReadBasic.All"); p != "" {
		return scopingProbe{p, func(ctx context.Context, c graphClient, mb string) batchStep {
			return step(c.Users().ByUserId(mb).MailFolders().ByMailFolderId("inbox").Messages().ToGetRequestInformation(ctx,
				&users.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration{
					QueryParameters: &users.ItemMailFoldersItemMessagesRequestBuilderGetQueryParameters{Top: &top, Select: []string{"id"}}}))
		}}, true
	}
	if p := has("Calendars.ReadWrite", "Calendars.Read"); p != "" {
		return scopingProbe{p, func(ctx context.Context, c graphClient, mb string) batchStep {
			return step(c.Users().ByUserId(mb).Calendar().Events().ToGetRequestInformation(ctx,
				&users.ItemCalendarEventsRequestBuilderGetRequestConfiguration{
					QueryParameters: &users.ItemCalendarEventsRequestBuilderGetQueryParameters{Top: &top, Select: []string{"id"}}}))
		}}, true
	}
	if p := has("Mail.Send"); p != "" {
		return scopingProbe{p, func(ctx context.Context, c graphClient, mb string) batchStep {
			msg := models.NewMessage()
			subject := "M365 Setup Wizard scoping check (never sent: no recipients)"
			msg.SetSubject(&subject)
			req := users.NewItemSendMailPostRequestBody()
			req.SetMessage(msg)
			save := false
			req.SetSaveToSentItems(&save)
			return step(c.Users().ByUserId(mb).SendMail().ToPostRequestInformation(ctx, req, nil))
		}}, true
	}
	return scopingProbe{}, false
}

func classifyMailboxAnswer(res *batchResult, key string, sendMail bool) (mailboxAnswer, *Error) {
	st := res.status(key)
	if st >= 200 && st < 300 {
		return answerReached, nil
	}
	_, perr := batchParse[models.Entityable](res, key, models.CreateEntityFromDiscriminatorValue)
	code, _, _ := graphCode(perr)
	e, _ := AsError(fromGraph(perr, ScopingCheckName))
	switch {
	case sendMail && st == 400:
		return answerReached, nil // refused for its empty recipients, after the access check
	case st == 403 && (code == "ErrorAccessDenied" || code == "AccessDenied"):
		return answerRefused, e
	case code == "MailboxNotEnabledForRESTAPI" || code == "ErrorInvalidUser" || st == 404:
		return answerNoMailbox, e
	}
	return answerError, e
}

// checkScoping adds the Mailbox scoping check to rep.
func (o TestOptions) checkScoping(ctx context.Context, client graphClient, adapter requestAdapter, roles []string, rep *TestReport) error {
	sc := o.Scoping
	res := &ScopingResult{Mode: sc.Mode}
	rep.Scoping = res
	c := Check{Name: ScopingCheckName}
	defer func() { rep.Checks = append(rep.Checks, c) }()

	if !sc.Mode.Scopes() {
		res.State = ScopingNone
		c.OK, c.Warning = true, true
		c.Message = "No mailbox scoping: the app can send as and read every mailbox in your organisation."
		c.NextStep = "To limit it, choose the mailboxes it may use (Mailbox access) and run the script the wizard writes."
		return nil
	}
	entra := exchange.Scoped(roles) // Exchange permissions the token carries from Entra ID
	if sc.Mode == exchange.ModeRBAC && len(entra) > 0 {
		res.EntraGrants = entra
	}
	allowed := o.Mailbox
	if len(sc.Mailboxes) > 0 {
		allowed = sc.Mailboxes[0]
	}
	perms := append(append([]string(nil), entra...), sc.Permissions...)
	if sc.Mode == exchange.ModeAccessPolicy {
		perms = entra // an access policy only narrows Entra grants
	}
	probe, ok := pickScopingProbe(perms)
	switch {
	case allowed == "":
		res.State = ScopingUnknown
		c.OK, c.Warning = true, true
		c.Message = "Mailbox scoping was not tested: no mailbox was chosen."
		c.NextStep = "Choose the mailboxes the product may use, then test again."
		return o.finishScoping(res, &c, rep)
	case !ok:
		res.State = ScopingUnknown
		c.OK, c.Warning = true, true
		c.Message = "Mailbox scoping was not tested: the app holds no mail or calendar permission to test it with."
		c.NextStep = "Grant the product's mail permissions (or, with RBAC for Applications, run the script), then test again."
		return o.finishScoping(res, &c, rep)
	}
	res.Allowed = allowed
	outside := []string{sc.Outside}
	if sc.Outside == "" {
		var err error
		if outside, err = o.outsideCandidates(ctx, client, append([]string{allowed}, sc.Mailboxes...)); err != nil {
			if KindOf(err) == KindCancelled {
				return err
			}
			res.State = ScopingUnknown
			c.OK, c.Warning = true, true
			c.Message = "Mailbox scoping was not tested: no mailbox outside the chosen ones was found (" + err.Error() + ")."
			c.NextStep = "Name a mailbox that is not in the group (m365wizard test --outside-mailbox …), then test again."
			return o.finishScoping(res, &c, rep)
		}
	}
	b := newBatch(adapter)
	if err := b.add("allowed", probe.build(ctx, client, allowed)); err != nil {
		return err
	}
	for i, mb := range outside {
		if err := b.add(fmt.Sprint("outside", i), probe.build(ctx, client, mb)); err != nil {
			return err
		}
	}
	sent, err := b.send(ctx)
	if err != nil {
		if KindOf(fromGraph(err, "")) == KindCancelled || ctx.Err() != nil {
			return fromGraph(err, ScopingCheckName)
		}
		res.State = ScopingUnknown
		c.OK, c.Warning = true, true
		e, _ := AsError(fromGraph(err, ScopingCheckName))
		c.Message = "Mailbox scoping was not tested: " + e.Message
		c.NextStep = "Test again."
		return o.finishScoping(res, &c, rep)
	}
	sendMail := strings.EqualFold(probe.permission, "Mail.Send")
	allowedAns, allowedErr := classifyMailboxAnswer(sent, "allowed", sendMail)
	outsideAns := answerNoMailbox
	var outsideErr *Error
	for i, mb := range outside {
		a, e := classifyMailboxAnswer(sent, fmt.Sprint("outside", i), sendMail)
		if a == answerNoMailbox && sc.Outside == "" {
			continue // picked a user without a mailbox: try the next one
		}
		res.Outside, outsideAns, outsideErr = mb, a, e
		break
	}
	res.AllowedWorks = allowedAns == answerReached
	res.OutsideRefused = outsideAns == answerRefused
	o.judgeScoping(res, &c, allowedAns, outsideAns, allowedErr, outsideErr, probe.permission)
	return o.finishScoping(res, &c, rep)
}

// judgeScoping turns the two answers into the verdict and its words.
func (o TestOptions) judgeScoping(res *ScopingResult, c *Check, allowedAns, outsideAns mailboxAnswer, allowedErr, outsideErr *Error, perm string) {
	mode := res.Mode
	errText := func(e *Error) string {
		if e == nil {
			return ""
		}
		return " (" + e.Message + ")"
	}
	switch {
	case len(res.EntraGrants) > 0:
		list := joinAnd(res.EntraGrants)
		res.State = ScopingDefeated
		c.Message = "Mailbox scoping has no effect: the app still holds " + list + " in Entra ID. Exchange adds Entra grants to its RBAC assignments, so the app can reach every mailbox"
		if outsideAns == answerReached && res.Outside != "" {
			c.Message += " (" + res.Outside + " answered)"
		}
		c.Message += "."
		c.NextStep = "Remove the Entra grant of " + list + " (the wizard can do it), then test again. With RBAC for Applications these permissions come from Exchange only."
		c.Code = "EntraGrantDefeatsRBAC"
	case allowedAns == answerNoMailbox:
		res.State = ScopingFailed
		c.Message = res.Allowed + " cannot be used through Microsoft Graph" + errText(allowedErr) + "."
		c.NextStep = "Choose a licensed or shared mailbox."
		if allowedErr != nil {
			c.Code = allowedErr.Code
		}
	case res.Outside == "" || outsideAns == answerNoMailbox:
		res.State = ScopingUnknown
		c.OK, c.Warning = true, true
		c.Message = "Mailbox scoping was not tested: no mailbox outside the chosen ones was found."
		c.NextStep = "Name a mailbox that is not in the group (m365wizard test --outside-mailbox …), then test again."
	case allowedAns == answerReached && outsideAns == answerRefused:
		res.State = ScopingActive
		c.OK = true
		c.Message = ScopingActiveText + ": " + res.Allowed + " works and " + res.Outside + " is refused."
	case allowedAns == answerReached && outsideAns == answerReached:
		res.State = ScopingPending
		c.OK, c.Pending = true, true
		c.Message = ScopingPendingText + ". " + res.Outside + " is not refused yet."
		c.NextStep = "If it is still not refused after 2 hours, check that the script ran without errors and that " + res.Outside + " is not in the group."
	case mode == exchange.ModeRBAC && allowedAns == answerRefused && outsideAns == answerRefused:
		res.State = ScopingPending
		c.OK, c.Pending = true, true
		c.Message = ScopingPendingText + ". Exchange does not let the app use " + perm + " on " + res.Allowed + " yet."
		c.NextStep = "If it still fails after 2 hours, check that the script ran without errors and that " + res.Allowed + " is in the group."
	case allowedAns == answerRefused:
		res.State = ScopingFailed
		c.Message = res.Allowed + " is refused" + errText(allowedErr) + ", so the product cannot use it."
		c.NextStep = "Add " + res.Allowed + " to the group (Exchange admin center > Recipients > Groups), wait for Exchange, then test again."
		c.Code = "ErrorAccessDenied"
	default:
		res.State = ScopingFailed
		c.Message = "Mailbox scoping could not be judged" + errText(allowedErr) + errText(outsideErr) + "."
		c.NextStep = "Test again; if this stays, check the script's output in PowerShell."
	}
}

// finishScoping applies the verdict to the permission checks: while RBAC
// assignments are pending, Exchange refuses the product's own mailbox too, and
// those refusals are the same wait, not a failure.
func (o TestOptions) finishScoping(res *ScopingResult, c *Check, rep *TestReport) error {
	if res.State != ScopingPending || res.Mode != exchange.ModeRBAC {
		return nil
	}
	for i := range rep.Checks {
		ch := &rep.Checks[i]
		if !ch.OK && ch.Permission != "" && o.rbacGranted(ch.Permission) && ch.Code == "ErrorAccessDenied" {
			ch.OK, ch.Pending = true, true
			ch.Message = "Waiting for Exchange to apply the RBAC assignment for " + ch.Permission + " (30 minutes to 2 hours)."
			ch.NextStep = "Test again later."
		}
	}
	return nil
}

// outsideCandidates lists up to five users with a mail address that are not
// among chosen, read as the app (needs User.Read.All or Directory.Read.All).
func (o TestOptions) outsideCandidates(ctx context.Context, client graphClient, chosen []string) ([]string, error) {
	top := int32(25)
	got, err := client.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: &top, Select: []string{"id", "userPrincipalName", "mail"}}})
	if err != nil {
		e := fromGraph(err, "Reading users to find a mailbox outside the group")
		if ge, ok := AsError(e); ok && ge.Kind != KindCancelled {
			return nil, fmt.Errorf("%s", ge.Message)
		}
		return nil, e
	}
	isChosen := func(v string) bool {
		for _, c := range chosen {
			if v != "" && strings.EqualFold(c, v) {
				return true
			}
		}
		return false
	}
	var out []string
	for _, u := range got.GetValue() {
		mail, upn := deref(u.GetMail()), deref(u.GetUserPrincipalName())
		if mail == "" || isChosen(mail) || isChosen(upn) || isChosen(deref(u.GetId())) {
			continue
		}
		out = append(out, mail)
		if len(out) == 5 {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("every user read has no mail address or is chosen")
	}
	return out, nil
}

func joinAnd(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
