/**
 * The stack configuration: one typed, validated schema for everything `Pulumi.<stack>.yaml` may set.
 *
 * Keys live under the project namespace (`serverless-platform:<key>`). Every value is checked at
 * program start; a bad or missing value stops the program with one message that names each key and
 * what it expects (see {@link ConfigError}), never with a stack trace.
 */
import { z } from "zod";
import {
  FLEX_DEFAULT_INSTANCE_MEMORY,
  FLEX_HTTP_PER_INSTANCE_CONCURRENCY,
  FLEX_INSTANCE_MEMORY,
  FLEX_MAXIMUM_INSTANCE_COUNT,
  type FlexInstanceMemory,
} from "../components/function-app/flex-facts";
import { GATEWAY_SKUS, TIERS } from "../components/api-management/tiers";
import { didYouMean } from "./suggest";
import { PLATFORM_TAG_NAMES } from "../components/core/tags";
import { UserError } from "../components/core/user-error";
import { PARSE_OPTIONS, issuesToProblems } from "./zod-messages";

export const PROJECT = "serverless-platform";

/**
 * Config namespaces a stack file may use besides the project's: the providers the program creates
 * resources with (`@pulumi/azure-native`, `@pulumi/azuread`) and Pulumi's own (`pulumi:tags`, ...).
 * A key in any other namespace is a typo (`serverless-platfrom:protectData`) that would be ignored.
 */
export const PROVIDER_NAMESPACES = ["azure-native", "azuread", "pulumi"] as const;

/** Azure regions this project knows; `allowedLocations` narrows them per organisation. */
export const KNOWN_LOCATIONS = [
  "eastus", "eastus2", "centralus", "northcentralus", "southcentralus", "westus", "westus2", "westus3",
  "canadacentral", "brazilsouth", "northeurope", "westeurope", "uksouth", "francecentral",
  "germanywestcentral", "swedencentral", "switzerlandnorth", "norwayeast", "italynorth", "polandcentral",
  "australiaeast", "japaneast", "koreacentral", "southeastasia", "eastasia", "centralindia",
  "southafricanorth", "uaenorth",
] as const;

const location = z.enum(KNOWN_LOCATIONS, {
  error: 'expected an Azure region name such as "eastus" or "westeurope"',
});

const httpsUrl = z
  .url({ protocol: /^https$/, error: "expected an absolute https:// URL" });

const email = z.email({ error: "expected an e-mail address" });

/** Flex Consumption instance sizes (MB): the component's facts, re-exported for config readers. */
export { FLEX_INSTANCE_MEMORY };

const alwaysReady = z
  .object({
    /** `http`, `durable`, `blob` (per-function scale groups) or `function:<name>`. */
    name: z.string().regex(/^(http|durable|blob|function:[A-Za-z][A-Za-z0-9_-]*)$/, {
      error: 'expected "http", "durable", "blob" or "function:<functionName>"',
    }),
    instanceCount: z.int().min(1).max(FLEX_MAXIMUM_INSTANCE_COUNT.max),
  })
  .strict();

const serviceSizing = z
  .object({
    /** Instance memory in MB: one of FLEX_INSTANCE_MEMORY (512, 2048 or 4096). @default 2048 */
    instanceMemoryMB: z
      .union(FLEX_INSTANCE_MEMORY.map((m) => z.literal(m)) as unknown as [z.ZodLiteral<FlexInstanceMemory>, ...z.ZodLiteral<FlexInstanceMemory>[]], {
        error: `expected ${FLEX_INSTANCE_MEMORY.slice(0, -1).join(", ")} or ${FLEX_INSTANCE_MEMORY.at(-1)} (the Flex Consumption instance sizes)`,
      })
      .default(FLEX_DEFAULT_INSTANCE_MEMORY),
    /** Upper bound of the app's scale-out: 40-1000 on Flex Consumption (a cap, not a cost). @default 100 */
    maximumInstanceCount: z
      .int()
      .min(FLEX_MAXIMUM_INSTANCE_COUNT.min, { error: `expected at least ${FLEX_MAXIMUM_INSTANCE_COUNT.min} (the lowest maximum Flex Consumption accepts)` })
      .max(FLEX_MAXIMUM_INSTANCE_COUNT.max)
      .default(100),
    /** Always-ready instances: each one is billed while idle (an always-on cost). @default none */
    alwaysReady: z.array(alwaysReady).default([]),
    /** Per-instance HTTP concurrency. @default platform default */
    httpPerInstanceConcurrency: z.int().min(FLEX_HTTP_PER_INSTANCE_CONCURRENCY.min).max(FLEX_HTTP_PER_INSTANCE_CONCURRENCY.max).optional(),
    /**
     * Zone-redundant plan (and ZRS host storage). An always-on cost: Flex then keeps at least 2
     * always-ready instances per scale group (HTTP, Durable, each other function), billed while idle,
     * and refuses always-ready counts below 2 (learn.microsoft.com/azure/reliability/reliability-functions).
     * @default false
     */
    zoneRedundant: z.boolean().optional(),
  })
  .strict();

