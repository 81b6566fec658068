/**
 * Mistakes as a user meets them: `npm run plan` on a project with one mistake. Each gives exit code 2
 * and one message naming the file (at a line and column) or the key, with a fix, and no stack trace;
 * a bug of ours gives exit 1, its stack and an invitation to report it. The mistakes run the command
 * in this process (../helpers/plan-cli.ts: everything it prints, on the stream it prints it to); the
 * bug and the misspelt stack run the real entry point in a child process, for the exit codes and
 * stderr a process gives.
 */
import { spawn } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPORT_A_BUG } from "../../components/core/user-error";
import { type CliRun, planInProcess } from "../helpers/plan-cli";

const root = path.resolve(__dirname, "../..");
const cli = path.join(root, "engine/cli/plan.ts");
// Inside the repository, so the copied services' npm imports resolve when they are bundled.
const work = path.join(root, ".build", `cli-errors-${process.pid}`);
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Project {
  readonly dir: string;
  /** Edits a file of the project copy (paths relative to it). */
  edit(file: string, change: (text: string) => string): void;
}

/** A copy of the project (stack files, functions-src) whose program composes the copied services. */
function project(name: string, stack: "dev" | "prod" = "dev"): Project {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(root, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  // A project a user could deploy, but for the one mistake under test: the stack files' placeholder
  // hosts (reserved names, reported as warnings by every plan: lib/endpoints.ts) get real ones.
  const stackFile = readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8").replaceAll("contoso.example", "contoso.com");
  writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stackFile);
  cpSync(path.join(root, "functions-src"), path.join(dir, "functions-src"), { recursive: true });
  writeFileSync(
    path.join(dir, "program.ts"),
    `import { runProgram } from ${JSON.stringify(path.join(root, "composition/program"))};\n` +
      `export const outputs = runProgram({ functionsRoot: ${JSON.stringify(path.join(dir, "functions-src"))} });\n`,
  );
  return {
    dir,
    edit(file, change) {
      const full = path.join(dir, file);
      const before = readFileSync(full, "utf8");
      const after = change(before);
      if (after === before) throw new Error(`the edit of ${file} changed nothing`);
      writeFileSync(full, after);
    },
  };
}

function planArgs(p: Project, stack: string, program: string): string[] {
  return ["--stack", stack, "--project-dir", p.dir, "--program", program, "--quiet"];
}

/** `npm run plan` on the project, in this process. */
function plan(p: Project, stack = "dev", program = path.join(p.dir, "program.ts")): Promise<CliRun> {
  return planInProcess(planArgs(p, stack, program));
}

/**
 * `npm run plan` on the project, the real entry point in a child process: `node --import tsx`, the
 * process the tsx command starts (test/scripts/help.test.ts checks the npm script runs this file).
 */
function planInChild(p: Project, stack = "dev", program = path.join(p.dir, "program.ts"), env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...planArgs(p, stack, program)], { cwd: root, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** One message, exit 2, nothing else printed, no stack trace. */
function expectOneUserError(r: CliRun): void {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr.match(/^error: /gm)).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at |BundleError|ConfigError|esbuild failed|internal error/);
}

const shownDir = (p: Project): string => path.relative(root, p.dir);

