/**
 * policy/README.md's "Every resource type in the plans" table lists every custom resource type of both
 * real plans (issue 14: the coverage table is complete for our resource types). A component that adds a
 * type fails here until the table says which peer rules and which of ours read it.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { stackPlan } from "../helpers/stack-plans";

const README = readFileSync(path.resolve(__dirname, "../../policy/README.md"), "utf8");

/** The types the table lists: backquoted tokens in its first column, `Foo` short forms completed from the row's first full token. */
function listedTypes(): Set<string> {
  const start = README.indexOf("### Every resource type in the plans");
  expect(start, "policy/README.md has the section").toBeGreaterThan(0);
  const types = new Set<string>();
  for (const line of README.slice(start).split("\n")) {
    if (!line.startsWith("| `")) continue;
    const first = line.split("|")[1]!;
    const tokens = [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const full = tokens[0]!;
    const prefix = full.slice(0, full.lastIndexOf(":") + 1);
    for (const t of tokens) types.add(t.includes(":") ? t : `${prefix}${t}`);
  }
  return types;
}

describe("policy/README.md coverage table", () => {
  it.each(["dev", "prod"] as const)("lists every resource type of the %s plan", async (stack) => {
    const plan = await stackPlan(stack);
    const listed = listedTypes();
    const missing = [...new Set(plan.resources.filter((r) => r.custom).map((r) => r.type))].filter((t) => !listed.has(t)).sort();
    expect(missing, `add rows to "Every resource type in the plans" in policy/README.md for: ${missing.join(", ")}`).toEqual([]);
  }, 600_000);
});
