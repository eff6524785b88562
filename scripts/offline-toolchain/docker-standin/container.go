package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Container is the controller of docker:index/container:Container. It has no Update: as in the
// real provider's schema (ForceNew on nearly every field), every change of an input replaces it.
type Container struct{}

func (c *Container) Annotate(a infer.Annotator) {
	a.SetToken("index/container", "Container")
	a.Describe(&c, "A Docker container (promemu stand-in: the inputs listed in the schema only).")
}

// ContainerLabel is one label ({label, value}), the real schema's shape for labels.
type ContainerLabel struct {
	Label string `pulumi:"label"`
	Value string `pulumi:"value"`
}

// ContainerNetworksAdvanced is a network the container is connected to, with its DNS aliases.
type ContainerNetworksAdvanced struct {
	Name        string   `pulumi:"name"`
	Aliases     []string `pulumi:"aliases,optional"`
	Ipv4Address *string  `pulumi:"ipv4Address,optional"`
	Ipv6Address *string  `pulumi:"ipv6Address,optional"`
}

// ContainerPort publishes a container port on the host (ip defaults to 0.0.0.0, protocol to tcp).
type ContainerPort struct {
	Internal int     `pulumi:"internal"`
	External *int    `pulumi:"external,optional"`
	Ip       *string `pulumi:"ip,optional"`
	Protocol *string `pulumi:"protocol,optional"`
}

// ContainerVolume mounts a named volume, a host path or another container's volumes.
type ContainerVolume struct {
	VolumeName    *string `pulumi:"volumeName,optional"`
	HostPath      *string `pulumi:"hostPath,optional"`
	ContainerPath *string `pulumi:"containerPath,optional"`
	FromContainer *string `pulumi:"fromContainer,optional"`
	ReadOnly      *bool   `pulumi:"readOnly,optional"`
}

// ContainerUpload is a file copied into the container before it starts.
type ContainerUpload struct {
	File          string  `pulumi:"file"`
	Content       *string `pulumi:"content,optional"`
	ContentBase64 *string `pulumi:"contentBase64,optional"`
	Source        *string `pulumi:"source,optional"`
	SourceHash    *string `pulumi:"sourceHash,optional"`
	Executable    *bool   `pulumi:"executable,optional"`
	Permissions   *string `pulumi:"permissions,optional"`
	Owner         *string `pulumi:"owner,optional"`
	Group         *string `pulumi:"group,optional"`
}

// ContainerHealthcheck is the container's health check; durations are Go durations ("5s", "1m0s").
type ContainerHealthcheck struct {
	Tests         []string `pulumi:"tests,optional"`
	Interval      *string  `pulumi:"interval,optional"`
	Timeout       *string  `pulumi:"timeout,optional"`
	StartPeriod   *string  `pulumi:"startPeriod,optional"`
	StartInterval *string  `pulumi:"startInterval,optional"`
	Retries       *int     `pulumi:"retries,optional"`
}

// ContainerArgs are the inputs of docker:index/container:Container that this stand-in understands.
type ContainerArgs struct {
	Name                *string                     `pulumi:"name,optional"`
	Image               string                      `pulumi:"image"`
	Command             []string                    `pulumi:"command,optional"`
	Entrypoints         []string                    `pulumi:"entrypoints,optional"`
	Envs                []string                    `pulumi:"envs,optional"`
	Hostname            *string                     `pulumi:"hostname,optional"`
	Domainname          *string                     `pulumi:"domainname,optional"`
	User                *string                     `pulumi:"user,optional"`
	WorkingDir          *string                     `pulumi:"workingDir,optional"`
	Restart             *string                     `pulumi:"restart,optional"`
	MaxRetryCount       *int                        `pulumi:"maxRetryCount,optional"`
	Labels              []ContainerLabel            `pulumi:"labels,optional"`
	NetworkMode         *string                     `pulumi:"networkMode,optional"`
	NetworksAdvanced    []ContainerNetworksAdvanced `pulumi:"networksAdvanced,optional"`
	Ports               []ContainerPort             `pulumi:"ports,optional"`
	Volumes             []ContainerVolume           `pulumi:"volumes,optional"`
	Uploads             []ContainerUpload           `pulumi:"uploads,optional"`
	Healthcheck         *ContainerHealthcheck       `pulumi:"healthcheck,optional"`
	Init                *bool                       `pulumi:"init,optional"`
	ReadOnly            *bool                       `pulumi:"readOnly,optional"`
	StopSignal          *string                     `pulumi:"stopSignal,optional"`
	StopTimeout         *int                        `pulumi:"stopTimeout,optional"`
	DestroyGraceSeconds *int                        `pulumi:"destroyGraceSeconds,optional"`
	RemoveVolumes       *bool                       `pulumi:"removeVolumes,optional"`
	Start               *bool                       `pulumi:"start,optional"`
	MustRun             *bool                       `pulumi:"mustRun,optional"`
	Wait                *bool                       `pulumi:"wait,optional"`
	WaitTimeout         *int                        `pulumi:"waitTimeout,optional"`
	Attach              *bool                       `pulumi:"attach,optional"`
	Logs                *bool                       `pulumi:"logs,optional"`
}

