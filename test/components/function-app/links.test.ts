/**
 * Links: one object per declared use, from the resource used — settings (or an identity-based
 * connection) and the grant at the narrowest scope — that `FunctionApp` writes and grants.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { FunctionApp, type FunctionAppArgs } from "../../../components/function-app";
import { CosmosDb } from "../../../components/cosmos";
import { Messaging } from "../../../components/messaging";
import { EventTopic } from "../../../components/event-grid";
import { KeyVault } from "../../../components/key-vault";
import { mergeLinks, settingsLink, type Link } from "../../../components/core/link";
import type { Plan } from "../../../engine/plan-format";
import { evaluate, ofType, one } from "../../helpers/plan";

const names = { prefix: "test", environment: "dev" };
const common = { names, resourceGroupName: "rg", location: "eastus", tags: { owner: "team" } };

function appArgs(links: Link[], over: Partial<FunctionAppArgs> = {}): FunctionAppArgs {
  return {
    ...common,
    service: { name: "hello", directory: "test/fixtures/services/hello", entry: "src/index.ts" },
    triggers: ["http"],
    sizing: { instanceMemoryMB: 2048, maximumInstanceCount: 100, alwaysReady: [] },
    deploy: false,
    links,
    ...over,
  };
}

function resources() {
  const cosmos = new CosmosDb("data", {
    ...common,
    protect: false,
    databases: [
      {
        service: "orders",
        databaseName: "orders-db",
        containers: [{ name: "orders", partitionKeyPaths: ["/id"] }],
        changeFeedConsumers: [{ consumer: "hello", container: "orders", leaseContainer: "orders-leases-hello" }],
      },
    ],
  });
  const messaging = new Messaging("messaging", { ...common, protect: false, queues: [{ name: "work" }] });
  const topic = new EventTopic("events", { ...common });
  const vault = new KeyVault("secrets", { ...common, protect: false });
  vault.setSecret("webhook", pulumi.secret("value"));
  return { cosmos, messaging, topic, vault };
}

function settingsOf(plan: Plan): Record<string, unknown> {
  const app = one(plan, "azure-native:web:WebApp").inputs;
  const list = (app.siteConfig as { appSettings: { name: string; value: unknown }[] }).appSettings;
  return Object.fromEntries(list.map((s) => [s.name, s.value]));
}

describe("FunctionApp links", () => {
  it("writes each link's connection and settings, and grants each use at its own scope to the app's identity", async () => {
    const plan = await evaluate(() => {
      const r = resources();
      new FunctionApp(
        "hello",
        appArgs([
          r.cosmos.link({ service: "orders", container: "orders", access: "changeFeed", consumer: "hello" }, "COSMOS"),
          r.messaging.link("work", "send", "QUEUES"),
          r.topic.publishLink("TOPIC_EVENTS_ENDPOINT"),
          r.vault.secretLink("webhook", "SECRET_WEBHOOK"),
          settingsLink("a back end", { BACKEND_X_URL: "https://x.example.com" }),
        ]),
      );
    });
    const settings = settingsOf(plan);
    const identity = one(plan, "azure-native:managedidentity:UserAssignedIdentity", "hello-identity").outputs;
    expect(settings.COSMOS__accountEndpoint).toBe(one(plan, "azure-native:cosmosdb:DatabaseAccount").outputs.documentEndpoint);
    expect(settings.COSMOS__credential).toBe("managedidentity");
    expect(settings.COSMOS__clientId).toBe(identity.clientId);
    expect(settings.QUEUES__queueServiceUri).toBeDefined();
    expect(settings.TOPIC_EVENTS_ENDPOINT).toBe(one(plan, "azure-native:eventgrid:Topic").outputs.endpoint);
    expect(settings.SECRET_WEBHOOK).toMatch(/^@Microsoft\.KeyVault\(SecretUri=.*\/secrets\/webhook\)$/);
    expect(settings.BACKEND_X_URL).toBe("https://x.example.com");

    // The change-feed rule: reader on the watched container, contributor on the consumer's lease container.
    const sql = ofType(plan, "azure-native:cosmosdb:SqlResourceSqlRoleAssignment").map((a) => ({ scope: String(a.inputs.scope), principal: a.inputs.principalId, role: String(a.inputs.roleDefinitionId).slice(-1) }));
    expect(sql.map((a) => [a.scope.replace(/^.*\/dbs\//, ""), a.role])).toEqual([
      ["orders-db/colls/orders", "1"],
      ["orders-db/colls/orders-leases-hello", "2"],
    ]);
    expect(new Set(sql.map((a) => a.principal))).toEqual(new Set([identity.principalId]));

    const arm = ofType(plan, "azure-native:authorization:RoleAssignment").filter((a) => a.inputs.principalId === identity.principalId);
    const scopes = arm.map((a) => String(a.inputs.scope));
    // Host storage (its own), then one grant per link, each on exactly the resource the use touches.
    expect(scopes.slice(1).map((s) => s.replace(/^.*\/providers\//, ""))).toEqual([
      "Microsoft.EventGrid/topics/test-events-d",
      expect.stringMatching(/^Microsoft\.KeyVault\/vaults\/[^/]+\/secrets\/webhook$/),
      expect.stringMatching(/^Microsoft\.Storage\/storageAccounts\/[^/]+\/queueServices\/default\/queues\/work$/),
    ]);
  });

  it("gives a change-feed consumer that keeps its own leases only the read on the watched container", async () => {
    const plan = await evaluate(() => {
      const r = resources();
      new FunctionApp("hello", appArgs([r.cosmos.link({ service: "orders", container: "orders", access: "changeFeed", consumer: "hello", ownLeases: true }, "COSMOS")]));
    });
    const sql = ofType(plan, "azure-native:cosmosdb:SqlResourceSqlRoleAssignment");
    expect(sql.map((a) => String(a.inputs.scope).replace(/^.*\/dbs\//, ""))).toEqual(["orders-db/colls/orders"]);
    expect(String(sql[0]!.inputs.roleDefinitionId)).toMatch(/0001$/);
  });

  it("refuses a setting two links set, and a link's setting repeated in settings", () => {
    const a = settingsLink("a", { X_URL: "https://a" });
    const b = settingsLink("b", { x_url: "https://b" });
    expect(() => mergeLinks("FunctionApp \"hello\"", [a, b])).toThrow(/links a and b both set the app setting x_url/);
    expect(() => new FunctionApp("hello", appArgs([a], { settings: { X_URL: "https://c" } }))).toThrow(/settings\.X_URL is also set by a link/);
  });

  it("refuses a link to a queue or container the resource does not hold, naming it", () => {
    return evaluate(() => {
      const r = resources();
      expect(() => r.messaging.link("nope", "send", "QUEUES")).toThrow(/no queue "nope" here/);
      expect(() => r.cosmos.link({ service: "orders", container: "nope", access: "read" }, "COSMOS")).toThrow(/container "nope" of service "orders"/);
      expect(() => r.cosmos.link({ service: "orders", container: "orders", access: "changeFeed" }, "COSMOS")).toThrow(/needs the consumer's name/);
    });
  });
});
