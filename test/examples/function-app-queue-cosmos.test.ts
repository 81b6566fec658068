/**
 * examples/function-app-queue-cosmos: a program outside this repository's own, built only from the
 * component package, planned by the offline engine exactly as `npm run plan -- --project-dir
 * examples/function-app-queue-cosmos --stack dev` does, and judged by the policy pack.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import type { Plan, PlannedResource } from "../../engine/plan-format";
import { evaluatePolicies } from "../../engine/policy-runner";
import { type CliRun, planInProcess } from "../helpers/plan-cli";

const ROOT = path.resolve(__dirname, "..", "..");
const EXAMPLE = path.join(ROOT, "examples", "function-app-queue-cosmos");
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, "components", "package.json"), "utf8")) as { name: string; version: string };

let plan: Plan;
/** `npm run plan -- --project-dir examples/function-app-queue-cosmos --stack dev --no-baseline` (in this process). */
let cli: CliRun;
// One evaluation serves both: the command's output, and the plan it writes (planStack's, as JSON).
beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "example-plan-"));
  try {
    cli = await planInProcess(["--project-dir", EXAMPLE, "--stack", "dev", "--no-baseline", "--json", path.join(dir, "plan.json")]);
    plan = JSON.parse(readFileSync(path.join(dir, "plan.json"), "utf8")) as Plan;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

const ofType = (type: string): PlannedResource[] => plan.resources.filter((r) => r.type === type);
const settingsOf = (app: PlannedResource): Record<string, string> =>
  Object.fromEntries(((app.inputs.siteConfig as { appSettings?: { name: string; value: string }[] }).appSettings ?? []).map((s) => [s.name, s.value]));

describe("examples/function-app-queue-cosmos", () => {
  it("plans with 0 mandatory policy violations", () => {
    const report = evaluatePolicies(plan, { stack: "dev" });
    const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy} ${v.type} ${v.name}: ${v.message}`);
    expect(mandatory).toEqual([]);
    expect(report.mandatory).toBe(0);
  });

  it("creates one Function App, one queue (and its poison queue), one Cosmos container: exactly these resource types", () => {
    const types = new Set(plan.resources.map((r) => r.type));
    expect([...types].sort()).toEqual(
      [
        "pulumi:pulumi:Stack",
        // the package's components
        "serverless-platform:cosmosdb:CosmosDb",
        "serverless-platform:storage:Messaging",
        "serverless-platform:web:FunctionApp",
        // the program's own
        "azure-native:resources:ResourceGroup",
        "azure-native:operationalinsights:Workspace",
        // what the components create
        "azure-native:authorization:RoleAssignment",
        "azure-native:cosmosdb:DatabaseAccount",
        "azure-native:cosmosdb:SqlResourceSqlContainer",
        "azure-native:cosmosdb:SqlResourceSqlDatabase",
        "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
        "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:monitor:DiagnosticSetting",
        "azure-native:storage:BlobContainer",
        "azure-native:storage:BlobServiceProperties",
        "azure-native:storage:Queue",
        "azure-native:storage:StorageAccount",
        "azure-native:web:AppServicePlan",
        "azure-native:web:WebApp",
        "azure-native:web:WebAppFtpAllowed",
        "azure-native:web:WebAppScmAllowed",
        "pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment",
      ].sort(),
    );
    expect(ofType("azure-native:web:WebApp")).toHaveLength(1);
    expect(ofType("azure-native:storage:Queue").map((q) => q.inputs.queueName).sort()).toEqual(["ingest", "ingest-poison"]);
    expect(ofType("azure-native:cosmosdb:SqlResourceSqlContainer")).toHaveLength(1);
    // Loosely: a component may add a child without breaking the example, not double it.
    expect(plan.resources.length).toBeGreaterThanOrEqual(30);
    expect(plan.resources.length).toBeLessThanOrEqual(50);
  });

  it("connects the app to the queue and Cosmos DB by identity, and grants only that queue and that container", () => {
    const settings = settingsOf(ofType("azure-native:web:WebApp")[0]!);
    expect(settings).toMatchObject({ QUEUES__credential: "managedidentity", COSMOS__credential: "managedidentity" });
    expect(settings.QUEUES__queueServiceUri).toMatch(/^https:\/\/.+\.queue\.core\.windows\.net/);
    expect(settings.COSMOS__accountEndpoint).toMatch(/^https:\/\/.+\.documents\.azure\.com/);
    expect(Object.entries(settings).filter(([, v]) => /AccountKey=|SharedAccessSignature=|sig=/i.test(v))).toEqual([]);

    const queueScopes = ofType("azure-native:authorization:RoleAssignment")
      .map((r) => String(r.inputs.scope))
      .filter((s) => s.includes("/queueServices/"));
    expect(queueScopes.map((s) => s.replace(/.*\/queues\//, "")).sort()).toEqual(["ingest", "ingest-poison"]);
    const cosmosScopes = ofType("azure-native:cosmosdb:SqlResourceSqlRoleAssignment").map((r) => String(r.inputs.scope));
    expect(cosmosScopes).toHaveLength(1);
    expect(cosmosScopes[0]).toMatch(/\/dbs\/ingest-db\/colls\/items$/);
  });

  it("bundles and deploys the example's own function code", () => {
    const deployment = ofType("pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment")[0]!;
    expect(String(deployment.inputs.packageSha256)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("npm run plan -- --project-dir examples/function-app-queue-cosmos", () => {
  it("plans it, passes policy and says why there is no cost estimate (exit 0)", () => {
    const run = cli;
    expect(run.stderr).not.toMatch(/mandatory policy violation/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/project "ingest-example"/);
    expect(run.stdout).toMatch(/0 mandatory, \d+ advisory violations/);
    expect(run.stdout).toContain('Cost: not estimated (project "ingest-example" has no serverless-platform costAssumptions)');
  });

  it("--help names the option that plans another program", async () => {
    const run = await planInProcess(["--help"]);
    expect(run.stdout).toContain("examples/function-app-queue-cosmos");
  });
});

describe("the example is in the shape a team starts from", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((e) => {
      const full = path.join(dir, e);
      if (e === "node_modules" || e === ".plan") return [];
      return statSync(full).isDirectory() ? files(full) : full.endsWith(".ts") ? [full] : [];
    });

  it("imports the components only by the package name, and nothing else of this repository", () => {
    const manifest = JSON.parse(readFileSync(path.join(EXAMPLE, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(manifest.dependencies[PACKAGE.name]).toBe(`^${PACKAGE.version}`);
    const problems: string[] = [];
    for (const file of files(EXAMPLE)) {
      for (const { fileName: spec } of ts.preProcessFile(readFileSync(file, "utf8"), true, false).importedFiles) {
        const where = path.relative(EXAMPLE, file);
        if (spec.startsWith(".")) {
          const target = path.resolve(path.dirname(file), spec);
          if (!target.startsWith(EXAMPLE + path.sep)) problems.push(`${where} imports "${spec}" from outside the example`);
          continue;
        }
        if (spec.startsWith("node:") || builtinModules.includes(spec)) continue;
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        if (!(name in manifest.dependencies)) problems.push(`${where} imports "${spec}", which the example's package.json does not declare`);
      }
    }
    expect(problems).toEqual([]);
  });
});
