import { describe, expect, it } from "vitest";
import { checkStack, rule, type StackRes } from "../harness";

const policy = rule("storage-settings-private-endpoints");
const ACCOUNT_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/hoststore";
const account = (closed: boolean): StackRes => ({
  type: "azure-native:storage:StorageAccount",
  name: "host",
  props: { accountName: "hoststore", ...(closed ? { publicNetworkAccess: "Disabled" } : {}) },
});
const endpoint = (group: string): StackRes => ({
  type: "azure-native:network:PrivateEndpoint",
  name: `pe-${group}`,
  props: { privateLinkServiceConnections: [{ name: "c", privateLinkServiceId: ACCOUNT_ID, groupIds: [group] }] },
  deps: { privateLinkServiceConnections: ["host"] },
});
const zoneGroup = (group: string): StackRes => ({
  type: "azure-native:network:PrivateDnsZoneGroup",
  name: `zg-${group}`,
  props: { privateEndpointName: `pe-${group}` },
  deps: { privateEndpointName: [`pe-${group}`] },
});
const app = (services: string[], waitsFor: string[]): StackRes => ({
  type: "azure-native:web:WebApp",
  name: "app",
  props: {
    siteConfig: { appSettings: services.map((s) => ({ name: `AzureWebJobsStorage__${s}ServiceUri`, value: `https://hoststore.${s}.core.windows.net` })) },
  },
  ...(waitsFor.length > 0 ? { deps: { dependsOn: waitsFor } } : {}),
});

describe("storage-settings-private-endpoints", () => {
  it("passes an app that waits for the endpoints its settings name", () => {
    const stack = [account(true), endpoint("blob"), zoneGroup("blob"), app(["blob"], ["zg-blob"])];
    expect(checkStack(policy, stack).violations).toEqual([]);
  });

  it("flags a setting naming a service without an endpoint", () => {
    const stack = [account(true), endpoint("blob"), zoneGroup("blob"), app(["blob", "queue"], ["zg-blob"])];
    expect(checkStack(policy, stack).violations).toEqual([
      { name: "app", message: expect.stringMatching(/setting AzureWebJobsStorage__queueServiceUri: it names the queue service of storage account hoststore.*groupId "queue"/) },
    ]);
  });

  it("flags an app that starts before its host storage's DNS records exist", () => {
    const stack = [account(true), endpoint("blob"), zoneGroup("blob"), app(["blob"], [])];
    expect(checkStack(policy, stack).violations.map((v) => v.message)).toEqual([expect.stringMatching(/does not wait for the private DNS zone group/)]);
  });

  it("leaves accounts with a public endpoint alone", () => {
    expect(checkStack(policy, [account(false), app(["blob", "queue"], [])]).violations).toEqual([]);
  });
});
