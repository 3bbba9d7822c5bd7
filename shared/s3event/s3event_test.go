package s3event

import (
	"errors"
	"os"
	"testing"
)

func TestDecode(t *testing.T) {
	cases := []struct {
		file    string
		wantKey string
		wantErr func(error) bool
	}{
		{"put.json", "user-uploads/3f1c9e2a-user/7d4e0b8c-img.jpg", nil},
		{"encoded-key.json", "user-uploads/u1/holiday photoé.jpg", nil},
		{"test-event.json", "", func(err error) bool { return errors.Is(err, ErrTestEvent) }},
		{"removed.json", "", func(err error) bool {
			var nc *ErrNotCreated
			return errors.As(err, &nc) && nc.EventName == "ObjectRemoved:Delete"
		}},
		{"two-records.json", "", func(err error) bool { return errors.Is(err, ErrBatchSize) }},
		{"body-not-json.json", "", func(err error) bool {
			var m *ErrMalformed
			return errors.As(err, &m)
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := Decode(raw)
			if c.wantErr != nil {
				if err == nil || !c.wantErr(err) {
					t.Fatalf("Decode = %+v, %v; want the named error", obj, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if obj.Key != c.wantKey || obj.Bucket != "imagepipe-originals" ||
				obj.Size != 162177 || obj.Sequencer != "0055AED6DCD90281E5" ||
				obj.EventName != "ObjectCreated:Put" || obj.EventTime.IsZero() {
				t.Errorf("Decode = %+v", obj)
			}
		})
	}
	if _, err := Decode([]byte(`[]`)); !errors.Is(err, ErrEmptyBatch) {
		t.Errorf("empty batch: %v", err)
	}
}

func TestPadSequencerOrders(t *testing.T) {
	older, newer := "FF", "0100"
	if !(PadSequencer(older) < PadSequencer(newer)) {
		t.Errorf("padded %q !< %q", PadSequencer(older), PadSequencer(newer))
	}
	if PadSequencer("0055aed6") != PadSequencer("0055AED6") {
		t.Error("case changes the order")
	}
}
