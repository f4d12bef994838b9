package exchange

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Params is what a script needs: the admin's real values, typed. Nothing in
// it is secret.
type Params struct {
	Mode               Mode
	AdminUPN           string   // signs in to Exchange Online (Connect-ExchangeOnline -UserPrincipalName)
	AppDisplayName     string   // the app's name (New-ServicePrincipal -DisplayName)
	AppID              string   // Application (client) ID
	ServicePrincipalID string   // the service principal's object ID (Enterprise applications); RBAC only
	GroupName          string   // the mail-enabled security group's name (up to 64 characters)
	GroupAlias         string   // its Exchange alias (mail nickname)
	GroupAddress       string   // its primary SMTP address
	Mailboxes          []string // the mailboxes the product may use: the group's members
	OutsideMailbox     string   // optional: a mailbox that must be refused, tested at the end
	Permissions        []string // the Exchange permissions the product uses (Mail.Send, Mail.ReadWrite, Calendars.ReadWrite, ...)
	Description        string   // access policy description; a plain default when empty
	ScopeName          string   // RBAC management scope name; "Mailboxes of app <AppID>" when empty
}

// ParamError is a value a script cannot be made from. Field names the
// parameter (as the CLI flag would), Message says what to do.
type ParamError struct {
	Field   string
	Message string
}

func (e *ParamError) Error() string { return e.Message }

// Limits Exchange sets (New-DistributionGroup -Name and -Alias, and
// New-ManagementRoleAssignment -Name: 64 characters each).
const (
	maxName  = 64
	maxAlias = 64
)

// WithDefaults fills what the admin left empty: the group's name
// ("<app> mailboxes"), alias ("<App>App", the guide's example
// HelpMasterApp@YourDomain.com) and address at domain (the tenant's default
// domain), the description and the scope name. It only fills; Validate checks.
func (p Params) WithDefaults(domain string) Params {
	app := strings.TrimSpace(p.AppDisplayName)
	if p.GroupAlias == "" && p.GroupAddress != "" {
		p.GroupAlias, _, _ = strings.Cut(p.GroupAddress, "@")
	}
	if p.GroupAlias == "" {
		var b strings.Builder
		for _, r := range app {
			if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				b.WriteRune(r)
			}
		}
		alias := b.String()
		if alias == "" {
			alias = "M365Wizard"
		}
		if len(alias) > maxAlias-3 {
			alias = alias[:maxAlias-3]
		}
		p.GroupAlias = alias + "App"
	}
	if p.GroupAddress == "" && domain != "" {
		p.GroupAddress = p.GroupAlias + "@" + domain
	}
	if p.GroupName == "" {
		name := app
		if name == "" {
			name = "App"
		}
		p.GroupName = truncateRunes(name, maxName-len(" mailboxes")) + " mailboxes"
	}
	if p.Description == "" {
		p.Description = "Restricts " + strings.TrimSpace(app+" app") + " to the mailboxes in the mail-enabled security group " + p.GroupAddress + "."
		if app == "" {
			p.Description = "Restricts the app to the mailboxes in the mail-enabled security group " + p.GroupAddress + "."
		}
	}
	if p.ScopeName == "" && p.AppID != "" {
		p.ScopeName = "Mailboxes of app " + p.AppID
	}
	return p
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n]))
}

