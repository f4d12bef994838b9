package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Well-known directory role template ids (the same in every tenant).
const (
	RoleGlobalAdministrator           = "62e90394-69f5-4237-9190-012177145e10"
	RolePrivilegedRoleAdministrator   = "e8611ab8-c189-46e8-94e1-60213ab1f814"
	RoleApplicationAdministrator      = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	RoleCloudApplicationAdministrator = "158c047a-c907-4556-b7ef-446551a6b5f7"
	RoleApplicationDeveloper          = "cf1c38e5-3621-4004-a7cb-879624dced7c"
	RoleGlobalReader                  = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
	RoleExchangeAdministrator         = "29232cdf-9323-42fd-ade2-1d097af3e4de"
	// wids carries this template for every member user ("User" role).
	roleDefaultUser = "b79fbf4d-3ef9-4689-8143-76b194e85509"
)

// roleNames are the display names of the directory roles the sandbox seeds.
var roleNames = map[string]string{
	RoleGlobalAdministrator:           "Global Administrator",
	RolePrivilegedRoleAdministrator:   "Privileged Role Administrator",
	RoleApplicationAdministrator:      "Application Administrator",
	RoleCloudApplicationAdministrator: "Cloud Application Administrator",
	RoleApplicationDeveloper:          "Application Developer",
	RoleGlobalReader:                  "Global Reader",
	RoleExchangeAdministrator:         "Exchange Administrator",
}

// GraphCommandLineToolsAppID is Microsoft Graph Command Line Tools, the default
// public client the wizard signs in with.
const GraphCommandLineToolsAppID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

// microsoftTenantID owns first-party apps (appOwnerOrganizationId).
const microsoftTenantID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

// MailboxKind says whether a user has an Exchange Online mailbox.
type MailboxKind string

const (
	MailboxNone   MailboxKind = ""       // no mailbox: Graph answers MailboxNotEnabledForRESTAPI
	MailboxUser   MailboxKind = "user"   // licensed user mailbox
	MailboxShared MailboxKind = "shared" // shared mailbox (its user account is disabled)
)

// User is a directory user. Roles are active directory roles (template ids);
// EligibleRoles are PIM-eligible roles that are not active.
type User struct {
	ID                string
	DisplayName       string
	GivenName         string
	Surname           string
	UserPrincipalName string
	Mail              string
	JobTitle          string
	Department        string
	AccountEnabled    bool
	Mailbox           MailboxKind
	Roles             []string
	EligibleRoles     []string
	created           time.Time

	// Profile properties Graph returns in the user's default property set.
	BusinessPhones    []string
	MobilePhone       string
	OfficeLocation    string
	PreferredLanguage string
	UsageLocation     string
	// searchTokens caches the $search tokens of DisplayName (searchTokensOf is
	// the DisplayName they were computed from); see graph_workload_users.go.
	searchTokens   []string
	searchTokensOf string
	searchLower    string
}

// HasRole reports whether the user holds the active role template.
func (u *User) HasRole(template string) bool {
	for _, r := range u.Roles {
		if r == template {
			return true
		}
	}
	return false
}

// Domain is a domain of the tenant.
type Domain struct {
	Name       string
	IsDefault  bool
	IsInitial  bool
	IsVerified bool
}

// ResourceAccess is one entry of requiredResourceAccess.resourceAccess.
type ResourceAccess struct {
	ID   string `json:"id"`
	Type string `json:"type"` // "Role" or "Scope"
}

// RequiredResourceAccess is one entry of application.requiredResourceAccess.
type RequiredResourceAccess struct {
	ResourceAppID  string           `json:"resourceAppId"`
	ResourceAccess []ResourceAccess `json:"resourceAccess"`
}

// PasswordCredential is a client secret. Secret is held only in memory to check
// client_credentials requests; Graph never returns it after addPassword.
type PasswordCredential struct {
	KeyID         string
	DisplayName   string
	Hint          string
	StartDateTime time.Time
	EndDateTime   time.Time
	Secret        string
	created       time.Time
}

// KeyCredential is a certificate uploaded to an application.
type KeyCredential struct {
	KeyID               string
	DisplayName         string
	Type                string // AsymmetricX509Cert
	Usage               string // Verify
	Key                 []byte // certificate DER
	CustomKeyIdentifier []byte // SHA-1 thumbprint by default
	StartDateTime       time.Time
	EndDateTime         time.Time
}

