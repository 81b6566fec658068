/**
 * The publisher and the topics speak one schema (issue 18 item 3): what the real SDK client puts on
 * the wire is read back, mapped to the ARM schema that accepts it, and compared with the `inputSchema`
 * every topic of the real plan declares. The published events are checked against what a CloudEvents
 * 1.0 topic accepts (the spec's required attributes and naming rules).
 */
import { ORDER_STATUS_CHANGED_DATA_VERSION } from "../../functions-src/shared/contracts/order-events";
import { createHttpHeaders, type HttpClient, type PipelineRequest } from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";
import * as z from "zod";
import { beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../engine/plan-format";
import { stackPlan } from "../helpers/stack-plans";
import { createEventGridPublisher } from "../../functions-src/shared/clients/eventgrid";
import { EVENT_SCHEMAS, PLATFORM_TOPIC_INPUT_SCHEMA, type TopicInputSchema } from "../../functions-src/shared/event-schema";
import { toEvent } from "../../functions-src/notifications/src/change-feed";

const credential: TokenCredential = { getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 3_600_000 }) };

/** Sends one batch through the real client and returns the request it would put on the wire. */
async function capturePublish(): Promise<{ contentType: string; body: unknown }> {
  let seen: PipelineRequest | undefined;
  const httpClient: HttpClient = {
    sendRequest: async (request) => {
      seen = request;
      return { status: 200, headers: createHttpHeaders(), request };
    },
  };
  const publisher = createEventGridPublisher("https://topic.eastus-1.eventgrid.azure.net/api/events", {}, { credential, httpClient });
  await publisher.send([
    toEvent({
      id: "ord-1",
      customerId: "cust-1",
      status: "reserved",
      previousStatus: "pending",
      statusVersion: 2,
      statusChangedAt: "2026-01-01T10:00:00.000Z",
    }),
  ]);
  if (!seen) throw new Error("nothing was sent");
  return { contentType: seen.headers.get("content-type") ?? "", body: JSON.parse(String(seen.body)) };
}

/** The ARM input schema whose wire format the client used. */
function schemaOfContentType(contentType: string): TopicInputSchema | undefined {
  const media = contentType.split(";")[0]!.trim().toLowerCase();
  return (Object.keys(EVENT_SCHEMAS) as TopicInputSchema[]).find((s) => EVENT_SCHEMAS[s].contentType === media);
}

// CloudEvents 1.0 (github.com/cloudevents/spec, spec.md "Required Attributes", "Attribute Naming
// Convention"): id, source, specversion "1.0" and type are required; attribute names are lowercase
// a-z and 0-9; time is RFC 3339. Event Grid's CloudEvents input refuses events without them
// (learn.microsoft.com/azure/event-grid/cloud-event-schema).
const cloudEvent = z
  .object({
    specversion: z.literal("1.0"),
    id: z.string().min(1),
    source: z.string().min(1),
    type: z.string().min(1),
    time: z.iso.datetime({ offset: true }).optional(),
    subject: z.string().optional(),
    datacontenttype: z.string().optional(),
    data: z.unknown(),
  })
  .catchall(z.unknown())
  .refine((e) => Object.keys(e).every((k) => /^[a-z0-9]{1,20}$/.test(k)), { error: "attribute names must be lowercase a-z0-9 (at most 20)" });

let dev: Plan;
beforeAll(async () => {
  dev = await stackPlan("dev");
}, 120_000);

describe("Event Grid: publisher schema = topic input schema", () => {
  it("the publisher sends the wire format of the platform's schema, and every topic of the plan declares exactly that schema", async () => {
    const { contentType } = await capturePublish();
    const sent = schemaOfContentType(contentType);
    expect(sent, `content type ${contentType}`).toBe(PLATFORM_TOPIC_INPUT_SCHEMA);
    const topics = dev.resources.filter((r) => r.type === "azure-native:eventgrid:Topic");
    expect(topics.length).toBeGreaterThan(0);
    for (const topic of topics) expect({ topic: topic.name, inputSchema: topic.inputs.inputSchema }).toEqual({ topic: topic.name, inputSchema: sent });
    // Subscriptions deliver in the envelope the publisher sent.
    for (const sub of dev.resources.filter((r) => r.type === "azure-native:eventgrid:TopicEventSubscription")) {
      expect(sub.inputs.eventDeliverySchema).toBe(sent);
    }
  });

  it("every published event is a CloudEvents 1.0 event a CloudEventSchemaV1_0 topic accepts", async () => {
    const { body } = await capturePublish();
    expect(Array.isArray(body)).toBe(true);
    for (const event of body as unknown[]) {
      const parsed = cloudEvent.safeParse(event);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
    expect((body as Record<string, unknown>[])[0]).toMatchObject({ type: "OrderStatusChanged", source: "/serverless-platform/orders", dataversion: ORDER_STATUS_CHANGED_DATA_VERSION });
  });
});
