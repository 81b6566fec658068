/**
 * What every rule module shares: the policy shape with our metadata, enforcement defaults, type
 * tokens, and readers that cope with values Pulumi cannot know during a preview.
 *
 * Nothing here imports the project's components or lib: the pack judges resources by type and
 * property only, so a hand-written resource is held to the same rules as one from a component.
 */
import * as policySdk from "@pulumi/policy";
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  PolicyResource,
  ResourceValidation,
  ResourceValidationPolicy,
  Severity,
  StackValidation,
  StackValidationPolicy,
} from "@pulumi/policy";

/** A policy of this pack: a resource or a stack policy from @pulumi/policy. */
export type PlatformPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** Tag carried by the catalog's "(prod)" rules: mandatory in prod, advisory in dev (see config.*.json). */
export const PROD_ONLY_TAG = "prod-only";

interface PolicyMeta {
  /** Kebab-case id, unique in the pack. */
  readonly name: string;
  readonly description: string;
  readonly severity: Severity;
  /**
   * Catalog "(prod)" rules: mandatory by default (the secure setting), downgraded to advisory by
   * `config.dev.json`.
   */
  readonly prodOnly?: boolean;
  /** @default mandatory for high/medium severity, advisory for low */
  readonly enforcementLevel?: EnforcementLevel;
  /** How to fix a violation, in one or two sentences. */
  readonly remediationSteps: string;
  readonly configSchema?: PolicyConfigSchema;
  /** PSRule / Checkov / Trivy ids this rule mirrors, for reviewers. */
  readonly anchors?: readonly string[];
}

function levelFor(meta: PolicyMeta): EnforcementLevel {
  if (meta.enforcementLevel) return meta.enforcementLevel;
  if (meta.prodOnly) return "mandatory";
  return meta.severity === "low" ? "advisory" : "mandatory";
}

function tagsFor(meta: PolicyMeta): string[] {
  return [...(meta.prodOnly ? [PROD_ONLY_TAG] : []), ...(meta.anchors ?? [])];
}

/** A resource policy with the pack's defaults (enforcement from severity, tags from anchors). */
export function resourcePolicy(
  meta: PolicyMeta & { readonly validateResource: ResourceValidation | ResourceValidation[] },
): ResourceValidationPolicy {
  const { prodOnly: _p, anchors: _a, validateResource, ...rest } = meta;
  return { ...rest, enforcementLevel: levelFor(meta), tags: tagsFor(meta), validateResource };
}

/** A stack policy with the pack's defaults. */
export function stackPolicy(meta: PolicyMeta & { readonly validateStack: StackValidation }): StackValidationPolicy {
  const { prodOnly: _p, anchors: _a, validateStack, ...rest } = meta;
  return { ...rest, enforcementLevel: levelFor(meta), tags: tagsFor(meta), validateStack };
}

/** True for a stack policy (it has `validateStack`). */
export function isStackPolicy(p: PlatformPolicy): p is StackValidationPolicy {
  return typeof (p as Partial<StackValidationPolicy>).validateStack === "function";
}

/**
 * Type tokens the stack rules match on. `test/policy/tokens.test.ts` checks each one against the
 * installed SDK's classes, so a renamed module (e.g. documentdb → cosmosdb in 3.x) fails a test.
 */
export const T = {
  ResourceGroup: "azure-native:resources:ResourceGroup",
  WebApp: "azure-native:web:WebApp",
  WebAppSlot: "azure-native:web:WebAppSlot",
  AppServicePlan: "azure-native:web:AppServicePlan",
  WebAppFtpAllowed: "azure-native:web:WebAppFtpAllowed",
  WebAppScmAllowed: "azure-native:web:WebAppScmAllowed",
  WebAppApplicationSettings: "azure-native:web:WebAppApplicationSettings",
  WebAppAuthSettingsV2: "azure-native:web:WebAppAuthSettingsV2",
  StorageAccount: "azure-native:storage:StorageAccount",
  BlobContainer: "azure-native:storage:BlobContainer",
  Queue: "azure-native:storage:Queue",
  Table: "azure-native:storage:Table",
  DatabaseAccount: "azure-native:cosmosdb:DatabaseAccount",
  SqlRoleAssignment: "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
  Vault: "azure-native:keyvault:Vault",
  Secret: "azure-native:keyvault:Secret",
  ApiManagementService: "azure-native:apimanagement:ApiManagementService",
  Component: "azure-native:applicationinsights:Component",
  DiagnosticSetting: "azure-native:monitor:DiagnosticSetting",
  ServiceBusNamespace: "azure-native:servicebus:Namespace",
  EventGridTopic: "azure-native:eventgrid:Topic",
  UserAssignedIdentity: "azure-native:managedidentity:UserAssignedIdentity",
  RoleAssignment: "azure-native:authorization:RoleAssignment",
} as const;

// ---------------------------------------------------------------------------------------------
// Unknown values. During `pulumi preview` the analyzer wraps props in a proxy that throws the SDK's
// UnknownValueError when a rule reads a value that is not known yet (an id, a principal id). A rule
// that lets it propagate is reported once as "can't run during preview" (advisory). Rules that
// iterate (app settings, tags) read each value through `peek` so one unknown value does not hide
// the others.
// ---------------------------------------------------------------------------------------------

type ErrorClass = new (...args: never[]) => Error;
/** At runtime @pulumi/policy exports UnknownValueError; its typings mark it internal. */
const UnknownValueErrorClass: ErrorClass | undefined = (policySdk as unknown as { UnknownValueError?: ErrorClass })
  .UnknownValueError;

