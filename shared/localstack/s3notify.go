package localstack

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// S3Event is an S3 event notification as S3 sends it to a queue, version 2.1
// of its structure. The JSON field order is the one of AWS's documented
// example.
type S3Event struct {
	Records []S3EventRecord `json:"Records"`
}

// S3EventRecord is one record of an [S3Event].
type S3EventRecord struct {
	EventVersion      string            `json:"eventVersion"`
	EventSource       string            `json:"eventSource"`
	AWSRegion         string            `json:"awsRegion"`
	EventTime         string            `json:"eventTime"`
	EventName         string            `json:"eventName"`
	UserIdentity      S3Principal       `json:"userIdentity"`
	RequestParameters map[string]string `json:"requestParameters"`
	ResponseElements  map[string]string `json:"responseElements"`
	S3                S3Entity          `json:"s3"`
}

// S3Principal names who caused an event or owns a bucket.
type S3Principal struct {
	PrincipalID string `json:"principalId"`
}

// S3Entity is the s3 member of an [S3EventRecord].
type S3Entity struct {
	SchemaVersion   string   `json:"s3SchemaVersion"`
	ConfigurationID string   `json:"configurationId"`
	Bucket          S3Bucket `json:"bucket"`
	Object          S3Object `json:"object"`
}

// S3Bucket is the bucket of an [S3Entity].
type S3Bucket struct {
	Name          string      `json:"name"`
	OwnerIdentity S3Principal `json:"ownerIdentity"`
	ARN           string      `json:"arn"`
}

// S3Object is the object of an [S3Entity]. Key is URL-encoded as S3 encodes
// it ('+' for a space); deletions carry no size and no eTag.
type S3Object struct {
	Key       string `json:"key"`
	Size      *int64 `json:"size,omitempty"`
	ETag      string `json:"eTag,omitempty"`
	VersionID string `json:"versionId,omitempty"`
	Sequencer string `json:"sequencer"`
}

// S3 event names the local stack sends.
const (
	EventPut      = "ObjectCreated:Put"
	EventPost     = "ObjectCreated:Post"
	EventCopy     = "ObjectCreated:Copy"
	EventComplete = "ObjectCreated:CompleteMultipartUpload"
	EventDelete   = "ObjectRemoved:Delete"
)

// EncodeEventKey encodes an object key as S3 writes it into event
// notifications: form encoding, a space as '+', with '/' left as it is.
func EncodeEventKey(key string) string {
	const unreserved = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.*/"
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == ' ':
			b.WriteByte('+')
		case strings.IndexByte(unreserved, c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// TestEventBody returns the s3:TestEvent message S3 sends to a destination
// when notifications are configured on bucket.
func TestEventBody(bucket string, at time.Time) string {
	b, _ := json.Marshal(struct {
		Service   string
		Event     string
		Time      string
		Bucket    string
		RequestID string `json:"RequestId"`
		HostID    string `json:"HostId"`
	}{"Amazon S3", "s3:TestEvent", at.UTC().Format(eventTimeLayout), bucket,
		requestID(), hostID()})
	return string(b)
}

// eventTimeLayout is ISO 8601 with milliseconds, as in S3's events.
const eventTimeLayout = "2006-01-02T15:04:05.000Z"

// sequencer hands out S3 event sequencers: upper-case hex strings that grow
// with every event of the process. S3 only promises order per key; a single
// clock-seeded counter gives that and also grows across restarts.
type sequencer struct {
	mu   sync.Mutex
	last uint64
}

var eventSequencer sequencer

func (s *sequencer) next() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := uint64(time.Now().UnixNano())
	if now <= s.last {
		now = s.last + 1
	}
	s.last = now
	return fmt.Sprintf("%016X", now)
}

// notifier wraps the S3 emulator so that object creations and removals under
// a prefix of one bucket send S3 events to a queue, as a bucket notification
// configuration would.
type notifier struct {
	backend  gofakes3.Backend
	bucket   string
	prefix   string
	region   string
	account  string
	configID string
	send     func(ctx context.Context, body string) error
	log      *slog.Logger
	// keyLocks serialise writes of one key, so that the sequencers of a key's
	// events follow the order in which its versions were stored.
	keyLocks [64]sync.Mutex
}

// s3Request is what the notifier needs to know about a request.
type s3Request struct {
	event string
	key   string // empty for a POST, whose key is in the form
}

// classify returns the event a successful r would cause, if any.
func (n *notifier) classify(r *http.Request) (s3Request, bool) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket != n.bucket {
		return s3Request{}, false
	}
	q := r.URL.Query()
	subresource := func(names ...string) bool {
		for _, name := range names {
			if q.Has(name) {
				return true
			}
		}
		return false
	}
	switch {
	case r.Method == http.MethodPut && key != "" &&
		!subresource("uploadId", "partNumber", "tagging", "acl", "retention", "legal-hold"):
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			return s3Request{EventCopy, key}, true
		}
		return s3Request{EventPut, key}, true
	case r.Method == http.MethodPost && key == "" && !subresource("delete", "uploads"):
		return s3Request{EventPost, ""}, true
	case r.Method == http.MethodPost && key != "" && q.Get("uploadId") != "":
		return s3Request{EventComplete, key}, true
	case r.Method == http.MethodDelete && key != "" && !subresource("uploadId", "tagging"):
		return s3Request{EventDelete, key}, true
	}
	return s3Request{}, false
}