// Application is an app registration.
type Application struct {
	ID                     string
	AppID                  string
	DisplayName            string
	Description            string
	Notes                  string
	SignInAudience         string
	UniqueName             string
	Tags                   []string
	IdentifierURIs         []string
	RequiredResourceAccess []RequiredResourceAccess
	WebRedirectURIs        []string
	PublicClientRedirects  []string
	SPARedirectURIs        []string
	IsFallbackPublicClient *bool
	KeyCredentials         []KeyCredential
	PasswordCredentials    []PasswordCredential
	PublisherDomain        string
	CreatedDateTime        time.Time
	created                time.Time // for replication lag

	// Added for the directory APIs (graph_directory*.go).
	Owners                 []string // object ids of owning users or service principals
	WebHomePageURL         string
	WebLogoutURL           string
	WebImplicitIDToken     bool
	WebImplicitAccessToken bool
	extra                  map[string]any // declared properties stored as sent (api, appRoles, info, …)
}

// ServicePrincipal is an enterprise app (the app's instance in a tenant).
type ServicePrincipal struct {
	ID                        string
	AppID                     string
	DisplayName               string
	AppDisplayName            string
	AppOwnerOrganizationID    string
	AccountEnabled            bool
	AppRoleAssignmentRequired bool
	ServicePrincipalType      string
	ServicePrincipalNames     []string
	Tags                      []string
	AppRoles                  []AppRole
	OAuth2PermissionScopes    []PermissionScope
	created                   time.Time

	// Added for the directory APIs (graph_directory*.go).
	Owners         []string       // object ids of owning users or service principals
	SignInAudience string         // the backing application's, when it has one
	extra          map[string]any // declared properties stored as sent
	lagAttempts    int            // appRoleAssignedTo attempts during SPReplicationLag
}

// AppRoleAssignment grants an app role of a resource to a principal.
type AppRoleAssignment struct {
	ID                   string
	AppRoleID            string
	PrincipalID          string
	PrincipalDisplayName string
	PrincipalType        string
	ResourceID           string
	ResourceDisplayName  string
	CreatedDateTime      time.Time
}

// OAuth2PermissionGrant is a delegated permission grant.
type OAuth2PermissionGrant struct {
	ID          string
	ClientID    string // client service principal object id
	ConsentType string // AllPrincipals or Principal
	PrincipalID string
	ResourceID  string
	Scope       string
}

// Group is a directory group (mail-enabled security groups are what mailbox scoping uses).
type Group struct {
	ID              string
	DisplayName     string
	Description     string
	Mail            string
	MailNickname    string
	MailEnabled     bool
	SecurityEnabled bool
	GroupTypes      []string
	Members         []string // user ids
	CreatedDateTime time.Time
}

// Message is a mail message in a mailbox folder.
type Message struct {
	ID               string
	Subject          string
	BodyContentType  string
	BodyContent      string
	From             string
	ToRecipients     []string
	ReceivedDateTime time.Time
	SentDateTime     time.Time
	IsRead           bool
	Folder           string // "inbox", "sentitems", "drafts"
	CcRecipients     []string
	BccRecipients    []string
	Importance       string // "normal" when empty
	ConversationID   string
}

// Event is a calendar event.
type Event struct {
	ID        string
	Subject   string
	Start     time.Time
	End       time.Time
	Organizer string
	// StartTimeZone and EndTimeZone are the zones the event was created in
	// (originalStartTimeZone); Start and End are instants.
	StartTimeZone   string
	EndTimeZone     string
	BodyContentType string
	BodyContent     string
	Location        string
	Attendees       []string
	IsAllDay        bool
	Created         time.Time
}

// Mailbox is the Exchange content of one user.
type Mailbox struct {
	Messages []*Message
	Events   []*Event
	seq      int // item ids handed out so far (see mailbox.go)
}

// PasswordLifetimeRestriction is a tenant app management policy restriction on secrets
// (tenantAppManagementPolicy.applicationRestrictions.passwordCredentials).
type PasswordLifetimeRestriction struct {
	RestrictionType                     string        // "passwordLifetime" or "passwordAddition"
	MaxLifetime                         time.Duration // for passwordLifetime
	RestrictForAppsCreatedAfterDateTime time.Time
}

// AppManagementPolicy is the tenant's default app management policy.
type AppManagementPolicy struct {
	ID                   string
	DisplayName          string
	Description          string
	IsEnabled            bool
	PasswordRestrictions []PasswordLifetimeRestriction
}

