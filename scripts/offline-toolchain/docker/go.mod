// Wrapper module for the real pulumi-resource-docker. github.com/pulumi/pulumi-docker/provider/v5
// has no tags of its own; the newest release whose commit is known here is v5.1.0 (commit
// e944612c4c97, 2026-06-26), so this pins that pseudo-version. NOT served by the Go module proxy
// here (403, as is its version list), and neither is the Terraform provider it wraps, so nothing
// more of the wrapper (a main with the embedded schema, the `shim` replacement) is written yet:
// see ../README.md. build.sh reports the module@version that cannot be had.
module promemu.local/offline-toolchain/docker

go 1.25.9

require github.com/pulumi/pulumi-docker/provider/v5 v5.0.0-20260626165050-e944612c4c97

replace github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2 v2.0.0-20260318212141-5525259d096b

tool github.com/pulumi/pulumi-docker/provider/v5/cmd/pulumi-resource-docker
