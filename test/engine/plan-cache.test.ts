import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { cachedPlan, hashTree, type PlanCacheOptions, type PlanCacheRequest } from "../../engine/plan-cache";
import type { Plan } from "../../engine/plan-format";

/**
 * A project laid out like this repository, one file of each kind the evaluation reads, an npm package
 * outside the project (the evaluation "loads" it) and an output under .build/ that the plan names.
 * The evaluation is a stub that counts its runs: the test is about when the cache may answer.
 */
let base: string;
let root: string;
let outside: string;
let runs: number;
let env: NodeJS.ProcessEnv;
/** The cache's clock: now, or an hour ahead so that every file has settled and its recorded hash is reused. */
let clock: () => number;

const files: Record<string, string> = {
  "index.ts": 'import "./composition/program";\n',
  "composition/program.ts": "export const services = 4;\n",
  "components/function-app/index.ts": "export class FunctionApp {}\n",
  "lib/config.ts": "export const schema = {};\n",
  "functions-src/orders/src/index.ts": "export const handler = 1;\n",
  "functions-src/orders/service.ts": "export const needs = [];\n",
  "Pulumi.yaml": "name: serverless-platform\n",
  "Pulumi.prod.yaml": "config:\n  serverless-platform:location: westeurope\n",
  "policy/rules/web.ts": "export const rules = [];\n",
  "engine/simulator.ts": "export class Simulator {}\n",
  "package.json": '{ "name": "x" }\n',
  "package-lock.json": '{ "lockfileVersion": 3 }\n',
  "node_modules/.package-lock.json": '{ "lockfileVersion": 3 }\n',
  ".build/functions/orders/orders.zip": "zip bytes\n",
};

const request = (over: Partial<PlanCacheRequest> = {}): PlanCacheRequest => ({ stack: "prod", projectDir: root, ...over });

function options(): PlanCacheOptions {
  return {
    directory: path.join(root, ".build", "plan-cache"),
    roots: [root],
    env,
    loadedFiles: () => [path.join(outside, "pkg", "index.js"), path.join(root, "index.ts")],
    now: clock,
  };
}

const plan = (): Plan => ({
  project: "serverless-platform",
  stack: "prod",
  resources: [
    {
      urn: "urn:pulumi:prod::serverless-platform::pulumi-nodejs:dynamic:Resource::orders-code",
      type: "pulumi-nodejs:dynamic:Resource",
      name: "orders-code",
      custom: true,
      inputs: { packagePath: path.join(root, ".build", "functions", "orders", "orders.zip") },
      dependencies: [],
      propertyDependencies: {},
      options: { protect: false, retainOnDelete: false },
      outputs: {},
    },
  ],
  outputs: { run: runs },
});

const evaluate = async (): Promise<Plan> => {
  runs++;
  console.warn(`warning: [runtime] evaluation ${runs}`);
  return plan();
};

const run = (over: Partial<PlanCacheRequest> = {}) => cachedPlan(request(over), evaluate, options());

beforeEach(async () => {
  clock ??= CLOCKS[0]!.clock;
  base = mkdtempSync(path.join(tmpdir(), "plan-cache-"));
  root = path.join(base, "repo");
  outside = path.join(base, "npm");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  mkdirSync(path.join(outside, "pkg"), { recursive: true });
  writeFileSync(path.join(outside, "pkg", "index.js"), "module.exports = 1;\n");
  runs = 0;
  env = { PATH: "/usr/bin", HOME: "/root" };
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
  // The first evaluation, recorded.
  const first = await run();
  expect(first.hit).toBe(false);
  expect(runs).toBe(1);
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(base, { recursive: true, force: true });
});

/** The two ways an input is known unchanged: read and hashed again, or its settled status matches the record. */
const CLOCKS = [
  { name: "files just written (hashed on every use)", clock: (): number => Date.now() },
  { name: "files settled (unchanged statuses reuse recorded hashes)", clock: (): number => Date.now() + 3_600_000 },
];