// Tenant is one simulated Entra tenant with its directory and Exchange content.
// All access goes through Server.mu.
type Tenant struct {
	ID          string
	DisplayName string
	Domains     []Domain
	Users       []*User
	usersByID   map[string]*User
	usersByUPN  map[string]*User
	Apps        map[string]*Application
	SPs         map[string]*ServicePrincipal
	Assignments []*AppRoleAssignment
	Grants      []*OAuth2PermissionGrant
	Groups      map[string]*Group
	Mailboxes   map[string]*Mailbox // by user id
	SentMail    []*Message          // every message sent through sendMail, in order
	Policy      AppManagementPolicy
	// UsersCanRegisterApps is "Users can register applications" (User
	// settings): authorizationPolicy.defaultUserRolePermissions.allowedToCreateApps.
	// Yes (true) by default; when false only Global, Application and Cloud
	// Application Administrators and Application Developers register apps.
	UsersCanRegisterApps bool
	GraphSP              *ServicePrincipal
	MailboxScope         map[string]*MailboxScope // by client appId; see mailbox.go
}

// MailboxScope restricts which mailboxes an app may reach with application
// permissions (Exchange ApplicationAccessPolicy / RBAC for Applications).
// ActiveAfter models Exchange's delay before a scope applies.
type MailboxScope struct {
	AllowedUserIDs map[string]bool
	ActiveAfter    time.Time
	// Kind is the Exchange mechanism the scope stands for (mailbox.go).
	Kind MailboxScopeKind
	// AccessRight is RestrictAccess (only the scoped mailboxes) or DenyAccess
	// (all but them), as New-ApplicationAccessPolicy takes it.
	AccessRight string
	// GroupID, when set, scopes to the members of that (mail-enabled security)
	// group at the time of each call instead of AllowedUserIDs.
	GroupID string
	// Removed marks a scope that was cleared: once active, nothing restricts the app.
	Removed bool
	// Previous is the scope still in force until ActiveAfter.
	Previous *MailboxScope
}

// SeedUser describes a person the sandbox creates in a new tenant.
type SeedUser struct {
	Alias       string // local part, e.g. "admin"
	DisplayName string
	JobTitle    string
	Roles       []string
	Eligible    []string
	Mailbox     MailboxKind
}

// DefaultPeople are the seeded accounts of every sandbox tenant.
var DefaultPeople = []SeedUser{
	{Alias: "admin", DisplayName: "Megan Bowen", JobTitle: "IT Manager", Roles: []string{RoleGlobalAdministrator}, Mailbox: MailboxUser},
	{Alias: "appadmin", DisplayName: "Alex Wilber", JobTitle: "Application Administrator", Roles: []string{RoleApplicationAdministrator}, Mailbox: MailboxUser},
	{Alias: "pimadmin", DisplayName: "Lidia Holloway", JobTitle: "Security Engineer", Eligible: []string{RoleGlobalAdministrator}, Mailbox: MailboxUser},
	{Alias: "user", DisplayName: "Diego Siciliani", JobTitle: "Support Technician", Mailbox: MailboxUser},
	{Alias: "helpdesk", DisplayName: "Helpdesk", Mailbox: MailboxShared},
	{Alias: "support", DisplayName: "Support", Mailbox: MailboxShared},
	{Alias: "noreply", DisplayName: "No Reply (no mailbox)", Mailbox: MailboxNone},
}

// TenantOptions configures a tenant created by Server.AddTenant.
type TenantOptions struct {
	ID          string // GUID; generated when empty
	DisplayName string // e.g. "Contoso"
	Domain      string // verified default domain, e.g. "contoso.com"; the initial domain is <name>.onmicrosoft.com
	People      []SeedUser
	ExtraUsers  int // synthetic users beyond People, up to 100,000
}

