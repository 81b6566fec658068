/**
 * The lock guard (issue 18 item 8) on the real prod plan: a delete or replace of anything under a
 * protected account (a queue, a container, a Cosmos or ARM role assignment) is refused before `up`,
 * from a `pulumi preview --json` or from two offline plans; the same change without locks passes.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runLockGuardCli } from "../../engine/cli/lock-guard";
import { findLockedRemovals, isUnder, lockScopeOf, locksFromAzList, readPlans, readPreview } from "../../engine/lock-guard";
import type { Plan, PlannedResource } from "../../engine/plan-format";
import { stackPlan } from "../helpers/stack-plans";

const root = path.resolve(__dirname, "../..");
let prod: Plan;
beforeAll(async () => {
  prod = await stackPlan("prod");
}, 120_000);

const find = (type: string, test: (r: PlannedResource) => boolean = () => true): PlannedResource => {
  const r = prod.resources.find((x) => x.type === type && test(x));
  if (!r) throw new Error(`no ${type}`);
  return r;
};

/** A `pulumi preview --json` document: every resource of the plan as it exists, with `ops` for some. */
function preview(ops: Record<string, string>): unknown {
  return {
    steps: prod.resources
      .filter((r) => r.custom)
      .map((r) => ({
        op: ops[r.urn] ?? "same",
        urn: r.urn,
        oldState: { urn: r.urn, type: r.type, id: r.id, inputs: r.inputs, outputs: r.outputs },
        newState: { urn: r.urn, type: r.type, inputs: r.inputs },
      })),
  };
}

const QUEUE = "azure-native:storage:Queue";
const SQL_GRANT = "azure-native:cosmosdb:SqlResourceSqlRoleAssignment";
const CONTAINER = "azure-native:cosmosdb:SqlResourceSqlContainer";
const ROLE = "azure-native:authorization:RoleAssignment";

describe("lock guard", () => {
  it("prod locks its stateful accounts (CanNotDelete), so their children are locked too", () => {
    const { locks } = readPreview(preview({}));
    expect(locks.length).toBeGreaterThanOrEqual(3);
    expect(locks.every((l) => l.level === "CanNotDelete")).toBe(true);
    expect(locks.some((l) => /databaseAccounts/i.test(l.scope))).toBe(true);
  });

  it.each<[string, string, (r: PlannedResource) => boolean, string]>([
    ["a queue replaced", QUEUE, () => true, "replace"],
    ["a Cosmos container deleted", CONTAINER, () => true, "delete"],
    ["a Cosmos data-plane role assignment replaced", SQL_GRANT, () => true, "replace"],
    ["an ARM role assignment on a locked account deleted", ROLE, (r) => /storageAccounts\/[^/]+$/i.test(String(r.inputs.scope)), "delete"],
  ])("refuses %s from the preview, naming the resource, the lock and the fix", (_what, type, test, op) => {
    const victim = find(type, test);
    const { removals, locks } = readPreview(preview({ [victim.urn]: op }));
    const violations = findLockedRemovals(removals, locks);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.removal.urn).toBe(victim.urn);
    expect(violations[0]!.message).toMatch(/^\[lock-guard\] .* lies under the CanNotDelete lock on .*Fix: turn protectData off .*az lock delete --ids /);
  });

  it("lets changes through that remove nothing under a lock", () => {
    const unlocked = find("azure-native:apimanagement:Api");
    const { removals, locks } = readPreview(preview({ [unlocked.urn]: "replace", [find(QUEUE).urn]: "update" }));
    expect(removals).toHaveLength(1);
    expect(findLockedRemovals(removals, locks)).toEqual([]);
  });

  it("uses locks Pulumi does not manage too (az lock list), e.g. on the resource group", () => {
    const group = find("azure-native:resources:ResourceGroup");
    const api = find("azure-native:apimanagement:Api");
    const azList = [{ id: `${group.id}/providers/Microsoft.Authorization/locks/ops-lock`, level: "CanNotDelete", name: "ops-lock" }];
    const { removals } = readPreview(preview({ [api.urn]: "delete" }));
    expect(findLockedRemovals(removals, locksFromAzList(azList)).map((v) => v.lock.scope)).toEqual([group.id]);
  });

  it("works offline from two plans: a removed queue and a renamed (replaced) container", () => {
    const head = structuredClone(prod) as Plan & { resources: (PlannedResource & { id?: string })[] };
    const queue = find(QUEUE);
    const container = find(CONTAINER);
    head.resources.splice(head.resources.findIndex((r) => r.urn === queue.urn), 1);
    const moved = head.resources.find((r) => r.urn === container.urn)!;
    (moved as { id?: string }).id = `${container.id}-renamed`;
    const { removals, locks } = readPlans(prod, head);
    expect(findLockedRemovals(removals, locks).map((v) => [v.removal.urn, v.removal.op])).toEqual([
      [queue.urn, "delete"],
      [container.urn, "replace"],
    ].sort((a, b) => prod.resources.findIndex((r) => r.urn === a[0]) - prod.resources.findIndex((r) => r.urn === b[0])));
  });

  it("the CLI exits 1 with the messages, 0 when nothing locked is removed, 2 for bad input", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lock-guard-"));
    const file = (name: string, value: unknown) => {
      const p = path.join(dir, name);
      writeFileSync(p, JSON.stringify(value));
      return p;
    };
    const io = () => {
      const out: string[] = [];
      const err: string[] = [];
      return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
    };
    const bad = io();
    expect(runLockGuardCli(["--preview", file("bad.json", preview({ [find(QUEUE).urn]: "delete" }))], bad.io)).toBe(1);
    expect(bad.err.join("\n")).toMatch(/\[lock-guard\] azure-native:storage:Queue .*1 step\(s\) would fail on a lock/s);
    const good = io();
    expect(runLockGuardCli(["--preview", file("good.json", preview({}))], good.io)).toBe(0);
    expect(good.out.join("")).toMatch(/nothing locked is deleted/);
    const usage = io();
    expect(runLockGuardCli(["--preview", path.join(dir, "missing.json")], usage.io)).toBe(2);
    expect(usage.err.join("")).toMatch(/preview .*missing\.json cannot be read/);
    expect(runLockGuardCli([], io().io)).toBe(2);
  });

  it("reads lock scopes and nesting the ARM way (case-insensitive, at path boundaries)", () => {
    expect(lockScopeOf("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a/providers/Microsoft.Authorization/locks/x")).toBe(
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a",
    );
    expect(isUnder("/subscriptions/s/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/a/queueServices/default/queues/q", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a")).toBe(true);
    expect(isUnder("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/ab", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a")).toBe(false);
  });
});

describe("the deploy workflow", () => {
  it("runs the lock guard on a preview before every `pulumi up`", async () => {
    const { parse } = await import("yaml");
    const { readFileSync } = await import("node:fs");
    const workflow = parse(readFileSync(path.join(root, ".github", "workflows", "deploy.yml"), "utf8")) as {
      jobs: Record<string, { steps: { uses?: string; run?: string; with?: { command?: string } }[] }>;
    };
    for (const [job, { steps }] of Object.entries(workflow.jobs)) {
      const up = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions") && s.with?.command === "up");
      if (up < 0) continue;
      const guard = steps.findIndex((s) => /pulumi" preview .*--json/.test(s.run ?? "") && /engine\/cli\/lock-guard\.ts --preview/.test(s.run ?? ""));
      expect(guard, `job ${job}`).toBeGreaterThanOrEqual(0);
      expect(guard, `job ${job}`).toBeLessThan(up);
    }
  });
});
