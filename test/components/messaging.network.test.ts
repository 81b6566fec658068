import { describe, expect, it } from "vitest";
import { EventTopic } from "../../components/event-grid";
import { Messaging, type MessagingArgs } from "../../components/messaging";
import { PrivateNetwork } from "../../components/network";
import { Simulator } from "../../engine/simulator";
import { BuiltInRole } from "../../components/core/roles";
import { evaluate, ofType, one } from "../helpers/plan";

const T = {
  account: "azure-native:storage:StorageAccount",
  endpoint: "azure-native:network:PrivateEndpoint",
  zoneGroup: "azure-native:network:PrivateDnsZoneGroup",
  topic: "azure-native:eventgrid:Topic",
  subscription: "azure-native:eventgrid:TopicEventSubscription",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  role: "azure-native:authorization:RoleAssignment",
} as const;

const SUB = new Simulator({ stack: "test" }).subscriptionId;
const names = { prefix: "test", environment: "dev" };
const common = { names, resourceGroupName: "rg", location: "eastus", tags: { owner: "team" } };
const network = () => new PrivateNetwork("net", common);
const messagingArgs = (over: Partial<MessagingArgs> = {}): MessagingArgs => ({ ...common, protect: false, queues: [{ name: "order-created" }], ...over });
const roleDef = (role: string): string => `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${role}`;

describe("Messaging on a private network", () => {
  it("closes the firewall (trusted services bypass it) and adds queue and blob private endpoints", async () => {
    let restricted: boolean | undefined;
    const plan = await evaluate(() => {
      restricted = new Messaging("msg", messagingArgs({ privateNetwork: network() })).networkRestricted;
    });
    const account = one(plan, T.account);
    expect(account.inputs.networkRuleSet).toEqual({ defaultAction: "Deny", bypass: "AzureServices" });
    // The public endpoint stays on: Event Grid reaches it through the trusted-services exception.
    expect(account.inputs.publicNetworkAccess).toBeUndefined();
    expect(restricted).toBe(true);
    const accountId = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${account.outputs.name as string}`;
    expect(ofType(plan, T.endpoint).map((e) => [e.name, e.inputs.privateLinkServiceConnections])).toEqual([
      ["net-msg-queue", [expect.objectContaining({ privateLinkServiceId: accountId, groupIds: ["queue"] })]],
      ["net-msg-blob", [expect.objectContaining({ privateLinkServiceId: accountId, groupIds: ["blob"] })]],
    ]);
    expect(one(plan, T.zoneGroup, "net-msg-queue-dns").inputs.privateDnsZoneConfigs).toEqual([
      expect.objectContaining({ privateDnsZoneId: expect.stringMatching(/privateDnsZones\/privatelink\.queue\.core\.windows\.net$/) }),
    ]);
  });

  it("without a network: Allow, no endpoints, not restricted (today's behaviour)", async () => {
    let restricted: boolean | undefined;
    const plan = await evaluate(() => {
      restricted = new Messaging("msg", messagingArgs()).networkRestricted;
    });
    expect(one(plan, T.account).inputs.networkRuleSet).toEqual({ defaultAction: "Allow", bypass: "AzureServices" });
    expect(ofType(plan, T.endpoint)).toHaveLength(0);
    expect(restricted).toBe(false);
  });

  it("refuses privateNetwork with networkDefaultAction Allow", async () => {
    await evaluate(() => {
      expect(() => new Messaging("msg", messagingArgs({ privateNetwork: network(), networkDefaultAction: "Allow" }))).toThrow(
        /networkDefaultAction "Allow" leaves the account open although privateNetwork is set/,
      );
    });
  });
});

describe("EventTopic delivering into a firewalled account", () => {
  it('deliveryIdentityType "SystemAssigned": the topic\'s own identity delivers and dead-letters, and holds the grants', async () => {
    const plan = await evaluate(() => {
      const messaging = new Messaging("msg", messagingArgs({ privateNetwork: network() }));
      const topic = new EventTopic("orders", { ...common, deliveryIdentityType: "SystemAssigned" });
      topic.subscribeQueue("orders-to-created", { messaging, queue: "order-created" });
      return { principal: topic.deliveryIdentity.principalId, id: topic.deliveryIdentity.id };
    });
    const topic = one(plan, T.topic);
    expect(topic.inputs.identity).toEqual({ type: "SystemAssigned" });
    expect(ofType(plan, T.identity)).toHaveLength(0);
    const principal = (topic.outputs.identity as { principalId: string }).principalId;
    expect(plan.outputs).toEqual({ principal, id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.EventGrid/topics/${topic.outputs.name as string}` });

    const sub = one(plan, T.subscription);
    expect(sub.inputs.deliveryWithResourceIdentity).toMatchObject({ identity: { type: "SystemAssigned" }, destination: { endpointType: "StorageQueue", queueName: "order-created" } });
    expect(sub.inputs.deadLetterWithResourceIdentity).toMatchObject({ identity: { type: "SystemAssigned" }, deadLetterDestination: { endpointType: "StorageBlob" } });
    const grants = ofType(plan, T.role).filter((r) => r.inputs.principalId === principal);
    expect(grants.map((g) => g.inputs.roleDefinitionId).sort()).toEqual(
      [roleDef(BuiltInRole.storageQueueDataMessageSender), roleDef(BuiltInRole.storageBlobDataContributor)].sort(),
    );
    for (const g of grants) expect(sub.dependencies).toContain(g.urn);
  });

  it("refuses a user-assigned delivery identity when the account's firewall denies by default", async () => {
    await evaluate(() => {
      const messaging = new Messaging("msg", messagingArgs({ privateNetwork: network() }));
      const topic = new EventTopic("orders", common);
      expect(() => topic.subscribeQueue("orders-to-created", { messaging, queue: "order-created" })).toThrow(
        /cannot pass it with a user-assigned identity; create the topic with deliveryIdentityType "SystemAssigned"/,
      );
    });
  });
});
