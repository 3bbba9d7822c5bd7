package metrics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// memS3 answers ListObjectsV2 from a sorted key list with S3's semantics:
// Prefix, StartAfter (ignored once a ContinuationToken is given), MaxKeys and
// Delimiter, common prefixes counting towards MaxKeys. It lets the partition
// be checked on keys that no emulator stores faithfully and in milliseconds.
type memS3 struct {
	keys  []string
	sizes map[string]int64

	mu       sync.Mutex
	requests []s3.ListObjectsV2Input
}

func newMemS3(sizes map[string]int64) *memS3 {
	m := &memS3{sizes: sizes}
	for k := range sizes {
		m.keys = append(m.keys, k)
	}
	sort.Strings(m.keys)
	return m
}

func (m *memS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input,
	_ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	m.mu.Lock()
	m.requests = append(m.requests, *in)
	m.mu.Unlock()

	prefix, delim := aws.ToString(in.Prefix), aws.ToString(in.Delimiter)
	maxKeys := int(aws.ToInt32(in.MaxKeys))
	if maxKeys == 0 {
		maxKeys = 1000
	}
	i := sort.SearchStrings(m.keys, prefix)
	if in.ContinuationToken != nil {
		i, _ = strconv.Atoi(*in.ContinuationToken)
	} else if after := aws.ToString(in.StartAfter); after != "" {
		i = max(i, sort.Search(len(m.keys), func(j int) bool { return m.keys[j] > after }))
	}

	out := &s3.ListObjectsV2Output{}
	n := 0
	for i < len(m.keys) && strings.HasPrefix(m.keys[i], prefix) {
		if n == maxKeys {
			out.IsTruncated = aws.Bool(true)
			out.NextContinuationToken = aws.String(strconv.Itoa(i))
			break
		}
		key := m.keys[i]
		if j := strings.Index(key[len(prefix):], delim); delim != "" && j >= 0 {
			cp := key[:len(prefix)+j+len(delim)]
			out.CommonPrefixes = append(out.CommonPrefixes, s3types.CommonPrefix{Prefix: &cp})
			end := prefixEnd(cp)
			i = sort.SearchStrings(m.keys, end)
		} else {
			out.Contents = append(out.Contents, s3types.Object{Key: aws.String(key),
				Size: aws.Int64(m.sizes[key])})
			i++
		}
		n++
	}
	return out, nil
}

// groupOf is the top-level prefix a key counts for, by definition.
func groupOf(key string) string {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i+1]
	}
	return RootPrefix
}

func expected(sizes map[string]int64) (Usage, map[string]Usage) {
	var total Usage
	groups := map[string]Usage{}
	for k, s := range sizes {
		u := Usage{Objects: 1, Bytes: s}
		total.add(u)
		g := groups[groupOf(k)]
		g.add(u)
		groups[groupOf(k)] = g
	}
	return total, groups
}

// awkwardKeys are keys around every kind of shard boundary: a key equal to a
// prefix, bytes in each gap, non-ASCII, and U+10FFFF right after a boundary
// byte, which lies beyond a gap shard's StartAfter but belongs to the
// alphabet shard before it.
var awkwardKeys = []string{
	"user-uploads/", "user-uploads/a", "user-uploads/a/", "user-uploads/ space",
	"user-uploads/\x01ctl", "user-uploads/!bang", "user-uploads/:colon", "user-uploads/@at",
	"user-uploads/[bracket", "user-uploads/^caret", "user-uploads/`tick", "user-uploads/{brace",
	"user-uploads/~tilde", "user-uploads/\x7fdel", "user-uploads/été", "user-uploads/日本",
	"user-uploads/z" + maxRune + "x", "user-uploads/9" + maxRune, "user-uploads/Z" + maxRune + "!",
	"user-uploads/_" + maxRune + "_", "user-uploads/a" + maxRune + "/b", "processed/",
	"processed/x.jpg", "processed/x/thumb.jpg", "rootfile", "root.txt", "/leading-slash",
	"other/deep/er/key", "~tilde-top/x", "a", "",
}

func randomKeys(r *rand.Rand, n int) map[string]int64 {
	const hex = "0123456789abcdef"
	const b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	id := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	sizes := map[string]int64{}
	for _, k := range awkwardKeys {
		if k != "" {
			sizes[k] = r.Int64N(1000)
		}
	}
	users := make([]string, 1+n/40)
	for i := range users {
		users[i] = id(hex, 8)
	}
	for len(sizes) < n {
		var key string
		switch r.IntN(4) {
		case 0, 1:
			key = "user-uploads/" + users[r.IntN(len(users))] + "/" + id(b62, 10) + ".jpg"
		case 2:
			// Time-ordered ids crowd into one corner of the key space.
			key = fmt.Sprintf("processed/01HZ%06d.jpg", r.IntN(1_000_000))
		default:
			key = fmt.Sprintf("processed/01HZ%06d/thumb.jpg", r.IntN(1_000_000))
		}
		sizes[key] = r.Int64N(5 << 20)
	}
	return sizes
}

