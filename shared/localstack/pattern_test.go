package localstack

import (
	"errors"
	"testing"

	"github.com/imagepipe/imagepipe/shared/s3event"
)

func TestPatternMatches(t *testing.T) {
	cases := []struct {
		name, pattern, event string
		want                 bool
	}{
		{"pipe filter, created", s3event.PipeFilterPattern,
			`{"body":{"Records":[{"eventName":"ObjectCreated:Put"}]}}`, true},
		{"pipe filter, removed", s3event.PipeFilterPattern,
			`{"body":{"Records":[{"eventName":"ObjectRemoved:Delete"}]}}`, false},
		{"pipe filter, test event", s3event.PipeFilterPattern,
			`{"body":{"Service":"Amazon S3","Event":"s3:TestEvent"}}`, false},
		{"pipe filter, string body", s3event.PipeFilterPattern, `{"body":"ObjectCreated:Put"}`,
			false},
		{"pipe filter, one of two records", s3event.PipeFilterPattern,
			`{"body":{"Records":[{"eventName":"x"},{"eventName":"ObjectCreated:Copy"}]}}`, true},
		{"exact values", `{"a":["x","y"]}`, `{"a":"y"}`, true},
		{"exact value missing", `{"a":["x"]}`, `{"b":"x"}`, false},
		{"value in event array", `{"a":["x"]}`, `{"a":["z","x"]}`, true},
		{"numbers by value", `{"n":[5]}`, `{"n":5.0}`, true},
		{"number is not string", `{"n":[5]}`, `{"n":"5"}`, false},
		{"null and bool", `{"a":[null],"b":[true]}`, `{"a":null,"b":true}`, true},
		{"all fields must match", `{"a":["x"],"b":["y"]}`, `{"a":"x","b":"z"}`, false},
		{"suffix", `{"k":[{"suffix":".jpg"}]}`, `{"k":"a/b.jpg"}`, true},
		{"ignore case", `{"k":[{"equals-ignore-case":"DONE"}]}`, `{"k":"done"}`, true},
		{"anything-but", `{"k":[{"anything-but":["a","b"]}]}`, `{"k":"c"}`, true},
		{"anything-but hit", `{"k":[{"anything-but":"a"}]}`, `{"k":"a"}`, false},
		{"anything-but prefix", `{"k":[{"anything-but":{"prefix":"tmp/"}}]}`,
			`{"k":"tmp/x"}`, false},
		{"exists", `{"k":[{"exists":true}]}`, `{"k":"v"}`, true},
		{"not exists", `{"k":[{"exists":false}]}`, `{"j":"v"}`, true},
		{"not exists but is", `{"k":[{"exists":false}]}`, `{"k":"v"}`, false},
		{"object is not a value", `{"k":["v"]}`, `{"k":{"v":1}}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := CompilePattern(c.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.MatchJSON([]byte(c.event)); got != c.want {
				t.Errorf("match %s against %s = %v, want %v", c.pattern, c.event, got, c.want)
			}
		})
	}
}

// Patterns the local pipe cannot evaluate are refused, never misread.
func TestPatternRefusesWhatItCannotEvaluate(t *testing.T) {
	for _, src := range []string{
		``, `[]`, `{}`, `{"a":"x"}`, `{"a":[]}`, `{"a":[{"numeric":[">",1]}]}`,
		`{"a":[{"wildcard":"*.jpg"}]}`, `{"$or":[{"a":["x"]}]}`,
		`{"a":[{"prefix":"x","suffix":"y"}]}`, `{"a":[{"prefix":1}]}`,
	} {
		_, err := CompilePattern(src)
		var perr *ErrPattern
		if !errors.As(err, &perr) {
			t.Errorf("CompilePattern(%q) = %v, want *ErrPattern", src, err)
		}
	}
}

// The filter sees a JSON body as a document and any other body as a string.
func TestFilterViewParsesJSONBodies(t *testing.T) {
	p, err := CompilePattern(`{"body":["plain text"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Match(filterView(Record{Body: "plain text"})) {
		t.Error("a non-JSON body does not match as a string")
	}
	q, err := CompilePattern(`{"body":{"a":["b"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Match(filterView(Record{Body: `{"a":"b"}`})) {
		t.Error("a JSON body does not match as a document")
	}
}

func TestEncodeEventKey(t *testing.T) {
	for key, want := range map[string]string{
		"user-uploads/u1/i1.jpg":     "user-uploads/u1/i1.jpg",
		"user-uploads/u 1/a b.jpg":   "user-uploads/u+1/a+b.jpg",
		"user-uploads/u/ä+b=c&d.png": "user-uploads/u/%C3%A4%2Bb%3Dc%26d.png",
		"a~b*c_d.e-f":                "a%7Eb*c_d.e-f",
	} {
		if got := EncodeEventKey(key); got != want {
			t.Errorf("EncodeEventKey(%q) = %q, want %q", key, got, want)
		}
	}
}