func newTenant(opts TenantOptions, now time.Time) *Tenant {
	if opts.ID == "" {
		opts.ID = uuid.NewString()
	}
	if opts.DisplayName == "" {
		opts.DisplayName = "Contoso"
	}
	if opts.Domain == "" {
		opts.Domain = strings.ToLower(opts.DisplayName) + ".com"
	}
	if opts.People == nil {
		opts.People = DefaultPeople
	}
	initial := strings.ToLower(strings.ReplaceAll(opts.DisplayName, " ", "")) + ".onmicrosoft.com"
	t := &Tenant{
		ID:          opts.ID,
		DisplayName: opts.DisplayName,
		Domains: []Domain{
			{Name: opts.Domain, IsDefault: true, IsVerified: true},
			{Name: initial, IsInitial: true, IsVerified: true},
		},
		usersByID:            map[string]*User{},
		usersByUPN:           map[string]*User{},
		Apps:                 map[string]*Application{},
		SPs:                  map[string]*ServicePrincipal{},
		Groups:               map[string]*Group{},
		Mailboxes:            map[string]*Mailbox{},
		MailboxScope:         map[string]*MailboxScope{},
		UsersCanRegisterApps: true,
		Policy: AppManagementPolicy{
			ID:          "00000000-0000-0000-0000-000000000000",
			DisplayName: "Default app management tenant policy",
			Description: "Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
		},
	}
	past := now.Add(-365 * 24 * time.Hour)
	for _, p := range opts.People {
		u := &User{
			ID:                deterministicGUID(t.ID, "person", p.Alias),
			DisplayName:       p.DisplayName,
			UserPrincipalName: p.Alias + "@" + opts.Domain,
			JobTitle:          p.JobTitle,
			AccountEnabled:    p.Mailbox != MailboxShared,
			Mailbox:           p.Mailbox,
			Roles:             append([]string(nil), p.Roles...),
			EligibleRoles:     append([]string(nil), p.Eligible...),
			created:           past,
		}
		if first, last, ok := strings.Cut(p.DisplayName, " "); ok && p.Mailbox == MailboxUser {
			u.GivenName, u.Surname = first, last
		}
		if p.Mailbox != MailboxNone {
			u.Mail = u.UserPrincipalName
		}
		t.addUser(u)
	}
	for i := 1; i <= opts.ExtraUsers; i++ {
		first, last := givenNames[i%len(givenNames)], surnames[(i/len(givenNames))%len(surnames)]
		alias := fmt.Sprintf("%s.%s%d", strings.ToLower(first), strings.ToLower(last), i)
		u := &User{
			ID:                deterministicGUID(t.ID, "user", alias),
			DisplayName:       first + " " + last,
			GivenName:         first,
			Surname:           last,
			UserPrincipalName: alias + "@" + opts.Domain,
			Mail:              alias + "@" + opts.Domain,
			JobTitle:          jobTitles[i%len(jobTitles)],
			Department:        departments[i%len(departments)],
			AccountEnabled:    true,
			Mailbox:           MailboxUser,
			created:           past,
		}
		t.addUser(u)
	}
	t.GraphSP = &ServicePrincipal{
		ID:                     deterministicGUID(t.ID, "sp", GraphAppID),
		AppID:                  GraphAppID,
		DisplayName:            "Microsoft Graph",
		AppDisplayName:         "Microsoft Graph",
		AppOwnerOrganizationID: microsoftTenantID,
		AccountEnabled:         true,
		ServicePrincipalType:   "Application",
		ServicePrincipalNames:  []string{GraphAppID, "https://graph.microsoft.com", "https://graph.microsoft.us", "https://dod-graph.microsoft.us", "https://microsoftgraph.chinacloudapi.cn"},
		AppRoles:               graphAppRoles(),
		OAuth2PermissionScopes: graphScopes(),
		created:                past,
	}
	t.SPs[t.GraphSP.ID] = t.GraphSP
	cli := &ServicePrincipal{
		ID:                     deterministicGUID(t.ID, "sp", GraphCommandLineToolsAppID),
		AppID:                  GraphCommandLineToolsAppID,
		DisplayName:            "Microsoft Graph Command Line Tools",
		AppDisplayName:         "Microsoft Graph Command Line Tools",
		AppOwnerOrganizationID: microsoftTenantID,
		AccountEnabled:         true,
		ServicePrincipalType:   "Application",
		ServicePrincipalNames:  []string{GraphCommandLineToolsAppID},
		created:                past,
	}
	t.SPs[cli.ID] = cli
	// Seed a little mail so Test Settings has something to read, and one
	// meeting in each seeded person's calendar.
	for i, u := range t.Users {
		if u.Mailbox == MailboxNone {
			continue
		}
		mb := &Mailbox{seq: 1}
		t.Mailboxes[u.ID] = mb
		if i < len(opts.People) {
			day := now.UTC().Truncate(24 * time.Hour).Add(24*time.Hour + 9*time.Hour)
			mb.seq++
			mb.Events = append(mb.Events, &Event{
				ID: messageID(u.ID, mb.seq), Subject: "Helpdesk weekly sync",
				Start: day, End: day.Add(30 * time.Minute), StartTimeZone: "UTC", EndTimeZone: "UTC",
				Organizer: "admin@" + opts.Domain, Location: "Teams", BodyContentType: "html",
				BodyContent: "<html><body>Weekly sync.</body></html>", Created: past,
			})
		}
		mb.Messages = append(mb.Messages, []*Message{{
			ID:               messageID(u.ID, 1),
			Subject:          "Welcome to " + t.DisplayName,
			BodyContentType:  "text",
			BodyContent:      "This mailbox belongs to the simulated tenant.",
			From:             "admin@" + opts.Domain,
			ToRecipients:     []string{u.Mail},
			ReceivedDateTime: past,
			SentDateTime:     past,
			Folder:           "inbox",
		}}...)
	}
	return t
}