// failsIfMatch answers a GET pinned with If-Match to a version that is no
// longer the object's with S3's 412 PreconditionFailed, and reports whether
// it did: gofakes3 ignores If-Match, and the pipeline's steps rely on it to
// read the version they checked.
func (n *notifier) failsIfMatch(w http.ResponseWriter, r *http.Request) bool {
	want := strings.Trim(r.Header.Get("If-Match"), `"`)
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || want == "" || want == "*" || bucket != n.bucket ||
		key == "" {
		return false
	}
	head, err := n.backend.HeadObject(n.bucket, key)
	if err != nil || hex.EncodeToString(head.Hash) == want {
		return false
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusPreconditionFailed)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>PreconditionFailed</Code><Message>At least one of the `+
		`pre-conditions you specified did not hold</Message><Condition>If-Match`+
		`</Condition><RequestId>%x</RequestId></Error>`, head.Hash[:4])
	return true
}

func (n *notifier) lockKey(key string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return &n.keyLocks[h.Sum32()%uint32(len(n.keyLocks))]
}

// wrap returns next with notifications. The response of a notifying request is
// held until its event is queued, so that a client that saw its PUT succeed
// finds the event in the queue; S3 itself is asynchronous, and nothing here
// relies on it being otherwise.
func (n *notifier) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.failsIfMatch(w, r) {
			return
		}
		req, ok := n.classify(r)
		if !ok || (req.key != "" && !strings.HasPrefix(req.key, n.prefix)) {
			next.ServeHTTP(w, r)
			return
		}
		if req.key != "" {
			mu := n.lockKey(req.key)
			mu.Lock()
			defer mu.Unlock()
		}

		resp := newBufferedResponse()
		next.ServeHTTP(resp, r)
		if req.key == "" && r.MultipartForm != nil && len(r.MultipartForm.Value["key"]) == 1 {
			req.key = r.MultipartForm.Value["key"][0]
		}
		if resp.Status()/100 == 2 && req.key != "" && strings.HasPrefix(req.key, n.prefix) {
			n.notify(r, resp, req)
		}
		resp.sendTo(w)
	})
}

// notify sends the event of a request that succeeded. A failure is logged and
// the upload still succeeds: S3 does not fail a PUT over its notifications.
func (n *notifier) notify(r *http.Request, resp *bufferedResponse, req s3Request) {
	obj := S3Object{Key: EncodeEventKey(req.key), Sequencer: eventSequencer.next()}
	if req.event != EventDelete {
		head, err := n.backend.HeadObject(n.bucket, req.key)
		if err != nil {
			n.log.Error("s3 notification: object vanished before its event",
				"bucket", n.bucket, "key", req.key, "err", err)
			return
		}
		if head.Contents != nil {
			_ = head.Contents.Close()
		}
		size := head.Size
		obj.Size = &size
		obj.ETag = hex.EncodeToString(head.Hash)
		obj.VersionID = string(head.VersionID)
	}

	reqID := resp.header.Get("x-amz-request-id")
	if reqID == "" {
		reqID = requestID()
	}
	host := resp.header.Get("x-amz-id-2")
	if host == "" {
		host = hostID()
	}
	principal := "AWS:" + n.account
	event := S3Event{Records: []S3EventRecord{{
		EventVersion:      "2.1",
		EventSource:       "aws:s3",
		AWSRegion:         n.region,
		EventTime:         time.Now().UTC().Format(eventTimeLayout),
		EventName:         req.event,
		UserIdentity:      S3Principal{principal},
		RequestParameters: map[string]string{"sourceIPAddress": sourceIP(r)},
		ResponseElements:  map[string]string{"x-amz-request-id": reqID, "x-amz-id-2": host},
		S3: S3Entity{
			SchemaVersion:   "1.0",
			ConfigurationID: n.configID,
			Bucket: S3Bucket{
				Name:          n.bucket,
				OwnerIdentity: S3Principal{n.account},
				ARN:           "arn:aws:s3:::" + n.bucket,
			},
			Object: obj,
		},
	}}}
	body, err := json.Marshal(event)
	if err != nil {
		n.log.Error("s3 notification: encode", "err", err)
		return
	}
	// The client may have gone; the event is owed all the same.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	if err := n.send(ctx, string(body)); err != nil {
		n.log.Error("s3 notification: send", "bucket", n.bucket, "key", req.key,
			"event", req.event, "err", err)
	}
}

// sourceIP returns the client address of r without its port.
func sourceIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// requestID and hostID make identifiers shaped like S3's.
func requestID() string {
	return strings.ToUpper(fmt.Sprintf("%016x", time.Now().UnixNano()))
}

func hostID() string {
	return fmt.Sprintf("%x", time.Now().UnixNano())
}
