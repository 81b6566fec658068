import { describe, expect, it } from "vitest";
import { EntraApiApp } from "../../components/entra-api-app";
import { deterministicGuid } from "../../components/core/roles";
import { evaluate, one, ofType } from "../helpers/plan";

const A = "azuread:index/";
const roles = [
  { value: "Orders.Read", description: "Read orders" },
  { value: "Orders.Write", description: "Create and change orders" },
];

describe("EntraApiApp", () => {
  const plan = evaluate(() => {
    const app = new EntraApiApp("orders-api", {
      displayName: "contoso-orders-api-dev",
      appName: "orders-api-dev",
      roles,
      smokeTestClient: { issuer: "https://token.actions.githubusercontent.com", subject: "repo:contoso/platform:environment:dev", roles: ["Orders.Read"] },
    });
    app.grantAppRole({ name: "gateway", principalId: "99999999-9999-4999-a999-999999999999" });
  });

  it("registers the API for this tenant with v2 tokens and stable role ids", async () => {
    const p = await plan;
    const app = one(p, `${A}application:Application`, "orders-api-app");
    expect(app.inputs).toMatchObject({ displayName: "contoso-orders-api-dev", signInAudience: "AzureADMyOrg", api: { requestedAccessTokenVersion: 2 } });
    const appRoles = app.inputs.appRoles as { id: string; value: string; allowedMemberTypes: string[] }[];
    expect(appRoles.map((r) => [r.value, r.id])).toEqual([
      ["Orders.Read", deterministicGuid("orders-api-dev", "Orders.Read")],
      ["Orders.Write", deterministicGuid("orders-api-dev", "Orders.Write")],
      ["Api.Invoke", deterministicGuid("orders-api-dev", "Api.Invoke")],
    ]);
    expect(appRoles[0]!.allowedMemberTypes).toEqual(["User", "Application"]);
    expect(appRoles[2]!.allowedMemberTypes).toEqual(["Application"]);
    // A second plan yields the same ids (nothing random).
    const again = one(await evaluate(() => void new EntraApiApp("orders-api", { displayName: "x", appName: "orders-api-dev", roles })), `${A}application:Application`);
    expect((again.inputs.appRoles as { id: string }[]).map((r) => r.id)).toEqual(appRoles.map((r) => r.id));
  });

  it("sets api://<client id> through a separate identifier URI resource", async () => {
    const p = await plan;
    const app = one(p, `${A}application:Application`, "orders-api-app");
    const uri = one(p, `${A}applicationIdentifierUri:ApplicationIdentifierUri`);
    expect(uri.inputs.identifierUri).toBe(`api://${String(app.outputs.clientId)}`);
    expect(uri.propertyDependencies.applicationId).toEqual([app.urn]);
    expect(app.inputs.identifierUris).toBeUndefined();
  });

  it("requires role assignment on the service principal", async () => {
    const p = await plan;
    const app = one(p, `${A}application:Application`, "orders-api-app");
    const sp = one(p, `${A}servicePrincipal:ServicePrincipal`, "orders-api-sp");
    expect(sp.inputs).toMatchObject({ clientId: app.outputs.clientId, appRoleAssignmentRequired: true });
  });

  it("grants the gateway's identity the invoker role", async () => {
    const p = await plan;
    const sp = one(p, `${A}servicePrincipal:ServicePrincipal`, "orders-api-sp");
    const grant = one(p, `${A}appRoleAssignment:AppRoleAssignment`, "orders-api-gateway-api-invoke");
    expect(grant.inputs).toEqual({
      appRoleId: deterministicGuid("orders-api-dev", "Api.Invoke"),
      principalObjectId: "99999999-9999-4999-a999-999999999999",
      resourceObjectId: sp.outputs.objectId,
    });
  });

  it("creates a federated smoke-test client (no secret) holding only its roles", async () => {
    const p = await plan;
    const client = one(p, `${A}application:Application`, "orders-api-smoke");
    expect(client.inputs.password).toBeUndefined();
    const fic = one(p, `${A}applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential`);
    expect(fic.inputs).toMatchObject({
      issuer: "https://token.actions.githubusercontent.com",
      subject: "repo:contoso/platform:environment:dev",
      audiences: ["api://AzureADTokenExchange"],
    });
    expect(fic.propertyDependencies.applicationId).toEqual([client.urn]);
    const smokeSp = one(p, `${A}servicePrincipal:ServicePrincipal`, "orders-api-smoke-sp");
    const grants = ofType(p, `${A}appRoleAssignment:AppRoleAssignment`).filter((g) => g.inputs.principalObjectId === smokeSp.outputs.objectId);
    expect(grants.map((g) => g.inputs.appRoleId)).toEqual([deterministicGuid("orders-api-dev", "Orders.Read")]);
  });

  it("refuses bad role values, duplicates and unknown smoke-test roles", () => {
    expect(() => new EntraApiApp("x", { displayName: "x", appName: "x-api", roles: [{ value: "Orders Read", description: "d" }] })).toThrow(/no spaces/);
    expect(() => new EntraApiApp("x", { displayName: "x", appName: "x-api", roles: [{ value: "Api.Invoke", description: "d" }] })).toThrow(/duplicate role value/);
    expect(
      () => new EntraApiApp("x", { displayName: "x", appName: "x-api", roles, smokeTestClient: { issuer: "i", subject: "s", roles: ["Admin"] } }),
    ).toThrow(/not among the API's roles: Admin/);
  });
});
