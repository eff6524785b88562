// Wrapper module for the real pulumi-resource-command 1.2.1 (tag v1.2.1 = commit 7f3eb6f3b77c of
// github.com/pulumi/pulumi-command; its provider module has no tags of its own, so the version is
// the pseudo-version of that commit). NOT served by the Go module proxy here (403), so build.sh
// falls back to ../command-standin. Kept so that the real one is built as soon as it is served.
module promemu.local/offline-toolchain/command

go 1.25.0

require github.com/pulumi/pulumi-command/provider v0.0.0-20260303235922-7f3eb6f3b77c

tool github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command
