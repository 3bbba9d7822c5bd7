// Package pipeline runs the whole image pipeline on one machine: the local
// AWS of package localstack, the local pipe, the state machine definition of
// package statemachine on the local engine, and the real step handlers —
// configured from the same environment variables as the deployed Lambdas and
// reaching the emulators through the SDK's standard endpoint variables.
//
// It is what the end-to-end tests and the local stack command run.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/localstack"
	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/notification"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/statemachine"
	"github.com/imagepipe/imagepipe/statemachine/engine"
	"github.com/imagepipe/imagepipe/steps/fetch"
	"github.com/imagepipe/imagepipe/steps/notify"
	"github.com/imagepipe/imagepipe/steps/persist"
	"github.com/imagepipe/imagepipe/steps/recordfailure"
	"github.com/imagepipe/imagepipe/steps/resize"
)

// Options configure [Start].
type Options struct {
	// Stack configures the local AWS.
	Stack localstack.Options
	// Env adds to or overrides the Lambdas' environment, such as VARIANTS or
	// MAX_BYTES.
	Env map[string]string
	// TimeScale scales Retry waits; 0 skips them, 1 waits as AWS would.
	TimeScale float64
	// Pollers is how many messages the pipe handles at once; 0 means 4.
	Pollers int
	// Logger receives the JSON logs of the stack and the handlers.
	Logger *slog.Logger
	// Engine are more options for the engine, applied after the pipeline's
	// own: an [engine.WithStore] whose executions outlive the process, say.
	Engine []engine.Option
	// WrapTask, when set, wraps each step's handler where the engine calls
	// it; function is the Lambda's short name (fetch, resize, persist,
	// notify). The local stack measures the time spent in handlers with it.
	WrapTask func(function string, h engine.Handler) engine.Handler
}

// StateMachineName names the local state machine, as the Pulumi program
// names the deployed one.
const StateMachineName = "imagepipe"

// Pipeline is a running local pipeline.
type Pipeline struct {
	Stack   *localstack.Stack
	Machine *engine.Machine
	Pipe    *localstack.Pipe
	Store   *metadata.Store
	S3      *s3.Client
	// Env is the Lambdas' environment.
	Env map[string]string

	recorder  *recordfailure.Handler
	recording sync.WaitGroup
	log       *slog.Logger
}

// Start starts the local AWS, sets its endpoints and the Lambdas'
// configuration in the environment through env (a test's testing.T, or
// [ProcessEnv] for a command), builds the handlers exactly as their Lambdas'
// main functions do, loads the definition on the engine and starts the pipe.
func Start(ctx context.Context, env localstack.Setenver, opts Options) (*Pipeline, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if opts.Stack.Logger == nil {
		opts.Stack.Logger = log
	}
	stack, err := localstack.Start(ctx, opts.Stack)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{Stack: stack, log: log, Env: stack.Env()}
	maps.Copy(p.Env, opts.Env)
	for k, v := range p.Env {
		env.Setenv(k, v)
	}
	if err := p.start(ctx, opts); err != nil {
		stack.Close()
		return nil, err
	}
	return p, nil
}

func (p *Pipeline) start(ctx context.Context, opts Options) error {
	cfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	p.S3 = awsconfig.S3(cfg)
	p.Store = metadata.NewStore(dynamodb.NewFromConfig(cfg), p.Stack.TableName)
	handlers, err := p.handlers(cfg)
	if err != nil {
		return err
	}

	arns := map[string]string{}
	tasks := map[string]engine.Handler{}
	for name, h := range handlers {
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:imagepipe-%s",
			p.Stack.Region, p.Stack.AccountID, name.function)
		arns[name.placeholder] = arn
		if opts.WrapTask != nil {
			h = opts.WrapTask(name.function, h)
		}
		tasks[arn] = h
	}
	definition, err := statemachine.Render(arns)
	if err != nil {
		return err
	}
	engineOpts := append([]engine.Option{
		engine.WithName(StateMachineName),
		engine.WithRegion(p.Stack.Region),
		engine.WithAccount(p.Stack.AccountID),
		engine.WithTimeScale(opts.TimeScale),
		engine.WithStatusChange(p.statusChanged),
	}, opts.Engine...)
	p.Machine, err = engine.Load([]byte(definition), tasks, engineOpts...)
	if err != nil {
		return err
	}

	pollers := opts.Pollers
	if pollers == 0 {
		pollers = 4
	}
	p.Pipe, err = p.Stack.StartPipe(ctx, p.startExecution,
		localstack.PipeOptions{Pollers: pollers})
	return err
}

