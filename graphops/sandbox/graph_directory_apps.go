package sandbox

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Applications (app registrations) and their credentials: GRAPH-FACTS §1 and §4.

// entraAppProps are the declared properties of microsoft.graph.application a
// request body may carry; anything else is rejected as Graph does.
var entraAppProps = []string{
	"id", "deletedDateTime", "addIns", "api", "appId", "applicationTemplateId", "appRoles", "authenticationBehaviors",
	"certification", "createdDateTime", "defaultRedirectUri", "description", "disabledByMicrosoftStatus", "displayName",
	"groupMembershipClaims", "identifierUris", "info", "isDeviceOnlyAuthSupported", "isFallbackPublicClient",
	"keyCredentials", "logo", "nativeAuthenticationApisEnabled", "notes", "oauth2RequirePostResponse", "optionalClaims",
	"parentalControlSettings", "passwordCredentials", "publicClient", "publisherDomain", "requestSignatureVerification",
	"requiredResourceAccess", "samlMetadataUrl", "serviceManagementReference", "servicePrincipalLockConfiguration",
	"signInAudience", "spa", "tags", "tokenEncryptionKeyId", "uniqueName", "verifiedPublisher", "web",
}

// entraAppStored are declared properties the sandbox does not interpret: they
// are kept as sent and rendered back.
var entraAppStored = map[string]bool{
	"addIns": true, "api": true, "appRoles": true, "authenticationBehaviors": true, "defaultRedirectUri": true,
	"groupMembershipClaims": true, "info": true, "isDeviceOnlyAuthSupported": true, "nativeAuthenticationApisEnabled": true,
	"oauth2RequirePostResponse": true, "optionalClaims": true, "parentalControlSettings": true,
	"requestSignatureVerification": true, "serviceManagementReference": true, "servicePrincipalLockConfiguration": true,
	"tokenEncryptionKeyId": true, "logo": true,
}

// entraAudiences are the signInAudience values of application.md.
var entraAudiences = []string{"AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"}

