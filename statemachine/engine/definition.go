package engine

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// definition is a parsed, validated state machine.
type definition struct {
	startAt string
	states  map[string]*state
	timeout int64 // seconds; 0: none
}

// state is one parsed state; which fields are set depends on typ.
type state struct {
	name string
	typ  string
	next string
	end  bool

	inputPath, outputPath *path // nil: null
	parameters            template
	resultSelector        template
	resultPath            resultPath
	result                any
	hasResult             bool

	resource  string
	lambda    bool // Resource is a Lambda function ARN
	handler   Handler
	timeout   int64 // seconds; 0: none
	heartbeat int64
	retry     []retrier
	catch     []catcher

	choices     []*rule
	defaultNext string

	seconds       int64
	secondsPath   *path
	timestamp     time.Time
	timestampPath *path
	waitKind      string

	errorName, cause     string
	errorExpr, causeExpr *expr
}

// Fields each state type accepts besides Type and Comment. Anything else,
// JSONata fields and variables included, is a load error.
var stateFields = map[string][]string{
	"Task": {"InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath",
		"Retry", "Catch", "Resource", "TimeoutSeconds", "HeartbeatSeconds", "Next", "End"},
	"Pass":   {"InputPath", "OutputPath", "Parameters", "Result", "ResultPath", "Next", "End"},
	"Choice": {"InputPath", "OutputPath", "Choices", "Default"},
	"Wait": {"InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp",
		"TimestampPath", "Next", "End"},
	"Succeed": {"InputPath", "OutputPath"},
	"Fail":    {"Error", "ErrorPath", "Cause", "CausePath"},
}

func parseDefinition(data []byte, handlers map[string]Handler) (*definition, error) {
	top, err := readFields("", "", data, "Comment", "StartAt", "States", "TimeoutSeconds",
		"Version", "QueryLanguage")
	if err != nil {
		return nil, err
	}
	d := &definition{states: map[string]*state{}}
	if err := d.parseTop(top); err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(top.m["States"], &raw); err != nil || len(raw) == 0 {
		return nil, top.errorf("States", "must be a non-empty object")
	}
	for _, name := range sortedKeys(raw) {
		s, err := parseState(name, raw[name], handlers)
		if err != nil {
			return nil, err
		}
		d.states[name] = s
	}
	return d, d.checkTransitions()
}

