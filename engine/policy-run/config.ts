/** Step 2: enforcement levels and each policy's config, as the engine resolves and validates them. */
import type { EnforcementLevel } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { policies as packPolicies, type PlatformPolicy } from "../../policy/rules";
import { PolicyConfigError, type PolicyConfig, type PolicyConfigValue } from "./types";

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
