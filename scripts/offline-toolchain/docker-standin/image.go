package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/docker/docker/api/types/build"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Image is the controller of docker:index/image:Image, the real provider's native (not
// Terraform) resource: a local build. As there, Check adds build.contextDigest (a hash of the
// build context honouring .dockerignore, and of the Dockerfile) and build.platform to the inputs,
// any input change is an update that rebuilds, nothing is built during a preview (buildOnPreview
// is not supported), and delete leaves the image in the daemon.
type Image struct{}

func (i *Image) Annotate(a infer.Annotator) {
	a.SetToken("index/image", "Image")
	a.Describe(&i, "A locally built image (promemu stand-in: classic builder only, never pushed).")
}

// CacheFrom lists images to use as build cache.
type CacheFrom struct {
	Images []string `pulumi:"images,optional"`
}

// DockerBuild is the build's description: where the context and Dockerfile are, and how to build.
type DockerBuild struct {
	Context        *string           `pulumi:"context,optional"`
	Dockerfile     *string           `pulumi:"dockerfile,optional"`
	BuilderVersion *string           `pulumi:"builderVersion,optional"`
	Args           map[string]string `pulumi:"args,optional"`
	Network        *string           `pulumi:"network,optional"`
	Platform       *string           `pulumi:"platform,optional"`
	Target         *string           `pulumi:"target,optional"`
	AddHosts       []string          `pulumi:"addHosts,optional"`
	CacheFrom      *CacheFrom        `pulumi:"cacheFrom,optional"`
	// Set by Check, as the real provider does: a change of the context's content is a change of input.
	ContextDigest *string `pulumi:"contextDigest,optional"`
}

// Registry is where a pushed image would go (not supported: skipPush must be true).
type Registry struct {
	Server   *string `pulumi:"server,optional"`
	Username *string `pulumi:"username,optional"`
	Password *string `pulumi:"password,optional" provider:"secret"`
}

type ImageArgs struct {
	ImageName      string       `pulumi:"imageName"`
	Build          *DockerBuild `pulumi:"build,optional"`
	SkipPush       *bool        `pulumi:"skipPush,optional"`
	BuildOnPreview *bool        `pulumi:"buildOnPreview,optional"`
	Registry       *Registry    `pulumi:"registry,optional"`
}

// ImageState holds the real provider's outputs; for an image that is not pushed, repoDigest is
// the built image's id (sha256:...), as the real provider sets it.
type ImageState struct {
	ImageArgs
	BaseImageName  string `pulumi:"baseImageName"`
	Context        string `pulumi:"context"`
	Dockerfile     string `pulumi:"dockerfile"`
	Platform       string `pulumi:"platform"`
	RegistryServer string `pulumi:"registryServer"`
	RepoDigest     string `pulumi:"repoDigest"`
}

// Check applies the real provider's defaults (context ".", dockerfile <context>/Dockerfile,
// platform linux/<arch>, buildOnPreview false), checks that the Dockerfile exists and records the
// context's digest.
func (Image) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[ImageArgs], error) {
	args, failures, err := infer.DefaultCheck[ImageArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[ImageArgs]{Inputs: args, Failures: failures}, err
	}
	if args.BuildOnPreview == nil {
		f := false
		args.BuildOnPreview = &f
	}
	if args.Build == nil {
		args.Build = &DockerBuild{}
	}
	b := args.Build
	buildInputs := req.NewInputs.Get("build")
	known := !buildInputs.HasComputed()
	if b.Context == nil && known {
		b.Context = ptr(".")
	}
	if b.Dockerfile == nil && known {
		b.Dockerfile = ptr(filepath.Join(*b.Context, "Dockerfile"))
	}
	if b.Platform == nil {
		b.Platform = ptr("linux/" + runtime.GOARCH)
	}
	if known {
		dockerfile, err := checkDockerfile(*b.Context, *b.Dockerfile)
		if err != nil {
			return infer.CheckResponse[ImageArgs]{}, err
		}
		digest, err := hashContext(*b.Context, dockerfile)
		if err != nil {
			return infer.CheckResponse[ImageArgs]{}, err
		}
		b.ContextDigest = &digest
	}
	return infer.CheckResponse[ImageArgs]{Inputs: args}, nil
}

