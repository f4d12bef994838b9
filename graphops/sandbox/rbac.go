package sandbox

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"m365wizard/graphops/exchange"
)

// Exchange Online's side of mailbox scoping as the wizard's scripts set it up
// (graphops/exchange): the mail-enabled security group, the application access
// policy, and RBAC for Applications. Exchange PowerShell has no Graph surface,
// so tests and the product's --sandbox walk-through "run" a script through
// these methods; what Graph then answers is decided in mailbox.go.
//
// An RBAC role assignment is one object per app and permission (as
// New-ManagementRoleAssignment makes one per role), kept in Tenant.MailboxScope
// under rbacKey with Kind ScopeRBAC and the scope's group. Like an access
// policy it reaches Graph only after Behaviour.MailboxScopeLag (Exchange:
// "between 30 minutes and 2 hours", RBAC for Applications, Limitations).

// rbacKey is where app appID's role assignment for one permission lives in
// Tenant.MailboxScope.
func rbacKey(appID, permission string) string {
	return "rbac/" + strings.ToLower(appID) + "/" + strings.ToLower(permission)
}

// rbacPermission reads "Application Mail.Send" or "Mail.Send" as the Graph
// permission the role grants. Exchange's two bundle roles grant several.
func rbacPermissions(role string) ([]string, error) {
	r := strings.TrimSpace(role)
	switch strings.ToLower(r) {
	case "application mail full access":
		return []string{"Mail.ReadWrite", "Mail.Send"}, nil
	case "application exchange full access":
		return []string{"Mail.ReadWrite", "Mail.Send", "MailboxSettings.ReadWrite", "Calendars.ReadWrite", "Contacts.ReadWrite"}, nil
	}
	perm := r
	if len(r) > len("Application ") && strings.EqualFold(r[:len("Application ")], "Application ") {
		perm = r[len("Application "):]
	}
	if _, ok := exchange.RBACRole(perm); !ok {
		return nil, fmt.Errorf("sandbox: %q is not an Exchange application role", role)
	}
	for _, p := range []string{"Mail.Read", "Mail.ReadBasic", "Mail.ReadWrite", "Mail.Send", "MailboxSettings.Read",
		"MailboxSettings.ReadWrite", "Calendars.Read", "Calendars.ReadWrite", "Contacts.Read", "Contacts.ReadWrite"} {
		if strings.EqualFold(p, perm) {
			return []string{p}, nil
		}
	}
	return []string{perm}, nil
}

// CreateMailSecurityGroup is New-DistributionGroup -Type Security: a
// mail-enabled security group called name at address, with the users members
// (UPNs, mail addresses or ids) as direct members. When a group with that
// address exists already, the missing members are added to it, as the
// generated script does on a second run; a group at that address that is not a
// mail-enabled security group is an error. It returns the group's object id.
// The group appears in Graph's /groups at once (Exchange-made groups sync to
// Entra ID; the sandbox does not model that delay). tenantID empty means the
// primary tenant.
func (s *Server) CreateMailSecurityGroup(tenantID, name, address string, members []string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.mailboxScopeTenant(tenantID)
	if err != nil {
		return "", err
	}
	return createMailSecurityGroup(t, name, address, members)
}

