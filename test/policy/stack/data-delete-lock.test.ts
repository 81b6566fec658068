import { describe, expect, it } from "vitest";
import { checkStack, rule, type StackRes } from "../harness";
import { T, cosmosAccount, storageAccount, vault } from "../resources";

const policy = rule("data-delete-lock");
const LOCK = "azure-native:authorization:ManagementLockByScope";
const SUB = "/subscriptions/00000000-0000-0000-0000-000000000000";

const account: StackRes = { type: T.storage, name: "messaging-account", props: { ...storageAccount, accountName: "contosomessaging", resourceGroupName: "platform-rg" } };
const lockOn = (name: string, scope: string, deps: string[] = [], level = "CanNotDelete"): StackRes => ({
  type: LOCK,
  name,
  props: { level, lockName: "protect-data", scope },
  deps: deps.length > 0 ? { scope: deps } : {},
});
const accountId = `${SUB}/resourceGroups/platform-rg/providers/Microsoft.Storage/storageAccounts/contosomessaging`;

describe("data-delete-lock", () => {
  it("passes a store locked through the lock's scope dependency, its ARM id (any case), its resource group or its subscription", () => {
    expect(checkStack(policy, [account, lockOn("l", accountId, ["messaging-account"])])).toEqual({ violations: [], applicable: true });
    expect(checkStack(policy, [account, lockOn("l", accountId.toUpperCase())]).violations).toEqual([]);
    expect(checkStack(policy, [account, lockOn("l", `${SUB}/resourceGroups/Platform-RG/`)]).violations).toEqual([]);
    expect(checkStack(policy, [account, lockOn("l", SUB)]).violations).toEqual([]);
    expect(checkStack(policy, [account, lockOn("l", accountId, [], "ReadOnly")]).violations).toEqual([]);
  });

  it("flags a store without a lock, naming it and the fix", () => {
    expect(checkStack(policy, [account]).violations).toEqual([
      { name: "messaging-account", message: expect.stringMatching(/StorageAccount "messaging-account" \(contosomessaging\) holds data and has no CanNotDelete lock.*Turn protectData on/) },
    ]);
  });

  it("flags every kind of store, and does not count a lock on another store or another group", () => {
    const stack: StackRes[] = [
      account,
      { type: T.cosmos, name: "data-account", props: { ...cosmosAccount, accountName: "contoso-data" } },
      { type: T.vault, name: "secrets-vault", props: { ...vault, vaultName: "contoso-secrets" } },
      { type: "azure-native:operationalinsights:Workspace", name: "monitoring-workspace", props: { workspaceName: "contoso-monitoring", resourceGroupName: "platform-rg" } },
      lockOn("other", `${SUB}/resourceGroups/platform-rg/providers/Microsoft.Storage/storageAccounts/contosoother`),
      lockOn("other-group", `${SUB}/resourceGroups/another-rg`),
    ];
    expect(checkStack(policy, stack).violations.map((v) => v.name).sort()).toEqual(["data-account", "messaging-account", "monitoring-workspace", "secrets-vault"]);
  });

  it("does not apply to a stack without stores of data", () => {
    expect(checkStack(policy, [{ type: T.topic, name: "t", props: {} }]).applicable).toBe(false);
  });
});
