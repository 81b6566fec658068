/**
 * Flex Consumption (FC1) facts: what the platform rejects or silently ignores, and its instance limits.
 * Sources: Microsoft Learn, "App settings reference for Azure Functions" (learn.microsoft.com/azure/
 * azure-functions/functions-app-settings: settings marked unsupported or ignored on Flex Consumption),
 * "Flex Consumption plan hosting" (learn.microsoft.com/azure/azure-functions/flex-consumption-plan:
 * instance memory 512/2048/4096 MB, maximum instance count 40-1000, HTTP per-instance concurrency
 * 1-1000), "Reliability in Azure Functions" (zone redundancy: at least 2 always-ready instances), and
 * ARM error 51021 for the siteConfig properties.
 *
 * One text, two copies: components/function-app/flex-facts.ts (the component and the stack config
 * schema import it) and policy/rules/flex-facts.ts (the policy pack is published alone and imports
 * nothing outside policy/) are byte-identical; test/one-fact-one-place.test.ts fails when they differ.
 * Edit one, copy it over the other. No imports here, so the copy stands alone.
 */

/** App settings Flex rejects or ignores (compared case-insensitively), with where the setting lives instead. */
export const FLEX_REJECTED_SETTINGS: Readonly<Record<string, string>> = {
  FUNCTIONS_WORKER_RUNTIME: "the runtime is set in functionAppConfig.runtime",
  FUNCTIONS_WORKER_RUNTIME_VERSION: "the runtime version is set in functionAppConfig.runtime",
  FUNCTIONS_EXTENSION_VERSION: "Flex always runs Functions host 4.x and sets the host version itself",
  WEBSITE_NODE_DEFAULT_VERSION: "the Node.js version is set in functionAppConfig.runtime.version",
  WEBSITE_RUN_FROM_PACKAGE: "Flex ignores it and runs the package in functionAppConfig.deployment.storage (deployed with OneDeploy)",
  SCM_DO_BUILD_DURING_DEPLOYMENT: "deployments are pre-built packages published with OneDeploy (RemoteBuild=false)",
  ENABLE_ORYX_BUILD: "deployments are pre-built packages published with OneDeploy (RemoteBuild=false)",
  WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT: "the scale limit is functionAppConfig.scaleAndConcurrency.maximumInstanceCount",
};

/** Prefix of the content-share settings (WEBSITE_CONTENTSHARE, WEBSITE_CONTENTAZUREFILECONNECTIONSTRING, ...). */
export const FLEX_REJECTED_SETTING_PREFIX = "WEBSITE_CONTENT";
export const FLEX_CONTENT_SHARE_REASON = "Flex has no Azure Files content share; code lives in the deployment blob container";

/** siteConfig properties ARM rejects on Flex (error 51021), with the replacement. */
export const FLEX_REJECTED_SITE_CONFIG = {
  linuxFxVersion: "set functionAppConfig.runtime { name, version } instead",
  netFrameworkVersion: "set functionAppConfig.runtime { name, version } instead",
  use32BitWorkerProcess: "Flex runs 64-bit Linux workers only",
  ftpsState: "turn FTP off with web:WebAppFtpAllowed (allow: false) instead",
  functionAppScaleLimit: "set functionAppConfig.scaleAndConcurrency.maximumInstanceCount instead",
} as const;

/** Why an app setting must not be on a Flex app, or undefined when it may be. */
export function flexRejection(settingName: string): string | undefined {
  const upper = settingName.toUpperCase();
  if (upper.startsWith(FLEX_REJECTED_SETTING_PREFIX)) return FLEX_CONTENT_SHARE_REASON;
  return FLEX_REJECTED_SETTINGS[upper];
}

/** Instance sizes (MB) Flex offers; 2,048 is the platform's default. */
export const FLEX_INSTANCE_MEMORY = [512, 2048, 4096] as const;
export type FlexInstanceMemory = (typeof FLEX_INSTANCE_MEMORY)[number];
export const FLEX_DEFAULT_INSTANCE_MEMORY = 2048 satisfies FlexInstanceMemory;

/** Bounds of `scaleAndConcurrency.maximumInstanceCount` (the platform refuses fewer than 40). */
export const FLEX_MAXIMUM_INSTANCE_COUNT = { min: 40, max: 1000 } as const;

/** Bounds of `scaleAndConcurrency.triggers.http.perInstanceConcurrency`. */
export const FLEX_HTTP_PER_INSTANCE_CONCURRENCY = { min: 1, max: 1000 } as const;

/**
 * With zone redundancy, Flex accepts no fewer than 2 always-ready instances per function or group,
 * and keeps at least 2 per scale group anyway, billed as always-ready.
 */
export const ZONE_REDUNDANT_MIN_ALWAYS_READY = 2;
