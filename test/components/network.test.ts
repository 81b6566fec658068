import { describe, expect, it } from "vitest";
import { PRIVATE_DNS_ZONES, PrivateNetwork, type PrivateNetworkArgs, addressPlan } from "../../components/network";
import { Simulator } from "../../engine/simulator";
import type { Plan } from "../../engine/plan-format";
import { evaluate, ofType, one } from "../helpers/plan";

const T = {
  component: "serverless-platform:network:PrivateNetwork",
  vnet: "azure-native:network:VirtualNetwork",
  endpoint: "azure-native:network:PrivateEndpoint",
  zoneGroup: "azure-native:network:PrivateDnsZoneGroup",
  zone: "azure-native:privatedns:PrivateZone",
  link: "azure-native:privatedns:VirtualNetworkLink",
} as const;

const SUB = new Simulator({ stack: "test" }).subscriptionId;
const RG = `/subscriptions/${SUB}/resourceGroups/rg/providers`;
const VNET_ID = `${RG}/Microsoft.Network/virtualNetworks/test-net-d`;
const STORAGE_ID = `${RG}/Microsoft.Storage/storageAccounts/testhostd`;

const base = (over: Partial<PrivateNetworkArgs> = {}): PrivateNetworkArgs => ({
  names: { prefix: "test", environment: "dev" },
  resourceGroupName: "rg",
  location: "eastus",
  tags: { owner: "team" },
  ...over,
});

const zoneId = (zone: string): string => `${RG}/Microsoft.Network/privateDnsZones/${zone}`;

describe("addressPlan", () => {
  it.each([
    [{}, { addressSpace: "10.40.0.0/16", apps: "10.40.0.0/24", endpoints: "10.40.1.0/24" }],
    [{ addressSpace: "172.16.8.0/22" }, { addressSpace: "172.16.8.0/22", apps: "172.16.8.0/24", endpoints: "172.16.9.0/24" }],
    [{ addressSpace: "10.1.2.0/24" }, { addressSpace: "10.1.2.0/24", apps: "10.1.2.0/25", endpoints: "10.1.2.128/25" }],
    [
      { addressSpace: "10.0.0.0/16", appsSubnetPrefix: "10.0.4.0/23", endpointsSubnetPrefix: "10.0.8.0/26" },
      { addressSpace: "10.0.0.0/16", apps: "10.0.4.0/23", endpoints: "10.0.8.0/26" },
    ],
  ])("%j plans %j", (args, expected) => {
    expect(addressPlan(args)).toEqual(expected);
  });

  it.each([
    [{ addressSpace: "10.40.0.0" }, /addressSpace: "10.40.0.0" is not an IPv4 CIDR/],
    [{ addressSpace: "10.40.0.1/16" }, /host bits set/],
    [{ addressSpace: "10.40.0.0/26" }, /must be \/8 to \/24/],
    [{ appsSubnetPrefix: "10.41.0.0/24" }, /appsSubnetPrefix: "10.41.0.0\/24" is not inside addressSpace "10.40.0.0\/16"/],
    [{ appsSubnetPrefix: "10.40.0.0/28" }, /smaller than \/27; Flex apps use up to ~40 addresses each/],
    [{ appsSubnetPrefix: "10.40.0.0/23" }, /overlap/],
  ])("refuses %j", (args, message) => {
    expect(() => addressPlan(args)).toThrow(message);
  });
});

