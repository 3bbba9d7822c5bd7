package cloudwatch

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/aws/smithy-go/encoding/cbor"
)

// StandardUnits are the units CloudWatch accepts, in the order of its API
// reference. A datum without a unit has the unit None.
var StandardUnits = []string{
	"Seconds", "Microseconds", "Milliseconds",
	"Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
	"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
	"Percent", "Count",
	"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
	"Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
	"Gigabits/Second", "Terabits/Second", "Count/Second",
	"None",
}

var standardUnit = func() map[string]bool {
	m := make(map[string]bool, len(StandardUnits))
	for _, u := range StandardUnits {
		m[u] = true
	}
	return m
}()

// Bounds of the values and timestamps CloudWatch accepts.
var (
	maxMagnitude = math.Ldexp(1, 360)
)

const (
	maxPast   = 14 * 24 * time.Hour
	maxFuture = 2 * time.Hour
	// maxEntities is the most EntityMetricData entries in one request.
	maxEntities = 2
)

type datumRef struct {
	m    cbor.Map
	path string
}

func (s *Server) putMetricData(req cbor.Map, rec *Request) (cbor.Map, error) {
	namespace, ok, err := stringMember(req, "Namespace", "Namespace")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, missingParameter("Namespace")
	}
	if err := checkNamespace(namespace); err != nil {
		return nil, err
	}

	data, err := collectData(req)
	if err != nil {
		return nil, err
	}
	rec.Metrics = len(data)
	if len(data) == 0 {
		return nil, missingParameter("MetricData")
	}
	if len(data) > MaxMetricsPerRequest {
		return nil, invalidValue("The collection MetricData must not have a size greater "+
			"than %d.", MaxMetricsPerRequest)
	}

	// CloudWatch takes a request whole or not at all: validate every datum
	// before recording any.
	now := s.now().UTC()
	points := make([]Point, 0, len(data))
	for _, d := range data {
		p, err := parseDatum(d.m, d.path, now)
		if err != nil {
			return nil, err
		}
		p.Namespace = namespace
		points = append(points, p)
	}
	s.record(points)
	return cbor.Map{}, nil
}

// collectData returns the data of MetricData and of every EntityMetricData,
// which count together against the request limit.
func collectData(req cbor.Map) ([]datumRef, error) {
	var refs []datumRef
	data, _, err := listMember(req, "MetricData", "MetricData")
	if err != nil {
		return nil, err
	}
	for i, v := range data {
		path := fmt.Sprintf("MetricData.member.%d", i+1)
		m, err := mapElement(v, path)
		if err != nil {
			return nil, err
		}
		refs = append(refs, datumRef{m, path})
	}

	entities, _, err := listMember(req, "EntityMetricData", "EntityMetricData")
	if err != nil {
		return nil, err
	}
	if len(entities) > maxEntities {
		return nil, invalidValue("The collection EntityMetricData must not have a size "+
			"greater than %d.", maxEntities)
	}
	for i, v := range entities {
		epath := fmt.Sprintf("EntityMetricData.member.%d", i+1)
		em, err := mapElement(v, epath)
		if err != nil {
			return nil, err
		}
		list, _, err := listMember(em, "MetricData", epath+".MetricData")
		if err != nil {
			return nil, err
		}
		for j, v := range list {
			path := fmt.Sprintf("%s.MetricData.member.%d", epath, j+1)
			m, err := mapElement(v, path)
			if err != nil {
				return nil, err
			}
			refs = append(refs, datumRef{m, path})
		}
	}
	return refs, nil
}

