package localstack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Admiral-Piett/goaws/app/gosqs"
	"github.com/Admiral-Piett/goaws/app/models"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/sirupsen/logrus"
)

// goaws keeps its queues, topics and configuration in package variables, so a
// process can hold only one of it. Every Stack of the process shares that one
// server: the first Start starts it, each Stack creates its own queues and
// topic in it (under names no other live Stack uses), and the last Close
// stops it and wipes its state.
var (
	goawsMu  sync.Mutex
	goawsCur *goawsServer
)

// goawsServer is the process's goaws.
type goawsServer struct {
	lb      *loopback
	region  string
	account string
	refs    int
	names   map[string]bool
	quit    chan bool
	stopped chan struct{}
}

// goawsPeriod is how often goaws returns messages whose visibility timeout
// passed (and moves them to the DLQ): the precision of visibility timeouts.
const goawsPeriod = 100 * time.Millisecond

// goawsAdmin are the actions that add or remove queues, topics and
// subscriptions. goaws reads its maps without locks in several handlers; the
// gate below lets these run only while no other request does.
var goawsAdmin = map[string]bool{
	"CreateQueue": true, "DeleteQueue": true, "SetQueueAttributes": true,
	"CreateTopic": true, "DeleteTopic": true, "Subscribe": true, "Unsubscribe": true,
	"SetSubscriptionAttributes": true,
}

// goawsGate serialises goaws's admin actions against all other requests.
var goawsGate sync.RWMutex

// acquireGoaws returns the process's goaws, starting it if no Stack holds it,
// and reserves a resource name for the caller, derived from base.
func acquireGoaws(region, account string, port int, base string, log *slog.Logger) (
	*goawsServer, string, error) {
	goawsMu.Lock()
	defer goawsMu.Unlock()

	if goawsCur == nil {
		g, err := startGoaws(region, account, port, log)
		if err != nil {
			return nil, "", err
		}
		goawsCur = g
	}
	g := goawsCur
	if g.region != region || g.account != account {
		return nil, "", fmt.Errorf("%w: running with %s/%s, asked for %s/%s",
			ErrGoawsInUse, g.region, g.account, region, account)
	}

	name := base
	for i := 2; g.names[name]; i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	g.names[name] = true
	g.refs++
	return g, name, nil
}

func startGoaws(region, account string, port int, log *slog.Logger) (*goawsServer, error) {
	// goaws logs through logrus's global logger, a warning on every empty
	// receive; keep only its errors, as JSON like the rest of the stack.
	logrus.SetFormatter(&logrus.JSONFormatter{})
	logrus.SetLevel(logrus.ErrorLevel)

	lb, err := listenLoopback("goaws", port, goawsHandler(router.New()), log)
	if err != nil {
		return nil, err
	}
	_, portStr, _ := strings.Cut(strings.TrimPrefix(lb.URL(), "http://"), ":")

	goawsGate.Lock()
	models.ResetResources()
	models.CurrentEnvironment = models.Environment{
		Host:      "127.0.0.1",
		Port:      portStr,
		Region:    region,
		AccountID: account,
		// SQS's defaults, which goaws's configuration loader (not used here)
		// would set; left at zero, a received message would become visible
		// again, and its receipt handle stale, at goaws's next tick.
		QueueAttributeDefaults: models.EnvQueueAttributes{
			VisibilityTimeout:      30,
			MaximumMessageSize:     256 * 1024,
			MessageRetentionPeriod: 4 * 24 * 60 * 60,
		},
	}
	goawsGate.Unlock()

	g := &goawsServer{
		lb: lb, region: region, account: account, names: map[string]bool{},
		quit: make(chan bool), stopped: make(chan struct{}),
	}
	go func() {
		defer close(g.stopped)
		gosqs.PeriodicTasks(goawsPeriod, g.quit)
	}()
	return g, nil
}

// release gives back name; the last release stops goaws.
func (g *goawsServer) release(name string) error {
	goawsMu.Lock()
	defer goawsMu.Unlock()

	delete(g.names, name)
	g.refs--
	if g.refs > 0 {
		return nil
	}
	goawsCur = nil
	err := g.lb.Close()
	close(g.quit)
	<-g.stopped

	goawsGate.Lock()
	models.ResetResources()
	goawsGate.Unlock()
	return err
}

// URL returns goaws's base URL.
func (g *goawsServer) URL() string { return g.lb.URL() }

// queueURL returns the URL of a queue in the form SQS uses, on goaws's own
// host: goaws itself answers http://<region>.<host>:<port>/…, a host name
// that does not resolve, and it only looks at the last path segment.
func (g *goawsServer) queueURL(name string) string {
	return g.URL() + "/" + g.account + "/" + name
}

func (g *goawsServer) queueARN(name string) string {
	return "arn:aws:sqs:" + g.region + ":" + g.account + ":" + name
}

// goawsHandler wraps goaws's router with the admin gate and with long polling.
func goawsHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action := goawsAction(r)
		if goawsAdmin[action] {
			goawsGate.Lock()
			defer goawsGate.Unlock()
			next.ServeHTTP(w, r)
			return
		}
		if action == "ReceiveMessage" && r.Header.Get("Content-Type") == jsonContentType {
			longPoll(next, w, r)
			return
		}
		goawsGate.RLock()
		defer goawsGate.RUnlock()
		next.ServeHTTP(w, r)
	})
}

// jsonContentType is the content type of the AWS JSON 1.0 protocol, which
// goaws requires verbatim to pick its JSON decoding.
const jsonContentType = "application/x-amz-json-1.0"

// goawsAction returns the action of a goaws request in either protocol.
func goawsAction(r *http.Request) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		_, op, _ := strings.Cut(target, ".")
		return op
	}
	// ParseForm caches the form, which goaws then reads again.
	_ = r.ParseForm()
	return r.Form.Get("Action")
}

// longPollStep is how often an empty long poll looks at the queue again.
const longPollStep = 50 * time.Millisecond

// longPoll implements ReceiveMessage's WaitTimeSeconds outside goaws. goaws
// waits inside its handler, which would hold the admin gate for up to 20 s;
// here each look at the queue is a short, non-waiting receive.
func longPoll(next http.Handler, w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		goawsServe(next, w, r, body)
		return
	}
	wait, _ := req["WaitTimeSeconds"].(float64)
	req["WaitTimeSeconds"] = 0
	body, _ = json.Marshal(req)
	deadline := time.Now().Add(time.Duration(wait * float64(time.Second)))

	for {
		resp := newBufferedResponse()
		goawsServe(next, resp, r, body)
		if resp.Status() != http.StatusOK || received(resp.body.Bytes()) ||
			!time.Now().Add(longPollStep).Before(deadline) {
			resp.sendTo(w)
			return
		}
		timer := time.NewTimer(longPollStep)
		select {
		case <-r.Context().Done():
			timer.Stop()
			resp.sendTo(w)
			return
		case <-timer.C:
		}
	}
}

// goawsServe runs one request with body under the shared side of the gate.
func goawsServe(next http.Handler, w http.ResponseWriter, r *http.Request, body []byte) {
	goawsGate.RLock()
	defer goawsGate.RUnlock()
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	next.ServeHTTP(w, r2)
}

// received reports whether a JSON ReceiveMessage answer holds a message.
func received(body []byte) bool {
	var out struct{ Messages []json.RawMessage }
	return json.Unmarshal(body, &out) == nil && len(out.Messages) > 0
}