func (a *ContainerArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Wait, "Wait for the container to reach a healthy state after creation (default false).")
	an.Describe(&a.WaitTimeout, "Seconds to wait for the container to become healthy (default 60).")
	an.Describe(&a.DestroyGraceSeconds, "Seconds the container is given to stop on delete (default: its stop timeout).")
	an.Describe(&a.Attach, "Wait for the container to exit after its start (default false); a non-zero exit is no error, exitCode says it.")
	an.Describe(&a.Logs, "With attach: keep what the container wrote (stdout and stderr) in containerLogs.")
}

// ContainerState is what the resource records: its inputs, with `name` always set.
type ContainerState struct {
	ContainerArgs
	// Set when attach waited for the end of the container: its exit code, and (logs) its output.
	ExitCode      *int    `pulumi:"exitCode,optional"`
	ContainerLogs *string `pulumi:"containerLogs,optional"`
}

func (Container) Create(ctx context.Context, req infer.CreateRequest[ContainerArgs]) (infer.CreateResponse[ContainerState], error) {
	in := req.Inputs
	if in.Name == nil {
		name := req.Name + "-" + randomHex(4)[:7]
		in.Name = &name
	}
	state := ContainerState{ContainerArgs: in}
	if req.DryRun {
		return infer.CreateResponse[ContainerState]{Output: state}, nil
	}
	docker, err := dockerFor(ctx)
	if err != nil {
		return infer.CreateResponse[ContainerState]{}, err
	}
	config, hostConfig, err := containerConfig(in)
	if err != nil {
		return infer.CreateResponse[ContainerState]{}, err
	}
	created, err := docker.ContainerCreate(ctx, config, hostConfig, nil, nil, *in.Name)
	if err != nil {
		return infer.CreateResponse[ContainerState]{}, fmt.Errorf("unable to create container: %w", err)
	}
	// From here on the container exists. The real provider would keep it as a tainted resource;
	// here it is removed, so the error leaves nothing behind and the next update simply creates it
	// again (a fixed name would otherwise collide). The error carries Docker's own message.
	ended, err := runContainer(ctx, docker, created.ID, in)
	if err != nil {
		rmErr := docker.ContainerRemove(context.WithoutCancel(ctx), created.ID, container.RemoveOptions{RemoveVolumes: true, Force: true})
		if rmErr != nil && !client.IsErrNotFound(rmErr) {
			return infer.CreateResponse[ContainerState]{}, fmt.Errorf("%w (and the container %s could not be removed: %v)", err, *in.Name, rmErr)
		}
		return infer.CreateResponse[ContainerState]{}, err
	}
	if ended != nil {
		state.ExitCode = &ended.exitCode
		state.ContainerLogs = ended.logs
	}
	return infer.CreateResponse[ContainerState]{ID: created.ID, Output: state}, nil
}

// Read reports the container gone when Docker no longer knows it; otherwise the state stands.
func (Container) Read(ctx context.Context, req infer.ReadRequest[ContainerArgs, ContainerState]) (infer.ReadResponse[ContainerArgs, ContainerState], error) {
	docker, err := dockerFor(ctx)
	if err != nil {
		return infer.ReadResponse[ContainerArgs, ContainerState]{}, err
	}
	if _, err := docker.ContainerInspect(ctx, req.ID); err != nil {
		if client.IsErrNotFound(err) {
			return infer.ReadResponse[ContainerArgs, ContainerState]{}, nil
		}
		return infer.ReadResponse[ContainerArgs, ContainerState]{}, err
	}
	return infer.ReadResponse[ContainerArgs, ContainerState]{ID: req.ID, Inputs: req.Inputs, State: req.State}, nil
}

// Delete stops the container (destroyGraceSeconds, else its own stop timeout) and removes it with
// its anonymous volumes (removeVolumes, default true); named volumes are never removed by Docker here.
func (Container) Delete(ctx context.Context, req infer.DeleteRequest[ContainerState]) (infer.DeleteResponse, error) {
	docker, err := dockerFor(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	stop := container.StopOptions{Timeout: req.State.DestroyGraceSeconds}
	if err := docker.ContainerStop(ctx, req.ID, stop); err != nil && !client.IsErrNotFound(err) {
		return infer.DeleteResponse{}, fmt.Errorf("unable to stop container %s: %w", req.ID, err)
	}
	removeVolumes := req.State.RemoveVolumes == nil || *req.State.RemoveVolumes
	err = docker.ContainerRemove(ctx, req.ID, container.RemoveOptions{RemoveVolumes: removeVolumes, Force: true})
	if err != nil && !client.IsErrNotFound(err) && !errors.Is(err, context.Canceled) {
		return infer.DeleteResponse{}, fmt.Errorf("unable to remove container %s: %w", req.ID, err)
	}
	return infer.DeleteResponse{}, nil
}
