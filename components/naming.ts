/** Physical names and labels: every Docker object carries project and stack, so stacks never collide on one host. */
import * as docker from "@pulumi/docker";
import { LABEL_KEYS } from "../config/labels";

export interface StackIdentity {
  /** Pulumi project name, e.g. `promemu`. */
  readonly project: string;
  /** Pulumi stack name, e.g. `dev` or `alice`. */
  readonly stack: string;
}

/** `promemu-dev`, `promemu-dev-prometheus`, `promemu-dev-prometheus-data`. */
export function physicalName(id: StackIdentity, ...parts: string[]): string {
  return [id.project, id.stack, ...parts].join("-");
}

/**
 * Replica k of a service: `emulator` for the first (so one replica is named as the service always was), `emulator-2`,
 * `emulator-3`, ... after it. The container's name part, hostname and network alias, and its resource name's suffix.
 */
export function replicaName(base: string, replica = 1): string {
  return replica === 1 ? base : `${base}-${replica}`;
}

/** Docker labels that let `docker ps --filter label=...` find one stack's objects. */
export function dockerLabels(id: StackIdentity, component: string): docker.types.input.ContainerLabel[] {
  return [
    { label: LABEL_KEYS.project, value: id.project },
    { label: LABEL_KEYS.stack, value: id.stack },
    { label: LABEL_KEYS.component, value: component },
  ];
}
