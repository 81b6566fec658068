/**
 * The Functions host for one app, run in its own process (`node --import tsx worker.ts`): loads the
 * bundle OneDeploy would publish (its `index.js` and `host.json`) with a stand-in for
 * `@azure/functions-core`, then runs its triggers with the app's settings as process environment:
 *
 * - HTTP: `extensions.http.routePrefix` (default `api`), route templates (`{name}`, `{name?}`, `{*rest}`),
 *   methods, `authLevel` (only `anonymous` is emulated: function keys are secrets the platform never issues).
 *   https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger
 * - Queue triggers, connection `<CONN>__queueServiceUri` with the app's managed identity: host.json
 *   `extensions.queues` batchSize (16), newBatchThreshold, maxPollingInterval (1 min), visibilityTimeout (0),
 *   maxDequeueCount (5) → `<queue>-poison`, messageEncoding (base64). A message that cannot be decoded
 *   counts as a failed attempt (twin choice, logged with the cause).
 *   https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json and
 *   https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#poison-messages
 * - Timers: six-field NCRONTAB, `runOnStartup`. https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#ncrontab-expressions
 * - Cosmos DB change feed, connection `<CONN>__accountEndpoint`: reads the monitored container's change
 *   feed and keeps its continuation in a lease document in the declared lease container (both through the
 *   data plane, as the app's identity), renewed every `leaseRenewInterval` (17 s); `createLeaseContainerIfNotExists: true` is refused (an identity cannot
 *   create containers); `startFromBeginning`, `maxItemsPerInvocation`, `feedPollDelay`; the function's retry
 *   policy (`exponentialBackoff`/`fixedDelay`, `maxRetryCount` -1 = forever) re-runs a failed batch
 *   without advancing the lease. https://learn.microsoft.com/azure/azure-functions/functions-bindings-cosmosdb-v2-trigger
 *   and https://learn.microsoft.com/azure/azure-functions/functions-bindings-error-pages#retries
 * - Durable Functions: ./durable.ts.
 *
 * The parent talks to this process over IPC: `{ ready, port, functions }`, then log lines on stdout.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ManagedIdentityCredential } from "@azure/identity";
import { QueueServiceClient } from "@azure/storage-queue";
import { durationMs, FakeCore, type Registration } from "./core";
import { type Checkpoint, DurableHost, type TaskHubStore } from "./durable";
import { nextOccurrence } from "./ncrontab";
import { type DurableTaskSettings, taskHubQueueNames, taskHubTableNames } from "./task-hub";
import { TelemetryExporter } from "./telemetry-exporter";

export interface WorkerConfig {
  readonly service: string;
  readonly appDirectory: string;
  /** Multiplies function-level retry delays (tests); 1 = the registration's own intervals. */
  readonly retryTimeScale?: number;
  /** Multiplies the host's own timers (the primary host lock's renewal and retry, the change feed lease's renewal); 1 = the host's. */
  readonly hostTimeScale?: number;
}

const config = JSON.parse(process.env.TWIN_HOST_CONFIG ?? "{}") as WorkerConfig;
const settings = process.env;
let stopping = false;

function log(level: string, source: string, message: string): void {
  const lvl = level.toLowerCase();
  const tag = lvl === "error" ? "ERROR " : lvl === "warning" || lvl === "warn" ? "WARN " : "";
  process.stdout.write(`${tag}[${source}] ${message}\n`);
}

interface HostJson {
  extensions?: {
    http?: { routePrefix?: string };
    queues?: { batchSize?: number; newBatchThreshold?: number; maxPollingInterval?: string; visibilityTimeout?: string; maxDequeueCount?: number; messageEncoding?: string };
    durableTask?: DurableTaskSettings & { overridableExistingInstanceStates?: string };
  };
}

/** `hh:mm:ss` (host.json TimeSpan) → ms. */
function timeSpanMs(value: string | undefined, fallback: number): number {
  if (!value) return fallback;
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value);
  if (!m) throw new Error(`host.json: "${value}" is not a TimeSpan (hh:mm:ss)`);
  return ((Number(m[1] ?? 0) * 24 + Number(m[2])) * 3600 + Number(m[3]) * 60 + Number(m[4])) * 1000 + Number(`0.${m[5] ?? 0}`) * 1000;
}

