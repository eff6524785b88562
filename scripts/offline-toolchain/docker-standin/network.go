package main

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Network is the controller of docker:index/network:Network; every change replaces it.
type Network struct{}

func (n *Network) Annotate(a infer.Annotator) {
	a.SetToken("index/network", "Network")
	a.Describe(&n, "A Docker network (promemu stand-in: name, driver, attachable, internal, labels, options).")
}

// NetworkLabel is one label ({label, value}).
type NetworkLabel struct {
	Label string `pulumi:"label"`
	Value string `pulumi:"value"`
}

type NetworkArgs struct {
	Name       *string           `pulumi:"name,optional"`
	Driver     *string           `pulumi:"driver,optional"`
	Attachable *bool             `pulumi:"attachable,optional"`
	Internal   *bool             `pulumi:"internal,optional"`
	Labels     []NetworkLabel    `pulumi:"labels,optional"`
	Options    map[string]string `pulumi:"options,optional"`
}

// NetworkState is the inputs (name and driver always set) and the network's scope.
type NetworkState struct {
	NetworkArgs
	Scope string `pulumi:"scope"`
}

func (Network) Create(ctx context.Context, req infer.CreateRequest[NetworkArgs]) (infer.CreateResponse[NetworkState], error) {
	in := req.Inputs
	if in.Name == nil {
		name := req.Name + "-" + randomHex(4)[:7]
		in.Name = &name
	}
	if in.Driver == nil {
		driver := "bridge"
		in.Driver = &driver
	}
	state := NetworkState{NetworkArgs: in}
	if req.DryRun {
		return infer.CreateResponse[NetworkState]{Output: state}, nil
	}
	docker, err := dockerFor(ctx)
	if err != nil {
		return infer.CreateResponse[NetworkState]{}, err
	}
	labels := map[string]string{}
	for _, l := range in.Labels {
		labels[l.Label] = l.Value
	}
	created, err := docker.NetworkCreate(ctx, *in.Name, network.CreateOptions{
		Driver:     *in.Driver,
		Attachable: deref(in.Attachable),
		Internal:   deref(in.Internal),
		Labels:     labels,
		Options:    in.Options,
	})
	if err != nil {
		return infer.CreateResponse[NetworkState]{}, fmt.Errorf("unable to create network %s: %w", *in.Name, err)
	}
	if inspected, err := docker.NetworkInspect(ctx, created.ID, network.InspectOptions{}); err == nil {
		state.Scope = inspected.Scope
	}
	return infer.CreateResponse[NetworkState]{ID: created.ID, Output: state}, nil
}

func (Network) Read(ctx context.Context, req infer.ReadRequest[NetworkArgs, NetworkState]) (infer.ReadResponse[NetworkArgs, NetworkState], error) {
	docker, err := dockerFor(ctx)
	if err != nil {
		return infer.ReadResponse[NetworkArgs, NetworkState]{}, err
	}
	if _, err := docker.NetworkInspect(ctx, req.ID, network.InspectOptions{}); err != nil {
		if client.IsErrNotFound(err) {
			return infer.ReadResponse[NetworkArgs, NetworkState]{}, nil
		}
		return infer.ReadResponse[NetworkArgs, NetworkState]{}, err
	}
	return infer.ReadResponse[NetworkArgs, NetworkState]{ID: req.ID, Inputs: req.Inputs, State: req.State}, nil
}

func (Network) Delete(ctx context.Context, req infer.DeleteRequest[NetworkState]) (infer.DeleteResponse, error) {
	docker, err := dockerFor(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	if err := docker.NetworkRemove(ctx, req.ID); err != nil && !client.IsErrNotFound(err) {
		return infer.DeleteResponse{}, fmt.Errorf("unable to remove network %s: %w", req.ID, err)
	}
	return infer.DeleteResponse{}, nil
}
