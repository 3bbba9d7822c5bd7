package imaging

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MaxLongEdge is the largest long edge a variant may ask for.
const MaxLongEdge = 10000

// Variant is one rendition to make: its name (used in the object key) and the
// length of its long edge in pixels.
type Variant struct {
	Name     string
	LongEdge int
}

var variantName = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// ParseVariants parses a variant list such as "large:1600,medium:800,thumb:200"
// as it comes from the environment. White space around entries, names and
// numbers is ignored. Names are 1 to 64 of [a-z0-9_-] and unique; long edges
// are 1 to [MaxLongEdge]; at least one variant is required. The first variant
// is the primary rendition. Errors are [*InvalidVariantsError].
func ParseVariants(s string) ([]Variant, error) {
	fail := func(format string, args ...any) ([]Variant, error) {
		return nil, &InvalidVariantsError{Spec: s, Reason: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(s) == "" {
		return fail("no variants")
	}

	var out []Variant
	seen := map[string]bool{}
	for i, entry := range strings.Split(s, ",") {
		name, edge, ok := strings.Cut(entry, ":")
		name, edge = strings.TrimSpace(name), strings.TrimSpace(edge)
		switch {
		case strings.TrimSpace(entry) == "":
			return fail("entry %d is empty", i+1)
		case !ok:
			return fail("entry %d (%q) is not name:long-edge", i+1, strings.TrimSpace(entry))
		case !variantName.MatchString(name):
			return fail("name %q is not 1 to 64 of a-z, 0-9, _ and -", name)
		case seen[name]:
			return fail("name %q appears twice", name)
		}
		n, err := strconv.Atoi(edge)
		if err != nil || n < 1 || n > MaxLongEdge {
			return fail("long edge %q of %q is not a whole number from 1 to %d",
				edge, name, MaxLongEdge)
		}
		seen[name] = true
		out = append(out, Variant{Name: name, LongEdge: n})
	}
	return out, nil
}
