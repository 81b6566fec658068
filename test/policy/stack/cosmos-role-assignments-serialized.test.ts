import { describe, expect, it } from "vitest";
import { checkStack, rule, type StackRes } from "../harness";

const policy = rule("cosmos-role-assignments-serialized");
const grant = (name: string, account: string, deps: string[] = []): StackRes => ({
  type: "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
  name,
  props: { accountName: account, resourceGroupName: "rg", scope: `/x/${account}/dbs/d/colls/${name}`, principalId: name },
  ...(deps.length > 0 ? { deps: { dependsOn: deps } } : {}),
});

describe("cosmos-role-assignments-serialized", () => {
  it("passes a chain (each grant waits for the previous one, directly or transitively)", () => {
    expect(checkStack(policy, [grant("a", "acct"), grant("b", "acct", ["a"]), grant("c", "acct", ["b"])]).violations).toEqual([]);
  });

  it("flags two grants on one account that nothing orders", () => {
    const { violations } = checkStack(policy, [grant("a", "acct"), grant("b", "acct", ["a"]), grant("c", "acct", ["a"])]);
    expect(violations).toEqual([
      { name: "c", message: expect.stringMatching(/\[cosmos-role-assignments-serialized\] Cosmos DB role assignments "b" and "c" on account acct: .*412.*Fix: make "c" depend on "b"/) },
    ]);
  });

  it("does not relate grants on different accounts", () => {
    expect(checkStack(policy, [grant("a", "acct"), grant("b", "other")]).violations).toEqual([]);
  });
});
