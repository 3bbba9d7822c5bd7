package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/localstack"
	cwstub "github.com/imagepipe/imagepipe/shared/localstack/cloudwatch"
	"github.com/imagepipe/imagepipe/shared/localstack/pipeline"
	"github.com/imagepipe/imagepipe/shared/localstack/sfnapi"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/statemachine/engine"
	"github.com/imagepipe/imagepipe/steps/images"
	"github.com/imagepipe/imagepipe/steps/metrics"
	"github.com/imagepipe/imagepipe/steps/uploadurl"
)

// webFiles are the page's assets: plain HTML, CSS and JavaScript.
//
//go:embed web
var webFiles embed.FS

// devConfig configures [startDev]; runDev fills it from the flags.
type devConfig struct {
	// Addr is where the page and the HTTP API listen.
	Addr string
	// S3Addr is where the browser-facing S3 endpoint listens.
	S3Addr string
	// AllowRemote permits addresses other than loopback.
	AllowRemote bool
	// DataDir keeps the state across restarts; empty keeps it in memory.
	DataDir string
	// MetricsEvery is the metrics schedule; 0 runs it only on request.
	MetricsEvery time.Duration
	// Variants is the resize step's VARIANTS; empty means its default.
	Variants string
	// ShutdownTimeout bounds the wait for uploads, the pipe and running
	// executions on shutdown.
	ShutdownTimeout time.Duration
	// TimeScale scales Retry waits: 1 waits as AWS does.
	TimeScale float64
	// Logger receives every JSON log line.
	Logger *slog.Logger

	// wrapTask lets tests stand in for a step (a slow one, a stuck one);
	// it wraps the real handler inside the timing wrapper.
	wrapTask func(function string, h engine.Handler) engine.Handler
}

// stepSettings are the step Lambdas' settings that a user may set in the
// environment of `imagepipe dev`, as they would on the deployed functions.
var stepSettings = []string{"VARIANTS", "JPEG_QUALITY", "BACKGROUND", "MAX_PIXELS",
	"MAX_BYTES"}

// devServer is a running `imagepipe dev`.
type devServer struct {
	cfg devConfig
	log *slog.Logger

	p       *pipeline.Pipeline
	store   *engine.MemoryStore
	ddb     *dynamodb.Client
	sqs     *sqs.Client
	auth    *devAuth
	s3p     *s3Proxy
	uploads *uploadurl.Handler
	images  lambdaHTTP
	metrics *metricsRunner
	cw      *cwstub.Server
	index   execIndex
	timing  handlerTiming

	// URL is the page and API's base URL; S3URL the browser's S3 endpoint.
	URL   string
	S3URL string

	servers  []*http.Server
	draining atomic.Bool
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
	stopOnce sync.Once
	stopErr  error
}

// handlerTiming adds up the time each execution spent inside step handlers,
// so that the time the local stack adds around them can be told apart.
type handlerTiming struct {
	mu  sync.Mutex
	per map[string]time.Duration
}

func (t *handlerTiming) wrap(_ string, h engine.Handler) engine.Handler {
	return func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		start := time.Now()
		out, err := h(ctx, in)
		d := time.Since(start)
		if info, ok := engine.TaskInfoFromContext(ctx); ok {
			t.mu.Lock()
			if t.per == nil {
				t.per = map[string]time.Duration{}
			}
			t.per[info.ExecutionArn] += d
			t.mu.Unlock()
		}
		return out, err
	}
}

// of returns the handler time of an execution so far.
func (t *handlerTiming) of(arn string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.per[arn]
}

