/**
 * Helpers shared by the services' tests: settings for the emulators, per-test databases and queues
 * (tests run in parallel against one emulator: every file uses its own names), invocation contexts
 * that record logs, and HTTP requests.
 */
import { randomUUID } from "node:crypto";
import { HttpRequest, InvocationContext } from "@azure/functions";
import type { QueueClient } from "@azure/storage-queue";
import { inject } from "vitest";
import { queueServiceClientFromSettings } from "../../../functions-src/shared/clients";
import type { Settings } from "../../../functions-src/shared/settings";

export interface LogEntry {
  readonly level: string;
  readonly text: string;
}

export interface TestContext {
  readonly context: InvocationContext;
  readonly logs: LogEntry[];
}

/** An invocation context whose log lines are kept (and not printed). */
export function testContext(
  init: { functionName?: string; triggerMetadata?: Record<string, unknown> } = {},
): TestContext {
  const logs: LogEntry[] = [];
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: init.functionName ?? "test",
    ...(init.triggerMetadata ? { triggerMetadata: init.triggerMetadata } : {}),
    logHandler: (level, ...args) => {
      logs.push({ level, text: args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ") });
    },
  });
  return { context, logs };
}

/** Lower-case, unique, valid as a queue, database or container name. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** The emulators' settings (local connection strings) plus the service's database and extras. */
export function emulatorSettings(extra: Record<string, string> = {}): Settings {
  return { ...inject("emulators").settings, ...extra };
}

export { createDatabase } from "./cosmos";

export async function createQueues(settings: Settings, ...names: string[]): Promise<QueueClient[]> {
  const service = queueServiceClientFromSettings(settings);
  return Promise.all(
    names.map(async (name) => {
      const queue = service.getQueueClient(name);
      await queue.createIfNotExists();
      return queue;
    }),
  );
}

/** Receives and deletes every message on the queue; returns their decoded texts (base64 → UTF-8). */
export async function drainTexts(queue: QueueClient): Promise<string[]> {
  const texts: string[] = [];
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
    if (receivedMessageItems.length === 0) return texts;
    for (const item of receivedMessageItems) {
      texts.push(Buffer.from(item.messageText, "base64").toString("utf8"));
      await queue.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}

/** Like {@link drainTexts}, parsing each message as JSON. */
export async function drainJson(queue: QueueClient): Promise<unknown[]> {
  return (await drainTexts(queue)).map((text) => JSON.parse(text) as unknown);
}

/** A caller as the gateway forwards it (shared/caller.ts): its `oid` and app roles. */
export interface TestCaller {
  readonly id: string;
  readonly roles: readonly string[];
}

/**
 * The caller of requests that name none: a back-office identity with every role of the test services,
 * so tests about other behaviour are not about authorization. Authorization tests pass their own
 * caller, or `null` for a request without the gateway's identity headers.
 */
export const BACK_OFFICE_CALLER: TestCaller = {
  id: "back-office-tests",
  roles: ["Orders.Read", "Orders.Write", "Orders.Support", "Catalog.Read", "Catalog.Write"],
};

/** The identity headers the gateway would set for `caller`. */
export function callerHeaders(caller: TestCaller): Record<string, string> {
  return { "x-caller-object-id": caller.id, "x-caller-roles": caller.roles.join(",") };
}

export interface RequestInit {
  readonly method: string;
  readonly path: string;
  readonly body?: string | Uint8Array | object;
  readonly headers?: Record<string, string>;
  readonly params?: Record<string, string>;
  readonly query?: Record<string, string>;
  /** @default BACK_OFFICE_CALLER; null: no identity headers */
  readonly caller?: TestCaller | null;
}

/** An HttpRequest as the host would build it (`http://localhost/api` + path). JSON bodies get the JSON type. */
export function request(init: RequestInit): HttpRequest {
  const caller = init.caller === undefined ? BACK_OFFICE_CALLER : init.caller;
  const headers: Record<string, string> = { ...(caller ? callerHeaders(caller) : {}), ...init.headers };
  let body: { string: string } | { bytes: Uint8Array } | undefined;
  if (typeof init.body === "string") body = { string: init.body };
  else if (init.body instanceof Uint8Array) body = { bytes: init.body };
  else if (init.body !== undefined) {
    body = { string: JSON.stringify(init.body) };
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
  }
  const url = new URL(`http://localhost/api${init.path}`);
  for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
  return new HttpRequest({
    method: init.method,
    url: url.toString(),
    headers,
    ...(body ? { body } : {}),
    ...(init.params ? { params: init.params } : {}),
    ...(init.query ? { query: init.query } : {}),
  });
}

/** The JSON body of a handler's response (the handlers always set a string body). */
export function responseJson(response: { body?: unknown }): Record<string, unknown> {
  if (typeof response.body !== "string") throw new Error(`expected a string body, got ${typeof response.body}`);
  return JSON.parse(response.body) as Record<string, unknown>;
}

export function header(response: { headers?: unknown }, name: string): string | undefined {
  const headers = (response.headers ?? {}) as Record<string, string>;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}
