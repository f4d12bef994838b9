// Package profile reads integration profiles: what one helpdesk product's setup
// guide asks an admin to do in Microsoft Entra ID, written as data. The wizard
// engine reads a profile to know which app to register, which Microsoft Graph
// permissions each product feature needs, which credential the product takes,
// whether mailbox access is scoped, which Test Settings probes prove each
// permission, and what to say on each screen in the guide's own words.
//
// The built-in profiles are JSON files in assets/profiles (embedded in the
// binary); an admin can also open a profile file of their own (LoadFile, or
// Parse for bytes from a file dialog). A bad file is refused with errors that
// name the line and column (JSON syntax, wrong value types, unknown fields) or
// the field (everything the semantic checks find), all at once.
//
// # Format (version 1)
//
// One JSON object; every field below is known, any other field is refused.
// docs/profiles.md has the same description with a full example.
//
//	format          1 (required)
//	key             slug: lower-case letters, digits and single hyphens, up to 32
//	                characters (e.g. "helpmaster"); also names the app's uniqueName
//	aliases         other keys the profile answers to (e.g. "qualityclouds")
//	product         the product's name as the admin knows it (required)
//	vendor          who makes it (optional)
//	guide           {title, reference, url}: the setup guide the profile follows;
//	                reference or url is required
//	flow            "register" (default): the wizard registers the product's own
//	                app; "vendor-consent": the admin only consents to the vendor's
//	                multi-tenant app (no app registration, no credential)
//	app             {defaultName, audience, redirectUris: [{platform, uri}]};
//	                audience is "single-tenant" (the default, and the only one);
//	                platform is "web"; http:// only for localhost
//	features        [{key, label, module, functionality, applicationPermissions,
//	                delegatedScopes, required, reason, note}], at least one
//	                (none needed when customPermissions is on);
//	                module and functionality are the guide's table columns;
//	                reason is the one-line "why" shown next to the permission
//	defaults        {label, features, text}: the features ticked at first (the
//	                guide's minimum set); required features are always on
//	delegated       {add, remove, note}: delegated scopes every app of this profile
//	                gets, and ones that must not be on it (the portal adds User.Read
//	                to new apps; some guides say to clear it)
//	credential      {allowed, default, note}: "secret", "certificate" (made by the
//	                wizard) or "vendor-certificate" (a file the vendor provides);
//	                empty for the vendor-consent flow
//	mailboxScoping  {enabled, permissions, groupExample, policyDescription}:
//	                whether the guide restricts the app to some mailboxes, and
//	                which of its permissions Exchange scopes
//	domainFilter    {enabled, label, setBy, default, text}: a list of domains the
//	                product syncs ("*" = all); setBy "product" (the admin types it
//	                into the product) or "vendor" (the vendor keeps the list)
//	probes          [{permission, kind}]: the Test Settings call proving each
//	                application permission (kinds are graphops.ProbeKind values);
//	                for the register flow every application permission has one
//	test            {button, successText, then}: the product's test button and the
//	                message it shows on success
//	handoff         {location, fields: [{label, value}], text}: where the values
//	                go in the product; value is client-id, tenant-id, secret,
//	                certificate-thumbprint or domains
//	help            {intro, signIn, register, permissions, consent, credential,
//	                secretValue, expiry, certificate, scoping, domains, test,
//	                finish}: the text shown on each screen, in the guide's words
//	customPermissions {enabled, label, text}: the admin picks application
//	                permissions from the tenant's live list (a custom app); each
//	                gets the profile's probe for it, else graphops.DefaultProbe
//	legacy          [{api, permission, type, note, mappedTo}]: items a guide still
//	                lists that the wizard does not add (retired APIs); mappedTo
//	                names the Microsoft Graph permission that works today
//	notes           free text for maintainers (where the profile departs from
//	                the guide, and why)
package profile

import (
	"strings"

	"m365wizard/graphops"
)

// FormatVersion is the profile format this package reads.
const FormatVersion = 1

