/** Keys of the Docker labels on every container, volume and network of a stack (`docker ps --filter label=...`). */
export const LABEL_KEYS = {
  project: "io.promemu.project",
  stack: "io.promemu.stack",
  component: "io.promemu.component",
} as const;
