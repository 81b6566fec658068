/**
 * `@contoso/serverless-platform`: Pulumi components for a keyless serverless system on Azure.
 *
 * This is the package's only entry point (`exports["."]`): programs import every component and
 * helper from here, never from a file inside the package, so the files can move between releases.
 * Pulumi's component provider host analyses the classes reachable from this module to infer the
 * schema other languages use (see PulumiPlugin.yaml).
 */
export * from "./cosmos";
export * from "./entra-api-app";
export * from "./event-grid";
export * from "./key-vault";
export * from "./messaging";
export * from "./network";
export * from "./api-management";
export * from "./function-app";
export * from "./monitoring";
// Not re-exported by its folder's index: the program reports bundle failures with it.
export { formatCodeError } from "./function-app/bundle";

// Types the API above names in its signatures, so a consumer can name them too
// (test/components/package-api.test.ts: "names no type the entry point does not export").
export type { HealthApi, HealthApiArgs, HealthTarget } from "./api-management/health-api";
export type { ApiCallerValidation, OpenApiOperation, ParsedOpenApi, ServiceApiArgs } from "./api-management/service-api";
export type { TierCapabilities, TierTimeouts } from "./api-management/tiers";
export type { BundledFile, ServiceBundle } from "./function-app/bundle";
export type { FunctionTrigger } from "./function-app/scale-groups";
export type { DeclaredUse } from "./function-app/deployment";
export type { FlexInstanceMemory } from "./function-app/flex-facts";
export type { FlexSizing } from "./function-app/flex-rules";
export type {
  ApiLatencyAlertArgs,
  ApiServerErrorsAlertArgs,
  CosmosThrottlingAlertArgs,
  DeadLetterAlertArgs,
  FunctionFailureAlertArgs,
  LogAlertTiming,
  LogFrequency,
  LogWindow,
  MetricAlertTiming,
  MetricFrequency,
  MetricWindow,
  PoisonQueueAlertArgs,
  SeverityClass,
} from "./monitoring/alerts";
// The shared ground floor every component stands on: naming, tags, the standard interface, grants, links.
export * from "./core/naming";
export * from "./core/tags";
export * from "./core/roles";
export * from "./core/diagnostics";
export * from "./core/protection";
export * from "./core/standard";
export * from "./core/network-access";
export * from "./core/storage-sku";
export * from "./core/link";
export * from "./core/user-error";
