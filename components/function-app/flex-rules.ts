/**
 * What Flex Consumption rejects or silently ignores, checked before anything is sent to Azure.
 *
 * ARM answers some of these with an error only at deploy time (error 51021 for `siteConfig`
 * properties); others it accepts and then ignores (WEBSITE_RUN_FROM_PACKAGE), which is worse: the
 * app runs with a configuration nobody intended. A plan that carries them is refused with one message
 * naming each key and why.
 *
 * Pure: no Pulumi, no I/O. Values that are not plain strings (unresolved outputs) are skipped here;
 * the component checks them again when they resolve.
 */
import { UserError } from "../core/user-error";
import {
  FLEX_HTTP_PER_INSTANCE_CONCURRENCY,
  FLEX_INSTANCE_MEMORY,
  FLEX_MAXIMUM_INSTANCE_COUNT,
  FLEX_REJECTED_SITE_CONFIG,
  ZONE_REDUNDANT_MIN_ALWAYS_READY,
  flexRejection,
} from "./flex-facts";
import { isKeyVaultReference, keyMarkerIn, secretShape } from "./secret-shapes";

export { FLEX_MAXIMUM_INSTANCE_COUNT, ZONE_REDUNDANT_MIN_ALWAYS_READY } from "./flex-facts";

/** The sizing the checks read (the stack config's `services.<name>` entries fit it). */
export interface FlexSizing {
  readonly instanceMemoryMB: number;
  readonly maximumInstanceCount: number;
  readonly alwaysReady: readonly { readonly name: string; readonly instanceCount: number }[];
  readonly httpPerInstanceConcurrency?: number;
}

/** One thing Flex Consumption would reject or ignore. */
export interface FlexProblem {
  /** The app setting name, `sizing.<field>` or `siteConfig.<property>`. */
  readonly key: string;
  /** The complete sentence: what is wrong and what to do instead. */
  readonly message: string;
}

export interface FlexSettingsInput {
  /** App settings by name; only plain string values are inspected. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly sizing: FlexSizing;
  /** `siteConfig` properties (besides app settings) that will be sent with the app. @default none */
  readonly siteConfigExtras?: Readonly<Record<string, unknown>>;
  /** Whether the plan is zone redundant (it raises the always-ready minimum to 2). @default false */
  readonly zoneRedundant?: boolean;
  /** The Flex scale groups of the app's functions (`http`, `durable`, `function:<name>`), when known. */
  readonly scaleGroups?: readonly string[];
}

/** Settings that are not Flex-specific but carry an account key or are retired: refused on every app. */
const KEYED_SETTINGS: readonly { readonly name: string; readonly why: string }[] = [
  {
    name: "AzureWebJobsStorage",
    why: "a storage connection string carries an account key; the component writes the identity-based AzureWebJobsStorage__* settings",
  },
  { name: "AzureWebJobsDashboard", why: "the dashboard is retired and its connection string carries an account key" },
  {
    name: "APPINSIGHTS_INSTRUMENTATIONKEY",
    why: "instrumentation keys are deprecated; pass the appInsights arg (connection string with Entra ID authentication)",
  },
];

/** Every problem Flex Consumption would have with these settings and this sizing; empty when there is none. */
export function checkFlexSettings(input: FlexSettingsInput): FlexProblem[] {
  return [
    ...checkSettings(input.settings),
    ...checkSizing(input.sizing),
    ...checkZoneRedundancy(input.sizing, input.zoneRedundant ?? false),
    ...checkScaleGroups(input.sizing, input.scaleGroups),
    ...checkSiteConfig(input.siteConfigExtras ?? {}),
  ];
}

function checkSettings(settings: Readonly<Record<string, unknown>>): FlexProblem[] {
  const problems: FlexProblem[] = [];
  for (const [key, value] of Object.entries(settings)) {
    const why = flexRejection(key) ?? KEYED_SETTINGS.find((f) => f.name.toLowerCase() === key.toLowerCase())?.why;
    if (why) problems.push({ key, message: `${key} is not allowed on Flex Consumption: ${why}` });
    if (typeof value === "string") {
      const secret = secretIn(value);
      if (secret) problems.push({ key, message: secretMessage(key, secret) });
    }
  }
  return problems;
}

/** What kind of secret `value` carries, if it carries one. */
export function secretIn(value: string): string | undefined {
  if (isKeyVaultReference(value)) return undefined;
  return keyMarkerIn(value)?.what ?? secretShape(value);
}

/** The message for an app setting whose value is a secret (shared with the component's late check). */
export function secretMessage(key: string, what: string): string {
  return (
    `${key} must not hold a secret: its value contains ${what}; use an identity-based connection ` +
    `(<PREFIX>__<endpoint property> with __credential=managedidentity) or a Key Vault reference @Microsoft.KeyVault(SecretUri=...)`
  );
}

