package validate

import (
	"strings"
	"unicode"

	"github.com/google/uuid"

	"m365wizard/graphops"
)

const (
	exampleTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	exampleClient = "00001111-aaaa-2222-bbbb-3333cccc4444"
)

// Tenant checks a Directory (tenant) ID (a GUID) or a tenant domain name such
// as contoso.onmicrosoft.com. graphops.ValidateTenant decides; the messages
// say what the admin probably pasted instead.
func Tenant(s string) error {
	if graphops.ValidateTenant(s) == nil {
		return nil
	}
	t := strings.TrimSpace(s)
	msg := ""
	switch {
	case t == "":
		msg = "Enter the Directory (tenant) ID, or one of the tenant's domain names such as contoso.onmicrosoft.com."
	case strings.ContainsFunc(t, unicode.IsSpace) || hasControl(t):
		msg = "The tenant has spaces or line breaks inside it; copy only the Directory (tenant) ID."
	case strings.HasPrefix(strings.ToLower(t), "api://"):
		msg = "That is an Application ID URI. Enter the Directory (tenant) ID from the app's Overview page instead."
	case looksLikeSecret(t):
		msg = "This looks like a client secret Value, not the Directory (tenant) ID. Keep it for the Client secret box; the Directory (tenant) ID is a GUID on the app's Overview page."
	case strings.Contains(t, "/"):
		msg = "Enter only the Directory (tenant) ID, not a web address. It is on the app's Overview page, under Directory (tenant) ID."
	case strings.Contains(t, "@"):
		msg = "That is an email address. Enter the part after the @ (the domain, such as contoso.com) or the Directory (tenant) ID."
	case bracedGUID(t):
		msg = "Leave out the braces { } around the Directory (tenant) ID."
	case isOneOf(strings.ToLower(t), "common", "organizations", "consumers", "organisations"):
		msg = "That is not a tenant. Enter your own Directory (tenant) ID or domain: the app is registered in your organization only."
	case guidish(t):
		msg = "That is not a complete Directory (tenant) ID. It has 32 letters and digits in five groups, like " + exampleTenant + "."
	case len(t) > 253:
		msg = "That is longer than a domain name can be (253 characters)."
	case !strings.Contains(t, "."):
		msg = "A domain name has a dot, like contoso.com or contoso.onmicrosoft.com. Or enter the Directory (tenant) ID, a GUID like " + exampleTenant + "."
	default:
		msg = "That is neither a Directory (tenant) ID (a GUID like " + exampleTenant + ") nor a domain name like contoso.com."
	}
	return newError(FieldTenant, msg)
}

// ClientID checks an Application (client) ID: a GUID. graphops.ValidateClientID
// decides; the messages say what the admin probably pasted instead.
func ClientID(s string) error {
	if graphops.ValidateClientID(s) == nil {
		return nil
	}
	t := strings.TrimSpace(s)
	msg := ""
	switch {
	case t == "":
		msg = "Enter the Application (client) ID. It is on the app's Overview page."
	case strings.ContainsFunc(t, unicode.IsSpace) || hasControl(t):
		msg = "The Application (client) ID has spaces or line breaks inside it; copy only the ID."
	case strings.HasPrefix(strings.ToLower(t), "api://"):
		msg = "That is the Application ID URI. Enter the Application (client) ID: the GUID on the app's Overview page, without api://."
	case looksLikeSecret(t):
		msg = "This looks like a client secret Value, not the Application (client) ID. Keep it for the Client secret box; the Application (client) ID is a GUID on the app's Overview page."
	case strings.Contains(t, "/"):
		msg = "Enter only the Application (client) ID, not a web address. It is on the app's Overview page."
	case strings.Contains(t, "@"):
		msg = "That is an email address, not the Application (client) ID. The ID is a GUID on the app's Overview page."
	case bracedGUID(t):
		msg = "Leave out the braces { } around the Application (client) ID."
	case guidish(t):
		msg = "That is not a complete Application (client) ID. It has 32 letters and digits in five groups, like " + exampleClient + "."
	case strings.Contains(t, "."):
		msg = "That looks like a domain or a name, not the Application (client) ID. The ID is a GUID like " + exampleClient + " on the app's Overview page."
	default:
		msg = "That is not an Application (client) ID. It is a GUID like " + exampleClient + ", on the app's Overview page."
	}
	return newError(FieldClientID, msg)
}

// DistinctIDs catches the Application (client) ID and the Directory (tenant)
// ID being the same GUID: one of them was copied from the wrong line of the
// app's Overview page. It reports nothing about malformed IDs (Tenant and
// ClientID do).
func DistinctIDs(tenantID, clientID string) error {
	a, b := strings.TrimSpace(tenantID), strings.TrimSpace(clientID)
	if isGUID(a) && isGUID(b) && strings.EqualFold(a, b) {
		return &Error{Field: FieldClientID,
			Message:  "The Application (client) ID is the same as the Directory (tenant) ID.",
			NextStep: "One of them was copied from the wrong line of the app's Overview page: copy both again."}
	}
	return nil
}

func isGUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

func bracedGUID(s string) bool {
	return len(s) == 38 && s[0] == '{' && s[37] == '}' && isGUID(s[1:37])
}

// guidish: only hex digits and hyphens, long enough to be a damaged GUID.
func guidish(s string) bool {
	if len(s) < 8 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F')) {
			return false
		}
	}
	return true
}

// looksLikeSecret: the shape of a client secret Value (about 40 characters;
// current ones have a ~, older ones are base64-like with + / =), which no GUID,
// domain name or web address has.
func looksLikeSecret(s string) bool {
	if len(s) < 30 || len(s) > 100 || strings.Contains(s, "://") || strings.Contains(s, "@") {
		return false
	}
	return strings.Contains(s, "~") || (strings.ContainsAny(s, "+/=") && !strings.Contains(s, "."))
}

func isOneOf(s string, list ...string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}
