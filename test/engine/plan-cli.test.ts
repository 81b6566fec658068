import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Plan } from "../../engine/plan-format";

const root = path.resolve(__dirname, "../..");
const tsx = path.join(root, "node_modules/.bin/tsx");
const cli = path.join(root, "engine/cli/plan.ts");

function runPlan(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(tsx, [cli, ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A project folder with the real Pulumi.yaml and a stack file we can break. */
function brokenStack(edit: (yaml: string) => string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "plan-cli-"));
  copyFileSync(path.join(root, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  writeFileSync(path.join(dir, "Pulumi.broken.yaml"), edit(readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8")));
  return dir;
}

describe("npm run plan", () => {
  it("plans the dev stack and writes the plan JSON in the documented shape", () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "plan-")), "dev.json");
    const stdout = execFileSync(tsx, [cli, "--stack", "dev", "--json", out], { cwd: root, encoding: "utf8" });
    expect(stdout).toMatch(/Previewing stack "dev"/);
    expect(stdout).toMatch(/pulumi:pulumi:Stack\s+serverless-platform-dev/);
    expect(stdout).toMatch(/Resources by type:/);
    expect(stdout).toMatch(/\d+ resources to create .* in \d+\.\d\d s/);
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
  });

  it("plans the prod stack", () => {
    const r = runPlan(["--stack", "prod", "--quiet"]);
    // The only output on stderr: the stack file's placeholder hosts, reported as `pulumi preview` does
    // (lib/endpoints.ts; `pulumi up` refuses them), one warning per key.
    const warnings = r.stderr.split("\n").filter((l) => l.length > 0);
    expect(warnings.filter((l) => !/^warning: .*serverless-platform:[\w.[\]]+: ".*" uses the reserved name "example"/.test(l))).toEqual([]);
    expect(warnings.join("\n")).toMatch(/serverless-platform:backends\.payment\.url: "https:\/\/payments\.contoso\.example\/api"/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/resources to create/);
  });

  it.each([
    ["an unknown location", (y: string) => y.replace("serverless-platform:location: eastus", "serverless-platform:location: mars"), 'serverless-platform:location: got the string "mars"; expected an Azure region name such as "eastus" or "westeurope"'],
    ["a missing required key", (y: string) => y.replace(/^ {2}serverless-platform:namePrefix: .*$/m, ""), "serverless-platform:namePrefix: missing; expected a string"],
    ["a wrong type", (y: string) => y.replace("serverless-platform:protectData: false", "serverless-platform:protectData: sometimes"), 'serverless-platform:protectData: got the string "sometimes"; expected true or false'],
  ])("fails with one clear message for %s, no stack trace, exit 2", (_what, edit, message) => {
    const dir = brokenStack(edit);
    const r = runPlan(["--stack", "broken", "--project-dir", dir, "--program", path.join(root, "index.ts")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`error: Invalid configuration for stack "broken":\n  - ${message}\n`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
  });

  it("prints the policy table and exits 1 on a mandatory violation, after writing the plan and report", () => {
    // A copy of dev under another name has no policy/config.<stack>.json: every rule runs at its own
    // level, so the prod-only network rules are mandatory and dev's public endpoints violate them.
    const dir = brokenStack((y) => y);
    const out = mkdtempSync(path.join(tmpdir(), "plan-gate-"));
    const r = runPlan(["--stack", "broken", "--project-dir", dir, "--program", path.join(root, "index.ts"), "--quiet", "--json", path.join(out, "p.json"), "--report", path.join(out, "r.md")]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^mandatory\s+st-network\s+storage:StorageAccount messaging-account/m);
    expect(r.stderr).toMatch(/\d+ mandatory policy violation\(s\)/);
    expect(JSON.parse(readFileSync(path.join(out, "p.json"), "utf8")).stack).toBe("broken");
    expect(readFileSync(path.join(out, "r.md"), "utf8")).toMatch(/mandatory policy violation/);
  });

  it("names a stack that does not exist", () => {
    const r = runPlan(["--stack", "staging"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`error: no stack "staging": ${path.join(root, "Pulumi.staging.yaml")} not found (stacks are the Pulumi.<stack>.yaml files: dev, prod)\n`);
  });

  it("requires --stack", () => {
    const r = runPlan([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--stack is required/);
  });
});