// HelpMaster is the key of the primary profile, listed first.
const HelpMaster = "helpmaster"

// Flow is how the product gets access to the tenant.
type Flow string

const (
	// FlowRegister: the wizard registers the product's own app in the tenant.
	FlowRegister Flow = "register"
	// FlowVendorConsent: the admin consents to the vendor's multi-tenant app;
	// nothing is registered and no credential is made.
	FlowVendorConsent Flow = "vendor-consent"
)

// CredentialType is how the product's app proves itself.
type CredentialType string

const (
	CredentialSecret            CredentialType = "secret"             // a client secret made by the wizard
	CredentialCertificate       CredentialType = "certificate"        // a certificate made by the wizard
	CredentialVendorCertificate CredentialType = "vendor-certificate" // a certificate file the vendor provides
)

// Handoff values: which wizard result goes into a product field.
const (
	ValueClientID              = "client-id"
	ValueTenantID              = "tenant-id"
	ValueSecret                = "secret"
	ValueCertificateThumbprint = "certificate-thumbprint"
	ValueDomains               = "domains"
)

// Profile is one integration profile. Load, LoadFile and Parse return only
// profiles that passed every check, with defaults filled in (Flow, App.Audience,
// Test.Button, Credential.Default when only one type is allowed).
type Profile struct {
	Format           int            `json:"format"`
	Key              string         `json:"key"`
	Aliases          []string       `json:"aliases,omitempty"`
	Product          string         `json:"product"`
	Vendor           string         `json:"vendor,omitempty"`
	Guide            Guide          `json:"guide"`
	Flow             Flow           `json:"flow,omitempty"`
	App              App            `json:"app"`
	Features         []Feature      `json:"features"`
	Defaults         Defaults       `json:"defaults"`
	Delegated        Delegated      `json:"delegated"`
	Credential       Credential     `json:"credential"`
	MailboxScoping   MailboxScoping `json:"mailboxScoping"`
	DomainFilter     DomainFilter   `json:"domainFilter"`
	PermissionProbes []Probe        `json:"probes"` // the method Probes filters them by selection
	Test             Test           `json:"test"`
	Handoff          Handoff        `json:"handoff"`
	Help             Help           `json:"help"`
	CustomPerms      CustomPerms    `json:"customPermissions"`
	Legacy           []LegacyItem   `json:"legacy,omitempty"`
	Notes            []string       `json:"notes,omitempty"`
	source           string         // where it was read from, for messages
	builtin          bool           // embedded in the binary
}

// Guide is the vendor setup guide a profile follows.
type Guide struct {
	Title     string `json:"title"`
	Reference string `json:"reference,omitempty"` // e.g. the seed file name or the guide's page title
	URL       string `json:"url,omitempty"`
}

// App is the app registration the wizard makes.
type App struct {
	DefaultName  string        `json:"defaultName"`
	Audience     string        `json:"audience,omitempty"` // "single-tenant"
	RedirectURIs []RedirectURI `json:"redirectUris,omitempty"`
}

// RedirectURI is one redirect URI on the app.
type RedirectURI struct {
	Platform string `json:"platform"` // "web"
	URI      string `json:"uri"`
}

// Feature is one row of the guide's permission table: a product feature and
// the Graph permissions it needs.
type Feature struct {
	Key                    string   `json:"key"`
	Label                  string   `json:"label"`
	Module                 string   `json:"module,omitempty"`        // the guide's "module" column
	Functionality          string   `json:"functionality,omitempty"` // the guide's "functionality" column
	ApplicationPermissions []string `json:"applicationPermissions,omitempty"`
	DelegatedScopes        []string `json:"delegatedScopes,omitempty"`
	Required               bool     `json:"required,omitempty"` // always on
	Reason                 string   `json:"reason"`             // one line: why the product needs it
	Note                   string   `json:"note,omitempty"`     // the guide's longer explanation
}

// Defaults is the feature set ticked at first.
type Defaults struct {
	Label    string   `json:"label,omitempty"` // the guide's name for it, e.g. "Send Only Permissions"
	Features []string `json:"features"`
	Text     string   `json:"text,omitempty"`
}