// renderApp is the application as Graph returns it (GRAPH-FACTS §1.1). withKey
// includes keyCredentials[].key, which Graph returns only for a single object
// read with $select=keyCredentials.
func (q *Req) entraRenderApp(a *Application, withKey bool) map[string]any {
	pw := make([]map[string]any, 0, len(a.PasswordCredentials))
	for _, p := range a.PasswordCredentials {
		pw = append(pw, map[string]any{
			"customKeyIdentifier": nil, "displayName": strOrNil(p.DisplayName), "endDateTime": entraTime(p.EndDateTime),
			"hint": strOrNil(p.Hint), "keyId": p.KeyID, "secretText": nil, "startDateTime": entraTime(p.StartDateTime),
		})
	}
	keys := make([]map[string]any, 0, len(a.KeyCredentials))
	for _, k := range a.KeyCredentials {
		var key any
		if withKey {
			key = base64.StdEncoding.EncodeToString(k.Key)
		}
		var cki any
		if len(k.CustomKeyIdentifier) > 0 {
			cki = base64.StdEncoding.EncodeToString(k.CustomKeyIdentifier)
		}
		keys = append(keys, map[string]any{
			"customKeyIdentifier": cki, "displayName": strOrNil(k.DisplayName), "endDateTime": entraTime(k.EndDateTime),
			"key": key, "keyId": k.KeyID, "startDateTime": entraTime(k.StartDateTime), "type": k.Type, "usage": k.Usage,
		})
	}
	rra := make([]map[string]any, 0, len(a.RequiredResourceAccess))
	for _, r := range a.RequiredResourceAccess {
		ra := make([]map[string]any, 0, len(r.ResourceAccess))
		for _, x := range r.ResourceAccess {
			ra = append(ra, map[string]any{"id": x.ID, "type": x.Type})
		}
		rra = append(rra, map[string]any{"resourceAppId": r.ResourceAppID, "resourceAccess": ra})
	}
	redirectSettings := make([]map[string]any, 0, len(a.WebRedirectURIs))
	for _, u := range a.WebRedirectURIs {
		redirectSettings = append(redirectSettings, map[string]any{"uri": u, "index": nil})
	}
	var fallback any
	if a.IsFallbackPublicClient != nil {
		fallback = *a.IsFallbackPublicClient
	}
	obj := map[string]any{
		"id":                                a.ID,
		"deletedDateTime":                   nil,
		"appId":                             a.AppID,
		"applicationTemplateId":             nil,
		"disabledByMicrosoftStatus":         nil,
		"createdDateTime":                   entraTime(a.CreatedDateTime),
		"displayName":                       a.DisplayName,
		"description":                       strOrNil(a.Description),
		"groupMembershipClaims":             nil,
		"identifierUris":                    entraStrings(a.IdentifierURIs),
		"isDeviceOnlyAuthSupported":         nil,
		"isFallbackPublicClient":            fallback,
		"nativeAuthenticationApisEnabled":   nil,
		"notes":                             strOrNil(a.Notes),
		"publisherDomain":                   a.PublisherDomain,
		"serviceManagementReference":        nil,
		"signInAudience":                    a.SignInAudience,
		"tags":                              entraStrings(a.Tags),
		"tokenEncryptionKeyId":              nil,
		"uniqueName":                        strOrNil(a.UniqueName),
		"samlMetadataUrl":                   nil,
		"defaultRedirectUri":                nil,
		"certification":                     nil,
		"optionalClaims":                    nil,
		"requestSignatureVerification":      nil,
		"servicePrincipalLockConfiguration": nil,
		"addIns":                            []any{},
		"api": map[string]any{
			"acceptMappedClaims": nil, "knownClientApplications": []any{}, "requestedAccessTokenVersion": nil,
			"oauth2PermissionScopes": []any{}, "preAuthorizedApplications": []any{},
		},
		"appRoles": []any{},
		"info": map[string]any{
			"logoUrl": nil, "marketingUrl": nil, "privacyStatementUrl": nil, "supportUrl": nil, "termsOfServiceUrl": nil,
		},
		"keyCredentials":          keys,
		"parentalControlSettings": map[string]any{"countriesBlockedForMinors": []any{}, "legalAgeGroupRule": "Allow"},
		"passwordCredentials":     pw,
		"publicClient":            map[string]any{"redirectUris": entraStrings(a.PublicClientRedirects)},
		"requiredResourceAccess":  rra,
		"verifiedPublisher":       map[string]any{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil},
		"web": map[string]any{
			"homePageUrl": strOrNil(a.WebHomePageURL), "logoutUrl": strOrNil(a.WebLogoutURL),
			"redirectUris": entraStrings(a.WebRedirectURIs), "redirectUriSettings": redirectSettings,
			"implicitGrantSettings": map[string]any{
				"enableAccessTokenIssuance": a.WebImplicitAccessToken, "enableIdTokenIssuance": a.WebImplicitIDToken,
			},
		},
		"spa": map[string]any{"redirectUris": entraStrings(a.SPARedirectURIs)},
	}
	for k, v := range a.extra {
		obj[k] = v
	}
	return obj
}

// entraAppByKey resolves {id} and answers 404 (also while the app is still
// replicating: GRAPH-FACTS §5.4, azure-cli#23367, msgraph-sdk-dotnet#3108).
func (q *Req) entraAppByKey(now time.Time) *Application {
	prop, val := q.Key("id")
	a := entraFindApp(q.T, prop, val)
	if a == nil || q.S.entraAppLagging(a, now) {
		q.NotFound(val)
		return nil
	}
	return a
}

// POST /applications (GRAPH-FACTS §1.1).
// entraAppToChange resolves the app in the path for a write: it must exist (and
// have replicated) and the caller must be allowed to change it (owner, or an
// admin role that manages apps). It answers the error itself and returns nil.
func (q *Req) entraAppToChange(now time.Time) *Application {
	a := q.entraAppByKey(now)
	if a == nil {
		return nil
	}
	if !q.entraMayManage(a.Owners) {
		q.Denied()
		return nil
	}
	return a
}

