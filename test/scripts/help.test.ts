/**
 * Every command a user runs answers --help with its usage and exit 0, without doing its work (a
 * help request that plans, builds or starts emulators is a defect of its own), and without loading
 * Pulumi: `npm run plan -- --help` answers in a fraction of a second, not after the seconds the
 * engine takes to load.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const run = promisify(execFile);
const scratch = mkdtempSync(path.join(tmpdir(), "help-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Commands whose --help still loads Pulumi, each with why; a ratchet: one that stops loading it fails
 * here until it leaves the list. Empty since the service-name rule moved to composition/service-name.ts
 * and docs:figures loads the policy runner only to compute figures.
 */
const HELP_LOADS_PULUMI: Readonly<Record<string, string>> = {};

/** package.json `scripts`: what `npm run <name>` runs. */
const NPM_SCRIPTS = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/**
 * The script as its npm script runs it (`tsx <script>`, checked against package.json in each test),
 * in one process: `node --import tsx`, the loader the tsx command starts its child with, without the
 * tsx command's own process around it. The npm packages the script's process loaded come back too.
 */
async function tsx(script: string, args: readonly string[], timeout: number): Promise<{ stdout: string; stderr: string; code: number; loaded: string[][] }> {
  const record = path.join(scratch, `${path.basename(script)}-${args.join("_").replace(/[^\w-]/g, "")}-${Date.now()}.jsonl`);
  const env = { ...process.env, NODE_OPTIONS: `--require ${path.join(root, "test/helpers/loaded-packages.cjs")}`, LOADED_PACKAGES_FILE: record };
  const done = await run(process.execPath, ["--import", "tsx", path.join(root, script), ...args], { cwd: root, timeout, env }).then(
    ({ stdout, stderr }) => ({ stdout, stderr, code: 0 }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: e.code ?? -1 }),
  );
  const loaded = readFileSync(record, "utf8").trim().split("\n").map((line) => JSON.parse(line) as string[]);
  return { ...done, loaded };
}

/** Pulumi's packages among what a command's processes loaded. */
const pulumiLoaded = (loaded: readonly string[][]): string[] => [...new Set(loaded.flat().filter((p) => p.startsWith("@pulumi/")))].sort();

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
  it.each(COMMANDS)("%s --help prints its usage quickly and exits 0", async (name, script, usage) => {
    expect(NPM_SCRIPTS[name.replace(/^npm run /, "")], `package.json scripts: ${name}`).toBe(`tsx ${script}`);
    const started = Date.now();
    const { stdout, code, loaded } = await tsx(script, ["--help"], 30_000);
    expect(code).toBe(0);
    expect(stdout).toMatch(usage);
    // Planning takes 20 s or more: a help that fast did not plan.
    expect(Date.now() - started).toBeLessThan(20_000);
    // The probe ran in the command's process.
    expect(loaded.length).toBeGreaterThan(0);
    if (script in HELP_LOADS_PULUMI) expect(pulumiLoaded(loaded), `${script} no longer loads Pulumi for --help: remove it from HELP_LOADS_PULUMI`).not.toEqual([]);
    else expect(pulumiLoaded(loaded), "loaded for --help").toEqual([]);
  }, 40_000);

  it("lists in HELP_LOADS_PULUMI only commands of this file", () => {
    for (const script of Object.keys(HELP_LOADS_PULUMI)) expect(COMMANDS.map(([, s]) => s)).toContain(script);
  });
});

const MISTAKES: readonly (readonly [string, string, string, RegExp])[] = [
  ["npm run plan", "--stak dev", "engine/cli/plan.ts", /^error: Unknown option '--stak'; did you mean --stack\?/],
  ["npm run policy", "--plna plan.json", "engine/cli/policy.ts", /^error: Unknown option '--plna'/],
  ["npm run dev", "--stak dev", "scripts/dev.ts", /^error: Unknown option '--stak'/],
  ["npm run dev", "--payment later", "scripts/dev.ts", /^error: --payment: expected one of approve, decline, error, hang, found "later"/],
  ["npm run dev", "--port http", "scripts/dev.ts", /^error: --port: expected a port number \(1-65535\), found "http"/],
  ["npm run bench", "cold-starts", "scripts/bench.ts", /^error: unknown benchmark cold-starts/],
  ["npm run docs:api", "--chek", "scripts/api-reference.ts", /^error: unknown argument --chek/],
];

describe("a mistyped argument", () => {
  it.each(MISTAKES)("%s -- %s: one line naming it, the usage, exit 2, no stack trace, nothing started", async (name, args, script, message) => {
    expect(NPM_SCRIPTS[name.replace(/^npm run /, "")], `package.json scripts: ${name}`).toBe(`tsx ${script}`);
    const failure = await tsx(script, args.split(" "), 60_000);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toMatch(message);
    expect(failure.stderr).toMatch(/\nusage: /);
    expect(failure.stderr).not.toMatch(/\n\s+at /);
    expect(failure.loaded.length).toBeGreaterThan(0);
    expect(pulumiLoaded(failure.loaded), "loaded for a mistyped argument").toEqual([]);
  }, 90_000);
});
