// Package metadata holds the DynamoDB item that records each image's outcome,
// and the conditional writes that keep it right under at-least-once delivery.
package metadata
