// Package localstack is the local AWS that the pipeline's tests and the local
// stack run against: real wire-protocol emulators on 127.0.0.1, reached by the
// real aws-sdk-go-v2 clients through the SDK's standard endpoint variables,
// plus the three pieces no emulator provides.
//
//   - S3 is gofakes3 (path-style addressing), SQS and SNS are goaws, DynamoDB
//     is minidyn's server. [Start] creates the originals and processed
//     buckets, the table from metadata.CreateTableInput, the upload queue
//     with its dead-letter queue, the topic, and a queue subscribed to the
//     topic in SNS envelope form ([Stack.TopicMessages] reads it).
//   - S3 event notifications: object creations (PUT, presigned PUT, POST,
//     copy, completed multipart upload) and deletions under
//     user-uploads/ in the originals bucket send AWS-shaped S3 events to the
//     queue.
//   - The EventBridge Pipe: [Stack.StartPipe] polls the queue, applies the
//     deployed Pipe's filter (s3event.PipeFilterPattern, see [Pattern]) and
//     hands each match to a [Target] as Pipes does, a JSON array of one SQS
//     [Record].
//
// [Stack.Env] is the Lambdas' environment (AWS_ENDPOINT_URL_<SERVICE>,
// credentials, AWS_MAX_ATTEMPTS, bucket, table and topic names);
// [Stack.Setenv] sets it for a test. With [Options.InjectFaults] the Lambdas'
// endpoints are [faults.Proxy] instances that fail chosen operations with the
// services' own throttling and unavailability errors.
//
// goaws holds its state in package variables, so every Stack of a process
// shares one goaws: it starts with the first Stack and stops with the last,
// and each Stack's queues and topic carry names of their own. Stacks may
// therefore run one after another or at once. Starting goaws also sets the
// global logrus logger (goaws logs through it) to JSON at level Error.
//
// Known differences from AWS, all from the emulators: goaws reports
// ApproximateReceiveCount 1 on every receive (the Pipe counts receives itself
// and passes the right number on), counts in-flight messages in
// ApproximateNumberOfMessages, writes SNS message attributes in the envelope as
// {"DataType","StringValue"} instead of {"Type","Value"} ([TopicMessage]
// reads both), and keeps visibility timeouts in whole seconds, checked every
// 100 ms. minidyn's DescribeTable has no TableStatus. gofakes3 checks no
// signature. S3 events are sent before the upload's response is returned,
// where S3 sends them a moment later.
package localstack
