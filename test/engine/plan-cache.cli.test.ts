import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { scaffoldedRepository } from "../helpers/scaffolded-copy";

/**
 * The plan cache with the real program, in a copy of the repository (its own .build/): what the CLI
 * records after evaluating covers the npm packages it loaded and the ones esbuild bundled into the
 * service packages. test/engine/plan-cache.test.ts edits every kind of input (with a stub evaluation)
 * and shows each edit misses; `npm run bench` checks that its "after one edit" plan was evaluated.
 *
 * The copy is the run's scaffolded one (../helpers/scaffolded-copy.ts): its dev plan, `npm run plan --
 * --stack dev --no-baseline --json <file>` run in the copy, is the copy's first, and the same command
 * runs again once it has finished. A copy of its own would cost this file a cold plan of its own.
 */
let repo: string;

interface Entry {
  readonly tree: Record<string, string>;
  readonly files: Record<string, string>;
}

interface Run {
  readonly status: number | null;
  readonly stderr: string;
  readonly json: string;
}

let first: Run;
let second: Run;

beforeAll(async () => {
  const copy = await scaffoldedRepository();
  repo = copy.root;
  first = { status: copy.runs.dev.code, stderr: copy.runs.dev.stderr, json: copy.runs.dev.planFile };
  second = { status: copy.devAgain.code, stderr: copy.devAgain.stderr, json: copy.devAgain.planFile };
}, 480_000);

describe("plan cache with the real program (a copy of the repository)", () => {
  it("evaluates the first plan and answers the unchanged second one from the cache, with the same plan", () => {
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/program evaluated: \d+ resources registered in [\d.]+ s \(evaluated: no cached plan\)/);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/program evaluated: \d+ resources registered in [\d.]+ s \(reused: no input changed since it was evaluated\)/);
    expect(readFileSync(second.json, "utf8")).toBe(readFileSync(first.json, "utf8"));
  });

  it("records the npm files the evaluation loaded and the ones bundled into the services, and every project file", () => {
    const dir = path.join(repo, ".build", "plan-cache");
    const entry = JSON.parse(readFileSync(path.join(dir, readdirSync(dir).find((f) => f.startsWith("dev.plan."))!), "utf8")) as Entry;
    const files = Object.keys(entry.files);
    // Loaded by the plan process (the program's azure-native submodules).
    expect(files.some((f) => f.includes(`${path.sep}@pulumi${path.sep}azure-native${path.sep}web${path.sep}`))).toBe(true);
    // Read only by esbuild for a service package (the Cosmos DB SDK is bundled, never loaded by the plan).
    expect(files.some((f) => f.includes(`${path.sep}@azure${path.sep}cosmos${path.sep}`))).toBe(true);
    // The service packages the plan names.
    expect(files.some((f) => f.startsWith(path.join(repo, ".build", "functions")) && f.endsWith(".zip"))).toBe(true);
    for (const f of ["index.ts", "Pulumi.dev.yaml", "package-lock.json", path.join("functions-src", "orders", "service.ts"), path.join("policy", "index.ts")]) {
      expect(Object.keys(entry.tree)).toContain(path.join(repo, f));
    }
  });

});