// Validate checks p for the script of its mode. It refuses empty required
// values, control characters (line breaks included) anywhere, names over
// Exchange's limits, addresses that are not plain addresses, and permissions
// Exchange does not scope. Quotes, spaces, $, backticks and non-ASCII letters
// are fine: Quote takes care of them.
func (p Params) Validate() error {
	bad := func(field, msg string) error { return &ParamError{Field: field, Message: msg} }
	if !p.Mode.Scopes() {
		return bad("scoping", "No script for mailbox scoping "+string(p.Mode)+": choose access-policy or rbac.")
	}
	all := []struct{ field, v string }{
		{"admin", p.AdminUPN}, {"app-name", p.AppDisplayName}, {"client-id", p.AppID},
		{"service-principal", p.ServicePrincipalID}, {"group-name", p.GroupName}, {"group-alias", p.GroupAlias},
		{"group-address", p.GroupAddress}, {"outside-mailbox", p.OutsideMailbox}, {"description", p.Description},
		{"scope-name", p.ScopeName},
	}
	for _, m := range p.Mailboxes {
		all = append(all, struct{ field, v string }{"mailbox", m})
	}
	for _, x := range all {
		if !utf8.ValidString(x.v) {
			return bad(x.field, "The "+x.field+" value is not valid text (UTF-8).")
		}
		if strings.ContainsFunc(x.v, unicode.IsControl) {
			return bad(x.field, "The "+x.field+" value contains a line break or another control character; remove it.")
		}
	}
	switch {
	case strings.TrimSpace(p.AdminUPN) == "":
		return bad("admin", "The script needs the administrator who runs it (Connect-ExchangeOnline -UserPrincipalName).")
	case !plainAddress(p.AdminUPN):
		return bad("admin", "The administrator's sign-in name must be an address like admin@contoso.com.")
	case strings.TrimSpace(p.AppID) == "":
		return bad("client-id", "The script needs the app's Application (client) ID.")
	case p.Mode == ModeRBAC && strings.TrimSpace(p.ServicePrincipalID) == "":
		return bad("service-principal", "RBAC for Applications needs the app's service principal object ID (Enterprise applications).")
	case p.Mode == ModeRBAC && strings.TrimSpace(p.AppDisplayName) == "":
		return bad("app-name", "RBAC for Applications needs the app's display name.")
	case strings.TrimSpace(p.GroupName) == "":
		return bad("group-name", "Name the mail-enabled security group.")
	case utf8.RuneCountInString(p.GroupName) > maxName:
		return bad("group-name", fmt.Sprintf("The group's name is longer than the %d characters Exchange allows.", maxName))
	case !plainAddress(p.GroupAddress):
		return bad("group-address", "The group's email address must be a plain address like HelpMasterApp@contoso.com.")
	case p.OutsideMailbox != "" && !plainAddress(p.OutsideMailbox):
		return bad("outside-mailbox", "The mailbox outside the group must be a plain address.")
	case len(p.Mailboxes) == 0:
		return bad("mailbox", "Choose at least one mailbox the app may use.")
	}
	if err := validAlias(p.GroupAlias); err != "" {
		return bad("group-alias", err)
	}
	seen := map[string]bool{}
	for _, m := range p.Mailboxes {
		if !plainAddress(m) {
			return bad("mailbox", fmt.Sprintf("%q is not a plain mailbox address like helpdesk@contoso.com.", m))
		}
		k := strings.ToLower(m)
		if seen[k] {
			return bad("mailbox", fmt.Sprintf("%s is chosen twice.", m))
		}
		seen[k] = true
		if p.OutsideMailbox != "" && strings.EqualFold(m, p.OutsideMailbox) {
			return bad("outside-mailbox", "The mailbox that must be refused is one of the chosen mailboxes.")
		}
	}
	if p.Mode == ModeRBAC {
		if len(p.Permissions) == 0 {
			return bad("permissions", "RBAC for Applications needs the permissions to assign (for example Mail.Send).")
		}
		if strings.TrimSpace(p.ScopeName) == "" {
			return bad("scope-name", "Name the management scope.")
		}
		if utf8.RuneCountInString(p.ScopeName) > maxName {
			return bad("scope-name", fmt.Sprintf("The management scope's name is longer than the %d characters Exchange allows.", maxName))
		}
		for _, perm := range p.Permissions {
			if !IsExchangeScoped(perm) {
				return bad("permissions", perm+" is not an Exchange permission RBAC for Applications can scope.")
			}
			if n := utf8.RuneCountInString(assignmentName(perm, p.AppID)); n > maxName {
				return bad("client-id", "The Application (client) ID is too long for a role assignment name.")
			}
		}
	}
	return nil
}