const core = new FakeCore((level, source, message) => log(level, source, message));
core.install();
const hostJson = JSON.parse(readFileSync(join(config.appDirectory, "host.json"), "utf8")) as HostJson;
// The bundle is an ES module (package.json "type": "module"): loaded with import(), as the Node worker
// loads such a `main` (azure-functions-nodejs-worker src/loadScriptFile.ts); it registers while it evaluates.
const appLoaded = import(pathToFileURL(join(config.appDirectory, "index.js")).href);

const durable = new DurableHost({
  core,
  hubName: hostJson.extensions?.durableTask?.hubName ?? "TestHubName",
  overridable: hostJson.extensions?.durableTask?.overridableExistingInstanceStates === "NonRunningStates" ? "NonRunningStates" : "AnyState",
  log: (message, level) => log(level ?? "info", "durable", message),
  store: taskHubTables(hostJson.extensions?.durableTask ?? {}),
  abandonRetryMs: Math.max(100, 1000 * (config.hostTimeScale ?? 1)),
});

/** Settings the trigger's connection needs: identity-based only (keys are refused by the platform). */
function identityConnection(registration: Registration, connection: string, endpointKey: string): { endpoint: string; clientId?: string } {
  const endpoint = settings[`${connection}__${endpointKey}`];
  if (!endpoint) {
    const present = Object.keys(settings).filter((k) => k.startsWith(`${connection}__`) || k === connection);
    throw new Error(
      `function ${registration.metadata.name}: its connection "${connection}" needs app setting ${connection}__${endpointKey} ` +
        `(identity-based connection), which the plan does not set${present.length ? ` (found: ${present.join(", ")})` : ""}`,
    );
  }
  const clientId = settings[`${connection}__clientId`];
  if (settings[`${connection}__credential`] !== "managedidentity") {
    log("warn", "host", `${connection}__credential is not "managedidentity": the host would use DefaultAzureCredential`);
  }
  return { endpoint, ...(clientId ? { clientId } : {}) };
}

function extraInputs(registration: Registration): { name: string; data: { string: string } }[] {
  return Object.entries(registration.metadata.bindings)
    .filter(([, b]) => b.direction === "in" && (b.type === "durableClient" || b.type === "orchestrationClient"))
    .map(([name]) => ({ name, data: { string: durable.clientData() } }));
}

// ---------------------------------------------------------------- HTTP
interface Route {
  readonly registration: Registration;
  readonly pattern: RegExp;
  readonly names: string[];
  readonly methods?: string[];
}