func parseDatum(m cbor.Map, path string, now time.Time) (Point, error) {
	p := Point{Received: now, Unit: "None", StorageResolution: 60}

	name, ok, err := stringMember(m, "MetricName", path+".MetricName")
	if err != nil {
		return p, err
	}
	if !ok {
		return p, missingParameter(path + ".MetricName")
	}
	if err := checkName(name, path+".MetricName", 255); err != nil {
		return p, err
	}
	p.MetricName = name

	if p.Dimensions, err = parseDimensions(m, path); err != nil {
		return p, err
	}

	p.Timestamp = now
	if ts, ok, err := timeMember(m, "Timestamp", path+".Timestamp"); err != nil {
		return p, err
	} else if ok {
		if ts.Before(now.Add(-maxPast)) || ts.After(now.Add(maxFuture)) {
			return p, invalidValue("The parameter %s.Timestamp must specify a time no more "+
				"than two weeks in the past and no more than two hours in the future.", path)
		}
		p.Timestamp = ts
	}

	if err := parseValues(m, path, &p); err != nil {
		return p, err
	}

	if unit, ok, err := stringMember(m, "Unit", path+".Unit"); err != nil {
		return p, err
	} else if ok {
		if !standardUnit[unit] {
			return p, invalidValue("The value %s for parameter %s.Unit is invalid.", unit, path)
		}
		p.Unit = unit
	}

	if res, ok, err := intMember(m, "StorageResolution", path+".StorageResolution"); err != nil {
		return p, err
	} else if ok {
		if res != 1 && res != 60 {
			return p, invalidValue("The value %d for parameter %s.StorageResolution is "+
				"invalid: it must be 1 or 60.", res, path)
		}
		p.StorageResolution = int(res)
	}
	return p, nil
}

func parseDimensions(m cbor.Map, path string) ([]Dimension, error) {
	list, _, err := listMember(m, "Dimensions", path+".Dimensions")
	if err != nil {
		return nil, err
	}
	if len(list) > MaxDimensions {
		return nil, invalidValue("The collection %s.Dimensions must not have a size greater "+
			"than %d.", path, MaxDimensions)
	}
	dims := make([]Dimension, 0, len(list))
	seen := make(map[string]bool, len(list))
	for i, v := range list {
		dpath := fmt.Sprintf("%s.Dimensions.member.%d", path, i+1)
		dm, err := mapElement(v, dpath)
		if err != nil {
			return nil, err
		}
		var d Dimension
		for _, f := range []struct {
			key string
			dst *string
			max int
		}{{"Name", &d.Name, 255}, {"Value", &d.Value, 1024}} {
			s, ok, err := stringMember(dm, f.key, dpath+"."+f.key)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, missingParameter(dpath + "." + f.key)
			}
			if err := checkName(s, dpath+"."+f.key, f.max); err != nil {
				return nil, err
			}
			*f.dst = s
		}
		if strings.HasPrefix(d.Name, ":") {
			return nil, invalidValue("The value %s for parameter %s.Name is invalid: "+
				"dimension names starting with ':' are reserved.", d.Name, dpath)
		}
		if seen[d.Name] {
			return nil, invalidValue("The collection %s.Dimensions must not have two "+
				"dimensions named %s.", path, d.Name)
		}
		seen[d.Name] = true
		dims = append(dims, d)
	}
	return sortedDimensions(dims), nil
}

// parseValues reads the one of Value, StatisticValues or Values/Counts that
// the datum carries into p's statistics.
func parseValues(m cbor.Map, path string, p *Point) error {
	_, hasValue := member(m, "Value")
	_, hasStats := member(m, "StatisticValues")
	_, hasValues := member(m, "Values")
	switch {
	case hasValue && hasStats:
		return invalidCombination("The parameters %[1]s.Value and %[1]s.StatisticValues "+
			"are mutually exclusive and you have specified both.", path)
	case hasValues && (hasValue || hasStats):
		return invalidCombination("The parameter %[1]s.Values cannot be combined with "+
			"%[1]s.Value or %[1]s.StatisticValues.", path)
	case hasValue:
		v, _, err := floatMember(m, "Value", path+".Value")
		if err != nil {
			return err
		}
		if err := checkValue(v, path+".Value"); err != nil {
			return err
		}
		p.Value, p.SampleCount, p.Sum, p.Minimum, p.Maximum = v, 1, v, v, v
		return nil
	case hasStats:
		return parseStatistics(m, path, p)
	case hasValues:
		return parseValueList(m, path, p)
	}
	return missingParameter(path + ".Value")
}

