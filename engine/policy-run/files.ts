/** Step 1: the files a run reads: the plan (engine/plan-format.ts's schema) and the pack config. */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { planSchema, type Plan } from "../plan-format";
import { PlanFileError, PolicyConfigError, type PolicyConfig } from "./types";

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
export const POLICY_DIR = path.resolve(__dirname, "..", "..", "policy");

/** `policy/config.<stack>.json`, when it exists. */
export function stackConfigFile(stack: string): string | undefined {
  const file = path.join(POLICY_DIR, `config.${stack}.json`);
  return existsSync(file) ? file : undefined;
}
