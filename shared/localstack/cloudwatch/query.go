package cloudwatch

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// listPageSize is how many metrics one ListMetrics page holds, as in CloudWatch.
const listPageSize = 500

// recentlyActive is the window of ListMetrics' RecentlyActive=PT3H.
const recentlyActive = 3 * time.Hour

var queryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,254}$`)

type metricID struct {
	namespace string
	name      string
	dims      []Dimension
}

func (s *Server) listMetrics(req cbor.Map, _ *Request) (cbor.Map, error) {
	namespace, hasNS, err := stringMember(req, "Namespace", "Namespace")
	if err != nil {
		return nil, err
	}
	name, hasName, err := stringMember(req, "MetricName", "MetricName")
	if err != nil {
		return nil, err
	}
	filters, err := parseDimensionFilters(req)
	if err != nil {
		return nil, err
	}
	active, hasActive, err := stringMember(req, "RecentlyActive", "RecentlyActive")
	if err != nil {
		return nil, err
	}
	if hasActive && active != "PT3H" {
		return nil, invalidValue("The value %s for parameter RecentlyActive is invalid.", active)
	}
	start := 0
	if token, ok, err := stringMember(req, "NextToken", "NextToken"); err != nil {
		return nil, err
	} else if ok {
		if start, err = strconv.Atoi(token); err != nil || start < 0 {
			return nil, invalidNextToken()
		}
	}

	cutoff := s.now().Add(-recentlyActive)
	seen := map[string]bool{}
	var found []metricID
	for _, p := range s.Points() {
		if hasNS && p.Namespace != namespace || hasName && p.MetricName != name ||
			hasActive && p.Received.Before(cutoff) || !matchFilters(p.Dimensions, filters) {
			continue
		}
		key := metricKey(p.Namespace, p.MetricName, p.Dimensions)
		if !seen[key] {
			seen[key] = true
			found = append(found, metricID{p.Namespace, p.MetricName, p.Dimensions})
		}
	}
	sort.Slice(found, func(i, j int) bool {
		return metricKey(found[i].namespace, found[i].name, found[i].dims) <
			metricKey(found[j].namespace, found[j].name, found[j].dims)
	})
	if start > len(found) {
		return nil, invalidNextToken()
	}

	end := min(start+listPageSize, len(found))
	metrics := cbor.List{}
	for _, m := range found[start:end] {
		metrics = append(metrics, cbor.Map{
			"Namespace":  cbor.String(m.namespace),
			"MetricName": cbor.String(m.name),
			"Dimensions": encodeDimensions(m.dims),
		})
	}
	out := cbor.Map{"Metrics": metrics}
	if end < len(found) {
		out["NextToken"] = cbor.String(strconv.Itoa(end))
	}
	return out, nil
}

type dimensionFilter struct {
	name     string
	value    string
	hasValue bool
}

func parseDimensionFilters(req cbor.Map) ([]dimensionFilter, error) {
	list, _, err := listMember(req, "Dimensions", "Dimensions")
	if err != nil {
		return nil, err
	}
	if len(list) > 10 {
		return nil, invalidValue("The collection Dimensions must not have a size greater " +
			"than 10.")
	}
	var filters []dimensionFilter
	for i, v := range list {
		path := fmt.Sprintf("Dimensions.member.%d", i+1)
		m, err := mapElement(v, path)
		if err != nil {
			return nil, err
		}
		var f dimensionFilter
		var ok bool
		if f.name, ok, err = stringMember(m, "Name", path+".Name"); err != nil {
			return nil, err
		} else if !ok {
			return nil, missingParameter(path + ".Name")
		}
		if f.value, f.hasValue, err = stringMember(m, "Value", path+".Value"); err != nil {
			return nil, err
		}
		filters = append(filters, f)
	}
	return filters, nil
}

func matchFilters(dims []Dimension, filters []dimensionFilter) bool {
	for _, f := range filters {
		match := false
		for _, d := range dims {
			if d.Name == f.name && (!f.hasValue || d.Value == f.value) {
				match = true
				break
			}
		}
		if !match {
			return false
		}
	}
	return true
}

func encodeDimensions(dims []Dimension) cbor.List {
	out := cbor.List{}
	for _, d := range dims {
		out = append(out, cbor.Map{"Name": cbor.String(d.Name), "Value": cbor.String(d.Value)})
	}
	return out
}

// statQuery is one MetricStat query of GetMetricData.
type statQuery struct {
	id     string
	label  string
	metric metricID
	period time.Duration
	stat   string
	unit   string
}

func (s *Server) getMetricData(req cbor.Map, _ *Request) (cbor.Map, error) {
	start, ok, err := timeMember(req, "StartTime", "StartTime")
	if err != nil {
		return nil, err
	} else if !ok {
		return nil, missingParameter("StartTime")
	}
	end, ok, err := timeMember(req, "EndTime", "EndTime")
	if err != nil {
		return nil, err
	} else if !ok {
		return nil, missingParameter("EndTime")
	}
	if !end.After(start) {
		return nil, invalidValue("The parameter StartTime must be less than the parameter " +
			"EndTime.")
	}
	ascending := false
	if scan, ok, err := stringMember(req, "ScanBy", "ScanBy"); err != nil {
		return nil, err
	} else if ok {
		switch scan {
		case "TimestampAscending":
			ascending = true
		case "TimestampDescending":
		default:
			return nil, invalidValue("The value %s for parameter ScanBy is invalid.", scan)
		}
	}

	queries, err := parseQueries(req)
	if err != nil {
		return nil, err
	}
	points := s.Points()
	results := cbor.List{}
	for _, q := range queries {
		results = append(results, q.run(points, start, end, ascending))
	}
	return cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}}, nil
}

func parseQueries(req cbor.Map) ([]statQuery, error) {
	list, _, err := listMember(req, "MetricDataQueries", "MetricDataQueries")
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, missingParameter("MetricDataQueries")
	}
	if len(list) > MaxQueries {
		return nil, invalidValue("The collection MetricDataQueries must not have a size "+
			"greater than %d.", MaxQueries)
	}
	var queries []statQuery
	ids := map[string]bool{}
	for i, v := range list {
		path := fmt.Sprintf("MetricDataQueries.member.%d", i+1)
		m, err := mapElement(v, path)
		if err != nil {
			return nil, err
		}
		q, returned, err := parseQuery(m, path)
		if err != nil {
			return nil, err
		}
		if ids[q.id] {
			return nil, invalidValue("The value %s for parameter %s.Id is used twice.", q.id, path)
		}
		ids[q.id] = true
		if returned {
			queries = append(queries, q)
		}
	}
	return queries, nil
}

func parseQuery(m cbor.Map, path string) (q statQuery, returned bool, err error) {
	var ok bool
	if q.id, ok, err = stringMember(m, "Id", path+".Id"); err != nil {
		return q, false, err
	} else if !ok {
		return q, false, missingParameter(path + ".Id")
	}
	if !queryID.MatchString(q.id) {
		return q, false, invalidValue("The value %s for parameter %s.Id is invalid: it must "+
			"start with a lowercase letter and hold only letters, digits and '_'.", q.id, path)
	}
	if _, expr := member(m, "Expression"); expr {
		return q, false, invalidValue("The parameter %s.Expression is not supported by the "+
			"local CloudWatch stand-in; use MetricStat.", path)
	}
	returned = true
	if r, ok, err := boolMember(m, "ReturnData", path+".ReturnData"); err != nil {
		return q, false, err
	} else if ok {
		returned = r
	}

	spath := path + ".MetricStat"
	stat, ok, err := mapMember(m, "MetricStat", spath)
	if err != nil {
		return q, false, err
	} else if !ok {
		return q, false, missingParameter(spath)
	}
	mpath := spath + ".Metric"
	metric, ok, err := mapMember(stat, "Metric", mpath)
	if err != nil {
		return q, false, err
	} else if !ok {
		return q, false, missingParameter(mpath)
	}
	q.metric.namespace, _, err = stringMember(metric, "Namespace", mpath+".Namespace")
	if err != nil {
		return q, false, err
	}
	q.metric.name, ok, err = stringMember(metric, "MetricName", mpath+".MetricName")
	if err != nil {
		return q, false, err
	} else if !ok {
		return q, false, missingParameter(mpath + ".MetricName")
	}
	if q.metric.dims, err = parseDimensions(metric, mpath); err != nil {
		return q, false, err
	}

	period, ok, err := intMember(stat, "Period", spath+".Period")
	if err != nil {
		return q, false, err
	} else if !ok {
		return q, false, missingParameter(spath + ".Period")
	}
	if period < 1 {
		return q, false, invalidValue("The parameter %s.Period must be at least 1.", spath)
	}
	q.period = time.Duration(period) * time.Second
	if q.stat, ok, err = stringMember(stat, "Stat", spath+".Stat"); err != nil {
		return q, false, err
	} else if !ok {
		return q, false, missingParameter(spath + ".Stat")
	}
	switch q.stat {
	case "SampleCount", "Average", "Sum", "Minimum", "Maximum":
	default:
		return q, false, invalidValue("The value %s for parameter %s.Stat is not supported by "+
			"the local CloudWatch stand-in.", q.stat, spath)
	}
	if q.unit, _, err = stringMember(stat, "Unit", spath+".Unit"); err != nil {
		return q, false, err
	}
	if q.label, ok, err = stringMember(m, "Label", path+".Label"); err != nil {
		return q, false, err
	} else if !ok {
		q.label = q.metric.name
	}
	return q, returned, nil
}

type aggregate struct {
	count, sum, min, max float64
}

// run aggregates the points of q's metric in [start, end) into periods aligned
// to the epoch, as CloudWatch does.
func (q statQuery) run(points []Point, start, end time.Time, ascending bool) cbor.Map {
	key := metricKey(q.metric.namespace, q.metric.name, q.metric.dims)
	buckets := map[int64]*aggregate{}
	for _, p := range points {
		if metricKey(p.Namespace, p.MetricName, p.Dimensions) != key ||
			q.unit != "" && p.Unit != q.unit ||
			p.Timestamp.Before(start) || !p.Timestamp.Before(end) {
			continue
		}
		secs, period := p.Timestamp.Unix(), int64(q.period/time.Second)
		at := secs - ((secs%period)+period)%period
		a, ok := buckets[at]
		if !ok {
			a = &aggregate{min: math.Inf(1), max: math.Inf(-1)}
			buckets[at] = a
		}
		a.count += p.SampleCount
		a.sum += p.Sum
		a.min = math.Min(a.min, p.Minimum)
		a.max = math.Max(a.max, p.Maximum)
	}

	times := make([]int64, 0, len(buckets))
	for t := range buckets {
		times = append(times, t)
	}
	sort.Slice(times, func(i, j int) bool { return (times[i] < times[j]) == ascending })
	stamps, values := cbor.List{}, cbor.List{}
	for _, t := range times {
		a := buckets[t]
		v := a.sum
		switch q.stat {
		case "SampleCount":
			v = a.count
		case "Average":
			v = a.sum / a.count
		case "Minimum":
			v = a.min
		case "Maximum":
			v = a.max
		}
		stamps = append(stamps, epoch(time.Unix(t, 0)))
		values = append(values, cbor.Float64(v))
	}
	return cbor.Map{
		"Id":         cbor.String(q.id),
		"Label":      cbor.String(q.label),
		"Timestamps": stamps,
		"Values":     values,
		"StatusCode": cbor.String("Complete"),
		"Messages":   cbor.List{},
	}
}
