/** The policy runner's public types: violations, reports, configs and the errors a caller can catch. */
import type { EnforcementLevel } from "@pulumi/policy";
import type { PlatformPolicy } from "../../policy/rules";

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