export function isUnknownValueError(e: unknown): boolean {
  return UnknownValueErrorClass !== undefined && e instanceof UnknownValueErrorClass;
}

/** Marks a value that is not known until the resource exists. */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

/** Reads a value, returning UNKNOWN instead of throwing when the analyzer does not know it yet. */
export function peek<T>(read: () => T): T | Unknown {
  try {
    return read();
  } catch (e) {
    if (isUnknownValueError(e)) return UNKNOWN;
    throw e;
  }
}

export function isKnownString(v: unknown): v is string {
  return typeof v === "string";
}

/** A name/value app setting; `value` is UNKNOWN when only known after deployment. */
export interface AppSetting {
  readonly name: string;
  readonly value: string | Unknown | undefined;
}

/** `siteConfig.appSettings` (an array of `{ name, value }`), tolerant of unknowns. */
export function settingsFromPairs(pairs: unknown): AppSetting[] {
  const list = peek(() => pairs);
  if (list === UNKNOWN || !Array.isArray(list)) return [];
  const out: AppSetting[] = [];
  for (let i = 0; i < list.length; i++) {
    const name = peek(() => (list[i] as { name?: unknown }).name);
    if (typeof name !== "string") continue;
    const value = peek(() => (list[i] as { value?: unknown }).value);
    out.push({ name, value: value === UNKNOWN || typeof value === "string" ? value : value === undefined ? undefined : String(value) });
  }
  return out;
}

/** `WebAppApplicationSettings.properties` (a string map), tolerant of unknowns. */
export function settingsFromMap(map: unknown): AppSetting[] {
  const obj = peek(() => map);
  if (obj === UNKNOWN || obj === null || typeof obj !== "object") return [];
  return Object.keys(obj).map((name) => {
    const value = peek(() => (obj as Record<string, unknown>)[name]);
    return { name, value: value === UNKNOWN || typeof value === "string" ? value : value === undefined ? undefined : String(value) };
  });
}

/** Case-insensitive lookup (app setting names are case-insensitive on Linux plans too). */
export function findSetting(settings: readonly AppSetting[], name: string): AppSetting | undefined {
  const lower = name.toLowerCase();
  return settings.find((s) => s.name.toLowerCase() === lower);
}

/** `kind` contains `functionapp` (e.g. `functionapp,linux`). */
export function isFunctionAppKind(kind: unknown): boolean {
  return typeof kind === "string" && kind.toLowerCase().split(",").map((k) => k.trim()).includes("functionapp");
}

/** A Flex Consumption app as the resource itself shows it: `functionAppConfig` is set. */
export function hasFunctionAppConfig(props: { functionAppConfig?: unknown }): boolean {
  const cfg = peek(() => props.functionAppConfig);
  return cfg === UNKNOWN || (cfg !== undefined && cfg !== null);
}

/** Lower-case comparison for ARM names and ids. */
export function sameName(a: unknown, b: unknown): boolean {
  return typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
}

/** The logical-or-physical name a resource carries in `props[key]`, falling back to `name`. */
export function propString(r: PolicyResource, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const v = peek(() => r.props[key]);
    if (typeof v === "string" && v.length > 0) return v;
  }
  return undefined;
}

/** `true` when the value equals `expected`, ignoring case (ARM enums are case-insensitive). */
export function eqIgnoreCase(value: unknown, expected: string): boolean {
  return typeof value === "string" && value.toLowerCase() === expected.toLowerCase();
}

/** A "1.2"-style minimum TLS version of at least 1.2 (Event Grid, Service Bus). */
export function tlsAtLeast12(v: unknown): boolean {
  return v === "1.2" || v === "1.3";
}

/** Quote a value for a message. */
export function show(v: unknown): string {
  if (v === undefined) return "unset";
  if (v === UNKNOWN) return "(unknown until deployment)";
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------
// Allow-lists. A rule that may be waived for one resource takes `allow: [{ name, reason }]` in the
// stack's pack config (policy/config.<stack>.json): the waiver is visible, reviewed with the stack,
// and says why. An entry without a real reason waives nothing.
// ---------------------------------------------------------------------------------------------

/** The shortest reason an allow-list entry may give. */
export const MIN_REASON_LENGTH = 20;

export interface AllowEntry {
  /** The resource's logical name (or the identifier the rule documents, e.g. an API id); `*` matches any run of characters. */
  readonly name: string;
  /** Why the waiver is acceptable (at least MIN_REASON_LENGTH characters). */
  readonly reason: string;
}

/** The config schema of an `allow` list, for `configSchema.properties`. */
export function allowListSchema(description: string): PolicyConfigSchema["properties"] {
  return {
    allow: {
      type: "array",
      default: [],
      description,
      items: {
        type: "object",
        properties: {
          name: { type: "string", minLength: 1 },
          reason: { type: "string", minLength: MIN_REASON_LENGTH },
        },
        required: ["name", "reason"],
      },
    },
  };
}

const globMatch = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i").test(value);

/** The allow-list entry (with a real reason) naming one of `candidates`, if any. */
export function allowListed(config: { allow?: readonly AllowEntry[] } | undefined, ...candidates: (string | undefined)[]): AllowEntry | undefined {
  const names = candidates.filter((c): c is string => typeof c === "string" && c.length > 0);
  return (config?.allow ?? []).find(
    (e) => typeof e.reason === "string" && e.reason.trim().length >= MIN_REASON_LENGTH && names.some((n) => globMatch(e.name, n)),
  );
}
