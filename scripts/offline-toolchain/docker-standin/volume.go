package main

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Volume is the controller of docker:index/volume:Volume; every change replaces it. Keeping a
// volume on destroy is the engine's retainOnDelete option: Delete is then never called.
type Volume struct{}

func (v *Volume) Annotate(a infer.Annotator) {
	a.SetToken("index/volume", "Volume")
	a.Describe(&v, "A Docker volume (promemu stand-in: name, driver, driverOpts, labels).")
}

// VolumeLabel is one label ({label, value}).
type VolumeLabel struct {
	Label string `pulumi:"label"`
	Value string `pulumi:"value"`
}

type VolumeArgs struct {
	Name       *string           `pulumi:"name,optional"`
	Driver     *string           `pulumi:"driver,optional"`
	DriverOpts map[string]string `pulumi:"driverOpts,optional"`
	Labels     []VolumeLabel     `pulumi:"labels,optional"`
}

// VolumeState is the inputs (name and driver always set) and where the volume lives on the host.
type VolumeState struct {
	VolumeArgs
	Mountpoint string `pulumi:"mountpoint"`
}

func (Volume) Create(ctx context.Context, req infer.CreateRequest[VolumeArgs]) (infer.CreateResponse[VolumeState], error) {
	in := req.Inputs
	if in.Name == nil {
		name := req.Name + "-" + randomHex(4)[:7]
		in.Name = &name
	}
	if in.Driver == nil {
		driver := "local"
		in.Driver = &driver
	}
	state := VolumeState{VolumeArgs: in}
	if req.DryRun {
		return infer.CreateResponse[VolumeState]{Output: state}, nil
	}
	docker, err := dockerFor(ctx)
	if err != nil {
		return infer.CreateResponse[VolumeState]{}, err
	}
	labels := map[string]string{}
	for _, l := range in.Labels {
		labels[l.Label] = l.Value
	}
	created, err := docker.VolumeCreate(ctx, volume.CreateOptions{Name: *in.Name, Driver: *in.Driver, DriverOpts: in.DriverOpts, Labels: labels})
	if err != nil {
		return infer.CreateResponse[VolumeState]{}, fmt.Errorf("unable to create volume %s: %w", *in.Name, err)
	}
	state.Mountpoint = created.Mountpoint
	return infer.CreateResponse[VolumeState]{ID: created.Name, Output: state}, nil
}

func (Volume) Read(ctx context.Context, req infer.ReadRequest[VolumeArgs, VolumeState]) (infer.ReadResponse[VolumeArgs, VolumeState], error) {
	docker, err := dockerFor(ctx)
	if err != nil {
		return infer.ReadResponse[VolumeArgs, VolumeState]{}, err
	}
	if _, err := docker.VolumeInspect(ctx, req.ID); err != nil {
		if client.IsErrNotFound(err) {
			return infer.ReadResponse[VolumeArgs, VolumeState]{}, nil
		}
		return infer.ReadResponse[VolumeArgs, VolumeState]{}, err
	}
	return infer.ReadResponse[VolumeArgs, VolumeState]{ID: req.ID, Inputs: req.Inputs, State: req.State}, nil
}

func (Volume) Delete(ctx context.Context, req infer.DeleteRequest[VolumeState]) (infer.DeleteResponse, error) {
	docker, err := dockerFor(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	if err := docker.VolumeRemove(ctx, req.ID, false); err != nil && !client.IsErrNotFound(err) {
		return infer.DeleteResponse{}, fmt.Errorf("unable to remove volume %s: %w", req.ID, err)
	}
	return infer.DeleteResponse{}, nil
}
