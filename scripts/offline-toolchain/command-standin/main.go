// pulumi-resource-command stand-in, written for promemu's offline toolchain.
//
// The real provider (github.com/pulumi/pulumi-command/provider, release 1.2.1) is not served by
// the Go module proxy reachable here, so build.sh builds this instead when the real one cannot be
// had. It implements only `command:local:Command`, with the inputs promemu's stack uses and the
// documented semantics of the real resource:
//
//   - create runs `create` (through `interpreter`, default /bin/sh -c) in `dir` with `environment`
//     added to the provider's environment and `stdin` on standard input; stdout and stderr become
//     outputs (one trailing newline trimmed). Nothing runs during a preview.
//   - a change of `triggers` replaces the resource; a change of any other input updates it, which
//     runs `update` (or `create` when there is no `update`).
//   - delete runs `delete`, when given.
//   - with addPreviousOutputInEnv (default true), update and delete see the previous outputs as
//     PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR.
//
// Not implemented: command:remote:*, local.run, assetPaths/archivePaths; `logging` is accepted and
// the output is never streamed to the log.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/pulumi/pulumi-go-provider/infer"
)

// version is set with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

func main() {
	prov, err := infer.NewProviderBuilder().
		WithResources(infer.Resource(Command{})).
		WithDescription("promemu's stand-in for the Pulumi command provider (command:local:Command only)").
		Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := prov.Run(context.Background(), "command", strings.TrimPrefix(version, "v")); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %s\n", err)
		os.Exit(1)
	}
}

// Command is the controller of command:local:Command.
type Command struct{}

func (c *Command) Annotate(a infer.Annotator) {
	a.SetToken("local", "Command")
	a.Describe(&c, "Runs commands on the machine running Pulumi when the resource is created, updated or deleted.")
}

// CommandArgs are the inputs of command:local:Command that this stand-in understands.
type CommandArgs struct {
	Create                 *string           `pulumi:"create,optional"`
	Update                 *string           `pulumi:"update,optional"`
	Delete                 *string           `pulumi:"delete,optional"`
	Dir                    *string           `pulumi:"dir,optional"`
	Environment            map[string]string `pulumi:"environment,optional"`
	Interpreter            []string          `pulumi:"interpreter,optional"`
	Stdin                  *string           `pulumi:"stdin,optional"`
	Triggers               []any             `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	AddPreviousOutputInEnv *bool             `pulumi:"addPreviousOutputInEnv,optional"`
	// Accepted for the real provider's API; the stand-in never streams a command's output to Pulumi's
	// log, which is what every value of it (down to "none") allows.
	Logging *string `pulumi:"logging,optional"`
}

// CommandState is what the resource records: its inputs and the last command's output.
type CommandState struct {
	CommandArgs
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

func (Command) Create(ctx context.Context, req infer.CreateRequest[CommandArgs]) (infer.CreateResponse[CommandState], error) {
	state := CommandState{CommandArgs: req.Inputs}
	id := req.Name + "-" + randomHex(4)
	if req.DryRun || req.Inputs.Create == nil {
		return infer.CreateResponse[CommandState]{ID: id, Output: state}, nil
	}
	stdout, stderr, err := run(ctx, req.Inputs, *req.Inputs.Create, nil)
	if err != nil {
		return infer.CreateResponse[CommandState]{}, err
	}
	state.Stdout, state.Stderr = stdout, stderr
	return infer.CreateResponse[CommandState]{ID: id, Output: state}, nil
}

func (Command) Update(ctx context.Context, req infer.UpdateRequest[CommandArgs, CommandState]) (infer.UpdateResponse[CommandState], error) {
	state := CommandState{CommandArgs: req.Inputs, Stdout: req.State.Stdout, Stderr: req.State.Stderr}
	cmd := req.Inputs.Update
	if cmd == nil {
		cmd = req.Inputs.Create
	}
	if req.DryRun || cmd == nil {
		return infer.UpdateResponse[CommandState]{Output: state}, nil
	}
	stdout, stderr, err := run(ctx, req.Inputs, *cmd, &req.State)
	if err != nil {
		return infer.UpdateResponse[CommandState]{}, err
	}
	state.Stdout, state.Stderr = stdout, stderr
	return infer.UpdateResponse[CommandState]{Output: state}, nil
}

func (Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandState]) (infer.DeleteResponse, error) {
	if req.State.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	_, _, err := run(ctx, req.State.CommandArgs, *req.State.Delete, &req.State)
	return infer.DeleteResponse{}, err
}

// run executes one command as the inputs describe; previous, when given, is exposed in the
// environment unless addPreviousOutputInEnv is false.
func run(ctx context.Context, in CommandArgs, command string, previous *CommandState) (string, string, error) {
	interpreter := in.Interpreter
	if len(interpreter) == 0 {
		interpreter = []string{"/bin/sh", "-c"}
	}
	args := append(append([]string{}, interpreter[1:]...), command)
	cmd := exec.CommandContext(ctx, interpreter[0], args...)
	if in.Dir != nil {
		cmd.Dir = *in.Dir
	}
	cmd.Env = os.Environ()
	for k, v := range in.Environment {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if previous != nil && (in.AddPreviousOutputInEnv == nil || *in.AddPreviousOutputInEnv) {
		cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+previous.Stdout, "PULUMI_COMMAND_STDERR="+previous.Stderr)
	}
	if in.Stdin != nil {
		cmd.Stdin = strings.NewReader(*in.Stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out, errOut := strings.TrimSuffix(stdout.String(), "\n"), strings.TrimSuffix(stderr.String(), "\n")
	if err != nil {
		return out, errOut, fmt.Errorf("command %q failed: %w; stdout: %s; stderr: %s", command, err, out, errOut)
	}
	return out, errOut, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
