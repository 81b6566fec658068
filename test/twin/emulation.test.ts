/**
 * The twin's emulation rules on their own (no processes): RBAC matching and scopes, the storage and
 * Cosmos operation → data action tables, Event Grid's schema gate and filters, the gateway's policy
 * scopes, the managed-identity contract, NCRONTAB.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateCertificate } from "../../engine/twin/emulators";
import { TelemetryIngestion } from "../../engine/twin/telemetry";
import { cosmosOperation } from "../../engine/twin/cosmos-proxy";
import { matches, parseForSchema, toDeliverySchema } from "../../engine/twin/event-grid";
import { effectiveSection, parsePolicy } from "../../engine/twin/gateway";
import { nextOccurrence } from "../../engine/twin/host/ncrontab";
import type { RoleAssignmentModel, SubscriptionModel, TopicModel } from "../../engine/twin/model";
import { Authorizer, actionMatches, scopeContains } from "../../engine/twin/rbac";
import { storageOperation } from "../../engine/twin/storage-proxy";
import { TokenIssuer, bearerOf } from "../../engine/twin/tokens";

const ACCOUNT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct";
const QUEUE = `${ACCOUNT}/queueServices/default/queues/order-status`;

const grant = (name: string, role: string, scope: string, principalId = "p1"): RoleAssignmentModel => ({ name, kind: "arm", principalId, roleDefinitionGuid: role, scope });
const SENDER = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a";
const CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";

describe("RBAC", () => {
  it("matches wildcards and contains scopes segment-wise", () => {
    expect(actionMatches("Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/*", "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read")).toBe(true);
    expect(actionMatches("Microsoft.Storage/storageAccounts/queueServices/queues/messages/read", "Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action")).toBe(false);
    expect(scopeContains(ACCOUNT, QUEUE)).toBe(true);
    expect(scopeContains(`${ACCOUNT}/queueServices/default/queues/order`, QUEUE)).toBe(false);
    expect(scopeContains(QUEUE, ACCOUNT)).toBe(false);
  });

  it("refuses with the identity, the action and the scope; records which grant allowed what", () => {
    const authorizer = new Authorizer([grant("send-status", SENDER, QUEUE)]);
    const send = authorizer.authorize({ principalId: "p1", principalLabel: "fulfillment", action: "Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action", resource: QUEUE, operation: "POST" });
    expect(send.grantedBy).toEqual(["send-status"]);
    const receive = authorizer.authorize({ principalId: "p1", principalLabel: "fulfillment", action: "Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action", resource: QUEUE, operation: "GET" });
    expect(receive.allowed).toBe(false);
    expect(receive.message).toContain("fulfillment");
    expect(receive.message).toContain("messages/process/action");
    expect(receive.message).toContain(QUEUE);
    expect(authorizer.unusedGrants()).toEqual([]);
    authorizer.revoke("send-status");
    expect(authorizer.authorize({ principalId: "p1", principalLabel: "f", action: "Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action", resource: QUEUE, operation: "POST" }).allowed).toBe(false);
  });

  it("lists the data actions a grant gave but nothing used", () => {
    const authorizer = new Authorizer([grant("process", CONTRIBUTOR, QUEUE)]);
    authorizer.authorize({ principalId: "p1", principalLabel: "x", action: "Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action", resource: QUEUE, operation: "GET" });
    expect(authorizer.unusedGrants()[0]?.unusedActions).toContain("Microsoft.Storage/storageAccounts/queueServices/queues/messages/write");
  });

  it("applies Azure's alternatives (Put Message: add/action or write) without recording a denial for the first", () => {
    const authorizer = new Authorizer([grant("poison", CONTRIBUTOR, QUEUE)]);
    const q = "Microsoft.Storage/storageAccounts/queueServices/queues/messages";
    const put = authorizer.authorizeAny({ principalId: "p1", principalLabel: "x", resource: QUEUE, operation: "POST" }, [[`${q}/add/action`], [`${q}/write`]]);
    expect(put.allowed).toBe(true);
    expect(authorizer.denials).toEqual([]);
    const none = authorizer.authorizeAny({ principalId: "p2", principalLabel: "other", resource: QUEUE, operation: "POST" }, [[`${q}/add/action`], [`${q}/write`]]);
    expect(none.message).toContain("add/action or");
    expect(authorizer.denials).toHaveLength(1);
  });

  it("refuses roles it does not emulate", () => {
    expect(() => new Authorizer([grant("custom", "12345678-0000-0000-0000-000000000000", QUEUE)])).toThrow(/not a built-in data role/);
  });
});

describe("data-plane operation tables", () => {
  it("maps queue REST operations to Azure's data actions", () => {
    const op = (m: string, u: string) => storageOperation("queue", m, new URL(`https://x${u}`));
    expect(op("POST", "/acct/q/messages")).toMatchObject({ anyOf: [["Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action"], ["Microsoft.Storage/storageAccounts/queueServices/queues/messages/write"]] });
    expect(op("GET", "/acct/q/messages?peekonly=true")).toMatchObject({ anyOf: [["Microsoft.Storage/storageAccounts/queueServices/queues/messages/read"]] });
    expect(op("DELETE", "/acct/q/messages/id1?popreceipt=x")).toMatchObject({ entity: "q" });
    expect(op("PUT", "/acct/q")).toHaveProperty("unsupported");
  });

  it("maps table REST operations to Azure's data actions (an upsert needs add and update, or write)", () => {
    const E = "Microsoft.Storage/storageAccounts/tableServices/tables/entities";
    const op = (m: string, u: string, h: Record<string, string> = {}) => storageOperation("table", m, new URL(`https://x${u}`), h);
    const row = "/acct/HubHistory(PartitionKey='i1',RowKey='0000000000000001')";
    expect(op("GET", "/acct/HubInstances()?$filter=x")).toMatchObject({ entity: "HubInstances", anyOf: [[`${E}/read`]] });
    expect(op("POST", "/acct/HubHistory")).toMatchObject({ anyOf: [[`${E}/write`], [`${E}/add/action`]] });
    expect(op("PUT", row)).toMatchObject({ entity: "HubHistory", anyOf: [[`${E}/write`], [`${E}/add/action`, `${E}/update/action`]] });
    expect(op("MERGE", row)).toMatchObject({ anyOf: [[`${E}/write`], [`${E}/add/action`, `${E}/update/action`]] });
    expect(op("POST", row, { "x-http-method": "MERGE", "if-match": "*" })).toMatchObject({ anyOf: [[`${E}/write`], [`${E}/update/action`]] });
    expect(op("PUT", row, { "if-match": "*" })).toMatchObject({ anyOf: [[`${E}/write`], [`${E}/update/action`]] });
    expect(op("DELETE", row)).toMatchObject({ anyOf: [[`${E}/delete`]] });
    expect(op("POST", "/acct/Tables")).toHaveProperty("unsupported");
    expect(op("POST", "/acct/$batch")).toHaveProperty("unsupported");
  });

  it("maps Cosmos REST operations, and refuses batch and patch", () => {
    expect(cosmosOperation("POST", "/dbs/d/colls/c/docs", { "x-ms-documentdb-isquery": "True" })).toMatchObject({ action: "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/executeQuery", scopePath: "/dbs/d/colls/c" });
    expect(cosmosOperation("POST", "/dbs/d/colls/c/docs", { "x-ms-documentdb-is-upsert": "true" })).toMatchObject({ action: "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/upsert" });
    expect(cosmosOperation("GET", "/dbs/d/colls/c/docs", { "a-im": "Incremental feed" })).toMatchObject({ changeFeed: true });
    expect(cosmosOperation("GET", "/", {})).toMatchObject({ action: "Microsoft.DocumentDB/databaseAccounts/readMetadata" });
    expect(cosmosOperation("POST", "/dbs/d/colls/c/docs", { "x-ms-cosmos-is-batch-request": "True" })).toHaveProperty("unsupported");
    expect(cosmosOperation("PATCH", "/dbs/d/colls/c/docs/1", {})).toHaveProperty("unsupported");
  });
});

describe("Event Grid", () => {
  const topic: TopicModel = { name: "t", resourceId: "/topics/t", endpoint: "https://t/api/events", inputSchema: "CloudEventSchemaV1_0", localAuthDisabled: true };
  const eventGridBody = JSON.stringify([{ id: "1", subject: "/s", eventType: "OrderStatusChanged", eventTime: new Date().toISOString(), dataVersion: "1", data: {} }]);
  const cloudBody = JSON.stringify([{ specversion: "1.0", id: "1", source: "/orders", type: "OrderStatusChanged", data: {} }]);

  it("a CloudEvents topic refuses EventGrid-schema events, naming the schema and the fix", () => {
    const result = parseForSchema(topic, "application/json; charset=utf-8", eventGridBody);
    expect(result).toHaveProperty("error");
    expect((result as { error: string }).error).toMatch(/accepts only CloudEventSchemaV1_0.*EventGrid schema.*"CloudEvent"/);
    expect(parseForSchema(topic, "application/cloudevents-batch+json; charset=utf-8", cloudBody)).toHaveProperty("events");
  });

  it("an EventGrid topic refuses CloudEvents", () => {
    expect(parseForSchema({ ...topic, inputSchema: "EventGridSchema" }, "application/json", cloudBody)).toHaveProperty("error");
  });

  it("filters by event type and subject, converts EventGrid → CloudEvents, never the reverse", () => {
    const sub = { name: "s", topic: "t", deliverySchema: "CloudEventSchemaV1_0", includedEventTypes: ["OrderStatusChanged"], subjectBeginsWith: "/customers/", destination: { account: "a", queue: "q" }, maxDeliveryAttempts: 30, eventTimeToLiveMinutes: 1440 } as SubscriptionModel;
    expect(matches(sub, { type: "OrderStatusChanged", subject: "/customers/1" })).toBe(true);
    expect(matches(sub, { type: "Other", subject: "/customers/1" })).toBe(false);
    expect(matches(sub, { type: "OrderStatusChanged", subject: "/products/1" })).toBe(false);
    expect(toDeliverySchema({ ...topic, inputSchema: "EventGridSchema" }, sub, { id: "1", eventType: "X", subject: "s", data: 1 })).toMatchObject({ specversion: "1.0", type: "X" });
    expect(() => toDeliverySchema(topic, { ...sub, deliverySchema: "EventGridSchema" }, {})).toThrow(/not possible/);
  });
});

describe("gateway policies", () => {
  it("joins product → API → operation at <base />", () => {
    const product = parsePolicy("<policies><inbound><base /><rate-limit calls=\"1\" renewal-period=\"60\" /></inbound></policies>");
    const api = parsePolicy("<policies><inbound><base /><set-backend-service base-url=\"https://a\" /></inbound></policies>");
    const op = parsePolicy("<policies><inbound><validate-jwt header-name=\"Authorization\" /><base /></inbound></policies>");
    expect(effectiveSection([product.inbound, api.inbound, op.inbound]).map((n) => n.name)).toEqual(["validate-jwt", "rate-limit", "set-backend-service"]);
  });
});

describe("tokens and the managed-identity contract", () => {
  it("verifies signature, issuer, audience and expiry; reads Cosmos' aad header form", () => {
    const issuer = new TokenIssuer("https://login.microsoftonline.com/t/v2.0", "t");
    const { token } = issuer.issue({ aud: "https://storage.azure.com", oid: "o" });
    expect(issuer.verify(token, ["https://storage.azure.com"]).claims.oid).toBe("o");
    expect(() => issuer.verify(token, ["https://cosmos.azure.com"])).toThrow(/audience/);
    expect(() => new TokenIssuer("https://other", "t").verify(token)).toThrow(/signature/);
    expect(() => issuer.verify(issuer.issue({ aud: "a", oid: "o", lifetimeSeconds: -10 }).token)).toThrow(/expired/);
    expect(bearerOf(encodeURIComponent(`type=aad&ver=1.0&sig=${token}`))).toBe(token);
  });
});

describe("timers", () => {
  it("computes the next NCRONTAB occurrence (six fields, UTC)", () => {
    expect(nextOccurrence("0 */1 * * * *", new Date("2026-01-01T00:00:30Z")).toISOString()).toBe("2026-01-01T00:01:00.000Z");
    expect(nextOccurrence("30 5 2 * * *", new Date("2026-01-01T03:00:00Z")).toISOString()).toBe("2026-01-02T02:05:30.000Z");
    expect(() => nextOccurrence("00:05:00", new Date())).toThrow(/six NCRONTAB fields/);
  });
});

