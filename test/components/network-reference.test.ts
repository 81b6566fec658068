/**
 * `PrivateNetworkReference`: the plain data CosmosDb, Messaging, KeyVault and FunctionApp take for
 * their network (issue 15: args as plain data). From a PrivateNetwork of the same program
 * (`net.reference`) the endpoints stay that network's children, under the URNs they always had; from
 * plain ids (another language, another stack's network) each component creates its endpoints as its
 * own children; a reference without what the component needs is refused before anything is registered.
 */
import { describe, expect, it } from "vitest";
import { CosmosDb } from "../../components/cosmos";
import { FunctionApp, type FunctionAppArgs } from "../../components/function-app";
import { KeyVault } from "../../components/key-vault";
import { Messaging } from "../../components/messaging";
import { PrivateNetwork, type PrivateNetworkReference } from "../../components/network";
import type { Plan } from "../../engine/plan-format";
import { evaluate, ofType, one } from "../helpers/plan";

const T = {
  endpoint: "azure-native:network:PrivateEndpoint",
  zoneGroup: "azure-native:network:PrivateDnsZoneGroup",
  network: "serverless-platform:network:PrivateNetwork",
  cosmos: "serverless-platform:cosmosdb:CosmosDb",
  messaging: "serverless-platform:storage:Messaging",
  vault: "serverless-platform:keyvault:KeyVault",
  app: "serverless-platform:web:FunctionApp",
  site: "azure-native:web:WebApp",
} as const;

const names = { prefix: "test", environment: "dev" };
const common = { names, resourceGroupName: "rg", location: "eastus", tags: { owner: "team" } };
const HUB = "/subscriptions/0/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/hub";
const ZONES = "/subscriptions/0/resourceGroups/rg-net/providers/Microsoft.Network/privateDnsZones";
const zone = (host: string): string => `${ZONES}/privatelink.${host}`;

/** Another stack's network, as ids. */
const remote: PrivateNetworkReference = {
  endpointsSubnetId: `${HUB}/subnets/endpoints`,
  appsSubnetId: `${HUB}/subnets/apps`,
  dnsZoneIds: {
    Sql: zone("documents.azure.com"),
    vault: zone("vaultcore.azure.net"),
    blob: zone("blob.core.windows.net"),
    queue: zone("queue.core.windows.net"),
    table: zone("table.core.windows.net"),
  },
};

const appArgs = (network: PrivateNetworkReference, over: Partial<FunctionAppArgs> = {}): FunctionAppArgs => ({
  ...common,
  service: { name: "hello", directory: "test/fixtures/services/hello", entry: "src/index.ts" },
  // Durable Functions: the host uses its storage's blobs, queues and tables (a private endpoint each).
  triggers: ["queue", "durable"],
  sizing: { instanceMemoryMB: 2048, maximumInstanceCount: 100, alwaysReady: [] },
  deploy: false,
  network: { privateNetwork: network, inbound: "deny" },
  ...over,
});

/** Every component of the data path on `network`. */
function dataPath(network: PrivateNetworkReference): void {
  new CosmosDb("data", { ...common, databases: [{ service: "orders", containers: [{ name: "orders", partitionKeyPaths: ["/id"] }] }], privateNetwork: network, protect: false });
  new Messaging("messaging", { ...common, queues: [{ name: "orders" }], privateNetwork: network, protect: false });
  new KeyVault("secrets", { ...common, tenantId: "00000000-0000-0000-0000-000000000001", privateNetwork: network, protect: false });
  new FunctionApp("orders", appArgs(network));
}

const EXPECTED_ENDPOINTS = [
  ["data-sql", "Sql", T.cosmos],
  ["messaging-queue", "queue", T.messaging],
  ["messaging-blob", "blob", T.messaging],
  ["secrets-vault", "vault", T.vault],
  ["orders-host-blob", "blob", T.app],
  ["orders-host-queue", "queue", T.app],
  ["orders-host-table", "table", T.app],
] as const;

const parentType = (plan: Plan, urn: string | undefined): string | undefined => plan.resources.find((r) => r.urn === urn)?.type;

describe("PrivateNetworkReference from plain ids (a network this program does not own)", () => {
  it("each component creates its endpoints as its own children, in the given subnet, registered in the given zones", async () => {
    const plan = await evaluate(() => dataPath(remote));
    const endpoints = ofType(plan, T.endpoint);
    expect(endpoints.map((e) => e.name).sort()).toEqual(EXPECTED_ENDPOINTS.map(([n]) => n).sort());
    for (const [name, group, owner] of EXPECTED_ENDPOINTS) {
      const endpoint = one(plan, T.endpoint, name);
      expect(parentType(plan, endpoint.parent), `${name}'s parent`).toBe(owner);
      expect(endpoint.inputs).toMatchObject({
        privateEndpointName: `test-${name}-d`,
        customNetworkInterfaceName: `test-${name}-d-nic`,
        subnet: { id: `${HUB}/subnets/endpoints` },
        privateLinkServiceConnections: [expect.objectContaining({ groupIds: [group] })],
      });
      const dns = one(plan, T.zoneGroup, `${name}-dns`);
      expect(parentType(plan, dns.parent)).toBe(owner);
      expect(dns.inputs.privateDnsZoneConfigs).toEqual([expect.objectContaining({ privateDnsZoneId: remote.dnsZoneIds[group] })]);
    }
    expect(one(plan, T.site).inputs.virtualNetworkSubnetId).toBe(`${HUB}/subnets/apps`);
    expect(ofType(plan, T.network)).toEqual([]);
  });

  it("without a naming context, an endpoint is named after the resource it connects", async () => {
    const plan = await evaluate(() => {
      new KeyVault("secrets", { resourceGroupName: "rg", location: "eastus", physicalNames: { vault: "contoso-kv" }, tenantId: "t", privateNetwork: remote, protect: false });
    });
    expect(one(plan, T.endpoint, "secrets-vault").inputs).toMatchObject({ privateEndpointName: "contoso-kv-vault", customNetworkInterfaceName: "contoso-kv-vault-nic" });
  });
});

