package profile

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"m365wizard/graphops"
)

// Graph permission values: dotted segments of letters and digits (a segment may
// hold hyphens, as in User-Mail.ReadWrite.All). Application permissions always
// have a dot; delegated scopes may also be OpenID names like offline_access.
var (
	appPermRe   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*(?:\.[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)+$`)
	oidcScopeRe = regexp.MustCompile(`^[a-z]+(?:_[a-z]+)*$`)
	domainRe    = regexp.MustCompile(`^(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$`)
)

// ProbeKinds is every graphops.ProbeKind a profile may name.
var ProbeKinds = graphops.ProbeKinds

// ExchangeScopable is the application permissions Exchange Online can restrict
// to some mailboxes (ApplicationAccessPolicy / RBAC for Applications; the list
// Microsoft gives for application access policies, GRAPH-FACTS §5.2).
var ExchangeScopable = []string{
	"Mail.Read", "Mail.ReadBasic", "Mail.ReadBasic.All", "Mail.ReadWrite", "Mail.Send",
	"MailboxSettings.Read", "MailboxSettings.ReadWrite",
	"Calendars.Read", "Calendars.ReadWrite", "Contacts.Read", "Contacts.ReadWrite",
}

var credentialTypes = []CredentialType{CredentialSecret, CredentialCertificate, CredentialVendorCertificate}

var handoffValues = []string{ValueClientID, ValueTenantID, ValueSecret, ValueCertificateThumbprint, ValueDomains}

const (
	maxKey   = 32
	maxLabel = 100
	maxLine  = 300  // one-line texts: reasons, labels of fields
	maxText  = 4000 // help texts and notes
)

type checker struct{ errs ErrorList }

func (c *checker) add(field, format string, args ...any) {
	c.errs = append(c.errs, &Error{Field: field, Message: fmt.Sprintf(format, args...)})
}

// line checks a one-line text; required says whether it may be empty.
func (c *checker) line(field, v string, required bool, max int) {
	switch {
	case strings.TrimSpace(v) == "":
		if required {
			c.add(field, "is required")
		}
	case strings.TrimSpace(v) != v:
		c.add(field, "starts or ends with spaces")
	case len([]rune(v)) > max:
		c.add(field, "is longer than %d characters", max)
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		c.add(field, "must be one line (no line breaks or control characters)")
	}
}

// text checks a longer text (line breaks allowed).
func (c *checker) text(field, v string) {
	switch {
	case len([]rune(v)) > maxText:
		c.add(field, "is longer than %d characters", maxText)
	case strings.ContainsFunc(v, func(r rune) bool { return (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f }):
		c.add(field, "contains a control character")
	}
}

func (c *checker) appPermission(field, v string) bool {
	if !appPermRe.MatchString(v) || len(v) > 120 {
		c.add(field, "%q is not shaped like a Microsoft Graph application permission (like Mail.Send or User.Read.All)", v)
		return false
	}
	return true
}

func (c *checker) scope(field, v string) bool {
	if (!appPermRe.MatchString(v) && !oidcScopeRe.MatchString(v)) || len(v) > 120 {
		c.add(field, "%q is not shaped like a Microsoft Graph delegated permission (like User.Read or offline_access)", v)
		return false
	}
	return true
}

// check runs the semantic checks; it reads p only.
func (p *Profile) check() ErrorList {
	c := &checker{}
	if p.Format != FormatVersion {
		if p.Format == 0 {
			c.add("format", "is required; this wizard reads profile format %d (add \"format\": %d)", FormatVersion, FormatVersion)
		} else {
			c.add("format", "this wizard reads profile format %d, the file is format %d", FormatVersion, p.Format)
		}
	}
	switch {
	case p.Key == "":
		c.add("key", "is required (lower-case letters, digits and hyphens, like %q)", HelpMaster)
	case !keyRe.MatchString(p.Key) || len(p.Key) > maxKey:
		c.add("key", "%q is not a profile key: use up to %d lower-case letters, digits and single hyphens, starting with a letter (like %q)", p.Key, maxKey, HelpMaster)
	}
	seenAlias := map[string]bool{p.Key: true}
	for i, a := range p.Aliases {
		field := fmt.Sprintf("aliases[%d]", i)
		switch {
		case !keyRe.MatchString(a) || len(a) > maxKey:
			c.add(field, "%q is not a profile key: use up to %d lower-case letters, digits and single hyphens, starting with a letter", a, maxKey)
		case seenAlias[a]:
			c.add(field, "%q is the key or another alias already", a)
		}
		seenAlias[a] = true
	}
	c.line("product", p.Product, true, maxLabel)
	c.line("vendor", p.Vendor, false, maxLabel)
	c.line("guide.title", p.Guide.Title, true, maxLine)
	c.line("guide.reference", p.Guide.Reference, false, maxLine)
	if p.Guide.Reference == "" && p.Guide.URL == "" {
		c.add("guide", "needs a reference or a url, so a reader can find the guide the profile follows")
	}
	if p.Guide.URL != "" {
		if u, err := url.Parse(p.Guide.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			c.add("guide.url", "%q is not a web address (https://…)", p.Guide.URL)
		}
	}

	flow := p.Flow
	switch flow {
	case "", FlowRegister:
		flow = FlowRegister
	case FlowVendorConsent:
	default:
		c.add("flow", "%q is not a flow; use %q or %q", p.Flow, FlowRegister, FlowVendorConsent)
	}
	p.checkApp(c, flow)
	appPerms := p.checkFeatures(c)
	p.checkDefaults(c)
	p.checkDelegated(c)
	p.checkCredential(c, flow)
	p.checkScoping(c, appPerms)
	p.checkDomainFilter(c)
	p.checkProbes(c, flow, appPerms)

	c.line("test.button", p.Test.Button, false, maxLabel)
	c.text("test.successText", p.Test.SuccessText)
	c.text("test.then", p.Test.Then)
	c.line("handoff.location", p.Handoff.Location, false, maxLine)
	c.text("handoff.text", p.Handoff.Text)
	seenValue := map[string]bool{}
	for i, f := range p.Handoff.Fields {
		field := fmt.Sprintf("handoff.fields[%d]", i)
		c.line(field+".label", f.Label, true, maxLabel)
		switch {
		case !slices.Contains(handoffValues, f.Value):
			c.add(field+".value", "%q is not a value the wizard hands over; use one of %s", f.Value, strings.Join(handoffValues, ", "))
		case seenValue[f.Value]:
			c.add(field+".value", "%q is handed over twice", f.Value)
		}
		seenValue[f.Value] = true
	}
	h := p.Help
	for _, t := range []struct{ name, v string }{{"intro", h.Intro}, {"signIn", h.SignIn}, {"register", h.Register},
		{"permissions", h.Permissions}, {"consent", h.Consent}, {"credential", h.Credential}, {"secretValue", h.SecretValue},
		{"expiry", h.Expiry}, {"certificate", h.Certificate}, {"scoping", h.Scoping}, {"domains", h.Domains},
		{"test", h.Test}, {"finish", h.Finish}} {
		c.text("help."+t.name, t.v)
	}
	c.line("customPermissions.label", p.CustomPerms.Label, false, maxLabel)
	c.text("customPermissions.text", p.CustomPerms.Text)
	if !p.CustomPerms.Enabled && (p.CustomPerms.Label != "" || p.CustomPerms.Text != "") {
		c.add("customPermissions.enabled", "is false, yet customPermissions has settings; set enabled to true or remove them")
	}
	if p.CustomPerms.Enabled && flow == FlowVendorConsent {
		c.add("customPermissions", "the vendor-consent flow registers no app, so there are no permissions to pick")
	}
	known := p.knownPermissions()
	for i, l := range p.Legacy {
		field := fmt.Sprintf("legacy[%d]", i)
		if l.MappedTo != "" && c.scope(field+".mappedTo", l.MappedTo) && !known[strings.ToLower(l.MappedTo)] {
			c.add(field+".mappedTo", "%s is not a permission of this profile: add it to a feature or to delegated.add, so the app gets what replaces %s", l.MappedTo, l.Permission)
		}
		c.line(field+".api", l.API, true, maxLabel)
		c.line(field+".permission", l.Permission, true, maxLabel)
		if l.Type != "" && l.Type != "application" && l.Type != "delegated" {
			c.add(field+".type", "%q is not a permission type; use \"application\" or \"delegated\"", l.Type)
		}
		c.text(field+".note", l.Note)
		if strings.TrimSpace(l.Note) == "" {
			c.add(field+".note", "is required: say why the wizard leaves this out")
		}
	}
	for i, n := range p.Notes {
		c.text(fmt.Sprintf("notes[%d]", i), n)
	}
	return c.errs
}

func (p *Profile) checkApp(c *checker, flow Flow) {
	if flow == FlowRegister && p.App.DefaultName == "" {
		c.add("app.defaultName", "is required: the app name the wizard suggests (for example %q)", p.Product)
	} else if p.App.DefaultName != "" {
		if err := graphops.ValidateAppName(p.App.DefaultName); err != nil {
			msg := err.Error()
			if e, ok := graphops.AsError(err); ok {
				msg = e.Message
			}
			c.add("app.defaultName", "%s", msg)
		}
	}
	if p.App.Audience != "" && p.App.Audience != "single-tenant" {
		c.add("app.audience", "%q is not supported: the wizard registers single-tenant apps (Accounts in this organizational directory only); use \"single-tenant\"", p.App.Audience)
	}
	if flow == FlowVendorConsent && len(p.App.RedirectURIs) > 0 {
		c.add("app.redirectUris", "the vendor-consent flow registers no app, so it has no redirect URIs")
	}
	seen := map[string]bool{}
	for i, r := range p.App.RedirectURIs {
		field := fmt.Sprintf("app.redirectUris[%d]", i)
		if r.Platform != "web" {
			c.add(field+".platform", "%q is not supported; the wizard sets web redirect URIs (\"web\")", r.Platform)
		}
		u, err := url.Parse(r.URI)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			c.add(field+".uri", "%q is not an absolute web address like https://app.example.com/callback or http://localhost", r.URI)
		case u.Scheme == "http" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1":
			c.add(field+".uri", "%q: Entra accepts http:// only for localhost; use https://", r.URI)
		case len(r.URI) > 256:
			c.add(field+".uri", "is longer than the 256 characters Entra allows for a redirect URI")
		case seen[strings.ToLower(r.URI)]:
			c.add(field+".uri", "%q is listed twice", r.URI)
		}
		seen[strings.ToLower(r.URI)] = true
	}
}

// checkFeatures checks the features and returns their application
// permissions (lower-cased).
func (p *Profile) checkFeatures(c *checker) map[string]bool {
	appPerms := map[string]bool{}
	if len(p.Features) == 0 && !p.CustomPerms.Enabled {
		c.add("features", "needs at least one feature (a row of the guide's permission table)")
	}
	keys := map[string]int{}
	for i, f := range p.Features {
		field := fmt.Sprintf("features[%d]", i)
		switch {
		case f.Key == "":
			c.add(field+".key", "is required (lower-case letters, digits and hyphens, like \"send-mail\")")
		case !keyRe.MatchString(f.Key) || len(f.Key) > maxKey:
			c.add(field+".key", "%q is not a feature key: use up to %d lower-case letters, digits and single hyphens, starting with a letter", f.Key, maxKey)
		default:
			if j, dup := keys[f.Key]; dup {
				c.add(field+".key", "%q is also the key of features[%d]; feature keys must be unique", f.Key, j)
			} else {
				keys[f.Key] = i
			}
		}
		c.line(field+".label", f.Label, true, maxLabel)
		c.line(field+".module", f.Module, false, maxLabel)
		c.line(field+".functionality", f.Functionality, false, maxLine)
		c.line(field+".reason", f.Reason, true, maxLine)
		c.text(field+".note", f.Note)
		if len(f.ApplicationPermissions) == 0 && len(f.DelegatedScopes) == 0 {
			c.add(field, "needs at least one permission in applicationPermissions or delegatedScopes")
		}
		own := map[string]bool{}
		for j, v := range f.ApplicationPermissions {
			pf := fmt.Sprintf("%s.applicationPermissions[%d]", field, j)
			if !c.appPermission(pf, v) {
				continue
			}
			if own[strings.ToLower(v)] {
				c.add(pf, "%s is listed twice", v)
			}
			own[strings.ToLower(v)] = true
			appPerms[strings.ToLower(v)] = true
		}
		own = map[string]bool{}
		for j, v := range f.DelegatedScopes {
			pf := fmt.Sprintf("%s.delegatedScopes[%d]", field, j)
			if !c.scope(pf, v) {
				continue
			}
			if own[strings.ToLower(v)] {
				c.add(pf, "%s is listed twice", v)
			}
			own[strings.ToLower(v)] = true
		}
	}
	return appPerms
}

func (p *Profile) checkDefaults(c *checker) {
	c.line("defaults.label", p.Defaults.Label, false, maxLabel)
	c.text("defaults.text", p.Defaults.Text)
	seen := map[string]bool{}
	for i, k := range p.Defaults.Features {
		field := fmt.Sprintf("defaults.features[%d]", i)
		switch {
		case p.Feature(k) == nil:
			c.add(field, "%q is not the key of a feature; the features are %s", k, strings.Join(p.featureKeys(), ", "))
		case seen[k]:
			c.add(field, "%q is listed twice", k)
		}
		seen[k] = true
	}
	if len(p.Features) > 0 && len(p.Selected(p.Defaults.Features)) == 0 && !p.CustomPerms.Enabled {
		c.add("defaults.features", "no feature would be on at first: list at least one here, or mark one feature required")
	}
}

// knownPermissions is every application permission and delegated scope the
// profile asks for (lower-cased).
func (p *Profile) knownPermissions() map[string]bool {
	out := map[string]bool{}
	for _, f := range p.Features {
		for _, v := range append(append([]string(nil), f.ApplicationPermissions...), f.DelegatedScopes...) {
			out[strings.ToLower(v)] = true
		}
	}
	for _, v := range p.Delegated.Add {
		out[strings.ToLower(v)] = true
	}
	return out
}

func (p *Profile) featureKeys() []string {
	var out []string
	for _, f := range p.Features {
		out = append(out, f.Key)
	}
	return out
}

func (p *Profile) checkDelegated(c *checker) {
	c.text("delegated.note", p.Delegated.Note)
	removed := map[string]bool{}
	for i, v := range p.Delegated.Remove {
		if c.scope(fmt.Sprintf("delegated.remove[%d]", i), v) {
			removed[strings.ToLower(v)] = true
		}
	}
	for i, v := range p.Delegated.Add {
		field := fmt.Sprintf("delegated.add[%d]", i)
		if c.scope(field, v) && removed[strings.ToLower(v)] {
			c.add(field, "%s is both added and removed", v)
		}
	}
	for i, f := range p.Features {
		for j, v := range f.DelegatedScopes {
			if removed[strings.ToLower(v)] {
				c.add(fmt.Sprintf("features[%d].delegatedScopes[%d]", i, j), "%s is in delegated.remove", v)
			}
		}
	}
}

func (p *Profile) checkCredential(c *checker, flow Flow) {
	c.text("credential.note", p.Credential.Note)
	names := make([]string, len(credentialTypes))
	for i, t := range credentialTypes {
		names[i] = string(t)
	}
	if flow == FlowVendorConsent {
		if len(p.Credential.Allowed) > 0 || p.Credential.Default != "" {
			c.add("credential", "the vendor-consent flow makes no credential; leave allowed and default out")
		}
		return
	}
	if len(p.Credential.Allowed) == 0 {
		c.add("credential.allowed", "needs at least one credential type: %s", strings.Join(names, ", "))
	}
	seen := map[CredentialType]bool{}
	for i, t := range p.Credential.Allowed {
		field := fmt.Sprintf("credential.allowed[%d]", i)
		switch {
		case !slices.Contains(credentialTypes, t):
			c.add(field, "%q is not a credential type; use %s", t, strings.Join(names, ", "))
		case seen[t]:
			c.add(field, "%q is listed twice", t)
		}
		seen[t] = true
	}
	switch {
	case p.Credential.Default == "" && len(p.Credential.Allowed) > 1:
		c.add("credential.default", "is required when more than one credential type is allowed")
	case p.Credential.Default != "" && !slices.Contains(p.Credential.Allowed, p.Credential.Default):
		c.add("credential.default", "%q is not one of credential.allowed", p.Credential.Default)
	}
}

func (p *Profile) checkScoping(c *checker, appPerms map[string]bool) {
	s := p.MailboxScoping
	if s.Enabled && len(s.Permissions) == 0 {
		c.add("mailboxScoping.permissions", "lists no permission, so there is nothing to scope; name the mail or calendar permissions, or set enabled to false")
	}
	seen := map[string]bool{}
	for i, v := range s.Permissions {
		field := fmt.Sprintf("mailboxScoping.permissions[%d]", i)
		switch {
		case !c.appPermission(field, v):
		case !appPerms[strings.ToLower(v)]:
			c.add(field, "%s is not an application permission of any feature", v)
		case !containsFold(ExchangeScopable, v):
			c.add(field, "%s is not a permission Exchange can restrict to some mailboxes (those are %s)", v, strings.Join(ExchangeScopable, ", "))
		case seen[strings.ToLower(v)]:
			c.add(field, "%s is listed twice", v)
		}
		seen[strings.ToLower(v)] = true
	}
	c.line("mailboxScoping.groupExample", s.GroupExample, false, maxLine)
	c.text("mailboxScoping.policyDescription", s.PolicyDescription)
}

func (p *Profile) checkDomainFilter(c *checker) {
	d := p.DomainFilter
	if !d.Enabled {
		if d.Label != "" || d.SetBy != "" || len(d.Default) > 0 {
			c.add("domainFilter.enabled", "is false, yet the domain filter has settings; set enabled to true or remove them")
		}
		return
	}
	c.line("domainFilter.label", d.Label, true, maxLabel)
	if d.SetBy != "product" && d.SetBy != "vendor" {
		c.add("domainFilter.setBy", "%q: say who keeps the list, \"product\" (the admin types it into the product) or \"vendor\"", d.SetBy)
	}
	for i, v := range d.Default {
		if v != "*" && (!domainRe.MatchString(v) || len(v) > 253) {
			c.add(fmt.Sprintf("domainFilter.default[%d]", i), "%q is neither * (all domains) nor a domain name like contoso.com", v)
		}
	}
	c.text("domainFilter.text", d.Text)
}

func (p *Profile) checkProbes(c *checker, flow Flow, appPerms map[string]bool) {
	kinds := make([]string, len(ProbeKinds))
	for i, k := range ProbeKinds {
		kinds[i] = string(k)
	}
	probed := map[string]bool{}
	for i, pr := range p.PermissionProbes {
		field := fmt.Sprintf("probes[%d]", i)
		if c.appPermission(field+".permission", pr.Permission) {
			switch {
			case !appPerms[strings.ToLower(pr.Permission)] && !p.CustomPerms.Enabled:
				c.add(field+".permission", "%s is not an application permission of any feature", pr.Permission)
			case probed[strings.ToLower(pr.Permission)]:
				c.add(field+".permission", "%s already has a probe", pr.Permission)
			}
			probed[strings.ToLower(pr.Permission)] = true
		}
		if !slices.Contains(ProbeKinds, pr.Kind) {
			c.add(field+".kind", "%q is not a probe the wizard knows; use one of %s", pr.Kind, strings.Join(kinds, ", "))
		}
	}
	if flow != FlowRegister {
		return
	}
	for i, f := range p.Features {
		for j, v := range f.ApplicationPermissions {
			if appPermRe.MatchString(v) && !probed[strings.ToLower(v)] {
				c.add(fmt.Sprintf("features[%d].applicationPermissions[%d]", i, j),
					"%s has no probe: add {\"permission\": %q, \"kind\": …} to probes (kind \"role\" only checks that it is granted)", v, v)
			}
		}
	}
}

// fillDefaults fills what a checked profile may leave out.
func (p *Profile) fillDefaults() {
	if p.Flow == "" {
		p.Flow = FlowRegister
	}
	if p.App.Audience == "" && p.Flow == FlowRegister {
		p.App.Audience = "single-tenant"
	}
	if p.Credential.Default == "" && len(p.Credential.Allowed) == 1 {
		p.Credential.Default = p.Credential.Allowed[0]
	}
	if p.Test.Button == "" && p.Flow == FlowRegister {
		p.Test.Button = "Test Settings"
	}
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}
