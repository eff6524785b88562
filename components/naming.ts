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

/** Docker labels that let `docker ps --filter label=...` find one stack's objects. */
export function dockerLabels(id: StackIdentity, component: string): docker.types.input.ContainerLabel[] {
  return [
    { label: LABEL_KEYS.project, value: id.project },
    { label: LABEL_KEYS.stack, value: id.stack },
    { label: LABEL_KEYS.component, value: component },
  ];
}
