package wizard

import (
	"context"
	"errors"
	"strings"

	"m365wizard/graphops"
	"m365wizard/graphops/exchange"
)

// Mailbox access (steps 4 and 5 of the HelpMaster guide): the admin picks the
// mailboxes and a mode (State.Mailboxes, State.Scoping); the step writes the
// Exchange Online script (State.Mailbox) that the admin runs; Test Settings
// verifies the result. With RBAC for Applications the permission and consent
// steps leave the Exchange permissions out of Entra ID (spec).
//
// Front ends:
//
//	st.Scoping, st.Mailboxes = "rbac", picked      // before Next on Permissions, or at the latest on Mailbox access
//	e.Next(ctx)                                    // on StepMailbox: doMailbox fills st.Mailbox
//	st.Mailbox.Script, st.Mailbox.PS1()            // show, copy, save as st.Mailbox.FileName
//	st.Mailbox.Choices                             // the modes side by side, in plain words
//	st.Test.Scoping.State                          // after Test Settings: active, not-active-yet, defeated, none
//	e.RemoveEntraGrants(ctx)                       // the "remove the grant" button when defeated

// MailboxPlan is what the Mailbox access step produced: nothing secret.
type MailboxPlan struct {
	Mode        exchange.Mode
	Params      exchange.Params        // the script's values (zero for ModeNone)
	Script      string                 // the script, LF line endings, for the screen and the clipboard; empty for ModeNone
	FileName    string                 // a name to save it under
	Explanation exchange.Explanation   // the chosen mode in plain words
	Choices     []exchange.Explanation // every mode, side by side
	// EntraLeftOut are the permissions the app does not get in Entra ID
	// because Exchange grants them (RBAC for Applications).
	EntraLeftOut []string
}

// PS1 is the script as a .ps1 file (UTF-8 with BOM, CRLF), nil for ModeNone.
func (p *MailboxPlan) PS1() []byte {
	if p == nil || p.Script == "" {
		return nil
	}
	return exchange.EncodePS1(p.Script)
}

// scopingMode is the mailbox scoping the flow works with: the admin's choice;
// with none made, the guide's access policy for a New setup of a profile that
// scopes mailboxes; otherwise "" (not known: nothing verified). A misspelt
// choice is "" too (checkMailbox reports it).
func (e *Engine) scopingMode() exchange.Mode {
	if e.state.Scoping != "" {
		m, err := exchange.ParseMode(e.state.Scoping)
		if err != nil {
			return ""
		}
		return m
	}
	if e.kind == FlowNewSetup {
		if p, err := e.profile(); err == nil && p.MailboxScoping() {
			return exchange.ModeAccessPolicy
		}
	}
	return ""
}

// profileAppRoles is every application permission of the chosen features,
// Exchange ones included whatever the mode.
func (e *Engine) profileAppRoles() []string {
	p, err := e.profile()
	if err != nil {
		return nil
	}
	return p.AppSpec(e.state.AppName, e.state.Features, e.state.Permissions).AppRoles
}

// MailboxParams is the script's input from the state: the admin, the app and
// its service principal, the chosen mailboxes and group, the Exchange
// permissions of the chosen features, with defaults for what was left empty
// (group name and address at the tenant's default domain). It sends nothing.
func (e *Engine) MailboxParams() exchange.Params {
	st := e.state
	p := exchange.Params{Mode: e.scopingMode(), Mailboxes: st.Mailboxes, GroupName: st.GroupName,
		GroupAddress: st.GroupAddress, OutsideMailbox: st.OutsideMailbox, Description: st.PolicyDescription,
		Permissions: exchange.Scoped(e.profileAppRoles()), AppDisplayName: st.AppName}
	domain := ""
	if st.Admin != nil {
		p.AdminUPN = st.Admin.UPN
		if len(st.Admin.Domains) > 0 {
			domain = st.Admin.Domains[0]
		} else if _, d, ok := strings.Cut(st.Admin.UPN, "@"); ok {
			domain = d
		}
	}
	if st.App != nil {
		p.AppID, p.ServicePrincipalID = st.App.AppID, st.App.ServicePrincipalID
		if st.App.DisplayName != "" {
			p.AppDisplayName = st.App.DisplayName
		}
	} else if st.ClientID != "" {
		p.AppID = st.ClientID
	}
	return p.WithDefaults(domain)
}