// plainAddress: one @ with text on both sides, no spaces or quotes of any kind.
func plainAddress(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.Contains(domain, "@") &&
		!strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '<' || r == '>' }) &&
		strings.Contains(domain, ".")
}

// validAlias follows New-DistributionGroup -Alias: letters, digits,
// !#%*+-/=?^_~$&'`{|}, U+00A1 to U+00FF, and dots between other characters.
func validAlias(a string) string {
	switch {
	case a == "":
		return "The group needs an alias (the part before the @ of its address)."
	case len(a) > maxAlias:
		return fmt.Sprintf("The group's alias is longer than the %d characters Exchange allows.", maxAlias)
	case strings.HasPrefix(a, ".") || strings.HasSuffix(a, ".") || strings.Contains(a, ".."):
		return "A dot in the group's alias must stand between other characters."
	}
	for _, r := range a {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.':
		case strings.ContainsRune("!#%*+-/=?^_~$&'`{|}", r):
		case r >= 0xa1 && r <= 0xff:
		default:
			return fmt.Sprintf("The group's alias cannot contain %q.", r)
		}
	}
	return ""
}

// assignmentName is the role assignment's name: the permission and the app,
// unique per app and permission, so running the script again finds it.
func assignmentName(permission, appID string) string { return permission + " " + appID }

// FileName is a name to save the script under.
func FileName(p Params) string { return "mailbox-access-" + string(p.Mode) + ".ps1" }

// Script is the script for p as text with LF line endings, for the screen and
// the clipboard. It validates p first.
func Script(p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	w := &scriptWriter{}
	switch p.Mode {
	case ModeAccessPolicy:
		w.accessPolicy(p)
	case ModeRBAC:
		w.rbac(p)
	}
	return w.String(), nil
}

// PS1 is the script for p as the bytes of a .ps1 file (EncodePS1).
func PS1(p Params) ([]byte, error) {
	s, err := Script(p)
	if err != nil {
		return nil, err
	}
	return EncodePS1(s), nil
}

// BOM is the UTF-8 byte order mark that makes Windows PowerShell 5.1 read a
// script as UTF-8 (without it, 5.1 uses the ANSI code page and "Zoë" becomes
// "ZoÃ«"). PowerShell 7 reads files with or without it.
const BOM = "\ufeff"

// EncodePS1 turns script text into .ps1 bytes both Windows PowerShell 5.1 and
// PowerShell 7 read the same: UTF-8 with a byte order mark, CRLF line endings
// (the Windows norm; Notepad and ISE show them right), ending with a line break.
func EncodePS1(script string) []byte {
	s := strings.TrimPrefix(script, BOM)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return []byte(BOM + strings.ReplaceAll(s, "\n", "\r\n"))
}

type scriptWriter struct{ strings.Builder }

func (w *scriptWriter) line(parts ...string) {
	for _, p := range parts {
		w.WriteString(p)
	}
	w.WriteByte('\n')
}

// lines writes a block of fixed script text; a leading line break leaves a
// blank line before it, except at the very start.
func (w *scriptWriter) lines(text string) {
	if w.Len() == 0 {
		text = strings.TrimPrefix(text, "\n")
	}
	w.WriteString(text)
}

func (w *scriptWriter) assign(name, value string) { w.line("$", name, " = ", Quote(value)) }

func (w *scriptWriter) list(name string, values []string) {
	w.line("$", name, " = @(")
	for _, v := range values {
		w.line("    ", Quote(v))
	}
	w.line(")")
}

