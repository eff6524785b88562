package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"
)

// containerConfig turns the inputs into the Engine API's create request.
func containerConfig(in ContainerArgs) (*container.Config, *container.HostConfig, error) {
	config := &container.Config{
		Image:        in.Image,
		Cmd:          in.Command,
		Entrypoint:   in.Entrypoints,
		Env:          in.Envs,
		Hostname:     deref(in.Hostname),
		Domainname:   deref(in.Domainname),
		User:         deref(in.User),
		WorkingDir:   deref(in.WorkingDir),
		StopSignal:   deref(in.StopSignal),
		StopTimeout:  in.StopTimeout,
		Labels:       map[string]string{},
		ExposedPorts: nat.PortSet{},
	}
	for _, l := range in.Labels {
		config.Labels[l.Label] = l.Value
	}
	hostConfig := &container.HostConfig{
		PortBindings:   nat.PortMap{},
		RestartPolicy:  container.RestartPolicy{Name: container.RestartPolicyMode(orDefault(in.Restart, "no"))},
		NetworkMode:    container.NetworkMode(deref(in.NetworkMode)),
		Init:           in.Init,
		ReadonlyRootfs: in.ReadOnly != nil && *in.ReadOnly,
	}
	if in.MaxRetryCount != nil {
		hostConfig.RestartPolicy.MaximumRetryCount = *in.MaxRetryCount
	}
	for _, p := range in.Ports {
		port, err := nat.NewPort(orDefault(p.Protocol, "tcp"), strconv.Itoa(p.Internal))
		if err != nil {
			return nil, nil, err
		}
		config.ExposedPorts[port] = struct{}{}
		binding := nat.PortBinding{HostIP: orDefault(p.Ip, "0.0.0.0")}
		if p.External != nil {
			binding.HostPort = strconv.Itoa(*p.External)
		}
		hostConfig.PortBindings[port] = append(hostConfig.PortBindings[port], binding)
	}
	for i, v := range in.Volumes {
		switch {
		case v.FromContainer != nil:
			hostConfig.VolumesFrom = append(hostConfig.VolumesFrom, *v.FromContainer)
		case v.ContainerPath == nil:
			return nil, nil, fmt.Errorf("volumes[%d]: containerPath is required", i)
		default:
			bind := *v.ContainerPath
			if src := orDefault(v.VolumeName, deref(v.HostPath)); src != "" {
				bind = src + ":" + bind
			}
			if v.ReadOnly != nil && *v.ReadOnly {
				bind += ":ro"
			}
			hostConfig.Binds = append(hostConfig.Binds, bind)
		}
	}
	if h := in.Healthcheck; h != nil {
		health := &container.HealthConfig{Test: h.Tests}
		for _, d := range []struct {
			name  string
			value *string
			into  *time.Duration
		}{
			{"interval", h.Interval, &health.Interval},
			{"timeout", h.Timeout, &health.Timeout},
			{"startPeriod", h.StartPeriod, &health.StartPeriod},
			{"startInterval", h.StartInterval, &health.StartInterval},
		} {
			if d.value == nil {
				continue
			}
			parsed, err := time.ParseDuration(*d.value)
			if err != nil {
				return nil, nil, fmt.Errorf("healthcheck.%s: %w", d.name, err)
			}
			*d.into = parsed
		}
		if h.Retries != nil {
			health.Retries = *h.Retries
		}
		config.Healthcheck = health
	}
	return config, hostConfig, nil
}

// ended is what attach learnt of a container that ran to its end.
type ended struct {
	exitCode int
	logs     *string
}

// runContainer does what follows the create: uploads, networks, start, and the wait for health or
// (attach) for the end of the container.
func runContainer(ctx context.Context, docker *client.Client, id string, in ContainerArgs) (*ended, error) {
	if len(in.Uploads) > 0 {
		archive, err := uploadsTar(in.Uploads)
		if err != nil {
			return nil, err
		}
		if err := docker.CopyToContainer(ctx, id, "/", archive, container.CopyToContainerOptions{}); err != nil {
			return nil, fmt.Errorf("unable to upload files to container: %w", err)
		}
	}
	if len(in.NetworksAdvanced) > 0 {
		// As the real provider: leave the default bridge (unless networkMode says otherwise), then
		// join each network with its aliases.
		if in.NetworkMode == nil || *in.NetworkMode == "" || *in.NetworkMode == "bridge" || *in.NetworkMode == "default" {
			if err := docker.NetworkDisconnect(ctx, "bridge", id, false); err != nil &&
				!strings.Contains(err.Error(), "is not connected to the network") {
				return nil, fmt.Errorf("unable to disconnect the default network: %w", err)
			}
		}
		for _, n := range in.NetworksAdvanced {
			endpoint := &network.EndpointSettings{Aliases: n.Aliases}
			if n.Ipv4Address != nil || n.Ipv6Address != nil {
				endpoint.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: deref(n.Ipv4Address), IPv6Address: deref(n.Ipv6Address)}
			}
			if err := docker.NetworkConnect(ctx, n.Name, id, endpoint); err != nil {
				return nil, fmt.Errorf("unable to connect container to network %s: %w", n.Name, err)
			}
		}
	}
	if in.Start != nil && !*in.Start {
		return nil, nil
	}
	if err := docker.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return nil, fmt.Errorf("unable to start container: %w", err)
	}
	if in.Attach != nil && *in.Attach {
		return waitEnded(ctx, docker, id, in.Logs != nil && *in.Logs)
	}
	if in.Wait != nil && *in.Wait {
		timeout := 60
		if in.WaitTimeout != nil {
			timeout = *in.WaitTimeout
		}
		return nil, waitHealthy(ctx, docker, id, deref(in.Name), time.Duration(timeout)*time.Second)
	}
	return nil, nil
}

