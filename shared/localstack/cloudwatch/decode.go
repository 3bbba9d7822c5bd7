package cloudwatch

import (
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// The helpers below read one member of a decoded CBOR structure. A member that
// is absent or CBOR null reports ok == false; a member of the wrong type is a
// serialization error naming the member's path in the request, such as
// MetricData.member.3.Value, as CloudWatch's messages do.

func member(m cbor.Map, key string) (cbor.Value, bool) {
	v, ok := m[key]
	if !ok {
		return nil, false
	}
	if _, null := v.(*cbor.Nil); null {
		return nil, false
	}
	return v, true
}

func stringMember(m cbor.Map, key, path string) (string, bool, error) {
	v, ok := member(m, key)
	if !ok {
		return "", false, nil
	}
	s, isString := v.(cbor.String)
	if !isString {
		return "", false, serializationError("%s is a %T, want a string", path, v)
	}
	return string(s), true, nil
}

func floatMember(m cbor.Map, key, path string) (float64, bool, error) {
	v, ok := member(m, key)
	if !ok {
		return 0, false, nil
	}
	f, err := cbor.AsFloat64(v)
	if err != nil {
		return 0, false, serializationError("%s is not a number: %v", path, err)
	}
	return f, true, nil
}

func intMember(m cbor.Map, key, path string) (int64, bool, error) {
	v, ok := member(m, key)
	if !ok {
		return 0, false, nil
	}
	n, err := cbor.AsInt64(v)
	if err != nil {
		return 0, false, serializationError("%s is not an integer: %v", path, err)
	}
	return n, true, nil
}

func boolMember(m cbor.Map, key, path string) (bool, bool, error) {
	v, ok := member(m, key)
	if !ok {
		return false, false, nil
	}
	b, isBool := v.(cbor.Bool)
	if !isBool {
		return false, false, serializationError("%s is a %T, want a boolean", path, v)
	}
	return bool(b), true, nil
}

func timeMember(m cbor.Map, key, path string) (time.Time, bool, error) {
	v, ok := member(m, key)
	if !ok {
		return time.Time{}, false, nil
	}
	t, err := cbor.AsTime(v)
	if err != nil {
		return time.Time{}, false, serializationError("%s is not an epoch timestamp: %v",
			path, err)
	}
	return t.UTC(), true, nil
}

func listMember(m cbor.Map, key, path string) (cbor.List, bool, error) {
	v, ok := member(m, key)
	if !ok {
		return nil, false, nil
	}
	l, isList := v.(cbor.List)
	if !isList {
		return nil, false, serializationError("%s is a %T, want a list", path, v)
	}
	return l, true, nil
}

func mapMember(m cbor.Map, key, path string) (cbor.Map, bool, error) {
	v, ok := member(m, key)
	if !ok {
		return nil, false, nil
	}
	mm, isMap := v.(cbor.Map)
	if !isMap {
		return nil, false, serializationError("%s is a %T, want a structure", path, v)
	}
	return mm, true, nil
}

func mapElement(v cbor.Value, path string) (cbor.Map, error) {
	m, ok := v.(cbor.Map)
	if !ok {
		return nil, serializationError("%s is a %T, want a structure", path, v)
	}
	return m, nil
}

func epoch(t time.Time) cbor.Value {
	return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1e3)}
}
