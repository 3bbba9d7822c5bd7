package localstack

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// loopback is an HTTP server on 127.0.0.1 that knows when its last handler
// has returned, so that Close leaves no goroutine of it behind.
type loopback struct {
	name     string
	listener net.Listener
	server   *http.Server
	served   chan struct{}

	mu      sync.Mutex
	running int
	idle    chan struct{} // closed and replaced when running drops to 0
}

// listenLoopback serves h on 127.0.0.1:port (0 picks a free port).
func listenLoopback(name string, port int, h http.Handler, log *slog.Logger) (*loopback, error) {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("localstack: %s: %w", name, err)
	}
	lb := &loopback{name: name, listener: l, served: make(chan struct{}),
		idle: make(chan struct{})}
	close(lb.idle)
	lb.server = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			lb.enter()
			defer lb.leave()
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		defer close(lb.served)
		// Serve returns ErrServerClosed on Close, the only way it ends here.
		_ = lb.server.Serve(l)
	}()
	return lb, nil
}

func (lb *loopback) enter() {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if lb.running == 0 {
		lb.idle = make(chan struct{})
	}
	lb.running++
}

func (lb *loopback) leave() {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.running--
	if lb.running == 0 {
		close(lb.idle)
	}
}

// URL returns the server's base URL, such as http://127.0.0.1:41234.
func (lb *loopback) URL() string { return "http://" + lb.listener.Addr().String() }

// errHandlersRunning reports handlers that did not return after Close.
var errHandlersRunning = errors.New("localstack: handlers still running after close")

// Close stops accepting, drops every connection (which cancels the contexts of
// requests in flight, long polls included) and waits for the handlers.
func (lb *loopback) Close() error {
	err := lb.server.Close()
	<-lb.served

	lb.mu.Lock()
	idle := lb.idle
	lb.mu.Unlock()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case <-idle:
	case <-timer.C:
		return fmt.Errorf("%w: %s", errHandlersRunning, lb.name)
	}
	return err
}
