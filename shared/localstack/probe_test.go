package localstack

import (
	"testing"

	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/truora/minidyn/server"
)

func TestProbe(t *testing.T) {
	_ = router.New()
	_ = gofakes3.New(s3mem.New()).Server()
	_ = server.NewServer()
}