export type ServiceSizing = z.infer<typeof serviceSizing>;

/** One `services.<name>` entry: the sizing, and the settings the service declares for itself. */
const serviceEntry = serviceSizing
  .extend({
    /**
     * The service's own settings, by the keys its manifest declares (`uses.settings` in
     * functions-src/<name>/service.ts, which also says what each value must be; composition checks
     * them). A new service with a setting of its own adds nothing here. @default none
     */
    settings: z.record(z.string().regex(/^[a-z][A-Za-z0-9]*$/, { error: "expected a camelCase setting key" }), z.string()).default({}),
  })
  .strict();

const cosmos = z
  .object({
    /** `serverless` bills per request unit; `autoscale` is provisioned (an always-on cost). */
    capacityMode: z.enum(["serverless", "autoscale"]).default("serverless"),
    /** Max RU/s per database when `capacityMode` is autoscale. */
    autoscaleMaxThroughput: z.int().min(1000).max(1_000_000).multipleOf(1000).optional(),
    backupTier: z.enum(["Continuous7Days", "Continuous30Days"]).default("Continuous7Days"),
    zoneRedundant: z.boolean().default(false),
    /** @default "Enabled"; "Disabled" when network.mode is private (the endpoint is then reached privately) */
    publicNetworkAccess: z.enum(["Enabled", "Disabled"]).default("Enabled"),
  })
  .strict()
  .refine((c) => c.capacityMode !== "autoscale" || c.autoscaleMaxThroughput !== undefined, {
    error: "autoscaleMaxThroughput is required when capacityMode is autoscale",
    path: ["autoscaleMaxThroughput"],
  })
  .refine((c) => c.capacityMode !== "serverless" || !c.zoneRedundant, {
    error: "serverless accounts cannot be zone redundant; use capacityMode autoscale",
    path: ["zoneRedundant"],
  });

