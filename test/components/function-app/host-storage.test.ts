/**
 * What the Functions host gets on its own storage, per trigger kind, against Microsoft Learn's table of
 * what AzureWebJobsStorage needs (functions-reference#connecting-to-host-storage-with-an-identity): blobs
 * always; queues and tables only for Durable Functions; tables for diagnostic events when asked. Checked
 * three ways that must agree: the role assignments, the `AzureWebJobsStorage__<service>ServiceUri`
 * settings, and nothing else on the host storage (a grant without a use is a finding of the twin's
 * necessity test; a setting without a grant fails at run time).
 */
import { describe, expect, it } from "vitest";
import { FunctionApp, type FunctionAppArgs, hostStorageServices } from "../../../components/function-app";
import type { TriggerKind } from "../../../components/function-app/triggers";
import { BuiltInRole } from "../../../components/core/roles";
import type { Plan } from "../../../engine/plan-format";
import { evaluate, ofType, one } from "../../helpers/plan";

const KINDS: readonly TriggerKind[] = ["http", "queue", "durable", "cosmosChangeFeed", "timer"];
/** Every non-empty combination of trigger kinds. */
const COMBINATIONS: TriggerKind[][] = Array.from({ length: 2 ** KINDS.length - 1 }, (_, n) => KINDS.filter((_, i) => ((n + 1) >> i) & 1));

const args = (triggers: TriggerKind[], extra: Partial<FunctionAppArgs> = {}): FunctionAppArgs => ({
  names: { prefix: "test", environment: "dev" },
  resourceGroupName: "rg-test",
  location: "eastus",
  tags: { owner: "team", costCenter: "1" },
  service: { name: "hello", directory: "test/fixtures/services/hello", entry: "src/index.ts" },
  triggers,
  sizing: { instanceMemoryMB: 2048, maximumInstanceCount: 100, alwaysReady: [] },
  deploy: false,
  ...extra,
});

/** The host-storage roles (by built-in role id) and the host-storage endpoint settings of one app. */
async function hostAccess(a: FunctionAppArgs): Promise<{ roles: string[]; settings: string[] }> {
  const plan: Plan = await evaluate(() => {
    const app = new FunctionApp("hello", a);
    return { host: app.hostStorageAccountId };
  });
  const host = String(plan.outputs.host);
  const roles = ofType(plan, "azure-native:authorization:RoleAssignment")
    .filter((r) => r.inputs.scope === host)
    .map((r) => String(r.inputs.roleDefinitionId).split("/").pop()!)
    .sort();
  const appSettings = (one(plan, "azure-native:web:WebApp").inputs.siteConfig as { appSettings: { name: string }[] }).appSettings;
  const settings = appSettings.map((s) => s.name).filter((n) => /^AzureWebJobsStorage__\w+ServiceUri$/.test(n)).sort();
  return { roles, settings };
}

const expected = (services: readonly string[]) => ({
  roles: [
    BuiltInRole.storageBlobDataOwner,
    ...(services.includes("queue") ? [BuiltInRole.storageQueueDataContributor] : []),
    ...(services.includes("table") ? [BuiltInRole.storageTableDataContributor] : []),
  ].sort(),
  settings: services.map((s) => `AzureWebJobsStorage__${s}ServiceUri`).sort(),
});

describe("host storage services per trigger kind", () => {
  it("blobs always; queues and tables exactly when Durable Functions is used; queue and Cosmos triggers add nothing", () => {
    for (const triggers of COMBINATIONS) {
      const durable = triggers.includes("durable");
      expect(hostStorageServices(triggers), triggers.join("+")).toEqual(durable ? ["blob", "queue", "table"] : ["blob"]);
    }
  });

  it("diagnostic events add the table service only", () => {
    expect(hostStorageServices(["http", "queue"], { diagnosticEvents: true })).toEqual(["blob", "table"]);
    expect(hostStorageServices(["durable"], { diagnosticEvents: true })).toEqual(["blob", "queue", "table"]);
  });

  it.each([
    [["queue"], ["blob"]],
    [["http", "queue", "cosmosChangeFeed"], ["blob"]],
    [["timer"], ["blob"]],
    [["http", "durable"], ["blob", "queue", "table"]],
  ] as [TriggerKind[], string[]][])("an app with %j gets roles and settings for exactly %j", async (triggers, services) => {
    expect(await hostAccess(args(triggers))).toEqual(expected(services));
  });

  it("hostDiagnosticEvents: a queue-triggered app also gets the table role and setting", async () => {
    expect(await hostAccess(args(["queue"], { hostDiagnosticEvents: true }))).toEqual(expected(["blob", "table"]));
  });
});
