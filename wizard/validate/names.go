package validate

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"m365wizard/graphops"
)

// AppName checks the app registration's display name against Entra's limits
// (graphops.ValidateAppName: required, no spaces around it, at most 120
// characters, no control characters), after refusing bytes that are not text.
func AppName(name string) error {
	if !utf8.ValidString(name) {
		return newError(FieldAppName, "The app name contains bytes that are not text; type it again.")
	}
	return fromGraphops(FieldAppName, graphops.ValidateAppName(name))
}

// MaxSecretDescription bounds a client secret's description. Microsoft Graph
// documents no limit for passwordCredential.displayName (the 32-byte limit
// az CLI users hit was the retired AD Graph customKeyIdentifier, not this
// field), so this is the wizard's own safe bound: enough for
// "HelpMaster, created by M365 Setup Wizard 2025-01-31 for helpdesk@contoso.com".
const MaxSecretDescription = 100

// SecretDescription checks the description of a client secret (the portal's
// "Description": a label, not the secret). It is required: months later it is
// how the admin, and the wizard's renewal, tell this secret from the others in
// Certificates & secrets. The wizard suggests one, so leaving it empty takes a
// deliberate act.
func SecretDescription(d string) error {
	bad := func(msg string) error { return newError(FieldSecretDescription, msg) }
	t := strings.TrimSpace(d)
	switch {
	case t == "":
		return bad("Enter a description for the secret, for example \"HelpMaster\". It is a label only, not the secret; it tells this secret from others later.")
	case t != d:
		return bad("The description starts or ends with spaces.")
	case !utf8.ValidString(d):
		return bad("The description contains bytes that are not text; type it again.")
	case hasControl(d):
		return bad("The description must be one line, without control characters.")
	case utf8.RuneCountInString(d) > MaxSecretDescription:
		return bad(fmt.Sprintf("The description is longer than %d characters; shorten it.", MaxSecretDescription))
	}
	return nil
}
