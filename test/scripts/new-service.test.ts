/**
 * `npm run new-service`: a bad or taken name is one line and writes nothing; a good one scaffolds a
 * service that a copy of the repository plans offline in both stacks with 0 mandatory violations,
 * and that typechecks. (Its own emulator tests run in the services project once the files exist.)
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleService } from "../../components/function-app/bundle";
import { refusal, runNewService, serviceFiles } from "../../scripts/new-service";
import { type ScaffoldedCopy, scaffoldedRepository } from "../helpers/scaffolded-copy";

const ROOT = path.resolve(__dirname, "../..");
/**
 * The real command in a child process (`node --import tsx`, the process `npm run new-service`'s tsx
 * starts): its exit code and everything on its streams.
 */
const cli = (root: string, ...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/new-service.ts"), "--root", root, ...args], { cwd: ROOT, encoding: "utf8" });

/**
 * The same command in this process (`runNewService`, what the entry point runs): its exit code and what
 * it prints, each line ending in a newline as console.log/console.error end it. The child-process run
 * above keeps the entry point's own contract proven; this one costs no start of tsx and the components.
 */
function inProcess(root: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  const status = runNewService(["--root", root, ...args], { log: (t) => (stdout += `${t}\n`), error: (t) => (stderr += `${t}\n`) });
  return { status, stdout, stderr };
}

describe("new-service: the name", () => {
  it.each([
    ["Billing", 'service name "Billing": expected 2-16 lowercase letters or digits, starting with a letter'],
    ["1billing", 'service name "1billing": expected 2-16 lowercase letters or digits, starting with a letter'],
    ["billing-api", 'service name "billing-api": expected 2-16 lowercase letters or digits, starting with a letter'],
    ["abcdefghijklmnopq", 'service name "abcdefghijklmnopq": expected 2-16 lowercase letters or digits, starting with a letter'],
    ["catalog", 'service name "catalog": functions-src/catalog/ already exists; pick another name or edit that service'],
    ["shared", 'service name "shared": functions-src/shared/ already exists; pick another name or edit that service'],
    ["health", 'service name "health": the gateway path /health is taken by the health API; pick another name'],
    ["payment", 'service name "payment": the gateway path /payment is taken by the back end serverless-platform:backends.payment in Pulumi.dev.yaml; pick another name'],
  ])("refuses %s in one line", (name, line) => {
    expect(refusal(name, ROOT)).toBe(line);
  });

  it("refuses a name a stack file already lists, even without a folder", () => {
    const root = mkdtempSync(path.join(tmpdir(), "new-service-stack-"));
    try {
      cpSync(path.join(ROOT, "functions-src/shared"), path.join(root, "functions-src/shared"), { recursive: true });
      for (const stack of ["dev", "prod"]) cpSync(path.join(ROOT, `Pulumi.${stack}.yaml`), path.join(root, `Pulumi.${stack}.yaml`));
      writeFileSync(path.join(root, "Pulumi.prod.yaml"), readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8").replace("  serverless-platform:services:\n", "  serverless-platform:services:\n    ghost:\n      instanceMemoryMB: 512\n"));
      expect(refusal("ghost", root)).toBe('service name "ghost": Pulumi.prod.yaml already has serverless-platform:services.ghost; remove it or pick another name');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("prints one line, exits 2 and writes nothing for a taken name; --help exits 0", () => {
    const before = readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const r = cli(ROOT, "orders");
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('error: service name "orders": functions-src/orders/ already exists; pick another name or edit that service\n');
    expect(readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")).toBe(before);
    const help = inProcess(ROOT, "--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run new-service -- <name>/);
  });

  it("derives every identifier from the name (roles, types, database), nothing from another service", () => {
    const files = serviceFiles("billing2", 7080);
    expect(Object.keys(files).sort()).toEqual([
      "functions-src/billing2/host.json",
      "functions-src/billing2/local.settings.example.json",
      "functions-src/billing2/service.ts",
      "functions-src/billing2/src/access.ts",
      "functions-src/billing2/src/deps.ts",
      "functions-src/billing2/src/handlers.ts",
      "functions-src/billing2/src/index.ts",
      "functions-src/billing2/src/openapi.ts",
      "functions-src/billing2/src/schemas.ts",
      "test/functions-src/billing2/http.test.ts",
    ]);
    const all = Object.values(files).join("\n");
    expect(all).toContain('{ value: "Billing2.Read"');
    expect(files["functions-src/billing2/src/access.ts"]).toContain('export const BILLING2_ACCESS = {\n  getItem: { kind: "secured", role: "Billing2.Read" },');
    expect(all).not.toMatch(/catalog|orders|fulfillment|notifications/i);
    expect(JSON.parse(files["functions-src/billing2/local.settings.example.json"]!)).toMatchObject({ Values: { COSMOS_DATABASE: "billing2-db" }, Host: { LocalHttpPort: 7080 } });
  });
});

describe("new-service: a scaffolded service in a copy of the repository", () => {
  let root: string;
  let written: readonly string[];
  let plans: ScaffoldedCopy["runs"];

  // The run's one scaffolded copy, planned in both stacks by its own `npm run plan` (shared with test/docs/figures.test.ts).
  beforeAll(async () => {
    ({ root, written, runs: plans } = await scaffoldedRepository());
  }, 400_000);

  it("writes the folder, its tests and both stack entries", () => {
    expect(written).toContain("functions-src/billing/service.ts");
    expect(written).toContain("test/functions-src/billing/http.test.ts");
    expect(written).toContain("Pulumi.prod.yaml");
    for (const file of written) expect(existsSync(path.join(root, file)), file).toBe(true);
  });

  it("changes the stack files only by the new entry (comments and formatting kept)", () => {
    for (const stack of ["dev", "prod"]) {
      const before = readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8").split("\n");
      const after = readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8").split("\n");
      const at = after.indexOf("    # Scaffolded by npm run new-service -- billing.");
      const entry = stack === "prod" ? 5 : 4;
      expect(after.slice(at + 1, at + 4)).toEqual(["    billing:", "      instanceMemoryMB: 512", "      maximumInstanceCount: 40"]);
      // Everything else is byte for byte what it was.
      expect([...after.slice(0, at), ...after.slice(at + entry)]).toEqual(before);
    }
  });

  it.each(["dev", "prod"] as const)("plans offline in %s with 0 mandatory violations, the service and its API included", (stack) => {
    const { code, plan, stderr } = plans[stack];
    expect(stderr).not.toMatch(/\berror\b|mandatory/i);
    expect(code).toBe(0);
    const names = (plan?.resources ?? []).map((r) => `${r.type.split(":").pop()} ${r.name}`);
    for (const expected of ["FunctionApp billing", "WebApp billing-app", "ServiceApi gateway-billing", "SqlResourceSqlContainer data-billing-items", "ApiOperationPolicy gateway-billing-op-putItem"]) {
      expect(names).toContain(expected);
    }
  });

  it("loads its SDK clients (Cosmos DB, identity), zod and its handlers on first use, not on a cold start", () => {
    const bundle = bundleService({ name: "billing", directory: path.join(root, "functions-src", "billing"), outRoot: path.join(root, ".build", "scaffold-bundle") });
    expect(bundle.packages).toContain("@azure/cosmos");
    expect(bundle.loadedAtStart).toContain("@azure/functions");
    expect(bundle.loadedAtStart.filter((p) => ["@azure/cosmos", "@azure/identity", "@azure/msal-node", "@azure/core-rest-pipeline"].includes(p))).toEqual([]);
    // Registers with @azure/functions alone, as every service does: zod and the handlers load on first use.
    expect(bundle.packages).toContain("zod");
    expect(bundle.loadedAtStart).toEqual(["@azure/functions", "@azure/functions-extensions-base", "cookie"]);
  });

  it("typechecks, its tests included", () => {
    writeFileSync(
      path.join(root, "tsconfig.scaffold.json"),
      JSON.stringify({ extends: "./tsconfig.json", include: ["functions-src/billing/**/*.ts", "test/functions-src/billing/**/*.ts", "test/functions-src/emulators.setup.ts"] }),
    );
    const r = spawnSync(path.join(ROOT, "node_modules/.bin/tsc"), ["-p", path.join(root, "tsconfig.scaffold.json")], { cwd: root, encoding: "utf8", timeout: 120_000 });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 120_000);

  it("refuses the same name a second time, in one line", () => {
    const r = inProcess(root, "billing");
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('error: service name "billing": functions-src/billing/ already exists; pick another name or edit that service\n');
  });
});
