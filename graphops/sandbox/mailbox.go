package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Exchange Online's view of a Graph call on a mailbox: which mailbox the path
// names, whether it exists, and whether the caller may reach it. The order of
// the checks and the error texts are Exchange's (GRAPH-FACTS §5.2).

// MailboxScopeKind is the Exchange mechanism that limits an app's mailboxes.
type MailboxScopeKind string

const (
	// ScopeAccessPolicy is an ApplicationAccessPolicy (New-ApplicationAccessPolicy,
	// the legacy mechanism seed 002 describes): it narrows what the app's Entra
	// application permission allows; without the Entra permission it grants nothing.
	ScopeAccessPolicy MailboxScopeKind = "ApplicationAccessPolicy"
	// ScopeRBAC is one RBAC for Applications role assignment
	// (New-ManagementRoleAssignment -App -Role -CustomResourceScope): it grants
	// one permission on the mailboxes of its scope, by itself, with no Entra
	// grant. Exchange grants access when EITHER the Entra app role OR an RBAC
	// assignment allows it, so an Entra grant defeats an RBAC scope (rbac.go).
	ScopeRBAC MailboxScopeKind = "RBACForApplications"
)

// Access rights of New-ApplicationAccessPolicy.
const (
	AccessRestrict = "RestrictAccess"
	AccessDeny     = "DenyAccess"
)

// Exchange texts, word for word. Sources: ErrorInvalidUser from Graph issue
// threads (microsoft-graph-docs#4097, microsoft-graph-explorer-v4#3293);
// ErrorSendAsDenied from the Graph docs "send mail from another user" example;
// the /me text from Graph's app-only answer to /me.
const (
	msgExchangeSendAsDenied = "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message."
	msgMeAppOnly            = "/me request is only valid with delegated authentication flow."
)

func msgExchangeInvalidUser(key string) string {
	return fmt.Sprintf("The requested user '%s' is invalid.", key)
}

// SetMailboxScope restricts app appID's application-permission access to the
// mailboxes of allowedUPNs, as New-ApplicationAccessPolicy -AccessRight
// RestrictAccess does. The change reaches Graph only after
// Behaviour.MailboxScopeLag (Exchange: 30 minutes to 2 hours); until then the
// previous scope (or none) applies. tenantID empty means the primary tenant.
func (s *Server) SetMailboxScope(tenantID, appID string, allowedUPNs []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.mailboxScopeTenant(tenantID)
	if err != nil {
		return err
	}
	ids := map[string]bool{}
	for _, upn := range allowedUPNs {
		u := t.UserByIDOrUPN(upn)
		if u == nil {
			return fmt.Errorf("sandbox: no user %q in tenant %s", upn, t.ID)
		}
		ids[u.ID] = true
	}
	s.replaceScope(t, policyKey(appID), &MailboxScope{Kind: ScopeAccessPolicy, AccessRight: AccessRestrict, AllowedUserIDs: ids})
	return nil
}

// SetMailboxScopeGroup scopes app appID to the members of a mail-enabled
// security group (by object id or mail), the way seed 002 sets the policy up
// (-PolicyScopeGroupId). Membership is read at each call, so adding a member to
// the group widens the scope. The same lag as SetMailboxScope applies.
func (s *Server) SetMailboxScopeGroup(tenantID, appID, group string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.mailboxScopeTenant(tenantID)
	if err != nil {
		return err
	}
	g, err := mailSecurityGroup(t, group)
	if err != nil {
		return err
	}
	s.replaceScope(t, policyKey(appID), &MailboxScope{Kind: ScopeAccessPolicy, AccessRight: AccessRestrict, GroupID: g.ID})
	return nil
}

// mailSecurityGroup finds a group by object id or mail and checks it is a
// mail-enabled security group, the only kind New-ApplicationAccessPolicy
// -PolicyScopeGroupId takes (and what the wizard's scripts make).
func mailSecurityGroup(t *Tenant, group string) (*Group, error) {
	var g *Group
	for _, x := range t.Groups {
		if strings.EqualFold(x.ID, group) || (x.Mail != "" && strings.EqualFold(x.Mail, group)) {
			g = x
		}
	}
	if g == nil {
		return nil, fmt.Errorf("sandbox: no group %q in tenant %s", group, t.ID)
	}
	if !g.MailEnabled || !g.SecurityEnabled {
		return nil, fmt.Errorf("sandbox: group %q is not a mail-enabled security group", group)
	}
	return g, nil
}

// policyKey is where app appID's application access policy lives in
// Tenant.MailboxScope: under the lower-cased appId. RBAC role assignments
// live beside it under rbacKey.
func policyKey(appID string) string { return strings.ToLower(appID) }

// ClearMailboxScope removes app appID's mailbox scope (Remove-ApplicationAccessPolicy).
// Like setting one, removal reaches Graph only after Behaviour.MailboxScopeLag.
func (s *Server) ClearMailboxScope(tenantID, appID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.mailboxScopeTenant(tenantID)
	if err != nil {
		return err
	}
	if s.behaviour.MailboxScopeLag <= 0 {
		delete(t.MailboxScope, policyKey(appID))
		return nil
	}
	s.replaceScope(t, policyKey(appID), &MailboxScope{Kind: ScopeAccessPolicy, Removed: true})
	return nil
}

