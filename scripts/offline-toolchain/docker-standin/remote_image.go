package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// RemoteImage is the controller of docker:index/remoteImage:RemoteImage: an image in the
// daemon's store, found locally by name or else pulled. `name`, `platform` and `pullTriggers`
// replace it; `keepLocally` and `forceRemove` only change what delete does.
type RemoteImage struct{}

func (r *RemoteImage) Annotate(a infer.Annotator) {
	a.SetToken("index/remoteImage", "RemoteImage")
	a.Describe(&r, "An image in the Docker daemon's store, pulled when missing (promemu stand-in: no registry auth, no build).")
}

type RemoteImageArgs struct {
	Name         string   `pulumi:"name" provider:"replaceOnChanges"`
	KeepLocally  *bool    `pulumi:"keepLocally,optional"`
	ForceRemove  *bool    `pulumi:"forceRemove,optional"`
	Platform     *string  `pulumi:"platform,optional" provider:"replaceOnChanges"`
	PullTriggers []string `pulumi:"pullTriggers,optional" provider:"replaceOnChanges"`
}

// RemoteImageState adds the image's id (sha256:...) and the repo digest matching its name ("" for
// an image that never came from a registry).
type RemoteImageState struct {
	RemoteImageArgs
	ImageID    string `pulumi:"imageId"`
	RepoDigest string `pulumi:"repoDigest"`
}

func (RemoteImage) Create(ctx context.Context, req infer.CreateRequest[RemoteImageArgs]) (infer.CreateResponse[RemoteImageState], error) {
	state := RemoteImageState{RemoteImageArgs: req.Inputs}
	if req.DryRun {
		return infer.CreateResponse[RemoteImageState]{Output: state}, nil
	}
	docker, err := dockerFor(ctx)
	if err != nil {
		return infer.CreateResponse[RemoteImageState]{}, err
	}
	found, err := docker.ImageInspect(ctx, req.Inputs.Name)
	if client.IsErrNotFound(err) {
		if err := pullImage(ctx, docker, req.Inputs.Name, deref(req.Inputs.Platform)); err != nil {
			return infer.CreateResponse[RemoteImageState]{}, err
		}
		found, err = docker.ImageInspect(ctx, req.Inputs.Name)
	}
	if err != nil {
		return infer.CreateResponse[RemoteImageState]{}, fmt.Errorf("unable to inspect image %s: %w", req.Inputs.Name, err)
	}
	state.ImageID, state.RepoDigest = found.ID, repoDigestOf(req.Inputs.Name, found.RepoDigests)
	// The real provider's id: the image id followed by the name.
	return infer.CreateResponse[RemoteImageState]{ID: found.ID + req.Inputs.Name, Output: state}, nil
}

// Update changes only keepLocally/forceRemove, which matter on delete: nothing to do in Docker.
func (RemoteImage) Update(ctx context.Context, req infer.UpdateRequest[RemoteImageArgs, RemoteImageState]) (infer.UpdateResponse[RemoteImageState], error) {
	state := req.State
	state.RemoteImageArgs = req.Inputs
	return infer.UpdateResponse[RemoteImageState]{Output: state}, nil
}

// Read reports the image gone when no local image has the name any more.
func (RemoteImage) Read(ctx context.Context, req infer.ReadRequest[RemoteImageArgs, RemoteImageState]) (infer.ReadResponse[RemoteImageArgs, RemoteImageState], error) {
	docker, err := dockerFor(ctx)
	if err != nil {
		return infer.ReadResponse[RemoteImageArgs, RemoteImageState]{}, err
	}
	found, err := docker.ImageInspect(ctx, req.State.Name)
	if client.IsErrNotFound(err) {
		return infer.ReadResponse[RemoteImageArgs, RemoteImageState]{}, nil
	} else if err != nil {
		return infer.ReadResponse[RemoteImageArgs, RemoteImageState]{}, err
	}
	state := req.State
	state.ImageID, state.RepoDigest = found.ID, repoDigestOf(req.State.Name, found.RepoDigests)
	return infer.ReadResponse[RemoteImageArgs, RemoteImageState]{ID: req.ID, Inputs: req.Inputs, State: state}, nil
}

// Delete removes the image from the daemon, unless keepLocally.
func (RemoteImage) Delete(ctx context.Context, req infer.DeleteRequest[RemoteImageState]) (infer.DeleteResponse, error) {
	if req.State.KeepLocally != nil && *req.State.KeepLocally {
		return infer.DeleteResponse{}, nil
	}
	docker, err := dockerFor(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	_, err = docker.ImageRemove(ctx, req.State.ImageID, image.RemoveOptions{Force: deref(req.State.ForceRemove), PruneChildren: true})
	if err != nil && !client.IsErrNotFound(err) {
		return infer.DeleteResponse{}, fmt.Errorf("unable to remove image %s: %w", req.State.Name, err)
	}
	return infer.DeleteResponse{}, nil
}

// pullImage pulls ref (anonymously: no registry credentials here) and reports the daemon's error.
func pullImage(ctx context.Context, docker *client.Client, ref, platform string) error {
	stream, err := docker.ImagePull(ctx, ref, image.PullOptions{Platform: platform})
	if err != nil {
		return fmt.Errorf("image %s is not in the local image store and cannot be pulled: %w", ref, err)
	}
	defer stream.Close()
	if err := readJSONMessages(stream, nil); err != nil {
		return fmt.Errorf("image %s is not in the local image store and cannot be pulled: %w", ref, err)
	}
	return nil
}

// jsonMessage is one line of the daemon's progress stream (pull, build).
type jsonMessage struct {
	Stream      string                    `json:"stream"`
	Status      string                    `json:"status"`
	Error       string                    `json:"error"`
	ErrorDetail *struct{ Message string } `json:"errorDetail"`
	Aux         json.RawMessage           `json:"aux"`
}

// readJSONMessages reads the stream to its end, hands each message to each (if any) and returns
// the first error message the daemon sent.
func readJSONMessages(r io.Reader, each func(jsonMessage)) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
		if each != nil {
			each(m)
		}
	}
}

// repoDigestOf picks the repo digest of the image's own repository, else the first, else "".
func repoDigestOf(name string, digests []string) string {
	if named, err := reference.ParseNormalizedNamed(name); err == nil {
		for _, d := range digests {
			if dn, err := reference.ParseNormalizedNamed(d); err == nil && dn.Name() == named.Name() {
				return d
			}
		}
	}
	for _, d := range digests {
		if strings.Contains(d, "@") {
			return d
		}
	}
	return ""
}