describe("PrivateNetwork", () => {
  const build = (): Promise<Plan> =>
    evaluate(() => {
      const net = new PrivateNetwork("net", base());
      const blob = net.privateEndpoint("orders-host-blob", { resourceId: STORAGE_ID, groupId: "blob" });
      const vault = net.privateEndpoint("secrets-vault", { resourceId: `${RG}/Microsoft.KeyVault/vaults/test-kv`, groupId: "vault" });
      return { apps: net.appsSubnetId, endpoints: net.endpointsSubnetId, blob: blob.dnsZoneGroup.id, vault: vault.dnsZoneGroup.id };
    });

  it("creates a VNet with an apps subnet delegated to Microsoft.App/environments and an endpoints subnet", async () => {
    const plan = await build();
    const vnet = one(plan, T.vnet);
    expect(vnet.parent).toBe(one(plan, T.component).urn);
    expect(vnet.inputs).toEqual({
      virtualNetworkName: "test-net-d",
      resourceGroupName: "rg",
      location: "eastus",
      tags: { owner: "team" },
      addressSpace: { addressPrefixes: ["10.40.0.0/16"] },
      // SDK defaults.
      enableDdosProtection: false,
      enableVmProtection: false,
      subnets: [
        {
          name: "apps",
          addressPrefix: "10.40.0.0/24",
          delegations: [{ name: "flex-consumption", serviceName: "Microsoft.App/environments" }],
          networkSecurityGroup: { id: expect.stringMatching(/\/networkSecurityGroups\/[^/]+-nsg$/) },
          defaultOutboundAccess: false,
        },
        {
          name: "endpoints",
          addressPrefix: "10.40.1.0/24",
          privateEndpointNetworkPolicies: "NetworkSecurityGroupEnabled",
          networkSecurityGroup: { id: expect.stringMatching(/\/networkSecurityGroups\/[^/]+-nsg$/) },
          defaultOutboundAccess: false,
        },
      ],
    });
    expect(plan.outputs).toMatchObject({ apps: `${VNET_ID}/subnets/apps`, endpoints: `${VNET_ID}/subnets/endpoints` });
  });

  it("creates the five private DNS zones, each linked to the VNet without auto-registration", async () => {
    const plan = await build();
    expect(ofType(plan, T.zone).map((z) => z.inputs)).toEqual(
      Object.values(PRIVATE_DNS_ZONES).map((zone) => ({ privateZoneName: zone, resourceGroupName: "rg", location: "global", tags: { owner: "team" } })),
    );
    expect(Object.values(PRIVATE_DNS_ZONES)).toEqual([
      "privatelink.blob.core.windows.net",
      "privatelink.queue.core.windows.net",
      "privatelink.table.core.windows.net",
      "privatelink.documents.azure.com",
      "privatelink.vaultcore.azure.net",
    ]);
    const links = ofType(plan, T.link);
    expect(links.map((l) => l.inputs)).toEqual(
      Object.values(PRIVATE_DNS_ZONES).map((zone) => ({
        virtualNetworkLinkName: "test-net-d",
        privateZoneName: zone,
        resourceGroupName: "rg",
        location: "global",
        tags: { owner: "team" },
        virtualNetwork: { id: VNET_ID },
        registrationEnabled: false,
      })),
    );
  });

  it("privateEndpoint: an endpoint in the endpoints subnet for the group, registered in the group's zone", async () => {
    const plan = await build();
    const endpoint = one(plan, T.endpoint, "net-orders-host-blob");
    expect(endpoint.inputs).toEqual({
      privateEndpointName: "test-orders-host-blob-d",
      resourceGroupName: "rg",
      location: "eastus",
      tags: { owner: "team" },
      // The SDK fills the subnet reference's policy defaults.
      subnet: { id: `${VNET_ID}/subnets/endpoints`, privateEndpointNetworkPolicies: "Disabled", privateLinkServiceNetworkPolicies: "Enabled" },
      customNetworkInterfaceName: "test-orders-host-blob-d-nic",
      privateLinkServiceConnections: [{ name: "test-orders-host-blob-d", privateLinkServiceId: STORAGE_ID, groupIds: ["blob"] }],
    });
    const group = one(plan, T.zoneGroup, "net-orders-host-blob-dns");
    expect(group.inputs).toEqual({
      privateEndpointName: "test-orders-host-blob-d",
      resourceGroupName: "rg",
      privateDnsZoneGroupName: "default",
      privateDnsZoneConfigs: [{ name: "privatelink-blob-core-windows-net", privateDnsZoneId: zoneId("privatelink.blob.core.windows.net") }],
    });
    // The record resolves only once the zone is linked to the VNet.
    expect(group.dependencies).toContain(one(plan, T.link, "net-blob-link").urn);
    expect(one(plan, T.zoneGroup, "net-secrets-vault-dns").inputs.privateDnsZoneConfigs).toEqual([
      { name: "privatelink-vaultcore-azure-net", privateDnsZoneId: zoneId("privatelink.vaultcore.azure.net") },
    ]);
    expect(one(plan, T.endpoint, "net-secrets-vault").inputs.privateLinkServiceConnections).toEqual([
      expect.objectContaining({ groupIds: ["vault"] }),
    ]);
  });

  it("refuses a bad address plan before registering anything, and duplicate or malformed endpoint names", async () => {
    const plan = await evaluate(() => {
      expect(() => new PrivateNetwork("bad", base({ addressSpace: "10.40.0.0/26" }))).toThrow(/addressSpace: "10.40.0.0\/26" must be \/8 to \/24/);
      const net = new PrivateNetwork("net", base());
      net.privateEndpoint("a-blob", { resourceId: STORAGE_ID, groupId: "blob" });
      expect(() => net.privateEndpoint("a-blob", { resourceId: STORAGE_ID, groupId: "blob" })).toThrow(/already has a private endpoint "a-blob"/);
      expect(() => net.privateEndpoint("A_blob", { resourceId: STORAGE_ID, groupId: "blob" })).toThrow(/lowercase letters, digits and hyphens/);
    });
    expect(ofType(plan, T.component)).toHaveLength(1);
  });
});
