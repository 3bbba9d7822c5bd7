// Command imagepipe runs the image pipeline on one machine and operates it.
//
//	imagepipe run FILE...   put images through the local pipeline and report
//	imagepipe dev           the local stack with its web page
//	imagepipe replay        list and replay failed executions
//
// Each subcommand's -help lists its flags.
package main

import (
	"fmt"
	"io"
	"os"
)

// subcommand runs one subcommand with its arguments and returns the exit code.
type subcommand func(args []string, stdout, stderr io.Writer) int

var subcommands = map[string]subcommand{
	"run": runImages,
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		usage(stderr)
		return 2
	}
	cmd, ok := subcommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "imagepipe: unknown subcommand %q\n", args[0])
		usage(stderr)
		return 2
	}
	return cmd(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: imagepipe <subcommand> [flags]

subcommands:
  run FILE...   put images through the local pipeline and print each outcome
  dev           run the whole system locally, with its web page
  replay        list, redrive or restart failed executions

Run "imagepipe <subcommand> -help" for its flags.
`)
}
