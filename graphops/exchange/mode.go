package exchange

import (
	"fmt"
	"strings"
)

// Mode is how the app's mailbox access is limited.
type Mode string

const (
	// ModeNone: no scoping; the app can reach every mailbox of the organisation.
	ModeNone Mode = "none"
	// ModeAccessPolicy: a mail-enabled security group and an application access
	// policy (New-ApplicationAccessPolicy), as the HelpMaster guide describes.
	ModeAccessPolicy Mode = "access-policy"
	// ModeRBAC: RBAC for Applications in Exchange Online (management scope and
	// role assignments); the Exchange permissions are not granted in Entra ID.
	ModeRBAC Mode = "rbac"
)

// Modes lists the modes in the order the screens show them.
func Modes() []Mode { return []Mode{ModeAccessPolicy, ModeRBAC, ModeNone} }

// ParseMode reads a mode as the CLI and saved progress spell it
// (access-policy, rbac, none; case and surrounding spaces ignored).
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeNone, ModeAccessPolicy, ModeRBAC:
		return m, nil
	}
	return "", &ParamError{Field: "scoping", Message: fmt.Sprintf("Mailbox scoping is access-policy, rbac or none, not %q.", s)}
}

// Scopes reports whether the mode limits the app to some mailboxes.
func (m Mode) Scopes() bool { return m == ModeAccessPolicy || m == ModeRBAC }

// exchangePermissions are the Microsoft Graph application permissions Exchange
// Online scopes, each with its RBAC for Applications role. Sources: Graph's
// "Limiting application permissions to specific Exchange Online mailboxes"
// (the permissions an access policy covers) and Exchange's "Role Based Access
// Control for Applications" (Supported Application Roles).
var exchangePermissions = []struct{ permission, role string }{
	{"Mail.Read", "Application Mail.Read"},
	{"Mail.ReadBasic", "Application Mail.ReadBasic"},
	{"Mail.ReadWrite", "Application Mail.ReadWrite"},
	{"Mail.Send", "Application Mail.Send"},
	{"MailboxSettings.Read", "Application MailboxSettings.Read"},
	{"MailboxSettings.ReadWrite", "Application MailboxSettings.ReadWrite"},
	{"Calendars.Read", "Application Calendars.Read"},
	{"Calendars.ReadWrite", "Application Calendars.ReadWrite"},
	{"Contacts.Read", "Application Contacts.Read"},
	{"Contacts.ReadWrite", "Application Contacts.ReadWrite"},
}

// RBACRole is the Exchange application role that grants a Graph application
// permission through RBAC for Applications ("Mail.Send" -> "Application
// Mail.Send"). ok is false for permissions Exchange does not scope.
func RBACRole(permission string) (role string, ok bool) {
	for _, x := range exchangePermissions {
		if strings.EqualFold(x.permission, permission) {
			return x.role, true
		}
	}
	return "", false
}

// IsExchangeScoped reports whether Exchange mailbox scoping covers the
// permission (Mail.*, Calendars.*, Contacts.*, MailboxSettings.*).
func IsExchangeScoped(permission string) bool {
	_, ok := RBACRole(permission)
	return ok
}

// Scoped is the permissions of appRoles that Exchange scoping covers, in
// their order, spelled as Exchange spells them.
func Scoped(appRoles []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range appRoles {
		for _, x := range exchangePermissions {
			if strings.EqualFold(x.permission, r) && !seen[x.permission] {
				seen[x.permission] = true
				out = append(out, x.permission)
			}
		}
	}
	return out
}

// EntraLeaveOut is the permissions of appRoles that must not be requested or
// granted in Entra ID in mode m. In RBAC mode that is every permission Exchange
// grants through an application role: Exchange adds Entra grants to its own
// (a union), so an Entra grant of Mail.Send lets the app send as every mailbox
// whatever the scope says. In the other modes nothing is left out: an access
// policy narrows the Entra grants, and without scoping they are the grant.
func EntraLeaveOut(m Mode, appRoles []string) []string {
	if m != ModeRBAC {
		return nil
	}
	return Scoped(appRoles)
}

// EntraKeep is appRoles less EntraLeaveOut(m, appRoles): what the wizard
// requests and consents to in Entra ID, in order.
func EntraKeep(m Mode, appRoles []string) []string {
	out := []string{}
	for _, r := range appRoles {
		if m == ModeRBAC && IsExchangeScoped(r) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// Delay is Exchange's own wording of how long a change takes to reach
// Microsoft Graph (RBAC for Applications, Limitations: "between 30 minutes and
// 2 hours"; access policies: "up to 30 minutes" in Graph's docs, longer seen).
const Delay = "30 minutes to 2 hours"

// Explanation is one way of limiting mailbox access in plain words, short
// enough for a screen beside the others and for the CLI.
type Explanation struct {
	Mode    Mode
	Title   string   // e.g. "Access policy (what the HelpMaster guide describes)"
	Summary string   // one sentence
	Points  []string // what it does, what it needs, one line each
	Warning string   // the one thing not to get wrong; may be empty
}

// Explain describes mode m for product (e.g. "HelpMaster") whose Exchange
// permissions are perms (e.g. Mail.Send, Mail.ReadWrite).
func Explain(m Mode, product string, perms []string) Explanation {
	if product == "" {
		product = "the app"
	}
	list := joinWords(perms)
	if list == "" {
		list = "its mail and calendar permissions"
	}
	switch m {
	case ModeAccessPolicy:
		return Explanation{Mode: m,
			Title:   "Access policy (what the " + product + " guide describes)",
			Summary: "A mail-enabled security group holds the mailboxes " + product + " may use, and an application access policy keeps the app inside that group.",
			Points: []string{
				product + " keeps " + list + " in Entra ID; the policy narrows them to the group's members.",
				"The script creates the group with the mailboxes you chose, then the policy, and tests each mailbox.",
				"To add or remove a mailbox later, change the group's members.",
				"Still supported, but Microsoft now recommends RBAC for Applications.",
				"Exchange takes " + Delay + " before Microsoft Graph follows a change.",
			}}
	case ModeRBAC:
		return Explanation{Mode: m,
			Title:   "RBAC for Applications (Microsoft's current way)",
			Summary: "Exchange itself gives " + product + " " + list + ", but only for the members of a mail-enabled security group.",
			Points: []string{
				"The script creates the group, a management scope over its members, and one role assignment per permission, then tests each mailbox.",
				"The wizard does not grant " + list + " in Entra ID, and removes such a grant if one exists.",
				"To add or remove a mailbox later, change the group's members.",
				"Needs an Exchange administrator (Organization Management).",
				"Exchange takes " + Delay + " before Microsoft Graph follows a change.",
			},
			Warning: "Never grant " + list + " in Entra ID as well: Exchange adds Entra grants to its own, so an Entra grant silently opens every mailbox again."}
	}
	return Explanation{Mode: ModeNone,
		Title:   "No scoping",
		Summary: product + " can send as and read every mailbox in your organisation.",
		Points: []string{
			"Nothing to run in Exchange.",
			"You can limit it later by running the wizard again.",
		},
		Warning: "Every mailbox, including the CEO's, is open to anyone who has the app's secret."}
}

// Choices is the explanations of every mode, side by side, in Modes order.
func Choices(product string, perms []string) []Explanation {
	var out []Explanation
	for _, m := range Modes() {
		out = append(out, Explain(m, product, perms))
	}
	return out
}

func joinWords(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