// header: comments (fixed text only, never a value), the module check, the
// sign-in, and stop-on-error.
func (w *scriptWriter) header(p Params, about string) {
	w.lines(about)
	w.lines(`# Run it in Windows PowerShell 5.1 or PowerShell 7 with the ExchangeOnlineManagement
# module (Install-Module ExchangeOnlineManagement). It is safe to run again.
#Requires -Modules ExchangeOnlineManagement

`)
	w.line("Connect-ExchangeOnline -UserPrincipalName ", Quote(p.AdminUPN))
	w.lines(`
$ErrorActionPreference = 'Stop'

# The values M365 Setup Wizard chose. Text in single quotes is taken literally.
`)
}

func (w *scriptWriter) values(p Params) {
	w.assign("AppId", p.AppID)
	if p.Mode == ModeRBAC {
		w.assign("ServicePrincipalId", p.ServicePrincipalID)
	}
	w.assign("AppName", p.AppDisplayName)
	w.assign("GroupName", p.GroupName)
	w.assign("GroupAlias", p.GroupAlias)
	w.assign("GroupAddress", p.GroupAddress)
	w.list("Mailboxes", p.Mailboxes)
	if p.OutsideMailbox != "" {
		w.assign("OutsideMailbox", p.OutsideMailbox)
	}
}

// group: find or create the mail-enabled security group (New-DistributionGroup
// -Type Security) and make the chosen mailboxes members.
func (w *scriptWriter) group() {
	w.lines(`
# The mail-enabled security group, with the chosen mailboxes as its members.
$group = $null
try { $group = Get-DistributionGroup -Identity $GroupAddress -ErrorAction Stop } catch { $group = $null }
if ($null -eq $group) {
    $group = New-DistributionGroup -Name $GroupName -Alias $GroupAlias -PrimarySmtpAddress $GroupAddress -Type Security -Members $Mailboxes
    Write-Host ('Created the group ' + $GroupAddress)
} else {
    if ([string]$group.RecipientTypeDetails -ne 'MailUniversalSecurityGroup') {
        throw ($GroupAddress + ' exists but is not a mail-enabled security group. Choose another group address in M365 Setup Wizard.')
    }
    $members = @(Get-DistributionGroupMember -Identity $group.Identity -ResultSize Unlimited | ForEach-Object { [string]$_.PrimarySmtpAddress })
    foreach ($mailbox in $Mailboxes) {
        if ($members -notcontains $mailbox) {
            try {
                Add-DistributionGroupMember -Identity $group.Identity -Member $mailbox -BypassSecurityGroupManagerCheck -ErrorAction Stop
                Write-Host ('Added ' + $mailbox + ' to the group')
            } catch {
                Write-Warning ($mailbox + ': ' + $_.Exception.Message)
            }
        }
    }
}
`)
}

func (w *scriptWriter) accessPolicy(p Params) {
	w.header(p, `
# M365 Setup Wizard: limit an app to chosen mailboxes with an application access
# policy (steps 4 and 5 of the HelpMaster guide). A mail-enabled security group
# holds the mailboxes; the policy lets the app's Microsoft Graph permissions
# reach only the group's members. The app keeps its permissions in Entra ID.
`)
	w.values(p)
	w.assign("Description", p.Description)
	w.group()
	w.lines(`
# The application access policy: the app may reach only the group's members.
try {
    New-ApplicationAccessPolicy -AppId $AppId -PolicyScopeGroupId $GroupAddress -AccessRight RestrictAccess -Description $Description -ErrorAction Stop | Out-Null
    Write-Host 'Created the application access policy.'
} catch {
    if ($_.Exception.Message -like '*already exist*') { Write-Host 'The application access policy exists already.' } else { throw }
}

# Check: each chosen mailbox should show AccessCheckResult Granted.
foreach ($mailbox in $Mailboxes) {
    Test-ApplicationAccessPolicy -Identity $mailbox -AppId $AppId | Format-List
}
`)
	if p.OutsideMailbox != "" {
		w.lines(`
# And a mailbox outside the group should show Denied.
Test-ApplicationAccessPolicy -Identity $OutsideMailbox -AppId $AppId | Format-List
`)
	}
	w.lines(`
Write-Host 'Done. Microsoft Graph follows in 30 minutes to 2 hours: then press Test Settings again in M365 Setup Wizard (or run: m365wizard test).'
`)
}

