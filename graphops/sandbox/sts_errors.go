package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// More STS errors, with the texts Entra sends. Sources: the error reference
// (MicrosoftDocs/entra-docs docs/identity-platform/reference-error-codes.md) and
// responses captured in public issues, named next to each. Where only the
// reference table's wording was found, that is said.

// AADSTS50049 for instance discovery of a host Entra does not know (GRAPH-FACTS §6.3).
func errUnknownInstance() STSError {
	return STSError{Status: 400, Error: "invalid_instance", Code: 50049, Description: "Unknown or invalid instance."}
}

// AADSTS900144 (reference table: "The request body must contain the following parameter: '{name}'.").
func errMissingParameter(name string) STSError {
	return STSError{Status: 400, Error: "invalid_request", Code: 900144,
		Description: fmt.Sprintf("The request body must contain the following parameter: '%s'.", name)}
}

// AADSTS70011, the reference page's sample response.
func errInvalidScope(scope string) STSError {
	return STSError{Status: 400, Error: "invalid_scope", Code: 70011,
		Description: fmt.Sprintf("The provided value for the input parameter 'scope' isn't valid. The scope %s isn't valid.", scope)}
}

// AADSTS1002012: client credentials without {resource}/.default. The scope named
// is the whole scope parameter (MSAL Go's own comment in oauth.go quotes
// "The provided value for scope openid offline_access profile is not valid.";
// captures in MicrosoftDocs/azure-docs#99862, msgraph-sdk-python#181).
func errClientCredentialsScope(scope string) STSError {
	return STSError{Status: 400, Error: "invalid_scope", Code: 1002012,
		Description: fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)}
}

// AADSTS700022 (reference table wording).
func errMultipleResources() STSError {
	return STSError{Status: 400, Error: "invalid_scope", Code: 700022,
		Description: "The provided value for the input parameter scope isn't valid because it contains more than one resource."}
}

