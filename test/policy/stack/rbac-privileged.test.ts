import { describe, expect, it } from "vitest";
import { checkStack, rule, type StackRes } from "../harness";
import { T, storageAccount, uami } from "../resources";

const policy = rule("rbac-privileged");
const SUB = "/subscriptions/00000000-0000-4000-a000-000000000002";
const ROLE = (guid: string) => `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const QUEUE_SENDER = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const ACCOUNT = `${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/contosostorders`;
const grant = (name: string, role: string, scope: string, principalType = "User"): StackRes => ({
  type: T.roleAssignment,
  name,
  props: { principalId: "11111111-2222-3333-4444-555555555555", principalType, roleDefinitionId: ROLE(role), scope },
});

describe("rbac-privileged", () => {
  it("passes a narrow data role on one resource, for any principal", () => {
    expect(checkStack(policy, [grant("ci-sender", QUEUE_SENDER, `${ACCOUNT}/queueServices/default/queues/q`)])).toEqual({ violations: [], applicable: true });
  });

  it("flags Owner for a user, naming the grant and the fix", () => {
    expect(checkStack(policy, [grant("ops-owner", OWNER, ACCOUNT)]).violations).toEqual([
      { name: "ops-owner", message: expect.stringMatching(/role assignment "ops-owner" gives Owner to User 11111111-.*allow-list the assignment with a reason/) },
    ]);
  });

  it("flags a grant at resource-group or subscription scope, and names the principal resource", () => {
    const id: StackRes = { type: T.uami, name: "gateway-identity", props: uami };
    const rgGrant = { ...grant("gw-rg", QUEUE_SENDER, `${SUB}/resourceGroups/rg`, "ServicePrincipal"), deps: { principalId: ["gateway-identity"] } };
    expect(checkStack(policy, [id, rgGrant]).violations[0]?.message).toMatch(/to UserAssignedIdentity "gateway-identity" at resource group scope/);
    expect(checkStack(policy, [grant("ci-sub", QUEUE_SENDER, SUB)]).violations[0]?.message).toMatch(/at subscription scope/);
  });

  it("flags a custom role with wildcard actions assigned in the stack", () => {
    const def: StackRes = { type: "azure-native:authorization:RoleDefinition", name: "ops-role", props: { roleDefinitionId: "aaaaaaaa-0000-0000-0000-000000000001", permissions: [{ actions: ["*"] }] } };
    const assigned = { ...grant("ops", "aaaaaaaa-0000-0000-0000-000000000001", ACCOUNT), deps: { roleDefinitionId: ["ops-role"] } };
    expect(checkStack(policy, [def, assigned]).violations.map((v) => v.name)).toEqual(["ops"]);
  });

  it("accepts an allow-listed grant only with a real reason", () => {
    const g = grant("ci-deployer", OWNER, `${SUB}/resourceGroups/rg`);
    expect(checkStack(policy, [g], { allow: [{ name: "ci-deployer", reason: "the deployment identity creates the resource group's role assignments" }] }).violations).toEqual([]);
    expect(checkStack(policy, [g], { allow: [{ name: "ci-deployer", reason: "needed" }] }).violations).toHaveLength(1);
  });

  it("does not apply to a stack without role assignments", () => {
    expect(checkStack(policy, [{ type: T.storage, name: "s", props: storageAccount }]).applicable).toBe(false);
  });
});
