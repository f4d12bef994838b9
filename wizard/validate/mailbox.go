package validate

import (
	"fmt"
	"strings"
)

// Limits of an SMTP address (RFC 5321 §4.5.3.1): 64 octets before the @, 255
// after it, and 254 for the whole address (the 256-octet path less its angle
// brackets); 63 per domain label (RFC 1035).
const (
	maxLocalPart = 64
	maxDomain    = 253 // 255 less the root's length octets, as DNS names go
	maxAddress   = 254
	maxLabel     = 63
)

// Mailbox checks the address of a mailbox (or of a mail-enabled group) the
// app will use: a plain SMTP address like helpdesk@contoso.com. It refuses the
// display-name form ("Help Desk <helpdesk@contoso.com>"), mailto:, spaces, a
// missing or dotless domain, dots at the ends or two in a row, quoted or
// bracketed parts, non-ASCII characters, and parts over the limits, saying
// which. A message may name the one character that is wrong, never the input.
func Mailbox(addr string) error {
	bad := func(msg string) error { return newError(FieldMailbox, msg) }
	t := strings.TrimSpace(addr)
	switch {
	case t == "":
		return bad("Enter the mailbox's email address, for example helpdesk@contoso.com.")
	case t != addr:
		return bad("The address has spaces or line breaks before or after it; enter only the address.")
	case strings.ContainsAny(t, "<>"):
		return bad("Enter only the address, such as helpdesk@contoso.com, without a name or angle brackets < > around it.")
	case strings.HasPrefix(strings.ToLower(t), "mailto:"):
		return bad("Leave out \"mailto:\"; enter only the address, such as helpdesk@contoso.com.")
	case hasControl(t):
		return bad("The address contains a control character or a line break.")
	case strings.ContainsAny(t, " \t\u00a0\u3000"):
		return bad("An email address has no spaces. If you pasted a name and an address, enter only the address.")
	case strings.Count(t, "@") == 0:
		return bad("The address has no @. Enter the whole address, such as helpdesk@contoso.com.")
	case strings.Count(t, "@") > 1:
		return bad("The address has more than one @. Enter a single address, such as helpdesk@contoso.com.")
	case len(t) > maxAddress:
		return bad(fmt.Sprintf("The address is longer than the %d characters an email address can have.", maxAddress))
	}
	local, domain, _ := strings.Cut(t, "@")
	switch {
	case local == "":
		return bad("There is nothing before the @. Enter the whole address, such as helpdesk@contoso.com.")
	case domain == "":
		return bad("There is nothing after the @. Add the domain, such as @contoso.com.")
	case len(local) > maxLocalPart:
		return bad(fmt.Sprintf("The part before the @ is longer than the %d characters an email address allows.", maxLocalPart))
	case strings.HasPrefix(local, ".") || strings.HasSuffix(local, "."):
		return bad("The part before the @ cannot start or end with a dot.")
	case strings.Contains(t, ".."):
		return bad("The address has two dots in a row.")
	case strings.HasPrefix(local, "\""):
		return bad("Quoted addresses (with \" \") cannot be used for a Microsoft 365 mailbox.")
	}
	if notASCII(t) {
		return bad("The address has a character outside plain ASCII (such as an accented letter). Microsoft 365 mailboxes used by an app need their plain address; check the mailbox's primary email address.")
	}
	for _, r := range local {
		if !localChar(r) {
			return bad(fmt.Sprintf("The part before the @ contains %s, which an email address cannot have there.", describeChar(r)))
		}
	}
	if len(domain) > maxDomain {
		return bad(fmt.Sprintf("The domain after the @ is longer than the %d characters a domain name can have.", maxDomain))
	}
	if strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return bad("The domain after the @ cannot start or end with a dot.")
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return bad("The domain after the @ needs a dot, like contoso.com or contoso.onmicrosoft.com.")
	}
	for _, l := range labels {
		if len(l) > maxLabel {
			return bad(fmt.Sprintf("A part of the domain between dots is longer than the %d characters a domain allows.", maxLabel))
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return bad(fmt.Sprintf("The domain after the @ contains %s; a domain has only letters, digits, hyphens and dots.", describeChar(r)))
			}
		}
		if strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return bad("A part of the domain cannot start or end with a hyphen.")
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return bad("The domain ends in a number; enter a domain name such as contoso.com, not an IP address.")
	}
	return nil
}

// localChar: the characters of an unquoted local part (RFC 5322 atext, and dots).
func localChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r)
}

func notASCII(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r > 0x7e })
}

// describeChar names one printable ASCII character for a message.
func describeChar(r rune) string {
	names := map[rune]string{
		',': "a comma (,)", ';': "a semicolon (;)", ':': "a colon (:)", '(': "a bracket ( ( )", ')': "a bracket ( ) )",
		'[': "a bracket ( [ )", ']': "a bracket ( ] )", '\\': "a backslash (\\)", '"': "a quotation mark (\")",
		'@': "an @", '_': "an underscore (_)", '!': "an exclamation mark (!)", '#': "a hash (#)",
	}
	if n, ok := names[r]; ok {
		return n
	}
	if r > 0x20 && r < 0x7f {
		return fmt.Sprintf("the character %c", r)
	}
	return "a character"
}
