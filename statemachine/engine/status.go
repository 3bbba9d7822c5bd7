package engine

import (
	"encoding/json"
	"strings"
	"time"
)

// StatusChange is what EventBridge's "Step Functions Execution Status
// Change" event reports of an execution. Its JSON is that event's detail.
type StatusChange struct {
	Description
}

// detail is the JSON shape of the event's detail: dates in epoch
// milliseconds, input and output as strings holding JSON, null for what is
// not there.
type detail struct {
	ExecutionArn        string        `json:"executionArn"`
	StateMachineArn     string        `json:"stateMachineArn"`
	Name                string        `json:"name"`
	Status              Status        `json:"status"`
	StartDate           int64         `json:"startDate"`
	StopDate            *int64        `json:"stopDate"`
	Input               string        `json:"input"`
	Output              *string       `json:"output"`
	InputDetails        *included     `json:"inputDetails"`
	OutputDetails       *included     `json:"outputDetails"`
	Error               *string       `json:"error"`
	Cause               *string       `json:"cause"`
	RedriveCount        int           `json:"redriveCount"`
	RedriveDate         *int64        `json:"redriveDate"`
	RedriveStatus       RedriveStatus `json:"redriveStatus"`
	RedriveStatusReason string        `json:"redriveStatusReason,omitempty"`
}

type included struct {
	Included bool `json:"included"`
}

func optionalMillis(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// MarshalJSON renders the change as the event's detail.
func (c StatusChange) MarshalJSON() ([]byte, error) {
	d := detail{
		ExecutionArn:        c.ExecutionArn,
		StateMachineArn:     c.StateMachineArn,
		Name:                c.Name,
		Status:              c.Status,
		StartDate:           c.StartDate.UnixMilli(),
		StopDate:            optionalMillis(c.StopDate),
		Input:               string(c.Input),
		InputDetails:        &included{Included: true},
		Error:               optionalString(c.Error),
		Cause:               optionalString(c.Cause),
		RedriveCount:        c.RedriveCount,
		RedriveDate:         optionalMillis(c.RedriveDate),
		RedriveStatus:       c.RedriveStatus,
		RedriveStatusReason: c.RedriveStatusReason,
	}
	if c.Output != nil {
		d.Output = optionalString(string(c.Output))
		d.OutputDetails = &included{Included: true}
	}
	return json.Marshal(d)
}

// envelope is the EventBridge event around a detail.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// EventBridgeEvent renders the whole EventBridge event that AWS sends for
// the change, which aws-lambda-go decodes as events.CloudWatchEvent. The
// region and account come from the execution ARN; the event ID is random.
func (c StatusChange) EventBridgeEvent() ([]byte, error) {
	d, err := c.MarshalJSON()
	if err != nil {
		return nil, err
	}
	// arn:aws:states:<region>:<account>:execution:<machine>:<name>
	parts := strings.SplitN(c.ExecutionArn, ":", 6)
	for len(parts) < 5 {
		parts = append(parts, "")
	}
	at := c.StopDate
	if at.IsZero() {
		at = c.StartDate
	}
	return json.Marshal(envelope{
		Version:    "0",
		ID:         newUUID(),
		DetailType: "Step Functions Execution Status Change",
		Source:     "aws.states",
		Account:    parts[4],
		Time:       at.UTC().Format(time.RFC3339),
		Region:     parts[3],
		Resources:  []string{c.ExecutionArn},
		Detail:     d,
	})
}
