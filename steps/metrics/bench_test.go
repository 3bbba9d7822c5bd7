package metrics_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/imagepipe/imagepipe/steps/metrics"
)

// listLatency is added to every ListObjectsV2 page, like S3's time to first
// byte for a listing page from inside the region (20-50 ms).
const listLatency = 30 * time.Millisecond

// benchObjects is kept modest so that the benchmark runs in well under a
// minute on two cores.
const benchObjects = 50_000

func withLatency(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" {
				time.Sleep(d)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// indexedBackend is gofakes3's in-memory backend with a listing that seeks to
// its prefix and stops where the prefix ends, as S3's index does. s3mem's own
// listing walks on to the end of the bucket whenever a page is not full, which
// costs every empty or final shard page O(bucket) CPU; on two shared cores that
// artefact, not S3's behaviour, would bound the parallel run. Everything else
// (HTTP, XML, continuation tokens, StartAfter) is gofakes3's.
type indexedBackend struct {
	*s3mem.Backend
	keys  map[string][]string // sorted, per bucket; the benchmark writes nothing
	sizes map[string]map[string]int
	added time.Time
}

func (b *indexedBackend) ListBucket(name string, prefix *gofakes3.Prefix,
	page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	keys, ok := b.keys[name]
	if !ok {
		return b.Backend.ListBucket(name, prefix, page)
	}
	var p, delim string
	if prefix != nil {
		p, delim = prefix.Prefix, prefix.Delimiter
	}
	after := func(marker string) int {
		return sort.Search(len(keys), func(j int) bool { return keys[j] > marker })
	}
	i := sort.SearchStrings(keys, p)
	if page.Marker != "" {
		i = max(i, after(page.Marker))
	}

	out := gofakes3.NewObjectList()
	for n := int64(0); i < len(keys) && strings.HasPrefix(keys[i], p); n++ {
		if page.MaxKeys > 0 && n == page.MaxKeys {
			out.IsTruncated = true
			break
		}
		key := keys[i]
		if j := strings.Index(key[len(p):], delim); delim != "" && j >= 0 {
			cp := key[:len(p)+j+len(delim)]
			out.AddPrefix(cp)
			out.NextMarker = cp + "\U0010FFFF" // past every key under cp
			i = after(out.NextMarker)
			continue
		}
		out.Add(&gofakes3.Content{Key: key, Size: int64(b.sizes[name][key]),
			ETag: `"0"`, LastModified: gofakes3.NewContentTime(b.added)})
		out.NextMarker = key
		i++
	}
	return out, nil
}

// BenchmarkCount counts one bucket of benchObjects objects (half originals
// under 1250 users, half renditions under time-ordered image ids) with one
// lister (sequential) and with the default pool of 32 (parallel), behind
// listLatency per page, and reports objects/s and the projected seconds for
// 10 million objects at 1000 keys a page.
//
// At page=1000 every page carries S3's real payload, and the projection is
// 10M divided by the rate measured; on a small machine that also runs the
// emulator, XML encoding and decoding then bound the parallel rate. At
// page=100 the same objects take ten times the pages, each a tenth of the
// CPU, so latency dominates as it does for a Lambda with CPU to spare; the
// projection then assumes a 1000-key page costs what a 100-key one does
// (S3's latency is per request), i.e. it scales the rate by 1000/page.
func BenchmarkCount(b *testing.B) {
	sizes := originals(1250, benchObjects/2/1250)
	for k, v := range processed(benchObjects / 2 / 3) {
		sizes[k] = v
	}
	keys := make([]string, 0, len(sizes))
	for k := range sizes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	backend := &indexedBackend{Backend: s3mem.New(), keys: map[string][]string{"bench": keys},
		sizes: map[string]map[string]int{"bench": sizes}, added: time.Now()}
	st := newStackWith(b, backend, withLatency(listLatency))
	if err := backend.CreateBucket("bench"); err != nil {
		b.Fatal(err)
	}
	objects := len(sizes)

	type result struct{ rate, projected float64 }
	results := map[string]result{}
	for _, page := range []int{1000, 100} {
		for _, mode := range []struct {
			name        string
			concurrency int
		}{{"sequential", 1}, {"parallel", metrics.DefaultConcurrency}} {
			name := fmt.Sprintf("page=%d/%s", page, mode.name)
			b.Run(name, func(b *testing.B) {
				h := st.handler(b, map[string]string{
					metrics.EnvBuckets:     "bench",
					metrics.EnvPageSize:    strconv.Itoa(page),
					metrics.EnvConcurrency: strconv.Itoa(mode.concurrency),
				})
				var lists int64
				b.ResetTimer()
				for range b.N {
					snap, err := h.Measure(context.Background(), "bench")
					if err != nil || snap.Total.Objects != int64(objects) {
						b.Fatalf("Measure = %d objects, %v; want %d", snap.Total.Objects, err,
							objects)
					}
					lists += snap.Lists
				}
				rate := float64(objects) * float64(b.N) / b.Elapsed().Seconds()
				projected := 10e6 / (rate * 1000 / float64(page))
				results[name] = result{rate, projected}
				b.ReportMetric(rate, "objects/s")
				b.ReportMetric(projected, "s/10M-objects")
				b.ReportMetric(float64(lists)/float64(b.N), "lists/op")
			})
		}
		seq := results[fmt.Sprintf("page=%d/sequential", page)]
		par := results[fmt.Sprintf("page=%d/parallel", page)]
		if seq.rate > 0 && par.rate > 0 {
			// Printed, not logged: a parent benchmark's log is not shown.
			fmt.Printf("BenchmarkCount page=%d: %d objects, %s a page: parallel/sequential "+
				"= %.1fx; 10M objects: %.0f s sequential, %.0f s parallel\n", page, objects,
				listLatency, par.rate/seq.rate, seq.projected, par.projected)
		}
	}
}