func (d *definition) parseTop(top *fields) error {
	var err error
	if d.startAt, err = top.requiredStr("StartAt"); err != nil {
		return err
	}
	if v, err := top.str("Version"); err != nil || (v != "" && v != "1.0") {
		return top.errorf("Version", "must be \"1.0\"")
	}
	if q, err := top.str("QueryLanguage"); err != nil || (q != "" && q != "JSONPath") {
		return top.errorf("QueryLanguage", "only JSONPath is supported")
	}
	if top.has("TimeoutSeconds") {
		d.timeout, err = top.integer("TimeoutSeconds", 1)
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkTransitions makes sure every state a definition names exists.
func (d *definition) checkTransitions() error {
	if d.states[d.startAt] == nil {
		return &LoadError{Field: "StartAt", Msg: fmt.Sprintf("no state named %q", d.startAt)}
	}
	for _, name := range sortedKeys(d.states) {
		s := d.states[name]
		check := func(field, target string) error {
			if target != "" && d.states[target] == nil {
				return &LoadError{State: name, Field: field,
					Msg: fmt.Sprintf("no state named %q", target)}
			}
			return nil
		}
		if err := check("Next", s.next); err != nil {
			return err
		}
		if err := check("Default", s.defaultNext); err != nil {
			return err
		}
		for i, c := range s.catch {
			if err := check(fmt.Sprintf("Catch[%d].Next", i), c.next); err != nil {
				return err
			}
		}
		for i, r := range s.choices {
			if err := check(fmt.Sprintf("Choices[%d].Next", i), r.next); err != nil {
				return err
			}
		}
	}
	return nil
}

func parseState(name string, raw json.RawMessage, handlers map[string]Handler) (*state, error) {
	var head struct{ Type string }
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, &LoadError{State: name, Msg: "must be a JSON object with a string Type"}
	}
	allowed, ok := stateFields[head.Type]
	if !ok {
		msg := fmt.Sprintf("unknown state type %q", head.Type)
		if head.Type == "" {
			msg = "is required"
		}
		if head.Type == "Map" || head.Type == "Parallel" {
			msg = fmt.Sprintf("state type %s is not supported", head.Type)
		}
		return nil, &LoadError{State: name, Field: "Type", Msg: msg}
	}
	f, err := readFields(name, "", raw, append([]string{"Type", "Comment"}, allowed...)...)
	if err != nil {
		return nil, err
	}
	s := &state{name: name, typ: head.Type}
	if err := s.parseIO(f); err != nil {
		return nil, err
	}
	switch s.typ {
	case "Task":
		err = s.parseTask(f, handlers)
	case "Pass":
		err = s.parsePass(f)
	case "Choice":
		err = s.parseChoice(f)
	case "Wait":
		err = s.parseWait(f)
	case "Fail":
		err = s.parseFail(f)
	}
	return s, err
}

func (s *state) parseIO(f *fields) error {
	var err error
	if s.inputPath, err = f.optionalPath("InputPath"); err != nil {
		return err
	}
	if s.outputPath, err = f.optionalPath("OutputPath"); err != nil {
		return err
	}
	if s.parameters, err = f.template("Parameters"); err != nil {
		return err
	}
	if s.resultSelector, err = f.template("ResultSelector"); err != nil {
		return err
	}
	s.resultPath, err = f.resultPath("ResultPath")
	return err
}

// parseTransition reads Next and End, of which a state needs exactly one.
func (s *state) parseTransition(f *fields) error {
	var err error
	if s.next, err = f.str("Next"); err != nil {
		return err
	}
	if f.has("End") {
		if err := json.Unmarshal(f.m["End"], &s.end); err != nil || !s.end {
			return f.errorf("End", "must be true")
		}
	}
	switch {
	case s.end && f.has("Next"):
		return f.errorf("Next", "may not be given together with End")
	case !s.end && s.next == "":
		return &LoadError{State: s.name, Msg: "needs a Next or \"End\": true"}
	}
	return nil
}

func (s *state) parseTask(f *fields, handlers map[string]Handler) error {
	var err error
	if s.resource, err = f.requiredStr("Resource"); err != nil {
		return err
	}
	if s.handler = handlers[s.resource]; s.handler == nil {
		return f.errorf("Resource", "no handler for resource %q", s.resource)
	}
	s.lambda = lambdaFunctionARN.MatchString(s.resource)
	if f.has("TimeoutSeconds") {
		if s.timeout, err = f.integer("TimeoutSeconds", 1); err != nil {
			return err
		}
	}
	if err := s.parseHeartbeat(f); err != nil {
		return err
	}
	if raw, ok := f.m["Retry"]; ok {
		if s.retry, err = parseRetry(s.name, raw); err != nil {
			return err
		}
	}
	if raw, ok := f.m["Catch"]; ok {
		if s.catch, err = parseCatch(s.name, raw); err != nil {
			return err
		}
	}
	return s.parseTransition(f)
}

// parseHeartbeat validates HeartbeatSeconds as AWS does; the engine has no
// task tokens, so a handler cannot heartbeat and the value has no effect.
func (s *state) parseHeartbeat(f *fields) error {
	if !f.has("HeartbeatSeconds") {
		return nil
	}
	var err error
	if s.heartbeat, err = f.integer("HeartbeatSeconds", 1); err != nil {
		return err
	}
	if s.timeout > 0 && s.heartbeat >= s.timeout {
		return f.errorf("HeartbeatSeconds", "must be smaller than TimeoutSeconds")
	}
	return nil
}

func (s *state) parsePass(f *fields) error {
	if raw, ok := f.m["Result"]; ok {
		v, err := decodeValue(raw)
		if err != nil {
			return f.errorf("Result", "%v", err)
		}
		s.result, s.hasResult = v, true
	}
	return s.parseTransition(f)
}

func (s *state) parseChoice(f *fields) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(f.m["Choices"], &raw); err != nil || len(raw) == 0 {
		return f.errorf("Choices", "must be a non-empty array of rules")
	}
	for i, r := range raw {
		rule, err := parseRule(r, true)
		if err != nil {
			return f.errorf(fmt.Sprintf("Choices[%d]", i), "%v", err)
		}
		s.choices = append(s.choices, rule)
	}
	var err error
	s.defaultNext, err = f.str("Default")
	return err
}

func (s *state) parseWait(f *fields) error {
	var given []string
	for _, k := range []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} {
		if f.has(k) {
			given = append(given, k)
		}
	}
	if len(given) != 1 {
		return &LoadError{State: s.name, Msg: "needs exactly one of Seconds, SecondsPath, " +
			"Timestamp and TimestampPath"}
	}
	s.waitKind = given[0]
	if err := s.parseWaitField(f); err != nil {
		return err
	}
	return s.parseTransition(f)
}

func (s *state) parseWaitField(f *fields) error {
	var err error
	switch s.waitKind {
	case "Seconds":
		s.seconds, err = f.integer("Seconds", 0)
	case "Timestamp":
		var ts string
		if ts, err = f.str("Timestamp"); err == nil {
			if s.timestamp, err = parseTimestamp(ts); err != nil {
				err = f.errorf("Timestamp", "must be an RFC 3339 timestamp")
			}
		}
	default:
		var p string
		if p, err = f.str(s.waitKind); err == nil {
			if s.secondsPath, err = parsePath(p, true); err != nil {
				err = f.errorf(s.waitKind, "%v", err)
			}
		}
		if s.waitKind == "TimestampPath" {
			s.timestampPath, s.secondsPath = s.secondsPath, nil
		}
	}
	return err
}

func (s *state) parseFail(f *fields) error {
	var err error
	if f.has("Error") && f.has("ErrorPath") {
		return f.errorf("ErrorPath", "may not be given together with Error")
	}
	if f.has("Cause") && f.has("CausePath") {
		return f.errorf("CausePath", "may not be given together with Cause")
	}
	if s.errorName, err = f.str("Error"); err != nil {
		return err
	}
	if s.cause, err = f.str("Cause"); err != nil {
		return err
	}
	if s.errorExpr, err = f.expr("ErrorPath"); err != nil {
		return err
	}
	s.causeExpr, err = f.expr("CausePath")
	return err
}
