package images_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/steps/images"
)

// ev2 is an API Gateway HTTP API request, payload 2.0.
type ev2 = events.APIGatewayV2HTTPRequest

var base = time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)

// at is the lastModified i minutes after base.
func at(i int) string { return base.Add(time.Duration(i) * time.Minute).Format(time.RFC3339) }

// seedMany stores n images of user, every third FAILED, at minutes
// start, start+2, …, and returns their ids newest first.
func (e *emulators) seedMany(t *testing.T, user string, n, start int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		status := stepio.StatusDone
		if i%3 == 2 {
			status = stepio.StatusFailed
		}
		id := fmt.Sprintf("%s-%02d", user[:8], i)
		e.seed(t, user, id, status, at(start+2*i))
		ids = append(ids, id)
	}
	slices.Reverse(ids)
	return ids
}

// TestListPagesNewestFirst follows nextCursor the way a client does and
// checks that every one of the caller's images comes exactly once, newest
// first, on pages of the asked size, none of them empty, the last one without
// a cursor, and that no other user's image ever appears.
func TestListPagesNewestFirst(t *testing.T) {
	e := startEmulators(t)
	want := e.seedMany(t, fixtureSub, 7, 0)
	// Another user's images interleave in time with the caller's.
	e.seedMany(t, otherSub, 5, 1)
	h := e.handler(t, images.Config{}, nil)

	cases := []struct {
		limit string
		sizes []int
	}{
		{"", []int{7}}, // the default page of 20
		{"1", []int{1, 1, 1, 1, 1, 1, 1}},
		{"2", []int{2, 2, 2, 1}},
		{"7", []int{7}}, // exactly one full page: no cursor to an empty one
		{"100", []int{7}},
	}
	for _, c := range cases {
		t.Run("limit="+c.limit, func(t *testing.T) {
			var got []string
			var sizes []int
			cursor := ""
			for page := 0; page <= len(want); page++ {
				q := map[string]string{}
				if c.limit != "" {
					q["limit"] = c.limit
				}
				if cursor != "" {
					q["cursor"] = cursor
				}
				l := list(t, handle(t, h, withQuery(loadEvent(t, "list.json"), q)))
				sizes = append(sizes, len(l.Images))
				for _, img := range l.Images {
					got = append(got, img.ImageID)
				}
				if cursor = l.NextCursor; cursor == "" {
					break
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("listed %v,\nwant %v", got, want)
			}
			if !slices.Equal(sizes, c.sizes) {
				t.Errorf("page sizes %v, want %v", sizes, c.sizes)
			}
		})
	}

	t.Run("a user without images", func(t *testing.T) {
		resp := handle(t, h, as(loadEvent(t, "list.json"), "nobody-yet"))
		if l := list(t, resp); len(l.Images) != 0 || l.NextCursor != "" ||
			resp.Body != `{"images":[]}` {
			t.Errorf("body %s, want {\"images\":[]}", resp.Body)
		}
	})
}

// TestOtherUsersImagesAreNotFound checks that another user's image and an
// image that does not exist get the same 404, byte for byte, while the owner
// reads it.
func TestOtherUsersImagesAreNotFound(t *testing.T) {
	e := startEmulators(t)
	theirs := e.seed(t, otherSub, "their-image", stepio.StatusDone, at(0))
	h := e.handler(t, images.Config{CORSOrigins: []string{allowedSite}}, nil)

	if img := readImage(t, handle(t, h, as(getEvent(t, "their-image"), otherSub))); img.ImageID !=
		theirs.item.ImageID {
		t.Fatalf("the owner reads %q", img.ImageID)
	}
	another := handle(t, h, getEvent(t, "their-image"))
	unknown := handle(t, h, getEvent(t, "0b6f5a7e-3c2d-4e1f-9a8b-7c6d5e4f3a21"))
	refusal(t, another, http.StatusNotFound, images.CodeNotFound)
	if another.Body != unknown.Body || another.StatusCode != unknown.StatusCode ||
		!equal(another.Headers, unknown.Headers) {
		t.Errorf("another user's image: %d %v %s\nunknown image: %d %v %s",
			another.StatusCode, another.Headers, another.Body,
			unknown.StatusCode, unknown.Headers, unknown.Body)
	}
	if strings.Contains(another.Body, "their-image") {
		t.Errorf("the 404 names the id: %s", another.Body)
	}
}

// TestImageAsTheClientSeesIt checks the whole body of a DONE and a FAILED
// image, URLs aside (TestVariantURLsFetchTheBytes covers those).
func TestImageAsTheClientSeesIt(t *testing.T) {
	e := startEmulators(t)
	e.seed(t, fixtureSub, "done-1", stepio.StatusDone, at(1))
	e.seed(t, fixtureSub, "failed-1", stepio.StatusFailed, at(2))
	h := e.handler(t, images.Config{}, nil)

	cases := []struct {
		id   string
		want images.Image
	}{
		{"done-1", images.Image{ImageID: "done-1", Status: "DONE",
			Original: &images.Original{Width: 1800, Height: 1012, Format: "jpeg",
				Bytes: 348160},
			LastModified: at(1),
			Variants: []images.Variant{
				{Name: "large", Width: 1600, Height: 900, Bytes: 26},
				{Name: "medium", Width: 800, Height: 450, Bytes: 27},
				{Name: "thumb", Width: 200, Height: 113, Bytes: 26},
			}}},
		{"failed-1", images.Image{ImageID: "failed-1", Status: "FAILED",
			Reason:       "the file is text, not an image",
			Original:     &images.Original{Bytes: 348160},
			LastModified: at(2)}},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			got := readImage(t, handle(t, h, getEvent(t, c.id)))
			for i := range got.Variants {
				if got.Variants[i].URL == "" || got.Variants[i].ExpiresAt == "" {
					t.Errorf("variant %s has no URL or expiry", got.Variants[i].Name)
				}
				got.Variants[i].URL, got.Variants[i].ExpiresAt = "", ""
			}
			if !equal(got, c.want) {
				t.Errorf("image %+v,\nwant %+v", got, c.want)
			}
		})
	}

	// The list shows the same images as the single reads.
	l := list(t, handle(t, h, loadEvent(t, "list.json")))
	if len(l.Images) != 2 || l.Images[0].ImageID != "failed-1" ||
		l.Images[1].ImageID != "done-1" || len(l.Images[1].Variants) != 3 {
		t.Errorf("list %+v", l)
	}
}