// AADSTS500011, captured in Azure-Samples/azure-search-openai-demo#1529.
func errResourceNotFound(resource, tenantName string) STSError {
	return STSError{Status: 400, Error: "invalid_resource", Code: 500011,
		Description: fmt.Sprintf("The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resource, tenantName)}
}

// AADSTS7000229, captured in Azure/Commercial-Marketplace-SaaS-Accelerator#830 and
// Azure/azure-sdk-for-net#46762 (MSAL.NET reports error code invalid_client; the
// HTTP status is not in the captures, 401 as for other invalid_client errors).
func errMissingServicePrincipal(appID, tenantID string) STSError {
	return STSError{Status: 401, Error: "invalid_client", Code: 7000229,
		Description: fmt.Sprintf("The client application %s is missing service principal in the tenant %s. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119", appID, tenantID)}
}

// AADSTS700025 (reference table: "Client is public so neither 'client_assertion'
// nor 'client_secret' should be presented.").
func errPublicClientWithCredential() STSError {
	return STSError{Status: 401, Error: "invalid_client", Code: 700025,
		Description: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented."}
}

// AADSTS50148, captured in AzureAD/microsoft-authentication-library-for-js#5044
// and pennersr/django-allauth#2916. (Entra also sends AADSTS501481 "The
// Code_Verifier does not match the code_challenge supplied in the authorization
// request." in other captures.)
func errPKCEMismatch() STSError {
	return STSError{Status: 400, Error: "invalid_grant", Code: 50148,
		Description: "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE."}
}

// AADSTS54005 (reference table, word for word).
func errCodeRedeemed() STSError {
	return STSError{Status: 400, Error: "invalid_grant", Code: 54005,
		Description: "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."}
}

// AADSTS70000 for an unknown code, captured in abraunegg/onedrive#3609.
func errInvalidCode() STSError {
	return STSError{Status: 400, Error: "invalid_grant", Code: 70000,
		Description: "The provided value for the 'code' parameter is not valid."}
}

// AADSTS70008, captured in Azure/azure-sdk-for-java#33235.
func errGrantExpired() STSError {
	return STSError{Status: 400, Error: "invalid_grant", Code: 70008,
		Description: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."}
}

// AADSTS700005 (reference table wording).
func errCodeWrongTenant() STSError {
	return STSError{Status: 400, Error: "invalid_grant", Code: 700005,
		Description: "Provided Authorization Code is intended to use against other tenant, thus rejected."}
}

// AADSTS500112: redirect_uri at redemption differs from /authorize (widely quoted
// as "The reply address ... does not match the reply address ... provided when
// requesting Authorization code."; error value as a reply-address problem).
func errRedeemRedirectMismatch(got, want string) STSError {
	return STSError{Status: 400, Error: "invalid_grant", Code: 500112,
		Description: fmt.Sprintf("The reply address '%s' does not match the reply address '%s' provided when requesting Authorization code.", got, want)}
}

// AADSTS9002313 (reference table: "Invalid request. Request is malformed or invalid.").
func errMalformed() STSError {
	return STSError{Status: 400, Error: "invalid_grant", Code: 9002313,
		Description: "Invalid request. Request is malformed or invalid."}
}

// AADSTS70003 (reference table: "UnsupportedGrantType - The app returned an unsupported grant type.").
func errUnsupportedGrant() STSError {
	return STSError{Status: 400, Error: "unsupported_grant_type", Code: 70003,
		Description: "The app requested an unsupported grant type."}
}

// AADSTS900561 (reference table: "The endpoint only accepts {valid_verbs}
// requests. Received a {invalid_verb} request.").
func errWrongVerb(method string) STSError {
	return STSError{Status: 400, Error: "invalid_request", Code: 900561,
		Description: fmt.Sprintf("The endpoint only accepts POST requests. Received a %s request.", method)}
}

// AADSTS50059, for a tenant-less client credentials request (reference table:
// "No tenant-identifying information found in either the request or implied by
// any provided credentials.").
func errNoTenant() STSError {
	return STSError{Status: 400, Error: "invalid_request", Code: 50059,
		Description: "No tenant-identifying information found in either the request or implied by any provided credentials."}
}

// AADSTS65001 with suberror consent_required, captured in Azure/azure-cli#12566.
func errConsentRequired(appID, appName string) STSError {
	return STSError{Status: 400, Error: "invalid_grant", Code: 65001, SubError: "consent_required",
		Description: fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", appID, appName)}
}

// AADSTS65004, sent to redirect_uri as error=access_denied when the user
// declines consent or leaves the "Need admin approval" page (reference table:
// "UserDeclinedConsent - User declined to consent to access the app.").
const msgUserDeclinedConsent = "User declined to consent to access the app."

// AADSTS70020 for an expired device code, captured in Azure/azure-cli#22251.
func errDeviceCodeExpired() STSError {
	return STSError{Status: 400, Error: "expired_token", Code: 70020,
		Description: "The provided value for the input parameter 'device_code' is not valid. This device code has expired."}
}

// AADSTS7000014 for an unknown device_code, captured in
// MicrosoftDocs/microsoft-graph-training#97 as invalid_grant (the protocol doc
// lists bad_verification_code for this case; the service sends invalid_grant).
func errBadDeviceCode() STSError {
	return STSError{Status: 400, Error: "invalid_grant", Code: 7000014,
		Description: "The provided value for the input parameter 'device_code' is not valid."}
}

// authorization_declined (ED v2-oauth2-device-code.md "The end user denied the
// authorization request."). No capture of its AADSTS text was found; the code
// and text of a declined consent (65004) are used.
func errDeviceDeclined() STSError {
	return STSError{Status: 400, Error: "authorization_declined", Code: 65004, Description: msgUserDeclinedConsent}
}

// AADSTS7000215 for a public or first-party client that presents a secret it
// cannot have is covered by errInvalidSecret; assertion errors follow.

// AADSTS700027 with an invalid signature (reference table: "Client assertion
// failed signature validation.").
func errAssertionSignature() STSError {
	return STSError{Status: 401, Error: "invalid_client", Code: 700027, Description: "Client assertion failed signature validation."}
}

// AADSTS700027 for an expired key, the older bracketed form Entra sends
// ("[Reason - The key used is expired., Thumbprint of key used by client: …,
// Found key 'Start=…, End=…'"; seen in many public captures).
func errAssertionKeyExpired(thumb, appID string, start, end time.Time) STSError {
	return STSError{Status: 401, Error: "invalid_client", Code: 700027,
		Description: fmt.Sprintf("Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '%s', Found key 'Start=%s, End=%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]",
			strings.ToUpper(thumb), start.UTC().Format("01/02/2006 15:04:05"), end.UTC().Format("01/02/2006 15:04:05"), appID)}
}

// AADSTS50012 for an assertion whose aud is not this token endpoint, captured in
// AzureAD/azure-activedirectory-library-for-python#79.
func errAssertionAudience() STSError {
	return STSError{Status: 401, Error: "invalid_client", Code: 50012, Description: "Client assertion audience claim does not match Realm issuer."}
}

// AADSTS700024 for an assertion outside its validity.
func errAssertionTime(now, nbf, exp time.Time) STSError {
	return STSError{Status: 401, Error: "invalid_client", Code: 700024,
		Description: fmt.Sprintf("Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
			now.UTC().Format("2006-01-02T15:04:05.0000000Z"), nbf.UTC().Format("2006-01-02T15:04:05.0000000Z"), exp.UTC().Format("2006-01-02T15:04:05.0000000Z"))}
}

// AADSTS700021 for an assertion whose iss is not the client_id.
func errAssertionIssuer() STSError {
	return STSError{Status: 401, Error: "invalid_client", Code: 700021,
		Description: "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."}
}

// AADSTS50048 (reference table: "Subject mismatches Issuer claim in the client assertion.").
func errAssertionSubject() STSError {
	return STSError{Status: 401, Error: "invalid_client", Code: 50048, Description: "Subject mismatches Issuer claim in the client assertion."}
}

// Errors the authorize endpoint shows or redirects with.

// AADSTS50011 (text of the current sign-in error page; reference table
// "InvalidReplyTo").
func errRedirectMismatch(uri, appID string) STSError {
	return STSError{Status: 400, Error: "invalid_request", Code: 50011,
		Description: fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.", uri, appID)}
}

// AADSTS700051 for a response_type other than code.
func errUnsupportedResponseType(rt string) STSError {
	return STSError{Status: 400, Error: "unsupported_response_type", Code: 700051,
		Description: fmt.Sprintf("response_type '%s' is not enabled for the application.", rt)}
}

// PKCE for public clients. Entra itself accepts a native public client without
// PKCE and with the plain method; the sandbox requires S256 (the product always
// sends it, and MSAL does). Texts: AADSTS9002325 as captured
// (MicrosoftDocs/azure-docs#93166), AADSTS50149 and AADSTS501491 from the
// reference table.
func errPKCERequired() STSError {
	return STSError{Status: 400, Error: "invalid_request", Code: 9002325,
		Description: "Proof Key for Code Exchange is required for cross-origin authorization code redemption."}
}

func errPKCEMethod() STSError {
	return STSError{Status: 400, Error: "invalid_request", Code: 50149, Description: "Invalid Code_Challenge_method parameter."}
}

func errPKCESize() STSError {
	return STSError{Status: 400, Error: "invalid_request", Code: 501491, Description: "Invalid size of Code_Challenge parameter."}
}

// AADSTS50058 for prompt=none without a session.
func errNoSession() STSError {
	return STSError{Status: 400, Error: "interaction_required", Code: 50058,
		Description: "A silent sign-in request was sent but no user is signed in."}
}

// AADSTS50034 for an account that is not in the directory.
func errUserNotFound(upn, tenantName string) STSError {
	return STSError{Status: 400, Error: "invalid_request", Code: 50034,
		Description: fmt.Sprintf("The user account %s does not exist in the %s directory. To sign into this application, the account must be added to the directory.", upn, tenantName)}
}

// AADSTS50057 for a disabled account (reference table: "UserDisabled - The user account is disabled.").
func errUserDisabled() STSError {
	return STSError{Status: 400, Error: "invalid_grant", Code: 50057, Description: "The user account is disabled."}
}

// stsErrorText is the "AADSTSnnnn: text" form shown on sign-in pages.
func stsErrorText(e STSError) string { return fmt.Sprintf("AADSTS%d: %s", e.Code, e.Description) }