const monitoring = z
  .object({
    /**
     * Log Analytics retention (days). Cost: free to 31 days (90 for App Insights tables), then
     * $0.10/GB-month. @default 30
     */
    retentionDays: z.int().min(30).max(730).default(30),
    /**
     * Daily ingestion cap in GB; -1 = no cap. Bounds the largest cost of an idle stack: ingestion at
     * $2.30/GB after 5 GB/month free (0.1 GB/day ≤ $6.90/month before the free grant). Past the cap,
     * ingestion stops until the next day (log-based alerts go blind too). @default 0.1
     */
    dailyQuotaGb: z
      .number()
      .refine((gb) => gb === -1 || gb > 0, { error: "expected -1 (no cap) or a positive number of GB per day" })
      .default(0.1),
    /**
     * App Insights sampling percentage (the Functions host's adaptive sampling ceiling, applied as app
     * settings; requests and exceptions are never sampled). Lower = less ingestion ($2.30/GB). @default 10
     */
    samplingPercentage: z.number().min(0.1).max(100).default(10),
    availabilityTest: z
      .object({
        enabled: z.boolean().default(true),
        /**
         * Test locations (App Insights location ids, e.g. "us-va-ash-azr"). Each run in each location
         * is billed $0.0005: one location every 900 s ≈ $1.44/month. @default ["us-va-ash-azr"]
         */
        locations: z.array(z.string().min(3)).min(1).max(16).default(["us-va-ash-azr"]),
        /** Seconds between runs (300, 600 or 900); runs/month = 2,592,000 / frequency per location. @default 900 */
        frequencySeconds: z.union([z.literal(300), z.literal(600), z.literal(900)]).default(900),
      })
      .strict()
      .prefault({}),
    actionGroup: z
      .object({
        emails: z.array(email).default([]),
        webhooks: z.array(httpsUrl).default([]),
      })
      .strict()
      .prefault({}),
    /**
     * How often log-search alerts (function failure rates) are evaluated: billed per rule,
     * $1.50/month at PT5M, $1.00 at PT10M, $0.50 at PT15M. @default "PT15M" (dev); prod sets PT5M.
     */
    logAlertFrequency: z.enum(["PT5M", "PT10M", "PT15M"]).default("PT15M"),
    /** Alert severities (0 critical .. 4 verbose) for failures and degradations. */
    severity: z
      .object({
        failure: z.int().min(0).max(4).default(2),
        degradation: z.int().min(0).max(4).default(3),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const apiManagement = z
  .object({
    /** Consumption bills per call; the v2 tiers are fixed monthly prices (an always-on cost). */
    sku: z.enum(GATEWAY_SKUS).default("Consumption"),
    /** Scale units; the tier's own bounds (components/api-management/tiers.ts) are checked below. */
    capacity: z.int().min(0).max(Math.max(...GATEWAY_SKUS.map((s) => TIERS[s].maxCapacity))).default(0),
    publisherName: z.string().min(1),
    publisherEmail: email,
    corsOrigins: z.array(z.union([httpsUrl, z.literal("*"), z.url()])).default([]),
    rateLimit: z
      .object({
        calls: z.int().min(1).default(100),
        // "Maximum allowed value: 300 seconds" (Microsoft Learn, API Management "rate-limit" policy reference).
        renewalPeriodSeconds: z.int().min(1).max(300).default(60),
      })
      .strict()
      .prefault({}),
    quota: z
      .object({ calls: z.int().min(1).default(100_000), renewalPeriodSeconds: z.int().min(3600).default(2_592_000) })
      .strict()
      .prefault({}),
    /**
     * What the public product's rate limit counts by: "subscription" (every tier) or "clientIp"
     * (needs rate-limit-by-key: BasicV2/StandardV2 only; refused on Consumption). @default "subscription"
     */
    rateLimitKey: z.enum(["subscription", "clientIp"]).default("subscription"),
    /** Gateway request sampling into Application Insights, percent. @default 10 */
    samplingPercentage: z.number().min(0).max(100).default(10),
  })
  .strict();

/** Methods a pass-through back-end API forwards on any path when the back end has no OpenAPI document. */
export const BACKEND_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

const backend = z
  .object({
    /** The back end's https base URL. Required unless `mock` is true. */
    url: httpsUrl.optional(),
    description: z.string().default(""),
    /**
     * The back end's OpenAPI 3.0 JSON document, as a path from the project root: the gateway exposes
     * exactly its paths. @default none: one "/*" operation per `methods` entry (any path, nested too)
     */
    openapi: z.string().regex(/\.json$/, { error: "expected the path of an OpenAPI 3.0 JSON document, e.g. backends/payment.openapi.json" }).optional(),
    /** Without `openapi`: the methods forwarded on any path. @default ["GET", "POST", "PUT", "PATCH", "DELETE"] */
    methods: z.array(z.enum(BACKEND_METHODS)).min(1).optional(),
    /**
     * Development without the real system: no `url`; the gateway answers each operation of `openapi`
     * with its 2xx example (APIM mock-response), and services that call the back end get the gateway's
     * URL. Refused in prod. @default false (absent)
     */
    mock: z.boolean().optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.mock && b.url !== undefined) ctx.addIssue({ code: "custom", path: ["url"], message: "url and mock: true exclude each other: remove one" });
    if (!b.mock && b.url === undefined) {
      ctx.addIssue({ code: "custom", path: ["url"], message: "missing; set the back end's https URL, or mock: true (dev) to let the gateway answer with the examples of openapi" });
    }
    if (b.mock && b.openapi === undefined) ctx.addIssue({ code: "custom", path: ["openapi"], message: "required with mock: true (the mock answers with the document's examples)" });
    if (b.openapi !== undefined && b.methods !== undefined) ctx.addIssue({ code: "custom", path: ["methods"], message: "applies only without openapi (the document lists the methods)" });
  });

const ipv4Cidr = z.string().refine(
  (cidr) => {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    return m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
  },
  { error: 'expected an IPv4 CIDR such as "10.40.0.0/16"' },
);

const network = z
  .object({
    /**
     * `public`: services keep their public endpoints (Entra ID auth only) and no network resources
     * exist; an idle stack costs a few dollars. `private`: a VNet, Flex VNet integration, private
     * endpoints for host storage (blob, plus queue and table for queue/durable apps), the messaging
     * account (queue, blob), Cosmos DB and Key Vault, with their public access closed. Always-on cost:
     * ~$7.30/month per private endpoint (~14 for four services ≈ $102) plus $0.50/month per private
     * DNS zone (5) and $0.01/GB processed. @default "public"
     */
    mode: z.enum(["public", "private"]).default("public"),
    /** The VNet's address space (`private` only); must not overlap networks it will be peered with. @default "10.40.0.0/16" */
    addressSpace: ipv4Cidr.default("10.40.0.0/16"),
    /** The Flex apps' integration subnet (~40 addresses per app). @default the first /24 of addressSpace */
    appsSubnetPrefix: ipv4Cidr.optional(),
    /** The private endpoints' subnet. @default the second /24 of addressSpace */
    endpointsSubnetPrefix: ipv4Cidr.optional(),
  })
  .strict();

export type NetworkConfig = z.infer<typeof network>;

const costAssumptions = z
  .object({
    ordersPerMonth: z.int().min(0).default(10_000),
    /** HTTP calls through the gateway per order (create, reads, polls). */
    gatewayCallsPerOrder: z.number().min(0).default(4),
    /** Average execution time per function invocation, in ms (billed with a 1 s minimum). */
    averageExecutionMs: z.int().min(1).default(300),
    /** Function executions per order across all services. */
    executionsPerOrder: z.number().min(0).default(12),
    /** Telemetry ingested per function execution, in KB, after sampling. */
    telemetryKbPerExecution: z.number().min(0).default(2),
    /** Request units per order across all services. */
    requestUnitsPerOrder: z.number().min(0).default(60),
    /** Data stored (GB) in Cosmos DB. */
    cosmosStorageGb: z.number().min(0).default(1),
    /** Events published per order across all Event Grid topics (each delivery is billed too). @default 2 */
    eventsPerOrder: z.number().min(0).default(2),
    /** Storage queue messages per order (each ~3 operations: put, get, delete). @default 3 */
    queueMessagesPerOrder: z.number().min(0).default(3),
    /** Telemetry ingested with no orders at all (platform logs, heartbeats, test results), GB/month. @default 1 */
    baselineTelemetryGbPerMonth: z.number().min(0).default(1),
    /** Request units of one timer run in an app that uses Cosmos DB (e.g. the outbox relay's query). @default 3 */
    requestUnitsPerTimerRun: z.number().min(0).default(3),
  })
  .strict();

/**
 * Azure's tag limits (Microsoft Learn, "Use tags to organize your Azure resources and management
 * hierarchy", section Limitations: learn.microsoft.com/azure/azure-resource-manager/management/tag-resources):
 * 50 tag name-value pairs per resource; names up to 512 characters, values up to 256, but storage
 * accounts (every stack has them) take names up to 128 only; names cannot contain < > % & \ ? /;
 * Azure Private DNS zones (created in `network.mode: private`) support only 15 tags and no spaces,
 * parentheses, special or Unicode characters in names, nor names starting with a number.
 */
export const TAG_LIMITS = {
  perResource: 50,
  perPrivateDnsZone: 15,
  nameLength: 128,
  valueLength: 256,
  /** Tags components add to some resources themselves (the availability test's `hidden-link:<id>`). */
  addedByComponents: 1,
} as const;

const tagName = z
  .string()
  .min(1, { error: "expected a non-empty tag name" })
  .max(TAG_LIMITS.nameLength, { error: `expected at most ${TAG_LIMITS.nameLength} characters (Azure's tag name limit on storage accounts)` })
  .refine((n) => !/[<>%&\\?/]/.test(n), { error: "expected a tag name without < > % & \\ ? / (Azure refuses them in tag names)" });

const tagValue = z
  .string()
  .max(TAG_LIMITS.valueLength, { error: `expected at most ${TAG_LIMITS.valueLength} characters (Azure's tag value limit)` });

/**
 * Keys that used to live at the top level and moved into the section of the service that reads them:
 * an old stack file gets an error naming the new key, not "unknown key".
 */
const MOVED_KEYS: Readonly<Record<string, string>> = {
  notificationWebhookUrl: "services.notifications.settings.webhookUrl",
};

/** The stack configuration's schema. Keys are given without the `serverless-platform:` prefix. */
export const stackConfigSchema = z
  .object({
    environment: z.enum(["dev", "prod"], { error: 'expected "dev" or "prod"' }),
    location,
    allowedLocations: z.array(location).min(1),
    /** Lowercase letters and digits, 2-8 characters: the start of every physical name. */
    namePrefix: z.string().regex(/^[a-z][a-z0-9]{1,7}$/, {
      error: "expected 2-8 lowercase letters or digits, starting with a letter",
    }),
    /** Tags every resource carries; `requiredTags` must all be present. */
    tags: z.record(tagName, tagValue).default({}),
    requiredTags: z.array(tagName).default(["owner", "costCenter"]),
    /** Turns on protect / retainOnDelete / CanNotDelete locks for stateful resources. */
    protectData: z.boolean().default(false),
    /** One entry per deployed service (a folder in functions-src/), with its sizing. */
    services: z.record(z.string().regex(/^[a-z][a-z0-9]{1,15}$/, { error: "service names are 2-16 lowercase letters or digits" }), serviceEntry.prefault({})),
    cosmos: cosmos.prefault({}),
    monitoring: monitoring.prefault({}),
    apiManagement,
    /** Existing (non-serverless) HTTP back ends, by name: the hybrid part of the system. */
    backends: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), backend).default({}),
    /** Names of secret config keys (set with `pulumi config set --secret <name>`) stored in Key Vault. */
    secretNames: z.array(z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,126}$/)).default([]),
    /** Usage assumptions of the cost estimate. */
    costAssumptions: costAssumptions.prefault({}),
    /** Network isolation (public endpoints, or a VNet with private endpoints: an always-on cost). */
    network: network.prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.allowedLocations.includes(c.location)) {
      ctx.addIssue({
        code: "custom",
        path: ["location"],
        message: `"${c.location}" is not one of allowedLocations [${c.allowedLocations.join(", ")}]`,
      });
    }
    // Own keys only: `"constructor" in tags` is true for every object.
    const names = Object.keys(c.tags);
    const missing = c.requiredTags.filter((t) => !Object.hasOwn(c.tags, t));
    if (missing.length > 0) {
      const hints = missing.map((t) => didYouMean(t, names, (m) => `"${m}" for "${t}"`)).join("");
      ctx.addIssue({
        code: "custom",
        path: ["tags"],
        message: `missing required tag(s) ${missing.join(", ")} (requiredTags: [${c.requiredTags.join(", ")}])${hints}`,
      });
    }
    for (const [name, b] of Object.entries(c.backends)) {
      if (c.environment === "prod" && b.mock) {
        ctx.addIssue({ code: "custom", path: ["backends", name, "mock"], message: "a mocked back end is for development; prod sets url to the real back end" });
      }
    }
    // Tag names are case-insensitive in Azure: two that differ in case only are one tag.
    const seen = new Map<string, string>();
    for (const n of names) {
      const platform = PLATFORM_TAG_NAMES.find((p) => p.toLowerCase() === n.toLowerCase());
      if (platform) {
        ctx.addIssue({ code: "custom", path: ["tags", n], message: `"${platform}" is set by the platform on every resource; remove it or use another name` });
      }
      const other = seen.get(n.toLowerCase());
      if (other) ctx.addIssue({ code: "custom", path: ["tags", n], message: `same tag as "${other}" (Azure tag names are case-insensitive); keep one` });
      seen.set(n.toLowerCase(), n);
    }
    const privateDns = c.network.mode === "private";
    const limit = privateDns
      ? TAG_LIMITS.perPrivateDnsZone - PLATFORM_TAG_NAMES.length
      : TAG_LIMITS.perResource - PLATFORM_TAG_NAMES.length - TAG_LIMITS.addedByComponents;
    if (names.length > limit) {
      const why = privateDns
        ? `private DNS zones (network.mode private) take ${TAG_LIMITS.perPrivateDnsZone} tags`
        : `Azure takes ${TAG_LIMITS.perResource} tags per resource`;
      ctx.addIssue({
        code: "custom",
        path: ["tags"],
        message: `${names.length} tags; at most ${limit} fit (${why}, and the platform adds ${PLATFORM_TAG_NAMES.join(", ")}${privateDns ? "" : " and up to one more"}); merge some into one JSON value`,
      });
    }
    if (privateDns) {
      for (const n of names) {
        if (!/^[A-Za-z][A-Za-z0-9]*$/.test(n)) {
          ctx.addIssue({
            code: "custom",
            path: ["tags", n],
            message: "expected letters and digits only, starting with a letter: private DNS zones (network.mode private) refuse spaces, special characters and leading digits in tag names",
          });
        }
      }
    }
    if (c.environment === "prod" && c.apiManagement.corsOrigins.includes("*")) {
      ctx.addIssue({ code: "custom", path: ["apiManagement", "corsOrigins"], message: '"*" is not allowed in prod; list the origins' });
    }
    // The gateway's own rules (components/api-management: prepare), checked here so a config value
    // is refused as a config error, not by a component further on.
    c.apiManagement.corsOrigins.forEach((origin, i) => {
      const localhost = /^http:\/\/localhost(:\d+)?$/.test(origin);
      if (origin !== "*" && !origin.startsWith("https://") && !localhost) {
        ctx.addIssue({ code: "custom", path: ["apiManagement", "corsOrigins", i], message: `got ${JSON.stringify(origin)}; expected an https:// origin (or http://localhost for development)` });
      } else if (localhost && c.environment === "prod") {
        ctx.addIssue({ code: "custom", path: ["apiManagement", "corsOrigins", i], message: `got ${JSON.stringify(origin)}; http://localhost is for development, prod lists https origins only` });
      }
    });
    const byKeyUnsupported = TIERS[c.apiManagement.sku].unsupportedPolicies["rate-limit-by-key"];
    if (c.apiManagement.rateLimitKey === "clientIp" && byKeyUnsupported !== undefined) {
      const tiersWithByKey = GATEWAY_SKUS.filter((s) => TIERS[s].unsupportedPolicies["rate-limit-by-key"] === undefined);
      ctx.addIssue({
        code: "custom",
        path: ["apiManagement", "rateLimitKey"],
        message: `"clientIp" needs rate-limit-by-key, which the ${c.apiManagement.sku} tier does not offer; use "subscription" or sku ${tiersWithByKey.join("/")}`,
      });
    }
    if (c.network.mode === "private" && c.cosmos.publicNetworkAccess === "Enabled") {
      ctx.addIssue({
        code: "custom",
        path: ["cosmos", "publicNetworkAccess"],
        message: '"Enabled" keeps the public endpoint open although network.mode is private; set "Disabled"',
      });
    }
  });

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type StackConfigInput = z.input<typeof stackConfigSchema>;

