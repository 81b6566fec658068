/**
 * Event Grid custom topics as the plan configures them:
 * - Publishing needs an Entra token for `https://eventgrid.azure.net` whose principal holds
 *   `Microsoft.EventGrid/topics/events/send/action` on the topic (EventGrid Data Sender); local auth
 *   (keys/SAS) is refused when the topic disables it.
 *   https://learn.microsoft.com/azure/event-grid/authenticate-with-microsoft-entra-id
 * - A topic accepts only its `inputSchema`: CloudEventSchemaV1_0 expects `application/cloudevents-batch+json`
 *   (or `application/cloudevents+json`) with `specversion` 1.0, `id`, `source`, `type`; EventGridSchema expects
 *   a JSON array of `{ id, subject, eventType, eventTime, data, dataVersion }`. Anything else is 400.
 *   https://learn.microsoft.com/azure/event-grid/cloud-event-schema , .../event-schema , .../input-mappings
 * - Subscriptions: `includedEventTypes`, `subjectBeginsWith`/`subjectEndsWith` (case-insensitive unless
 *   `isSubjectCaseSensitive`); delivery in `eventDeliverySchema` (EventGrid → CloudEvents conversion allowed,
 *   CloudEvents → EventGrid not); to a Storage queue as the subscription's delivery identity (its data-plane
 *   role is checked like any other caller), one event per message, base64-encoded JSON
 *   (MicrosoftDocs/azure-docs#102923: Event Grid now base64-encodes queue messages);
 *   retry with the documented schedule (10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, then hourly) up to
 *   `maxDeliveryAttempts` / `eventTimeToLiveInMinutes`, then dead-letter to the blob container as the
 *   dead-letter identity. https://learn.microsoft.com/azure/event-grid/delivery-and-retry ,
 *   https://learn.microsoft.com/azure/event-grid/manage-event-delivery
 * `timeScale` (< 1) shortens the retry schedule for tests; figures and defaults stay the documented ones.
 *
 * Not emulated (refused): event domains, namespaces, advanced filters, other destinations, batching to
 * webhooks, custom input schema mappings.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Certificate } from "./emulators";
import type { ManagedIdentity, SubscriptionModel, TopicModel, TwinModel } from "./model";
import type { Authorizer } from "./rbac";
import { bearerOf, type TokenIssuer } from "./tokens";

export const EVENT_GRID_AUDIENCES = ["https://eventgrid.azure.net", "https://eventgrid.azure.net/"];
/** Documented retry schedule (delivery-and-retry), in seconds; hourly afterwards. */
export const RETRY_SCHEDULE_SECONDS = [10, 30, 60, 300, 600, 1800, 3600];

type AnyEvent = Record<string, unknown>;

export interface DeliveryRecord {
  readonly subscription: string;
  readonly eventId: string;
  readonly attempts: number;
  readonly outcome: "delivered" | "dead-lettered" | "dropped";
  readonly lastError?: string;
}

export interface EventGridOptions {
  readonly model: TwinModel;
  readonly authorizer: Authorizer;
  readonly issuer: TokenIssuer;
  readonly certificate: Certificate;
  readonly labelOf: (principalId: string) => string;
  /** Sends one message text to a queue as an identity; resolves to the HTTP status and error text. */
  readonly sendToQueue: (identity: ManagedIdentity, account: string, queue: string, text: string, ttlSeconds?: number) => Promise<{ status: number; error?: string }>;
  readonly writeBlob: (identity: ManagedIdentity, account: string, container: string, name: string, body: string) => Promise<{ status: number; error?: string }>;
  readonly log: (message: string) => void;
  /** Multiplies retry delays (tests); 1 = the documented schedule. @default 1 */
  readonly timeScale?: number;
}

