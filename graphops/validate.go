package graphops

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// Input checks that run before anything is sent to Microsoft. The wizard engine
// has the full set of validators with the admin's wording; these guard graphops'
// own entry points.

var domainRe = regexp.MustCompile(`^(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$`)

func isGUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// ValidateTenant accepts a Directory (tenant) ID or a domain name.
func ValidateTenant(t string) error {
	t = strings.TrimSpace(t)
	switch {
	case t == "":
		return &Error{Kind: KindInput, Field: "tenant", Message: "Enter the Directory (tenant) ID or a verified domain."}
	case isGUID(t), domainRe.MatchString(t) && len(t) <= 253:
		return nil
	}
	return &Error{Kind: KindInput, Field: "tenant",
		Message: fmt.Sprintf("%q is neither a Directory (tenant) ID (a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47) nor a domain name like contoso.com.", t)}
}

// ValidateClientID accepts an Application (client) ID.
func ValidateClientID(id string) error {
	if isGUID(strings.TrimSpace(id)) {
		return nil
	}
	return &Error{Kind: KindInput, Field: "client-id",
		Message: fmt.Sprintf("%q is not an Application (client) ID; it is a GUID like 00001111-aaaa-2222-bbbb-3333cccc4444.", id)}
}

// ValidateSecretValue catches the commonest support case before anything is
// sent: the secret's ID (a GUID) pasted instead of its Value (AADSTS7000215).
// The error never repeats the value.
func ValidateSecretValue(v string) error {
	trimmed := strings.TrimSpace(v)
	switch {
	case trimmed == "":
		return &Error{Kind: KindInput, Field: "secret", Message: "Enter the client secret's Value."}
	case trimmed != v:
		return &Error{Kind: KindInput, Field: "secret", Message: "The client secret has spaces or line breaks around it; copy only the Value."}
	case isGUID(trimmed):
		return &Error{Kind: KindInput, Field: "secret", Code: "AADSTS7000215",
			Message:  "This looks like the Secret ID, not the secret's Value.",
			NextStep: "In Certificates & secrets, copy the Value column (shown only right after the secret was created). If it is no longer shown, create a new secret."}
	case len(trimmed) < 16 || len(trimmed) > 1024:
		return &Error{Kind: KindInput, Field: "secret", Message: "That is not the length of a client secret Value (they are about 40 characters)."}
	}
	return nil
}

// ValidateAppName checks an app registration display name (Entra allows up to
// 120 characters; the portal requires one).
func ValidateAppName(name string) error {
	t := strings.TrimSpace(name)
	switch {
	case t == "":
		return &Error{Kind: KindInput, Field: "app-name", Message: "Enter a name for the app registration, for example HelpMaster."}
	case t != name:
		return &Error{Kind: KindInput, Field: "app-name", Message: "The app name starts or ends with spaces."}
	case len([]rune(t)) > 120:
		return &Error{Kind: KindInput, Field: "app-name", Message: "The app name is longer than the 120 characters Entra allows."}
	}
	for _, r := range t {
		if r < 0x20 || r == 0x7f {
			return &Error{Kind: KindInput, Field: "app-name", Message: "The app name contains a control character."}
		}
	}
	return nil
}
