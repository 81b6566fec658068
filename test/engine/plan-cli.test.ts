import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runPolicyCli } from "../../engine/cli/policy";
import type { Plan } from "../../engine/plan-format";
import { type CliRun, planInProcess } from "../helpers/plan-cli";
import { stackPlan } from "../helpers/stack-plans";

const root = path.resolve(__dirname, "../..");
const cli = path.join(root, "engine/cli/plan.ts");

/**
 * The real entry point in a child process (`npm run plan` is `tsx engine/cli/plan.ts`; this is the
 * process the tsx command starts, `node --import tsx`, without the command's own process around it):
 * kept for the runs that prove the process's own contract (its exit code, everything on stderr). The
 * others run the same command in this process (../helpers/plan-cli.ts), which costs a plan, not a
 * plan and a start.
 */
function runPlan(args: string[]): CliRun {
  const r = spawnSync(process.execPath, ["--import", "tsx", cli, ...args], { cwd: root, encoding: "utf8", timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A project folder with the real Pulumi.yaml and a copy of one real stack file (its baseline lands there too). */
function stackCopy(stack: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `plan-${stack}-`));
  copyFileSync(path.join(root, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  copyFileSync(path.join(root, `Pulumi.${stack}.yaml`), path.join(dir, `Pulumi.${stack}.yaml`));
  return dir;
}

/** A project folder with the real Pulumi.yaml and a stack file we can break. */
function brokenStack(edit: (yaml: string) => string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "plan-cli-"));
  copyFileSync(path.join(root, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  writeFileSync(path.join(dir, "Pulumi.broken.yaml"), edit(readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8")));
  return dir;
}

describe("npm run plan", () => {
  it("plans the dev stack as a new stack, prints the full tree with --tree and writes the plan JSON in the documented shape", async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "plan-")), "dev.json");
    const run = await planInProcess(["--stack", "dev", "--no-baseline", "--tree", "--json", out]);
    expect(run.status).toBe(0);
    const stdout = run.stdout;
    expect(stdout).toMatch(/Previewing stack "dev" of project "serverless-platform" as a new stack \(--no-baseline\)/);
    expect(stdout).toMatch(/^ \+ {3}pulumi:pulumi:Stack +serverless-platform-dev +create$/m);
    expect(stdout).toMatch(/^ \+ {3}├─ serverless-platform:web:FunctionApp +orders +create$/m);
    expect(stdout).toMatch(/^Resources: \+ \d+ to create, ~ 0 to update, \+- 0 to replace, - 0 to delete, 0 unchanged$/m);
    const plan = JSON.parse(readFileSync(out, "utf8")) as Plan;
    expect(plan.stack).toBe("dev");
    expect(plan.project).toBe("serverless-platform");
    expect(plan.resources.length).toBeGreaterThan(1);
    const stackUrn = plan.resources[0]!.urn;
    for (const r of plan.resources) {
      expect(Object.keys(r).sort()).toEqual(
        ["custom", "dependencies", "inputs", "name", "options", "outputs", "propertyDependencies", "type", "urn", ...(r.parent ? ["parent"] : []), ...(r.custom ? ["id"] : [])].sort(),
      );
      expect(r.urn).toMatch(/^urn:pulumi:dev::serverless-platform::/);
      if (r.type !== "pulumi:pulumi:Stack") expect(plan.resources.some((p) => p.urn === r.parent)).toBe(true);
      for (const d of r.dependencies) expect(plan.resources.some((p) => p.urn === d)).toBe(true);
    }
    const group = plan.resources.find((r) => r.type === "azure-native:resources:ResourceGroup")!;
    expect(group.parent).toBe(stackUrn);
    expect(group.inputs).toMatchObject({ location: "eastus", resourceGroupName: "contoso-platform-d" });
  }, 120_000);

  it("plans the prod stack the way CI does (--quiet --json): the summary line, the policy table, the first baseline saved", async () => {
    const dir = stackCopy("prod");
    const out = path.join(dir, "out", "prod.json");
    const r = runPlan(["--stack", "prod", "--quiet", "--json", out, "--project-dir", dir, "--program", path.join(root, "index.ts")]);
    // The only output on stderr: the stack file's placeholder hosts, reported as `pulumi preview` does
    // (lib/endpoints.ts; `pulumi up` refuses them), one warning per key.
    const warnings = r.stderr.split("\n").filter((l) => l.length > 0);
    expect(warnings.filter((l) => !/^warning: .*serverless-platform:[\w.[\]]+: ".*" uses the reserved name "example"/.test(l))).toEqual([]);
    expect(warnings.join("\n")).toMatch(/serverless-platform:backends\.payment\.url: "https:\/\/payments\.contoso\.example\/api"/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Resources: \+ \d+ to create, ~ 0 to update, \+- 0 to replace, - 0 to delete, 0 unchanged$/m);
    expect(r.stdout).toMatch(/^Policy report for stack "prod"/m);
    expect(JSON.parse(readFileSync(out, "utf8")).stack).toBe("prod");
    expect(r.stdout).toContain("baseline saved to");
    expect(JSON.parse(readFileSync(path.join(dir, ".plan", "prod.baseline.json"), "utf8")).stack).toBe("prod");
    // A process of its own evaluated this plan first and alone; the run's shared prod plan was evaluated
    // second in its process, after the new-stack plan (../helpers/stack-plan.child.ts). Byte for byte the
    // same (JSON): what a process did before does not change a plan (engine/plan.ts `evaluateProgram`).
    expect(JSON.stringify(JSON.parse(readFileSync(out, "utf8")))).toBe(JSON.stringify(await stackPlan("prod")));
  }, 120_000);

  it("previews a memory change as one update with old → new, and a renamed container as a replacement with its property", async () => {
    const dir = stackCopy("dev");
    const program = path.join(root, "index.ts");
    // The stack's first plan, saved as its baseline: the run's shared dev plan (the same program and
    // stack file), as the first `npm run plan` of the copy would save it.
    const first = await stackPlan("dev");
    mkdirSync(path.join(dir, ".plan"), { recursive: true });
    writeFileSync(path.join(dir, ".plan", "dev.baseline.json"), JSON.stringify(first, null, 2) + "\n");
    // Plans of our own go outside the project folder: a file added there is an input of the plan
    // cache (engine/plan-cache.ts), and the third run below plans the same program and stack file as
    // the second, so it reuses that evaluation instead of repeating it.
    const scratch = mkdtempSync(path.join(tmpdir(), "plan-bases-"));
    writeFileSync(path.join(scratch, "first.json"), JSON.stringify(first, null, 2) + "\n");
    const stackFile = path.join(dir, "Pulumi.dev.yaml");
    const yaml = readFileSync(stackFile, "utf8");
    const edited = yaml.replace(/(orders:\n\s+instanceMemoryMB:) 512/, "$1 2048");
    expect(edited).not.toBe(yaml);
    writeFileSync(stackFile, edited);

    const second = await planInProcess(["--stack", "dev", "--diff", "--project-dir", dir, "--program", program]);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/against \.plan\/dev\.baseline\.json|against .*dev\.baseline\.json/);
    expect(second.stdout).toMatch(/^Resources: \+ 0 to create, ~ 1 to update, \+- 0 to replace, - 0 to delete, \d+ unchanged$/m);
    expect(second.stdout).toMatch(/^ ~ +├─ web:WebApp +orders-app +update +\[diff: functionAppConfig\]$/m);
    expect(second.stdout).toMatch(/^ +~ functionAppConfig\.scaleAndConcurrency\.instanceMemoryMB: 512 → 2048$/m);
    // The baseline is kept until --save: the same preview again.
    expect(second.stdout).not.toContain("baseline saved");

    // A base plan in which the orders app's package container had another name.
    const base = JSON.parse(readFileSync(path.join(scratch, "first.json"), "utf8")) as Plan;
    const container = base.resources.find((r) => r.type === "azure-native:storage:BlobContainer" && r.name === "orders-package")!;
    const oldName = "contoso-orders-code-d";
    const renamed = { ...container, id: container.id!.replace(String(container.inputs.containerName), oldName), inputs: { ...container.inputs, containerName: oldName } };
    writeFileSync(path.join(scratch, "base.json"), JSON.stringify({ ...base, resources: base.resources.map((r) => (r === container ? renamed : r)) }));
    const third = await planInProcess(["--stack", "dev", "--base-plan", path.join(scratch, "base.json"), "--project-dir", dir, "--program", program]);
    expect(third.status).toBe(0);
    expect(third.stdout).toMatch(/^Resources: \+ 0 to create, ~ 1 to update, \+- 1 to replace, - 0 to delete, \d+ unchanged$/m);
    expect(third.stdout).toMatch(/^ \+- +├─ storage:BlobContainer +orders-package +replace +\[diff: containerName \(forces replacement\)\]$/m);
  }, 300_000);

  it("has --help for the plan and the policy commands", async () => {
    const plan = await planInProcess(["--help"]);
    expect(plan.status).toBe(0);
    expect(plan.stdout).toMatch(/^usage: npm run plan -- --stack <name> \[options\]/);
    for (const option of ["--base-plan", "--no-baseline", "--save", "--diff", "--tree", "--dry-run", "--json", "--report", "--quiet"]) expect(plan.stdout).toContain(option);
    let policyOut = "";
    const policyStatus = await runPolicyCli(["--help"], { out: (t) => (policyOut += `${t}\n`), err: (t) => (policyOut += `${t}\n`) });
    expect(policyStatus).toBe(0);
    expect(policyOut).toMatch(/^usage: npm run policy -- --plan <plan\.json>/);
  });

  it.each([
    ["an unknown location", (y: string) => y.replace("serverless-platform:location: eastus", "serverless-platform:location: mars"), 'serverless-platform:location: got the string "mars"; expected an Azure region name such as "eastus" or "westeurope"'],
    ["a missing required key", (y: string) => y.replace(/^ {2}serverless-platform:namePrefix: .*$/m, ""), "serverless-platform:namePrefix: missing; expected a string"],
    ["a wrong type", (y: string) => y.replace("serverless-platform:protectData: false", "serverless-platform:protectData: sometimes"), 'serverless-platform:protectData: got the string "sometimes"; expected true or false'],
  ])("fails with one clear message for %s, no stack trace, exit 2", async (_what, edit, message) => {
    const dir = brokenStack(edit);
    const r = await planInProcess(["--stack", "broken", "--project-dir", dir, "--program", path.join(root, "index.ts")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`error: Invalid configuration for stack "broken":\n  - ${message}\n`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
  });

  it("prints the policy table and exits 1 on a mandatory violation, after writing the plan and report", async () => {
    // A copy of dev under another name has no policy/config.<stack>.json: every rule runs at its own
    // level, so the prod-only network rules are mandatory and dev's public endpoints violate them.
    const dir = brokenStack((y) => y);
    const out = mkdtempSync(path.join(tmpdir(), "plan-gate-"));
    const r = await planInProcess(["--stack", "broken", "--project-dir", dir, "--program", path.join(root, "index.ts"), "--quiet", "--json", path.join(out, "p.json"), "--report", path.join(out, "r.md")]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^mandatory\s+st-network\s+storage:StorageAccount messaging-account/m);
    expect(r.stderr).toMatch(/\d+ mandatory policy violation\(s\)/);
    expect(JSON.parse(readFileSync(path.join(out, "p.json"), "utf8")).stack).toBe("broken");
    expect(readFileSync(path.join(out, "r.md"), "utf8")).toMatch(/mandatory policy violation/);
  }, 180_000);

  it("names a stack that does not exist", async () => {
    const r = await planInProcess(["--stack", "staging"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`error: no stack "staging": ${path.join(root, "Pulumi.staging.yaml")} not found (stacks are the Pulumi.<stack>.yaml files: dev, prod)\n`);
  });

  it("requires --stack", () => {
    const r = runPlan([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--stack is required/);
  });
});
