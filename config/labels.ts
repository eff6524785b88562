/** Keys of the Docker labels on every container, volume and network of a stack (`docker ps --filter label=...`). */
export const LABEL_KEYS = {
  project: "io.promemu.project",
  stack: "io.promemu.stack",
  component: "io.promemu.component",
  /**
   * On every step of the emulator image's build (emulator/Dockerfile) and so on the image: the docker provider's
   * classic build keeps each step's container (it asks Docker for rm=0), and these are found by it. The stack's
   * containers run from that image too, but they also carry `stack`.
   */
  emulatorBuild: "io.promemu.emulator-build",
} as const;
