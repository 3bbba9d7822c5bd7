package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Values flowing between states are decoded with json.Number so that large
// integers keep every digit, as they do in AWS.

func decodeValue(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("engine: trailing data after the JSON value")
	}
	return v, nil
}

// encodeValue renders v as compact JSON without HTML escaping: AWS records
// "<" as it is, not as \u003c.
func encodeValue(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// compact is encodeValue for messages and history, where values came from
// JSON and therefore always encode.
func compact(v any) string {
	b, err := encodeValue(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// sameJSON reports whether a and b hold the same JSON value, ignoring
// spacing and key order.
func sameJSON(a, b []byte) bool {
	va, errA := decodeValue(a)
	vb, errB := decodeValue(b)
	return errA == nil && errB == nil && compact(va) == compact(vb)
}
