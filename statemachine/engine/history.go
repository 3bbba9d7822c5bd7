package engine

import (
	"encoding/json"
	"strconv"
	"time"
)

// EventType is the type of a history event, spelled as GetExecutionHistory
// spells it.
type EventType string

// The event types the engine records.
const (
	ExecutionStarted   EventType = "ExecutionStarted"
	ExecutionSucceeded EventType = "ExecutionSucceeded"
	ExecutionFailed    EventType = "ExecutionFailed"
	ExecutionTimedOut  EventType = "ExecutionTimedOut"
	ExecutionAborted   EventType = "ExecutionAborted"
	ExecutionRedriven  EventType = "ExecutionRedriven"

	TaskStateEntered    EventType = "TaskStateEntered"
	TaskStateExited     EventType = "TaskStateExited"
	PassStateEntered    EventType = "PassStateEntered"
	PassStateExited     EventType = "PassStateExited"
	ChoiceStateEntered  EventType = "ChoiceStateEntered"
	ChoiceStateExited   EventType = "ChoiceStateExited"
	WaitStateEntered    EventType = "WaitStateEntered"
	WaitStateExited     EventType = "WaitStateExited"
	SucceedStateEntered EventType = "SucceedStateEntered"
	SucceedStateExited  EventType = "SucceedStateExited"
	FailStateEntered    EventType = "FailStateEntered"

	TaskScheduled EventType = "TaskScheduled"
	TaskStarted   EventType = "TaskStarted"
	TaskSucceeded EventType = "TaskSucceeded"
	TaskFailed    EventType = "TaskFailed"
	TaskTimedOut  EventType = "TaskTimedOut"

	LambdaFunctionScheduled EventType = "LambdaFunctionScheduled"
	LambdaFunctionStarted   EventType = "LambdaFunctionStarted"
	LambdaFunctionSucceeded EventType = "LambdaFunctionSucceeded"
	LambdaFunctionFailed    EventType = "LambdaFunctionFailed"
	LambdaFunctionTimedOut  EventType = "LambdaFunctionTimedOut"
)

// Event is one history event. Its JSON is that of the HistoryEvent shape of
// the Step Functions API (AWS JSON 1.0): timestamp in epoch seconds, inputs
// and outputs as strings holding JSON, one details object set per type.
type Event struct {
	ID              int64     `json:"id"`
	PreviousEventID int64     `json:"previousEventId"`
	Timestamp       time.Time `json:"-"`
	Type            EventType `json:"type"`

	ExecutionStarted   *ExecutionStartedDetails `json:"executionStartedEventDetails,omitempty"`
	ExecutionSucceeded *OutputDetails           `json:"executionSucceededEventDetails,omitempty"`
	ExecutionFailed    *FailureDetails          `json:"executionFailedEventDetails,omitempty"`
	ExecutionTimedOut  *FailureDetails          `json:"executionTimedOutEventDetails,omitempty"`
	ExecutionAborted   *FailureDetails          `json:"executionAbortedEventDetails,omitempty"`
	ExecutionRedriven  *RedrivenDetails         `json:"executionRedrivenEventDetails,omitempty"`

	StateEntered *StateEnteredDetails `json:"stateEnteredEventDetails,omitempty"`
	StateExited  *StateExitedDetails  `json:"stateExitedEventDetails,omitempty"`

	TaskScheduled *TaskScheduledDetails `json:"taskScheduledEventDetails,omitempty"`
	TaskStarted   *TaskResourceDetails  `json:"taskStartedEventDetails,omitempty"`
	TaskSucceeded *TaskSucceededDetails `json:"taskSucceededEventDetails,omitempty"`
	TaskFailed    *TaskFailureDetails   `json:"taskFailedEventDetails,omitempty"`
	TaskTimedOut  *TaskFailureDetails   `json:"taskTimedOutEventDetails,omitempty"`

	LambdaScheduled *LambdaScheduledDetails `json:"lambdaFunctionScheduledEventDetails,omitempty"`
	LambdaSucceeded *OutputDetails          `json:"lambdaFunctionSucceededEventDetails,omitempty"`
	LambdaFailed    *FailureDetails         `json:"lambdaFunctionFailedEventDetails,omitempty"`
	LambdaTimedOut  *FailureDetails         `json:"lambdaFunctionTimedOutEventDetails,omitempty"`
}

