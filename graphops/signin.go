package graphops

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	abs "github.com/microsoft/kiota-abstractions-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
)

// DefaultSignInClientID is Microsoft Graph Command Line Tools, a first-party
// public client present in every tenant. Some tenants block it; SignInOptions
// lets the admin give another public client registered for loopback redirects.
const DefaultSignInClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

// Delegated permissions the wizard's steps need. Ask only for what the chosen
// steps use (ScopesFor).
const (
	ScopeUserRead          = "User.Read"                              // who signed in, their roles, the organization
	ScopeApplications      = "Application.ReadWrite.All"              // register the app, its secrets and certificates
	ScopeAppRoleAssignment = "AppRoleAssignment.ReadWrite.All"        // grant admin consent to application permissions
	ScopePolicyRead        = "Policy.Read.All"                        // read the tenant's secret lifetime policy
	ScopeUsersRead         = "User.ReadBasic.All"                     // search mailboxes to scope
	ScopeDelegatedGrant    = "DelegatedPermissionGrant.ReadWrite.All" // grant admin consent to delegated permissions
)

// Step names for ScopesFor.
const (
	NeedRegister = "register"
	NeedConsent  = "consent"
	NeedSecret   = "secret"
	NeedMailbox  = "mailbox"
	// NeedDelegatedConsent: the app has delegated permissions to consent to
	// for the organization (a profile's, e.g. offline_access).
	NeedDelegatedConsent = "delegated-consent"
)

// ScopesFor lists the delegated permissions the given steps need, User.Read first.
func ScopesFor(steps ...string) []string {
	out := []string{ScopeUserRead}
	add := func(s string) {
		for _, x := range out {
			if x == s {
				return
			}
		}
		out = append(out, s)
	}
	for _, s := range steps {
		switch s {
		case NeedRegister:
			add(ScopeApplications)
		case NeedConsent:
			add(ScopeAppRoleAssignment)
			add(ScopeApplications)
		case NeedSecret:
			add(ScopeApplications)
			add(ScopePolicyRead)
		case NeedMailbox:
			add(ScopeUsersRead)
		case NeedDelegatedConsent:
			add(ScopeDelegatedGrant)
		}
	}
	return out
}

// SignInOptions configures the admin's sign-in.
type SignInOptions struct {
	Cloud       Cloud
	Tenant      string // GUID or verified domain; empty = the account's home tenant ("organizations")
	ClientID    string // public client; DefaultSignInClientID when empty
	HTTPClient  *http.Client
	Permissions []string // delegated Graph permissions (ScopesFor)
	// OpenURL opens the sign-in page for the browser flow; nil uses the system browser.
	OpenURL   func(url string) error
	LoginHint string
}

// DeviceCodePrompt is what the admin needs to finish a device code sign-in.
type DeviceCodePrompt struct {
	UserCode        string
	VerificationURL string
	Message         string // Microsoft's own sentence, shown as is on the command line
	ExpiresOn       time.Time
}

// Session is a signed-in admin: a token source for Graph and a Graph client.
// Safe for concurrent use.
type Session struct {
	Cloud    Cloud
	TenantID string
	UPN      string
	http     *http.Client
	client   public.Client
	account  public.Account
	scopes   []string
	Graph    *msgraphsdk.GraphServiceClient
	adapter  abs.RequestAdapter
}

