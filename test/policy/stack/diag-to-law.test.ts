import { describe, expect, it } from "vitest";
import { checkStack, rule, type StackRes } from "../harness";
import { RG, T, apim, blobContainer, cosmosAccount, flexApp, sbNamespace, storageAccount, vault } from "../resources";

const policy = rule("diag-to-law");
const WORKSPACE = `${RG}/providers/Microsoft.OperationalInsights/workspaces/contoso-log-p`;

const targets: StackRes[] = [
  { type: T.app, name: "orders-app", props: flexApp },
  { type: T.vault, name: "vault", props: vault },
  { type: T.cosmos, name: "cosmos", props: cosmosAccount },
  { type: T.apim, name: "apim", props: apim },
  { type: T.sb, name: "bus", props: sbNamespace },
  { type: T.storage, name: "host", props: storageAccount },
];
const diagFor = (target: string, extra: Record<string, unknown> = { workspaceId: WORKSPACE }): StackRes => ({
  type: T.diag,
  name: `${target}-diag`,
  props: { name: "to-log-analytics", resourceUri: "[computed]", ...extra },
  deps: { resourceUri: [target] },
});

describe("diag-to-law", () => {
  it("passes when every monitored resource sends to the workspace", () => {
    expect(checkStack(policy, [...targets, ...targets.map((t) => diagFor(t.name))])).toEqual({ violations: [], applicable: true });
  });

  it("matches a sub-service's diagnostic setting by the ARM id in resourceUri", () => {
    const blobDiag: StackRes = {
      type: T.diag,
      name: "blob-diag",
      props: { resourceUri: `${RG}/providers/Microsoft.Storage/storageAccounts/contosostorders/blobServices/default`, workspaceId: WORKSPACE },
    };
    expect(checkStack(policy, [targets[5]!, blobDiag]).violations).toEqual([]);
  });

  it("does not match a storage account whose name only starts the same", () => {
    const other: StackRes = { type: T.diag, name: "d", props: { resourceUri: `${RG}/providers/Microsoft.Storage/storageAccounts/contosostorders2`, workspaceId: WORKSPACE } };
    expect(checkStack(policy, [targets[5]!, other]).violations).toHaveLength(1);
  });

  it("flags each resource without a diagnostic setting", () => {
    const { violations } = checkStack(policy, [...targets, diagFor("orders-app")]);
    expect(violations.map((v) => v.name)).toEqual(["vault", "cosmos", "apim", "bus", "host"]);
    expect(violations[0]!.message).toMatch(/Key Vault "vault" has no diagnostic setting: add a monitor:DiagnosticSetting \(resourceUri: its id, workspaceId/);
  });

  it("flags a diagnostic setting that does not go to Log Analytics", () => {
    const { violations } = checkStack(policy, [targets[1]!, diagFor("vault", { storageAccountId: "x" })]);
    expect(violations).toEqual([{ name: "vault", message: expect.stringMatching(/diagnostic settings without workspaceId \(vault-diag\)/) }]);
  });

  it("does not apply to a stack without monitored types", () => {
    expect(checkStack(policy, [{ type: T.container, name: "c", props: blobContainer }]).applicable).toBe(false);
  });
});