// eventJSON gives Event its wire timestamp while reusing its other tags.
type eventJSON struct {
	eventAlias
	Timestamp json.Number `json:"timestamp"`
}

type eventAlias Event

// MarshalJSON renders the event as GetExecutionHistory does.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(eventJSON{eventAlias(e), epochSeconds(e.Timestamp)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Event) UnmarshalJSON(data []byte) error {
	var w eventJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*e = Event(w.eventAlias)
	f, err := w.Timestamp.Float64()
	if err != nil {
		return err
	}
	e.Timestamp = time.UnixMilli(int64(f*1000 + 0.5)).UTC()
	return nil
}

// epochSeconds renders t as seconds since the epoch with milliseconds, the
// AWS JSON 1.0 timestamp format.
func epochSeconds(t time.Time) json.Number {
	return json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
}

// DataDetails tells whether an input or output was truncated; the engine
// never truncates.
type DataDetails struct {
	Truncated bool `json:"truncated"`
}

// ExecutionStartedDetails is executionStartedEventDetails.
type ExecutionStartedDetails struct {
	Input        string       `json:"input"`
	InputDetails *DataDetails `json:"inputDetails,omitempty"`
	RoleArn      string       `json:"roleArn,omitempty"`
}

// OutputDetails carries the output of an execution or of a Lambda function.
type OutputDetails struct {
	Output        string       `json:"output"`
	OutputDetails *DataDetails `json:"outputDetails,omitempty"`
}

// FailureDetails carries an error name and cause.
type FailureDetails struct {
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// RedrivenDetails is executionRedrivenEventDetails.
type RedrivenDetails struct {
	RedriveCount int `json:"redriveCount"`
}

// StateEnteredDetails is stateEnteredEventDetails.
type StateEnteredDetails struct {
	Name         string       `json:"name"`
	Input        string       `json:"input"`
	InputDetails *DataDetails `json:"inputDetails,omitempty"`
}

// StateExitedDetails is stateExitedEventDetails.
type StateExitedDetails struct {
	Name          string       `json:"name"`
	Output        string       `json:"output"`
	OutputDetails *DataDetails `json:"outputDetails,omitempty"`
}

// TaskScheduledDetails is taskScheduledEventDetails.
type TaskScheduledDetails struct {
	Resource           string `json:"resource"`
	ResourceType       string `json:"resourceType"`
	Region             string `json:"region"`
	Parameters         string `json:"parameters"`
	TimeoutInSeconds   *int64 `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds *int64 `json:"heartbeatInSeconds,omitempty"`
}

// TaskResourceDetails is taskStartedEventDetails.
type TaskResourceDetails struct {
	Resource     string `json:"resource"`
	ResourceType string `json:"resourceType"`
}

// TaskSucceededDetails is taskSucceededEventDetails.
type TaskSucceededDetails struct {
	Resource      string       `json:"resource"`
	ResourceType  string       `json:"resourceType"`
	Output        string       `json:"output"`
	OutputDetails *DataDetails `json:"outputDetails,omitempty"`
}

// TaskFailureDetails is taskFailedEventDetails and taskTimedOutEventDetails.
type TaskFailureDetails struct {
	Resource     string `json:"resource"`
	ResourceType string `json:"resourceType"`
	Error        string `json:"error,omitempty"`
	Cause        string `json:"cause,omitempty"`
}

// LambdaScheduledDetails is lambdaFunctionScheduledEventDetails.
type LambdaScheduledDetails struct {
	Resource         string       `json:"resource"`
	Input            string       `json:"input"`
	InputDetails     *DataDetails `json:"inputDetails,omitempty"`
	TimeoutInSeconds *int64       `json:"timeoutInSeconds,omitempty"`
}

// StateName returns the state an entered or exited event is about, or "".
func (e Event) StateName() string {
	switch {
	case e.StateEntered != nil:
		return e.StateEntered.Name
	case e.StateExited != nil:
		return e.StateExited.Name
	}
	return ""
}