function compileRoute(prefix: string, template: string, registration: Registration): Route {
  const names: string[] = [];
  const segments = [prefix, template].filter(Boolean).join("/").split("/").filter(Boolean);
  const source = segments
    .map((segment) => {
      const param = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(:[^}?]+)?(\?)?\}$/.exec(segment);
      if (!param) {
        if (segment.includes("{")) throw new Error(`function ${registration.metadata.name}: route segment "${segment}" is not emulated (one parameter per segment)`);
        return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`;
      }
      const [, catchAll, name, constraint, optional] = param;
      if (constraint && !/^:(int|alpha|guid)$/.test(constraint)) throw new Error(`function ${registration.metadata.name}: route constraint ${constraint} is not emulated`);
      names.push(name!);
      const body = catchAll ? "(.*)" : constraint === ":int" ? "(-?\\d+)" : constraint === ":alpha" ? "([A-Za-z]+)" : "([^/]+)";
      return optional || catchAll ? `(?:/${body})?` : `/${body}`;
    })
    .join("");
  const methods = registration.trigger.methods as string[] | undefined;
  return { registration, pattern: new RegExp(`^${source}/?$`, "i"), names, ...(methods?.length ? { methods: methods.map((m) => m.toUpperCase()) } : {}) };
}

const routePrefix = hostJson.extensions?.http?.routePrefix ?? "api";
/** Compiled once the app has registered (main). */
let routes: Route[] = [];
function compileRoutes(): Route[] {
  return core.registrations
    .filter((r) => r.trigger.type === "httpTrigger")
    .map((r) => {
      const authLevel = String(r.trigger.authLevel ?? "function").toLowerCase();
      if (authLevel !== "anonymous") {
        throw new Error(`function ${r.metadata.name}: authLevel "${authLevel}" needs function keys, which the twin does not emulate (the platform uses anonymous + App Service authentication)`);
      }
      return compileRoute(routePrefix, String(r.trigger.route ?? r.metadata.name), r);
    });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
  const body = await readBody(req);
  if (await durable.handleHttp(url.pathname, req, res, body.toString("utf8"))) return;
  const method = (req.method ?? "GET").toUpperCase();
  const matches = routes.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).filter((x) => x.m);
  const match = matches.find((x) => !x.r.methods || x.r.methods.includes(method));
  if (!match) {
    res.writeHead(matches.length > 0 ? 405 : 404).end();
    return;
  }
  const params: Record<string, string> = {};
  match.r.names.forEach((n, i) => {
    const v = match.m![i + 1];
    if (v !== undefined) params[n] = decodeURIComponent(v);
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = v));
  try {
    const response = await core.invoke(
      match.r.registration,
      [
        { name: match.r.registration.triggerName, data: { http: { method, url: url.toString(), headers, query, params, body: { bytes: body } } } },
        ...extraInputs(match.r.registration),
      ],
    );
    const http = (response.returnValue?.http ?? response.outputData?.find((o) => o.data.http)?.data.http) as
      | { statusCode?: string; headers?: Record<string, string>; body?: { bytes?: Uint8Array; string?: string } }
      | undefined;
    const status = Number(http?.statusCode ?? 204);
    const out = http?.body?.bytes ? Buffer.from(http.body.bytes) : Buffer.from(http?.body?.string ?? "");
    res.writeHead(status, http?.headers ?? {});
    res.end(out);
  } catch (error) {
    log("error", match.r.registration.metadata.name, `unhandled: ${(error as Error).stack ?? String(error)}`);
    res.writeHead(500).end();
  }
}

// ---------------------------------------------------------------- queues
const credentials = new Map<string, ManagedIdentityCredential>();
function credentialFor(clientId: string | undefined): ManagedIdentityCredential {
  const key = clientId ?? "";
  let c = credentials.get(key);
  if (!c) credentials.set(key, (c = clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential()));
  return c;
}

/** True when `text` is base64 whose bytes are a JSON document (what a base64-encoding sender produces). */
function looksLikeBase64Json(text: string): boolean {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length % 4 !== 0) return false;
  try {
    JSON.parse(Buffer.from(t, "base64").toString("utf8"));
    return true;
  } catch {
    return false;
  }
}

/**
 * Queue listeners the twin may wake (TwinOptions.wakeQueueListeners): the parent sends `{ type:
 * "queue-message", account, queue }` when a message was put through its storage proxy, and a listener of
 * that queue waiting out its polling back-off polls at once. A wake that arrives while the listener is
 * receiving is kept for its next wait.
 */
const queueWakers = new Map<string, { wake?: () => void; pending: boolean }>();
process.on("message", (message: { type?: string; account?: string; queue?: string }) => {
  if (message?.type !== "queue-message") return;
  const waker = queueWakers.get(`${message.account}/${message.queue}`);
  if (!waker) return;
  if (waker.wake) waker.wake();
  else waker.pending = true;
});

function startQueueListener(registration: Registration): void {
  const connection = String(registration.trigger.connection ?? "AzureWebJobsStorage");
  const queueName = String(registration.trigger.queueName);
  const { endpoint, clientId } = identityConnection(registration, connection, "queueServiceUri");
  const service = new QueueServiceClient(endpoint, credentialFor(clientId));
  const queue = service.getQueueClient(queueName);
  const poison = service.getQueueClient(`${queueName}-poison`);
  const q = hostJson.extensions?.queues ?? {};
  const batchSize = q.batchSize ?? 16;
  const maxDequeueCount = q.maxDequeueCount ?? 5;
  // A retry delay: scaled like the functions' retry policies (tests); the figure logged is host.json's.
  const visibilityMs = timeSpanMs(q.visibilityTimeout, 0);
  const retryVisibilitySeconds = (visibilityMs * (config.retryTimeScale ?? 1)) / 1000;
  const maxPollMs = timeSpanMs(q.maxPollingInterval, 60_000);
  const encoding = (q.messageEncoding ?? "base64").toLowerCase();
  const name = registration.metadata.name;
  let delay = 100;
  const waker: { wake?: () => void; pending: boolean } = { pending: false };
  queueWakers.set(`${new URL(endpoint).pathname.split("/").filter(Boolean)[0] ?? ""}/${queueName}`, waker);
  /** The back-off wait, cut short by a wake (the twin saw a message put on this queue). */
  const backOff = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (waker.pending) {
        waker.pending = false;
        return resolve();
      }
      const timer = setTimeout(() => {
        waker.wake = undefined;
        resolve();
      }, ms);
      waker.wake = () => {
        waker.wake = undefined;
        clearTimeout(timer);
        delay = 100;
        resolve();
      };
    });

  const toPoison = async (item: { messageId: string; popReceipt: string; messageText: string; dequeueCount: number }, why: string): Promise<void> => {
    await poison.sendMessage(item.messageText);
    await queue.deleteMessage(item.messageId, item.popReceipt);
    log("error", name, `message ${item.messageId} moved to ${queueName}-poison after ${item.dequeueCount} attempts: ${why}`);
  };

  const processOne = async (item: { messageId: string; popReceipt: string; messageText: string; dequeueCount: number; insertedOn?: Date; expiresOn?: Date }): Promise<void> => {
    if (item.dequeueCount > maxDequeueCount) return toPoison(item, "dequeue count above maxDequeueCount");
    let text: string;
    let failure: string | undefined;
    if (encoding === "base64") {
      const decoded = Buffer.from(item.messageText, "base64");
      if (decoded.toString("base64").replace(/=+$/, "") !== item.messageText.trim().replace(/=+$/, "")) {
        failure = `the message is not base64 but host.json extensions.queues.messageEncoding is "base64" (sender and host disagree on the encoding)`;
        text = item.messageText;
      } else text = decoded.toString("utf8");
    } else text = item.messageText;
    if (!failure) {
      try {
        await core.invoke(
          registration,
          [{ name: registration.triggerName, data: { string: text } }, ...extraInputs(registration)],
          {
            id: { string: item.messageId },
            dequeueCount: { int: item.dequeueCount },
            popReceipt: { string: item.popReceipt },
            ...(item.insertedOn ? { insertionTime: { string: item.insertedOn.toISOString() } } : {}),
            ...(item.expiresOn ? { expirationTime: { string: item.expiresOn.toISOString() } } : {}),
          },
        );
        await queue.deleteMessage(item.messageId, item.popReceipt);
        return;
      } catch (error) {
        failure = (error as Error).message;
        if (encoding === "none" && looksLikeBase64Json(item.messageText)) {
          failure += ` (the message text is base64 that decodes to JSON, but host.json extensions.queues.messageEncoding is "none": sender and host disagree on the encoding)`;
        }
      }
    }
    log("warn", name, `attempt ${item.dequeueCount}/${maxDequeueCount} of message ${item.messageId} on ${queueName} failed: ${failure}`);
    if (item.dequeueCount >= maxDequeueCount) return toPoison(item, failure);
    await queue.updateMessage(item.messageId, item.popReceipt, undefined, Math.round(retryVisibilitySeconds));
  };

  const loop = async (): Promise<void> => {
    while (!stopping) {
      try {
        // The extension dequeues with a 10-minute visibility and renews it while the function runs.
        const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: batchSize, visibilityTimeout: 600 });
        if (receivedMessageItems.length > 0) {
          delay = 100;
          await Promise.all(receivedMessageItems.map((item) => processOne(item).catch((e: unknown) => log("error", name, `queue ${queueName}: ${(e as Error).message}`))));
          continue;
        }
        delay = Math.min(maxPollMs, delay * 2);
      } catch (error) {
        const message = (error as Error).message.split("\n")[0] ?? "";
        log(
          "error",
          name,
          /QueueNotFound|specified queue does not exist/i.test(message)
            ? `queue ${queueName} does not exist at ${endpoint}: the trigger's queueName and the queues the infrastructure creates disagree`
            : `queue ${queueName}: ${message}`,
        );
        delay = Math.min(maxPollMs, Math.max(delay * 2, 1000));
      }
      await backOff(delay);
    }
  };
  void loop();
  log("info", "host", `${name}: queue trigger on ${queueName} (batch ${batchSize}, max dequeue ${maxDequeueCount}, visibility ${visibilityMs} ms, ${encoding})`);
}

