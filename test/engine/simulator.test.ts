import { describe, expect, it } from "vitest";
import { Simulator } from "../../engine/simulator";

const sim = () => new Simulator({ stack: "dev", defaultLocation: "eastus" });
const sub = sim().subscriptionId;
const rgId = `/subscriptions/${sub}/resourceGroups/rg`;

describe("simulated provider", () => {
  it("returns ARM ids, names and endpoints per type", () => {
    const s = sim();
    const account = s.newResource({ type: "azure-native:storage:StorageAccount", name: "st", inputs: { accountName: "contosost", resourceGroupName: "rg", location: "eastus" }, custom: true });
    expect(account.id).toBe(`${rgId}/providers/Microsoft.Storage/storageAccounts/contosost`);
    expect(account.state).toMatchObject({
      name: "contosost",
      type: "Microsoft.Storage/storageAccounts",
      primaryEndpoints: { blob: "https://contosost.blob.core.windows.net/", queue: "https://contosost.queue.core.windows.net/" },
    });

    const queue = s.newResource({ type: "azure-native:storage:Queue", name: "q", inputs: { accountName: "contosost", resourceGroupName: "rg", queueName: "orders" }, custom: true });
    expect(queue.id).toBe(`${rgId}/providers/Microsoft.Storage/storageAccounts/contosost/queueServices/default/queues/orders`);
    expect(queue.state.type).toBe("Microsoft.Storage/storageAccounts/queueServices/queues");

    const app = s.newResource({ type: "azure-native:web:WebApp", name: "app", inputs: { name: "contoso-orders", resourceGroupName: "rg", location: "eastus" }, custom: true });
    expect(app.state).toMatchObject({ defaultHostName: "contoso-orders.azurewebsites.net" });
    expect(app.state.hostNameSslStates).toContainEqual({ name: "contoso-orders.scm.azurewebsites.net", hostType: "Repository", sslState: "Disabled" });

    const cosmos = s.newResource({ type: "azure-native:cosmosdb:DatabaseAccount", name: "c", inputs: { accountName: "contoso-db", resourceGroupName: "rg", location: "eastus" }, custom: true });
    expect(cosmos.state.documentEndpoint).toBe("https://contoso-db.documents.azure.com:443/");

    const apim = s.newResource({ type: "azure-native:apimanagement:ApiManagementService", name: "g", inputs: { serviceName: "contoso-gw", resourceGroupName: "rg", location: "eastus", identity: { type: "SystemAssigned" } }, custom: true });
    expect(apim.state.gatewayUrl).toBe("https://contoso-gw.azure-api.net");
    expect((apim.state.identity as { principalId: string }).principalId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("gives managed identities stable principal and client ids", () => {
    const args = { type: "azure-native:managedidentity:UserAssignedIdentity", name: "id", inputs: { resourceName: "orders-id", resourceGroupName: "rg", location: "eastus" }, custom: true };
    const a = sim().newResource(args);
    const b = sim().newResource(args);
    expect(a.state.principalId).toBe(b.state.principalId);
    expect(a.state.clientId).not.toBe(a.state.principalId);
    expect(a.state.principalId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("puts extension resources under their scope", () => {
    const scope = `${rgId}/providers/Microsoft.Storage/storageAccounts/contosost`;
    const ra = sim().newResource({ type: "azure-native:authorization:RoleAssignment", name: "ra", inputs: { scope, roleAssignmentName: "1111", principalId: "p", roleDefinitionId: "r" }, custom: true });
    expect(ra.id).toBe(`${scope}/providers/Microsoft.Authorization/roleAssignments/1111`);
    const diag = sim().newResource({ type: "azure-native:monitor:DiagnosticSetting", name: "d", inputs: { resourceUri: scope, name: "to-law" }, custom: true });
    expect(diag.id).toBe(`${scope}/providers/Microsoft.Insights/diagnosticSettings/to-law`);
  });

  it("auto-names a resource without a physical name, deterministically", () => {
    const args = { type: "azure-native:web:AppServicePlan", name: "plan", inputs: { resourceGroupName: "rg" }, custom: true };
    const name = sim().newResource(args).state.name as string;
    expect(name).toMatch(/^plan[0-9a-f]{7}$/);
    expect(sim().newResource(args).state.name).toBe(name);
  });

  it("answers the invokes the program makes and refuses unknown ones clearly", () => {
    const s = sim();
    expect(s.call({ token: "azure-native:authorization:getClientConfig", inputs: {} })).toMatchObject({ subscriptionId: sub, tenantId: s.tenantId });
    expect(s.call({ token: "azuread:index/getClientConfig:getClientConfig", inputs: {} })).toMatchObject({ tenantId: s.tenantId });
    expect(() => s.call({ token: "azure-native:web:listWebAppPublishingCredentials", inputs: {} })).toThrow(/does not know the invoke/);
  });

  it("refuses a type it does not know instead of inventing outputs", () => {
    expect(() => sim().newResource({ type: "azure-native:sql:Server", name: "x", inputs: {}, custom: true })).toThrow(/does not know the resource type "azure-native:sql:Server"/);
  });

  it("returns azuread application ids", () => {
    const app = sim().newResource({ type: "azuread:index/application:Application", name: "api", inputs: { displayName: "api" }, custom: true });
    expect(app.state.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(app.id).toMatch(/^\/applications\//);
  });
});
