import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type CodeDeploymentInputs,
  type CodeDeploymentOutputs,
  createDeploymentProvider,
  deployerLoader,
  ensureDeployerModule,
  FunctionCodeDeployment,
  type PackageDeployer,
} from "../../../components/function-app/deployment";
import type { PackageFileRequest } from "../../../components/function-app/onedeploy";
import { evaluate, one } from "../../helpers/plan";

const UNKNOWN: string = pulumi.runtime.unknownValue; // Pulumi's unknown placeholder in check/diff
const SITE = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Web/sites/app-orders";
const HASH_A = "a".repeat(64);
const HASH_B = "b".repeat(64);
const FUNCTIONS = [{ name: "createOrder", trigger: "httpTrigger" }, { name: "relayOutbox", trigger: "timerTrigger", schedule: "0 */1 * * * *" }];
const INPUTS: CodeDeploymentInputs = { siteId: SITE, packagePath: "/build/orders.zip", packageSha256: HASH_A, armEndpoint: "https://management.azure.com", functions: FUNCTIONS };
/** The state after a deployment of INPUTS (what diff receives as `olds`). */
const STATE: CodeDeploymentOutputs = { ...INPUTS, deploymentId: "dep-0", deployedAt: "2026-01-01T00:00:00.000Z", confirmed: true };