func (t *Tenant) addUser(u *User) {
	t.Users = append(t.Users, u)
	t.usersByID[u.ID] = u
	t.usersByUPN[strings.ToLower(u.UserPrincipalName)] = u
}

// UserByIDOrUPN finds a user by object id or userPrincipalName (case-insensitive).
func (t *Tenant) UserByIDOrUPN(key string) *User {
	if u := t.usersByID[strings.ToLower(key)]; u != nil {
		return u
	}
	return t.usersByUPN[strings.ToLower(key)]
}

// HasDomain reports whether name is one of the tenant's verified domains.
func (t *Tenant) HasDomain(name string) bool {
	for _, d := range t.Domains {
		if strings.EqualFold(d.Name, name) && d.IsVerified {
			return true
		}
	}
	return false
}

// DefaultDomain is the tenant's default verified domain.
func (t *Tenant) DefaultDomain() string {
	for _, d := range t.Domains {
		if d.IsDefault {
			return d.Name
		}
	}
	return t.Domains[0].Name
}

// InitialDomain is the tenant's <name>.onmicrosoft.com domain.
func (t *Tenant) InitialDomain() string {
	for _, d := range t.Domains {
		if d.IsInitial {
			return d.Name
		}
	}
	return t.Domains[0].Name
}

// AppByAppID finds an application by its appId (client id).
func (t *Tenant) AppByAppID(appID string) *Application {
	for _, a := range t.Apps {
		if strings.EqualFold(a.AppID, appID) {
			return a
		}
	}
	return nil
}

// SPByAppID finds a service principal by its appId.
func (t *Tenant) SPByAppID(appID string) *ServicePrincipal {
	for _, sp := range t.SPs {
		if strings.EqualFold(sp.AppID, appID) {
			return sp
		}
	}
	return nil
}

// RolesOf lists the app role values assigned to a principal on Microsoft Graph.
func (t *Tenant) RolesOf(principalID string) []string {
	var out []string
	for _, a := range t.Assignments {
		if a.PrincipalID != principalID || a.ResourceID != t.GraphSP.ID {
			continue
		}
		for _, r := range t.GraphSP.AppRoles {
			if r.ID == a.AppRoleID {
				out = append(out, r.Value)
			}
		}
	}
	return out
}

// deterministicGUID derives a stable GUID so seeded objects keep their ids across runs.
func deterministicGUID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h[6] = (h[6] & 0x0f) | 0x40
	h[8] = (h[8] & 0x3f) | 0x80
	u, _ := uuid.FromBytes(h[:16])
	return u.String()
}

// messageID is shaped like an Exchange item id (long base64url), stable per mailbox.
func messageID(userID string, n int) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	h := sha256.Sum256(append([]byte(userID), b[:]...))
	return "AAMkA" + strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(fmt.Sprintf("%x", h[:])), "=")
}

var givenNames = []string{"Adele", "Alex", "Allan", "Christie", "Diego", "Emily", "Enrico", "Grady", "Henrietta", "Irvin",
	"Isaiah", "Johanna", "Joni", "Lee", "Lidia", "Lynne", "Megan", "Miriam", "Nestor", "Patti", "Pradeep", "Sofía", "Zoë", "Ørjan"}
var surnames = []string{"Vance", "Wilber", "Deyoung", "Cline", "Siciliani", "Braun", "Rossi", "Archie", "Mueller", "Sayers",
	"Langer", "Lauer", "Sherman", "Gu", "Holloway", "Robbins", "Bowen", "Graham", "Wilke", "Fernandez", "Gupta", "O'Brien", "Núñez", "Ødegård"}
var jobTitles = []string{"Sales Manager", "Developer", "Accountant", "Marketing Assistant", "Support Engineer", "HR Manager", "Designer"}
var departments = []string{"Sales", "Engineering", "Finance", "Marketing", "Support", "Human Resources", "Design"}
