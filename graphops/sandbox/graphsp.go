package sandbox

// The Microsoft Graph service principal every tenant has. Its appId is fixed; its
// object id differs per tenant. Role and scope ids are the real ones
// (GRAPH-FACTS §2.3, from microsoft-graph-docs-contrib permissions-ids.md); the
// display names and descriptions are the ones the Azure portal shows.

// GraphAppID is the appId of Microsoft Graph in every tenant.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// AppRole is an application permission offered by a resource service principal.
type AppRole struct {
	ID                 string
	Value              string
	DisplayName        string
	Description        string
	AllowedMemberTypes []string
	IsEnabled          bool
	Origin             string
}

// PermissionScope is a delegated permission offered by a resource service principal.
type PermissionScope struct {
	ID                      string
	Value                   string
	Type                    string // "User" (a user may consent) or "Admin" (admin consent required)
	AdminConsentDisplayName string
	AdminConsentDescription string
	UserConsentDisplayName  string
	UserConsentDescription  string
	IsEnabled               bool
}

func role(id, value, name, desc string) AppRole {
	return AppRole{ID: id, Value: value, DisplayName: name, Description: desc,
		AllowedMemberTypes: []string{"Application"}, IsEnabled: true, Origin: "Application"}
}

func scope(id, value, typ, name, desc string) PermissionScope {
	return PermissionScope{ID: id, Value: value, Type: typ, AdminConsentDisplayName: name, AdminConsentDescription: desc,
		UserConsentDisplayName: name, UserConsentDescription: desc, IsEnabled: true}
}