func (w *scriptWriter) rbac(p Params) {
	w.header(p, `
# M365 Setup Wizard: limit an app to chosen mailboxes with RBAC for Applications
# in Exchange Online. Exchange itself gives the app its mail and calendar
# permissions, only for the members of a mail-enabled security group.
# Do NOT grant these permissions in Microsoft Entra ID as well: Exchange adds
# Entra grants to its own, and an Entra grant opens every mailbox again.
# Needs an Exchange administrator (Organization Management).
`)
	w.values(p)
	w.assign("ScopeName", p.ScopeName)
	w.line("$Assignments = @(")
	for _, perm := range p.Permissions {
		role, _ := RBACRole(perm)
		w.line("    @{ Role = ", Quote(role), "; Name = ", Quote(assignmentName(perm, p.AppID)), " }")
	}
	w.line(")")
	w.group()
	w.lines(`
# The management scope: the group's direct members. Its filter names the group
# by its distinguished name, read here from Exchange; quotes in it are doubled.
$groupDN = [string]$group.DistinguishedName
if ([string]::IsNullOrEmpty($groupDN)) { $groupDN = [string](Get-DistributionGroup -Identity $GroupAddress).DistinguishedName }
$filter = "MemberOfGroup -eq '" + ($groupDN -replace '([\u0027\u2018\u2019\u201A\u201B])', '$1$1') + "'"
$scope = $null
try { $scope = Get-ManagementScope -Identity $ScopeName -ErrorAction Stop } catch { $scope = $null }
if ($null -eq $scope) {
    New-ManagementScope -Name $ScopeName -RecipientRestrictionFilter $filter | Out-Null
    Write-Host ('Created the management scope ' + $ScopeName)
} else {
    Set-ManagementScope -Identity $ScopeName -RecipientRestrictionFilter $filter
}

# Exchange's pointer to the app's service principal (Entra ID, Enterprise applications).
$sp = $null
try { $sp = Get-ServicePrincipal -Identity $ServicePrincipalId -ErrorAction Stop } catch { $sp = $null }
if ($null -eq $sp) {
    New-ServicePrincipal -AppId $AppId -ObjectId $ServicePrincipalId -DisplayName $AppName | Out-Null
    Write-Host 'Created the service principal in Exchange.'
}

# One role assignment per permission, limited to the management scope.
foreach ($assignment in $Assignments) {
    $existing = $null
    try { $existing = Get-ManagementRoleAssignment -Identity $assignment.Name -ErrorAction Stop } catch { $existing = $null }
    if ($null -eq $existing) {
        New-ManagementRoleAssignment -Name $assignment.Name -App $ServicePrincipalId -Role $assignment.Role -CustomResourceScope $ScopeName | Out-Null
        Write-Host ('Assigned ' + $assignment.Role)
    }
}

# Check (this test skips Exchange's cache): InScope should be True for each role on each chosen mailbox.
foreach ($mailbox in $Mailboxes) {
    Test-ServicePrincipalAuthorization -Identity $ServicePrincipalId -Resource $mailbox | Format-Table RoleName, AllowedResourceScope, InScope -AutoSize
}
`)
	if p.OutsideMailbox != "" {
		w.lines(`
# And False on a mailbox outside the group.
Test-ServicePrincipalAuthorization -Identity $ServicePrincipalId -Resource $OutsideMailbox | Format-Table RoleName, AllowedResourceScope, InScope -AutoSize
`)
	}
	w.lines(`
Write-Host 'Done. Microsoft Graph follows in 30 minutes to 2 hours: then press Test Settings again in M365 Setup Wizard (or run: m365wizard test).'
Write-Host 'Leave these permissions ungranted in Entra ID, or the scope has no effect.'
`)
}
