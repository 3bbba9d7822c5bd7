package images_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/steps/images"
)

// TestLoadConfig parses environments as Lambda would see them and checks the
// resulting Config, or that the error names the variable at fault.
func TestLoadConfig(t *testing.T) {
	required := map[string]string{"TABLE_NAME": "t", "PROCESSED_BUCKET": "b"}
	with := func(extra map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range required {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		return env
	}
	defaults := images.Config{Table: "t", ProcessedBucket: "b", URLExpiry: 5 * time.Minute}
	cases := []struct {
		name    string
		env     map[string]string
		want    images.Config
		badName string // the variable a *settings.Error must name
	}{
		{"defaults", required, defaults, ""},
		{"empty values mean defaults", with(map[string]string{
			"IMAGE_URL_EXPIRY": " ", "CORS_ORIGINS": ""}), defaults, ""},
		{"everything set", with(map[string]string{
			"IMAGE_URL_EXPIRY": "90s",
			"CORS_ORIGINS":     "https://app.example.com, http://localhost:5173,",
		}), images.Config{Table: "t", ProcessedBucket: "b", URLExpiry: 90 * time.Second,
			CORSOrigins: []string{"https://app.example.com", "http://localhost:5173"}}, ""},
		{"expiry at the limit", with(map[string]string{"IMAGE_URL_EXPIRY": "1h"}),
			images.Config{Table: "t", ProcessedBucket: "b", URLExpiry: time.Hour}, ""},
		{"wildcard origin", with(map[string]string{"CORS_ORIGINS": "*"}),
			images.Config{Table: "t", ProcessedBucket: "b", URLExpiry: 5 * time.Minute,
				CORSOrigins: []string{"*"}}, ""},
		{"no table", map[string]string{"PROCESSED_BUCKET": "b"}, images.Config{},
			"TABLE_NAME"},
		{"no bucket", map[string]string{"TABLE_NAME": "t", "PROCESSED_BUCKET": "  "},
			images.Config{}, "PROCESSED_BUCKET"},
		{"expiry without a unit", with(map[string]string{"IMAGE_URL_EXPIRY": "300"}),
			images.Config{}, "IMAGE_URL_EXPIRY"},
		{"expiry zero", with(map[string]string{"IMAGE_URL_EXPIRY": "0s"}),
			images.Config{}, "IMAGE_URL_EXPIRY"},
		{"expiry over an hour", with(map[string]string{"IMAGE_URL_EXPIRY": "61m"}),
			images.Config{}, "IMAGE_URL_EXPIRY"},
		{"expiry with a fraction of a second", with(map[string]string{
			"IMAGE_URL_EXPIRY": "1.5s"}), images.Config{}, "IMAGE_URL_EXPIRY"},
		{"origin with a path", with(map[string]string{
			"CORS_ORIGINS": "https://app.example.com/"}), images.Config{}, "CORS_ORIGINS"},
		{"origin without a scheme", with(map[string]string{
			"CORS_ORIGINS": "app.example.com"}), images.Config{}, "CORS_ORIGINS"},
		{"wildcard beside an origin", with(map[string]string{
			"CORS_ORIGINS": "https://app.example.com,*"}), images.Config{}, "CORS_ORIGINS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := images.LoadConfig(settings.Map(c.env))
			if c.badName != "" {
				var serr *settings.Error
				if !errors.As(err, &serr) || serr.Name != c.badName {
					t.Fatalf("err = %v, want a *settings.Error naming %s", err, c.badName)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equal(got, c.want) {
				t.Errorf("config %+v,\nwant %+v", got, c.want)
			}
		})
	}
}

// TestNewChecksItsInputs checks that a handler built in code, as the local
// stack does, is held to the same rules as one configured by environment.
func TestNewChecksItsInputs(t *testing.T) {
	db := dynamodb.New(dynamodb.Options{Region: "eu-west-1"})
	presign := s3.NewPresignClient(s3.New(s3.Options{Region: "eu-west-1"}))
	ok := images.Config{Table: "t", ProcessedBucket: "b"}
	cases := []struct {
		name    string
		cfg     images.Config
		db      *dynamodb.Client
		presign images.Presigner
		badName string
	}{
		{"no table", images.Config{ProcessedBucket: "b"}, db, presign, "TABLE_NAME"},
		{"no bucket", images.Config{Table: "t"}, db, presign, "PROCESSED_BUCKET"},
		{"negative expiry", images.Config{Table: "t", ProcessedBucket: "b",
			URLExpiry: -time.Second}, db, presign, "IMAGE_URL_EXPIRY"},
		{"no DynamoDB client", ok, nil, presign, ""},
		{"no presigner", ok, db, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := images.New(c.cfg, c.db, c.presign, nil)
			if err == nil || h != nil {
				t.Fatalf("New = %v, %v; want an error", h, err)
			}
			var serr *settings.Error
			if c.badName != "" && (!errors.As(err, &serr) || serr.Name != c.badName) {
				t.Errorf("err = %v, want a *settings.Error naming %s", err, c.badName)
			}
		})
	}
	h, err := images.New(ok, db, presign, nil)
	if err != nil || h.Config().URLExpiry != images.DefaultURLExpiry {
		t.Errorf("New(%+v) = %+v, %v", ok, h, err)
	}
}