/** Checks the body against the topic's input schema; returns the events or a message naming the mismatch. */
export function parseForSchema(topic: TopicModel, contentType: string, body: string): { events: AnyEvent[] } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { error: "the request body is not JSON" };
  }
  const list = Array.isArray(parsed) ? (parsed as AnyEvent[]) : [parsed as AnyEvent];
  const looksEventGrid = list.some((e) => e && typeof e === "object" && "eventType" in e && "dataVersion" in e);
  const looksCloud = list.some((e) => e && typeof e === "object" && "specversion" in e);
  const ct = contentType.toLowerCase();
  if (topic.inputSchema === "CloudEventSchemaV1_0") {
    const ctOk = ct.startsWith("application/cloudevents-batch+json") || ct.startsWith("application/cloudevents+json");
    const bad = list.find((e) => !(e && e.specversion === "1.0" && e.id && e.source && e.type));
    if (!ctOk || bad || looksEventGrid) {
      const found = looksEventGrid ? "EventGrid schema (eventType, subject, dataVersion)" : `content-type "${contentType}"`;
      return {
        error:
          `topic ${topic.name} accepts only CloudEventSchemaV1_0 (its inputSchema), but the request is in ${found}. ` +
          `Publish CloudEvents (content-type application/cloudevents-batch+json; specversion, id, source, type), e.g. ` +
          `new EventGridPublisherClient(endpoint, "CloudEvent", credential), or change the topic's inputSchema.`,
      };
    }
    return { events: list };
  }
  if (topic.inputSchema === "EventGridSchema") {
    const bad = list.find((e) => !(e && e.id && e.subject && e.eventType && e.eventTime && e.dataVersion !== undefined));
    if (!Array.isArray(parsed) || bad || looksCloud) {
      return {
        error: `topic ${topic.name} accepts only EventGridSchema (its inputSchema): a JSON array of { id, subject, eventType, eventTime, data, dataVersion }` +
          (looksCloud ? "; the request holds CloudEvents (specversion): publish with the \"EventGrid\" schema or change the topic's inputSchema" : ""),
      };
    }
    return { events: list };
  }
  return { error: `topic ${topic.name}: input schema ${topic.inputSchema} is not emulated` };
}

function typeOf(event: AnyEvent): string {
  return String(event.type ?? event.eventType ?? "");
}

function subjectOf(event: AnyEvent): string {
  return String(event.subject ?? "");
}

export function matches(subscription: SubscriptionModel, event: AnyEvent): boolean {
  if (subscription.includedEventTypes && !subscription.includedEventTypes.some((t) => t.toLowerCase() === typeOf(event).toLowerCase())) return false;
  const subject = subjectOf(event).toLowerCase();
  if (subscription.subjectBeginsWith && !subject.startsWith(subscription.subjectBeginsWith.toLowerCase())) return false;
  if (subscription.subjectEndsWith && !subject.endsWith(subscription.subjectEndsWith.toLowerCase())) return false;
  return true;
}

/** Converts an event to the subscription's delivery schema (EventGrid → CloudEvents is what Event Grid offers). */
export function toDeliverySchema(topic: TopicModel, subscription: SubscriptionModel, event: AnyEvent): AnyEvent {
  if (subscription.deliverySchema === topic.inputSchema) return event;
  if (topic.inputSchema === "EventGridSchema" && subscription.deliverySchema === "CloudEventSchemaV1_0") {
    return {
      specversion: "1.0",
      id: event.id,
      source: topic.resourceId,
      subject: event.subject,
      type: event.eventType,
      time: event.eventTime,
      data: event.data,
      datacontenttype: "application/json",
    };
  }
  throw new Error(`subscription ${subscription.name}: delivering ${topic.inputSchema} events as ${subscription.deliverySchema} is not possible in Event Grid`);
}

/** The delay before attempt `attempt + 1` (documented schedule, hourly after the last step). */
export function retryDelayMs(attempt: number): number {
  return (RETRY_SCHEDULE_SECONDS[attempt - 1] ?? 3600) * 1000;
}

