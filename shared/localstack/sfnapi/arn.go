package sfnapi

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/imagepipe/imagepipe/statemachine/engine"
)

// machineARN returns the ARN of the state machine an execution ARN belongs
// to, or an InvalidArn error.
//
//	arn:aws:states:<region>:<account>:execution:<stateMachine>:<execution>
func machineARN(executionArn string) (string, error) {
	parts := strings.Split(executionArn, ":")
	if len(parts) != 8 || parts[0] != "arn" || parts[2] != "states" ||
		parts[5] != "execution" || parts[6] == "" || parts[7] == "" {
		return "", badRequest("InvalidArn", "Invalid Arn: '%s'", executionArn)
	}
	return strings.Join(append(parts[:5:5], "stateMachine", parts[6]), ":"), nil
}

// checkMachineARN refuses what is not a state machine ARN.
//
//	arn:aws:states:<region>:<account>:stateMachine:<name>
func checkMachineARN(arn string) error {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "states" ||
		parts[5] != "stateMachine" || parts[6] == "" {
		return badRequest("InvalidArn", "Invalid Arn: '%s'", arn)
	}
	return nil
}

// machine returns the state machine arn names.
func (s *Server) machine(arn string) (*stateMachine, error) {
	if err := checkMachineARN(arn); err != nil {
		return nil, err
	}
	s.mu.Lock()
	sm := s.machines[arn]
	s.mu.Unlock()
	if sm == nil {
		return nil, badRequest("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'",
			arn)
	}
	return sm, nil
}

// execution returns the machine of an execution and its description, with
// the redrive status that AWS would report at the server's time.
func (s *Server) execution(arn string) (*stateMachine, engine.Description, error) {
	smArn, err := machineARN(arn)
	if err != nil {
		return nil, engine.Description{}, err
	}
	s.mu.Lock()
	sm := s.machines[smArn]
	now := s.now()
	s.mu.Unlock()
	if sm == nil {
		return nil, engine.Description{}, badRequest("ExecutionDoesNotExist",
			"Execution Does Not Exist: '%s'", arn)
	}
	d, err := sm.machine.Describe(arn)
	if err != nil {
		return nil, engine.Description{}, err
	}
	return sm, withRedrivePeriod(d, now), nil
}

// reasonPeriodExceeded is the redriveStatusReason of an execution that
// stopped more than [RedrivePeriod] ago.
const reasonPeriodExceeded = "Execution redrivable period exceeded"

// withRedrivePeriod applies the 14 days after which AWS no longer redrives an
// execution, which the engine does not know about.
func withRedrivePeriod(d engine.Description, now time.Time) engine.Description {
	if d.RedriveStatus == engine.Redrivable && !d.StopDate.IsZero() &&
		now.Sub(d.StopDate) > RedrivePeriod {
		d.RedriveStatus = engine.NotRedrivable
		d.RedriveStatusReason = reasonPeriodExceeded
	}
	return d
}

// pageToken is what a nextToken carries: where the next page starts and
// the request it belongs to, so that a token used with other arguments is
// refused as AWS refuses it.
type pageToken struct {
	Query string `json:"q"`
	// Start and Key name the last item returned: the start date (Unix
	// nanoseconds) and ARN of an execution, or the ID of an event.
	Start int64  `json:"s,omitempty"`
	Key   string `json:"k,omitempty"`
	Event int64  `json:"e,omitempty"`
}

func (t pageToken) encode() *string {
	data, _ := json.Marshal(t)
	s := base64.RawURLEncoding.EncodeToString(data)
	return &s
}

// decodeToken reads a nextToken given for query; an empty token is the first
// page.
func decodeToken(token, query string) (pageToken, bool, error) {
	if token == "" {
		return pageToken{}, false, nil
	}
	var t pageToken
	data, err := base64.RawURLEncoding.DecodeString(token)
	if err == nil {
		err = json.Unmarshal(data, &t)
	}
	if err != nil || t.Query != query {
		return pageToken{}, false, badRequest("InvalidToken", "Invalid Token: '%s'", token)
	}
	return t, true, nil
}

// pageSize applies maxResults: 0 is the default of 100, at most 1000.
func pageSize(maxResults int) (int, error) {
	switch {
	case maxResults < 0 || maxResults > 1000:
		return 0, validation("1 validation error detected: Value '%d' at 'maxResults' "+
			"failed to satisfy constraint: Member must have value less than or equal "+
			"to 1000 and greater than or equal to 0", maxResults)
	case maxResults == 0:
		return 100, nil
	}
	return maxResults, nil
}

// epoch renders t in epoch seconds with milliseconds, nil when t is zero.
func epoch(t time.Time) *json.Number {
	if t.IsZero() {
		return nil
	}
	n := json.Number(formatEpoch(t))
	return &n
}

func formatEpoch(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}
