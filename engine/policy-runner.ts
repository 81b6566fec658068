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
import type {
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import * as path from "node:path";
import { policies as packPolicies, isStackPolicy, type PlatformPolicy } from "../policy/rules";
import type { Plan, PlannedResource } from "./plan-format";
import { NotApplicable, UnknownValueError, notApplicable, resourceArgs, stackResources } from "./policy-run/analyzer-args";
import { effectiveLevel, policyProperties, validatePolicyConfig } from "./policy-run/config";
import { readPolicyConfigFile, stackConfigFile } from "./policy-run/files";
import type { EvaluateOptions, PolicyConfig, PolicyReport, PolicyViolation, ReportedLevel } from "./policy-run/types";

// The runner, step by step (each step is its own module):
//   1. files          read and validate the plan file and the pack config   policy-run/files.ts
//   2. config         enforcement levels and each policy's config           policy-run/config.ts
//   3. analyzer args  what the rules see (props, unknowns, links)           policy-run/analyzer-args.ts
//   4. evaluation     run resource policies, then stack policies            below
//   5. format         the report as a table                                 policy-run/format.ts
export * from "./policy-run/types";
export { parsePlan, readPlanFile, readPolicyConfigFile, stackConfigFile, POLICY_DIR } from "./policy-run/files";
export { effectiveLevel, policyProperties, validatePolicyConfig } from "./policy-run/config";
export { durationSeconds } from "./policy-run/analyzer-args";
export { formatPolicyTable } from "./policy-run/format";
export { planSchema } from "./plan-format";

/**
 * Runs the pack's resource and stack policies on a plan with the stack's enforcement and returns
 * every violation. Throws PolicyConfigError for a config that does not fit the pack and
 * PolicyRunError when a rule itself fails.
 */
export function evaluatePolicies(plan: Plan, options: EvaluateOptions): PolicyReport {
  const policies = options.policies ?? packPolicies;
  const { config, source } = resolveConfig(options);
  validatePolicyConfig(config, policies);
  const active = activePolicies(policies, config);
  const custom = plan.resources.filter((r) => r.custom);
  const violations = [
    ...runResourcePolicies(active.filter((a) => !isStackPolicy(a.policy)), custom),
    ...runStackPolicies(active.filter((a) => isStackPolicy(a.policy)), plan),
  ];
  return summarize(plan, options, source, active, custom.length, violations);
}

/** A policy that runs, at its effective level, with its resolved config. */
interface ActivePolicy {
  readonly policy: PlatformPolicy;
  readonly level: ReportedLevel;
  readonly getConfig: () => Record<string, unknown>;
}

function resolveConfig(options: EvaluateOptions): { config: PolicyConfig; source: string } {
  if (options.config) return { config: options.config, source: options.configSource ?? "options" };
  const file = stackConfigFile(options.stack);
  return file ? { config: readPolicyConfigFile(file), source: path.relative(process.cwd(), file) || file } : { config: {}, source: "none" };
}

/** The policies that run under `config` ("disabled" ones drop out; "remediate" reports as mandatory). */
function activePolicies(policies: readonly PlatformPolicy[], config: PolicyConfig): ActivePolicy[] {
  return policies.flatMap((p) => {
    const level = effectiveLevel(p, config);
    if (level === "disabled") return [];
    const reported: ReportedLevel = level === "advisory" ? "advisory" : "mandatory";
    const properties = policyProperties(p, config);
    return [{ policy: p, level: reported, getConfig: () => structuredClone(properties) }];
  });
}

function runResourcePolicies(active: readonly ActivePolicy[], custom: readonly PlannedResource[]): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  for (const { policy, level, getConfig } of active) {
    const validations = toArray((policy as ResourceValidationPolicy).validateResource);
    for (const r of custom) {
      // Built when a validation runs: most are for one type (a deep copy per policy and resource was
      // most of the runner's time, --cpu-prof).
      let args: ResourceValidationArgs | undefined;
      const report: ReportViolation = (message) =>
        violations.push({ policy: policy.name, enforcementLevel: level, urn: r.urn, type: r.type, name: r.name, message });
      for (const validate of validations) {
        // Validations made with validateResourceOfType carry their type: skip the others cheaply.
        const only = (validate as { __pulumiType?: unknown }).__pulumiType;
        if (typeof only === "string" && only !== r.type) continue;
        runValidation(() => validate((args ??= resourceArgs(r, getConfig)), report), policy.name, r.urn, (message) =>
          violations.push({ policy: policy.name, enforcementLevel: "advisory", urn: r.urn, type: r.type, name: r.name, message }),
        );
      }
    }
  }
  return violations;
}

function runStackPolicies(active: readonly ActivePolicy[], plan: Plan): PolicyViolation[] {
  if (active.length === 0) return [];
  const violations: PolicyViolation[] = [];
  const resources = stackResources(plan);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const stack = { urn: stackUrn(plan), type: "pulumi:pulumi:Stack", name: `${plan.project}-${plan.stack}` };
  for (const { policy, level, getConfig } of active) {
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
  return violations;
}

/** The report: violations mandatory first, then by policy, URN and message. */
function summarize(
  plan: Plan,
  options: EvaluateOptions,
  source: string,
  active: readonly ActivePolicy[],
  resourcesEvaluated: number,
  violations: PolicyViolation[],
): PolicyReport {
  const rank = (v: PolicyViolation): number => (v.enforcementLevel === "mandatory" ? 0 : 1);
  violations.sort((a, b) => rank(a) - rank(b) || a.policy.localeCompare(b.policy) || a.urn.localeCompare(b.urn) || a.message.localeCompare(b.message));
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  return {
    project: plan.project,
    stack: options.stack,
    configSource: source,
    policies: active.map((a) => ({ name: a.policy.name, kind: isStackPolicy(a.policy) ? "stack" : "resource", enforcementLevel: a.level })),
    resourcesEvaluated,
    violations,
    mandatory,
    advisory: violations.length - mandatory,
  };
}

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

function toArray(v: ResourceValidation | ResourceValidation[] | undefined): ResourceValidation[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}