export class EventGridEmulator {
  #server?: Server;
  url = "";
  readonly deliveries: DeliveryRecord[] = [];
  readonly published: { topic: string; events: number }[] = [];
  readonly rejected: { topic: string; status: number; message: string }[] = [];
  /** Every delivery attempt (when, which, the outcome), to check the retry schedule. */
  readonly attempts: { readonly at: number; readonly subscription: string; readonly eventId: string; readonly attempt: number; readonly error?: string }[] = [];
  /** Multiplies the retry delays; tests may shorten it while a scenario runs. */
  timeScale: number;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: EventGridOptions) {
    this.timeScale = options.timeScale ?? 1;
  }

  async start(): Promise<void> {
    this.#server = createServer({ cert: this.options.certificate.cert, key: this.options.certificate.key }, (req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", () => resolve()));
    this.url = `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The local endpoint replacing a topic's `https://<topic>.<region>.eventgrid.azure.net/api/events`. */
  endpointFor(topic: TopicModel): string {
    return `${this.url}/${topic.name}/api/events`;
  }

  #reject(res: ServerResponse, topic: string, status: number, code: string, message: string): void {
    this.rejected.push({ topic, status, message });
    this.options.log(`topic ${topic}: refused ${status}: ${message}`);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { code, message } }));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const [name, api, events] = url.pathname.split("/").filter(Boolean);
    const topic = this.options.model.topics.find((t) => t.name === name);
    if (!topic || api !== "api" || events !== "events" || req.method !== "POST") {
      return this.#reject(res, name ?? "?", 404, "NotFound", `twin: no topic endpoint ${req.method} ${url.pathname}`);
    }
    let body = "";
    for await (const chunk of req) body += (chunk as Buffer).toString();
    if (req.headers["aeg-sas-key"] || req.headers["aeg-sas-token"]) {
      return this.#reject(res, topic.name, 401, "Unauthorized", `topic ${topic.name}: local authentication (access keys, SAS) is ${topic.localAuthDisabled ? "disabled on this topic" : "not emulated"}; use an Entra token`);
    }
    const token = bearerOf(req.headers.authorization);
    if (!token) return this.#reject(res, topic.name, 401, "Unauthorized", `topic ${topic.name}: no bearer token`);
    let oid: string;
    try {
      oid = this.options.issuer.verify(token, EVENT_GRID_AUDIENCES).claims.oid;
    } catch (error) {
      return this.#reject(res, topic.name, 401, "Unauthorized", `topic ${topic.name}: ${(error as Error).message}`);
    }
    const decision = this.options.authorizer.authorize({
      principalId: oid,
      principalLabel: this.options.labelOf(oid),
      action: "Microsoft.EventGrid/topics/events/send/action",
      resource: topic.resourceId,
      operation: `POST ${url.pathname}`,
    });
    if (!decision.allowed) return this.#reject(res, topic.name, 403, "Forbidden", decision.message);
    const parsed = parseForSchema(topic, String(req.headers["content-type"] ?? ""), body);
    if ("error" in parsed) return this.#reject(res, topic.name, 400, "BadRequest", parsed.error);
    this.published.push({ topic: topic.name, events: parsed.events.length });
    res.writeHead(200).end();
    for (const event of parsed.events) {
      for (const subscription of this.options.model.subscriptions.filter((s) => s.topic === topic.name)) {
        if (!matches(subscription, event)) continue;
        this.#deliver(topic, subscription, event, 1, Date.now());
      }
    }
  }

  #deliver(topic: TopicModel, subscription: SubscriptionModel, event: AnyEvent, attempt: number, firstAt: number): void {
    const identity = subscription.deliveryIdentity;
    const eventId = String(event.id);
    const run = async (): Promise<void> => {
      let error: string;
      if (!identity) error = `subscription ${subscription.name}: delivery without a managed identity (access keys) is not emulated`;
      else {
        const payload = toDeliverySchema(topic, subscription, event);
        const text = Buffer.from(JSON.stringify(payload), "utf8").toString("base64");
        const result = await this.options.sendToQueue(identity, subscription.destination.account, subscription.destination.queue, text, subscription.destination.ttlSeconds);
        this.attempts.push({ at: Date.now(), subscription: subscription.name, eventId, attempt, ...(result.status < 300 ? {} : { error: `HTTP ${result.status}` }) });
        if (result.status < 300) {
          this.deliveries.push({ subscription: subscription.name, eventId, attempts: attempt, outcome: "delivered" });
          return;
        }
        error = `HTTP ${result.status}: ${result.error ?? ""}`;
      }
      this.options.log(`subscription ${subscription.name}: delivery of ${eventId} attempt ${attempt} failed: ${error}`);
      const ttlExpired = Date.now() - firstAt > subscription.eventTimeToLiveMinutes * 60_000;
      if (attempt >= subscription.maxDeliveryAttempts || ttlExpired) return this.#deadLetter(subscription, event, attempt, error);
      const delay = retryDelayMs(attempt) * this.timeScale;
      const t = setTimeout(() => {
        this.#timers.delete(t);
        this.#deliver(topic, subscription, event, attempt + 1, firstAt);
      }, delay);
      t.unref();
      this.#timers.add(t);
    };
    void run();
  }

  async #deadLetter(subscription: SubscriptionModel, event: AnyEvent, attempts: number, lastError: string): Promise<void> {
    const eventId = String(event.id);
    const dl = subscription.deadLetter;
    if (!dl?.identity) {
      this.deliveries.push({ subscription: subscription.name, eventId, attempts, outcome: "dropped", lastError });
      this.options.log(`subscription ${subscription.name}: event ${eventId} dropped after ${attempts} attempts (no dead-letter destination)`);
      return;
    }
    const now = new Date();
    const name = `${subscription.topic}/${subscription.name}/${now.getUTCFullYear()}/${now.getUTCMonth() + 1}/${now.getUTCDate()}/${now.getUTCHours()}/${randomUUID()}.json`;
    const record = [{ ...event, deadLetterReason: "MaxDeliveryAttemptsExceeded", deliveryAttempts: attempts, lastDeliveryOutcome: lastError, publishTime: now.toISOString() }];
    const result = await this.options.writeBlob(dl.identity, dl.account, dl.container, name, JSON.stringify(record));
    this.deliveries.push({ subscription: subscription.name, eventId, attempts, outcome: result.status < 300 ? "dead-lettered" : "dropped", lastError });
    this.options.log(`subscription ${subscription.name}: event ${eventId} ${result.status < 300 ? `dead-lettered to ${dl.container}/${name}` : `could not be dead-lettered (${result.status} ${result.error ?? ""}) and is dropped`}`);
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    await new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