// ---------------------------------------------------------------- timers
function startTimer(registration: Registration): void {
  const schedule = String(registration.trigger.schedule);
  const name = registration.metadata.name;
  let last = new Date();
  const fire = async (pastDue: boolean): Promise<void> => {
    const next = nextOccurrence(schedule, new Date());
    try {
      await core.invoke(registration, [
        { name: registration.triggerName, data: { json: JSON.stringify({ Schedule: { AdjustForDST: true }, ScheduleStatus: { Last: last.toISOString(), Next: next.toISOString(), LastUpdated: new Date().toISOString() }, IsPastDue: pastDue }) } },
      ]);
    } catch (error) {
      log("error", name, `timer run failed: ${(error as Error).message}`);
    }
    last = new Date();
  };
  const arm = (): void => {
    if (stopping) return;
    const next = nextOccurrence(schedule, new Date());
    setTimeout(() => void fire(false).then(arm), next.getTime() - Date.now()).unref();
  };
  if (registration.trigger.runOnStartup === true) void fire(false);
  arm();
  log("info", "host", `${name}: timer ${schedule}`);
}

// ---------------------------------------------------------------- Cosmos DB change feed
function startChangeFeed(registration: Registration): void {
  const t = registration.trigger;
  const name = registration.metadata.name;
  const connection = String(t.connection ?? "CosmosDB");
  if (t.createLeaseContainerIfNotExists === true) {
    throw new Error(`function ${name}: createLeaseContainerIfNotExists is true, but with an Entra identity the trigger cannot create containers; declare the lease container in the plan`);
  }
  const leaseDatabase = String(t.leaseDatabaseName ?? t.databaseName);
  const leaseContainer = String(t.leaseContainerName ?? "leases");
  const database = String(t.databaseName);
  const container = String(t.containerName);
  const { endpoint, clientId } = identityConnection(registration, connection, "accountEndpoint");
  const base = endpoint.replace(/:443\/?$/, "").replace(/\/+$/, "");
  const credential = credentialFor(clientId);
  const pollDelay = Number(t.feedPollDelay ?? 5000);
  const maxItems = Number(t.maxItemsPerInvocation ?? 100);
  const retry = registration.metadata.retryOptions;
  const leaseId = `${config.service}.${database}.${container}.lease`;
  const leasePath = `/dbs/${encodeURIComponent(leaseDatabase)}/colls/${encodeURIComponent(leaseContainer)}/docs`;

  const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; json: unknown; etag?: string }> => {
    const token = await credential.getToken(`${base}/.default`);
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: encodeURIComponent(`type=aad&ver=1.0&sig=${token.token}`),
        "x-ms-version": "2020-07-15",
        "x-ms-date": new Date().toUTCString(),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (response.status >= 400 && response.status !== 404) {
      throw new Error(`Cosmos DB ${method} ${path} answered ${response.status}: ${(json as { message?: string } | undefined)?.message ?? text}`);
    }
    return { status: response.status, json, ...(response.headers.get("etag") ? { etag: response.headers.get("etag")! } : {}) };
  };

  // The change feed processor renews its lease on a timer (leaseRenewInterval, 17 s by default), whether
  // or not batches succeed: the lease container is written even while a batch is being retried.
  let continuation: string | undefined;
  const renewMs = Number(t.leaseRenewInterval ?? 17_000) * (config.hostTimeScale ?? 1);
  const renew = setInterval(() => {
    if (stopping) return clearInterval(renew);
    call("POST", leasePath, { "x-ms-documentdb-partitionkey": JSON.stringify([leaseId]), "x-ms-documentdb-is-upsert": "true" }, { id: leaseId, continuation: continuation ?? null, owner: config.service, renewedAt: new Date().toISOString() })
      .catch((error: unknown) => log("error", name, `lease renewal in ${leaseDatabase}/${leaseContainer} failed: ${(error as Error).message}`));
  }, renewMs);
  renew.unref();
  let attempt = 0;
  const loop = async (): Promise<void> => {
    // The lease: read it (the continuation survives restarts in the lease container), create it on first start.
    for (;;) {
      if (stopping) return;
      try {
        // (enablecrosspartition: the emulator package crashes on a point read of a missing item without it)
        const lease = await call("GET", `${leasePath}/${encodeURIComponent(leaseId)}`, { "x-ms-documentdb-partitionkey": JSON.stringify([leaseId]), "x-ms-documentdb-query-enablecrosspartition": "true" });
        if (lease.status === 404) {
          continuation = t.startFromBeginning === true ? undefined : "*";
          await call("POST", leasePath, { "x-ms-documentdb-partitionkey": JSON.stringify([leaseId]), "x-ms-documentdb-is-upsert": "true" }, { id: leaseId, continuation: continuation ?? null, owner: config.service });
        } else continuation = ((lease.json as { continuation?: string | null }).continuation ?? undefined) || undefined;
        break;
      } catch (error) {
        log("error", name, `lease container ${leaseDatabase}/${leaseContainer}: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    while (!stopping) {
      try {
        const feed = await call("GET", `/dbs/${encodeURIComponent(database)}/colls/${encodeURIComponent(container)}/docs`, {
          "a-im": "Incremental feed",
          "x-ms-max-item-count": String(maxItems),
          ...(continuation ? { "if-none-match": continuation } : {}),
        });
        const documents = feed.status === 200 ? ((feed.json as { Documents?: unknown[] }).Documents ?? []) : [];
        if (documents.length > 0) {
          await core.invoke(registration, [{ name: registration.triggerName, data: { json: JSON.stringify(documents) } }], {}, retry ? { retryCount: attempt, maxRetryCount: Number(retry.maxRetryCount ?? 0) } : undefined);
        }
        continuation = feed.etag ?? continuation;
        if (documents.length > 0) {
          await call("POST", leasePath, { "x-ms-documentdb-partitionkey": JSON.stringify([leaseId]), "x-ms-documentdb-is-upsert": "true" }, { id: leaseId, continuation, owner: config.service });
        }
        attempt = 0;
        if (documents.length === 0) await new Promise((r) => setTimeout(r, pollDelay));
      } catch (error) {
        attempt++;
        const max = Number(retry?.maxRetryCount ?? 0);
        let wait = pollDelay;
        if (retry?.retryStrategy === "exponentialBackoff") {
          wait = Math.min(durationMs(retry.minimumInterval) * 2 ** (attempt - 1), durationMs(retry.maximumInterval) || Number.POSITIVE_INFINITY);
        } else if (retry?.retryStrategy === "fixedDelay") wait = durationMs(retry.delayInterval);
        wait = Math.max(50, wait * (config.retryTimeScale ?? 1));
        log("error", name, `change-feed batch failed (attempt ${attempt}${max === -1 ? ", retried forever" : ""}); the lease does not advance: ${(error as Error).message}`);
        if (retry && max !== -1 && attempt > max) {
          log("error", name, `retries exhausted: the batch is skipped, as the host does`);
          attempt = 0;
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  };
  void loop();
  log("info", "host", `${name}: change feed of ${database}/${container}, leases in ${leaseDatabase}/${leaseContainer}`);
}

// ---------------------------------------------------------------- host storage: the primary host lock
/**
 * The host's primary-host lock, the one use of host storage every app has: a 15 s lease on the blob
 * `azure-webjobs-hosts/locks/<hostId>/host` (created when missing), renewed 3 s before it expires and
 * re-acquired every 5 s when lost; the host id is the site name (lower case, at most 32 characters).
 * Source: Azure/azure-functions-host src/WebJobs.Script/Host/PrimaryHostCoordinator.cs (LeaseTimeout 15 s,
 * renewal = timeout - 3 s, retry 5 s, GetBlobName) and HostIdValidator. Lease Blob needs blobs/write.
 */
function startHostLock(): void {
  const blobUri = settings.AzureWebJobsStorage__blobServiceUri;
  if (!blobUri) {
    log("error", "host", "host storage: app setting AzureWebJobsStorage__blobServiceUri (identity-based host storage) is not set by the plan; the host cannot hold its lock");
    return;
  }
  const credential = credentialFor(settings.AzureWebJobsStorage__clientId);
  const hostId = (settings.WEBSITE_SITE_NAME ?? config.service).toLowerCase().slice(0, 32);
  const blob = `${blobUri.replace(/\/+$/, "")}/azure-webjobs-hosts/locks/${hostId}/host`;
  const leaseId = randomUUID();
  const scale = config.hostTimeScale ?? 1;
  let held = false;
  const call = async (query: string, headers: Record<string, string>): Promise<Response> => {
    const token = await credential.getToken("https://storage.azure.com/.default");
    return fetch(`${blob}${query}`, { method: "PUT", headers: { authorization: `Bearer ${token.token}`, "x-ms-version": "2023-11-03", "x-ms-date": new Date().toUTCString(), "content-length": "0", ...headers } });
  };
  const errorOf = async (r: Response): Promise<string> => `${r.status} ${/<Message>([^<]*)</.exec(await r.text())?.[1] ?? ""}`;
  const tick = async (): Promise<void> => {
    if (stopping) return;
    try {
      if (held) {
        const r = await call("?comp=lease", { "x-ms-lease-action": "renew", "x-ms-lease-id": leaseId });
        if (r.status >= 300) {
          held = false;
          log("error", "host", `Failed to renew host lock lease (azure-webjobs-hosts/locks/${hostId}/host): ${await errorOf(r)}`);
        }
      } else {
        let r = await call("?comp=lease", { "x-ms-lease-action": "acquire", "x-ms-lease-duration": "15", "x-ms-proposed-lease-id": leaseId });
        if (r.status === 404) {
          const created = await call("", { "x-ms-blob-type": "BlockBlob" });
          if (created.status >= 300) throw new Error(`creating the lock blob: ${await errorOf(created)}`);
          r = await call("?comp=lease", { "x-ms-lease-action": "acquire", "x-ms-lease-duration": "15", "x-ms-proposed-lease-id": leaseId });
        }
        if (r.status >= 300) throw new Error(await errorOf(r));
        held = true;
      }
    } catch (error) {
      held = false;
      log("error", "host", `host lock lease (azure-webjobs-hosts/locks/${hostId}/host) not acquired: ${(error as Error).message}`);
    }
    setTimeout(() => void tick(), (held ? 12_000 : 5_000) * scale).unref();
  };
  void tick();
}

// ---------------------------------------------------------------- the Durable task hub's queues
/**
 * The Durable extension's Azure Storage provider polls its task hub's queues (./task-hub.ts) in host
 * storage as the app's identity, at most `storageProvider.maxQueuePollingInterval` apart (default 30 s,
 * https://learn.microsoft.com/azure/durable-task/durable-functions/durable-functions-host-json-settings). The twin reproduces this polling, so the host's Queue Data
 * Contributor grant is exercised; the orchestration messages themselves stay in memory (./durable.ts).
 */
function startTaskHubPolling(): void {
  const durableTask = hostJson.extensions?.durableTask;
  if (!core.registrations.some((r) => r.trigger.type === "orchestrationTrigger")) return;
  const queueUri = settings.AzureWebJobsStorage__queueServiceUri;
  const hub = (durableTask?.hubName ?? "TestHubName").toLowerCase();
  if (!queueUri) {
    log("error", "durable", `task hub ${hub}: app setting AzureWebJobsStorage__queueServiceUri (identity-based host storage) is not set by the plan`);
    return;
  }
  const service = new QueueServiceClient(queueUri, credentialFor(settings.AzureWebJobsStorage__clientId));
  const names = taskHubQueueNames(durableTask ?? {});
  const everyMs = timeSpanMs(durableTask?.storageProvider?.maxQueuePollingInterval, 30_000) * (config.hostTimeScale ?? 1);
  const poll = async (): Promise<void> => {
    if (stopping) return;
    for (const name of names) {
      try {
        await service.getQueueClient(name).receiveMessages({ numberOfMessages: 1, visibilityTimeout: 1 });
      } catch (error) {
        log("error", "durable", `task hub queue ${name}: ${(error as Error).message.split("\n")[0]}`);
      }
    }
    setTimeout(() => void poll(), everyMs).unref();
  };
  void poll();
}

// ---------------------------------------------------------------- durable task hub tables
/**
 * The task hub's History and Instances tables in host storage (AzureWebJobsStorage__tableServiceUri),
 * written as the app's identity with Insert Or Replace Entity (Table REST; an upsert, so a retried
 * checkpoint rewrites the same rows). Values are strings (the provider keeps large payloads in blobs;
 * the twin truncates them). Entity shape: https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-azure-storage-provider
 */
function taskHubTables(durableTask: DurableTaskSettings): TaskHubStore {
  const [historyTable, instancesTable] = taskHubTableNames(durableTask);
  const tableUri = settings.AzureWebJobsStorage__tableServiceUri?.replace(/\/+$/, "");
  const text = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value ?? null)).slice(0, 30_000);
  const key = (value: string): string => encodeURIComponent(value.replace(/'/g, "''"));
  const upsert = async (table: string, partitionKey: string, rowKey: string, properties: Record<string, string>): Promise<void> => {
    const token = await credentialFor(settings.AzureWebJobsStorage__clientId).getToken("https://storage.azure.com/.default");
    const response = await fetch(`${tableUri}/${table}(PartitionKey='${key(partitionKey)}',RowKey='${key(rowKey)}')`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${token.token}`,
        "x-ms-version": "2019-02-02",
        "x-ms-date": new Date().toUTCString(),
        "content-type": "application/json",
        accept: "application/json;odata=nometadata",
        dataserviceversion: "3.0;NetFx",
      },
      body: JSON.stringify({ PartitionKey: partitionKey, RowKey: rowKey, ...properties }),
    });
    if (!response.ok) {
      const body = await response.text();
      let message = body;
      try {
        message = (JSON.parse(body) as { "odata.error"?: { code?: string; message?: { value?: string } } })["odata.error"]?.message?.value ?? body;
      } catch {
        /* not OData JSON */
      }
      throw new Error(`${table}: HTTP ${response.status} ${response.headers.get("x-ms-error-code") ?? ""}: ${message.split("\n")[0]}`);
    }
  };
  return {
    async checkpoint(c: Checkpoint): Promise<void> {
      if (!tableUri) throw new Error("app setting AzureWebJobsStorage__tableServiceUri (identity-based host storage) is not set by the plan: the task hub has no tables");
      for (const { sequence, event } of c.newEvents) {
        const { EventType, EventId, Timestamp, ...rest } = event;
        await upsert(historyTable, c.instanceId, sequence.toString(16).toUpperCase().padStart(16, "0"), {
          EventType: String(EventType),
          EventId: String(EventId),
          // Timestamp is the service's own property; the provider records the event's time as _Timestamp.
          _Timestamp: Timestamp instanceof Date ? Timestamp.toISOString() : String(Timestamp),
          Payload: text(rest),
        });
      }
      await upsert(instancesTable, c.instanceId, "", {
        Name: c.name,
        RuntimeStatus: c.runtimeStatus,
        Input: text(c.input),
        Output: text(c.output),
        CustomStatus: text(c.customStatus),
        CreatedTime: c.createdTime.toISOString(),
        LastUpdatedTime: c.lastUpdatedTime.toISOString(),
      });
    },
  };
}

