package metrics

import "unicode/utf8"

// A shard is a range of keys listed by one sequence of ListObjectsV2 requests.
// Shards partition a bucket exactly: every key falls in one shard whatever
// bytes it holds, so the sums are exact even for keys outside the layout of
// shared/objectkey. See the package documentation for how and why shards
// split.

// maxRune is the largest code point. Appended to a prefix it sorts after every
// real key under that prefix (no key continues with this noncharacter), which
// makes it a valid UTF-8 StartAfter that skips a whole subtree.
const maxRune = "\U0010FFFF"

// keyRange is the part of the key space a shard lists.
type keyRange struct {
	// prefix is the request's Prefix; startAfter its first StartAfter.
	prefix     string
	startAfter string
	// lo and hi bound the keys counted: lo <= key < hi; empty means unbounded.
	// Keys below lo are skipped; the first key at or past hi ends the shard.
	lo, hi string
	// root is a prefix of every key left in the range: a split divides the
	// range after the child of root that holds the last key listed.
	root string
}

// splitRange divides what is left of a range (last, hi) whose keys all start
// with root, after a page of keys from first to last.
//
// The page's keys differ from one another below their common prefix, at
// level d: that is where keys are dense. The listing in progress keeps the
// rest of last's child at that level, (last, keepHi), all under keepRoot.
// Every other key left differs from last first at some level between root
// and d; each such level becomes one shard, or two halved at the middle of
// the byte values left there. Shards at levels where the bucket has nothing
// cost one empty answer; the dense level and the ones just above it, which
// hold the bulk, start listing at once, whatever the id alphabet, whether ids
// are random or time-ordered. ok is false when no split is possible.
func splitRange(root, first, last, hi string) (keepHi, keepRoot string, forks []keyRange,
	ok bool) {
	d := len(root)
	for d < len(first) && d < len(last)-1 && first[d] == last[d] {
		d++
	}
	if d >= len(last) {
		return "", "", nil, false
	}
	for i := len(root); i <= d; i++ {
		if last[i] >= utf8.RuneSelf {
			// The StartAfter values below must be valid UTF-8, and a prefix
			// cut inside a multi-byte character is not: split above it.
			d = i - 1
			break
		}
	}
	if d < len(root) {
		return "", "", nil, false
	}

	keepHi = clip(last[:d]+string([]byte{last[d] + 1}), hi)
	keepRoot = last[:d+1]
	for lvl := d; lvl >= len(root); lvl-- {
		parent := last[:lvl]
		lo := parent + string([]byte{last[lvl] + 1})
		top := hi
		if lvl > len(root) {
			top = clip(last[:lvl-1]+string([]byte{last[lvl-1] + 1}), hi)
		}
		if top != "" && lo >= top {
			continue
		}
		forks = append(forks, halve(parent, last[:lvl+1], lo, top)...)
	}
	return keepHi, keepRoot, forks, len(forks) > 0
}

// halve returns the range [lo, hi) of keys under parent, listed after the
// subtree of child, as one shard or two cut at the middle of the byte values
// it spans at the level below parent.
func halve(parent, child, lo, hi string) []keyRange {
	whole := keyRange{prefix: parent, startAfter: child + maxRune, lo: lo, hi: hi,
		root: parent}
	l := len(parent)
	from, to := int(lo[l]), int(utf8.RuneSelf)
	if len(hi) > l && hi[:l] == parent {
		to = min(to, int(hi[l]))
	}
	mid := (from + to) / 2
	if mid <= from {
		return []keyRange{whole}
	}
	cut := parent + string([]byte{byte(mid)})
	lower, upper := whole, whole
	lower.hi = cut
	upper.startAfter = parent + string([]byte{byte(mid - 1)}) + maxRune
	upper.lo = cut
	return []keyRange{lower, upper}
}

// clip returns the smaller of two upper bounds, "" being unbounded.
func clip(a, b string) string {
	if b != "" && (a == "" || b < a) {
		return b
	}
	return a
}

// prefixEnd returns the least string greater than every string starting with
// p, or "" when there is none (p is empty or all 0xff bytes).
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
