import { describe, expect, it } from "vitest";
import { FunctionApp, type FunctionAppArgs } from "../../../components/function-app";
import type { TriggerKind } from "../../../functions-src/shared/manifest";
import { PrivateNetwork } from "../../../components/network";
import { Simulator } from "../../../engine/simulator";
import type { Plan } from "../../../engine/plan-format";
import { evaluate, ofType, one } from "../../helpers/plan";

const T = {
  storage: "azure-native:storage:StorageAccount",
  app: "azure-native:web:WebApp",
  endpoint: "azure-native:network:PrivateEndpoint",
  zoneGroup: "azure-native:network:PrivateDnsZoneGroup",
} as const;

const SUB = new Simulator({ stack: "test" }).subscriptionId;
const VNET_ID = `/subscriptions/${SUB}/resourceGroups/rg-test/providers/Microsoft.Network/virtualNetworks/test-net-d`;
const names = { prefix: "test", environment: "dev" };
const GATEWAY = "6f1c0c53-6d7a-4c3b-9c39-0a6f0e0f0099";

function args(net: PrivateNetwork | undefined, over: Partial<FunctionAppArgs> = {}): FunctionAppArgs {
  return {
    names,
    resourceGroupName: "rg-test",
    location: "eastus",
    tags: { owner: "team", costCenter: "1" },
    service: { name: "hello", directory: "test/fixtures/services/hello", entry: "src/index.ts" },
    triggers: ["queue"],
    sizing: { instanceMemoryMB: 2048, maximumInstanceCount: 100, alwaysReady: [] },
    deploy: false,
    ...(net ? { network: { privateNetwork: net, inbound: "deny" as const } } : {}),
    ...over,
  };
}

const network = () => new PrivateNetwork("net", { names, resourceGroupName: "rg-test", location: "eastus", tags: { owner: "team" } });

const hostId = (plan: Plan): string =>
  `/subscriptions/${SUB}/resourceGroups/rg-test/providers/Microsoft.Storage/storageAccounts/${one(plan, T.storage).outputs.name as string}`;

