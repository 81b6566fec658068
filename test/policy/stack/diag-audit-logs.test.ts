import { describe, expect, it } from "vitest";
import { checkStack, rule, type Props, type StackRes } from "../harness";
import { T, storageAccount, topic, vault } from "../resources";

const policy = rule("diag-audit-logs");
const diag = (name: string, target: string, logs: Props[], resourceUri = "x"): StackRes => ({
  type: T.diag,
  name,
  props: { resourceUri, workspaceId: "/w", logs, metrics: [{ category: "AllMetrics", enabled: true }] },
  deps: { resourceUri: [target] },
});
const kv: StackRes = { type: T.vault, name: "vault", props: vault };
const eg: StackRes = { type: T.topic, name: "topic", props: topic };
const account: StackRes = { type: T.storage, name: "host", props: storageAccount };
const SVC = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/contosostorders/queueServices/default";
const allLogs = [{ categoryGroup: "allLogs", enabled: true }];

describe("diag-audit-logs", () => {
  it("passes allLogs, audit, AuditEvent and storage service logs", () => {
    const stack = [kv, eg, account, diag("kv-diag", "vault", [{ category: "AuditEvent", enabled: true }]), diag("eg-diag", "topic", [{ categoryGroup: "audit", enabled: true }]), diag("q", "host", allLogs, SVC)];
    expect(checkStack(policy, stack)).toEqual({ violations: [], applicable: true });
  });

  it("flags a Key Vault setting that logs no audit category, naming what it enables", () => {
    expect(checkStack(policy, [kv, diag("kv-diag", "vault", [{ category: "AzurePolicyEvaluationDetails", enabled: true }])]).violations).toEqual([
      { name: "vault", message: expect.stringMatching(/Key Vault "vault" has diagnostic settings \(kv-diag\) that enable azurepolicyevaluationdetails: enable categoryGroup "allLogs" or "audit" \(or AuditEvent\)/) },
    ]);
    expect(checkStack(policy, [kv, diag("kv-diag", "vault", [{ categoryGroup: "allLogs", enabled: false }])]).violations[0]?.message).toMatch(/enable no logs/);
  });

  it("flags an Event Grid topic whose setting has metrics only", () => {
    expect(checkStack(policy, [eg, diag("eg-diag", "topic", [])]).violations.map((v) => v.name)).toEqual(["topic"]);
  });

  it("flags a storage account whose service settings log nothing, or that has none", () => {
    expect(checkStack(policy, [account, diag("q", "host", [], SVC)]).violations[0]?.message).toMatch(/diagnostic setting "q" on its queue service enables no logs/);
    expect(checkStack(policy, [account]).violations[0]?.message).toMatch(/logs none of its services' requests/);
  });

  it("accepts metrics only on a Consumption API Management (the tier offers no resource logs)", () => {
    const apim: StackRes = { type: T.apim, name: "gateway", props: { sku: { name: "Consumption", capacity: 0 } } };
    expect(checkStack(policy, [apim, diag("g", "gateway", [])]).violations).toEqual([]);
    const v2: StackRes = { type: T.apim, name: "gateway", props: { sku: { name: "StandardV2", capacity: 1 } } };
    expect(checkStack(policy, [v2, diag("g", "gateway", [])]).violations).toHaveLength(1);
  });

  it("does not apply to a stack without resources that keep audit logs", () => {
    expect(checkStack(policy, [{ type: T.uami, name: "id", props: {} }]).applicable).toBe(false);
  });
});