describe("Application Insights ingestion (Entra-only, as disableLocalAuth)", () => {
  it("accepts telemetry only from a principal with Telemetry/Write on the component, refusing others with 403 naming identity, action and scope", async () => {
    const directory = mkdtempSync(join(tmpdir(), "twin-ingest-"));
    const issuer = new TokenIssuer("https://login.microsoftonline.com/t/v2.0", "t");
    const component = { name: "appi", resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/components/appi", instrumentationKey: "ikey-1" };
    const authorizer = new Authorizer([grant("publisher", "3913510d-42f4-4e42-8a64-420c390055eb", component.resourceId, "p-ok")]);
    const ingestion = new TelemetryIngestion({ components: [component], authorizer, issuer, certificate: generateCertificate(directory), labelOf: (p) => `${p}-label` });
    await ingestion.start();
    const certificate = readFileSync(join(directory, "cert.pem"));
    const post = (oid: string | undefined): Promise<{ status: number; text: string }> =>
      new Promise((resolve, reject) => {
        const url = new URL(`${ingestion.url}v2.1/track`);
        const r = httpsRequest(
          { host: url.hostname, port: url.port, path: url.pathname, method: "POST", ca: certificate, headers: oid ? { authorization: `Bearer ${issuer.issue({ aud: "https://monitor.azure.com/", oid }).token}` } : {} },
          (res) => {
            let text = "";
            res.on("data", (c: Buffer) => (text += c.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        r.on("error", reject);
        r.end(JSON.stringify({ name: "Microsoft.ApplicationInsights.Request", iKey: "ikey-1", data: {} }));
      });
    try {
      expect((await post("p-ok")).status).toBe(200);
      expect(ingestion.accepted).toEqual([{ sender: "p-ok-label", component: "appi", name: "Microsoft.ApplicationInsights.Request" }]);
      const refused = await post("p-other");
      expect(refused.status).toBe(403);
      expect(refused.text).toContain("p-other-label");
      expect(refused.text).toContain("Microsoft.Insights/Telemetry/Write");
      expect(refused.text).toContain(component.resourceId);
      expect((await post(undefined)).status).toBe(401);
    } finally {
      await ingestion.stop();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