// startDev starts everything and serves until [devServer.Shutdown]. env
// receives the Lambdas' environment (a test's *testing.T, or
// pipeline.ProcessEnv).
func startDev(ctx context.Context, env localstack.Setenver, cfg devConfig) (
	_ *devServer, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	s := &devServer{cfg: cfg, log: cfg.Logger}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()

	apiLn, err := listen(cfg.Addr, cfg.AllowRemote)
	if err != nil {
		return nil, err
	}
	s3Ln, err := listen(cfg.S3Addr, cfg.AllowRemote)
	if err != nil {
		apiLn.Close()
		return nil, err
	}
	defer func() {
		// Served listeners are closed by their servers; these may not be yet.
		if err != nil {
			apiLn.Close()
			s3Ln.Close()
		}
	}()
	s.URL, s.S3URL = "http://"+apiLn.Addr().String(), "http://"+s3Ln.Addr().String()

	st := &devState{Format: snapshotFormat}
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, err
		}
		if st, err = loadState(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	if s.store, err = st.engineStore(); err != nil {
		return nil, err
	}

	s.cw = cwstub.New()
	cwLn, err := listen("127.0.0.1:0", false)
	if err != nil {
		return nil, err
	}
	s.serve(cwLn, s.cw)

	lambdaEnv := map[string]string{
		"AWS_ENDPOINT_URL_CLOUDWATCH": "http://" + cwLn.Addr().String(),
	}
	// The pipeline gives the step handlers only the environment it is
	// handed; the steps' own settings come from the user's, as in Lambda.
	for _, name := range stepSettings {
		if v, ok := os.LookupEnv(name); ok {
			lambdaEnv[name] = v
		}
	}
	if cfg.Variants != "" {
		lambdaEnv["VARIANTS"] = cfg.Variants
	}
	s.p, err = pipeline.Start(ctx, env, pipeline.Options{
		Env: lambdaEnv, TimeScale: cfg.TimeScale, Logger: s.log,
		Engine: []engine.Option{engine.WithStore(s.store)},
		WrapTask: func(function string, h engine.Handler) engine.Handler {
			if cfg.wrapTask != nil {
				h = cfg.wrapTask(function, h)
			}
			return s.timing.wrap(function, h)
		},
	})
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return nil, err
	}
	s.ddb = dynamodb.NewFromConfig(awsCfg)
	s.sqs = sqs.NewFromConfig(awsCfg)

	if err := s.restore(ctx, st); err != nil {
		return nil, err
	}
	if err := s.build(awsCfg, s3Ln.Addr().String()); err != nil {
		return nil, err
	}

	s.serve(s3Ln, s.s3p)
	s.serve(apiLn, s.routes())
	bgCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.bgCancel = cancel
	s.bg.Go(func() { s.metrics.loop(bgCtx) })

	s.log.Info("imagepipe dev is ready", "url", s.URL, "s3", s.S3URL,
		"stepFunctions", s.URL, "stateMachineArn", s.p.Machine.ARN(),
		"dataDir", cfg.DataDir, "inMemory", cfg.DataDir == "",
		"metricsEvery", cfg.MetricsEvery.String())
	return s, nil
}

// build makes the API's handlers: the authorizer, the upload URL and image
// status Lambdas, the metrics Lambda and the browser's S3 endpoint. The
// Lambdas are configured from the environment, as deployed; only their S3
// presigner is pointed at the browser's S3 endpoint.
func (s *devServer) build(awsCfg aws.Config, s3Host string) error {
	var err error
	if s.auth, err = newDevAuth(s.URL, s.cfg.DataDir); err != nil {
		return err
	}
	st := s.p.Stack
	creds, err := awsCfg.Credentials.Retrieve(context.Background())
	if err != nil {
		return err
	}
	s.s3p, err = newS3Proxy(st.Emulators.S3, st.OriginalsBucket, st.ProcessedBucket,
		pageOrigins(s.URL), creds, s.log)
	if err != nil {
		return err
	}

	// The browser reaches S3 through the proxy, so URLs are signed for its
	// address; everything else uses AWS_ENDPOINT_URL_S3, as the Lambdas do.
	browserS3 := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("http://" + s3Host)
		o.UsePathStyle = true
	})
	upCfg, err := uploadurl.LoadConfig(os.Getenv)
	if err != nil {
		return err
	}
	if s.uploads, err = uploadurl.New(upCfg, s3.NewPresignClient(browserS3), s.log); err != nil {
		return err
	}
	imgCfg, err := images.LoadConfig(settings.OS)
	if err != nil {
		return err
	}
	imagesAPI, err := images.New(imgCfg, s.ddb, s3.NewPresignClient(browserS3), s.log)
	if err != nil {
		return err
	}
	s.images = imagesAPI.Handle

	mcfg, err := metrics.LoadConfig(func(k string) string {
		if k == metrics.EnvBuckets && os.Getenv(k) == "" {
			return st.OriginalsBucket + "," + st.ProcessedBucket
		}
		return os.Getenv(k)
	})
	if err != nil {
		return err
	}
	mAWS := awsCfg.Copy()
	mAWS.HTTPClient = metrics.HTTPClient(mcfg.Concurrency)
	s.metrics = &metricsRunner{
		h:  metrics.New(awsconfig.S3(mAWS), cloudwatch.NewFromConfig(mAWS), mcfg, s.log),
		cw: s.cw, namespace: mcfg.Namespace, every: s.cfg.MetricsEvery,
		timeout: metricsTimeout, s: s,
	}
	return nil
}