function checkSizing(sizing: FlexSizing): FlexProblem[] {
  const problems: FlexProblem[] = [];
  const memories: readonly number[] = FLEX_INSTANCE_MEMORY;
  if (!memories.includes(sizing.instanceMemoryMB)) {
    problems.push({
      key: "sizing.instanceMemoryMB",
      message: `sizing.instanceMemoryMB ${sizing.instanceMemoryMB} is not a Flex Consumption instance size: expected ${FLEX_INSTANCE_MEMORY.join(", ")}`,
    });
  }
  const max = sizing.maximumInstanceCount;
  const { min: lowest, max: highest } = FLEX_MAXIMUM_INSTANCE_COUNT;
  if (!Number.isInteger(max) || max < lowest || max > highest) {
    problems.push({
      key: "sizing.maximumInstanceCount",
      message: `sizing.maximumInstanceCount ${max} is outside what Flex Consumption accepts: an integer from ${lowest} to ${highest}`,
    });
  }
  const seen = new Set<string>();
  for (const entry of sizing.alwaysReady) {
    const name = entry.name.toLowerCase();
    if (seen.has(name)) {
      problems.push({
        key: "sizing.alwaysReady",
        message: `sizing.alwaysReady names "${entry.name}" more than once: Flex keeps one instance count per group or function`,
      });
    }
    seen.add(name);
    if (!Number.isInteger(entry.instanceCount) || entry.instanceCount < 1) {
      problems.push({
        key: "sizing.alwaysReady",
        message: `sizing.alwaysReady "${entry.name}" has instanceCount ${entry.instanceCount}: expected an integer of at least 1 (remove the entry for none)`,
      });
    }
  }
  const total = sizing.alwaysReady.reduce((n, e) => n + e.instanceCount, 0);
  if (total > max) {
    problems.push({
      key: "sizing.alwaysReady",
      message: `sizing.alwaysReady keeps ${total} instances ready in total, more than sizing.maximumInstanceCount ${max}`,
    });
  }
  const concurrency = sizing.httpPerInstanceConcurrency;
  const { min: fewest, max: most } = FLEX_HTTP_PER_INSTANCE_CONCURRENCY;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < fewest || concurrency > most)) {
    problems.push({
      key: "sizing.httpPerInstanceConcurrency",
      message: `sizing.httpPerInstanceConcurrency ${concurrency} is outside what Flex Consumption accepts: an integer from ${fewest} to ${most}`,
    });
  }
  return problems;
}

function checkZoneRedundancy(sizing: FlexSizing, zoneRedundant: boolean): FlexProblem[] {
  if (!zoneRedundant) return [];
  return sizing.alwaysReady
    .filter((e) => e.instanceCount < ZONE_REDUNDANT_MIN_ALWAYS_READY)
    .map((e) => ({
      key: "sizing.alwaysReady",
      message:
        `sizing.alwaysReady "${e.name}" has instanceCount ${e.instanceCount}, but the plan is zone redundant: Flex Consumption accepts at least ` +
        `${ZONE_REDUNDANT_MIN_ALWAYS_READY} per function or group there (and bills 2 per scale group anyway); set instanceCount >= ${ZONE_REDUNDANT_MIN_ALWAYS_READY}, ` +
        "or turn the service's zoneRedundant off (learn.microsoft.com/azure/reliability/reliability-functions, Flex Consumption)",
    }));
}

/** An always-ready entry for a group or function the app does not have keeps nothing warm (and the platform refuses unknown names). */
function checkScaleGroups(sizing: FlexSizing, groups: readonly string[] | undefined): FlexProblem[] {
  if (groups === undefined) return [];
  const known = new Set(groups.map((g) => g.toLowerCase()));
  return sizing.alwaysReady
    .filter((e) => !known.has(e.name.toLowerCase()))
    .map((e) => ({
      key: "sizing.alwaysReady",
      message: `sizing.alwaysReady names "${e.name}", which is not a scale group of this app's functions: expected one of ${groups.join(", ") || "(none)"}`,
    }));
}

function checkSiteConfig(extras: Readonly<Record<string, unknown>>): FlexProblem[] {
  const problems: FlexProblem[] = [];
  for (const key of Object.keys(extras)) {
    if (extras[key] === undefined) continue;
    if (Object.hasOwn(FLEX_REJECTED_SITE_CONFIG, key)) {
      const why = FLEX_REJECTED_SITE_CONFIG[key as keyof typeof FLEX_REJECTED_SITE_CONFIG];
      problems.push({ key: `siteConfig.${key}`, message: `siteConfig.${key} is not allowed on Flex Consumption: ${why}` });
    }
  }
  return problems;
}

/** The error a component throws for a non-empty list of problems. */
/** A user mistake (the stack file or the component args): printed as its message alone, no stack trace. */
export class FlexSettingsError extends UserError {
  constructor(
    readonly component: string,
    readonly problems: readonly FlexProblem[],
  ) {
    super(
      `FunctionApp "${component}" has ${problems.length === 1 ? "a setting" : "settings"} Flex Consumption rejects or ignores:\n` +
        problems.map((p) => `  - ${p.message}`).join("\n"),
    );
  }
}