// doMailbox writes the script for the chosen mode into State.Mailbox. With
// RBAC for Applications it first makes sure Entra ID neither requests nor
// grants the Exchange permissions (the mode may have been chosen after the
// consent step): the app is updated and the grants are revoked.
func doMailbox(ctx context.Context, e *Engine) error {
	st := e.state
	mode := e.scopingMode()
	product := st.AppName
	if p, err := e.profile(); err == nil && st.AppName == "" {
		product = p.DefaultAppName()
	}
	perms := exchange.Scoped(e.profileAppRoles())
	plan := &MailboxPlan{Mode: mode, Explanation: exchange.Explain(mode, product, perms),
		Choices: exchange.Choices(product, perms), EntraLeftOut: exchange.EntraLeaveOut(mode, e.profileAppRoles())}
	if mode == exchange.ModeRBAC {
		if err := e.leaveExchangePermissionsOutOfEntra(ctx); err != nil {
			return err
		}
	}
	if !mode.Scopes() || len(st.Mailboxes) == 0 {
		// No scoping, or the guide's default with no mailbox picked yet: the
		// explanation only (checkMailbox refuses an explicit mode without one).
		st.Mailbox = plan
		return nil
	}
	p := e.MailboxParams()
	text, err := exchange.Script(p)
	if err != nil {
		var pe *exchange.ParamError
		if errors.As(err, &pe) {
			return &ValidationError{Fields: []FieldError{{Field: pe.Field, Message: pe.Message}}}
		}
		return err
	}
	plan.Params, plan.Script, plan.FileName = p, text, exchange.FileName(p)
	st.Mailbox = plan
	e.record("write mailbox scoping script ("+string(mode)+")", p.GroupAddress, nil)
	return nil
}

// leaveExchangePermissionsOutOfEntra updates the app so it no longer requests
// the Exchange permissions and revokes their grants, unless the consent step
// already ran with them left out.
func (e *Engine) leaveExchangePermissionsOutOfEntra(ctx context.Context) error {
	st := e.state
	if st.Consent != nil {
		stale := false
		for _, g := range st.Consent.Grants {
			stale = stale || (g.Granted && exchange.IsExchangeScoped(g.Permission.Value))
		}
		if !stale {
			return nil
		}
	}
	if st.App == nil || e.session == nil {
		return &graphops.Error{Kind: graphops.KindSignIn, Message: "Sign in again so the wizard can take the mail permissions off the app in Entra ID."}
	}
	spec, err := e.spec()
	if err != nil {
		return err
	}
	plan, err := e.ensurePlan(ctx)
	if err != nil {
		return err
	}
	_, err = e.session.EnsureApp(ctx, spec, plan)
	e.record("remove Exchange permissions from the app (RBAC for Applications)", st.App.AppID, err)
	if err != nil {
		return err
	}
	rep, err := e.revokeToSpec(ctx, spec, plan)
	if err != nil {
		return err
	}
	st.Consent = rep
	return nil
}

// revokeToSpec grants spec's permissions and revokes every other Graph grant
// of the app, reading the grants that exist (also on an app made in this run).
func (e *Engine) revokeToSpec(ctx context.Context, spec graphops.AppSpec, plan *graphops.Plan) (*graphops.ConsentReport, error) {
	st := e.state
	org := ""
	if st.Admin != nil {
		org = st.Admin.TenantName
	}
	rep, err := e.session.GrantAdminConsent(ctx, st.App.WithGrantsRead(), plan, spec.AppRoles, org, true)
	e.record("revoke Entra grants of Exchange permissions", st.App.AppID, err)
	return rep, err
}

// RemoveEntraGrants is the remedy Test Settings offers when, with RBAC for
// Applications, the app still holds Mail.* or Calendars.* in Entra ID
// (State.Test.Scoping.State == graphops.ScopingDefeated): it revokes the
// grants of every permission the RBAC spec leaves out, keeps the others, and
// returns what Entra holds now. It needs the signed-in session of this flow
// (New setup); call it between steps, then run Test Settings again.
func (e *Engine) RemoveEntraGrants(ctx context.Context) (*graphops.ConsentReport, error) {
	e.mu.Lock()
	sess, app, busy := e.session, e.state.App, e.busy
	e.mu.Unlock()
	if busy {
		return nil, ErrBusy
	}
	if sess == nil || app == nil {
		return nil, &graphops.Error{Kind: graphops.KindSignIn, Message: "Sign in again to remove the grant.",
			NextStep: "Or remove it in the Entra admin center: Enterprise applications > the app > Permissions."}
	}
	if e.scopingMode() != exchange.ModeRBAC {
		return nil, &graphops.Error{Kind: graphops.KindInput, Message: "Only RBAC for Applications needs the Entra grants removed."}
	}
	spec, err := e.spec()
	if err != nil {
		return nil, err
	}
	plan, err := e.ensurePlan(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := e.revokeToSpec(ctx, spec, plan)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.state.Consent = rep
	e.mu.Unlock()
	return rep, nil
}