// TestVariantURLsFetchTheBytes fetches every variant URL with plain net/http,
// as a browser would, and checks its lifetime. gofakes3 checks no
// signature or expiry, so the URL's query is checked here instead.
func TestVariantURLsFetchTheBytes(t *testing.T) {
	e := startEmulators(t)
	img := e.seed(t, fixtureSub, "done-1", stepio.StatusDone, at(0))

	cases := []struct {
		expiry time.Duration
		want   string // X-Amz-Expires
	}{{0, "300"}, {90 * time.Second, "90"}, {time.Hour, "3600"}}
	for _, c := range cases {
		t.Run(c.want+"s", func(t *testing.T) {
			h := e.handler(t, images.Config{URLExpiry: c.expiry}, nil)
			before := time.Now().UTC().Truncate(time.Second)
			got := readImage(t, handle(t, h, getEvent(t, "done-1")))
			if len(got.Variants) != 3 {
				t.Fatalf("%d variants", len(got.Variants))
			}
			for _, v := range got.Variants {
				u, err := url.Parse(v.URL)
				if err != nil {
					t.Fatal(err)
				}
				q := u.Query()
				if q.Get("X-Amz-Expires") != c.want {
					t.Errorf("%s: X-Amz-Expires = %q, want %s", v.Name, q.Get("X-Amz-Expires"),
						c.want)
				}
				if q.Get("X-Amz-SignedHeaders") != "host" || q.Get("X-Amz-Signature") == "" {
					t.Errorf("%s: signed headers %q", v.Name, q.Get("X-Amz-SignedHeaders"))
				}
				secs, _ := strconv.Atoi(c.want)
				signedAt, _ := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
				expires, err := time.Parse(time.RFC3339, v.ExpiresAt)
				if err != nil || !expires.Equal(signedAt.Add(time.Duration(secs)*time.Second)) ||
					signedAt.Before(before) {
					t.Errorf("%s: expiresAt %s, signed at %s for %ss", v.Name, v.ExpiresAt,
						signedAt, c.want)
				}
				if !strings.HasPrefix(v.URL, e.s3URL+"/"+testBucket+"/processed/") {
					t.Errorf("%s: URL is not in the processed bucket", v.Name)
				}

				resp, err := http.Get(v.URL)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Equal(body, img.bytes[v.Name]) {
					t.Errorf("%s: GET = %d %q, want the variant's bytes", v.Name,
						resp.StatusCode, body)
				}
			}
		})
	}
}