// One at a time: the in-process runs share the Pulumi runtime of this process.
describe("npm run plan: each mistake is one exact message (issue 19)", () => {
  it("a syntax error in a service: file:line:column, the line and the fix", async () => {
    const p = project("syntax");
    p.edit("functions-src/orders/src/index.ts", (t) => `${t}\nconst broken = ;\n`);
    const r = await plan(p);
    expectOneUserError(r);
    const lines = readFileSync(path.join(p.dir, "functions-src/orders/src/index.ts"), "utf8").split("\n");
    const line = lines.indexOf("const broken = ;") + 1;
    expect(r.stderr).toBe(
      `error: ${shownDir(p)}/functions-src/orders/src/index.ts:${line}:16: Unexpected ";"\n` +
        `  ${line} | const broken = ;\n  ${" ".repeat(`${line} | `.length + 15)}^\n` +
        'Service "orders" does not compile: fix the code at that place (npm run typecheck lists type errors too).\n',
    );
  }, 180_000);

  it("a bad access value names the manifest and field, not a missing lease container", async () => {
    const p = project("access");
    p.edit("functions-src/notifications/service.ts", (t) => t.replace('access: "changeFeed"', 'access: "changefeed"'));
    const r = await plan(p);
    expectOneUserError(r);
    expect(r.stderr).toBe(
      'error: Invalid configuration for stack "dev":\n' +
        `  - ${shownDir(p)}/functions-src/notifications/service.ts: uses.containers[0].access: got the string "changefeed"; expected one of "read", "readWrite", "changeFeed"; did you mean "changeFeed"?\n`,
    );
  }, 180_000);

  it("a wrong openapi path names the field and the file that exists, no raw esbuild error", async () => {
    const p = project("openapi");
    p.edit("functions-src/orders/service.ts", (t) => t.replace('openapi: "src/openapi.ts"', 'openapi: "src/open-api.ts"'));
    const r = await plan(p);
    expectOneUserError(r);
    expect(r.stderr).toBe(
      'error: Invalid configuration for stack "dev":\n' +
        `  - ${shownDir(p)}/functions-src/orders/service.ts: http.openapi: "src/open-api.ts" does not exist in ${shownDir(p)}/functions-src/orders; did you mean "src/openapi.ts"?\n`,
    );
  }, 180_000);

  it("declared triggers that differ from the functions the code registers", async () => {
    const p = project("triggers");
    p.edit("functions-src/orders/service.ts", (t) => t.replace('triggers: ["http", "queue", "timer"]', 'triggers: ["http", "queue"]'));
    const r = await plan(p);
    expectOneUserError(r);
    expect(r.stderr).toBe(
      `error: ${shownDir(p)}/functions-src/orders/service.ts: src/index.ts registers timer (relayOutbox) but triggers does not declare it ` +
        "(registered: http: createOrder, listOrders, getOrder, cancelOrder, deleteOrder, health; queue: applyStatusReport; timer: relayOutbox). " +
        'Fix: triggers: ["http","queue","timer"]\n',
    );
  }, 180_000);

  it.each([
    ["a misspelt namespace in prod", "prod", (y: string) => y.replace("serverless-platform:protectData: true", "serverless-platfrom:protectData: true"), 'serverless-platfrom:protectData: unknown namespace "serverless-platfrom"; did you mean serverless-platform:protectData?'],
    ["a wrong-typed number", "dev", (y: string) => y.replace("maximumInstanceCount: 40", "maximumInstanceCount: forty"), 'serverless-platform:services.orders.maximumInstanceCount: got the string "forty"; expected a number'],
    ["a negative daily cap (it crashed with a stack trace)", "dev", (y: string) => y.replace("dailyQuotaGb: 0.1", "dailyQuotaGb: -0.5"), "serverless-platform:monitoring.dailyQuotaGb: got the number -0.5; expected -1 (no cap) or a positive number of GB per day"],
    ["required tags that every object seems to have", "dev", (y: string) => y.replace("requiredTags: [owner, costCenter]", "requiredTags: [owner, constructor, toString]"), "serverless-platform:tags: missing required tag(s) constructor, toString (requiredTags: [owner, constructor, toString])"],
    ["an address space too small for the private network", "prod", (y: string) => y.replace("addressSpace: 10.40.0.0/16", "addressSpace: 10.40.0.0/25"), 'serverless-platform:network.addressSpace: "10.40.0.0/25" must be /8 to /24 (room for two subnets)'],
    ["a misspelt service name", "dev", (y: string) => y.replace("    catalog:\n", "    catalg:\n"), `serverless-platform:services.catalg: no service folder: expected ${".build"}/CASE/functions-src/catalg/service.ts; did you mean catalog?`],
  ] as const)("%s", async (name, stack, change, message) => {
    const p = project(name.replace(/[^a-z]+/g, "-"), stack);
    p.edit(`Pulumi.${stack}.yaml`, change);
    const r = await plan(p, stack);
    expectOneUserError(r);
    expect(r.stderr).toBe(`error: Invalid configuration for stack "${stack}":\n  - ${message.replace(".build/CASE", shownDir(p))}\n`);
  }, 180_000);

  it("one always-ready instance on a zone-redundant plan (issue 18 item 2)", async () => {
    const p = project("zone-redundant", "prod");
    p.edit("Pulumi.prod.yaml", (t) => t.replace("instanceCount: 2", "instanceCount: 1"));
    const r = await plan(p, "prod");
    expectOneUserError(r);
    expect(r.stderr).toMatch(/^error: FunctionApp "orders" has a setting Flex Consumption rejects or ignores:\n {2}- .*zone.*2/);
  }, 180_000);

  it("a misspelt stack name, answered before Pulumi loads", async () => {
    const p = project("stack");
    // test/helpers/loaded-packages.cjs records the npm packages the command's process loaded.
    const record = path.join(p.dir, "loaded.jsonl");
    const r = await planInChild(p, "dve", undefined, { ...process.env, NODE_OPTIONS: `--require ${path.join(root, "test/helpers/loaded-packages.cjs")}`, LOADED_PACKAGES_FILE: record });
    expectOneUserError(r);
    expect(r.stderr).toBe(`error: no stack "dve": ${path.join(p.dir, "Pulumi.dve.yaml")} not found; did you mean --stack dev? (stacks are the Pulumi.<stack>.yaml files: dev)\n`);
    const loaded = readFileSync(record, "utf8").trim().split("\n").flatMap((line) => JSON.parse(line) as string[]);
    expect(loaded.length, "the probe ran in the command's process").toBeGreaterThan(0);
    expect(loaded.filter((name) => name.startsWith("@pulumi/")), "loaded for a misspelt stack").toEqual([]);
  }, 180_000);

  it("a bug of ours: exit 1, the stack trace and an invitation to report it", async () => {
    const p = project("bug");
    const program = path.join(p.dir, "bug.ts");
    writeFileSync(program, `import { asRunError } from ${JSON.stringify(path.join(root, "lib/stack"))};\nexport const x = asRunError(() => (JSON.parse("null") as { a: { b: number } }).a.b);\n`);
    const r = await planInChild(p, "dev", program);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^internal error: TypeError: Cannot read properties of null \(reading 'a'\)\n\s+at /);
    expect(r.stderr.endsWith(`\n\n${REPORT_A_BUG}\n`)).toBe(true);
  }, 180_000);
});
