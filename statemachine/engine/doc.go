// Package engine runs Amazon States Language definitions in process, the
// way AWS Step Functions runs a STANDARD workflow, with Go functions as the
// Task resources. Tests and the local stack use it to run the very file that
// is deployed.
//
// [Load] parses and validates a definition against a map of Resource
// strings to [Handler] functions; a [Machine] then starts, waits for,
// describes, lists, stops and redrives executions and keeps their history
// in the shape of GetExecutionHistory.
//
// # Supported
//
//   - States: Task, Pass, Choice, Wait, Succeed, Fail.
//   - InputPath, Parameters, ResultSelector, ResultPath and OutputPath, with
//     null where AWS allows it; Pass's Result; Fail's Error, Cause,
//     ErrorPath and CausePath.
//   - Paths of the forms $, $.a.b, $['a'], $.a[0] and the context object
//     $$ (Execution.Id, Name, Input, StartTime, RoleArn, RedriveCount,
//     RedriveTime; State.Name, EnteredTime, RetryCount; StateMachine.Id,
//     Name). A path that selects nothing fails the execution with
//     States.Runtime.
//   - Intrinsic functions States.Format, StringToJson, JsonToString, Array,
//     ArrayGetItem, ArrayLength, UUID and MathAdd.
//   - Every Choice operator of the JSONPath language, And, Or, Not and
//     Default.
//   - Retry with all its fields and defaults, and Catch. States.ALL matches
//     every error but States.Runtime and States.DataLimitExceeded, which end
//     the execution; States.TaskFailed matches every error but
//     States.Timeout.
//   - Task TimeoutSeconds (States.Timeout) and the definition's
//     TimeoutSeconds (TIMED_OUT).
//   - The 256 KiB payload limit (States.DataLimitExceeded).
//
// # Not supported
//
// Map and Parallel states, JSONata and variables (QueryLanguage, Assign,
// Arguments, Output), JSONPath wildcards, filters, slices and deep scans,
// the other intrinsic functions, TimeoutSecondsPath, HeartbeatSecondsPath,
// Credentials, task tokens and activities. Each is a [LoadError] rather than
// something that runs differently from AWS. HeartbeatSeconds is validated
// and recorded but has no effect: a handler has no task token to heartbeat
// with.
//
// # Handlers and errors
//
// A handler's error reaches Retry and Catch under the name aws-lambda-go
// would report for it: the name of its Go type (so a wrapped fmt.Errorf is
// "wrapError"), with the cause {"errorMessage":...,"errorType":...}. A
// [*TaskError] in the chain names the error itself, which is how a test
// stands in for Lambda.ServiceException and its kin. A panic is
// Lambda.Unknown.
//
// # History
//
// Events carry the GetExecutionHistory field names and marshal to its JSON.
// As in AWS, a Task whose Resource is a Lambda function ARN records
// LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunctionSucceeded,
// LambdaFunctionFailed and LambdaFunctionTimedOut; any other resource
// records TaskScheduled, TaskStarted, TaskSucceeded, TaskFailed and
// TaskTimedOut. Each retry repeats that sequence within the state.
//
// # Time
//
// [WithTimeScale] shortens or removes waits (retry delays, Wait states) and
// [WithTimeoutScale] timeouts, so that tests need not sleep; [WithRandom]
// makes FULL jitter predictable.
package engine
