/**
 * The offline policy runner: evaluates the CrossGuard pack (`policy/rules`) on a saved or live plan
 * the way the Pulumi engine's analyzer would, without the gRPC server and without the Pulumi CLI.
 *
 * What it reproduces from `@pulumi/policy`'s server and the engine:
 * - resource policies see each custom resource's inputs (`props`), with `isType`/`asType`,
 *   `getConfig` and a `notApplicable` that throws (caught here, as the server does);
 * - stack policies see every resource with `props` = outputs over inputs, `parent`,
 *   `dependencies` and `propertyDependencies` resolved to resources;
 * - values recorded as "[unknown]" (preview) are unknown to the rules: reading one makes that
 *   policy "can't run during preview" (advisory), as in `pulumi preview`;
 * - enforcement: the config's entry for the policy, else its "all" entry, else the policy's own
 *   level; "remediate" counts as mandatory, "disabled" skips the policy; schema defaults are applied
 *   to each policy's config and the config is validated against its schema.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import * as policySdk from "@pulumi/policy";
import type {
  EnforcementLevel,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { policies as packPolicies, isStackPolicy, type PlatformPolicy } from "../policy/rules";
import type { Plan, PlannedResource } from "./plan-format";

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** The level a violation is reported at ("remediate" policies report as mandatory). */
export type ReportedLevel = "advisory" | "mandatory";

export interface PolicyViolation {
  readonly policy: string;
  readonly enforcementLevel: ReportedLevel;
  /** The resource's URN, or the stack's when a stack policy names no resource. */
  readonly urn: string;
  readonly type: string;
  /** The resource's logical name. */
  readonly name: string;
  readonly message: string;
}

/** One policy's entry in a config file: a level, or a level plus the policy's config properties. */
export type PolicyConfigValue = EnforcementLevel | { readonly enforcementLevel?: EnforcementLevel; readonly [property: string]: unknown };

/**
 * A policy pack config, as `pulumi preview --policy-pack-config <file>` reads it: keys are policy
 * names or "all" (the level for every policy).
 */
export type PolicyConfig = Readonly<Record<string, PolicyConfigValue>>;

export interface PolicyReport {
  readonly project: string;
  readonly stack: string;
  /** Where the config came from: a file path, "options" or "none". */
  readonly configSource: string;
  /** The policies that ran, with their effective level (disabled ones are left out). */
  readonly policies: readonly { readonly name: string; readonly kind: "resource" | "stack"; readonly enforcementLevel: ReportedLevel }[];
  /** Custom resources the resource policies looked at. */
  readonly resourcesEvaluated: number;
  /** Violations, mandatory first, then by policy and URN. */
  readonly violations: readonly PolicyViolation[];
  readonly mandatory: number;
  readonly advisory: number;
}

export interface EvaluateOptions {
  /** The stack whose enforcement applies (selects `policy/config.<stack>.json` when `config` is absent). */
  readonly stack: string;
  /** The pack config; when absent, `policy/config.<stack>.json` if it exists, else the policies' own levels. */
  readonly config?: PolicyConfig;
  /** Where `config` came from, for the report (e.g. its file). @default "options" */
  readonly configSource?: string;
  /** The policies to run. @default the whole pack (`policy/rules`) */
  readonly policies?: readonly PlatformPolicy[];
}

/** A config that does not fit the pack (unknown policy, property outside the schema, wrong type). */
export class PolicyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyConfigError";
  }
}

/** A plan file that is missing, not JSON, or not shaped like a plan. */
export class PlanFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanFileError";
  }
}

// ---------------------------------------------------------------------------------------------
// Plan and config files
// ---------------------------------------------------------------------------------------------

const plannedResourceSchema = z.looseObject({
  urn: z.string().min(1),
  type: z.string().min(1),
  name: z.string(),
  parent: z.string().optional(),
  custom: z.boolean(),
  inputs: z.record(z.string(), z.unknown()),
  dependencies: z.array(z.string()),
  propertyDependencies: z.record(z.string(), z.array(z.string())),
  options: z.looseObject({
    protect: z.boolean(),
    retainOnDelete: z.boolean(),
    customTimeouts: z
      .object({ create: z.string().optional(), update: z.string().optional(), delete: z.string().optional() })
      .optional(),
  }),
  outputs: z.record(z.string(), z.unknown()),
});

/** The shape of `engine/plan-format.ts`'s Plan (extra fields are kept: the format only grows). */
export const planSchema = z.looseObject({
  project: z.string().min(1),
  stack: z.string().min(1),
  resources: z.array(plannedResourceSchema),
  outputs: z.record(z.string(), z.unknown()),
});

