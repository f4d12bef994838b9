package exchange

import "strings"

// isSingleQuote reports whether PowerShell's tokenizer treats r as a single
// quote: the ASCII apostrophe and four typographic quotes (PowerShell's
// CharExtensions.IsSingleQuote: QuoteSingleLeft U+2018, QuoteSingleRight
// U+2019, QuoteSingleBase U+201A, QuoteReversed U+201B). Any of them ends a
// single-quoted string, so a name typed in Word ("O’Brien") needs escaping
// as much as "O'Brien".
func isSingleQuote(r rune) bool {
	switch r {
	case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
		return true
	}
	return false
}

// Quote returns s as a PowerShell single-quoted string literal. Inside single
// quotes PowerShell expands nothing ($, $(...), backticks and double quotes are
// plain text); the only special characters are the single quotes, and a quote
// character followed by another quote character stands for the second one.
// So each quote character is doubled, as PowerShell's own
// CodeGeneration.EscapeSingleQuotedStringContent does. s must not contain
// control characters (Params.Validate refuses them): a line break inside a
// literal would change with the file's line endings.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		b.WriteRune(r)
		if isSingleQuote(r) {
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// unquote reads a single-quoted literal the way PowerShell's tokenizer
// (ScanStringLiteral) does: an opening quote character, then text in which a
// quote character followed by another quote character yields the second one,
// up to a quote character not followed by another. It returns the value and
// the rest of the input after the closing quote; ok is false if src does not
// start with a complete literal. Tests use it to check Quote independently.
func unquote(src string) (val, rest string, ok bool) {
	rs := []rune(src)
	if len(rs) == 0 || !isSingleQuote(rs[0]) {
		return "", src, false
	}
	var b strings.Builder
	for i := 1; i < len(rs); i++ {
		if isSingleQuote(rs[i]) {
			if i+1 < len(rs) && isSingleQuote(rs[i+1]) {
				b.WriteRune(rs[i+1])
				i++
				continue
			}
			return b.String(), string(rs[i+1:]), true
		}
		b.WriteRune(rs[i])
	}
	return "", src, false
}
