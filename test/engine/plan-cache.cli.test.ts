import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyRepository } from "../../scripts/new-service";

/**
 * The plan cache with the real program, in a copy of the repository (its own .build/): what the CLI
 * records after evaluating covers the npm packages it loaded and the ones esbuild bundled into the
 * service packages. test/engine/plan-cache.test.ts edits every kind of input (with a stub evaluation)
 * and shows each edit misses; `npm run bench` checks that its "after one edit" plan was evaluated.
 */
const ROOT = path.resolve(__dirname, "../..");
let base: string;
let repo: string;

function plan(): { status: number | null; stderr: string; json: string } {
  const json = path.join(base, `plan-${Date.now()}.json`);
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(repo, "engine/cli/plan.ts"), "--stack", "dev", "--no-baseline", "--json", json], {
    cwd: repo,
    encoding: "utf8",
    timeout: 240_000,
  });
  return { status: r.status, stderr: r.stderr, json };
}

interface Entry {
  readonly tree: Record<string, string>;
  readonly files: Record<string, string>;
}

let first: ReturnType<typeof plan>;
let second: ReturnType<typeof plan>;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), "plan-cache-cli-"));
  repo = path.join(base, "repo");
  copyRepository(ROOT, repo);
  first = plan();
  second = plan();
}, 480_000);

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

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
