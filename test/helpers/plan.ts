/**
 * Test helpers over the offline engine: evaluate a few components under the simulated provider
 * and query what they registered.
 */
import { evaluateProgram } from "../../engine/plan";
import type { Plan, PlannedResource } from "../../engine/plan-format";
import { PROJECT, type StackConfig, parseStackConfig } from "../../lib/config";

/** Runs `program` (which creates resources) as stack `stack` and returns the plan. */
export function evaluate(
  program: () => Promise<Record<string, unknown> | void> | Record<string, unknown> | void,
  stack = "test",
): Promise<Plan> {
  return evaluateProgram({
    project: PROJECT,
    stack,
    program: async () => (await program()) ?? {},
  });
}

/** Resources of one type (full token, e.g. `azure-native:web:WebApp`). */
export function ofType(plan: Plan, type: string): PlannedResource[] {
  return plan.resources.filter((r) => r.type === type);
}

/** The single resource of `type` (optionally with logical name `name`); fails when not exactly one. */
export function one(plan: Plan, type: string, name?: string): PlannedResource {
  const found = ofType(plan, type).filter((r) => name === undefined || r.name === name);
  if (found.length !== 1) {
    const names = ofType(plan, type).map((r) => r.name).join(", ");
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length} (${names || "none"})`);
  }
  return found[0]!;
}

/** A valid stack config for tests; `overrides` replace top-level sections. */
export function testConfig(overrides: Partial<Record<keyof StackConfig, unknown>> = {}): StackConfig {
  const base: Record<string, unknown> = {
    environment: "dev",
    location: "eastus",
    allowedLocations: ["eastus", "eastus2"],
    namePrefix: "test",
    tags: { owner: "team", costCenter: "1" },
    services: { orders: {} },
    apiManagement: { publisherName: "Team", publisherEmail: "team@example.com" },
    ...overrides,
  };
  const raw = Object.fromEntries(
    Object.entries(base).map(([k, v]) => [`${PROJECT}:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
  );
  return parseStackConfig("test", raw);
}