function describeIssues(issues: readonly z.core.$ZodIssue[], max = 5): string {
  const lines = issues.slice(0, max).map((i) => `  ${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`);
  if (issues.length > max) lines.push(`  ... and ${issues.length - max} more`);
  return lines.join("\n");
}

/** Validates parsed JSON as a plan; `source` names the file in errors. */
export function parsePlan(json: unknown, source: string): Plan {
  const result = planSchema.safeParse(json);
  if (!result.success) {
    throw new PlanFileError(`${source} is not a plan (the JSON that \`npm run plan -- --stack <s> --json <file>\` writes):\n${describeIssues(result.error.issues)}`);
  }
  return result.data as Plan;
}

/** Reads and validates a plan file. */
export function readPlanFile(file: string): Plan {
  if (!existsSync(file)) {
    throw new PlanFileError(`plan file ${file} not found (write one with \`npm run plan -- --stack <stack> --json ${file}\`)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new PlanFileError(`plan file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parsePlan(json, `plan file ${file}`);
}

const enforcementLevelSchema = z.enum(["advisory", "mandatory", "remediate", "disabled"]);
const policyConfigSchema = z.record(
  z.string(),
  z.union([enforcementLevelSchema, z.looseObject({ enforcementLevel: enforcementLevelSchema.optional() })]),
);

/** Reads a pack config file (`policy/config.<stack>.json` or any `--policy-pack-config` file). */
export function readPolicyConfigFile(file: string): PolicyConfig {
  if (!existsSync(file)) throw new PolicyConfigError(`policy config ${file} not found`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new PolicyConfigError(`policy config ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const result = policyConfigSchema.safeParse(json);
  if (!result.success) {
    throw new PolicyConfigError(`policy config ${file} is not a policy pack config (policy name → level or { enforcementLevel, ...properties }):\n${describeIssues(result.error.issues)}`);
  }
  return result.data as PolicyConfig;
}

/** The pack's folder (policy/ next to engine/). */
export const POLICY_DIR = path.resolve(__dirname, "..", "policy");

/** `policy/config.<stack>.json`, when it exists. */
export function stackConfigFile(stack: string): string | undefined {
  const file = path.join(POLICY_DIR, `config.${stack}.json`);
  return existsSync(file) ? file : undefined;
}

// ---------------------------------------------------------------------------------------------
// Enforcement and per-policy config
// ---------------------------------------------------------------------------------------------

function levelOf(value: PolicyConfigValue | undefined): EnforcementLevel | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value.enforcementLevel;
}

/** The level a policy runs at under `config` (the engine's rule: policy entry, then "all", then the code). */
export function effectiveLevel(policy: PlatformPolicy, config: PolicyConfig): EnforcementLevel {
  return levelOf(config[policy.name]) ?? levelOf(config["all"]) ?? policy.enforcementLevel ?? "advisory";
}

function typeMatches(schema: PolicyConfigJSONSchema, value: unknown): boolean {
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length === 0) return true;
  return types.some((t) => {
    switch (t) {
      case "array":
        return Array.isArray(value);
      case "object":
        return value !== null && typeof value === "object" && !Array.isArray(value);
      case "integer":
        return Number.isInteger(value);
      case "null":
        return value === null;
      default:
        return typeof value === t;
    }
  });
}

/** A small JSON-schema check for what config schemas use: type, enum, items, minItems, minLength, pattern, object properties and required. */
function schemaProblem(schema: PolicyConfigJSONSchema, value: unknown, where: string): string | undefined {
  if (!typeMatches(schema, value)) return `${where} must be ${JSON.stringify(schema.type)}, got ${JSON.stringify(value)}`;
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    return `${where} must be one of ${JSON.stringify(schema.enum)}`;
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) return `${where} must have at least ${schema.minLength} characters`;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) return `${where} must match ${schema.pattern}`;
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    // Object items (allow-list entries): required keys and each property's own schema.
    for (const key of schema.required ?? []) {
      if ((value as Record<string, unknown>)[key] === undefined) return `${where}.${key} is required`;
    }
    for (const [key, def] of Object.entries(schema.properties ?? {})) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined && typeof def === "object") {
        const problem = schemaProblem(def, v, `${where}.${key}`);
        if (problem) return problem;
      }
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return `${where} needs at least ${schema.minItems} items`;
    const items = schema.items;
    if (items !== undefined && typeof items === "object" && !Array.isArray(items)) {
      for (let i = 0; i < value.length; i++) {
        const problem = schemaProblem(items, value[i], `${where}[${i}]`);
        if (problem) return problem;
      }
    }
  }
  return undefined;
}

/** The config a policy's `getConfig()` returns: schema defaults, overlaid with the config's properties. */
export function policyProperties(policy: PlatformPolicy, config: PolicyConfig): Record<string, unknown> {
  const entry = config[policy.name];
  const given: Record<string, unknown> = {};
  if (entry !== undefined && typeof entry === "object") {
    for (const [k, v] of Object.entries(entry)) if (k !== "enforcementLevel") given[k] = v;
  }
  const schema = policy.configSchema;
  const props: Record<string, unknown> = {};
  for (const [k, def] of Object.entries(schema?.properties ?? {})) {
    if (typeof def === "object" && def.default !== undefined) props[k] = structuredClone(def.default);
  }
  for (const [k, v] of Object.entries(given)) {
    const def = schema?.properties?.[k];
    if (def === undefined) {
      const known = Object.keys(schema?.properties ?? {});
      throw new PolicyConfigError(
        `policy "${policy.name}" has no config property "${k}"${known.length > 0 ? ` (it takes: ${known.join(", ")})` : " (it takes only enforcementLevel)"}`,
      );
    }
    if (typeof def === "object") {
      const problem = schemaProblem(def, v, `${policy.name}.${k}`);
      if (problem) throw new PolicyConfigError(`policy config: ${problem}`);
    }
    props[k] = v;
  }
  for (const required of schema?.required ?? []) {
    if (props[required] === undefined) throw new PolicyConfigError(`policy "${policy.name}" needs config property "${required}"`);
  }
  return props;
}

/**
 * Checks a config against a set of policies: every key is "all" or a policy of the pack (or of
 * `policies`, when a subset or extra policies run), and each policy's properties fit its schema.
 */
export function validatePolicyConfig(config: PolicyConfig, policies: readonly PlatformPolicy[] = packPolicies): void {
  const names = new Set([...packPolicies, ...policies].map((p) => p.name));
  for (const key of Object.keys(config)) {
    if (key !== "all" && !names.has(key)) throw new PolicyConfigError(`policy config names "${key}", which is not a policy of the pack`);
  }
  if (typeof config["all"] === "object" && Object.keys(config["all"]).some((k) => k !== "enforcementLevel")) {
    throw new PolicyConfigError('policy config: "all" takes only an enforcement level');
  }
  for (const p of policies) policyProperties(p, config);
}

// ---------------------------------------------------------------------------------------------
// Unknown values and the analyzer's argument objects
// ---------------------------------------------------------------------------------------------

/** How the plan records values not known during a preview (see engine/plan.ts). */
const UNKNOWN_PLACEHOLDER = "[unknown]";
/** The SDK's sentinel for an unknown string (the value Pulumi's wire format uses). */
const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

interface SdkInternals {
  unknownCheckingProxy<T>(value: T): T;
  UnknownValueError: new (...args: never[]) => Error;
}
/** Exported at runtime by @pulumi/policy (its typings mark them internal). */
const sdk = policySdk as unknown as Partial<SdkInternals>;
if (typeof sdk.unknownCheckingProxy !== "function" || typeof sdk.UnknownValueError !== "function") {
  throw new Error("this @pulumi/policy does not export unknownCheckingProxy/UnknownValueError; pin ^1.21 in package.json");
}
const unknownCheckingProxy = sdk.unknownCheckingProxy.bind(sdk);
const UnknownValueError = sdk.UnknownValueError;

/** A deep copy with "[unknown]" turned into the SDK's sentinel, wrapped so reading it throws. */
function analyzerProps(value: Record<string, unknown>): Record<string, unknown> {
  const revive = (v: unknown): unknown => {
    if (v === UNKNOWN_PLACEHOLDER) return UNKNOWN_SENTINEL;
    if (Array.isArray(v)) return v.map(revive);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
    return v;
  };
  return unknownCheckingProxy(revive(value) as Record<string, unknown>);
}

/** "1h30m", "45m", "90s", "2h" → seconds (Go duration syntax, as customTimeouts use). */
export function durationSeconds(d: string | undefined): number {
  if (!d) return 0;
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)) {
    const x = Number(n);
    total += unit === "h" ? x * 3600 : unit === "m" ? x * 60 : unit === "s" ? x : x / 1000;
  }
  return total;
}

function optionsOf(r: PlannedResource): PolicyResourceOptions {
  const t = r.options.customTimeouts;
  return {
    protect: r.options.protect,
    ignoreChanges: [],
    aliases: [],
    additionalSecretOutputs: [],
    customTimeouts: { createSeconds: durationSeconds(t?.create), updateSeconds: durationSeconds(t?.update), deleteSeconds: durationSeconds(t?.delete) },
    ...(r.parent ? { parent: r.parent } : {}),
  };
}

/** The type token a resource class carries (generated SDK classes have a static `__pulumiType`). */
function pulumiTypeOf(resourceClass: unknown): string | undefined {
  const t = (resourceClass as { __pulumiType?: unknown } | null)?.__pulumiType;
  return typeof t === "string" ? t : undefined;
}

function isTypeOf(type: string, resourceClass: unknown): boolean {
  const token = pulumiTypeOf(resourceClass);
  if (token) return token === type;
  const isInstance = (resourceClass as { isInstance?: (o: unknown) => boolean } | null)?.isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

class NotApplicable extends Error {
  constructor(readonly reason: string | undefined) {
    super(reason ?? "not applicable");
    this.name = "NotApplicable";
  }
}
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

function resourceArgs(r: PlannedResource, getConfig: () => Record<string, unknown>): ResourceValidationArgs {
  const props = analyzerProps(r.inputs);
  return {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: optionsOf(r),
    stackTags: new Map<string, string>(),
    isType: (resourceClass: unknown) => isTypeOf(r.type, resourceClass),
    asType: ((resourceClass: unknown) => (isTypeOf(r.type, resourceClass) ? props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: getConfig as ResourceValidationArgs["getConfig"],
    notApplicable,
  };
}

/** The stack as stack policies see it: outputs over inputs, links resolved to resources. */
function stackResources(plan: Plan): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const built = plan.resources.map((r) => {
    const props = analyzerProps({ ...r.inputs, ...r.outputs });
    const resource: PolicyResource = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: optionsOf(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass: unknown) => isTypeOf(r.type, resourceClass),
      asType: ((resourceClass: unknown) => (isTypeOf(r.type, resourceClass) ? props : undefined)) as PolicyResource["asType"],
    };
    byUrn.set(r.urn, resource);
    return { resource, planned: r };
  });
  for (const { resource, planned } of built) {
    const parent = planned.parent ? byUrn.get(planned.parent) : undefined;
    if (parent) resource.parent = parent;
    resource.dependencies = planned.dependencies.flatMap((u) => byUrn.get(u) ?? []);
    for (const [key, urns] of Object.entries(planned.propertyDependencies)) {
      resource.propertyDependencies[key] = urns.flatMap((u) => byUrn.get(u) ?? []);
    }
  }
  return built.map((b) => b.resource);
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/** A rule that threw something other than "not applicable" or "unknown during preview". */
export class PolicyRunError extends Error {
  constructor(policy: string, where: string, cause: unknown) {
    super(`policy "${policy}" failed on ${where}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "PolicyRunError";
  }
}

function runValidation(run: () => unknown, policy: string, where: string, onUnknown: (message: string) => void): void {
  try {
    const result = run();
    if (result !== null && typeof result === "object" && typeof (result as { then?: unknown }).then === "function") {
      throw new Error("asynchronous policies are not supported by the offline runner");
    }
  } catch (e) {
    if (e instanceof NotApplicable) return;
    if (e instanceof UnknownValueError) {
      onUnknown(`can't run policy "${policy}" during preview: ${e.message}`);
      return;
    }
    throw new PolicyRunError(policy, where, e);
  }
}

function stackUrn(plan: Plan): string {
  return `urn:pulumi:${plan.stack}::${plan.project}::pulumi:pulumi:Stack::${plan.project}-${plan.stack}`;
}

function resolveConfig(options: EvaluateOptions): { config: PolicyConfig; source: string } {
  if (options.config) return { config: options.config, source: options.configSource ?? "options" };
  const file = stackConfigFile(options.stack);
  return file ? { config: readPolicyConfigFile(file), source: path.relative(process.cwd(), file) || file } : { config: {}, source: "none" };
}

/**
 * Runs the pack's resource and stack policies on a plan with the stack's enforcement and returns
 * every violation. Throws PolicyConfigError for a config that does not fit the pack and
 * PolicyRunError when a rule itself fails.
 */
export function evaluatePolicies(plan: Plan, options: EvaluateOptions): PolicyReport {
  const policies = options.policies ?? packPolicies;
  const { config, source } = resolveConfig(options);
  validatePolicyConfig(config, policies);

  const violations: PolicyViolation[] = [];
  const ran: { name: string; kind: "resource" | "stack"; enforcementLevel: ReportedLevel }[] = [];
  const active = policies.flatMap((p) => {
    const level = effectiveLevel(p, config);
    if (level === "disabled") return [];
    const reported: ReportedLevel = level === "advisory" ? "advisory" : "mandatory";
    const properties = policyProperties(p, config);
    ran.push({ name: p.name, kind: isStackPolicy(p) ? "stack" : "resource", enforcementLevel: reported });
    return [{ policy: p, level: reported, getConfig: () => structuredClone(properties) }];
  });

  const custom = plan.resources.filter((r) => r.custom);
  for (const { policy, level, getConfig } of active) {
    if (isStackPolicy(policy)) continue;
    const validations = toArray((policy as ResourceValidationPolicy).validateResource);
    for (const r of custom) {
      const args = resourceArgs(r, getConfig);
      const report: ReportViolation = (message) =>
        violations.push({ policy: policy.name, enforcementLevel: level, urn: r.urn, type: r.type, name: r.name, message });
      for (const validate of validations) {
        // Validations made with validateResourceOfType carry their type: skip the others cheaply.
        const only = (validate as { __pulumiType?: unknown }).__pulumiType;
        if (typeof only === "string" && only !== r.type) continue;
        runValidation(() => validate(args, report), policy.name, r.urn, (message) =>
          violations.push({ policy: policy.name, enforcementLevel: "advisory", urn: r.urn, type: r.type, name: r.name, message }),
        );
      }
    }
  }

  const stackPolicies = active.filter((a) => isStackPolicy(a.policy));
  if (stackPolicies.length > 0) {
    const resources = stackResources(plan);
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const stack = { urn: stackUrn(plan), type: "pulumi:pulumi:Stack", name: `${plan.project}-${plan.stack}` };
    for (const { policy, level, getConfig } of stackPolicies) {
      const at = (urn: string | undefined): { urn: string; type: string; name: string } => {
        const r = urn ? byUrn.get(urn) : undefined;
        return r ? { urn: r.urn, type: r.type, name: r.name } : urn ? { ...stack, urn } : stack;
      };
      const report: ReportViolation = (message, urn) => violations.push({ policy: policy.name, enforcementLevel: level, ...at(urn), message });
      const args: StackValidationArgs = {
        resources,
        stackTags: new Map<string, string>(),
        getConfig: getConfig as StackValidationArgs["getConfig"],
        notApplicable,
      };
      runValidation(() => (policy as StackValidationPolicy).validateStack(args, report), policy.name, `stack ${plan.stack}`, (message) =>
        violations.push({ policy: policy.name, enforcementLevel: "advisory", ...stack, message }),
      );
    }
  }

  const rank = (v: PolicyViolation): number => (v.enforcementLevel === "mandatory" ? 0 : 1);
  violations.sort((a, b) => rank(a) - rank(b) || a.policy.localeCompare(b.policy) || a.urn.localeCompare(b.urn) || a.message.localeCompare(b.message));
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  return {
    project: plan.project,
    stack: options.stack,
    configSource: source,
    policies: ran,
    resourcesEvaluated: custom.length,
    violations,
    mandatory,
    advisory: violations.length - mandatory,
  };
}

function toArray(v: ResourceValidation | ResourceValidation[] | undefined): ResourceValidation[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/** `azure-native:web:WebApp` → `web:WebApp`. */
function shortType(type: string): string {
  return type.startsWith("azure-native:") ? type.slice("azure-native:".length) : type;
}

/** The report as a plain-text table, one violation per line, with a summary. */
export function formatPolicyTable(report: PolicyReport): string {
  const header = `Policy report for stack "${report.stack}" of project "${report.project}": ${report.policies.length} policies on ${report.resourcesEvaluated} resources (config: ${report.configSource})`;
  if (report.violations.length === 0) return `${header}\n\nNo policy violations.`;
  const rows = report.violations.map((v) => [v.enforcementLevel, v.policy, `${shortType(v.type)} ${v.name}`, v.message]);
  const titles = ["LEVEL", "POLICY", "RESOURCE", "MESSAGE"];
  const widths = [0, 1, 2].map((i) => Math.max(titles[i]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join("  ").trimEnd();
  const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  const resources = new Set(report.violations.map((v) => v.urn)).size;
  const policies = new Set(report.violations.map((v) => v.policy)).size;
  const summary =
    `${report.mandatory} mandatory, ${count(report.advisory, "advisory violation", "advisory violations")} ` +
    `(${count(resources, "resource", "resources")}, ${count(policies, "policy", "policies")})`;
  return [header, "", line(titles), line(widths.map((w) => "-".repeat(w)).concat("-".repeat(7))), ...rows.map(line), "", summary].join("\n");
}
