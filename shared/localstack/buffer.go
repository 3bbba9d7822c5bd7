package localstack

import (
	"bytes"
	"net/http"
)

// bufferedResponse holds a handler's response until the caller decides to
// send it: the S3 notifier queues the event before the client learns that its
// PUT succeeded, and the goaws long poll retries empty receives.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: make(http.Header)}
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// Status returns the status code, 200 when the handler set none.
func (b *bufferedResponse) Status() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}

// sendTo writes the held response to w.
func (b *bufferedResponse) sendTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.Status())
	_, _ = w.Write(b.body.Bytes())
}
