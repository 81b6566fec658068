import { describe, expect, it } from "vitest";
import { checkStack, rule, type StackRes } from "../harness";
import { RG, T, apim, storageAccount } from "../resources";

const WORKSPACE = `${RG}/providers/Microsoft.OperationalInsights/workspaces/contoso-log-p`;
const APIM_ID = `${RG}/providers/Microsoft.ApiManagement/service/contoso-apim-p`;
const ST_ID = `${RG}/providers/Microsoft.Storage/storageAccounts/contosostorders`;

/** Issue 18 item 9, as a class: a diagnostic setting asking a source for logs it does not offer. */
describe("diag-categories-offered", () => {
  const policy = rule("diag-categories-offered");
  const diag = (name: string, logs: unknown[], target?: string, uri = "[computed]"): StackRes => ({
    type: T.diag,
    name,
    props: { resourceUri: uri, workspaceId: WORKSPACE, logs, metrics: [{ category: "AllMetrics", enabled: true }] },
    ...(target ? { deps: { resourceUri: [target] } } : {}),
  });
  const consumption: StackRes = { type: T.apim, name: "gw", props: apim };
  const v2: StackRes = { type: T.apim, name: "gw", props: { ...apim, sku: { name: "StandardV2", capacity: 1 } } };
  const account: StackRes = { type: T.storage, name: "host", props: storageAccount };

  it("flags logs on API Management Consumption, by dependency or by id, whatever the category", () => {
    for (const logs of [[{ categoryGroup: "allLogs", enabled: true }], [{ category: "GatewayLogs", enabled: true }], [{ categoryGroup: "audit" }]]) {
      const { violations } = checkStack(policy, [consumption, diag("gw-diag", logs, "gw")]);
      expect(violations).toHaveLength(1);
      expect(violations[0]).toMatchObject({ name: "gw-diag" });
      expect(violations[0]!.message).toMatch(/diagnostic setting "gw-diag" asks API Management \(Consumption tier\) "gw" for logs .* which it does not offer.*Fix: send metrics only \(logs: \[\]\)/);
    }
    expect(checkStack(policy, [consumption, diag("by-id", [{ categoryGroup: "allLogs", enabled: true }], undefined, APIM_ID)]).violations).toHaveLength(1);
  });

  it("flags logs on a storage account's root, not on its services", () => {
    expect(checkStack(policy, [account, diag("st-diag", [{ categoryGroup: "allLogs", enabled: true }], "host")]).violations[0]!.message).toMatch(
      /asks storage account \(the account itself\) "host" for logs.*queueServices\/default/,
    );
    expect(checkStack(policy, [account, diag("q-diag", [{ categoryGroup: "allLogs", enabled: true }], undefined, `${ST_ID}/queueServices/default`)]).violations).toEqual([]);
    expect(checkStack(policy, [diag("hand-written", [{ category: "StorageRead", enabled: true }], undefined, ST_ID)]).violations).toHaveLength(1);
  });

  it("flags an unknown category group on any source", () => {
    const { violations } = checkStack(policy, [diag("kv-diag", [{ categoryGroup: "AllLogs2", enabled: true }], undefined, `${RG}/providers/Microsoft.KeyVault/vaults/kv`)]);
    expect(violations[0]!.message).toMatch(/category group\(s\) "AllLogs2": Azure Monitor defines only allLogs and audit/);
  });

  it("passes metrics-only settings, disabled entries, and logs where the tier has them", () => {
    expect(checkStack(policy, [consumption, diag("gw-diag", [], "gw")]).violations).toEqual([]);
    expect(checkStack(policy, [consumption, diag("gw-diag", [{ categoryGroup: "allLogs", enabled: false }], "gw")]).violations).toEqual([]);
    expect(checkStack(policy, [v2, diag("gw-diag", [{ categoryGroup: "allLogs", enabled: true }], "gw")]).violations).toEqual([]);
    expect(checkStack(policy, [{ type: T.apim, name: "x", props: apim }]).applicable).toBe(false);
  });
});