/** A configuration error: its message names every bad key, what was found and what it expects. */
export class ConfigError extends UserError {
  constructor(
    readonly stack: string,
    readonly problems: readonly { readonly key: string; readonly message: string }[],
  ) {
    super(
      `${stack ? `Invalid configuration for stack "${stack}"` : "Invalid service manifest"}:\n` +
        problems.map((p) => `  - ${p.key}: ${p.message}`).join("\n"),
    );
  }
}

/** Strips defaults, optionals and prefaults to reach the schema of the value itself. */
function unwrap(type: z.ZodType | undefined): z.ZodType | undefined {
  let t = type;
  while (t && (t instanceof z.ZodDefault || t instanceof z.ZodOptional || t instanceof z.ZodPrefault)) {
    t = (t as z.ZodDefault<z.ZodType>).def.innerType;
  }
  return t;
}

/** Keys whose values are strings in YAML; every other key holds YAML/JSON structure. */
function expectsString(key: string): boolean {
  const type = unwrap((stackConfigSchema.shape as Record<string, z.ZodType>)[key]);
  return type instanceof z.ZodString || type instanceof z.ZodEnum || type instanceof z.ZodURL || type instanceof z.ZodEmail;
}

/** The field names an object at `path` accepts (for "did you mean"), walking maps and lists. */
function fieldsAt(path: readonly PropertyKey[]): string[] {
  let type: z.ZodType | undefined = stackConfigSchema;
  for (const segment of path) {
    type = unwrap(type);
    if (type instanceof z.ZodObject) type = (type.shape as Record<string, z.ZodType>)[String(segment)];
    else if (type instanceof z.ZodRecord) type = type.def.valueType as z.ZodType;
    else if (type instanceof z.ZodArray) type = type.def.element as z.ZodType;
    else return [];
  }
  type = unwrap(type);
  return type instanceof z.ZodObject ? Object.keys(type.shape) : [];
}