func createMailSecurityGroup(t *Tenant, name, address string, members []string) (string, error) {
	if strings.TrimSpace(name) == "" || !strings.Contains(address, "@") {
		return "", fmt.Errorf("sandbox: a mail-enabled security group needs a name and an address")
	}
	var ids []string
	for _, m := range members {
		u := t.userByAddress(m)
		if u == nil {
			return "", fmt.Errorf("sandbox: no recipient %q in tenant %s", m, t.ID)
		}
		ids = append(ids, u.ID)
	}
	for _, g := range t.Groups {
		if g.Mail != "" && strings.EqualFold(g.Mail, address) {
			if !g.MailEnabled || !g.SecurityEnabled {
				return "", fmt.Errorf("sandbox: %s exists but is not a mail-enabled security group", address)
			}
			for _, id := range ids {
				if !containsFold(g.Members, id) {
					g.Members = append(g.Members, id)
				}
			}
			return g.ID, nil
		}
	}
	alias, _, _ := strings.Cut(address, "@")
	g := &Group{ID: uuid.NewString(), DisplayName: name, Mail: address, MailNickname: alias, MailEnabled: true,
		SecurityEnabled: true, GroupTypes: []string{}, CreatedDateTime: time.Now().UTC()}
	for _, id := range ids {
		if !containsFold(g.Members, id) {
			g.Members = append(g.Members, id)
		}
	}
	t.Groups[g.ID] = g
	return g.ID, nil
}

// userByAddress finds a recipient by id, UPN or primary mail address.
func (t *Tenant) userByAddress(key string) *User {
	if u := t.UserByIDOrUPN(key); u != nil {
		return u
	}
	for _, u := range t.Users {
		if u.Mail != "" && strings.EqualFold(u.Mail, key) {
			return u
		}
	}
	return nil
}

// ApplyAccessPolicy is what the generated access-policy script does: the
// group (CreateMailSecurityGroup) and New-ApplicationAccessPolicy -AppId appID
// -PolicyScopeGroupId groupAddress -AccessRight RestrictAccess. The app keeps
// its Entra grants; the policy narrows them to the group's members after
// Behaviour.MailboxScopeLag.
func (s *Server) ApplyAccessPolicy(tenantID, appID, groupName, groupAddress string, members []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.mailboxScopeTenant(tenantID)
	if err != nil {
		return err
	}
	id, err := createMailSecurityGroup(t, groupName, groupAddress, members)
	if err != nil {
		return err
	}
	s.replaceScope(t, policyKey(appID), &MailboxScope{Kind: ScopeAccessPolicy, AccessRight: AccessRestrict, GroupID: id})
	return nil
}

// AssignRBAC is what the generated RBAC script does after making the group:
// New-ServicePrincipal (the app must have a service principal in Entra ID, as
// Exchange refuses a pointer to nothing), a management scope
// "MemberOfGroup -eq '<group DN>'" over group (object id or address; direct
// members only, as Exchange documents), and New-ManagementRoleAssignment for
// each role ("Application Mail.Send", or plainly "Mail.Send"). From then on,
// after Behaviour.MailboxScopeLag, Exchange lets the app use those permissions
// on the group's members without any Entra grant, and an Entra grant of the
// same permission still opens every mailbox (the union rule).
func (s *Server) AssignRBAC(tenantID, appID, group string, roles []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.mailboxScopeTenant(tenantID)
	if err != nil {
		return err
	}
	if t.SPByAppID(appID) == nil {
		return fmt.Errorf("sandbox: New-ServicePrincipal: no service principal for app %s in tenant %s", appID, t.ID)
	}
	g, err := mailSecurityGroup(t, group)
	if err != nil {
		return err
	}
	if len(roles) == 0 {
		return fmt.Errorf("sandbox: no role to assign")
	}
	var perms []string
	for _, r := range roles {
		ps, err := rbacPermissions(r)
		if err != nil {
			return err
		}
		perms = append(perms, ps...)
	}
	for _, p := range perms {
		s.replaceScope(t, rbacKey(appID, p), &MailboxScope{Kind: ScopeRBAC, GroupID: g.ID})
	}
	return nil
}

// RemoveRBAC removes every RBAC role assignment of appID
// (Remove-ManagementRoleAssignment); Graph follows after the lag.
func (s *Server) RemoveRBAC(tenantID, appID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.mailboxScopeTenant(tenantID)
	if err != nil {
		return err
	}
	prefix := "rbac/" + strings.ToLower(appID) + "/"
	for k := range t.MailboxScope {
		if strings.HasPrefix(k, prefix) {
			s.replaceScope(t, k, &MailboxScope{Kind: ScopeRBAC, Removed: true})
		}
	}
	return nil
}

