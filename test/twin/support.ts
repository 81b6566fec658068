/**
 * Helpers for the twin's scenarios: calls through the gateway with user tokens, waiting on conditions
 * with a message that says what was last seen, and direct (admin) access to the emulators for set-up.
 */
import type { Twin } from "../../engine/twin";

/** The test customer: its id is the `oid` of the tokens `twin.userToken` issues by default (own orders only). */
export const CUSTOMER = "11111111-1111-1111-1111-111111111111";
/** Another customer (a different `oid`), for cross-customer requests. */
export const OTHER_CUSTOMER = "33333333-3333-3333-3333-333333333333";
export const SKU = "SKU-TWIN-1";

export interface GatewayResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly json: Record<string, unknown>;
  readonly text: string;
}

export async function callGateway(
  twin: Twin,
  method: string,
  path: string,
  options: { roles?: readonly string[]; body?: unknown; headers?: Record<string, string>; token?: string | null; oid?: string; api?: string } = {},
): Promise<GatewayResponse> {
  const headers: Record<string, string> = { "ocp-apim-subscription-key": twin.gateway!.subscriptionKey, ...options.headers };
  const token = options.token === undefined ? twin.userToken(options.api ?? "orders", options.roles ?? ["Orders.Read", "Orders.Write"], options.oid) : options.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${twin.gateway!.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    /* not JSON */
  }
  return { status: response.status, headers: response.headers, json, text };
}

let orderCounter = 0;

export async function createOrder(twin: Twin, quantity = 1, unitPriceMinor = 1250): Promise<GatewayResponse> {
  orderCounter++;
  return callGateway(twin, "POST", "/orders/v1/orders", {
    headers: { "idempotency-key": `twin-${Date.now()}-${orderCounter}` },
    body: {
      customerId: CUSTOMER,
      currency: "EUR",
      items: [{ sku: SKU, quantity, unitPriceMinor }],
      shippingAddress: { name: "Ada", line1: "Main St 1", city: "Utrecht", postalCode: "3511", country: "NL" },
    },
  });
}

export async function getOrder(twin: Twin, orderId: string): Promise<GatewayResponse> {
  return callGateway(twin, "GET", `/orders/v1/customers/${CUSTOMER}/orders/${orderId}`, { roles: ["Orders.Read"] });
}

/** Polls `probe` until it returns a value; fails with `describe()` (what was last seen) after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, describe: () => string, timeoutMs = 20_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Waits until the order's document has `status` (read directly: polling through the gateway would hit the
 * product's rate limit of 60 calls a minute, which the twin enforces), then reads it once through the API.
 */
export async function waitForStatus(twin: Twin, orderId: string, status: string, timeoutMs = 20_000): Promise<GatewayResponse> {
  let last: string | undefined;
  const client = twin.adminCosmos();
  const orders = client.database("orders-db").container("orders");
  await waitFor(
    async () => {
      last = (await orders.item(orderId, CUSTOMER).read<{ status?: string }>()).resource?.status;
      return last === status ? true : undefined;
    },
    () =>
      `order ${orderId} never reached "${status}" (last: ${String(last)}); ${diagnose(twin)}`,
    timeoutMs,
  ).finally(() => client.dispose());
  const viaApi = await getOrder(twin, orderId);
  if (viaApi.json.status !== status) throw new Error(`order ${orderId}: the document is "${status}" but GET through the gateway says HTTP ${viaApi.status} ${String(viaApi.json.status ?? viaApi.text)}`);
  return viaApi;
}

/** Seeds stock in fulfillment's container (as the twin, with the emulator's key: set-up, not a scenario step). */
export async function seedStock(twin: Twin, available = 10_000): Promise<void> {
  const client = twin.adminCosmos();
  await client.database("fulfillment-db").container("stock").items.upsert({ id: SKU, sku: SKU, available, reservations: {} });
  client.dispose();
}

/** The storage account that holds a queue in the plan. */
export function accountOfQueue(twin: Twin, queue: string): string {
  const q = twin.model.queues.find((x) => x.name === queue);
  if (!q) throw new Error(`no queue ${queue} in the plan`);
  return q.account;
}

