package cloudwatch

import (
	"fmt"
	"net/http"

	"github.com/aws/smithy-go/encoding/cbor"
)

// shapeNamespace is the Smithy namespace of CloudWatch's error shapes. The SDK
// strips it from __type and looks the rest up in its type registry.
const shapeNamespace = "com.amazonaws.cloudwatch#"

// apiError is an error answered to the client the way CloudWatch answers it.
type apiError struct {
	status int
	// shape is the Smithy error shape, such as InvalidParameterValueException:
	// it selects the SDK's error type.
	shape string
	// queryCode is the awsQuery error code CloudWatch keeps answering for
	// compatibility (X-Amzn-Query-Error), such as InvalidParameterValue: it is
	// what the SDK error's ErrorCode returns. Empty for errors without one.
	queryCode string
	message   string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("cloudwatch: %s: %s", e.shape, e.message)
}

func (e *apiError) write(w http.ResponseWriter) {
	if e.queryCode != "" {
		fault := "Sender"
		if e.status >= 500 {
			fault = "Receiver"
		}
		w.Header().Set("X-Amzn-Query-Error", e.queryCode+";"+fault)
	}
	writeCBOR(w, e.status, cbor.Map{
		"__type":  cbor.String(shapeNamespace + e.shape),
		"message": cbor.String(e.message),
	})
}

func invalidValue(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, shape: "InvalidParameterValueException",
		queryCode: "InvalidParameterValue", message: fmt.Sprintf(format, args...)}
}

func missingParameter(name string) *apiError {
	return &apiError{status: http.StatusBadRequest,
		shape: "MissingRequiredParameterException", queryCode: "MissingParameter",
		message: fmt.Sprintf("The parameter %s is required.", name)}
}

func invalidCombination(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest,
		shape: "InvalidParameterCombinationException", queryCode: "InvalidParameterCombination",
		message: fmt.Sprintf(format, args...)}
}

func invalidNextToken() *apiError {
	return &apiError{status: http.StatusBadRequest, shape: "InvalidNextToken",
		queryCode: "InvalidNextToken", message: "The service cannot parse the NextToken."}
}

// serializationError reports a body that is not the shape the operation takes.
// CloudWatch models no error for it; the SDK returns a generic API error.
func serializationError(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, shape: "SerializationException",
		message: fmt.Sprintf(format, args...)}
}