func (s *Server) entraCreateApp(q *Req) {
	if !q.entraMayCreateApp() {
		q.Denied()
		return
	}
	body, ok := q.Body("microsoft.graph.application", entraAppProps...)
	if !ok {
		return
	}
	now := time.Now()
	a := &Application{
		ID:              uuid.NewString(),
		AppID:           uuid.NewString(),
		SignInAudience:  "AzureADMyOrg", // the current default (application.md); older copies said AzureADandPersonalMicrosoftAccount
		PublisherDomain: q.T.InitialDomain(),
		CreatedDateTime: now,
		created:         now,
		Owners:          []string{q.entraCallerID()},
	}
	if !q.entraApplyApp(a, body, true) {
		return
	}
	if a.DisplayName == "" {
		q.BadRequest(msgEntraInvalidValue("displayName", "Application"))
		return
	}
	q.T.Apps[a.ID] = a
	q.entraEntity(http.StatusCreated, "applications", q.entraRenderApp(a, false))
}

// entraApplyApp applies a create or update body to a. It answers the request
// and reports false on an invalid body; a is then unchanged.
func (q *Req) entraApplyApp(a *Application, body map[string]json.RawMessage, create bool) bool {
	next := *a
	next.extra = map[string]any{}
	for k, v := range a.extra {
		next.extra[k] = v
	}
	str := func(raw json.RawMessage, prop string) (string, bool) {
		var v *string
		if err := json.Unmarshal(raw, &v); err != nil {
			q.BadRequest(msgEntraInvalidValue(prop, "Application"))
			return "", false
		}
		if v == nil {
			return "", true
		}
		return *v, true
	}
	strs := func(raw json.RawMessage, prop string) ([]string, bool) {
		var v []string
		if err := json.Unmarshal(raw, &v); err != nil {
			q.BadRequest(msgEntraInvalidValue(prop, "Application"))
			return nil, false
		}
		return v, true
	}
	for k, raw := range body {
		var ok bool
		switch k {
		case "displayName":
			next.DisplayName, ok = str(raw, k)
		case "description":
			next.Description, ok = str(raw, k)
		case "notes":
			next.Notes, ok = str(raw, k)
		case "signInAudience":
			var v string
			if v, ok = str(raw, k); ok {
				ok = false
				for _, aud := range entraAudiences {
					if strings.EqualFold(aud, v) {
						next.SignInAudience, ok = aud, true
					}
				}
				if !ok {
					q.BadRequest(msgEntraInvalidValue("signInAudience", "Application"))
				}
			}
		case "tags":
			next.Tags, ok = strs(raw, k)
		case "identifierUris":
			next.IdentifierURIs, ok = strs(raw, k)
		case "isFallbackPublicClient":
			var v *bool
			if ok = json.Unmarshal(raw, &v) == nil; ok {
				next.IsFallbackPublicClient = v
			} else {
				q.BadRequest(msgEntraInvalidValue(k, "Application"))
			}
		case "requiredResourceAccess":
			next.RequiredResourceAccess, ok = q.entraParseRRA(raw)
		case "web":
			ok = q.entraApplyWeb(&next, raw)
		case "publicClient", "spa":
			var v struct {
				RedirectURIs []string `json:"redirectUris"`
			}
			if ok = json.Unmarshal(raw, &v) == nil; !ok {
				q.BadRequest(msgEntraInvalidValue(k, "Application"))
			} else if k == "spa" {
				next.SPARedirectURIs = v.RedirectURIs
			} else {
				next.PublicClientRedirects = v.RedirectURIs
			}
		case "keyCredentials":
			next.KeyCredentials, ok = q.entraParseKeyCredentials(a, raw)
		case "passwordCredentials":
			next.PasswordCredentials, ok = q.entraParsePasswordList(a, raw, create)
		case "uniqueName":
			// Settable only while null, immutable once set (application-update.md).
			var v string
			if v, ok = str(raw, k); ok && v != "" {
				if a.UniqueName != "" && a.UniqueName != v {
					q.BadRequest(msgEntraInvalidValue("uniqueName", "Application"))
					ok = false
				} else {
					next.UniqueName = v
				}
			}
		default:
			if entraAppStored[k] {
				var v any
				if ok = json.Unmarshal(raw, &v) == nil; ok {
					next.extra[k] = v
				} else {
					q.BadRequest(msgEntraInvalidValue(k, "Application"))
				}
			} else {
				ok = true // read-only or server-owned (id, appId, publisherDomain, …): ignored
			}
		}
		if !ok {
			return false
		}
	}
	*a = next
	return true
}