/** Defaults that follow `network.mode`: a private network closes Cosmos DB's public endpoint unless set. */
function applyNetworkDefaults(values: Record<string, unknown>): void {
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isMap(values.network) || values.network.mode !== "private") return;
  const cosmosValue = values.cosmos ?? {};
  if (isMap(cosmosValue) && !Object.hasOwn(cosmosValue, "publicNetworkAccess")) values.cosmos = { ...cosmosValue, publicNetworkAccess: "Disabled" };
}

/** Finds `__proto__` keys anywhere in a value: JavaScript objects cannot hold them as data. */
function protoKeys(value: unknown, path: string[] = []): string[] {
  if (value === null || typeof value !== "object") return [];
  const found: string[] = [];
  for (const key of Object.getOwnPropertyNames(value)) {
    if (key === "__proto__") found.push([...path, key].join("."));
    found.push(...protoKeys((value as Record<string, unknown>)[key], [...path, key]));
  }
  return found;
}

/**
 * Validates raw Pulumi config (`{"serverless-platform:location": "eastus", ...}`, values as the
 * engine passes them: strings, objects JSON-encoded) and returns the typed config.
 *
 * Keys of unknown namespaces are refused (a typo in the namespace would silently drop the value),
 * and so are unknown keys, with the closest known key suggested.
 */
