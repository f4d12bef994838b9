package validate

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"m365wizard/graphops"
)

// Secret checks a pasted client secret Value. graphops.ValidateSecretValue
// decides the common cases (empty, spaces around it, the Secret ID instead of
// the Value — AADSTS7000215 —, a length no secret has); this adds a whole
// table row pasted, the masked form the portal shows later, and characters a
// secret never has. The message never contains the input, nor any part of it.
func Secret(v string) error {
	t := strings.TrimSpace(v)
	if t == "" || t != v {
		return fromGraphops(FieldSecret, graphops.ValidateSecretValue(v))
	}
	switch {
	case strings.ContainsFunc(t, unicode.IsSpace):
		return &Error{Field: FieldSecret,
			Message:  "The secret has spaces or line breaks inside it; a client secret Value has none.",
			NextStep: "If you copied a whole row of the Client secrets table, copy only the Value column (use its copy icon)."}
	case strings.Contains(t, "***") || strings.ContainsRune(t, '•') || strings.ContainsRune(t, '●'):
		return &Error{Field: FieldSecret,
			Message:  "This is the hidden form of the secret that the portal shows later, not its Value.",
			NextStep: "The Value is shown only right after the secret is created. Create a new client secret and copy its Value straight away."}
	case !utf8.ValidString(t) || hasControl(t) || strings.ContainsFunc(t, func(r rune) bool { return r > 0x7e }):
		return &Error{Field: FieldSecret,
			Message:  "The secret contains characters a client secret Value never has (such as accented letters, or quotes a word processor adds).",
			NextStep: "Copy it again from the Value column, straight into the wizard."}
	}
	return fromGraphops(FieldSecret, graphops.ValidateSecretValue(v))
}
