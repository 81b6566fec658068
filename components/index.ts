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
// Still outside the package folder (the helpers move in under issue 15's "Components that stand on their own").
export type { NameContext } from "../lib/naming";
export type { Tags } from "../lib/tags";
export type { Grantee } from "../lib/roles";
export type { ServiceSizing, StackConfig } from "../lib/config";
export { UserError } from "../lib/user-error";
export type { ContainerDeclaration, QueueDeclaration, TriggerKind } from "../functions-src/shared/manifest";
export type { TopicInputSchema } from "../functions-src/shared/event-schema";
