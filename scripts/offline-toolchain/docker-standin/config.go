package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Config is the provider configuration (docker:host, ...). Only `host` is used; the TLS and SSH
// settings of the real provider are accepted in the schema but refused when set.
type Config struct {
	Host         *string  `pulumi:"host,optional"`
	Context      *string  `pulumi:"context,optional"`
	CaMaterial   *string  `pulumi:"caMaterial,optional"`
	CertMaterial *string  `pulumi:"certMaterial,optional"`
	KeyMaterial  *string  `pulumi:"keyMaterial,optional"`
	CertPath     *string  `pulumi:"certPath,optional"`
	SSHOpts      []string `pulumi:"sshOpts,optional"`

	DisableDockerDaemonCheck *bool `pulumi:"disableDockerDaemonCheck,optional"`
}

func (c *Config) Annotate(a infer.Annotator) {
	a.Describe(&c.Host, "The Docker daemon address (unix:// or tcp://); default: DOCKER_HOST, else the local socket.")
}

var (
	dockerOnce   sync.Once
	dockerClient *client.Client
	dockerErr    error
)

// Configure checks the settings this stand-in cannot honour; the client is made on first use.
func (c *Config) Configure(ctx context.Context) error {
	for name, v := range map[string]*string{"caMaterial": c.CaMaterial, "certMaterial": c.CertMaterial,
		"keyMaterial": c.KeyMaterial, "certPath": c.CertPath, "context": c.Context} {
		if v != nil && *v != "" {
			return fmt.Errorf("docker:%s is not supported by promemu's stand-in docker provider (plain unix:// or tcp:// hosts only)", name)
		}
	}
	if len(c.SSHOpts) > 0 {
		return fmt.Errorf("docker:sshOpts is not supported by promemu's stand-in docker provider")
	}
	return nil
}

// dockerFor returns the Docker client for the provider configuration in ctx (one per process: a
// provider process has one configuration). The API version is negotiated with the daemon, so the
// client refuses what the daemon's version cannot do, as the real provider's client does.
func dockerFor(ctx context.Context) (*client.Client, error) {
	cfg := infer.GetConfig[Config](ctx)
	dockerOnce.Do(func() {
		opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
		if cfg.Host != nil && *cfg.Host != "" {
			opts = append(opts, client.WithHost(*cfg.Host))
		}
		dockerClient, dockerErr = client.NewClientWithOpts(opts...)
		if dockerErr == nil {
			// Negotiate now so that version checks in the client see the daemon's version.
			dockerClient.NegotiateAPIVersion(ctx)
		}
	})
	if dockerErr != nil {
		return nil, fmt.Errorf("cannot set up the Docker client: %w", dockerErr)
	}
	return dockerClient, nil
}
