// Package exchange writes the Exchange Online PowerShell that limits an app to
// chosen mailboxes (steps 4 and 5 of the HelpMaster guide). Microsoft offers no
// Graph API for this, so the wizard generates a script with the admin's real
// values, explains it in plain words, and verifies the result later in Test
// Settings (graphops). The package only generates text: it sends nothing, has
// no UI and no state, and is safe for concurrent use.
//
// Two ways, chosen with a Mode:
//
//   - ModeAccessPolicy, what the guide describes (legacy, still supported): a
//     mail-enabled security group with the chosen mailboxes (New-DistributionGroup
//     -Type Security) and New-ApplicationAccessPolicy -AccessRight RestrictAccess.
//     The app keeps its Mail.* and Calendars.* grants in Entra ID; the policy
//     narrows them.
//   - ModeRBAC, RBAC for Applications (Microsoft's current mechanism): the same
//     group, a management scope over its members (MemberOfGroup with the group's
//     distinguished name, read by the script from Exchange), New-ServicePrincipal
//     and one New-ManagementRoleAssignment per permission. Exchange grants those
//     permissions itself, so they must NOT also be granted in Entra ID: Exchange
//     takes the union, and an Entra grant opens every mailbox (EntraLeaveOut).
//
// ModeNone writes no script: the app keeps access to every mailbox.
//
// Every value is written once, as a PowerShell single-quoted literal (Quote), at
// the top of the script, and the commands use the variables: names with quotes,
// spaces, $(...), backticks or non-ASCII letters are taken literally. PS1 gives
// the bytes of the .ps1 file: UTF-8 with a byte order mark (Windows PowerShell
// 5.1 reads a file without one in the ANSI code page) and CRLF line endings.
//
// Usage, as the Mailbox access screen and `m365wizard setup --scoping` do it:
//
//	p := exchange.Params{
//		Mode:               exchange.ModeRBAC,
//		AdminUPN:           "admin@contoso.com",
//		AppDisplayName:     "HelpMaster",
//		AppID:              app.AppID,              // Application (client) ID
//		ServicePrincipalID: app.ServicePrincipalID, // Enterprise application object ID
//		Mailboxes:          []string{"helpdesk@contoso.com"},
//		Permissions:        exchange.Scoped(spec.AppRoles), // Mail.Send, Mail.ReadWrite, ...
//	}
//	p = p.WithDefaults("contoso.com") // group name, alias and address, scope name
//	text, err := exchange.Script(p)   // show it, copy it
//	file, err := exchange.PS1(p)      // save it as exchange.FileName(p)
//	for _, c := range exchange.Choices("HelpMaster", p.Permissions) {
//		fmt.Println(c.Title, c.Summary) // the two ways side by side, and "none"
//	}
//	leaveOut := exchange.EntraLeaveOut(p.Mode, spec.AppRoles) // never grant these in Entra ID
//	argv, ok := exchange.PowerShellLaunch(exec.LookPath, path) // Windows: "Open in PowerShell"
package exchange
