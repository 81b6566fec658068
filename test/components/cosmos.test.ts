import { describe, expect, it } from "vitest";
import { CosmosDb, type CosmosDbArgs } from "../../components/cosmos";
import { LOCK_NOTES } from "../../components/core/protection";
import { deterministicGuid } from "../../components/core/roles";
import { Simulator } from "../../engine/simulator";
import type { Plan } from "../../engine/plan-format";
import { evaluate, ofType, one } from "../helpers/plan";

const names = { prefix: "test", environment: "dev" };
const base = (over: Partial<CosmosDbArgs> = {}): CosmosDbArgs => ({
  names,
  resourceGroupName: "rg",
  location: "eastus",
  tags: { owner: "team" },
  protect: false,
  databases: [
    {
      service: "orders",
      databaseName: "orders-db",
      containers: [
        { name: "orders", partitionKeyPaths: ["/customerId"], defaultTtlSeconds: -1, uniqueKeys: [["/orderNumber"]] },
        { name: "events", partitionKeyPaths: ["/tenantId", "/orderId"], excludedIndexPaths: ["/payload/*"] },
      ],
      changeFeedConsumers: [{ consumer: "notify", container: "orders", leaseContainer: "orders-leases-notify" }],
    },
  ],
  ...over,
});

const ACCOUNT = "azure-native:cosmosdb:DatabaseAccount";
const DB = "azure-native:cosmosdb:SqlResourceSqlDatabase";
const CONTAINER = "azure-native:cosmosdb:SqlResourceSqlContainer";
const ASSIGNMENT = "azure-native:cosmosdb:SqlResourceSqlRoleAssignment";
const LOCK = "azure-native:authorization:ManagementLockByScope";
const DIAG = "azure-native:monitor:DiagnosticSetting";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PRINCIPAL = "11111111-2222-3333-4444-555555555555";

/** The ARM id the simulated provider gives the account (the plan records outputs, not ids). */
const SUB = new Simulator({ stack: "test" }).subscriptionId;
const accountId = (plan: Plan): string =>
  `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/${one(plan, ACCOUNT).outputs.name as string}`;

