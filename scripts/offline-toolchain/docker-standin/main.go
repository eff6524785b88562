// pulumi-resource-docker stand-in, written for promemu's offline toolchain.
//
// The real provider (github.com/pulumi/pulumi-docker/provider/v5, which wraps the Terraform
// provider kreuzwerker/docker) is not served by the Go module proxy reachable here, and neither is
// the Terraform provider, so build.sh builds this instead when the real one cannot be had. It
// speaks to the Docker Engine API through github.com/docker/docker/client (API version
// negotiated, so a Docker 20.10 daemon, API 1.41, works) and implements only what promemu's
// program declares, with the tokens, property names and shapes of the real schema, so that
// @pulumi/docker 5.2.0 talks to it unchanged:
//
//   - docker:index/container:Container (container.go, container_run.go): create, copy `uploads`
//     in before start, connect `networksAdvanced` with aliases, start, and with `wait` poll the
//     health check until healthy (`waitTimeout` seconds). Every input forces a replacement.
//   - docker:index/network:Network (network.go), docker:index/volume:Volume (volume.go).
//   - docker:index/remoteImage:RemoteImage (remote_image.go): the local image, pulled if missing.
//   - docker:index/image:Image (image.go, build_context.go): a local build with the classic
//     builder (BuilderV1) through the Engine API's /build, context sent as a tar that honours
//     .dockerignore; the context's digest is an input, so a changed context rebuilds.
//   - provider configuration: `host` (docker:host), else DOCKER_HOST, else the default socket.
//
// Not implemented (refused with an error naming the input, or absent from the schema): every
// other resource and function (Service, Secret, RegistryImage, getRemoteImage, ...), BuildKit
// builds, pushing images (`skipPush` must be true), registry credentials, TLS and SSH
// connections, and most of Container's ~70 inputs (see containerArgs for the ones understood).
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi-go-provider/infer"
)

// version is set with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

func main() {
	prov, err := infer.NewProviderBuilder().
		WithConfig(infer.Config(Config{})).
		WithResources(
			infer.Resource(Container{}),
			infer.Resource(Network{}),
			infer.Resource(Volume{}),
			infer.Resource(RemoteImage{}),
			infer.Resource(Image{}),
		).
		WithDescription("promemu's stand-in for the Pulumi Docker provider (Container, Network, Volume, RemoteImage, Image only)").
		Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := prov.Run(context.Background(), "docker", strings.TrimPrefix(version, "v")); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %s\n", err)
		os.Exit(1)
	}
}
