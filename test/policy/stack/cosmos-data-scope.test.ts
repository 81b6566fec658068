import { describe, expect, it } from "vitest";
import { checkStack, rule, type StackRes } from "../harness";
import { T, UAMI_ID, UAMI_PRINCIPAL_ID, flexApp, storageAccount, uami } from "../resources";

const policy = rule("cosmos-data-scope");
const ACCOUNT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/contoso-cosmos-p";
const READER = `${ACCOUNT}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000001`;
const CONTRIBUTOR = `${ACCOUNT}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002`;
const identity: StackRes = { type: T.uami, name: "orders-identity", props: { ...uami, principalId: UAMI_PRINCIPAL_ID } };
const app: StackRes = {
  type: T.app,
  name: "orders-app",
  props: { ...flexApp, identity: { type: "UserAssigned", userAssignedIdentities: [UAMI_ID] }, siteConfig: { appSettings: [{ name: "COSMOS_DATABASE", value: "orders-db" }] } },
};
const grant = (name: string, role: string, scope: string): StackRes => ({
  type: T.cosmosRole,
  name,
  props: { accountName: "contoso-cosmos-p", principalId: UAMI_PRINCIPAL_ID, roleDefinitionId: role, scope },
  deps: { principalId: ["orders-identity"] },
});

describe("cosmos-data-scope", () => {
  it("passes a contributor on the app's own container and a reader on another service's database", () => {
    const stack = [identity, app, grant("own", CONTRIBUTOR, `${ACCOUNT}/dbs/orders-db/colls/orders`), grant("read", READER, `${ACCOUNT}/dbs/catalog-db`)];
    expect(checkStack(policy, stack)).toEqual({ violations: [], applicable: true });
  });

  it("flags an account-wide grant, whatever the role", () => {
    for (const scope of [ACCOUNT, "/"]) {
      expect(checkStack(policy, [identity, app, grant("wide", READER, scope)]).violations).toEqual([
        { name: "wide", message: expect.stringMatching(/grants Cosmos DB Built-in Data Reader on the whole account .*scope it to "\/dbs\/<db>\/colls\/<container>"/) },
      ]);
    }
  });

  it("flags a contributor on a whole database", () => {
    expect(checkStack(policy, [identity, app, grant("db", CONTRIBUTOR, `${ACCOUNT}/dbs/orders-db`)]).violations[0]?.message).toMatch(/Data Contributor on every container of database "orders-db"/);
  });

  it("flags writing another service's container", () => {
    expect(checkStack(policy, [identity, app, grant("other", CONTRIBUTOR, `${ACCOUNT}/dbs/catalog-db/colls/products`)]).violations[0]?.message).toMatch(
      /lets function app "orders-app" \(database "orders-db"\) write container "products" of database "catalog-db"/,
    );
  });

  it("does not apply to a stack without Cosmos DB role assignments", () => {
    expect(checkStack(policy, [{ type: T.storage, name: "s", props: storageAccount }]).applicable).toBe(false);
  });
});
