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
  ["npm run docs:api", "scripts/api-reference.ts", /^usage: npm run docs:api/],
  ["npm run dev", "scripts/dev.ts", /^usage: npm run dev -- \[--stack <name>\]/],
  ["npm run bench", "scripts/bench.ts", /^usage: npm run bench/],
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

const MISTAKES: readonly (readonly [string, string, string, RegExp])[] = [
  ["npm run dev", "--stak dev", "scripts/dev.ts", /^error: Unknown option '--stak'/],
  ["npm run dev", "--payment later", "scripts/dev.ts", /^error: --payment: expected one of approve, decline, error, hang, found "later"/],
  ["npm run dev", "--port http", "scripts/dev.ts", /^error: --port: expected a port number \(1-65535\), found "http"/],
  ["npm run bench", "cold-starts", "scripts/bench.ts", /^error: unknown benchmark cold-starts/],
  ["npm run docs:api", "--chek", "scripts/api-reference.ts", /^error: unknown argument --chek/],
];

describe("a mistyped argument", () => {
  it.each(MISTAKES)("%s -- %s: one line naming it, the usage, exit 2, no stack trace, nothing started", async (_name, args, script, message) => {
    const failure = await run(path.join(root, "node_modules/.bin/tsx"), [path.join(root, script), ...args.split(" ")], { cwd: root, timeout: 60_000 }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(message);
    expect(failure?.stderr).toMatch(/\nusage: /);
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
  }, 90_000);
});
