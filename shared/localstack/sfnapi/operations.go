package sfnapi

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/imagepipe/imagepipe/statemachine/engine"
)

// Shapes of the Step Functions API, with its JSON member names. Timestamps
// are *json.Number in epoch seconds; nil leaves a member out.

type stateMachineListItem struct {
	StateMachineArn string       `json:"stateMachineArn"`
	Name            string       `json:"name"`
	Type            string       `json:"type"`
	CreationDate    *json.Number `json:"creationDate"`
}

func (s *Server) listStateMachines(_ context.Context, body []byte) (any, error) {
	var in struct {
		MaxResults int    `json:"maxResults"`
		NextToken  string `json:"nextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	size, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	tok, _, err := decodeToken(in.NextToken, "ListStateMachines")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	arns := slices.Clone(s.order)
	s.mu.Unlock()
	slices.Sort(arns)

	out := struct {
		StateMachines []stateMachineListItem `json:"stateMachines"`
		NextToken     *string                `json:"nextToken,omitempty"`
	}{StateMachines: []stateMachineListItem{}}
	for _, arn := range arns {
		if arn <= tok.Key {
			continue
		}
		if len(out.StateMachines) == size {
			last := out.StateMachines[size-1].StateMachineArn
			out.NextToken = pageToken{Query: "ListStateMachines", Key: last}.encode()
			break
		}
		sm := s.machines[arn]
		out.StateMachines = append(out.StateMachines, stateMachineListItem{
			StateMachineArn: arn, Name: sm.name, Type: "STANDARD", CreationDate: epoch(sm.created)})
	}
	return out, nil
}

// roleArn is the role the engine records for a machine that was loaded
// without engine.WithRoleArn.
func roleArn(machineArn, name string) string {
	account := strings.Split(machineArn, ":")[4]
	return "arn:aws:iam::" + account + ":role/" + name
}

func (s *Server) describeStateMachine(_ context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	sm, err := s.machine(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	rev := sm.current()
	s.mu.Unlock()
	return struct {
		StateMachineArn string       `json:"stateMachineArn"`
		Name            string       `json:"name"`
		Status          string       `json:"status"`
		Definition      string       `json:"definition"`
		RoleArn         string       `json:"roleArn"`
		Type            string       `json:"type"`
		CreationDate    *json.Number `json:"creationDate"`
		RevisionID      string       `json:"revisionId"`
	}{sm.arn, sm.name, "ACTIVE", rev.definition, roleArn(sm.arn, sm.name), "STANDARD",
		epoch(sm.created), rev.id}, nil
}

func (s *Server) describeStateMachineForExecution(_ context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	sm, d, err := s.execution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	rev := sm.revisionAt(d.StartDate)
	s.mu.Unlock()
	return struct {
			StateMachineArn string       `json:"stateMachineArn"`
			Name            string       `json:"name"`
			Definition      string       `json:"definition"`
			RoleArn         string       `json:"roleArn"`
			UpdateDate      *json.Number `json:"updateDate"`
			RevisionID      string       `json:"revisionId"`
		}{sm.arn, sm.name, rev.definition, roleArn(sm.arn, sm.name), epoch(rev.since), rev.id},
		nil
}

type executionListItem struct {
	ExecutionArn    string       `json:"executionArn"`
	StateMachineArn string       `json:"stateMachineArn"`
	Name            string       `json:"name"`
	Status          string       `json:"status"`
	StartDate       *json.Number `json:"startDate"`
	StopDate        *json.Number `json:"stopDate,omitempty"`
	RedriveCount    int          `json:"redriveCount"`
	RedriveDate     *json.Number `json:"redriveDate,omitempty"`
}

var statuses = []engine.Status{engine.StatusRunning, engine.StatusSucceeded,
	engine.StatusFailed, engine.StatusTimedOut, engine.StatusAborted}

func (s *Server) listExecutions(_ context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		MapRunArn       string `json:"mapRunArn"`
		StatusFilter    string `json:"statusFilter"`
		RedriveFilter   string `json:"redriveFilter"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.MapRunArn != "" {
		return nil, validation("Map Runs are not supported by the local Step Functions")
	}
	if in.StateMachineArn == "" {
		return nil, validation("Must provide a StateMachine ARN or MapRun ARN")
	}
	filter := engine.ListFilter{Status: engine.Status(in.StatusFilter),
		Redrive: engine.RedriveFilter(in.RedriveFilter)}
	if in.StatusFilter != "" && !slices.Contains(statuses, filter.Status) {
		return nil, validation("1 validation error detected: Value '%s' at 'statusFilter' "+
			"failed to satisfy constraint: Member must satisfy enum value set: %v",
			in.StatusFilter, statuses)
	}
	switch filter.Redrive {
	case "", engine.Redriven, engine.NotRedriven:
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'redriveFilter' "+
			"failed to satisfy constraint: Member must satisfy enum value set: "+
			"[REDRIVEN, NOT_REDRIVEN]", in.RedriveFilter)
	}
	size, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	query := "ListExecutions " + in.StateMachineArn + " " + in.StatusFilter + " " +
		in.RedriveFilter
	tok, paged, err := decodeToken(in.NextToken, query)
	if err != nil {
		return nil, err
	}
	sm, err := s.machine(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	all, err := sm.machine.List(filter)
	if err != nil {
		return nil, err
	}

	// List orders by start date, newest first, then by ARN descending; a
	// page starts after the last execution of the previous one, so that
	// executions started meanwhile do not shift the pages.
	out := struct {
		Executions []executionListItem `json:"executions"`
		NextToken  *string             `json:"nextToken,omitempty"`
	}{Executions: []executionListItem{}}
	var last engine.Description
	for _, d := range all {
		if paged && !listedAfter(d, tok) {
			continue
		}
		if len(out.Executions) == size {
			out.NextToken = pageToken{Query: query, Start: last.StartDate.UnixNano(),
				Key: last.ExecutionArn}.encode()
			break
		}
		last = d
		out.Executions = append(out.Executions, executionListItem{
			ExecutionArn: d.ExecutionArn, StateMachineArn: d.StateMachineArn, Name: d.Name,
			Status: string(d.Status), StartDate: epoch(d.StartDate), StopDate: epoch(d.StopDate),
			RedriveCount: d.RedriveCount, RedriveDate: epoch(d.RedriveDate)})
	}
	return out, nil
}

// listedAfter reports whether d comes after the execution tok names in the
// order of List.
func listedAfter(d engine.Description, tok pageToken) bool {
	start := d.StartDate.UnixNano()
	return start < tok.Start || start == tok.Start && d.ExecutionArn < tok.Key
}

type dataDetails struct {
	Included bool `json:"included"`
}

func (s *Server) describeExecution(_ context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	_, d, err := s.execution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := struct {
		ExecutionArn        string       `json:"executionArn"`
		StateMachineArn     string       `json:"stateMachineArn"`
		Name                string       `json:"name"`
		Status              string       `json:"status"`
		StartDate           *json.Number `json:"startDate"`
		StopDate            *json.Number `json:"stopDate,omitempty"`
		Input               string       `json:"input"`
		InputDetails        dataDetails  `json:"inputDetails"`
		Output              *string      `json:"output,omitempty"`
		OutputDetails       *dataDetails `json:"outputDetails,omitempty"`
		Error               string       `json:"error,omitempty"`
		Cause               string       `json:"cause,omitempty"`
		RedriveCount        int          `json:"redriveCount"`
		RedriveDate         *json.Number `json:"redriveDate,omitempty"`
		RedriveStatus       string       `json:"redriveStatus"`
		RedriveStatusReason string       `json:"redriveStatusReason,omitempty"`
	}{
		ExecutionArn: d.ExecutionArn, StateMachineArn: d.StateMachineArn, Name: d.Name,
		Status: string(d.Status), StartDate: epoch(d.StartDate), StopDate: epoch(d.StopDate),
		Input: string(d.Input), InputDetails: dataDetails{Included: true},
		Error: d.Error, Cause: d.Cause, RedriveCount: d.RedriveCount,
		RedriveDate: epoch(d.RedriveDate), RedriveStatus: string(d.RedriveStatus),
		RedriveStatusReason: d.RedriveStatusReason,
	}
	if d.Status == engine.StatusSucceeded {
		output := string(d.Output)
		out.Output, out.OutputDetails = &output, &dataDetails{Included: true}
	}
	return out, nil
}

func (s *Server) getExecutionHistory(_ context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn         string `json:"executionArn"`
		MaxResults           int    `json:"maxResults"`
		NextToken            string `json:"nextToken"`
		ReverseOrder         bool   `json:"reverseOrder"`
		IncludeExecutionData *bool  `json:"includeExecutionData"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	size, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	query := "GetExecutionHistory " + in.ExecutionArn
	if in.ReverseOrder {
		query += " reverse"
	}
	tok, paged, err := decodeToken(in.NextToken, query)
	if err != nil {
		return nil, err
	}
	sm, _, err := s.execution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	events, err := sm.machine.History(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if in.ReverseOrder {
		events = slices.Clone(events)
		slices.Reverse(events)
	}
	withData := in.IncludeExecutionData == nil || *in.IncludeExecutionData

	out := struct {
		Events    []json.RawMessage `json:"events"`
		NextToken *string           `json:"nextToken,omitempty"`
	}{Events: []json.RawMessage{}}
	var lastID int64
	for _, ev := range events {
		if paged && (!in.ReverseOrder && ev.ID <= tok.Event ||
			in.ReverseOrder && ev.ID >= tok.Event) {
			continue
		}
		if len(out.Events) == size {
			out.NextToken = pageToken{Query: query, Event: lastID}.encode()
			break
		}
		raw, err := eventJSON(ev, withData)
		if err != nil {
			return nil, err
		}
		out.Events = append(out.Events, raw)
		lastID = ev.ID
	}
	return out, nil
}

// executionData are the members of event details that includeExecutionData
// false leaves out.
var executionData = []string{"input", "inputDetails", "output", "outputDetails"}

// eventJSON renders a history event, without its inputs and outputs unless
// withData.
func eventJSON(ev engine.Event, withData bool) (json.RawMessage, error) {
	raw, err := json.Marshal(ev)
	if err != nil || withData {
		return raw, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	for name, value := range fields {
		if !strings.HasSuffix(name, "EventDetails") {
			continue
		}
		var details map[string]json.RawMessage
		if json.Unmarshal(value, &details) != nil {
			continue
		}
		for _, key := range executionData {
			delete(details, key)
		}
		if fields[name], err = json.Marshal(details); err != nil {
			return nil, err
		}
	}
	return json.Marshal(fields)
}

func (s *Server) startExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineArn string  `json:"stateMachineArn"`
		Name            string  `json:"name"`
		Input           *string `json:"input"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	sm, err := s.machine(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	var input json.RawMessage
	if in.Input != nil {
		input = json.RawMessage(*in.Input)
	}
	// The execution outlives the request; the request's values (none that
	// the handlers use) need not reach it.
	arn, err := sm.machine.Start(context.WithoutCancel(ctx), in.Name, input)
	if err != nil {
		return nil, err
	}
	d, err := sm.machine.Describe(arn)
	if err != nil {
		return nil, err
	}
	return struct {
		ExecutionArn string       `json:"executionArn"`
		StartDate    *json.Number `json:"startDate"`
	}{arn, epoch(d.StartDate)}, nil
}

func (s *Server) stopExecution(_ context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		Error        string `json:"error"`
		Cause        string `json:"cause"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Error) > 256 || len(in.Cause) > 32768 {
		return nil, validation("error is at most 256 characters, cause at most 32768")
	}
	sm, _, err := s.execution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if err := sm.machine.Stop(in.ExecutionArn, in.Error, in.Cause); err != nil {
		return nil, err
	}
	d, err := sm.machine.Describe(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	return struct {
		StopDate *json.Number `json:"stopDate"`
	}{epoch(d.StopDate)}, nil
}

func (s *Server) redriveExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		ClientToken  string `json:"clientToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.ClientToken) > 64 {
		return nil, validation("clientToken is at most 64 characters")
	}
	key := in.ExecutionArn + " " + in.ClientToken
	s.mu.Lock()
	done, seen := s.redrives[key]
	s.mu.Unlock()
	if seen && in.ClientToken != "" {
		return redriveOutput(done), nil
	}

	sm, d, err := s.execution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if d.RedriveStatus == engine.NotRedrivable {
		return nil, badRequest("ExecutionNotRedrivable", "%s: '%s'", d.RedriveStatusReason,
			in.ExecutionArn)
	}
	if err := sm.machine.Redrive(context.WithoutCancel(ctx), in.ExecutionArn); err != nil {
		return nil, err
	}
	d, err = sm.machine.Describe(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if in.ClientToken != "" {
		s.mu.Lock()
		s.redrives[key] = d.RedriveDate
		s.mu.Unlock()
	}
	return redriveOutput(d.RedriveDate), nil
}

func redriveOutput(date time.Time) any {
	return struct {
		RedriveDate *json.Number `json:"redriveDate"`
	}{epoch(date)}
}