// Delegated lists delegated scopes added to or kept off every app of a profile.
type Delegated struct {
	Add    []string `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
	Note   string   `json:"note,omitempty"`
}

// Credential says which credential types the product accepts.
type Credential struct {
	Allowed []CredentialType `json:"allowed,omitempty"`
	Default CredentialType   `json:"default,omitempty"`
	Note    string           `json:"note,omitempty"`
}

// MailboxScoping is the guide's restriction of mailbox access to a group.
type MailboxScoping struct {
	Enabled           bool     `json:"enabled"`
	Permissions       []string `json:"permissions,omitempty"`       // the profile's permissions Exchange scopes
	GroupExample      string   `json:"groupExample,omitempty"`      // the guide's example group address
	PolicyDescription string   `json:"policyDescription,omitempty"` // the guide's description for the policy
}

// DomainFilter is a list of domains the product limits itself to.
type DomainFilter struct {
	Enabled bool     `json:"enabled"`
	Label   string   `json:"label,omitempty"`
	SetBy   string   `json:"setBy,omitempty"` // "product" or "vendor"
	Default []string `json:"default,omitempty"`
	Text    string   `json:"text,omitempty"`
}

// Probe ties an application permission to the Test Settings call proving it.
type Probe struct {
	Permission string             `json:"permission"`
	Kind       graphops.ProbeKind `json:"kind"`
}

// Test is the product's own test of the settings.
type Test struct {
	Button      string `json:"button,omitempty"`      // e.g. "Test Settings"
	SuccessText string `json:"successText,omitempty"` // e.g. "Microsoft 365 Authentication was successful"
	Then        string `json:"then,omitempty"`        // what the guide says to do after success
}

// Handoff is where the results go in the product.
type Handoff struct {
	Location string         `json:"location,omitempty"`
	Fields   []HandoffField `json:"fields,omitempty"`
	Text     string         `json:"text,omitempty"`
}

// HandoffField is one box in the product's settings screen.
type HandoffField struct {
	Label string `json:"label"`
	Value string `json:"value"` // client-id, tenant-id, secret, certificate-thumbprint, domains
}

// Help is the text for each screen, in the guide's wording. Empty fields mean
// the screen shows only the wizard's own text.
type Help struct {
	Intro       string `json:"intro,omitempty"`
	SignIn      string `json:"signIn,omitempty"`
	Register    string `json:"register,omitempty"`
	Permissions string `json:"permissions,omitempty"`
	Consent     string `json:"consent,omitempty"`
	Credential  string `json:"credential,omitempty"`
	SecretValue string `json:"secretValue,omitempty"` // "the Value, not the Secret ID"
	Expiry      string `json:"expiry,omitempty"`
	Certificate string `json:"certificate,omitempty"`
	Scoping     string `json:"scoping,omitempty"`
	Domains     string `json:"domains,omitempty"`
	Test        string `json:"test,omitempty"`
	Finish      string `json:"finish,omitempty"`
}

// LegacyItem is something a guide lists that the wizard leaves out.
type LegacyItem struct {
	API        string `json:"api"`
	Permission string `json:"permission"`
	Type       string `json:"type,omitempty"` // "application" or "delegated"
	Note       string `json:"note"`
	// MappedTo is the Microsoft Graph permission that does the job today (one
	// the profile asks for), or empty when nothing replaces it.
	MappedTo string `json:"mappedTo,omitempty"`
}

// CustomPerms lets the admin pick the application permissions (a custom app):
// any the tenant's Microsoft Graph publishes, checked live when the wizard
// prepares the app.
type CustomPerms struct {
	Enabled bool   `json:"enabled"`
	Label   string `json:"label,omitempty"` // e.g. "Permissions"
	Text    string `json:"text,omitempty"`
}

// Source is where the profile was read from (a file name, or
// "built-in helpmaster.json").
func (p *Profile) Source() string { return p.source }

// Builtin reports whether the profile ships inside the binary.
func (p *Profile) Builtin() bool { return p.builtin }

// Feature returns the feature with that key, or nil. The methods of a Profile
// only read it: a loaded profile is safe for concurrent use.
func (p *Profile) Feature(key string) *Feature {
	for i := range p.Features {
		if p.Features[i].Key == key {
			return &p.Features[i]
		}
	}
	return nil
}

// Selected is the features that are on for a selection, in profile order:
// the required features plus every known key in featureKeys. Unknown and
// repeated keys are left out (validate.Features reports them).
func (p *Profile) Selected(featureKeys []string) []string {
	want := map[string]bool{}
	for _, k := range featureKeys {
		want[k] = true
	}
	var out []string
	for _, f := range p.Features {
		if f.Required || want[f.Key] {
			out = append(out, f.Key)
		}
	}
	return out
}

// DefaultFeatures is the features ticked at first: the required ones and the
// profile's defaults, in profile order.
func (p *Profile) DefaultFeatures() []string { return p.Selected(p.Defaults.Features) }

func (p *Profile) selectedFeatures(featureKeys []string) []*Feature {
	var out []*Feature
	for _, k := range p.Selected(featureKeys) {
		out = append(out, p.Feature(k))
	}
	return out
}

// AppRoles is the Graph application permissions of a selection (required
// features always included), without repeats (compared without case), in
// profile order.
func (p *Profile) AppRoles(featureKeys []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range p.selectedFeatures(featureKeys) {
		out = appendNew(out, seen, f.ApplicationPermissions...)
	}
	return out
}

// DelegatedScopes is the Graph delegated scopes of a selection: the features'
// scopes and the profile's delegated.add, less delegated.remove, without
// repeats, in profile order.
func (p *Profile) DelegatedScopes(featureKeys []string) []string {
	seen := map[string]bool{}
	for _, r := range p.Delegated.Remove {
		seen[strings.ToLower(r)] = true
	}
	var out []string
	for _, f := range p.selectedFeatures(featureKeys) {
		out = appendNew(out, seen, f.DelegatedScopes...)
	}
	return appendNew(out, seen, p.Delegated.Add...)
}

// RemovedScopes is the delegated scopes that must not be on the app.
func (p *Profile) RemovedScopes() []string { return append([]string(nil), p.Delegated.Remove...) }

func appendNew(out []string, seen map[string]bool, vs ...string) []string {
	for _, v := range vs {
		if k := strings.ToLower(v); !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

// Custom reports whether the admin picks permissions (customPermissions).
func (p *Profile) Custom() bool { return p.CustomPerms.Enabled }

// AllAppRoles is AppRoles plus the permissions the admin picked (only for a
// profile with customPermissions; picked ones are ignored otherwise), without
// repeats.
func (p *Profile) AllAppRoles(featureKeys, picked []string) []string {
	out := p.AppRoles(featureKeys)
	if !p.Custom() {
		return out
	}
	seen := map[string]bool{}
	for _, r := range out {
		seen[strings.ToLower(r)] = true
	}
	return appendNew(out, seen, picked...)
}

// Probe is the probe for one application permission: the profile's, else
// graphops.DefaultProbe.
func (p *Profile) Probe(permission string) graphops.Probe {
	for _, pr := range p.PermissionProbes {
		if strings.EqualFold(pr.Permission, permission) {
			return graphops.Probe{Permission: permission, Kind: pr.Kind}
		}
	}
	return graphops.Probe{Permission: permission, Kind: graphops.DefaultProbe(permission)}
}

// AllProbes is the probes for AllAppRoles, in that order.
func (p *Profile) AllProbes(featureKeys, picked []string) []graphops.Probe {
	if !p.Custom() {
		return p.Probes(featureKeys)
	}
	var out []graphops.Probe
	for _, r := range p.AllAppRoles(featureKeys, picked) {
		out = append(out, p.Probe(r))
	}
	return out
}

// Probes is the Test Settings probes for a selection, in profile order.
func (p *Profile) Probes(featureKeys []string) []graphops.Probe {
	roles := map[string]bool{}
	for _, r := range p.AppRoles(featureKeys) {
		roles[strings.ToLower(r)] = true
	}
	var out []graphops.Probe
	for _, pr := range p.PermissionProbes {
		if roles[strings.ToLower(pr.Permission)] {
			out = append(out, graphops.Probe{Permission: pr.Permission, Kind: pr.Kind})
		}
	}
	return out
}

// NeedsMailbox reports whether Test Settings for a selection needs a mailbox
// (it reads an inbox or calendar, or may send a test message).
func (p *Profile) NeedsMailbox(featureKeys []string) bool {
	for _, pr := range p.Probes(featureKeys) {
		switch pr.Kind {
		case graphops.ProbeInbox, graphops.ProbeCalendar, graphops.ProbeSendMail:
			return true
		}
	}
	return false
}

// ExchangeScoped reports whether the profile scopes this permission to the
// mailboxes of a group (false when mailbox scoping is off).
func (p *Profile) ExchangeScoped(permission string) bool {
	if !p.MailboxScoping.Enabled {
		return false
	}
	for _, s := range p.MailboxScoping.Permissions {
		if strings.EqualFold(s, permission) {
			return true
		}
	}
	return false
}

// ScopedPermissions is the permissions of a selection that Exchange scoping
// restricts, in profile order; empty when mailbox scoping does not apply.
func (p *Profile) ScopedPermissions(featureKeys []string) []string {
	var out []string
	for _, r := range p.AppRoles(featureKeys) {
		if p.ExchangeScoped(r) {
			out = append(out, r)
		}
	}
	return out
}

// Reason is the one-line reason shown for an application permission or
// delegated scope (the reason of the first feature that needs it).
func (p *Profile) Reason(permission string) string {
	for _, f := range p.Features {
		for _, v := range append(append([]string(nil), f.ApplicationPermissions...), f.DelegatedScopes...) {
			if strings.EqualFold(v, permission) {
				return f.Reason
			}
		}
	}
	return ""
}

// Names reports whether key is the profile's key or one of its aliases.
func (p *Profile) Names(key string) bool {
	if key == p.Key {
		return true
	}
	for _, a := range p.Aliases {
		if a == key {
			return true
		}
	}
	return false
}

// VendorCertificate reports whether the product's only credential is a
// certificate the vendor provides: the wizard uploads it and, holding no
// private key, tests the app from the admin's side.
func (p *Profile) VendorCertificate() bool {
	return len(p.Credential.Allowed) == 1 && p.Credential.Allowed[0] == CredentialVendorCertificate
}

// AllowsCredential reports whether the product accepts this credential type.
func (p *Profile) AllowsCredential(t CredentialType) bool {
	for _, a := range p.Credential.Allowed {
		if a == t {
			return true
		}
	}
	return false
}

// RedirectURIs is the web redirect URIs the app gets.
func (p *Profile) RedirectURIs() []string {
	var out []string
	for _, r := range p.App.RedirectURIs {
		if r.Platform == "web" {
			out = append(out, r.URI)
		}
	}
	return out
}

// AppSpec is the app registration for a selection. An empty name means the
// profile's default app name.
func (p *Profile) AppSpec(name string, featureKeys []string) graphops.AppSpec {
	return p.AppSpecFor(name, featureKeys, nil)
}

// AppSpecFor is AppSpec with the permissions the admin picked (a profile with
// customPermissions).
func (p *Profile) AppSpecFor(name string, featureKeys, picked []string) graphops.AppSpec {
	if name == "" {
		name = p.App.DefaultName
	}
	return graphops.AppSpec{
		DisplayName:     name,
		Profile:         p.Key,
		AppRoles:        p.AllAppRoles(featureKeys, picked),
		DelegatedScopes: p.DelegatedScopes(featureKeys),
		WebRedirectURIs: p.RedirectURIs(),
	}
}
