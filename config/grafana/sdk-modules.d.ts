/*
 * The SDK publishes its modules only through package.json "exports" ("@grafana/grafana-foundation-sdk/dashboard"),
 * which Node and Jest honour at run time but the root tsconfig's `moduleResolution: "node"` does not read at
 * type-check time. These declarations point the type checker at the same files; drop them once the tsconfig
 * moves to `moduleResolution: "node16"`.
 */
declare module "@grafana/grafana-foundation-sdk/cog" {
  export * from "@grafana/grafana-foundation-sdk/dist/cog/index";
}
declare module "@grafana/grafana-foundation-sdk/common" {
  export * from "@grafana/grafana-foundation-sdk/dist/common/index";
}
declare module "@grafana/grafana-foundation-sdk/dashboard" {
  export * from "@grafana/grafana-foundation-sdk/dist/dashboard/index";
}
declare module "@grafana/grafana-foundation-sdk/prometheus" {
  export * from "@grafana/grafana-foundation-sdk/dist/prometheus/index";
}
declare module "@grafana/grafana-foundation-sdk/timeseries" {
  export * from "@grafana/grafana-foundation-sdk/dist/timeseries/index";
}
declare module "@grafana/grafana-foundation-sdk/stat" {
  export * from "@grafana/grafana-foundation-sdk/dist/stat/index";
}
declare module "@grafana/grafana-foundation-sdk/piechart" {
  export * from "@grafana/grafana-foundation-sdk/dist/piechart/index";
}
declare module "@grafana/grafana-foundation-sdk/table" {
  export * from "@grafana/grafana-foundation-sdk/dist/table/index";
}
declare module "@grafana/grafana-foundation-sdk/logs" {
  export * from "@grafana/grafana-foundation-sdk/dist/logs/index";
}
