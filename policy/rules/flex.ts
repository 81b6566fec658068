/**
 * Flex Consumption (FC1): what the platform rejects or silently ignores, and the exact runtime
 * version strings it accepts. None of the catalog's anchors check these; users hit them at deploy
 * time (ARM error 51021, or an app that deploys and never starts).
 */
import type { PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import {
  T,
  UNKNOWN,
  eqIgnoreCase,
  hasFunctionAppConfig,
  peek,
  resourcePolicy,
  settingsFromMap,
  settingsFromPairs,
  show,
  stackPolicy,
  type AppSetting,
  type PlatformPolicy,
} from "./common";
import { FLEX_REJECTED_SITE_CONFIG, flexRejection } from "./flex-facts";
import { belongsToSite, forSites, type SiteProps } from "./web";

export { FLEX_REJECTED_SETTINGS, FLEX_REJECTED_SITE_CONFIG, flexRejection } from "./flex-facts";

function settingProblems(settings: readonly AppSetting[]): string[] {
  return settings.flatMap((s) => {
    const why = flexRejection(s.name);
    return why ? [`remove app setting ${s.name} (${why})`] : [];
  });
}

function siteConfigProblems(site: SiteProps): string[] {
  const cfg = peek(() => site.siteConfig);
  if (cfg === UNKNOWN || cfg === undefined) return [];
  return (Object.keys(FLEX_REJECTED_SITE_CONFIG) as (keyof typeof FLEX_REJECTED_SITE_CONFIG)[]).flatMap((key) => {
    const v = peek(() => cfg[key]);
    return v === undefined || v === null ? [] : [`remove siteConfig.${key} (${show(v === UNKNOWN ? UNKNOWN : v)}): ${FLEX_REJECTED_SITE_CONFIG[key]}`];
  });
}

/** Everything on a site Flex rejects or ignores. */
export function flexSiteProblems(site: SiteProps): string[] {
  return [...settingProblems(settingsFromPairs(site.siteConfig?.appSettings)), ...siteConfigProblems(site)];
}

const siteLabel = (args: ResourceValidationArgs): string => `Flex Consumption ${args.type === T.WebAppSlot ? "slot" : "app"} "${args.name}"`;

export const flexUnsupportedSettings = resourcePolicy({
  name: "flex-unsupported-settings",
  description: "Flex Consumption apps (functionAppConfig set) carry no app setting or siteConfig property Flex rejects or ignores.",
  severity: "high",
  remediationSteps:
    "Remove FUNCTIONS_WORKER_RUNTIME, WEBSITE_RUN_FROM_PACKAGE, WEBSITE_CONTENT*, SCM_DO_BUILD_DURING_DEPLOYMENT, WEBSITE_NODE_DEFAULT_VERSION, FUNCTIONS_EXTENSION_VERSION and siteConfig linuxFxVersion, netFrameworkVersion, use32BitWorkerProcess, ftpsState, functionAppScaleLimit; use functionAppConfig instead.",
  validateResource: forSites((site, args, report) => {
    if (!hasFunctionAppConfig(site)) return args.notApplicable("not a Flex Consumption app (no functionAppConfig)");
    for (const problem of flexSiteProblems(site)) report(`${siteLabel(args)}: ${problem}.`);
  }),
});

/** Accepted `functionAppConfig.runtime.version` strings per runtime name. */
export const RUNTIME_VERSION_FORMATS: Readonly<Record<string, { readonly pattern: RegExp; readonly example: string }>> = {
  node: { pattern: /^\d+$/, example: "22" },
  java: { pattern: /^\d+$/, example: "21" },
  python: { pattern: /^\d+\.\d+$/, example: "3.12" },
  "dotnet-isolated": { pattern: /^\d+\.\d+$/, example: "8.0" },
  powershell: { pattern: /^\d+\.\d+$/, example: "7.4" },
};

export const funcRuntimeVersionFormat = resourcePolicy({
  name: "func-runtime-version-format",
  description: 'Runtime versions are the exact strings the platform accepts (node "22", not "22.0" or "~22").',
  severity: "high",
  remediationSteps: 'Write functionAppConfig.runtime.version as the platform lists it: node "22", python "3.12", dotnet-isolated "8.0"; linuxFxVersion "Node|22".',
  validateResource: forSites((site, args, report) => {
    const runtime = peek(() => site.functionAppConfig?.runtime);
    if (runtime !== UNKNOWN && runtime !== undefined && runtime.name !== undefined) {
      const name = String(runtime.name).toLowerCase();
      const version = peek(() => runtime.version);
      if (version === UNKNOWN) return;
      const format = RUNTIME_VERSION_FORMATS[name];
      if (version === undefined || version === "") {
        report(`app "${args.name}" sets functionAppConfig.runtime.name "${name}" without a version: set version${format ? ` (e.g. "${format.example}")` : ""}.`);
      } else if (format && !format.pattern.test(version)) {
        report(`app "${args.name}" has functionAppConfig.runtime.version ${show(version)} for ${name}: write it as the platform accepts it, e.g. "${format.example}".`);
      }
      return;
    }
    const fx = peek(() => site.siteConfig?.linuxFxVersion);
    if (typeof fx === "string" && /^node\|/i.test(fx)) {
      if (!/^node\|\d+$/i.test(fx)) {
        report(`app "${args.name}" has siteConfig.linuxFxVersion ${show(fx)}: write it as "Node|<major>", e.g. "Node|22".`);
      }
      return;
    }
    return args.notApplicable("no runtime version declared");
  }),
});

// ---------------------------------------------------------------------------------------------
// Stack: apps on FC1 plans
// ---------------------------------------------------------------------------------------------

export function isFlexPlan(plan: PolicyResource): boolean {
  const sku = peek(() => plan.props.sku) as { name?: unknown; tier?: unknown } | typeof UNKNOWN | undefined;
  if (sku === UNKNOWN || sku === undefined || sku === null) return false;
  return eqIgnoreCase(peek(() => sku.name), "FC1") || eqIgnoreCase(peek(() => sku.tier), "FlexConsumption");
}

/** Whether `app` is hosted on `plan` (through `serverFarmId`). */
export function isOnPlan(app: PolicyResource, plan: PolicyResource): boolean {
  if ((app.propertyDependencies["serverFarmId"] ?? []).some((r) => r.urn === plan.urn)) return true;
  const farm = peek(() => app.props.serverFarmId);
  const planName = peek(() => plan.props.name);
  if (typeof farm !== "string" || typeof planName !== "string") return false;
  return farm.toLowerCase().endsWith(`/serverfarms/${planName.toLowerCase()}`);
}

export const flexPlanApps = stackPolicy({
  name: "flex-plan-apps",
  description:
    "Apps on an FC1 plan declare functionAppConfig, one app per plan, on a Linux (reserved) plan; settings in separate web:WebAppApplicationSettings carry nothing Flex rejects.",
  severity: "high",
  remediationSteps:
    "Give each app on an FC1 plan its own plan and a functionAppConfig (deployment storage, runtime, scaleAndConcurrency); set reserved: true on the plan; drop Flex-rejected settings wherever they are declared.",
  validateStack: (args, report) => {
    const plans = args.resources.filter((r) => r.type === T.AppServicePlan && isFlexPlan(r));
    const apps = args.resources.filter((r) => r.type === T.WebApp);
    const flexApps = new Set<PolicyResource>(apps.filter((a) => hasFunctionAppConfig(a.props)));
    if (plans.length === 0 && flexApps.size === 0) return args.notApplicable("no Flex Consumption plans or apps");
    for (const plan of plans) {
      if (peek(() => plan.props.reserved) === false || peek(() => plan.props.reserved) === undefined) {
        report(`FC1 plan "${plan.name}" has reserved ${show(peek(() => plan.props.reserved))}: set reserved: true (Flex Consumption is Linux only).`, plan.urn);
      }
      const hosted = apps.filter((a) => isOnPlan(a, plan));
      if (hosted.length > 1) {
        report(`FC1 plan "${plan.name}" hosts ${hosted.length} apps (${hosted.map((a) => a.name).join(", ")}): Flex Consumption allows one app per plan; give each app its own plan.`, plan.urn);
      }
      for (const app of hosted) {
        if (flexApps.has(app)) continue;
        flexApps.add(app);
        report(`app "${app.name}" is on FC1 plan "${plan.name}" but has no functionAppConfig: declare deployment storage, runtime and scaleAndConcurrency there.`, app.urn);
        for (const problem of flexSiteProblems(app.props as SiteProps)) report(`Flex Consumption app "${app.name}": ${problem}.`, app.urn);
      }
    }
    const settingsResources = args.resources.filter((r) => r.type === T.WebAppApplicationSettings);
    for (const app of flexApps) {
      for (const s of settingsResources.filter((r) => belongsToSite(r, app))) {
        for (const problem of settingProblems(settingsFromMap(peek(() => s.props.properties)))) {
          report(`app settings "${s.name}" of Flex Consumption app "${app.name}": ${problem}.`, s.urn);
        }
      }
    }
  },
});

export const flexPolicies: PlatformPolicy[] = [flexUnsupportedSettings, funcRuntimeVersionFormat, flexPlanApps];