/** Puts a raw message text on a queue directly in Azurite (as the twin: a malformed sender). */
export async function putRaw(twin: Twin, queue: string, text: string): Promise<void> {
  const url = twin.storage!.adminUrl("queue", `/${accountOfQueue(twin, queue)}/${queue}/messages`);
  const r = await fetch(url, { method: "POST", body: `<QueueMessage><MessageText>${text}</MessageText></QueueMessage>` });
  if (r.status >= 300) throw new Error(`putRaw ${queue}: HTTP ${r.status}`);
}

/** Message texts on a queue, without dequeuing them. */
export async function peek(twin: Twin, queue: string): Promise<string[]> {
  const url = twin.storage!.adminUrl("queue", `/${accountOfQueue(twin, queue)}/${queue}/messages?peekonly=true&numofmessages=32`);
  const xml = await (await fetch(url)).text();
  return [...xml.matchAll(/<MessageText>([^<]*)<\/MessageText>/g)].map((m) => Buffer.from(m[1]!, "base64").toString("utf8"));
}

/**
 * What the twin saw going wrong lately, for a scenario's failure message: the apps' errors, Event Grid's
 * refusals and failed deliveries, and the data planes' 403s. A broken contract shows up here by its cause.
 */
export function diagnose(twin: Twin, perSource = 2): string {
  const bySource = new Map<string, string[]>();
  for (const l of twin.logs) if (/ERROR|WARN/.test(l.line)) bySource.set(l.source, [...(bySource.get(l.source) ?? []), l.line].slice(-perSource));
  const errors = [...bySource].flatMap(([source, lines]) => lines.map((line) => `${source}: ${line}`));
  const refused = (twin.eventGrid?.rejected ?? []).slice(-2).map((r) => `Event Grid ${r.status}: ${r.message}`);
  const failed = (twin.eventGrid?.deliveries ?? []).filter((d) => d.outcome !== "delivered").slice(-2).map((d) => `Event Grid ${d.outcome} ${d.eventId}: ${d.lastError ?? ""}`);
  const denials = twin.authorizer.denials.slice(-2).map((d) => d.message);
  return [`errors: ${errors.join(" | ") || "none"}`, `event grid: ${[...refused, ...failed].join(" | ") || "nothing refused"}`, `denials: ${denials.join(" | ") || "none"}`].join("; ");
}

/**
 * For a broken contract: the scenario (`succeeded`) must not succeed, and its failure message (`describe`,
 * built from diagnose) must point at `cause`. Returns that message as soon as it does; throws if the
 * scenario succeeds, or with the message when it never names the cause.
 */
export async function expectFailureNaming(succeeded: () => boolean | Promise<boolean>, describe: () => string, cause: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await succeeded()) throw new Error(`the scenario succeeded although the contract is broken: ${describe()}`);
    const message = describe();
    if (cause.test(message)) return message;
    if (Date.now() > deadline) throw new Error(`the scenario failed without naming the cause ${cause}: ${message}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Publishes one event to the plan's first topic as its publisher (the identity holding EventGrid Data Sender on it). */
export async function publishOrderEvent(twin: Twin, type = "OrderStatusChanged"): Promise<string> {
  const topic = twin.model.topics[0]!;
  const publisher = twin.model.roleAssignments.find((a) => a.roleDefinitionGuid === "d5a91429-5739-47e2-a06b-3470a27159e7" && topic.resourceId.toLowerCase().startsWith(a.scope.toLowerCase()));
  if (!publisher) throw new Error(`no EventGrid Data Sender on ${topic.name} in the plan`);
  const id = `published-${Date.now()}`;
  const token = twin.identityEndpoint.tokenFor({ principalId: publisher.principalId }, "https://eventgrid.azure.net");
  const r = await twin.call(twin.eventGrid!.endpointFor(topic), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/cloudevents-batch+json; charset=utf-8" },
    body: JSON.stringify([{ specversion: "1.0", id, source: "/twin/test", type, subject: "/test", data: {} }]),
  });
  if (r.status !== 200) throw new Error(`publishing to ${topic.name}: HTTP ${r.status} ${r.text}`);
  return id;
}