// ---------------------------------------------------------------- request telemetry
/** The host's request telemetry to Application Insights, authenticated as APPLICATIONINSIGHTS_AUTHENTICATION_STRING says. */
function startTelemetry(): void {
  const connectionString = settings.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (!connectionString) return;
  const auth = settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? "";
  const aad = /Authorization=AAD/i.test(auth);
  const clientId = /ClientId=([^;]+)/i.exec(auth)?.[1];
  const credential = aad ? credentialFor(clientId) : undefined;
  const exporter = new TelemetryExporter({
    connectionString,
    getToken: async () => (credential ? (await credential.getToken("https://monitor.azure.com//.default")).token : ""),
    onRefused: (status, message) => log("error", "host", `Application Insights refused telemetry (${status}): ${message}`),
    flushMs: Math.max(100, 1000 * (config.hostTimeScale ?? 1)),
  });
  core.afterInvoke = (name, trigger, succeeded, ms) => exporter.trackRequest(name, `${trigger}://${name}`, succeeded ? 200 : 500, ms, config.service);
}

// ---------------------------------------------------------------- start
async function main(): Promise<void> {
  await appLoaded;
  routes = compileRoutes();
  const server = createServer((req, res) => void handleHttp(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  durable.rpcBaseUrl = `http://127.0.0.1:${port}/runtime/webhooks/durabletask/`;
  startHostLock();
  startTaskHubPolling();
  startTelemetry();
  for (const r of core.registrations) {
    if (r.trigger.type === "queueTrigger") startQueueListener(r);
    else if (r.trigger.type === "timerTrigger") startTimer(r);
    else if (r.trigger.type === "cosmosDBTrigger") startChangeFeed(r);
  }
  process.send?.({
    type: "ready",
    port,
    functions: core.registrations.map((r) => ({ name: r.metadata.name, trigger: r.trigger.type })),
    routes: routes.map((r) => ({ name: r.registration.metadata.name, methods: r.methods ?? ["*"], route: `/${routePrefix}/${String(r.registration.trigger.route ?? "")}` })),
  });
  const quit = (): void => {
    stopping = true;
    server.close();
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on("SIGTERM", quit);
  process.on("disconnect", quit);
}

main().catch((error: unknown) => {
  log("error", "host", (error as Error).message);
  process.send?.({ type: "failed", message: (error as Error).message });
  process.exit(1);
});