func (o *SignInOptions) prepare() (public.Client, []string, error) {
	if o.HTTPClient == nil {
		o.HTTPClient = NewHTTPClient(o.Cloud, TrustConfig{})
	}
	if o.ClientID == "" {
		o.ClientID = DefaultSignInClientID
	}
	if err := ValidateClientID(o.ClientID); err != nil {
		return public.Client{}, nil, err
	}
	if o.Tenant != "" {
		if err := ValidateTenant(o.Tenant); err != nil {
			return public.Client{}, nil, err
		}
	}
	if len(o.Permissions) == 0 {
		o.Permissions = ScopesFor()
	}
	opts := []public.Option{public.WithAuthority(o.Cloud.Authority(o.Tenant)), public.WithHTTPClient(o.HTTPClient)}
	if o.Cloud.Custom {
		// A custom host is not in MSAL's trusted list: without this MSAL would ask
		// login.microsoftonline.com to validate it (GRAPH-FACTS §8.1).
		opts = append(opts, public.WithInstanceDiscovery(false))
	}
	c, err := public.New(o.ClientID, opts...)
	if err != nil {
		return public.Client{}, nil, &Error{Kind: KindInput, Message: "Cannot prepare the sign-in: " + err.Error(), Err: err}
	}
	scopes := make([]string, len(o.Permissions))
	for i, p := range o.Permissions {
		scopes[i] = o.Cloud.Scope(p)
	}
	return c, scopes, nil
}

// SignInInteractive signs the admin in through the browser (auth code + PKCE,
// loopback redirect).
func SignInInteractive(ctx context.Context, o SignInOptions) (*Session, error) {
	c, scopes, err := o.prepare()
	if err != nil {
		return nil, err
	}
	var iopts []public.AcquireInteractiveOption
	if o.OpenURL != nil {
		iopts = append(iopts, public.WithOpenURL(o.OpenURL))
	}
	if o.LoginHint != "" {
		iopts = append(iopts, public.WithLoginHint(o.LoginHint))
	}
	res, err := c.AcquireTokenInteractive(ctx, scopes, iopts...)
	if err != nil {
		return nil, fromSTS(err, o.Tenant, o.ClientID)
	}
	return newSession(o, c, scopes, res)
}

// SignInDeviceCode signs the admin in with a code entered on another device.
// show is called once with the code; the call returns when the admin finished,
// declined, the code expired, or ctx ended.
func SignInDeviceCode(ctx context.Context, o SignInOptions, show func(DeviceCodePrompt)) (*Session, error) {
	c, scopes, err := o.prepare()
	if err != nil {
		return nil, err
	}
	dc, err := c.AcquireTokenByDeviceCode(ctx, scopes)
	if err != nil {
		return nil, fromSTS(err, o.Tenant, o.ClientID)
	}
	show(DeviceCodePrompt{UserCode: dc.Result.UserCode, VerificationURL: dc.Result.VerificationURL,
		Message: dc.Result.Message, ExpiresOn: dc.Result.ExpiresOn})
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		return nil, fromSTS(err, o.Tenant, o.ClientID)
	}
	return newSession(o, c, scopes, res)
}

func newSession(o SignInOptions, c public.Client, scopes []string, res public.AuthResult) (*Session, error) {
	s := &Session{Cloud: o.Cloud, http: o.HTTPClient, client: c, account: res.Account, scopes: scopes,
		TenantID: res.IDToken.TenantID, UPN: res.Account.PreferredUsername}
	if s.TenantID == "" {
		s.TenantID = res.Account.Realm
	}
	var err error
	s.Graph, s.adapter, err = newGraphClient(o.Cloud, o.HTTPClient, s.token)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// token returns a valid delegated Graph token from MSAL's cache, refreshing it
// with the refresh token when it has expired.
func (s *Session) token(ctx context.Context) (string, error) {
	res, err := s.client.AcquireTokenSilent(ctx, s.scopes, public.WithSilentAccount(s.account), public.WithTenantID(s.TenantID))
	if err != nil {
		return "", fromSTS(err, s.TenantID, "")
	}
	return res.AccessToken, nil
}

// HasPermission reports whether the session was granted a delegated permission.
func (s *Session) HasPermission(p string) bool {
	want := strings.ToLower(s.Cloud.Scope(p))
	for _, sc := range s.scopes {
		if strings.ToLower(sc) == want {
			return true
		}
	}
	return false
}

func (s *Session) String() string { return fmt.Sprintf("%s in %s", s.UPN, s.TenantID) }
