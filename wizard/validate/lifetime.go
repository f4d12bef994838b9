package validate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"m365wizard/graphops"
)

// Lifetime is how long a new client secret lives: one of the portal's choices
// in months, or a custom number of days. Exactly one of the two is set.
type Lifetime struct {
	Months int // 6, 12, 18 or 24
	Days   int // a custom number of days
}

// MonthChoices is the choices the wizard offers, as the portal's Expires list
// does ("180 days (6 months)" … "730 days (24 months)").
var MonthChoices = []int{6, 12, 18, 24}

// portalDays is the number of days the portal gives each month choice.
var portalDays = map[int]int{6: 180, 12: 365, 18: 545, 24: 730}

// maxDays bounds the arithmetic; anything longer is refused by graphops anyway.
const maxDays = 100000

// Months is a lifetime of n months (one of MonthChoices).
func Months(n int) Lifetime { return Lifetime{Months: n} }

// Days is a custom lifetime of n days.
func Days(n int) Lifetime { return Lifetime{Days: n} }

// InDays is the lifetime in whole days: the portal's count for a month choice
// (12 months = 365 days), 30 days a month for any other number of months.
func (l Lifetime) InDays() int {
	days := clampDays(l.Days)
	if l.Months == 0 {
		return days
	}
	if d, ok := portalDays[l.Months]; ok {
		return clampDays(d + days)
	}
	m := min(max(l.Months, -maxDays/30), maxDays/30)
	return clampDays(m*30 + days)
}

func clampDays(d int) int { return min(max(d, -maxDays), maxDays) }

// Duration is the lifetime to pass to graphops (AddSecret).
func (l Lifetime) Duration() time.Duration {
	return time.Duration(l.InDays()) * 24 * time.Hour
}

// String is the lifetime as the portal words it: "365 days (12 months)" or "90 days".
func (l Lifetime) String() string {
	if l.Months != 0 && l.Days == 0 {
		return fmt.Sprintf("%d days (%d months)", l.InDays(), l.Months)
	}
	return fmt.Sprintf("%d days", l.InDays())
}

// SecretLifetime checks a lifetime: one of the month choices or a number of
// days, then the range and the tenant's policy (graphops.ValidateSecretLifetime:
// at least a day, at most 24 months, within the app management policy's cap,
// and secrets allowed at all). A policy refusal has Policy set.
func SecretLifetime(l Lifetime, policy graphops.SecretPolicy) error {
	bad := func(msg string) error { return newError(FieldSecretLifetime, msg) }
	switch {
	case l.Months != 0 && l.Days != 0:
		return bad("Choose a number of months or a number of days, not both.")
	case l.Months == 0 && l.Days == 0:
		return bad("Choose how long the secret lives: 6, 12, 18 or 24 months, or a number of days.")
	case l.Months != 0 && portalDays[l.Months] == 0 && l.Months <= 24:
		return bad("Choose 6, 12, 18 or 24 months, or enter a number of days.")
	}
	return fromGraphops(FieldSecretLifetime, graphops.ValidateSecretLifetime(l.Duration(), policy))
}

// Choices is the month choices the tenant's policy allows, in order.
func Choices(policy graphops.SecretPolicy) []Lifetime {
	var out []Lifetime
	for _, m := range MonthChoices {
		if SecretLifetime(Months(m), policy) == nil {
			out = append(out, Months(m))
		}
	}
	return out
}

var lifetimeRe = regexp.MustCompile(`^(\d+)\s*(m|mo|mon|months?|d|days?|y|yrs?|years?)$`)

// ParseLifetime reads a lifetime typed on the command line: "12 months",
// "6m", "90 days", "90d", "1 year", "2y". A bare number is refused (months or
// days?). It checks the form only; SecretLifetime checks the value.
func ParseLifetime(s string) (Lifetime, error) {
	bad := func(msg string) (Lifetime, error) { return Lifetime{}, newError(FieldSecretLifetime, msg) }
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return bad("Enter how long the secret lives, such as 12 months or 90 days.")
	}
	if _, err := strconv.Atoi(t); err == nil {
		return bad("Say months or days, such as 12 months or 90 days.")
	}
	m := lifetimeRe.FindStringSubmatch(t)
	if m == nil {
		return bad("Write the lifetime as a number of months or days, such as 12 months or 90 days.")
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n > maxDays {
		return bad("That is far longer than Microsoft allows; secrets live at most 24 months.")
	}
	if n == 0 {
		return bad("A secret must live at least one day.")
	}
	switch m[2][0] {
	case 'd':
		return Days(n), nil
	case 'y':
		return Months(12 * n), nil
	}
	return Months(n), nil
}