func (Image) Create(ctx context.Context, req infer.CreateRequest[ImageArgs]) (infer.CreateResponse[ImageState], error) {
	if req.DryRun {
		return infer.CreateResponse[ImageState]{Output: ImageState{ImageArgs: req.Inputs}}, nil
	}
	state, err := buildImage(ctx, req.Inputs)
	if err != nil {
		return infer.CreateResponse[ImageState]{}, err
	}
	return infer.CreateResponse[ImageState]{ID: req.Inputs.ImageName, Output: state}, nil
}

// Update rebuilds: any change of input (the context's digest included) is an update.
func (Image) Update(ctx context.Context, req infer.UpdateRequest[ImageArgs, ImageState]) (infer.UpdateResponse[ImageState], error) {
	if req.DryRun {
		return infer.UpdateResponse[ImageState]{Output: ImageState{ImageArgs: req.Inputs}}, nil
	}
	state, err := buildImage(ctx, req.Inputs)
	if err != nil {
		return infer.UpdateResponse[ImageState]{}, err
	}
	return infer.UpdateResponse[ImageState]{Output: state}, nil
}

// buildImage builds the image with the classic builder and returns the outputs.
func buildImage(ctx context.Context, in ImageArgs) (ImageState, error) {
	if in.SkipPush == nil || !*in.SkipPush {
		return ImageState{}, fmt.Errorf("image %s: pushing is not supported by promemu's stand-in docker provider; set skipPush: true", in.ImageName)
	}
	b := in.Build
	if v := deref(b.BuilderVersion); v != "BuilderV1" {
		return ImageState{}, fmt.Errorf("image %s: builderVersion %q is not supported by promemu's stand-in docker provider (no BuildKit session); set builderVersion: \"BuilderV1\"", in.ImageName, orDefault(b.BuilderVersion, "BuilderBuildKit"))
	}
	docker, err := dockerFor(ctx)
	if err != nil {
		return ImageState{}, err
	}
	dockerfile, err := checkDockerfile(*b.Context, *b.Dockerfile)
	if err != nil {
		return ImageState{}, err
	}
	buildContext, relDockerfile, err := contextTar(*b.Context, dockerfile)
	if err != nil {
		return ImageState{}, err
	}
	defer buildContext.Close()
	buildArgs := map[string]*string{}
	for k, v := range b.Args {
		buildArgs[k] = ptr(v)
	}
	opts := build.ImageBuildOptions{
		Dockerfile:  relDockerfile,
		Tags:        []string{in.ImageName},
		BuildArgs:   buildArgs,
		Version:     build.BuilderV1,
		Platform:    deref(b.Platform),
		Target:      deref(b.Target),
		ExtraHosts:  b.AddHosts,
		NetworkMode: deref(b.Network),
		Remove:      true,
	}
	if b.CacheFrom != nil {
		opts.CacheFrom = b.CacheFrom.Images
	}
	resp, err := docker.ImageBuild(ctx, buildContext, opts)
	if err != nil {
		return ImageState{}, fmt.Errorf("image %s: build failed: %w", in.ImageName, err)
	}
	defer resp.Body.Close()
	log := p.GetLogger(ctx)
	var lastLines []string
	err = readJSONMessages(resp.Body, func(m jsonMessage) {
		if line := strings.TrimRight(m.Stream, "\n"); line != "" {
			log.InfoStatus(line)
			lastLines = append(lastLines, line)
			if len(lastLines) > 10 {
				lastLines = lastLines[1:]
			}
		}
		if len(m.Aux) > 0 {
			var aux struct{ ID string }
			_ = json.Unmarshal(m.Aux, &aux)
		}
	})
	if err != nil {
		return ImageState{}, fmt.Errorf("image %s: build failed: %w\n%s", in.ImageName, err, strings.Join(lastLines, "\n"))
	}
	built, err := docker.ImageInspect(ctx, in.ImageName)
	if err != nil {
		return ImageState{}, fmt.Errorf("image %s: built, but cannot be inspected: %w", in.ImageName, err)
	}
	log.Infof("Image built successfully, local id %q", built.ID)
	server := ""
	if in.Registry != nil {
		server = deref(in.Registry.Server)
	}
	return ImageState{
		ImageArgs:      in,
		BaseImageName:  in.ImageName,
		Context:        *b.Context,
		Dockerfile:     relDockerfile,
		Platform:       deref(b.Platform),
		RegistryServer: server,
		RepoDigest:     built.ID,
	}, nil
}

func ptr[T any](v T) *T { return &v }