// pageOrigins are the origins the page may be opened from: the address it
// listens on, and localhost for a loopback address.
func pageOrigins(base string) []string {
	origins := []string{base}
	if rest, ok := strings.CutPrefix(base, "http://127.0.0.1:"); ok {
		origins = append(origins, "http://localhost:"+rest)
	}
	return origins
}

// routes is the local HTTP API and the page.
func (s *devServer) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(route string, auth bool, fn lambdaHTTP) {
		mux.Handle(route, s.apiRoute(route, auth, fn))
	}
	// The routes of the deployed HTTP API, behind the JWT authorizer as
	// there; preflights are not authorized, as API Gateway lets them pass.
	api("POST /uploads", true, s.uploads.Handle)
	api("OPTIONS /uploads", false, s.uploads.Handle)
	api("GET /images", true, s.images)
	api("GET /images/{imageId}", true, s.images)

	// The dev console's own routes: the sign-in, the executions API and the
	// metrics. They need a token too, except the sign-in itself.
	dev := func(route string, h http.HandlerFunc) { mux.Handle(route, s.devRoute(h)) }
	mux.HandleFunc("POST /dev/token", s.mintToken)
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.auth.jwks())
	})
	mux.HandleFunc("GET /dev/config", s.devInfo)
	dev("GET /dev/executions", s.listExecutions)
	dev("GET /dev/executions/{name}", s.getExecution)
	dev("POST /dev/executions/{name}/redrive", s.redriveExecution)
	dev("POST /dev/executions/{name}/restart", s.restartExecution)
	dev("GET /dev/metrics", s.getMetrics)
	dev("POST /dev/metrics/run", s.runMetrics)

	// The Step Functions API over the local engine, for `imagepipe replay`
	// and any other sfn client pointed here by AWS_ENDPOINT_URL_SFN: the AWS
	// JSON 1.0 protocol posts every operation to the root.
	mux.Handle("POST /{$}", sfnapi.New(s.p.Machine))

	web, _ := fs.Sub(webFiles, "web")
	files := http.FileServerFS(web)
	mux.Handle("GET /", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The page changes with the binary; a cached old copy would talk to
		// an API it does not match.
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
	return mux
}

// devRoute puts a dev console route behind the authorizer and the drain.
func (s *devServer) devRoute(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() && r.Method != http.MethodGet {
			apiMessage(w, http.StatusServiceUnavailable, "Service Unavailable")
			return
		}
		if _, err := s.authorize(r); err != nil {
			unauthorized(w, err)
			return
		}
		h(w, r)
	})
}