func graphAppRoles() []AppRole {
	return []AppRole{
		role("df021288-bdef-4463-88db-98f22de89214", "User.Read.All", "Read all users' full profiles", "Allows the app to read user profiles without a signed in user."),
		role("741f803b-c850-494e-b5df-cde7c675a1ca", "User.ReadWrite.All", "Read and write all users' full profiles", "Allows the app to read and update user profiles without a signed in user."),
		role("b633e1c5-b582-4048-a93e-9f11b44c7e96", "Mail.Send", "Send mail as any user", "Allows the app to send mail as any user without a signed-in user."),
		role("e2a3a72e-5f79-4c64-b1b1-878b674786c9", "Mail.ReadWrite", "Read and write mail in all mailboxes", "Allows the app to create, read, update, and delete mail in all mailboxes without a signed-in user. Does not include permission to send mail."),
		role("810c84a8-4a9e-49e6-bf7d-12d183f40d01", "Mail.Read", "Read mail in all mailboxes", "Allows the app to read mail in all mailboxes without a signed-in user."),
		role("693c5e45-0940-467d-9b8a-1022fb9d42ef", "Mail.ReadBasic.All", "Read basic mail in all mailboxes", "Allows the app to read basic mail properties in all mailboxes without a signed-in user. Includes all properties except body, previewBody, attachments and any extended properties."),
		role("ef54d2bf-783f-4e0f-bca1-3210c0444d99", "Calendars.ReadWrite", "Read and write calendars in all mailboxes", "Allows the app to create, read, update, and delete events of all calendars without a signed-in user."),
		role("798ee544-9d2d-430c-a058-570e29e34338", "Calendars.Read", "Read calendars in all mailboxes", "Allows the app to read events of all calendars without a signed-in user."),
		role("40f97065-369a-49f4-947c-6a255697ae91", "MailboxSettings.Read", "Read all user mailbox settings", "Allows the app to read user's mailbox settings without a signed-in user. Does not include permission to send mail."),
		role("6931bccd-447a-43d1-b442-00a195474933", "MailboxSettings.ReadWrite", "Read and write all user mailbox settings", "Allows the app to create, read, update, and delete user's mailbox settings without a signed-in user. Does not include permission to send mail."),
		role("230c1aed-a721-4c5d-9cb4-a90514e508ef", "Reports.Read.All", "Read all usage reports", "Allows an app to read all service usage reports without a signed-in user.  Services that provide usage reports include Office 365 and Azure Active Directory."),
		role("7ab1d382-f21e-4acd-a863-ba3e13f7da61", "Directory.Read.All", "Read directory data", "Allows the app to read data in your organization's directory, such as users, groups and apps, without a signed-in user."),
		role("19dbc75e-c2e2-444c-a770-ec69d8559fc7", "Directory.ReadWrite.All", "Read and write directory data", "Allows the app to read and write data in your organization's directory, such as users, and groups, without a signed-in user.  Does not allow user or group deletion."),
		role("5b567255-7703-4780-807c-7be8301ae99b", "Group.Read.All", "Read all groups", "Allows the app to read group properties and memberships, and read conversations for all groups, without a signed-in user."),
		role("62a82d76-70ea-41e2-9197-370581804d09", "Group.ReadWrite.All", "Read and write all groups", "Allows the app to create groups, read all group properties and memberships, update group properties and memberships, and delete groups. Also allows the app to read and write conversations. All of these operations can be performed by the app without a signed-in user."),
		role("bf7b1a76-6e77-406b-b258-bf5c7720e98f", "Group.Create", "Create groups", "Allows the app to create groups without a signed-in user."),
		role("98830695-27a2-44f7-8c18-0c3ebc9698f6", "GroupMember.Read.All", "Read all group memberships", "Allows the app to read memberships and basic group properties for all groups without a signed-in user."),
		role("498476ce-e0fe-48b0-b801-37ba7e2685c6", "Organization.Read.All", "Read organization information", "Allows the app to read the organization and related resources, without a signed-in user. Related resources include things like subscribed skus and tenant branding information."),
		role("dbb9058a-0e50-45d7-ae91-66909b5d4664", "Domain.Read.All", "Read domains", "Allows the app to read all domain properties without a signed-in user."),
		role("b0afded3-3588-46d8-8b3d-9842eff778da", "AuditLog.Read.All", "Read all audit log data", "Allows the app to read and query your audit log activities, without a signed-in user."),
		role("01d4889c-1287-42c6-ac1f-5d1e02578ef6", "Files.Read.All", "Read files in all site collections", "Allows the app to read all files in all site collections without a signed in user."),
		role("75359482-378d-4052-8f01-80520e7db3cd", "Files.ReadWrite.All", "Read and write files in all site collections", "Allows the app to read, create, update and delete all files in all site collections without a signed in user."),
		role("332a536c-c7ef-4017-ab91-336970924f0d", "Sites.Read.All", "Read items in all site collections", "Allows the app to read documents and list items in all site collections without a signed in user."),
		role("9492366f-7969-46a4-8d15-ed1a20078fff", "Sites.ReadWrite.All", "Read and write items in all site collections", "Allows the app to create, read, update, and delete documents and list items in all site collections without a signed in user."),
		role("9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "Application.Read.All", "Read all applications", "Allows the app to read all applications and service principals without a signed-in user."),
		role("1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "Application.ReadWrite.All", "Read and write all applications", "Allows the app to create, read, update and delete applications and service principals without a signed-in user.  Does not allow management of consent grants."),
		role("18a4783c-866b-4cc7-a460-3d5e5662c884", "Application.ReadWrite.OwnedBy", "Manage apps that this app creates or owns", "Allows the app to create other applications, and fully manage those applications (read, update, update application secrets and delete), without a signed-in user.  It cannot update any apps that it is not an owner of."),
		role("06b708a9-e830-4db3-a914-8e69da51d44f", "AppRoleAssignment.ReadWrite.All", "Manage app permission grants and app role assignments", "Allows the app to manage permission grants for application permissions to any API (including Microsoft Graph) and application assignments for any app, without a signed-in user."),
		role("8e8e4742-1d95-4f68-9d56-6ee75648c72a", "DelegatedPermissionGrant.ReadWrite.All", "Manage all delegated permission grants", "Allows the app to manage permission grants for delegated permissions exposed by any API (including Microsoft Graph), without a signed-in user."),
		role("246dd0d5-5bd0-4def-940b-0421030a5b68", "Policy.Read.All", "Read your organization's policies", "Allows the app to read all your organization's policies without a signed in user."),
	}
}

func graphScopes() []PermissionScope {
	return []PermissionScope{
		scope("37f7f235-527c-4136-accd-4a02d197296e", "openid", "User", "Sign users in", "Allows users to sign in to the app with their work or school accounts and allows the app to see basic user profile information."),
		scope("14dad69e-099b-42c9-810b-d002981feec1", "profile", "User", "View users' basic profile", "Allows the app to see your users' basic profile (e.g., name, picture, user name, email address)"),
		scope("64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", "email", "User", "View users' email address", "Allows the app to read your users' primary email address"),
		scope("7427e0e9-2fba-42fe-b0c0-848c9e6a8182", "offline_access", "User", "Maintain access to data you have given it access to", "Allows the app to see and update the data you gave it access to, even when users are not currently using the app. This does not give the app any additional permissions."),
		scope("e1fe6dd8-ba31-4d61-89e7-88639da4683d", "User.Read", "User", "Sign in and read user profile", "Allows users to sign-in to the app, and allows the app to read the profile of signed-in users. It also allows the app to read basic company information of signed-in users."),
		scope("b340eb25-3456-403f-be2f-af7a0d370277", "User.ReadBasic.All", "User", "Read all users' basic profiles", "Allows the app to read a basic set of profile properties of other users in your organization on behalf of the signed-in user. This includes display name, first and last name, email address and photo."),
		scope("a154be20-db9c-4678-8ab7-66f6cc099a59", "User.Read.All", "Admin", "Read all users' full profiles", "Allows the app to read the full set of profile properties, reports, and managers of other users in your organization, on behalf of the signed-in user."),
		scope("e383f46e-2787-4529-855e-0e479a3ffac0", "Mail.Send", "User", "Send mail as a user", "Allows the app to send mail as users in the organization."),
		scope("bdfbf15f-ee85-4955-8675-146e8e5296b5", "Application.ReadWrite.All", "Admin", "Read and write all applications", "Allows the app to create, read, update and delete applications and service principals on behalf of the signed-in user. Does not allow management of consent grants."),
		scope("c79f8feb-a9db-4090-85f9-90d820caa0eb", "Application.Read.All", "Admin", "Read applications", "Allows the app to read applications and service principals on behalf of the signed-in user."),
		scope("84bccea3-f856-4a8a-967b-dbe0a3d53a64", "AppRoleAssignment.ReadWrite.All", "Admin", "Manage app permission grants and app role assignments", "Allows the app to manage permission grants for application permissions to any API (including Microsoft Graph) and application assignments for any app, on behalf of the signed-in user."),
		scope("41ce6ca6-6826-4807-84f1-1c82854f7ee5", "DelegatedPermissionGrant.ReadWrite.All", "Admin", "Manage all delegated permission grants", "Allows the app to manage permission grants for delegated permissions exposed by any API (including Microsoft Graph), on behalf of the signed in user."),
		scope("06da0dbc-49e2-44d2-8312-53f166ab848a", "Directory.Read.All", "Admin", "Read directory data", "Allows the app to read data in your organization's directory, such as users, groups and apps."),
		scope("0e263e50-5827-48a4-b97c-d940288653c7", "Directory.AccessAsUser.All", "Admin", "Access directory as the signed in user", "Allows the app to have the same access to information in the directory as the signed-in user."),
		scope("572fea84-0151-49b2-9301-11cb16974376", "Policy.Read.All", "Admin", "Read your organization's policies", "Allows the app to read your organization's policies on behalf of the signed-in user."),
		scope("eb0788c2-6d4e-4658-8c9e-c0fb8053f03d", "RoleEligibilitySchedule.Read.Directory", "Admin", "Read all eligible role assignments for your company's directory", "Allows the app to read the eligible role-based access control (RBAC) assignments for your company's directory, on behalf of the signed-in user. This includes reading directory role templates, and directory roles."),
	}
}