describe.each(CLOCKS)("plan cache: reused only while no input changed; $name", ({ clock: c }) => {
  beforeAll(() => {
    clock = c;
  });

  it("answers an unchanged project from the cache, with the evaluation's console output again", async () => {
    const warn = vi.mocked(console.warn);
    warn.mockClear();
    const again = await run();
    expect(again.hit).toBe(true);
    expect(runs).toBe(1);
    expect(again.plan.outputs).toEqual({ run: 1 });
    expect(warn.mock.calls).toEqual([["warning: [runtime] evaluation 1"]]);
  });

  // Each kind of input the evaluation reads: editing it must miss, and the next run hits again.
  const edits = Object.keys(files).filter((f) => f !== ".build/functions/orders/orders.zip");
  it.each(edits)("misses after an edit of %s, then caches the new evaluation", async (file) => {
    appendFileSync(path.join(root, file), "// edited\n");
    const after = await run();
    expect(after.hit).toBe(false);
    expect(after.reason).toBe(`${file} changed`);
    expect(runs).toBe(2);
    expect((await run()).hit).toBe(true);
    expect(runs).toBe(2);
  });

  it("misses when a file is added anywhere in the project (a new service folder) or one is removed", async () => {
    mkdirSync(path.join(root, "functions-src", "billing"));
    writeFileSync(path.join(root, "functions-src", "billing", "service.ts"), "export const needs = [];\n");
    expect((await run()).reason).toBe(`${path.join("functions-src", "billing", "service.ts")} is new`);
    rmSync(path.join(root, "lib", "config.ts"));
    expect((await run()).reason).toBe(`${path.join("lib", "config.ts")} was removed`);
    expect(runs).toBe(3);
  });

  it("names every changed project file in its reason (up to three, then a count), not only the first", async () => {
    const project = Object.keys(files).filter((f) => !f.startsWith(".build/"));
    expect(project.length).toBeGreaterThanOrEqual(2);
    for (const f of project.slice(0, 2)) appendFileSync(path.join(root, f), "// edited\n");
    const two = (await run()).reason ?? "";
    expect(two.split(", ").sort()).toEqual(project.slice(0, 2).map((f) => `${f} changed`).sort());
    for (const n of [1, 2, 3, 4, 5]) writeFileSync(path.join(root, `extra-${n}.ts`), "export {};\n");
    expect((await run()).reason).toMatch(/^extra-\d\.ts is new, extra-\d\.ts is new, extra-\d\.ts is new and 2 more files$/);
  });

  it("misses when a loaded npm file changes or a file appears next to it (module resolution)", async () => {
    appendFileSync(path.join(outside, "pkg", "index.js"), "// patched\n");
    expect((await run()).reason).toContain(path.join(outside, "pkg", "index.js"));
    writeFileSync(path.join(outside, "pkg", "index.json"), "{}\n");
    expect((await run()).reason).toContain(`the files in ${path.join(outside, "pkg")} changed`);
    expect(runs).toBe(3);
  });

  it("misses when an output the plan names (a service package under .build/) changed or is gone", async () => {
    const zip = path.join(root, ".build", "functions", "orders", "orders.zip");
    writeFileSync(zip, "other bytes\n");
    expect((await run()).reason).toBe(`${path.relative(root, zip)} changed`);
    rmSync(zip);
    expect((await run()).reason).toBe(`${path.relative(root, zip)} changed`);
    expect(runs).toBe(3);
  });

  it("misses when an environment variable is set, changed or removed, and names it", async () => {
    env = { ...env, PULUMI_CONFIG_PASSPHRASE: "x" };
    expect((await run()).reason).toBe("environment: PULUMI_CONFIG_PASSPHRASE is set");
    env = { ...env, HOME: "/home/other" };
    expect((await run()).reason).toBe("environment: HOME changed");
    const { PULUMI_CONFIG_PASSPHRASE: _removed, ...rest } = env;
    env = rest;
    expect((await run()).reason).toBe("environment: PULUMI_CONFIG_PASSPHRASE is unset");
    env = { ...env, A: "1", B: "2", C: "3", D: "4", PATH: "/bin" };
    expect((await run()).reason).toBe("environment: A is set, B is set, C is set and 2 more variables");
    expect(runs).toBe(5);
  });

  it("still answers when only how the plan was launched changed: the shell's _, OLDPWD, PWD and SHLVL, npm's npm_*, INIT_CWD, NODE, EDITOR and COLOR", async () => {
    env = { ...env, _: "/usr/bin/npm", OLDPWD: "/tmp", PWD: root, SHLVL: "3", npm_config_loglevel: "silent", npm_lifecycle_event: "plan", INIT_CWD: root, NODE: "/usr/bin/node", EDITOR: "vi", COLOR: "1" };
    expect((await run()).hit).toBe(true);
    env = { ...env, _: "/usr/local/bin/npx", OLDPWD: "/home", SHLVL: "1", npm_config_loglevel: "notice", INIT_CWD: path.join(root, "functions-src"), COLOR: "0" };
    expect((await run()).hit).toBe(true);
    // A name that only starts like one, or ends like one, is keyed.
    env = { ...env, NPM_CONFIG_REGISTRY: "https://registry.example" };
    expect((await run()).reason).toBe("environment: NPM_CONFIG_REGISTRY is set");
    env = { ...env, NODE_OPTIONS: "--max-old-space-size=4096" };
    expect((await run()).reason).toBe("environment: NODE_OPTIONS is set");
    expect(runs).toBe(3);
  });

  it("keeps one entry per stack and kind: another stack, a dry run or another program never answers for this one", async () => {
    expect((await run({ stack: "dev" })).hit).toBe(false);
    expect((await run({ dryRun: true })).hit).toBe(false);
    expect((await run({ program: path.join(root, "other.ts") })).hit).toBe(false);
    expect(runs).toBe(4);
    expect((await run()).hit).toBe(true);
    expect((await run({ dryRun: true })).hit).toBe(true);
  });

  it("records nothing when the evaluation throws, or when an input changed while it ran", async () => {
    appendFileSync(path.join(root, "index.ts"), "// edited\n");
    await expect(cachedPlan(request(), () => Promise.reject(new Error("config error")), options())).rejects.toThrow("config error");
    expect((await run()).hit).toBe(false);
    appendFileSync(path.join(root, "index.ts"), "// edited again\n");
    const racing = await cachedPlan(
      request(),
      async () => {
        appendFileSync(path.join(root, "composition", "program.ts"), "// saved during the plan\n");
        return evaluate();
      },
      options(),
    );
    expect(racing.reason).toContain("not cached");
    expect((await run()).hit).toBe(false);
  });

  it("walks every file under the roots but not node_modules, .git, .build or .plan", () => {
    mkdirSync(path.join(root, ".plan"));
    writeFileSync(path.join(root, ".plan", "prod.baseline.json"), "{}\n");
    const walked = Object.keys(hashTree([root]) ?? {}).map((f) => path.relative(root, f));
    expect(walked.sort()).toEqual(edits.filter((f) => !f.startsWith("node_modules/")).sort());
  });

  it("keeps a bounded number of entries: planning many temporary projects does not fill the disk", async () => {
    for (let i = 0; i < 15; i++) await run({ stack: `s${i}` });
    expect(readdirSync(path.join(root, ".build", "plan-cache")).filter((f) => f.endsWith(".json"))).toHaveLength(12);
  });

  it("misses after an edit that keeps the file's size and puts its modification time back (the change time moved)", async () => {
    const file = path.join(root, "composition", "program.ts");
    // A whole second, which utimes sets exactly (a file's own time has nanoseconds it cannot put back).
    const mtime = Math.floor(Date.now() / 1000) - 60;
    utimesSync(file, mtime, mtime);
    const before = statSync(file, { bigint: true });
    await run();
    writeFileSync(file, readFileSync(file, "utf8").replace("4", "5"));
    utimesSync(file, mtime, mtime);
    expect(statSync(file, { bigint: true }).size).toBe(before.size);
    expect(statSync(file, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
    const after = await run();
    expect(after.hit).toBe(false);
    expect(after.reason).toBe(`${path.join("composition", "program.ts")} changed`);
  });
});

describe("plan cache: a file's status stands for its content only once it has settled", () => {
  const entryOf = (): { settled: Record<string, string> } => {
    const dir = path.join(root, ".build", "plan-cache");
    return JSON.parse(readFileSync(path.join(dir, readdirSync(dir).find((f) => f.startsWith("prod.plan."))!), "utf8")) as { settled: Record<string, string> };
  };

  it("reads no input again while every status matches a settled record, and reads an edited one", async () => {
    clock = CLOCKS[1]!.clock;
    await run({ stack: "settling" });
    const unchanged = await run({ stack: "settling" });
    expect(unchanged.hit).toBe(true);
    expect(unchanged.inputsRead).toBe(0);
    appendFileSync(path.join(root, "lib", "config.ts"), "// edited\n");
    const edited = await run({ stack: "settling" });
    expect(edited.hit).toBe(false);
    expect(edited.inputsRead).toBeGreaterThanOrEqual(1);
  });

  it("records no status for a file changed less than a few seconds before it was hashed, so it is read on every use", async () => {
    clock = CLOCKS[0]!.clock;
    appendFileSync(path.join(root, "lib", "config.ts"), "// edited\n");
    await run();
    expect(Object.keys(entryOf().settled)).not.toContain(path.join(root, "lib", "config.ts"));
    const again = await run();
    expect(again.hit).toBe(true);
    expect(again.inputsRead).toBeGreaterThanOrEqual(1);
  });
});

describe("plan cache: what an entry keeps of the process and the environment", () => {
  const entryFiles = (): string[] => readdirSync(path.join(root, ".build", "plan-cache")).filter((f) => f.endsWith(".json")).map((f) => path.join(root, ".build", "plan-cache", f));

  it("keeps no variable's value, nor a hash that would confirm a guess of it (4 salted hex digits per variable)", async () => {
    const secret = "correct horse battery staple";
    env = { ...env, PULUMI_CONFIG_PASSPHRASE: secret };
    await run();
    const [file] = entryFiles();
    const text = readFileSync(file!, "utf8");
    expect(text).not.toContain(secret);
    const { createHash } = await import("node:crypto");
    expect(text).not.toContain(createHash("sha256").update(secret).digest("hex").slice(0, 16));
    const entry = JSON.parse(text) as { environment: { salt: string; variables: Record<string, string> } };
    expect(Object.keys(entry.environment.variables).sort()).toEqual(["HOME", "PATH", "PULUMI_CONFIG_PASSPHRASE"]);
    for (const fingerprint of Object.values(entry.environment.variables)) expect(fingerprint).toMatch(/^[0-9a-f]{4}$/);
  });

  it("names the process field that changed (an entry written by another Node.js version), and an entry of an older format", async () => {
    const [file] = entryFiles();
    const entry = JSON.parse(readFileSync(file!, "utf8")) as { key: string; process: { node: string } };
    writeFileSync(file!, JSON.stringify({ ...entry, key: "0".repeat(64), process: { ...entry.process, node: "v18.0.0" } }));
    expect((await run()).reason).toBe(`the Node.js version changed (v18.0.0 → ${process.version})`);
    writeFileSync(file!, JSON.stringify({ format: 2, key: "0".repeat(64), tree: {}, files: {}, listings: {}, console: [], plan: plan() }));
    expect((await run()).reason).toBe("the cache format changed");
    expect(runs).toBe(3);
    expect((await run()).hit).toBe(true);
  });
});
