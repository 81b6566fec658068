/**
 * Send-only queue clients (shared/clients/deferred-queues.ts): the deps of a queue-triggered function
 * are built without loading the Storage SDK, which loads on the first send (a dead-letter, a refusal
 * report), while the settings are still read, and refused, when the deps are built. Run in a fresh
 * process, so "not loaded" is about that process's module cache, not this test runner's.
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deferredQueueSenders } from "../../functions-src/shared/clients/deferred-queues";
import { AZURITE_ACCOUNT, AZURITE_KEY, COSMOS_EMULATOR_KEY } from "./support/emulators";

const ROOT = path.resolve(__dirname, "..", "..");
let server: Server;
let queueEndpoint = "";
const requests: { method: string; url: string; body: string }[] = [];

beforeAll(async () => {
  // Answers a Put Message as the Queue service does (201 and the message's receipt).
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", body });
      const date = new Date().toUTCString();
      res.writeHead(201, { "content-type": "application/xml", "x-ms-request-id": "r-1", "x-ms-version": "2025-01-05", date }).end(
        `<?xml version="1.0" encoding="utf-8"?><QueueMessagesList><QueueMessage><MessageId>m-1</MessageId><InsertionTime>${date}</InsertionTime>` +
          `<ExpirationTime>${date}</ExpirationTime><PopReceipt>p-1</PopReceipt><TimeNextVisible>${date}</TimeNextVisible></QueueMessage></QueueMessagesList>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  queueEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${AZURITE_ACCOUNT}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// Builds the queue-sending apps' deps as their entries do on a first message (fulfillment's starter,
// notifications, orders: its HTTP API and its status reports), then dead-letters once.
const SCRIPT = `
const loaded = () => Object.keys(require.cache).some((k) => k.includes("@azure/storage-queue"));
const settings = JSON.parse(process.env.SETTINGS);
const { starterDeps } = require("./functions-src/fulfillment/src/starter-deps");
const { deliveryDeps } = require("./functions-src/notifications/src/deps");
const { ordersDeps } = require("./functions-src/orders/src/deps");
const starter = starterDeps(settings);
const delivery = deliveryDeps(settings);
const orders = ordersDeps(settings);
const before = loaded();
delivery.poison.sendMessage("aGVsbG8=").then((sent) => {
  process.stdout.write(JSON.stringify({ before, names: [starter.poison.name, starter.statusQueue.name, delivery.poison.name, orders.fulfillmentQueue.name, orders.statusPoison.name], sent: sent.messageId }));
}, (error) => { process.stdout.write(JSON.stringify({ error: String(error) })); });
`;

describe("send-only queue clients", () => {
  it("leave the Storage SDK unloaded when the queue-sending apps' deps are built, and send through it on the first message sent", async () => {
    const settings = {
      QUEUES: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};QueueEndpoint=${queueEndpoint};`,
      COSMOS: `AccountEndpoint=https://127.0.0.1:8081/;AccountKey=${COSMOS_EMULATOR_KEY};`,
      NOTIFICATION_WEBHOOK_URL: "https://hooks.example.com/orders",
    };
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "-e", SCRIPT], {
      cwd: ROOT,
      env: { ...process.env, SETTINGS: JSON.stringify(settings) },
    });
    expect(JSON.parse(stdout)).toEqual({ before: false, names: ["order-fulfillment-poison", "order-status", "order-notifications-poison", "order-fulfillment", "order-status-poison"], sent: "m-1" });
    expect(requests).toEqual([expect.objectContaining({ method: "POST", url: expect.stringMatching(new RegExp(`^/${AZURITE_ACCOUNT}/order-notifications-poison/messages(\\?|$)`)) })]);
    expect(requests[0]!.body).toContain("<MessageText>aGVsbG8=</MessageText>");
  });

  it("reads the queue settings when the deps are built: a missing one fails there, not at the first dead-letter", () => {
    expect(() => deferredQueueSenders({})).toThrow(/no queue connection: set QUEUES__queueServiceUri/);
  });
});