func (q *Req) entraParseRRA(raw json.RawMessage) ([]RequiredResourceAccess, bool) {
	var v []RequiredResourceAccess
	if err := json.Unmarshal(raw, &v); err != nil {
		q.BadRequest(msgEntraInvalidValue("requiredResourceAccess", "Application"))
		return nil, false
	}
	// application-update.md: no more than 50 resources, 400 permissions in total.
	total := 0
	for i, r := range v {
		if _, err := uuid.Parse(r.ResourceAppID); err != nil {
			q.BadRequest(msgEntraInvalidValue("resourceAppId", "RequiredResourceAccess"))
			return nil, false
		}
		for j, x := range r.ResourceAccess {
			if _, err := uuid.Parse(x.ID); err != nil {
				q.BadRequest(msgEntraInvalidValue("id", "ResourceAccess"))
				return nil, false
			}
			switch {
			case strings.EqualFold(x.Type, "Role"):
				v[i].ResourceAccess[j].Type = "Role"
			case strings.EqualFold(x.Type, "Scope"):
				v[i].ResourceAccess[j].Type = "Scope"
			default:
				q.BadRequest(msgEntraInvalidValue("type", "ResourceAccess"))
				return nil, false
			}
			total++
		}
		if v[i].ResourceAccess == nil {
			v[i].ResourceAccess = []ResourceAccess{}
		}
	}
	if len(v) > 50 || total > 400 {
		q.BadRequest(msgEntraInvalidValue("requiredResourceAccess", "Application"))
		return nil, false
	}
	return v, true
}

// entraApplyWeb applies the web complex property: the sub-properties sent
// replace the stored ones; collections replace wholesale.
func (q *Req) entraApplyWeb(a *Application, raw json.RawMessage) bool {
	var w map[string]json.RawMessage
	if err := json.Unmarshal(raw, &w); err != nil {
		q.BadRequest(msgEntraInvalidValue("web", "Application"))
		return false
	}
	if w == nil { // "web": null resets it
		a.WebRedirectURIs, a.WebHomePageURL, a.WebLogoutURL = nil, "", ""
		a.WebImplicitIDToken, a.WebImplicitAccessToken = false, false
		return true
	}
	for k, v := range w {
		var err error
		switch strings.ToLower(k) {
		case "redirecturis":
			err = json.Unmarshal(v, &a.WebRedirectURIs)
		case "homepageurl":
			var s *string
			if err = json.Unmarshal(v, &s); err == nil {
				a.WebHomePageURL = ""
				if s != nil {
					a.WebHomePageURL = *s
				}
			}
		case "logouturl":
			var s *string
			if err = json.Unmarshal(v, &s); err == nil {
				a.WebLogoutURL = ""
				if s != nil {
					a.WebLogoutURL = *s
				}
			}
		case "implicitgrantsettings":
			var g struct {
				ID     *bool `json:"enableIdTokenIssuance"`
				Access *bool `json:"enableAccessTokenIssuance"`
			}
			if err = json.Unmarshal(v, &g); err == nil {
				a.WebImplicitIDToken = g.ID != nil && *g.ID
				a.WebImplicitAccessToken = g.Access != nil && *g.Access
			}
		case "redirecturisettings", "@odata.type":
		default:
			q.BadRequest("Property '" + k + "' does not exist as a declared property or extension property.")
			return false
		}
		if err != nil {
			q.BadRequest(msgEntraInvalidValue(k, "WebApplication"))
			return false
		}
	}
	return true
}