// mailboxScopeTenant resolves a tenant id or domain ("" = primary). Callers hold s.mu.
func (s *Server) mailboxScopeTenant(id string) (*Tenant, error) {
	if id == "" {
		return s.order[0], nil
	}
	if t := s.tenantByKey(id); t != nil {
		return t, nil
	}
	return nil, fmt.Errorf("sandbox: no tenant %q", id)
}

// replaceScope installs next under key (policyKey or rbacKey), active after the
// configured lag, with the scope in force now kept as Previous until then.
// Callers hold s.mu.
func (s *Server) replaceScope(t *Tenant, key string, next *MailboxScope) {
	now := time.Now()
	next.ActiveAfter = now.Add(s.behaviour.MailboxScopeLag)
	next.Previous = t.MailboxScope[key].inForce(now)
	if next.Previous != nil {
		next.Previous.Previous = nil // only one step back is ever needed
	}
	t.MailboxScope[key] = next
}

// inForce is the scope that applies at now: this one once active, otherwise the
// one it replaces. Nil means the app is not scoped.
func (m *MailboxScope) inForce(now time.Time) *MailboxScope {
	for sc := m; sc != nil; sc = sc.Previous {
		if !now.Before(sc.ActiveAfter) {
			if sc.Removed {
				return nil
			}
			return sc
		}
	}
	return nil
}

// covers reports whether u is inside the scope's set of mailboxes.
func (m *MailboxScope) covers(t *Tenant, u *User) bool {
	if m.GroupID != "" {
		g := t.Groups[m.GroupID]
		if g == nil {
			return false
		}
		for _, id := range g.Members {
			if id == u.ID {
				return true
			}
		}
		return false
	}
	return m.AllowedUserIDs[u.ID]
}

// appMailboxAccess decides whether an app-only call needing one of the
// application permissions in need may reach u's mailbox. Exchange grants access
// when EITHER source allows it (Exchange, "Role Based Access Control for
// Applications", FAQ: "the assigned permissions are a union operation"):
//
//  1. the Entra application permission in the token's roles, narrowed by an
//     ApplicationAccessPolicy when one is in force for the app (access
//     policies constrain ONLY the Entra grants);
//  2. an RBAC for Applications role assignment whose scope covers the mailbox
//     (rbacGrants).
//
// This is why, with RBAC for Applications, the mail permissions must not also
// be granted in Entra: the Entra grant alone opens every mailbox. When access
// is refused, msg is Exchange's text: the access policy's [RAOP] sentence when
// an Entra grant was narrowed away, "Access is denied" when only RBAC could
// have allowed it. Callers hold s.mu.
func (s *Server) appMailboxAccess(t *Tenant, appID string, roles, need []string, u *User, now time.Time) (ok bool, msg string) {
	entra := wlHasAnyFold(roles, need)
	if entra {
		sc := t.MailboxScope[policyKey(appID)].inForce(now)
		if sc == nil || sc.Kind != ScopeAccessPolicy {
			return true, ""
		}
		in := sc.covers(t, u)
		if sc.AccessRight == AccessDeny {
			in = !in
		}
		if in {
			return true, ""
		}
	}
	if s.rbacGrants(t, appID, need, u, now) {
		return true, ""
	}
	if entra {
		return false, msgMailboxPolicyDenied
	}
	return false, msgMailAccessDenied
}

func wlHasAnyFold(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}

// mailboxOwner resolves the mailbox a request addresses: the {user} path value
// (an id or userPrincipalName), or the signed-in user for /me routes. It answers
// the request itself with Exchange's error and returns nil when the call cannot
// go on. need lists the permissions of the API (for the app-only scope check).
func (q *Req) mailboxOwner(need Perm) (*User, *Mailbox) {
	var u *User
	key := q.R.PathValue("user")
	switch {
	case key == "" && q.User == nil:
		q.Error(http.StatusBadRequest, "BadRequest", msgMeAppOnly)
		return nil, nil
	case key == "":
		u = q.User
	default:
		_, k := q.Key("user")
		u = q.T.UserByIDOrUPN(k)
		if u == nil {
			q.Error(http.StatusNotFound, "ErrorInvalidUser", msgExchangeInvalidUser(k))
			return nil, nil
		}
	}
	if u.Mailbox == MailboxNone {
		q.Error(http.StatusNotFound, "MailboxNotEnabledForRESTAPI", msgMailboxNotEnabled)
		return nil, nil
	}
	if q.User != nil && q.User != u {
		// Delegated access to someone else's mailbox needs folder permissions or
		// Send As rights the sandbox does not model.
		q.Error(http.StatusForbidden, "ErrorAccessDenied", msgMailAccessDenied)
		return nil, nil
	}
	if q.User == nil {
		if ok, msg := q.S.appMailboxAccess(q.T, q.Claims.AppID, q.Claims.Roles, need.Application, u, time.Now()); !ok {
			q.Error(http.StatusForbidden, "ErrorAccessDenied", msg)
			return nil, nil
		}
	}
	mb := q.T.Mailboxes[u.ID]
	if mb == nil {
		mb = &Mailbox{}
		q.T.Mailboxes[u.ID] = mb
	}
	return u, mb
}

// newItemID hands out the next Exchange item id of the mailbox.
func (mb *Mailbox) newItemID(owner *User) string {
	mb.seq++
	return messageID(owner.ID, mb.seq)
}