// mintToken answers POST /dev/token {"username": "..."} with an ID token,
// the dev stand-in for the Cognito hosted sign-in.
func (s *devServer) mintToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Username string `json:"username"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<10)).Decode(&body); err != nil {
		devError(w, http.StatusBadRequest, "invalid_json", `the body is {"username": "..."}`)
		return
	}
	token, exp, err := s.auth.mint(body.Username)
	if err != nil {
		devError(w, http.StatusBadRequest, "invalid_username", err.Error())
		return
	}
	sub := devSub(body.Username)
	s.log.Info("dev user signed in", "username", strings.ToLower(body.Username),
		"userId", sub)
	writeJSON(w, http.StatusOK, map[string]any{
		"id_token": token, "token_type": "Bearer", "expires_in": int(devTokenTTL.Seconds()),
		"expires_at": exp.UTC().Format(time.RFC3339), "sub": sub,
		"username": strings.ToLower(body.Username),
	})
}

// devInfo answers GET /dev/config with what the page shows about the stack.
func (s *devServer) devInfo(w http.ResponseWriter, _ *http.Request) {
	up := s.uploads.Config()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer": s.auth.issuer, "clientId": s.auth.clientID, "s3": s.S3URL,
		"dataDir": s.cfg.DataDir, "inMemory": s.cfg.DataDir == "",
		"stateMachineArn": s.p.Machine.ARN(),
		"draining":        s.draining.Load(), "allowedContentTypes": up.AllowedContentTypes,
		"maxBytes": up.MaxBytes,
	})
}

// listen opens a TCP listener on addr, refusing addresses that are not
// loopback unless remote access was asked for: the dev stack has no real
// users and signs anyone in.
func listen(addr string, allowRemote bool) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dev: address %q: %w", addr, err)
	}
	if !allowRemote {
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("dev: %s is not a loopback address; the dev stack "+
				"signs in anyone, so serving it beyond this machine needs --allow-remote",
				addr)
		}
	}
	return net.Listen("tcp", addr)
}

// serve serves h on l until shutdown.
func (s *devServer) serve(l net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.servers = append(s.servers, srv)
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("server stopped", "addr", l.Addr().String(), "error", err.Error())
		}
	}()
}

// Shutdown stops the way an upload is never lost: new uploads are refused,
// the uploads in flight finish (each one's event is then in the queue), the
// pipe hands what is queued to the engine and the running executions end,
// all within ShutdownTimeout. Whatever is left then (messages still queued,
// executions aborted by the stop) goes into the snapshot, and the next
// start sends and redrives it. Shutdown may be called again.
func (s *devServer) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.shutdown(ctx) })
	return s.stopErr
}

func (s *devServer) shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.log.Info("shutting down: no new uploads; finishing what is accepted",
		"timeout", s.cfg.ShutdownTimeout.String())
	wait, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()

	if err := s.s3p.drain(wait); err != nil {
		s.log.Warn("shutdown: uploads still in flight", "error", err.Error())
	}
	if err := s.p.Pipe.WaitQuiescent(wait); err != nil {
		s.log.Warn("shutdown: the queue is not empty; the rest is saved",
			"error", err.Error())
	}
	running, _ := s.p.Machine.List(engine.ListFilter{Status: engine.StatusRunning})
	for _, d := range running {
		if _, err := s.p.Machine.Wait(wait, d.ExecutionArn); err != nil {
			break
		}
	}

	s.bgCancel()
	s.bg.Wait()
	s.p.Pipe.Stop()
	// What still runs now is aborted by Close; the next start redrives it.
	running, _ = s.p.Machine.List(engine.ListFilter{Status: engine.StatusRunning})
	var redrive []string
	for _, d := range running {
		redrive = append(redrive, d.ExecutionArn)
	}
	closeErr := s.p.Machine.Close()

	var saveErr error
	if s.cfg.DataDir != "" {
		st, err := s.capture(context.WithoutCancel(ctx), redrive)
		if err == nil {
			err = s.save(st)
		}
		saveErr = err
		if err == nil {
			s.log.Info("state saved", "dataDir", s.cfg.DataDir, "objects", len(st.Objects),
				"items", len(st.Items), "executions", len(st.Executions),
				"queued", len(st.Queue), "toRedrive", len(st.Redrive))
		}
	} else if len(redrive) > 0 {
		s.log.Warn("in-memory stack stopped with executions unfinished",
			"aborted", len(redrive))
	}

	err := errors.Join(closeErr, saveErr, s.closeAll())
	if err != nil {
		s.log.Error("shutdown failed", "error", err.Error())
	} else {
		s.log.Info("stopped")
	}
	return err
}

// closeAll stops the servers and the pipeline.
func (s *devServer) closeAll() error {
	var errs []error
	for _, srv := range s.servers {
		errs = append(errs, srv.Close())
	}
	if s.p != nil {
		errs = append(errs, s.p.Close())
	}
	return errors.Join(errs...)
}