describe("CosmosDb", () => {
  it("creates a serverless, Entra-only account with continuous backup and no protection by default", async () => {
    const plan = await evaluate(() => {
      new CosmosDb("cosmos", base());
    });
    const account = one(plan, ACCOUNT);
    expect(account.inputs).toEqual({
      accountName: expect.stringMatching(/^test-cosmos-d-[a-z0-9]{5}$/),
      resourceGroupName: "rg",
      location: "eastus",
      tags: { owner: "team" },
      kind: "GlobalDocumentDB",
      databaseAccountOfferType: "Standard",
      capabilities: [{ name: "EnableServerless" }],
      locations: [{ locationName: "eastus", failoverPriority: 0, isZoneRedundant: false }],
      consistencyPolicy: { defaultConsistencyLevel: "Session" },
      disableLocalAuth: true,
      disableKeyBasedMetadataWriteAccess: true,
      minimalTlsVersion: "Tls12",
      publicNetworkAccess: "Enabled",
      backupPolicy: { type: "Continuous", continuousModeProperties: { tier: "Continuous7Days" } },
      enableFreeTier: false,
      createMode: "Default", // the SDK's default
    });
    expect(account.parent).toMatch(/serverless-platform:cosmosdb:CosmosDb::cosmos$/);
    expect(account.options).toEqual({ protect: false, retainOnDelete: false });
    expect(ofType(plan, LOCK)).toHaveLength(0);
    expect(ofType(plan, DIAG)).toHaveLength(0);
    // Serverless databases take no throughput.
    expect(one(plan, DB).inputs).toEqual({ accountName: account.outputs.name, resourceGroupName: "rg", databaseName: "orders-db", resource: { id: "orders-db" }, tags: { owner: "team" } });
  });

  it("declares containers with partition keys (MultiHash v2 for several paths), indexing, TTL, unique keys and lease containers", async () => {
    const plan = await evaluate(() => {
      new CosmosDb("cosmos", base());
    });
    const containers = ofType(plan, CONTAINER);
    expect(containers.map((c) => c.name).sort()).toEqual(["cosmos-orders-events", "cosmos-orders-orders", "cosmos-orders-orders-leases-notify"]);
    const byName = (n: string) => one(plan, CONTAINER, n).inputs;
    expect(byName("cosmos-orders-orders")).toMatchObject({
      databaseName: "orders-db",
      containerName: "orders",
      resource: {
        id: "orders",
        partitionKey: { paths: ["/customerId"], kind: "Hash" },
        indexingPolicy: { indexingMode: "consistent", automatic: true, includedPaths: [{ path: "/*" }], excludedPaths: [{ path: '/"_etag"/?' }] },
        defaultTtl: -1,
        uniqueKeyPolicy: { uniqueKeys: [{ paths: ["/orderNumber"] }] },
      },
    });
    expect(byName("cosmos-orders-events").resource).toEqual({
      id: "events",
      partitionKey: { paths: ["/tenantId", "/orderId"], kind: "MultiHash", version: 2 },
      indexingPolicy: { indexingMode: "consistent", automatic: true, includedPaths: [{ path: "/*" }], excludedPaths: [{ path: "/payload/*" }] },
    });
    expect(byName("cosmos-orders-orders-leases-notify").resource).toEqual({
      id: "orders-leases-notify",
      partitionKey: { paths: ["/id"], kind: "Hash" },
    });
  });

  it("puts autoscale throughput on each database when capacityMode is autoscale, with zone redundancy and the 30-day tier", async () => {
    const plan = await evaluate(() => {
      new CosmosDb("cosmos", base({ capacityMode: "autoscale", autoscaleMaxThroughput: 4000, zoneRedundant: true, backupTier: "Continuous30Days", publicNetworkAccess: "Disabled" }));
    });
    const account = one(plan, ACCOUNT).inputs;
    expect(account.capabilities).toEqual([]);
    expect(account.locations).toEqual([{ locationName: "eastus", failoverPriority: 0, isZoneRedundant: true }]);
    expect(account.backupPolicy).toEqual({ type: "Continuous", continuousModeProperties: { tier: "Continuous30Days" } });
    expect(account.publicNetworkAccess).toBe("Disabled");
    expect(one(plan, DB).inputs.options).toEqual({ autoscaleSettings: { maxThroughput: 4000 } });
  });

  it("grants data roles at database and container scope with deterministic GUID names", async () => {
    const run = () =>
      evaluate(() => {
        const db = new CosmosDb("cosmos", base());
        db.grantDataContributor({ name: "orders", principalId: PRINCIPAL }, { service: "orders", container: "orders" });
        db.grantDataReader({ name: "reports", principalId: PRINCIPAL }, { service: "orders" });
        return { endpoint: db.connection().accountEndpoint };
      });
    const plan = await run();
    const id = accountId(plan);
    const contributor = one(plan, ASSIGNMENT, "cosmos-orders-data-contributor-orders-orders");
    const scopeC = `${id}/dbs/orders-db/colls/orders`;
    expect(contributor.inputs).toEqual({
      accountName: one(plan, ACCOUNT).outputs.name,
      resourceGroupName: "rg",
      principalId: PRINCIPAL,
      scope: scopeC,
      roleDefinitionId: `${id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002`,
      roleAssignmentId: deterministicGuid(scopeC.toLowerCase(), PRINCIPAL, "00000000-0000-0000-0000-000000000002"),
    });
    expect(contributor.inputs.roleAssignmentId).toMatch(GUID);
    // It waits for the container it is scoped to.
    expect(contributor.dependencies).toContain(one(plan, CONTAINER, "cosmos-orders-orders").urn);

    const reader = one(plan, ASSIGNMENT, "cosmos-reports-data-reader-orders");
    expect(reader.inputs).toMatchObject({
      principalId: PRINCIPAL,
      scope: `${id}/dbs/orders-db`,
      roleDefinitionId: `${id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000001`,
    });
    expect(plan.outputs.endpoint).toBe(one(plan, ACCOUNT).outputs.documentEndpoint);

    // Same inputs → same names.
    const again = await run();
    expect(ofType(again, ASSIGNMENT).map((a) => a.inputs.roleAssignmentId)).toEqual(ofType(plan, ASSIGNMENT).map((a) => a.inputs.roleAssignmentId));
  });

  it("grants the change feed Reader on the watched container (not its database) and Contributor on the consumer's lease container only", async () => {
    const plan = await evaluate(() => {
      const db = new CosmosDb("cosmos", base());
      const g = { name: "notify", principalId: PRINCIPAL };
      db.grantChangeFeed(g, { service: "orders", container: "orders", consumer: "notify" });
      // Asking again for the same scope does not duplicate the grant.
      db.grantDataReader(g, { service: "orders", container: "orders" });
    });
    const id = accountId(plan);
    const assignments = ofType(plan, ASSIGNMENT);
    expect(assignments.map((a) => [a.inputs.scope, a.inputs.roleDefinitionId]).sort()).toEqual([
      [`${id}/dbs/orders-db/colls/orders`, `${id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000001`],
      [`${id}/dbs/orders-db/colls/orders-leases-notify`, `${id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002`],
    ]);
  });

  it("creates the account's data-plane grants one after another, each with a bounded wait (Cosmos answers parallel ones with 412)", async () => {
    const plan = await evaluate(() => {
      const db = new CosmosDb("cosmos", base());
      db.grantDataContributor({ name: "a", principalId: PRINCIPAL }, { service: "orders", container: "orders" });
      db.grantChangeFeed({ name: "b", principalId: "p-b" }, { service: "orders", container: "orders", consumer: "notify" });
      db.grantDataReader({ name: "c", principalId: "p-c" }, { service: "orders", container: "orders" });
    });
    const assignments = ofType(plan, ASSIGNMENT);
    expect(assignments).toHaveLength(4);
    for (let i = 1; i < assignments.length; i++) expect(assignments[i]!.dependencies).toContain(assignments[i - 1]!.urn);
    expect(assignments[0]!.dependencies.some((u) => assignments.some((a) => a.urn === u))).toBe(false);
    for (const a of assignments) expect(a.options.customTimeouts).toEqual({ create: "15m", update: "15m", delete: "15m" });
  });

  it("sends all logs and metrics to the workspace when given", async () => {
    const ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law";
    const plan = await evaluate(() => {
      new CosmosDb("cosmos", base({ workspaceId: ws }));
    });
    const diag = one(plan, DIAG);
    expect(diag.inputs).toMatchObject({
      resourceUri: accountId(plan),
      workspaceId: ws,
      logs: [{ categoryGroup: "allLogs", enabled: true }],
      metrics: [{ category: "AllMetrics", enabled: true }],
    });
    expect(diag.propertyDependencies.resourceUri).toEqual([one(plan, ACCOUNT).urn]);
  });

  it("protects the account and locks it against deletion when protect is on", async () => {
    const plan = await evaluate(() => {
      new CosmosDb("cosmos", base({ protect: true }));
    });
    const account = one(plan, ACCOUNT);
    expect(account.options).toEqual({ protect: true, retainOnDelete: true });
    expect(one(plan, LOCK).inputs).toEqual({ scope: accountId(plan), level: "CanNotDelete", lockName: "protect-data", notes: LOCK_NOTES });
    expect(one(plan, LOCK).propertyDependencies.scope).toEqual([account.urn]);
    // Only the account carries the Pulumi protection; children go with it.
    expect(ofType(plan, CONTAINER).every((c) => !c.options.protect)).toBe(true);
  });

  it.each<[string, Partial<CosmosDbArgs>, RegExp]>([
    ["autoscale without max throughput", { capacityMode: "autoscale" }, /autoscaleMaxThroughput is required when capacityMode is "autoscale"/],
    ["max throughput on serverless", { autoscaleMaxThroughput: 4000 }, /applies only to capacityMode "autoscale"/],
    ["throughput not a multiple of 1000", { capacityMode: "autoscale", autoscaleMaxThroughput: 1500 }, /multiple of 1000/],
    ["zone-redundant serverless", { zoneRedundant: true }, /serverless accounts cannot be zone redundant/],
    ["a service twice", { databases: [{ service: "a", containers: [] }, { service: "a", containers: [] }] }, /service "a" is declared twice/],
    ["a container twice", { databases: [{ service: "a", containers: [{ name: "c", partitionKeyPaths: ["/id"] }, { name: "c", partitionKeyPaths: ["/id"] }] }] }, /container "c" is declared twice/],
    ["four partition key paths", { databases: [{ service: "a", containers: [{ name: "c", partitionKeyPaths: ["/a", "/b", "/c", "/d"] }] }] }, /1 to 3 partition key paths/],
    ["a partition key without /", { databases: [{ service: "a", containers: [{ name: "c", partitionKeyPaths: ["id"] }] }] }, /partition key path "id" must be a path starting with "\/"/],
    ["a TTL of 0", { databases: [{ service: "a", containers: [{ name: "c", partitionKeyPaths: ["/id"], defaultTtlSeconds: 0 }] }] }, /defaultTtlSeconds must be -1/],
    ["a consumer of an unknown container", { databases: [{ service: "a", containers: [], changeFeedConsumers: [{ consumer: "b", container: "x", leaseContainer: "x-leases-b" }] }] }, /watches "x", which is not a container/],
  ])("refuses %s", (_what, over, message) => {
    expect(() => new CosmosDb("cosmos", base(over))).toThrow(message);
  });

  it("refuses grants on a database or container it does not hold", async () => {
    await evaluate(() => {
      const db = new CosmosDb("cosmos", base());
      expect(() => db.grantDataReader({ name: "x", principalId: PRINCIPAL }, { service: "billing" })).toThrow(/database for service "billing": it is not declared/);
      expect(() => db.grantDataContributor({ name: "x", principalId: PRINCIPAL }, { service: "orders", container: "nope" })).toThrow(/container "nope" of service "orders"/);
      expect(() => db.grantChangeFeed({ name: "x", principalId: PRINCIPAL }, { service: "orders", container: "events", consumer: "x" })).toThrow(/no lease container for consumer "x" of "events" in orders-db/);
    });
  });
});
