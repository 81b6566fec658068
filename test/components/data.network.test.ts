import { describe, expect, it } from "vitest";
import { CosmosDb, type CosmosDbArgs } from "../../components/cosmos";
import { KeyVault, type KeyVaultArgs } from "../../components/key-vault";
import { PrivateNetwork } from "../../components/network";
import { Simulator } from "../../engine/simulator";
import { evaluate, ofType, one } from "../helpers/plan";

const T = {
  cosmos: "azure-native:cosmosdb:DatabaseAccount",
  vault: "azure-native:keyvault:Vault",
  endpoint: "azure-native:network:PrivateEndpoint",
  zoneGroup: "azure-native:network:PrivateDnsZoneGroup",
} as const;

const SUB = new Simulator({ stack: "test" }).subscriptionId;
const RG = `/subscriptions/${SUB}/resourceGroups/rg/providers`;
const common = { names: { prefix: "test", environment: "dev" }, resourceGroupName: "rg", location: "eastus", tags: { owner: "team" } };
const network = () => new PrivateNetwork("net", common);
const cosmosArgs = (over: Partial<CosmosDbArgs> = {}): CosmosDbArgs => ({ ...common, protect: false, databases: [], ...over });
const vaultArgs = (over: Partial<KeyVaultArgs> = {}): KeyVaultArgs => ({ ...common, protect: false, tenantId: "tenant", ...over });

describe("CosmosDb on a private network", () => {
  it("turns public network access off and adds a Sql private endpoint registered in privatelink.documents.azure.com", async () => {
    const plan = await evaluate(() => {
      new CosmosDb("data", cosmosArgs({ privateNetwork: network() }));
    });
    const account = one(plan, T.cosmos);
    expect(account.inputs.publicNetworkAccess).toBe("Disabled");
    expect(one(plan, T.endpoint).inputs.privateLinkServiceConnections).toEqual([
      expect.objectContaining({ privateLinkServiceId: `${RG}/Microsoft.DocumentDB/databaseAccounts/${account.outputs.name as string}`, groupIds: ["Sql"] }),
    ]);
    expect(one(plan, T.zoneGroup).inputs.privateDnsZoneConfigs).toEqual([
      { name: "privatelink-documents-azure-com", privateDnsZoneId: `${RG}/Microsoft.Network/privateDnsZones/privatelink.documents.azure.com` },
    ]);
  });

  it("keeps today's default without a network, and refuses publicNetworkAccess Enabled with one", async () => {
    const plan = await evaluate(() => {
      new CosmosDb("data", cosmosArgs());
      expect(() => new CosmosDb("other", cosmosArgs({ privateNetwork: network(), publicNetworkAccess: "Enabled" }))).toThrow(
        /publicNetworkAccess "Enabled" keeps the public endpoint open although privateNetwork is set/,
      );
    });
    expect(one(plan, T.cosmos).inputs.publicNetworkAccess).toBe("Enabled");
    expect(ofType(plan, T.endpoint)).toHaveLength(0);
  });
});

describe("KeyVault on a private network", () => {
  it("turns public access off, denies by default (trusted services bypass) and adds a vault private endpoint", async () => {
    const plan = await evaluate(() => {
      new KeyVault("secrets", vaultArgs({ privateNetwork: network() }));
    });
    const vault = one(plan, T.vault);
    expect(vault.inputs.properties).toMatchObject({
      publicNetworkAccess: "Disabled",
      networkAcls: { bypass: "AzureServices", defaultAction: "Deny" },
      enableRbacAuthorization: true,
    });
    expect(one(plan, T.endpoint).inputs.privateLinkServiceConnections).toEqual([
      expect.objectContaining({ privateLinkServiceId: `${RG}/Microsoft.KeyVault/vaults/${vault.outputs.name as string}`, groupIds: ["vault"] }),
    ]);
    expect(one(plan, T.zoneGroup).inputs.privateDnsZoneConfigs).toEqual([
      { name: "privatelink-vaultcore-azure-net", privateDnsZoneId: `${RG}/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net` },
    ]);
  });

  it("keeps today's defaults without a network, and refuses opening a private vault", async () => {
    const plan = await evaluate(() => {
      new KeyVault("secrets", vaultArgs());
      const net = network();
      expect(() => new KeyVault("a", vaultArgs({ privateNetwork: net, publicNetworkAccess: "Enabled" }))).toThrow(/keep the vault open although privateNetwork is set/);
      expect(() => new KeyVault("b", vaultArgs({ privateNetwork: net, networkDefaultAction: "Allow" }))).toThrow(/keep the vault open/);
    });
    expect(one(plan, T.vault).inputs.properties).toMatchObject({ publicNetworkAccess: "Enabled", networkAcls: { bypass: "AzureServices", defaultAction: "Allow" } });
    expect(ofType(plan, T.endpoint)).toHaveLength(0);
  });
});
