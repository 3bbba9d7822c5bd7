package metadata_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/truora/minidyn/server"

	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

const table = "images"

// newTable starts minidyn on loopback with the metadata table and returns a
// client for seeding beside the Store under test.
func newTable(t *testing.T) (*dynamodb.Client, *metadata.Store) {
	t.Helper()
	srv := httptest.NewServer(server.NewServer())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("k", "s", "")))
	if err != nil {
		t.Fatal(err)
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
	})
	if _, err := client.CreateTable(ctx, metadata.CreateTableInput(table)); err != nil {
		t.Fatal(err)
	}
	return client, metadata.NewStore(client, table)
}

// put stores it with PutItem. Seeding goes around Store.Write because
// minidyn v0.8.2 indexes an item that UpdateItem creates wrongly (see
// TestMinidynUpdateItemIndexBug).
func put(t *testing.T, client *dynamodb.Client, it metadata.Item) {
	t.Helper()
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(table), Item: av,
	}); err != nil {
		t.Fatal(err)
	}
}

// seed stores n DONE items of user whose lastModified starts at base and
// grows by step, and returns their ids newest first.
func seed(t *testing.T, client *dynamodb.Client, user string, n int, base time.Time,
	step time.Duration) []string {
	t.Helper()
	var ids []string
	for i := range n {
		it := item(stepio.StatusDone, "0A", "e1")
		it.ImageID, it.UserID = fmt.Sprintf("%s-img%02d", user, i), user
		it.LastModified = base.Add(time.Duration(i) * step).UTC().Format(time.RFC3339)
		put(t, client, it)
		ids = append(ids, it.ImageID)
	}
	slices.Reverse(ids)
	return ids
}

// TestListByUserPages walks a user's listing page by page and checks that it
// holds every item of that user exactly once, newest first, that no page is
// empty and that the last page has no next key.
func TestListByUserPages(t *testing.T) {
	base := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	cases := []struct {
		name  string
		n     int
		limit int32
		step  time.Duration
		sizes []int
	}{
		{"no images", 0, 3, time.Second, []int{0}},
		{"one image, page of one", 1, 1, time.Second, []int{1}},
		{"page size equals the count", 5, 5, time.Second, []int{5}},
		{"count a multiple of the page size", 6, 3, time.Second, []int{3, 3}},
		{"last page short", 5, 2, time.Second, []int{2, 2, 1}},
		{"one per page", 3, 1, time.Minute, []int{1, 1, 1}},
		{"page larger than the count", 7, 100, time.Hour, []int{7}},
		// lastModified has whole seconds, so a burst of uploads shares one;
		// their order is the index's, but each still comes exactly once.
		{"same second", 5, 2, 0, []int{2, 2, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client, store := newTable(t)
			ctx := context.Background()
			want := seed(t, client, "u1", c.n, base, c.step)
			// Another user's images, older and newer, and an item outside
			// the index (no userId) must never appear.
			seed(t, client, "u2", 4, base.Add(-2*time.Second), 2*time.Second)
			put(t, client, metadata.Item{ImageID: "key:0123", Status: stepio.StatusFailed,
				LastModified: base.Format(time.RFC3339)})

			var got []string
			var sizes []int
			var after *metadata.PageKey
			for page := 0; ; page++ {
				if page > c.n+1 {
					t.Fatalf("listing does not end after %d pages", page)
				}
				items, next, err := store.ListByUser(ctx, "u1", c.limit, after)
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(items))
				for _, it := range items {
					if it.UserID != "u1" {
						t.Errorf("listed %s of user %q", it.ImageID, it.UserID)
					}
					got = append(got, it.ImageID)
				}
				if next == nil {
					break
				}
				after = next
			}
			if c.step == 0 {
				slices.Sort(got)
				slices.Sort(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("listed %v,\nwant %v", got, want)
			}
			if !slices.Equal(sizes, c.sizes) {
				t.Errorf("page sizes %v, want %v", sizes, c.sizes)
			}
		})
	}
}

// TestListByUserReturnsWholeItems checks that a listed item carries what Get
// returns: the index projects every attribute.
func TestListByUserReturnsWholeItems(t *testing.T) {
	client, store := newTable(t)
	want := item(stepio.StatusDone, "0A", "e1")
	want.LastModified = "2026-01-02T15:04:05Z"
	put(t, client, want)

	items, next, err := store.ListByUser(context.Background(), "u1", 20, nil)
	if err != nil || next != nil || len(items) != 1 {
		t.Fatalf("ListByUser = %d items, next %v, %v", len(items), next, err)
	}
	got, _, err := store.Get(context.Background(), want.ImageID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(items[0], got) {
		t.Errorf("listed %+v,\nGet returns %+v", items[0], got)
	}
}

// TestListByUserRefusesBadArguments checks the guards that keep a caller
// from listing without a user or with an empty page.
func TestListByUserRefusesBadArguments(t *testing.T) {
	_, store := newTable(t)
	for _, c := range []struct {
		user  string
		limit int32
	}{{"u1", 0}, {"u1", -1}, {"", 5}} {
		if _, _, err := store.ListByUser(context.Background(), c.user, c.limit,
			nil); err == nil {
			t.Errorf("ListByUser(%q, %d) succeeded", c.user, c.limit)
		}
	}
}

// Store.Write creates an item with PutItem and changes it with UpdateItem;
// both must leave it in the userId index. (minidyn v0.8.2 leaves out an item
// that an UpdateItem creates, which is why Write creates with PutItem.)
func TestWrittenItemsAreIndexed(t *testing.T) {
	_, store := newTable(t)
	ctx := context.Background()
	for i := range 3 {
		it := item(stepio.StatusFailed, "0A", "e1")
		it.ImageID = fmt.Sprintf("img%d", i)
		if _, err := store.Write(ctx, it); err != nil {
			t.Fatal(err)
		}
		// A redrive's DONE changes it through UpdateItem.
		it = item(stepio.StatusDone, "0A", "e1")
		it.ImageID = fmt.Sprintf("img%d", i)
		if _, err := store.Write(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	items, _, err := store.ListByUser(ctx, "u1", 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("listed %d items, want the 3 written", len(items))
	}
	for _, it := range items {
		if it.Status != stepio.StatusDone || it.Attempts != 2 {
			t.Errorf("listed %s %s after %d attempts, want DONE after 2", it.ImageID,
				it.Status, it.Attempts)
		}
	}
}