func parseStatistics(m cbor.Map, path string, p *Point) error {
	spath := path + ".StatisticValues"
	stats, _, err := mapMember(m, "StatisticValues", spath)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{{"SampleCount", &p.SampleCount}, {"Sum", &p.Sum}, {"Minimum", &p.Minimum},
		{"Maximum", &p.Maximum}} {
		v, ok, err := floatMember(stats, f.key, spath+"."+f.key)
		if err != nil {
			return err
		}
		if !ok {
			return missingParameter(spath + "." + f.key)
		}
		if err := checkValue(v, spath+"."+f.key); err != nil {
			return err
		}
		*f.dst = v
	}
	if p.SampleCount <= 0 {
		return invalidValue("The parameter %s.SampleCount must be greater than 0.", spath)
	}
	if p.Minimum > p.Maximum {
		return invalidValue("The parameter %s.Minimum must not be greater than Maximum.", spath)
	}
	p.Value = p.Sum / p.SampleCount
	return nil
}

func parseValueList(m cbor.Map, path string, p *Point) error {
	values, _, err := listMember(m, "Values", path+".Values")
	if err != nil {
		return err
	}
	counts, hasCounts, err := listMember(m, "Counts", path+".Counts")
	if err != nil {
		return err
	}
	if len(values) == 0 {
		return missingParameter(path + ".Values")
	}
	if len(values) > MaxValuesPerMetric {
		return invalidValue("The collection %s.Values must not have a size greater than %d.",
			path, MaxValuesPerMetric)
	}
	if hasCounts && len(counts) != len(values) {
		return invalidValue("The parameters %[1]s.Values and %[1]s.Counts must be of the "+
			"same size.", path)
	}
	p.Minimum, p.Maximum = math.Inf(1), math.Inf(-1)
	for i, v := range values {
		vpath := fmt.Sprintf("%s.Values.member.%d", path, i+1)
		f, err := cbor.AsFloat64(v)
		if err != nil {
			return serializationError("%s is not a number: %v", vpath, err)
		}
		if err := checkValue(f, vpath); err != nil {
			return err
		}
		n := 1.0
		if hasCounts {
			cpath := fmt.Sprintf("%s.Counts.member.%d", path, i+1)
			if n, err = cbor.AsFloat64(counts[i]); err != nil {
				return serializationError("%s is not a number: %v", cpath, err)
			}
			if math.IsNaN(n) || math.IsInf(n, 0) || n < 0 {
				return invalidValue("The value %v for parameter %s is invalid.", n, cpath)
			}
		}
		p.SampleCount += n
		p.Sum += f * n
		p.Minimum = math.Min(p.Minimum, f)
		p.Maximum = math.Max(p.Maximum, f)
	}
	if p.SampleCount > 0 {
		p.Value = p.Sum / p.SampleCount
	}
	return nil
}

func checkNamespace(ns string) error {
	if len(ns) == 0 || len(ns) > 255 {
		return invalidValue("The parameter Namespace must be between 1 and 255 characters.")
	}
	for _, r := range ns {
		if r < 0x20 || r > 0x7e {
			return invalidValue("The value %q for parameter Namespace is invalid: only "+
				"printable ASCII characters are allowed.", ns)
		}
	}
	if strings.HasPrefix(ns, "AWS/") {
		return invalidValue("The value %s for parameter Namespace is invalid: namespaces "+
			"starting with AWS/ are reserved for AWS services.", ns)
	}
	return nil
}

// checkName checks a metric or dimension name or value: 1 to max characters,
// at least one of them not white space, none a control character.
func checkName(s, path string, max int) error {
	n := 0
	blank := true
	for _, r := range s {
		n++
		if unicode.IsControl(r) {
			return invalidValue("The value %q for parameter %s is invalid: it contains a "+
				"control character.", s, path)
		}
		if !unicode.IsSpace(r) {
			blank = false
		}
	}
	if n == 0 || n > max {
		return invalidValue("The parameter %s must be between 1 and %d characters.", path, max)
	}
	if blank {
		return invalidValue("The parameter %s must contain at least one non-whitespace "+
			"character.", path)
	}
	return nil
}

func checkValue(v float64, path string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return invalidValue("The value %v for parameter %s is invalid: NaN and infinite "+
			"values are not supported.", v, path)
	}
	if math.Abs(v) > maxMagnitude {
		return invalidValue("The value %v for parameter %s is invalid: values must be in the "+
			"range of -2^360 to 2^360.", v, path)
	}
	return nil
}