// entraParseKeyCredentials validates a keyCredentials collection that will
// replace the stored one (GRAPH-FACTS §4.3). An entry naming an existing keyId
// without a key keeps that certificate, as resending it from a GET does.
func (q *Req) entraParseKeyCredentials(a *Application, raw json.RawMessage) ([]KeyCredential, bool) {
	var in []struct {
		KeyID               *string    `json:"keyId"`
		Type                string     `json:"type"`
		Usage               string     `json:"usage"`
		Key                 *string    `json:"key"`
		DisplayName         *string    `json:"displayName"`
		CustomKeyIdentifier *string    `json:"customKeyIdentifier"`
		StartDateTime       *time.Time `json:"startDateTime"`
		EndDateTime         *time.Time `json:"endDateTime"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		q.BadRequest(msgEntraInvalidValue("keyCredentials", "Application"))
		return nil, false
	}
	out := make([]KeyCredential, 0, len(in))
	for _, k := range in {
		if k.Key == nil || *k.Key == "" {
			found := false
			if k.KeyID != nil {
				for _, old := range a.KeyCredentials {
					if strings.EqualFold(old.KeyID, *k.KeyID) {
						out = append(out, old)
						found = true
					}
				}
			}
			if !found {
				q.BadRequest(msgEntraInvalidValue("key", "KeyCredential"))
				return nil, false
			}
			continue
		}
		if !strings.EqualFold(k.Usage, "Verify") && !strings.EqualFold(k.Usage, "Sign") {
			q.BadRequest(msgEntraKeyUsageInvalid)
			return nil, false
		}
		if !strings.EqualFold(k.Type, "AsymmetricX509Cert") || !strings.EqualFold(k.Usage, "Verify") {
			// A Sign key (X509CertAndPassword) is for SAML signing on service
			// principals; app registrations take public certificates only.
			q.BadRequest(msgEntraInvalidValue("type", "KeyCredential"))
			return nil, false
		}
		der, err := base64.StdEncoding.DecodeString(*k.Key)
		if err != nil {
			q.BadRequest(msgEntraInvalidValue("key", "KeyCredential"))
			return nil, false
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			q.BadRequest(msgEntraInvalidValue("key", "KeyCredential"))
			return nil, false
		}
		thumb := sha1.Sum(der)
		kc := KeyCredential{
			KeyID:               uuid.NewString(),
			DisplayName:         "CN=" + cert.Subject.CommonName,
			Type:                "AsymmetricX509Cert",
			Usage:               "Verify",
			Key:                 der,
			CustomKeyIdentifier: thumb[:],
			StartDateTime:       cert.NotBefore.UTC(),
			EndDateTime:         cert.NotAfter.UTC(),
		}
		if cert.Subject.CommonName == "" {
			kc.DisplayName = cert.Subject.String()
		}
		if k.KeyID != nil {
			if _, err := uuid.Parse(*k.KeyID); err == nil {
				kc.KeyID = strings.ToLower(*k.KeyID)
			}
		}
		if k.DisplayName != nil && *k.DisplayName != "" {
			kc.DisplayName = *k.DisplayName
		}
		if k.CustomKeyIdentifier != nil && *k.CustomKeyIdentifier != "" {
			if b, err := base64.StdEncoding.DecodeString(*k.CustomKeyIdentifier); err == nil {
				kc.CustomKeyIdentifier = b
			}
		}
		if k.StartDateTime != nil {
			kc.StartDateTime = k.StartDateTime.UTC()
		}
		if k.EndDateTime != nil {
			kc.EndDateTime = k.EndDateTime.UTC()
		}
		// The credential cannot outlive the certificate nor end before it starts.
		if !kc.EndDateTime.After(kc.StartDateTime) || kc.EndDateTime.After(cert.NotAfter.Add(time.Second)) ||
			kc.StartDateTime.Before(cert.NotBefore.Add(-time.Second)) {
			q.BadRequest(msgEntraKeyEndDateInvalid)
			return nil, false
		}
		out = append(out, kc)
	}
	return out, true
}

// entraParsePasswordList handles passwordCredentials in a create or update
// body: Graph refuses new secrets there ("New password credentials must be
// generated with service actions.", microsoft-graph-docs#6179 and
// azure-docs#59275). Resending existing keyIds (a subset, to drop others) is
// accepted.
func (q *Req) entraParsePasswordList(a *Application, raw json.RawMessage, create bool) ([]PasswordCredential, bool) {
	var in []map[string]any
	if err := json.Unmarshal(raw, &in); err != nil {
		q.BadRequest(msgEntraInvalidValue("passwordCredentials", "Application"))
		return nil, false
	}
	out := make([]PasswordCredential, 0, len(in))
	for _, p := range in {
		keyID, _ := p["keyId"].(string)
		var match *PasswordCredential
		for i := range a.PasswordCredentials {
			if !create && keyID != "" && strings.EqualFold(a.PasswordCredentials[i].KeyID, keyID) {
				match = &a.PasswordCredentials[i]
			}
		}
		if secret, _ := p["secretText"].(string); match == nil || secret != "" {
			q.BadRequest(msgEntraNewPasswordViaActions)
			return nil, false
		}
		out = append(out, *match)
	}
	return out, true
}

// GET /applications with $filter, $select, $top, $count and paging (GRAPH-FACTS §1.2).
func (s *Server) entraListApps(q *Req) {
	apps := make([]*Application, 0, len(q.T.Apps))
	for _, a := range q.T.Apps {
		apps = append(apps, a)
	}
	entraSortByCreated(apps, func(a *Application) time.Time { return a.CreatedDateTime }, func(a *Application) string { return a.ID })
	items := make([]map[string]any, 0, len(apps))
	for _, a := range apps {
		items = append(items, q.entraRenderApp(a, false))
	}
	q.entraList("applications", items)
}

// GET /applications/{id} and /applications(appId='…') (GRAPH-FACTS §1.3).
func (s *Server) entraGetApp(q *Req) {
	a := q.entraAppByKey(time.Now())
	if a == nil {
		return
	}
	q.entraEntity(http.StatusOK, "applications", q.entraRenderApp(a, q.entraSelected("keyCredentials")))
}

// PATCH /applications/{id} (GRAPH-FACTS §1.4), and the upsert of §1.6:
// PATCH /applications(uniqueName='…') with Prefer: create-if-missing.
func (s *Server) entraPatchApp(q *Req) {
	now := time.Now()
	prop, val := q.Key("id")
	if strings.EqualFold(prop, "uniqueName") && entraFindApp(q.T, prop, val) == nil &&
		strings.Contains(strings.ToLower(q.R.Header.Get("Prefer")), "create-if-missing") {
		if !q.entraMayCreateApp() {
			q.Denied()
			return
		}
		body, ok := q.Body("microsoft.graph.application", entraAppProps...)
		if !ok {
			return
		}
		a := &Application{
			ID: uuid.NewString(), AppID: uuid.NewString(), UniqueName: val,
			SignInAudience: "AzureADMyOrg", PublisherDomain: q.T.InitialDomain(),
			CreatedDateTime: now, created: now, Owners: []string{q.entraCallerID()},
		}
		if !q.entraApplyApp(a, body, true) {
			return
		}
		if a.DisplayName == "" {
			q.BadRequest(msgEntraInvalidValue("displayName", "Application"))
			return
		}
		q.T.Apps[a.ID] = a
		q.entraEntity(http.StatusCreated, "applications", q.entraRenderApp(a, false))
		return
	}
	a := q.entraAppToChange(now)
	if a == nil {
		return
	}
	body, ok := q.Body("microsoft.graph.application", entraAppProps...)
	if !ok {
		return
	}
	if !q.entraApplyApp(a, body, false) {
		return
	}
	if a.DisplayName == "" {
		a.DisplayName = "(no name)"
	}
	if sp := q.T.SPByAppID(a.AppID); sp != nil {
		sp.AppDisplayName = a.DisplayName
		sp.SignInAudience = a.SignInAudience
	}
	q.NoContent()
}

// DELETE /applications/{id}: 204. Its service principal in this tenant goes
// with it (the enterprise app of an app registration), with its assignments
// and grants.
func (s *Server) entraDeleteApp(q *Req) {
	a := q.entraAppToChange(time.Now())
	if a == nil {
		return
	}
	delete(q.T.Apps, a.ID)
	if sp := q.T.SPByAppID(a.AppID); sp != nil {
		entraRemoveSP(q.T, sp)
	}
	q.NoContent()
}

// GET /applications/{id}/owners.
func (s *Server) entraListAppOwners(q *Req) {
	a := q.entraAppByKey(time.Now())
	if a == nil {
		return
	}
	items := []map[string]any{}
	for _, id := range a.Owners {
		if u := q.T.usersByID[id]; u != nil {
			items = append(items, map[string]any{
				"@odata.type": "#microsoft.graph.user", "id": u.ID, "displayName": u.DisplayName,
				"userPrincipalName": u.UserPrincipalName, "mail": strOrNil(u.Mail), "jobTitle": strOrNil(u.JobTitle),
				"businessPhones": entraStrings(u.BusinessPhones), "givenName": strOrNil(u.GivenName), "surname": strOrNil(u.Surname),
				"mobilePhone": strOrNil(u.MobilePhone), "officeLocation": strOrNil(u.OfficeLocation), "preferredLanguage": strOrNil(u.PreferredLanguage),
			})
		} else if sp := q.T.SPs[id]; sp != nil {
			obj := q.entraRenderSP(sp)
			obj["@odata.type"] = "#microsoft.graph.servicePrincipal"
			items = append(items, obj)
		}
	}
	q.entraList("directoryObjects", items)
}

// --- credentials ---------------------------------------------------------------

// entraSecretAlphabet is the alphabet of current Entra client secrets.
const entraSecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-"

// entraNewSecret makes a 40-character secret shaped like the ones Entra issues
// today (the example in GRAPH-FACTS §4.1): three characters (the hint), a
// digit and "Q~", then 34 more.
func entraNewSecret() string {
	pick := func(alphabet string) byte {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err)
		}
		return alphabet[n.Int64()]
	}
	b := make([]byte, 0, 40)
	for range 3 {
		b = append(b, pick(entraSecretAlphabet))
	}
	b = append(b, pick("0123456789"), 'Q', '~')
	for range 34 {
		b = append(b, pick(entraSecretAlphabet))
	}
	return string(b)
}

// entraLifetimeCap is the passwordLifetime restriction that applies to a
// (the tenant default policy; GRAPH-FACTS design notes, passwordCredentialConfiguration).
func entraLifetimeCap(t *Tenant, a *Application) (time.Duration, bool) {
	if !t.Policy.IsEnabled {
		return 0, false
	}
	for _, r := range t.Policy.PasswordRestrictions {
		if r.RestrictionType == "passwordLifetime" && r.MaxLifetime > 0 && !a.CreatedDateTime.Before(r.RestrictForAppsCreatedAfterDateTime) {
			return r.MaxLifetime, true
		}
	}
	return 0, false
}

// POST /applications/{id}/addPassword (GRAPH-FACTS §4.1).
func (s *Server) entraAddPassword(q *Req) {
	now := time.Now()
	a := q.entraAppToChange(now)
	if a == nil {
		return
	}
	body, ok := q.Body("microsoft.graph.addPassword", "passwordCredential")
	if !ok {
		return
	}
	var in struct {
		DisplayName   *string    `json:"displayName"`
		StartDateTime *time.Time `json:"startDateTime"`
		EndDateTime   *time.Time `json:"endDateTime"`
	}
	if raw := body["passwordCredential"]; len(raw) > 0 {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			q.BadRequest(msgEntraInvalidValue("passwordCredential", "addPassword"))
			return
		}
		for k := range fields {
			switch strings.ToLower(k) {
			case "displayname", "startdatetime", "enddatetime", "@odata.type", "customkeyidentifier", "hint", "keyid", "secrettext":
			default:
				q.BadRequest("Property '" + k + "' does not exist as a declared property or extension property.")
				return
			}
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			q.BadRequest(msgEntraInvalidValue("passwordCredential", "addPassword"))
			return
		}
	}
	p := PasswordCredential{KeyID: uuid.NewString(), Secret: entraNewSecret(), StartDateTime: now.UTC(), created: now}
	p.Hint = p.Secret[:3]
	if in.DisplayName != nil {
		p.DisplayName = *in.DisplayName
	}
	if in.StartDateTime != nil {
		p.StartDateTime = in.StartDateTime.UTC()
	}
	p.EndDateTime = p.StartDateTime.AddDate(2, 0, 0) // default: start + 2 years
	if in.EndDateTime != nil {
		p.EndDateTime = in.EndDateTime.UTC()
	}
	if !p.EndDateTime.After(p.StartDateTime) {
		q.BadRequest(msgEntraKeyEndDateInvalid)
		return
	}
	// A tenant app management policy caps secret lifetimes. The real answer
	// (OfficeDev/microsoft-365-agents-toolkit#10998):
	// {"code":"CredentialInvalidLifetimeAsPerAppPolicy","message":"Credential lifetime exceeds the max value allowed as per assigned policy '…'.",
	//  "details":[{"code":"InvalidKeyEndDate","message":"…","target":"EndDate"}]}
	if max, ok := entraLifetimeCap(q.T, a); ok && p.EndDateTime.Sub(p.StartDateTime) > max {
		msg := msgEntraLifetimePolicy(q.T.Policy.ID)
		q.Error(http.StatusBadRequest, "CredentialInvalidLifetimeAsPerAppPolicy", msg,
			GraphErrorDetail{Code: "InvalidKeyEndDate", Message: msg, Target: "EndDate"})
		return
	}
	a.PasswordCredentials = append(a.PasswordCredentials, p)
	q.JSON(http.StatusOK, map[string]any{
		"@odata.context":      q.Context("microsoft.graph.passwordCredential"),
		"customKeyIdentifier": nil,
		"displayName":         strOrNil(p.DisplayName),
		"endDateTime":         entraTime(p.EndDateTime),
		"hint":                p.Hint,
		"keyId":               p.KeyID,
		"secretText":          p.Secret,
		"startDateTime":       entraTime(p.StartDateTime),
	})
}

// POST /applications/{id}/removePassword (GRAPH-FACTS §4.2): 204. An unknown
// keyId is a 400 whose message is "No password credential found with keyId …"
// (seen by hashicorp/vault-plugin-secrets-azure and others; the code is not
// documented, Request_BadRequest is assumed).
func (s *Server) entraRemovePassword(q *Req) {
	a := q.entraAppToChange(time.Now())
	if a == nil {
		return
	}
	body, ok := q.Body("microsoft.graph.removePassword", "keyId")
	if !ok {
		return
	}
	var keyID string
	if err := json.Unmarshal(body["keyId"], &keyID); err != nil || keyID == "" {
		q.BadRequest(msgEntraInvalidValue("keyId", "removePassword"))
		return
	}
	if _, err := uuid.Parse(keyID); err != nil {
		q.BadRequest(msgEntraInvalidValue("keyId", "removePassword"))
		return
	}
	for i, p := range a.PasswordCredentials {
		if strings.EqualFold(p.KeyID, keyID) {
			a.PasswordCredentials = append(a.PasswordCredentials[:i:i], a.PasswordCredentials[i+1:]...)
			q.NoContent()
			return
		}
	}
	q.BadRequest(msgEntraNoPasswordKeyID(keyID))
}