describe("FunctionApp on a private network", () => {
  it('inbound "deny": VNet integration, private host storage with blob/queue/table endpoints, site default-deny with SCM open', async () => {
    const plan = await evaluate(() => {
      new FunctionApp("worker", args(network(), { triggers: ["queue", "durable"] }));
    });
    const storage = one(plan, T.storage);
    expect(storage.inputs).toMatchObject({ publicNetworkAccess: "Disabled", networkRuleSet: { defaultAction: "Deny", bypass: "None" } });

    const endpoints = ofType(plan, T.endpoint);
    expect(endpoints.map((e) => e.name)).toEqual(["net-worker-host-blob", "net-worker-host-queue", "net-worker-host-table"]);
    for (const [e, group] of endpoints.map((e, i) => [e, ["blob", "queue", "table"][i]] as const)) {
      expect(e.inputs.privateLinkServiceConnections).toEqual([expect.objectContaining({ privateLinkServiceId: hostId(plan), groupIds: [group] })]);
      expect(one(plan, T.zoneGroup, `${e.name}-dns`).inputs.privateDnsZoneConfigs).toEqual([
        expect.objectContaining({ privateDnsZoneId: expect.stringMatching(new RegExp(`/privateDnsZones/privatelink\\.${group}\\.core\\.windows\\.net$`)) }),
      ]);
    }

    const app = one(plan, T.app);
    expect(app.inputs.virtualNetworkSubnetId).toBe(`${VNET_ID}/subnets/apps`);
    expect(app.inputs.publicNetworkAccess).toBeUndefined();
    expect(app.inputs.siteConfig).toMatchObject({
      ipSecurityRestrictionsDefaultAction: "Deny",
      scmIpSecurityRestrictionsDefaultAction: "Allow",
      scmIpSecurityRestrictionsUseMain: false,
    });
    const siteConfig = app.inputs.siteConfig as Record<string, unknown>;
    expect(siteConfig.ipSecurityRestrictions).toBeUndefined();
    // Every secure default stays.
    expect(siteConfig).toMatchObject({ minTlsVersion: "1.2", scmMinTlsVersion: "1.2", http20Enabled: true, remoteDebuggingEnabled: false });
    expect(app.inputs.httpsOnly).toBe(true);
  });

  it("publishes the code only after the host storage's private endpoints are registered in DNS", async () => {
    const plan = await evaluate(() => {
      new FunctionApp("worker", args(network(), { deploy: true, triggers: ["queue", "durable"] }));
    });
    const code = one(plan, "pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment");
    const groups = ofType(plan, T.zoneGroup).map((g) => g.urn);
    expect(groups).toHaveLength(3);
    for (const g of groups) expect(code.dependencies).toContain(g);
  });

  it.each<[string, TriggerKind[], string[]]>([
    ["an HTTP-only app", ["http"], ["blob"]],
    ["a timer app", ["timer"], ["blob"]],
    ["a queue app (its trigger reads its own connection)", ["queue"], ["blob"]],
    ["a durable app", ["http", "durable"], ["blob", "queue", "table"]],
  ])("%s gets exactly the host endpoints its settings name, and the site waits for their DNS records", async (_what, triggers, services) => {
    const plan = await evaluate(() => {
      new FunctionApp(
        "svc",
        args(undefined, {
          triggers,
          network: triggers.includes("http")
            ? { privateNetwork: network(), inbound: "gateway-only" }
            : { privateNetwork: network(), inbound: "deny" },
          ...(triggers.includes("http") ? { authentication: { tenantId: "t", clientId: "c", allowedAudiences: ["api://x"], allowedPrincipalIds: [GATEWAY] } } : {}),
        }),
      );
    });
    const app = one(plan, T.app);
    const named = ((app.inputs.siteConfig as { appSettings: { name: string }[] }).appSettings)
      .map((s) => /^AzureWebJobsStorage__(\w+)ServiceUri$/.exec(s.name)?.[1])
      .filter((x): x is string => x !== undefined)
      .sort();
    const endpoints = ofType(plan, T.endpoint).map((e) => (e.inputs.privateLinkServiceConnections as { groupIds: string[] }[])[0]!.groupIds[0]!).sort();
    expect(named).toEqual([...services].sort());
    expect(endpoints).toEqual(named);
    for (const g of [...ofType(plan, T.zoneGroup), ...ofType(plan, T.endpoint)]) expect(app.dependencies).toContain(g.urn);
  });

  it('inbound "gateway-only": the site stays public (no access restrictions) behind authentication; an HTTP-only host gets a blob endpoint only', async () => {
    const plan = await evaluate(() => {
      new FunctionApp(
        "api",
        args(undefined, {
          triggers: ["http"],
          network: { privateNetwork: network(), inbound: "gateway-only" },
          authentication: { tenantId: "t", clientId: "c", allowedAudiences: ["api://x"], allowedPrincipalIds: [GATEWAY] },
        }),
      );
    });
    expect(ofType(plan, T.endpoint).map((e) => e.inputs.privateLinkServiceConnections)).toEqual([
      [expect.objectContaining({ privateLinkServiceId: hostId(plan), groupIds: ["blob"] })],
    ]);
    const app = one(plan, T.app);
    expect(app.inputs.virtualNetworkSubnetId).toBe(`${VNET_ID}/subnets/apps`);
    const siteConfig = app.inputs.siteConfig as Record<string, unknown>;
    for (const key of ["ipSecurityRestrictionsDefaultAction", "scmIpSecurityRestrictionsDefaultAction", "scmIpSecurityRestrictionsUseMain", "ipSecurityRestrictions"]) {
      expect(siteConfig[key], key).toBeUndefined();
    }
    expect(one(plan, T.storage).inputs).toMatchObject({ publicNetworkAccess: "Disabled", networkRuleSet: { defaultAction: "Deny", bypass: "None" } });
  });

  it("without network: no VNet integration, no access restrictions, host storage open to Entra-authenticated callers (today's behaviour)", async () => {
    const plan = await evaluate(() => {
      new FunctionApp("worker", args(undefined));
    });
    const storage = one(plan, T.storage);
    expect(storage.inputs.publicNetworkAccess).toBeUndefined();
    expect(storage.inputs.networkRuleSet).toBeUndefined();
    expect(ofType(plan, T.endpoint)).toHaveLength(0);
    const app = one(plan, T.app);
    expect(app.inputs.virtualNetworkSubnetId).toBeUndefined();
    expect((app.inputs.siteConfig as Record<string, unknown>).ipSecurityRestrictionsDefaultAction).toBeUndefined();
  });

  it("refuses inbound deny for an app with HTTP triggers, and gateway-only without restricted authentication", async () => {
    await evaluate(() => {
      const net = network();
      expect(() => new FunctionApp("a", args(undefined, { triggers: ["http"], network: { privateNetwork: net, inbound: "deny" } }))).toThrow(
        /network.inbound: "deny" refuses every request to the site, but the app has HTTP triggers; use "gateway-only"/,
      );
      expect(() => new FunctionApp("b", args(undefined, { triggers: ["http"], network: { privateNetwork: net, inbound: "gateway-only" } }))).toThrow(
        /network.inbound: "gateway-only" keeps the site public .* set authentication with allowedPrincipalIds/,
      );
      expect(
        () =>
          new FunctionApp(
            "c",
            args(undefined, {
              triggers: ["http"],
              network: { privateNetwork: net, inbound: "gateway-only" },
              authentication: { tenantId: "t", clientId: "c", allowedAudiences: ["api://x"], allowedPrincipalIds: [] },
            }),
          ),
      ).toThrow(/gateway-only/);
    });
  });
});