describe("PrivateNetworkReference from a PrivateNetwork of this program (net.reference)", () => {
  it("the network creates the endpoints as its children, after its zones' links: the same URNs as passing the network itself", async () => {
    const build = (pass: (net: PrivateNetwork) => PrivateNetworkReference) => async () => {
      const plan = await evaluate(() => dataPath(pass(new PrivateNetwork("net", common))));
      return plan.resources.filter((r) => r.type === T.endpoint || r.type === T.zoneGroup);
    };
    const viaReference = await build((net) => net.reference)();
    const viaInstance = await build((net) => net)();
    expect(viaReference.map((r) => r.urn)).toEqual(viaInstance.map((r) => r.urn));
    expect(viaReference.map((r) => r.inputs)).toEqual(viaInstance.map((r) => r.inputs));
    expect(viaReference.filter((r) => r.type === T.endpoint).map((r) => r.name).sort()).toEqual(EXPECTED_ENDPOINTS.map(([n]) => `net-${n}`).sort());
    for (const r of viaReference) expect(r.urn).toContain(`${T.network}$`);
    for (const dns of viaReference.filter((r) => r.type === T.zoneGroup)) {
      expect(dns.dependencies.some((d) => d.includes("privatedns:VirtualNetworkLink")), `${dns.name} waits for its zone's link`).toBe(true);
    }
  });
});

describe("a reference without what the component needs is refused before anything is registered", () => {
  const without = (group: keyof PrivateNetworkReference["dnsZoneIds"]): PrivateNetworkReference => ({
    ...remote,
    dnsZoneIds: Object.fromEntries(Object.entries(remote.dnsZoneIds).filter(([g]) => g !== group)),
  });
  it.each([
    ["CosmosDb", "Sql", () => new CosmosDb("data", { ...common, databases: [], privateNetwork: without("Sql"), protect: false }), /CosmosDb "data": privateNetwork\.dnsZoneIds\.Sql is required \(the ARM id of the private DNS zone privatelink\.documents\.azure\.com/],
    ["KeyVault", "vault", () => new KeyVault("secrets", { ...common, privateNetwork: without("vault"), protect: false }), /KeyVault "secrets": privateNetwork\.dnsZoneIds\.vault is required/],
    ["Messaging", "queue", () => new Messaging("messaging", { ...common, queues: [], privateNetwork: without("queue"), protect: false }), /Messaging "messaging": privateNetwork\.dnsZoneIds\.queue is required/],
    ["FunctionApp (Durable Functions needs table)", "table", () => new FunctionApp("orders", appArgs(without("table"))), /FunctionApp "orders": network\.privateNetwork\.dnsZoneIds\.table is required/],
  ])("%s without its %s zone", async (_what, _group, create, message) => {
    const plan = await evaluate(() => {
      expect(create).toThrow(message);
    });
    expect(plan.resources.filter((r) => r.type.startsWith("azure-native:"))).toEqual([]);
  });

  it("FunctionApp without the apps subnet, and an HTTP-only app needs only the blob zone", async () => {
    const { appsSubnetId: _apps, ...noApps } = remote;
    await evaluate(() => {
      expect(() => new FunctionApp("orders", appArgs(noApps))).toThrow(/network\.privateNetwork\.appsSubnetId is required \(the subnet delegated to Microsoft\.App\/environments/);
    });
    const blobOnly: PrivateNetworkReference = { ...remote, dnsZoneIds: { blob: remote.dnsZoneIds.blob } };
    const plan = await evaluate(() => {
      new FunctionApp("orders", appArgs(blobOnly, { triggers: ["timer"] }));
    });
    expect(ofType(plan, T.endpoint).map((e) => e.name)).toEqual(["orders-host-blob"]);
  });
});

describe("FunctionApp refuses enum values plain data can carry but TypeScript could not", () => {
  it.each([
    [{ triggers: ["queue", "webhook"] }, /triggers: "webhook" is not a trigger kind \(http, queue, durable, cosmosChangeFeed, timer\)/],
    [{ network: { privateNetwork: remote, inbound: "open" } }, /network\.inbound: "open" is not one of gateway-only, deny/],
    [{ declaredUses: [{ kind: "container", name: "orders", access: "send" }] }, /declaredUses\[0\]\.kind: "container" is not one of queue/],
    [{ declaredUses: [{ kind: "queue", name: "orders", access: "peek" }] }, /declaredUses\[0\]\.access: "peek" is not one of send, process/],
  ])("%j", async (over, message) => {
    await evaluate(() => {
      expect(() => new FunctionApp("orders", appArgs(remote, over as unknown as Partial<FunctionAppArgs>))).toThrow(message);
    });
  });
});
