// Package graphops is everything the wizard does with Microsoft: national
// clouds, admin sign-in (MSAL Go), the Graph operations of the setup
// (msgraph-sdk-go), Test Settings as the app, and the translation of Microsoft's
// errors into plain next steps. It imports no UI toolkit; the wizard engine
// drives it for both the window and the command line.
package graphops

import (
	"fmt"
	"net/url"
	"strings"
)

// Cloud is a Microsoft national cloud: where to sign in, where Graph lives, and
// where the admin finds the app in the Entra admin center (GRAPH-FACTS §7).
type Cloud struct {
	Name     string // global, usgov, usgov-dod, china, or custom
	Label    string // what the admin sees
	LoginURL string // authority host, no trailing slash
	GraphURL string // Graph root without version, no trailing slash
	EntraURL string // Entra admin center
	// Custom is set when the endpoints came from M365WIZARD_LOGIN_URL and
	// M365WIZARD_GRAPH_URL (a test tenant or the sandbox): instance discovery is
	// off and the Graph host is added to the SDK's valid hosts.
	Custom bool
}

// The clouds the wizard supports, as Microsoft documents their endpoints.
var (
	CloudGlobal = Cloud{Name: "global", Label: "Global (Microsoft 365 commercial, GCC)",
		LoginURL: "https://login.microsoftonline.com", GraphURL: "https://graph.microsoft.com", EntraURL: "https://entra.microsoft.com"}
	CloudUSGov = Cloud{Name: "usgov", Label: "US Government (GCC High)",
		LoginURL: "https://login.microsoftonline.us", GraphURL: "https://graph.microsoft.us", EntraURL: "https://entra.microsoft.us"}
	CloudUSGovDoD = Cloud{Name: "usgov-dod", Label: "US Government DoD",
		LoginURL: "https://login.microsoftonline.us", GraphURL: "https://dod-graph.microsoft.us", EntraURL: "https://entra.microsoft.us"}
	CloudChina = Cloud{Name: "china", Label: "China (operated by 21Vianet)",
		LoginURL: "https://login.partner.microsoftonline.cn", GraphURL: "https://microsoftgraph.chinacloudapi.cn", EntraURL: "https://entra.microsoftonline.cn"}
)

// Clouds lists the national clouds in the order the wizard offers them.
func Clouds() []Cloud { return []Cloud{CloudGlobal, CloudUSGov, CloudUSGovDoD, CloudChina} }

// Environment variables that point the wizard at a test tenant or the sandbox.
const (
	EnvLoginURL = "M365WIZARD_LOGIN_URL"
	EnvGraphURL = "M365WIZARD_GRAPH_URL"
	EnvCAFile   = "M365WIZARD_CA_FILE"
)

// CloudByName returns the named cloud.
func CloudByName(name string) (Cloud, error) {
	for _, c := range Clouds() {
		if c.Name == strings.ToLower(strings.TrimSpace(name)) {
			return c, nil
		}
	}
	return Cloud{}, &Error{Kind: KindInput, Field: "cloud",
		Message: fmt.Sprintf("%q is not a Microsoft cloud the wizard knows. Choose global, usgov, usgov-dod or china.", name)}
}

// ResolveCloud picks the cloud: the custom endpoint pair from the environment
// when both variables are set (getenv is os.Getenv in production), else the
// named cloud. Exactly one of the two variables set is an input error.
func ResolveCloud(name string, getenv func(string) string) (Cloud, error) {
	login, graph := strings.TrimSpace(getenv(EnvLoginURL)), strings.TrimSpace(getenv(EnvGraphURL))
	if login == "" && graph == "" {
		if name == "" {
			name = "global"
		}
		return CloudByName(name)
	}
	if login == "" || graph == "" {
		return Cloud{}, &Error{Kind: KindInput, Field: "environment",
			Message: fmt.Sprintf("Set both %s and %s (or neither).", EnvLoginURL, EnvGraphURL)}
	}
	for env, v := range map[string]string{EnvLoginURL: login, EnvGraphURL: graph} {
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return Cloud{}, &Error{Kind: KindInput, Field: "environment",
				Message: fmt.Sprintf("%s must be an https URL with only a host (and port), like https://127.0.0.1:8443; it is %q.", env, v)}
		}
	}
	return Cloud{Name: "custom", Label: "Custom endpoints (" + strings.TrimSuffix(login, "/") + ")",
		LoginURL: strings.TrimSuffix(login, "/"), GraphURL: strings.TrimSuffix(graph, "/"),
		EntraURL: CloudGlobal.EntraURL, Custom: true}, nil
}

// GraphHost is the host name of the Graph endpoint (no port), for the SDK's valid hosts.
func (c Cloud) GraphHost() string {
	u, _ := url.Parse(c.GraphURL)
	return u.Hostname()
}

// GraphBaseURL is the Graph v1.0 root the SDK uses.
func (c Cloud) GraphBaseURL() string { return c.GraphURL + "/v1.0" }

// Scope turns a Graph permission value into a scope for this cloud's Graph, e.g.
// https://graph.microsoft.us/Application.ReadWrite.All. Tokens are not
// interchangeable across clouds, so scopes carry the cloud's Graph host.
func (c Cloud) Scope(permission string) string { return c.GraphURL + "/" + permission }

// DefaultScope is the client-credentials scope for this cloud's Graph.
func (c Cloud) DefaultScope() string { return c.GraphURL + "/.default" }

// Authority is the authority URL for a tenant (GUID, verified domain, or organizations).
func (c Cloud) Authority(tenant string) string {
	if tenant == "" {
		tenant = "organizations"
	}
	return c.LoginURL + "/" + tenant
}

// AppRegistrationURL deep-links to the app's overview in the Entra admin center.
func (c Cloud) AppRegistrationURL(appID string) string {
	return c.EntraURL + "/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/" + url.PathEscape(appID)
}

// AdminConsentURL is the tenant-wide admin consent URL for an app: an admin who
// cannot use the wizard's own consent step opens it in a browser.
func (c Cloud) AdminConsentURL(tenantID, appID, redirectURI string) string {
	q := url.Values{"client_id": {appID}}
	if redirectURI != "" {
		q.Set("redirect_uri", redirectURI)
	}
	return c.LoginURL + "/" + url.PathEscape(tenantID) + "/adminconsent?" + q.Encode()
}