type taskName struct{ function, placeholder string }

// handlers builds each step's handler from the environment, as its Lambda's
// main does, and adapts it to the engine as the Lambda runtime would: JSON in,
// JSON out, the error's type name as the error name.
func (p *Pipeline) handlers(cfg aws.Config) (map[taskName]engine.Handler, error) {
	env := settings.Map(p.Env)
	fetchCfg, err := fetch.LoadConfig(env)
	if err != nil {
		return nil, err
	}
	resizeCfg, err := resize.LoadConfig(env)
	if err != nil {
		return nil, err
	}
	if _, err := persist.LoadConfig(env); err != nil {
		return nil, err
	}
	notifyCfg, err := notify.LoadConfig(env)
	if err != nil {
		return nil, err
	}
	pub := notification.NewPublisher(sns.NewFromConfig(cfg), notifyCfg.Topic)
	p.recorder = recordfailure.New(p.Store, pub, p.log)

	return map[taskName]engine.Handler{
		{"fetch", statemachine.FetchFunction}: Task(
			fetch.New(fetchCfg, p.S3, p.log).Handle),
		{"resize", statemachine.ResizeFunction}: Task(
			resize.New(resizeCfg, p.S3, p.log).Handle),
		{"persist", statemachine.PersistFunction}: Task(persist.New(p.Store, p.log).Handle),
		{"notify", statemachine.NotifyFunction}: Task(
			notify.New(p.Store, pub, p.log).Handle),
	}, nil
}

// Task adapts a Lambda handler to the engine: the input is decoded from JSON
// and the output encoded to it, as the Lambda runtime does.
func Task[In, Out any](fn func(context.Context, In) (Out, error)) engine.Handler {
	return func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
		var in In
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, err
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
}

// startExecution is the pipe's target: StartExecution with the pipe's batch
// as the input, fire and forget.
func (p *Pipeline) startExecution(ctx context.Context, input []byte) error {
	_, err := p.Machine.Start(ctx, "", input)
	return err
}

// recorderAttempts is how often a failed invocation of the failure recorder
// is tried, as EventBridge's asynchronous Lambda invocation does (1 + 2
// retries).
const recorderAttempts = 3

// statusChanged delivers an execution's status change to the failure
// recorder, as the EventBridge rule does.
func (p *Pipeline) statusChanged(sc engine.StatusChange) {
	if sc.Status == engine.StatusRunning {
		return
	}
	p.recording.Add(1)
	defer p.recording.Done()
	raw, err := sc.EventBridgeEvent()
	var event events.CloudWatchEvent
	if err == nil {
		err = json.Unmarshal(raw, &event)
	}
	if err != nil {
		p.log.Error("status change not delivered", "executionArn", sc.ExecutionArn,
			"error", err.Error())
		return
	}
	for attempt := 1; attempt <= recorderAttempts; attempt++ {
		if _, err = p.recorder.Handle(context.Background(), event); err == nil {
			return
		}
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
	}
	p.log.Error("failure recorder gave up", "executionArn", sc.ExecutionArn,
		"error", err.Error())
}

// WaitIdle waits until the queue is drained, every execution has ended and
// every status change has been recorded.
func (p *Pipeline) WaitIdle(ctx context.Context) error {
	for {
		if err := p.Pipe.WaitQuiescent(ctx); err != nil {
			return err
		}
		running, err := p.Machine.List(engine.ListFilter{Status: engine.StatusRunning})
		if err != nil {
			return err
		}
		for _, d := range running {
			if _, err := p.Machine.Wait(ctx, d.ExecutionArn); err != nil {
				return err
			}
		}
		p.recording.Wait()
		if len(running) == 0 {
			return nil
		}
	}
}

// Executions returns every execution, the most recent first.
func (p *Pipeline) Executions() ([]engine.Description, error) {
	return p.Machine.List(engine.ListFilter{})
}

// Close stops the pipe and the engine, then the local AWS.
func (p *Pipeline) Close() error {
	p.Pipe.Stop()
	err := p.Machine.Close()
	p.recording.Wait()
	return errors.Join(err, p.Stack.Close())
}

// ProcessEnv sets variables in the process environment, for a command that
// runs the pipeline.
type ProcessEnv struct{}

// Setenv sets key to value in the process environment.
func (ProcessEnv) Setenv(key, value string) { os.Setenv(key, value) }