export function parseStackConfig(stack: string, raw: Readonly<Record<string, string>>): StackConfig {
  const problems: { key: string; message: string }[] = [];
  const values: Record<string, unknown> = {};
  const prefix = `${PROJECT}:`;
  const known = Object.keys(stackConfigSchema.shape);
  const declaredSecrets = new Set<string>();
  const secretNamesRaw = raw[`${prefix}secretNames`];
  if (secretNamesRaw) {
    try {
      for (const n of JSON.parse(secretNamesRaw) as unknown[]) if (typeof n === "string") declaredSecrets.add(n);
    } catch {
      /* reported by the schema below */
    }
  }

  const namespaces = [PROJECT, ...PROVIDER_NAMESPACES];
  const fullKeys = [...known.map((k) => `${prefix}${k}`), ...[...declaredSecrets].map((k) => `${prefix}${k}`)];
  for (const [fullKey, value] of Object.entries(raw)) {
    const colon = fullKey.indexOf(":");
    const namespace = colon < 0 ? "" : fullKey.slice(0, colon);
    if (namespace !== PROJECT) {
      if ((PROVIDER_NAMESPACES as readonly string[]).includes(namespace)) continue; // provider config is not ours
      const hint = didYouMean(fullKey, fullKeys) || didYouMean(namespace, namespaces, (n) => `${n}:${fullKey.slice(colon + 1)}`);
      problems.push({
        key: fullKey,
        message: `unknown namespace "${namespace}"${hint}${hint ? "" : `; config keys belong to ${namespaces.join(", ")}`}`,
      });
      continue;
    }
    const key = fullKey.slice(prefix.length);
    if (declaredSecrets.has(key)) continue;
    const moved = MOVED_KEYS[key];
    if (moved !== undefined) {
      problems.push({ key: fullKey, message: `moved: set ${prefix}${moved} instead (pulumi config set --path '${moved}' <value>)` });
      continue;
    }
    if (!known.includes(key)) {
      const hint = didYouMean(key, [...known, ...declaredSecrets], (k) => `${prefix}${k}`);
      problems.push({ key: fullKey, message: `unknown key${hint || `; expected one of ${[...known].sort().join(", ")}`}` });
      continue;
    }
    if (expectsString(key)) {
      values[key] = value;
    } else {
      try {
        values[key] = JSON.parse(value);
      } catch {
        // A bare word where structure is expected: let the schema say what it expected instead.
        values[key] = value;
      }
    }
    for (const p of protoKeys(values[key], [key])) {
      problems.push({ key: `${prefix}${p}`, message: 'the name "__proto__" cannot be used (it is not kept as data in JavaScript); rename it' });
    }
  }

  applyNetworkDefaults(values);
  const result = stackConfigSchema.safeParse(values, PARSE_OPTIONS);
  if (!result.success) {
    for (const p of issuesToProblems(result.error.issues, fieldsAt, { yamlHints: true })) {
      problems.push({ key: `${prefix}${p.path.map(String).join(".")}`, message: p.message });
    }
  }
  for (const name of declaredSecrets) {
    if (raw[`${prefix}${name}`] === undefined) {
      problems.push({
        key: `${prefix}${name}`,
        message: `listed in secretNames but not set; run: pulumi config set --secret ${name} <value>`,
      });
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(stack, problems);
  return result.data;
}
