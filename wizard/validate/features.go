package validate

import (
	"fmt"
	"strings"

	"m365wizard/wizard/profile"
)

// Features checks the features an admin chose for a profile: at least one,
// each a feature of that profile. Repeats are harmless and pass. Required
// features may be left out of keys: they are always on (profile.Selected adds
// them). The message names an unknown key (feature keys are not secrets).
func Features(p *profile.Profile, keys []string) error {
	bad := func(msg string) error { return newError(FieldFeatures, msg) }
	if p == nil {
		return bad("Choose the product to connect first.")
	}
	if len(keys) == 0 {
		return bad(fmt.Sprintf("Choose at least one %s feature to set up.", p.Product))
	}
	var known []string
	for _, f := range p.Features {
		known = append(known, f.Key)
	}
	for _, k := range keys {
		if p.Feature(k) != nil {
			continue
		}
		k = strings.TrimSpace(k)
		if k == "" {
			return bad("A feature name is empty; the features are " + strings.Join(known, ", ") + ".")
		}
		if len(k) > 40 || strings.ContainsFunc(k, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			return bad(fmt.Sprintf("That is not a %s feature; the features are %s.", p.Product, strings.Join(known, ", ")))
		}
		if f := p.Feature(strings.ToLower(k)); f != nil {
			return bad(fmt.Sprintf("Feature names are lower case: write %q.", f.Key))
		}
		return bad(fmt.Sprintf("%s has no feature %q; the features are %s.", p.Product, k, strings.Join(known, ", ")))
	}
	return nil
}