// editCursor returns cursor with its JSON changed by edit, still encoded as
// the API encodes it.
func editCursor(t *testing.T, cursor string, edit func(map[string]any)) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	raw, _ = json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// TestRefusals sends the requests a client should not, and checks the status,
// the code and the headers it gets back.
func TestRefusals(t *testing.T) {
	e := startEmulators(t)
	mine := e.seedMany(t, fixtureSub, 3, 0)
	theirs := e.seedMany(t, otherSub, 3, 1)
	h := e.handler(t, images.Config{}, nil)

	// Real cursors, as the API issued them to each user.
	page := func(sub string) string {
		ev := withQuery(as(loadEvent(t, "list.json"), sub), map[string]string{"limit": "1"})
		return list(t, handle(t, h, ev)).NextCursor
	}
	myCursor, theirCursor := page(fixtureSub), page(otherSub)

	listWith := func(q map[string]string) func() ev2 {
		return func() ev2 { return withQuery(loadEvent(t, "list.json"), q) }
	}
	cases := []struct {
		name   string
		event  func() ev2
		status int
		code   string
		header [2]string
	}{
		{"no authorizer", func() ev2 { return loadEvent(t, "list-no-authorizer.json") },
			401, images.CodeUnauthorized, [2]string{"WWW-Authenticate", "Bearer"}},
		{"no sub claim", func() ev2 {
			ev := getEvent(t, mine[0])
			ev = as(ev, "")
			delete(ev.RequestContext.Authorizer.JWT.Claims, "sub")
			return ev
		}, 401, images.CodeUnauthorized, [2]string{"WWW-Authenticate", "Bearer"}},
		{"empty sub", func() ev2 { return as(loadEvent(t, "list.json"), "") },
			401, images.CodeUnauthorized, [2]string{}},
		{"sub with a slash", func() ev2 { return as(getEvent(t, mine[0]), "a/b") },
			401, images.CodeUnauthorized, [2]string{}},
		{"no authorizer beats a bad cursor", func() ev2 {
			ev := loadEvent(t, "list-no-authorizer.json")
			ev.QueryStringParameters = map[string]string{"cursor": "!!"}
			return ev
		}, 401, images.CodeUnauthorized, [2]string{}},
		{"image id with a space", func() ev2 { return getEvent(t, "my image") },
			400, images.CodeInvalidImageID, [2]string{}},
		{"image id of a keyless item", func() ev2 { return getEvent(t, "key:0a1b2c") },
			400, images.CodeInvalidImageID, [2]string{}},
		{"empty image id", func() ev2 { return getEvent(t, "") },
			400, images.CodeInvalidImageID, [2]string{}},
		{"image id too long", func() ev2 { return getEvent(t, strings.Repeat("a", 129)) },
			400, images.CodeInvalidImageID, [2]string{}},
		{"limit zero", listWith(map[string]string{"limit": "0"}),
			400, images.CodeInvalidLimit, [2]string{}},
		{"limit over the maximum", listWith(map[string]string{"limit": "101"}),
			400, images.CodeInvalidLimit, [2]string{}},
		{"limit not a number", listWith(map[string]string{"limit": "ten"}),
			400, images.CodeInvalidLimit, [2]string{}},
		{"limit with a sign", listWith(map[string]string{"limit": "+5"}),
			400, images.CodeInvalidLimit, [2]string{}},
		{"limit given twice", listWith(map[string]string{"limit": "5,10"}),
			400, images.CodeInvalidLimit, [2]string{}},
		{"cursor not base64url", listWith(map[string]string{"cursor": "a+b/c=="}),
			400, images.CodeInvalidCursor, [2]string{}},
		{"cursor not JSON", listWith(map[string]string{
			"cursor": base64.RawURLEncoding.EncodeToString([]byte("next page please"))}),
			400, images.CodeInvalidCursor, [2]string{}},
		{"cursor cut short", listWith(map[string]string{"cursor": myCursor[:len(myCursor)-6]}),
			400, images.CodeInvalidCursor, [2]string{}},
		{"cursor of another user", listWith(map[string]string{"cursor": theirCursor}),
			400, images.CodeInvalidCursor, [2]string{}},
		{"cursor rebound to another user", listWith(map[string]string{
			"cursor": editCursor(t, myCursor, func(m map[string]any) {
				m["u"] = "c29tZW9uZSBlbHNl"
			})}), 400, images.CodeInvalidCursor, [2]string{}},
		{"cursor of another version", listWith(map[string]string{
			"cursor": editCursor(t, myCursor, func(m map[string]any) { m["v"] = 2 })}),
			400, images.CodeInvalidCursor, [2]string{}},
		{"cursor with an extra field", listWith(map[string]string{
			"cursor": editCursor(t, myCursor, func(m map[string]any) { m["x"] = 1 })}),
			400, images.CodeInvalidCursor, [2]string{}},
		{"cursor with a bad time", listWith(map[string]string{
			"cursor": editCursor(t, myCursor, func(m map[string]any) {
				m["t"] = "2026-01-02 10:00:00"
			})}), 400, images.CodeInvalidCursor, [2]string{}},
		{"cursor too long", listWith(map[string]string{"cursor": strings.Repeat("A", 600)}),
			400, images.CodeInvalidCursor, [2]string{}},
		{"POST to the list", func() ev2 {
			ev := loadEvent(t, "list.json")
			ev.RequestContext.HTTP.Method = "POST"
			return ev
		}, 405, images.CodeMethodNotAllowed, [2]string{"Allow", "GET, OPTIONS"}},
		{"DELETE an image", func() ev2 {
			ev := getEvent(t, mine[0])
			ev.RequestContext.HTTP.Method = "DELETE"
			return ev
		}, 405, images.CodeMethodNotAllowed, [2]string{"Allow", "GET, OPTIONS"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := handle(t, h, c.event())
			refusal(t, resp, c.status, c.code)
			if c.header[0] != "" && resp.Headers[c.header[0]] != c.header[1] {
				t.Errorf("%s = %q, want %q", c.header[0], resp.Headers[c.header[0]], c.header[1])
			}
		})
	}

	// A cursor edited to point into another user's images is still bound to
	// the caller: the listing stays in the caller's own images.
	t.Run("cursor pointed at another user's image", func(t *testing.T) {
		forged := editCursor(t, myCursor, func(m map[string]any) {
			m["i"] = theirs[0]
			m["t"] = at(100)
		})
		l := list(t, handle(t, h, withQuery(loadEvent(t, "list.json"),
			map[string]string{"cursor": forged})))
		for _, img := range l.Images {
			if !slices.Contains(mine, img.ImageID) {
				t.Errorf("listed %s, not the caller's", img.ImageID)
			}
		}
	})
}
