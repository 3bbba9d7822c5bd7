// Runs conformance scenarios of the imagepipe state machine on
// aws-local-stepfunctions and prints what happened as JSON, so that the Go
// test can run the same scenarios on the local engine and compare.
//
//   node run-scenarios.mjs SCENARIOS.json   (or the JSON on stdin)
//
// SCENARIOS.json is one scenario or an array of them:
//
//   {
//     "name": "happy",
//     "definition": { ...the rendered ASL definition... },
//     "input": <execution input>,
//     "context": { "Execution": { "Id": "arn:aws:states:...", ... }, ... },
//     "responses": {
//       "Fetch": [{ "error": "Lambda.ServiceException", "cause": "..." },
//                 { "output": { ... } }],
//       ...
//     }
//   }
//
// Each Task state answers its calls with its responses in order, and the last
// one repeats; a response with "delayMs" answers that much later, to make a
// Task time out. An error response throws a JS Error whose name is the error,
// which is what Retry and Catch match, and whose message is the cause. A Task
// state without responses fails with Conformance.Unscripted; no Task ever
// reaches AWS. Retry pauses are overridden to 0 ms.
//
// The scenarios run concurrently, each on its own handlers. The output is an
// array, one result per scenario, in order:
//
//   {
//     "name": "happy",
//     "states": ["Receive", "Fetch", ...],   // StateEntered events, in order
//     "exited": [{ "name": "Receive", "output": ... }, ...], // StateExited
//     "retries": { "Fetch": 2 },             // StateRetried events per state
//     "calls": { "Fetch": 3 },               // handler invocations per state
//     "inputs": { "Fetch": [ ... ] },        // what each invocation received
//     "status": "SUCCEEDED" | "FAILED",
//     "output": <execution output, or null when it failed>,
//     "error": "...", "cause": "..."         // when it failed
//   }
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';

const UNSCRIPTED = 'Conformance.Unscripted';

/** Returns the local handler of one Task state, which records its calls. */
function scriptedHandler(stateName, responses, calls, inputs) {
  return async (input) => {
    const n = calls[stateName] ?? 0;
    calls[stateName] = n + 1;
    (inputs[stateName] ??= []).push(structuredClone(input));

    if (!responses || responses.length === 0) {
      throw namedError(UNSCRIPTED, `no scripted response for state ${stateName}`);
    }
    const response = responses[Math.min(n, responses.length - 1)];
    if (response.delayMs) {
      await new Promise((resolve) => setTimeout(resolve, response.delayMs));
    }
    if ('error' in response) {
      throw namedError(response.error, response.cause ?? '');
    }
    return response.output ?? null;
  };
}

/** Returns an Error that ErrorEquals matches as name, with cause as message. */
function namedError(name, cause) {
  const err = new Error(cause);
  err.name = name;
  return err;
}

/** Returns the names of the Task states of a definition's top level. */
function taskStates(definition) {
  return Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => name);
}

// Constructing a StateMachine validates its definition, which costs a few
// hundred milliseconds, so scenarios that share a definition share a machine;
// each run of a machine is independent of the others.
const machines = new Map();

/** Returns the StateMachine of a definition, constructed once. */
function machineFor(definition) {
  const key = JSON.stringify(definition);
  if (!machines.has(key)) {
    machines.set(key, new StateMachine(definition));
  }
  return machines.get(key);
}

/** Runs one scenario and returns its result. */
async function runScenario(scenario) {
  const definition =
    typeof scenario.definition === 'string'
      ? JSON.parse(scenario.definition)
      : scenario.definition;
  const calls = {};
  const inputs = {};
  const handlers = {};
  const retryIntervals = {};
  for (const name of taskStates(definition)) {
    handlers[name] = scriptedHandler(name, scenario.responses?.[name], calls, inputs);
    retryIntervals[name] = 0;
  }

  const execution = machineFor(definition).run(scenario.input ?? {}, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      retryIntervalOverrides: retryIntervals,
    },
    context: scenario.context ?? {},
  });
  // Settle the result before reading the events, so that a failed execution
  // is never an unhandled rejection.
  const settled = execution.result.then(
    (output) => ({ ok: true, output }),
    (error) => ({ ok: false, error }),
  );

  const result = {
    name: scenario.name,
    states: [],
    exited: [],
    retries: {},
    calls,
    inputs,
    status: '',
    output: null,
  };
  for await (const event of execution.eventLogs) {
    switch (event.type) {
      case 'StateEntered':
        result.states.push(event.state.name);
        break;
      case 'StateExited':
        result.exited.push({ name: event.state.name, output: event.state.output ?? null });
        break;
      case 'StateRetried':
        result.retries[event.state.name] = (result.retries[event.state.name] ?? 0) + 1;
        break;
      case 'ExecutionSucceeded':
        result.status = 'SUCCEEDED';
        result.output = event.output ?? null;
        break;
      case 'ExecutionFailed':
        result.status = 'FAILED';
        result.error = event.Error;
        result.cause = typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause);
        break;
      case 'ExecutionAborted':
        result.status = 'ABORTED';
        break;
      case 'ExecutionTimeout':
        result.status = 'TIMED_OUT';
        break;
    }
  }

  const outcome = await settled;
  if (outcome.ok && result.status === '') {
    result.status = 'SUCCEEDED';
    result.output = outcome.output;
  } else if (!outcome.ok && result.status === '') {
    result.status = 'FAILED';
    result.error = outcome.error?.cause?.name ?? outcome.error?.name ?? 'Error';
    result.cause = outcome.error?.cause?.message ?? outcome.error?.message ?? '';
  }
  return result;
}

const source = process.argv[2] ? readFileSync(process.argv[2], 'utf8') : readFileSync(0, 'utf8');
const parsed = JSON.parse(source);
const scenarios = Array.isArray(parsed) ? parsed : [parsed];
const results = await Promise.all(scenarios.map(runScenario));
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
