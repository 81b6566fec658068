/**
 * Every command a user runs answers --help with its usage and exit 0, without doing its work (a
 * help request that plans, builds or starts emulators is a defect of its own).
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const run = promisify(execFile);

const COMMANDS: readonly (readonly [string, string, RegExp])[] = [
  ["npm run plan", "engine/cli/plan.ts", /^usage: npm run plan -- --stack <name>/],
  ["npm run policy", "engine/cli/policy.ts", /^usage: npm run policy -- --plan <plan.json>/],
  ["npm run build:functions", "scripts/build-functions.ts", /^usage: npm run build:functions/],
  ["npm run new-service", "scripts/new-service.ts", /^usage: npm run new-service -- <name>/],
  ["npm run docs:figures", "scripts/doc-figures.ts", /^usage: npm run docs:figures/],
  ["npm run docs:diagram", "scripts/render-diagram.ts", /^usage: npm run docs:diagram/],
];

describe("--help", () => {
  it.each(COMMANDS)("%s --help prints its usage quickly and exits 0", async (_name, script, usage) => {
    const started = Date.now();
    const { stdout } = await run(path.join(root, "node_modules/.bin/tsx"), [path.join(root, script), "--help"], { cwd: root, timeout: 30_000 });
    expect(stdout).toMatch(usage);
    // Planning takes 20 s or more: a help that fast did not plan.
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 40_000);
});