const temp = mkdtempSync(path.join(tmpdir(), "code-deployment-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function stubDeployer(): { deployer: PackageDeployer; calls: PackageFileRequest[] } {
  const calls: PackageFileRequest[] = [];
  const deployer: PackageDeployer = async (request) => {
    calls.push(request);
    return { deploymentId: `dep-${calls.length}`, scmHost: "scm", status: 4, statusText: "", publishAttempts: 1, elapsedMs: 1, confirmed: true, confirmedBy: "status" };
  };
  return { deployer, calls };
}

describe("FunctionCodeDeployment provider", () => {
  it("diff: a new path with the same hash is no change; a new hash is an update; a new app is a replacement", async () => {
    const provider = createDeploymentProvider(() => stubDeployer().deployer);
    const diff = provider.diff!;

    expect(await diff("id", STATE, { ...INPUTS, packagePath: "/other/checkout/orders.zip" })).toMatchObject({ changes: false, replaces: [] });
    expect(await diff("id", STATE, { ...INPUTS, armEndpoint: "https://management.usgovcloudapi.net" })).toMatchObject({ changes: false });
    expect(await diff("id", STATE, { ...INPUTS, packageSha256: HASH_B })).toMatchObject({ changes: true, replaces: [] });
    expect(await diff("id", STATE, { ...INPUTS, siteId: `${SITE}2` })).toMatchObject({ changes: true, replaces: ["siteId"] });
    // Preview of a replaced app: the id is unknown, which must not read as "same".
    expect(await diff("id", STATE, { ...INPUTS, siteId: UNKNOWN })).toMatchObject({ changes: true, replaces: ["siteId"] });
  });

  it("check: unknown inputs pass (preview); malformed ones are reported by property", async () => {
    const check = createDeploymentProvider(() => stubDeployer().deployer).check!;

    expect((await check(INPUTS, { ...INPUTS, siteId: UNKNOWN, packageSha256: UNKNOWN })).failures).toBeUndefined();
    expect((await check(INPUTS, INPUTS)).failures).toBeUndefined();
    const bad = await check(INPUTS, { ...INPUTS, siteId: "app-orders", packageSha256: "xyz", armEndpoint: "http://arm" });
    expect(bad.failures?.map((f) => f.property)).toEqual(["siteId", "packageSha256", "armEndpoint"]);
    // Without the functions the package registers, a vanished status record could not be confirmed.
    const { functions: _f, ...withoutFunctions } = INPUTS;
    expect((await check(INPUTS, withoutFunctions as CodeDeploymentInputs)).failures?.map((f) => f.property)).toEqual(["functions"]);
    expect((await check(INPUTS, { ...INPUTS, functions: [] })).failures?.[0]?.reason).toMatch(/must list the functions the package registers/);
  });

  it("create and update deploy through the deployer and record the deployment; delete deploys nothing", async () => {
    const stub = stubDeployer();
    const provider = createDeploymentProvider(() => stub.deployer);

    const created = await provider.create(INPUTS);
    expect(created.id).toBe(`${SITE}/codeDeployment`);
    expect(created.outs).toMatchObject({ ...INPUTS, deploymentId: "dep-1", confirmed: true });
    expect(stub.calls).toEqual([{ siteId: SITE, packagePath: INPUTS.packagePath, packageSha256: HASH_A, armEndpoint: INPUTS.armEndpoint, expectedFunctions: ["createOrder", "relayOutbox"] }]);

    const updated = await provider.update!(created.id, created.outs!, { ...INPUTS, packageSha256: HASH_B });
    expect(updated.outs).toMatchObject({ packageSha256: HASH_B, deploymentId: "dep-2" });

    await provider.delete!(created.id, updated.outs!);
    expect(stub.calls).toHaveLength(2);
  });

  it("a failed deployment fails create (the error reaches Pulumi)", async () => {
    const provider = createDeploymentProvider(() => async () => {
      throw new Error("deployment dep-1 ended with status 3 (failed)");
    });
    await expect(provider.create(INPUTS)).rejects.toThrow(/status 3/);
  });
});

describe("FunctionCodeDeployment serialization", () => {
  it("serializes to a few functions and the compiled module's path (no deployer code, no SDK)", async () => {
    const modulePath = ensureDeployerModule(path.join(temp, "deployer"));
    const provider = createDeploymentProvider(deployerLoader(modulePath));

    const serialized = await pulumi.runtime.serializeFunction(() => provider);

    expect(serialized.text).toContain(JSON.stringify(modulePath));
    expect(serialized.text).not.toMatch(/DefaultAzureCredential|hostNameSslStates|api\/publish/);
    expect(serialized.text.length).toBeLessThan(12_000);
  });

  it("the serialized provider runs in a fresh plain-Node process, as in Pulumi's dynamic provider host", async () => {
    const modulePath = ensureDeployerModule(path.join(temp, "deployer"));
    const provider = createDeploymentProvider(deployerLoader(modulePath));
    const serialized = await pulumi.runtime.serializeFunction(() => provider);
    const providerFile = path.join(temp, "provider.js");
    writeFileSync(providerFile, serialized.text);
    const zipFile = path.join(temp, "package.zip");
    writeFileSync(zipFile, "not the package the hash describes");
    // The host evaluates the text with require-from-string and calls `.handler()`.
    const requireFromString = createRequire(require.resolve("@pulumi/pulumi/package.json")).resolve("require-from-string");
    const script = `
      const fs = require("node:fs");
      const provider = require(${JSON.stringify(requireFromString)})(fs.readFileSync(${JSON.stringify(providerFile)}, "utf8")).handler();
      const inputs = ${JSON.stringify({ ...INPUTS, packagePath: zipFile })};
      (async () => {
        const out = {};
        out.pathOnly = await provider.diff("id", inputs, { ...inputs, packagePath: "/elsewhere.zip" });
        out.newHash = await provider.diff("id", inputs, { ...inputs, packageSha256: ${JSON.stringify(HASH_B)} });
        await provider.delete("id", inputs);
        // create loads the compiled onedeploy module, reads the file and refuses it: no network needed.
        out.create = await provider.create(inputs).then(() => "deployed?!", (e) => e.message);
        console.log(JSON.stringify(out));
      })();
    `;
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", cwd: temp, env: { PATH: process.env.PATH ?? "" } });

    expect(run.stderr).toBe("");
    const out = JSON.parse(run.stdout) as { pathOnly: { changes: boolean }; newHash: { changes: boolean }; create: string };
    expect(out.pathOnly.changes).toBe(false);
    expect(out.newHash.changes).toBe(true);
    expect(out.create).toMatch(/has sha256 [0-9a-f]{64}, not the a{64} the program computed/);
  });

  it("registers under the simulator with its type, inputs, serialized provider and dependsOn", async () => {
    const plan = await evaluate(() => {
      const group = new resources.ResourceGroup("rg", { location: "eastus" });
      new FunctionCodeDeployment("orders-code", { siteId: SITE, packagePath: "/b/orders.zip", packageSha256: HASH_A, functions: FUNCTIONS }, { dependsOn: [group] });
    });

    const code = one(plan, "pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment", "orders-code");
    expect(code.inputs).toMatchObject({ siteId: SITE, packagePath: "/b/orders.zip", packageSha256: HASH_A, armEndpoint: "https://management.azure.com", functions: FUNCTIONS });
    expect(String(code.inputs.__provider)).toContain(path.join(".build", "deployer", "onedeploy.cjs"));
    expect(code.dependencies).toContain(one(plan, "azure-native:resources:ResourceGroup", "rg").urn);
  });
});