// waitEnded waits for the container to stop, as the real provider's attach does: an exit code other
// than 0 is no error (the program reads exitCode). Its output is read once it has ended, so none is lost.
func waitEnded(ctx context.Context, docker *client.Client, id string, withLogs bool) (*ended, error) {
	statusCh, errCh := docker.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	var code int
	select {
	case err := <-errCh:
		return nil, fmt.Errorf("unable to wait for the end of container %s: %w", id, err)
	case status := <-statusCh:
		code = int(status.StatusCode)
	}
	result := &ended{exitCode: code}
	if withLogs {
		reader, err := docker.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
		if err != nil {
			return nil, fmt.Errorf("unable to read the logs of container %s: %w", id, err)
		}
		defer reader.Close()
		var out bytes.Buffer
		if _, err := stdcopy.StdCopy(&out, &out, reader); err != nil {
			return nil, fmt.Errorf("unable to read the logs of container %s: %w", id, err)
		}
		text := out.String()
		result.logs = &text
	}
	return result, nil
}

// waitHealthy polls the container's health until Docker reports it healthy, or fails after
// timeout with the last health check's result.
func waitHealthy(ctx context.Context, docker *client.Client, id, name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		info, err := docker.ContainerInspect(ctx, id)
		if err != nil {
			return fmt.Errorf("error inspecting container state: %w", err)
		}
		if info.State == nil || info.State.Health == nil {
			return fmt.Errorf("container %s has no health check, so `wait` cannot wait for it to be healthy", name)
		}
		if info.State.Health.Status == container.Healthy {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container %s did not become healthy within %s: %s", name, timeout, healthSummary(info))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// healthSummary is the container's state, health status and last health check, for an error.
func healthSummary(info container.InspectResponse) string {
	s := info.State
	text := fmt.Sprintf("status %s, health %s", s.Status, s.Health.Status)
	if !s.Running {
		text += fmt.Sprintf(", exit code %d", s.ExitCode)
	}
	if n := len(s.Health.Log); n > 0 {
		last := s.Health.Log[n-1]
		text += fmt.Sprintf("; last health check (exit code %d): %s", last.ExitCode, strings.TrimSpace(last.Output))
	} else {
		text += "; no health check has run yet"
	}
	return text
}

// uploadsTar packs the uploads into a tar archive of absolute paths, to be extracted at "/".
func uploadsTar(uploads []ContainerUpload) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, u := range uploads {
		var content []byte
		switch {
		case u.Owner != nil || u.Group != nil:
			return nil, fmt.Errorf("uploads %s: owner and group are not supported by promemu's stand-in docker provider", u.File)
		case u.Content != nil:
			content = []byte(*u.Content)
		case u.ContentBase64 != nil:
			decoded, err := base64.StdEncoding.DecodeString(*u.ContentBase64)
			if err != nil {
				return nil, fmt.Errorf("uploads %s: contentBase64: %w", u.File, err)
			}
			content = decoded
		case u.Source != nil:
			read, err := os.ReadFile(*u.Source)
			if err != nil {
				return nil, fmt.Errorf("uploads %s: source: %w", u.File, err)
			}
			content = read
		default:
			return nil, fmt.Errorf("uploads %s: one of content, contentBase64 or source is required", u.File)
		}
		mode := int64(0o644)
		if u.Executable != nil && *u.Executable {
			mode = 0o744
		}
		if u.Permissions != nil {
			parsed, err := strconv.ParseInt(*u.Permissions, 8, 32)
			if err != nil {
				return nil, fmt.Errorf("uploads %s: permissions %q is not an octal mode", u.File, *u.Permissions)
			}
			mode = parsed
		}
		header := &tar.Header{Name: u.File, Mode: mode, Size: int64(len(content)), ModTime: time.Now(), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(header); err != nil {
			return nil, err
		}
		if _, err := tw.Write(content); err != nil {
			return nil, err
		}
	}
	return &buf, tw.Close()
}