// rbacGrants is the RBAC for Applications half of appMailboxAccess: whether a
// role assignment of appID in force now grants one of need on u's mailbox.
// Callers hold s.mu.
func (s *Server) rbacGrants(t *Tenant, appID string, need []string, u *User, now time.Time) bool {
	for _, p := range need {
		if sc := t.MailboxScope[rbacKey(appID, p)].inForce(now); sc != nil && sc.covers(t, u) {
			return true
		}
	}
	return false
}

// rbacAssigned reports whether appID holds, now, an RBAC role assignment for
// one of need on any mailbox. serveGraph lets such an app's Exchange calls past
// the Entra role check (its token carries no mail role); mailboxOwner then
// decides per mailbox. Callers hold s.mu.
func (s *Server) rbacAssigned(t *Tenant, appID string, need []string, now time.Time) bool {
	for _, p := range need {
		if sc := t.MailboxScope[rbacKey(appID, p)].inForce(now); sc != nil {
			return true
		}
	}
	return false
}

// RBACAuthorization is one line of Test-ServicePrincipalAuthorization.
type RBACAuthorization struct {
	RoleName           string // e.g. "Application Mail.Send"
	GrantedPermissions string // e.g. "Mail.Send"
	InScope            bool   // the resource mailbox is in the assignment's scope
}

// TestServicePrincipalAuthorization is Test-ServicePrincipalAuthorization
// -Identity appID -Resource mailbox: the app's RBAC assignments and whether
// each covers the mailbox. Like the cmdlet it skips Exchange's cache (the
// newest assignments count, lag or not) and ignores Entra grants.
func (s *Server) TestServicePrincipalAuthorization(tenantID, appID, mailbox string) ([]RBACAuthorization, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.mailboxScopeTenant(tenantID)
	if err != nil {
		return nil, err
	}
	u := t.userByAddress(mailbox)
	if u == nil {
		return nil, fmt.Errorf("sandbox: no recipient %q in tenant %s", mailbox, t.ID)
	}
	prefix := "rbac/" + strings.ToLower(appID) + "/"
	var out []RBACAuthorization
	for k, sc := range t.MailboxScope {
		if !strings.HasPrefix(k, prefix) || sc.Removed {
			continue
		}
		perm, _ := rbacPermissions(k[len(prefix):])
		role, _ := exchange.RBACRole(perm[0])
		out = append(out, RBACAuthorization{RoleName: role, GrantedPermissions: perm[0], InScope: sc.covers(t, u)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RoleName < out[j].RoleName })
	return out, nil
}

// ApplyMailboxScript "runs" a script the wizard generated from p
// (graphops/exchange) against the sandbox tenant: the group with p.Mailboxes,
// then the access policy (ModeAccessPolicy) or the RBAC role assignments for
// p.Permissions (ModeRBAC). It is what the product's --sandbox walk-through
// does where a real admin would run the .ps1 in Exchange Online PowerShell.
// Graph follows after Behaviour.MailboxScopeLag. The Entra side is left as it
// is: in RBAC mode an Entra grant of the same permission defeats the scope,
// exactly as in Exchange.
func (s *Server) ApplyMailboxScript(tenantID string, p exchange.Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	switch p.Mode {
	case exchange.ModeAccessPolicy:
		return s.ApplyAccessPolicy(tenantID, p.AppID, p.GroupName, p.GroupAddress, p.Mailboxes)
	case exchange.ModeRBAC:
		if _, err := s.CreateMailSecurityGroup(tenantID, p.GroupName, p.GroupAddress, p.Mailboxes); err != nil {
			return err
		}
		return s.AssignRBAC(tenantID, p.AppID, p.GroupAddress, p.Permissions)
	}
	return fmt.Errorf("sandbox: no script for mode %q", p.Mode)
}