// TestPartitionIsExact lists random and awkward keys with tiny pages, so that
// shards split over and over, and compares with the sums by definition.
func TestPartitionIsExact(t *testing.T) {
	for _, tt := range []struct {
		objects, pageSize, workers, splitAfter int
	}{
		{objects: 3000, pageSize: 7, workers: 8, splitAfter: 1},
		{objects: 3000, pageSize: 1, workers: 3, splitAfter: 1},
		{objects: 5000, pageSize: 50, workers: 64, splitAfter: 2},
		{objects: 2000, pageSize: 1000, workers: 1, splitAfter: 1},
	} {
		name := fmt.Sprintf("%d objects, page %d, %d workers", tt.objects, tt.pageSize, tt.workers)
		t.Run(name, func(t *testing.T) {
			sizes := randomKeys(rand.New(rand.NewPCG(uint64(tt.objects), uint64(tt.pageSize))),
				tt.objects)
			api := newMemS3(sizes)
			h := New(api, nil, Config{Concurrency: tt.workers, PageSize: int32(tt.pageSize),
				SplitAfterPages: tt.splitAfter}, slog.New(slog.NewTextHandler(io.Discard, nil)))

			snap, err := h.Measure(context.Background(), "b")
			if err != nil {
				t.Fatalf("Measure: %v", err)
			}

			total, groups := expected(sizes)
			if snap.Total != total {
				t.Errorf("total = %+v, want %+v", snap.Total, total)
			}
			for g, want := range groups {
				if got := snap.Prefixes[g]; got != want {
					t.Errorf("prefix %q = %+v, want %+v", g, got, want)
				}
			}
			if len(snap.Prefixes) != len(groups) {
				t.Errorf("%d prefixes reported, want %d: %v", len(snap.Prefixes), len(groups),
					snap.Prefixes)
			}
			if int(snap.Lists) != len(api.requests) {
				t.Errorf("Lists = %d, the server saw %d", snap.Lists, len(api.requests))
			}
			if tt.workers > 1 && !split(api.requests) {
				t.Error("no shard split: every request was for a top-level prefix")
			}
		})
	}
}

// split reports whether any request listed below a top-level prefix.
func split(requests []s3.ListObjectsV2Input) bool {
	for _, in := range requests {
		p := aws.ToString(in.Prefix)
		if strings.Count(p, "/") > 1 || strings.Count(p, "/") == 1 && !strings.HasSuffix(p, "/") ||
			in.StartAfter != nil {
			return true
		}
	}
	return false
}

func TestSplitRangeCoversTheRestOnce(t *testing.T) {
	sizes := randomKeys(rand.New(rand.NewPCG(7, 7)), 3000)
	var keys []string
	for k := range sizes {
		keys = append(keys, k)
	}
	for _, tt := range []struct{ root, first, last, hi string }{
		{"user-uploads/", "user-uploads/0000", "user-uploads/0abc/x.jpg", ""},
		{"user-uploads/", "user-uploads/00a1/a.jpg", "user-uploads/00f3/z.jpg", ""},
		{"user-uploads/", "user-uploads/a", "user-uploads/zz", ""},
		{"user-uploads/", "user-uploads/~", "user-uploads/~x", ""},
		{"user-uploads/", "user-uploads/-", "user-uploads/-", ""},
		{"user-uploads/", "user-uploads/", "user-uploads/\x00", ""},
		{"user-uploads/", "user-uploads/Z", "user-uploads/Z" + maxRune, ""},
		{"user-uploads/", "user-uploads/a", "user-uploads/a" + maxRune + "/b", ""},
		{"user-uploads/", "user-uploads/\x01", "user-uploads/\x7fdel", ""},
		{"processed/", "processed/01HZ000000.jpg", "processed/01HZ000333/thumb.jpg",
			"processed/1"},
		{"processed/01HZ0", "processed/01HZ0900", "processed/01HZ0999", "processed/01HZ1"},
	} {
		keepHi, keepRoot, forks, ok := splitRange(tt.root, tt.first, tt.last, tt.hi)
		if !ok {
			t.Errorf("splitRange(%q, %q, %q, %q) found no split", tt.root, tt.first, tt.last,
				tt.hi)
			continue
		}
		for _, f := range forks {
			if !strings.HasPrefix(f.startAfter, f.prefix) || !utf8.ValidString(f.startAfter) ||
				f.startAfter >= f.lo {
				t.Errorf("last %q: fork StartAfter %q is not valid UTF-8 under %q before %q",
					tt.last, f.startAfter, f.prefix, f.lo)
			}
		}
		// Every key after last in the range must be in exactly one of: the
		// listing in progress, (last, keepHi) under keepRoot, or the fork.
		for _, key := range append(keys, awkwardKeys...) {
			if !strings.HasPrefix(key, tt.root) || key <= tt.last || tt.hi != "" && key >= tt.hi {
				continue
			}
			in := 0
			if key < keepHi {
				in++
				if !strings.HasPrefix(key, keepRoot) {
					t.Errorf("last %q: key %q kept but outside the kept root %q",
						tt.last, key, keepRoot)
				}
			}
			for _, f := range forks {
				if strings.HasPrefix(key, f.prefix) && key > f.startAfter && key >= f.lo &&
					(f.hi == "" || key < f.hi) {
					in++
				}
			}
			if in != 1 {
				t.Errorf("last %q: key %q is in %d ranges, want 1", tt.last, key, in)
			}
		}
	}
	if _, _, _, ok := splitRange("user-uploads/", "user-uploads/é", "user-uploads/été",
		""); ok {
		t.Error("split inside a multi-byte character: its StartAfter would not be UTF-8")
	}
	if _, _, _, ok := splitRange("p/", "p/0900", "p/0999", "p/0999z"); ok {
		t.Error("split a range that only last's own subtree is left of")
	}
}
