/**
 * The local twin: runs the system a plan describes, on this machine, configured only from that plan.
 *
 * Real: the bundles OneDeploy publishes (each app's `index.js` + `host.json`, built by
 * components/function-app/bundle.ts), the Azure SDKs and durable-functions inside them, Azurite,
 * the Cosmos DB emulator package. Emulated, each in its own module: the Functions host (host/), managed
 * identity (identity.ts), RBAC on the data planes (rbac.ts, storage-proxy.ts, cosmos-proxy.ts), Event Grid
 * (event-grid.ts), the gateway and App Service authentication (gateway.ts, `AppFront` here), Entra ID
 * (tokens.ts), the payment back end and the webhook (stubs.ts).
 *
 * Each app process gets exactly its app settings from the plan, with Azure endpoints replaced by the
 * local ones (`https://<account>.queue.core.windows.net` → the storage proxy, the Cosmos account endpoint →
 * the Cosmos proxy, topic endpoints → the Event Grid emulator, `BACKEND_<NAME>_URL` → the payment stub,
 * `NOTIFICATION_WEBHOOK_URL` → the webhook stub), plus the platform's variables (IDENTITY_ENDPOINT,
 * IDENTITY_HEADER, WEBSITE_SITE_NAME, FUNCTIONS_WORKER_RUNTIME). A setting the plan does not set is absent.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Agent, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { CosmosClient } from "@azure/cosmos";
import { buildSync } from "esbuild";
import type { Plan } from "../plan-format";
import { CosmosProxy } from "./cosmos-proxy";
import { type LocalBackends, startBackends } from "./emulators";
import { EventGridEmulator } from "./event-grid";
import { Gateway } from "./gateway";
import { ManagedIdentityEndpoint } from "./identity";
import { type FunctionAppModel, type ManagedIdentity, type TwinModel, twinModel } from "./model";
import { Authorizer } from "./rbac";
import { StorageProxy } from "./storage-proxy";
import { PaymentStub, WebhookStub } from "./stubs";
import { type DurableTaskSettings, taskHubQueueNames, taskHubTableNames } from "./host/task-hub";
import { TelemetryIngestion } from "./telemetry";
import { TelemetryExporter } from "./host/telemetry-exporter";
import { TokenIssuer } from "./tokens";

export interface TwinOptions {
  readonly plan: Plan;
  /** Service name → folder holding the bundle's `index.js` and `host.json` (`.build/functions/<s>/app`). */
  readonly bundles: Readonly<Record<string, string>>;
  /** Receives every log line, prefixed by its source. @default process.stdout */
  readonly log?: (source: string, line: string) => void;
  /** Event Grid retry delays multiplier (tests). @default 1 */
  readonly eventGridTimeScale?: number;
  /** Retry delays multiplier: the functions' retry policies (e.g. the change-feed trigger's backoff) and the queue triggers' visibilityTimeout (tests). @default 1 */
  readonly retryTimeScale?: number;
  /** The hosts' own timers multiplier: the primary host lock's renewal, the change feed lease's renewal, telemetry flushes (tests). @default 1 */
  readonly hostTimeScale?: number;
  /**
   * A message put on a queue through the twin wakes the queue's listeners at once, instead of when their
   * polling back-off (host.json `maxPollingInterval`) next polls (tests: no idle wait per queue hop; the
   * same requests, as the same identities, reach the data plane). @default false
   */
  readonly wakeQueueListeners?: boolean;
  /** Gateway port. @default a free port */
  readonly gatewayPort?: number;
}

export interface RunningApp {
  readonly model: FunctionAppModel;
  readonly process: ChildProcess;
  readonly hostUrl: string;
  readonly frontUrl: string;
  readonly functions: readonly { name: string; trigger: string }[];
  readonly env: Readonly<Record<string, string>>;
}

export interface LogLine {
  readonly at: number;
  readonly source: string;
  readonly line: string;
}

const WORKER = path.join(__dirname, "host", "worker.ts");
/** The worker compiled once per process (esbuild, dependencies left in node_modules): no TypeScript loader in each app process. */
const WORKER_DIR = path.join(__dirname, "..", "..", ".build", "twin");

/** Next to the project's node_modules (dependencies stay external); one file per process, shared by its twins, removed with the last. */
let compiled: { file: string; users: number } | undefined;

function acquireWorker(): string {
  if (!compiled) {
    const file = path.join(WORKER_DIR, `worker-${process.pid}-${randomUUID().slice(0, 8)}.cjs`);
    buildSync({ entryPoints: [WORKER], bundle: true, platform: "node", format: "cjs", target: "node20", packages: "external", outfile: file, logLevel: "silent" });
    compiled = { file, users: 0 };
  }
  compiled.users++;
  return compiled.file;
}

function releaseWorker(file: string): void {
  if (!compiled || compiled.file !== file || --compiled.users > 0) return;
  rmSync(file, { force: true });
  compiled = undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return "";
  }
}

export class Twin {
  readonly model: TwinModel;
  readonly issuer: TokenIssuer;
  readonly authorizer: Authorizer;
  readonly payment = new PaymentStub();
  readonly webhook = new WebhookStub();
  readonly logs: LogLine[] = [];
  readonly apps = new Map<string, RunningApp>();
  backends?: LocalBackends;
  storage?: StorageProxy;
  cosmos?: CosmosProxy;
  eventGrid?: EventGridEmulator;
  telemetry?: TelemetryIngestion;
  #gatewayTelemetry?: TelemetryExporter;
  gateway?: Gateway;
  readonly identityEndpoint: ManagedIdentityEndpoint;
  readonly #fronts: Server[] = [];
  readonly #labels = new Map<string, string>();
  readonly tenantId: string;
  #worker?: string;

  constructor(private readonly options: TwinOptions) {
    this.model = twinModel(options.plan);
    this.tenantId = /([0-9a-f-]{36})/.exec(this.model.issuer)?.[1] ?? "00000000-0000-0000-0000-000000000000";
    // Entra v2 access tokens carry iss https://login.microsoftonline.com/<tenant>/v2.0 (the gateway checks it).
    this.issuer = new TokenIssuer(`https://login.microsoftonline.com/${this.tenantId}/v2.0`, this.tenantId);
    this.authorizer = new Authorizer(this.model.roleAssignments);
    this.identityEndpoint = new ManagedIdentityEndpoint(this.issuer);
    for (const i of [...this.model.identities, ...this.model.topics.flatMap((t) => (t.systemIdentity ? [t.systemIdentity] : []))]) {
      this.#labels.set(i.principalId.toLowerCase(), `${i.name} (${i.principalId})`);
    }
    if (this.model.gateway) this.#labels.set(this.model.gateway.principalId.toLowerCase(), `gateway (${this.model.gateway.principalId})`);
  }

  labelOf = (principalId: string): string => this.#labels.get(principalId.toLowerCase()) ?? principalId;

  log(source: string, line: string): void {
    this.logs.push({ at: Date.now(), source, line });
    (this.options.log ?? ((s, l) => process.stdout.write(`${s.padEnd(14)} | ${l}\n`)))(source, line);
  }

  async start(): Promise<void> {
    const m = this.model;
    this.backends = await startBackends(m.storageAccounts.map((a) => a.name));
    const common = { model: m, authorizer: this.authorizer, issuer: this.issuer, labelOf: this.labelOf, certificate: this.backends.certificate };
    this.storage = new StorageProxy({
      ...common,
      upstream: { queue: this.backends.queueUrl, blob: this.backends.blobUrl, table: this.backends.tableUrl },
      accountKeys: this.backends.accountKeys,
      ...(this.options.wakeQueueListeners ? { onQueueMessage: (account: string, queue: string) => this.#wakeQueueListeners(account, queue) } : {}),
    });
    this.cosmos = new CosmosProxy({ ...common, upstream: this.backends.cosmosUrl });
    this.eventGrid = new EventGridEmulator({
      ...common,
      timeScale: this.options.eventGridTimeScale ?? 1,
      log: (l) => this.log("eventgrid", l),
      sendToQueue: (identity, account, queue, text, ttl) =>
        this.#asIdentity(identity, "https://storage.azure.com", "POST", `${this.storage!.endpointFor("queue", account)}/${queue}/messages${ttl !== undefined ? `?messagettl=${ttl}` : ""}`, `<QueueMessage><MessageText>${text}</MessageText></QueueMessage>`),
      writeBlob: (identity, account, container, name, body) =>
        this.#asIdentity(identity, "https://storage.azure.com", "PUT", `${this.storage!.endpointFor("blob", account)}/${container}/${name}`, body, { "x-ms-blob-type": "BlockBlob" }),
    });
    this.telemetry = new TelemetryIngestion({ ...common, components: m.appInsights });
    await Promise.all([this.telemetry.start(), this.storage.start(), this.cosmos.start(), this.eventGrid.start(), this.identityEndpoint.start(), this.payment.start(), this.webhook.start()]);
    await this.#provision();
    const worker = (this.#worker = acquireWorker());
    await Promise.all(m.apps.map((app) => this.#startApp(app, worker)));
    if (m.gateway) {
      this.gateway = new Gateway({
        model: m.gateway,
        issuer: this.issuer,
        tokenForGateway: (resource) => this.identityEndpoint.tokenFor({ principalId: m.gateway!.principalId }, resource),
        resolveBackend: (url) => this.#resolveBackend(url),
        log: (l) => this.log("gateway", l),
        onRequest: (name, url, status, ms) => this.#gatewayTelemetry?.trackRequest(name, url, status, ms, "gateway"),
      });
      if (m.gateway.telemetryConnectionString) {
        // The APIM logger authenticates with the gateway's system-assigned identity (credentials.identityClientId).
        this.#gatewayTelemetry = new TelemetryExporter({
          connectionString: this.telemetry.localConnectionString(m.gateway.telemetryConnectionString),
          getToken: async () => this.identityEndpoint.tokenFor({ principalId: m.gateway!.principalId }, "https://monitor.azure.com/"),
          onRefused: (status, message) => this.log("gateway", `ERROR Application Insights refused telemetry (${status}): ${message}`),
          flushMs: Math.max(100, 1000 * (this.options.hostTimeScale ?? 1)),
          send: (url, headers, body) => this.call(url, { method: "POST", headers, body }),
        });
      }
      await this.gateway.start(this.options.gatewayPort ?? 0);
    }
  }

  #wakeQueueListeners(account: string, queue: string): void {
    for (const app of this.apps.values()) {
      if (app.process.connected) app.process.send({ type: "queue-message", account, queue }, () => undefined);
    }
  }

  /** An HTTPS request to one of the twin's endpoints (they use its own certificate), from this process. */
  async call(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; text: string }> {
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      const r = httpsRequest(
        { host: target.hostname, port: target.port, method: init.method ?? "GET", path: `${target.pathname}${target.search}`, ca: this.backends!.certificate.cert, headers: { ...(init.body !== undefined ? { "content-length": String(Buffer.byteLength(init.body)) } : {}), ...init.headers } },
        (res) => {
          let t = "";
          res.on("data", (c: Buffer) => (t += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: t }));
        },
      );
      r.on("error", reject);
      r.end(init.body);
    });
  }

  /** A request made by the twin itself on behalf of an identity (Event Grid delivery, dead-lettering). */
  async #asIdentity(identity: ManagedIdentity, resource: string, method: string, url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; error?: string }> {
    const token = this.identityEndpoint.tokenFor(identity, resource);
    const target = new URL(url);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const r = httpsRequest(
        {
          host: target.hostname,
          port: target.port,
          method,
          path: `${target.pathname}${target.search}`,
          ca: this.backends!.certificate.cert,
          headers: { authorization: `Bearer ${token}`, "x-ms-version": "2023-11-03", "x-ms-date": new Date().toUTCString(), "content-length": String(Buffer.byteLength(body)), ...headers },
        },
        (res) => {
          let t = "";
          res.on("data", (c: Buffer) => (t += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: t }));
        },
      );
      r.on("error", reject);
      r.end(body);
    });
    return status < 300 ? { status } : { status, error: /<Message>([^<]*)</.exec(text)?.[1] ?? text };
  }

  /** Creates what `pulumi up` would: queues, blob containers, Cosmos databases and containers (as the twin, not as an app). */
  async #provision(): Promise<void> {
    const storage = this.storage!;
    for (const q of this.model.queues) {
      const r = await fetch(storage.adminUrl("queue", `/${q.account}/${q.name}`), { method: "PUT" });
      if (r.status >= 300 && r.status !== 409) throw new Error(`provisioning queue ${q.account}/${q.name}: HTTP ${r.status}`);
    }
    for (const c of this.model.blobContainers) {
      const r = await fetch(storage.adminUrl("blob", `/${c.account}/${c.name}?restype=container`), { method: "PUT" });
      if (r.status >= 300 && r.status !== 409) throw new Error(`provisioning container ${c.account}/${c.name}: HTTP ${r.status}`);
    }
    // The Durable extension creates its task hub's queues and tables in host storage on first start (the twin does it for it).
    for (const app of this.model.apps) {
      const bundle = this.options.bundles[app.service];
      const hostAccount = (service: "queue" | "table") =>
        this.model.storageAccounts.find((a) => a.endpoints[service] && hostOf(a.endpoints[service]) === hostOf(app.settings[`AzureWebJobsStorage__${service}ServiceUri`] ?? ""));
      if (!bundle) continue;
      const durableTask = (JSON.parse(readFileSync(path.join(bundle, "host.json"), "utf8")) as { extensions?: { durableTask?: DurableTaskSettings } }).extensions?.durableTask;
      if (!durableTask) continue;
      const queueAccount = hostAccount("queue");
      for (const queue of queueAccount ? taskHubQueueNames(durableTask) : []) {
        const r = await fetch(storage.adminUrl("queue", `/${queueAccount!.name}/${queue}`), { method: "PUT" });
        if (r.status >= 300 && r.status !== 409) throw new Error(`provisioning task hub queue ${queueAccount!.name}/${queue}: HTTP ${r.status}`);
      }
      const tableAccount = hostAccount("table");
      for (const table of tableAccount ? taskHubTableNames(durableTask) : []) {
        const r = await fetch(storage.adminUrl("table", `/${tableAccount!.name}/Tables`), {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json;odata=nometadata" },
          body: JSON.stringify({ TableName: table }),
        });
        if (r.status >= 300 && r.status !== 409) throw new Error(`provisioning task hub table ${tableAccount!.name}/${table}: HTTP ${r.status} ${await r.text()}`);
      }
    }
    // The host creates azure-webjobs-hosts in its storage on first start (a container operation the twin does for it).
    for (const account of this.hostStorageAccounts()) {
      const r = await fetch(storage.adminUrl("blob", `/${account}/azure-webjobs-hosts?restype=container`), { method: "PUT" });
      if (r.status >= 300 && r.status !== 409) throw new Error(`provisioning azure-webjobs-hosts in ${account}: HTTP ${r.status}`);
    }
    const cosmos = this.model.cosmos;
    if (cosmos) {
      const client = this.adminCosmos();
      for (const db of cosmos.databases) await client.databases.createIfNotExists({ id: db });
      for (const c of cosmos.containers) {
        await client.database(c.database).containers.createIfNotExists({
          id: c.name,
          partitionKey: { paths: [...c.partitionKeyPaths] },
          ...(c.defaultTtl !== undefined ? { defaultTtl: c.defaultTtl } : {}),
        });
      }
      client.dispose();
    }
  }

  /** Storage accounts the apps' host storage settings (AzureWebJobsStorage__blobServiceUri) point at. */
  hostStorageAccounts(): string[] {
    return [
      ...new Set(
        this.model.apps.flatMap((app) => {
          const host = hostOf(app.settings.AzureWebJobsStorage__blobServiceUri ?? "");
          return this.model.storageAccounts.filter((a) => a.endpoints.blob && hostOf(a.endpoints.blob) === host).map((a) => a.name);
        }),
      ),
    ];
  }

  /**
   * The data actions each role assignment grants that nothing used while the twin ran: the candidates to
   * narrow (least privilege measured by execution). One line per assignment, `` when all were used.
   */
  unusedDataActionsReport(): string {
    const unused = this.authorizer.unusedGrants();
    const lines = unused.map((u) => `  ${u.assignment} [${u.role}] on ${u.scope.replace(/^.*\/providers\//, "")}: ${u.unusedActions.join(", ")}`);
    return (
      `twin (${this.model.stack}): granted data actions nothing used (candidates to narrow): ${unused.length} of ${this.authorizer.assignments.length} assignments\n` +
      (lines.length ? lines.join("\n") : "  none: every granted data action was used")
    );
  }

  /** The Cosmos client the twin itself uses (seeding stock in tests and `dev`): key access to the emulator. */
  adminCosmos(): CosmosClient {
    return new CosmosClient({
      endpoint: this.backends!.cosmosUrl,
      key: "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
      connectionPolicy: { enableEndpointDiscovery: false },
      agent: new Agent({ ca: this.backends!.certificate.cert }),
    });
  }

  /** The app's settings with Azure endpoints mapped to the local ones (see the module comment). */
  localSettings(app: FunctionAppModel): Record<string, string> {
    const out: Record<string, string> = {};
    const storage = this.storage!;
    for (const [name, value] of Object.entries(app.settings)) {
      let v = value;
      for (const account of this.model.storageAccounts) {
        for (const service of ["queue", "blob", "table"] as const) {
          const endpoint = account.endpoints[service];
          if (endpoint && hostOf(v) === hostOf(endpoint)) v = storage.endpointFor(service, account.name) + (new URL(v).pathname.replace(/^\/+/, "") ? `/${new URL(v).pathname.replace(/^\/+/, "")}` : "");
        }
      }
      const cosmos = this.model.cosmos;
      if (cosmos && hostOf(v) === hostOf(cosmos.endpoint)) v = `${this.cosmos!.url}/`;
      for (const topic of this.model.topics) if (v === topic.endpoint) v = this.eventGrid!.endpointFor(topic);
      if (/^BACKEND_[A-Z0-9_]+_URL$/.test(name)) v = this.payment.url;
      if (name === "NOTIFICATION_WEBHOOK_URL") v = this.webhook.url;
      if (name === "APPLICATIONINSIGHTS_CONNECTION_STRING") v = this.telemetry!.localConnectionString(v);
      out[name] = v;
    }
    return out;
  }

  async #startApp(app: FunctionAppModel, worker: string): Promise<void> {
    const bundle = this.options.bundles[app.service];
    if (!bundle) throw new Error(`no bundle for service ${app.service}: run npm run build:functions (or pass bundles)`);
    const env: Record<string, string> = {
      ...this.localSettings(app),
      ...this.identityEndpoint.bind(app.service, app.identity),
      WEBSITE_SITE_NAME: app.siteName,
      FUNCTIONS_WORKER_RUNTIME: "node",
    };
    const child = fork(worker, [], {
      execArgv: [],
      env: {
        ...env,
        PATH: process.env.PATH ?? "",
        NODE_EXTRA_CA_CERTS: this.backends!.certificate.certFile,
        TWIN_HOST_CONFIG: JSON.stringify({ service: app.service, appDirectory: bundle, retryTimeScale: this.options.retryTimeScale ?? 1, hostTimeScale: this.options.hostTimeScale ?? 1 }),
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const pipe = (stream: NodeJS.ReadableStream | null): void => {
      let buffer = "";
      stream?.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        let i: number;
        while ((i = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          if (line.trim()) this.log(app.service, line);
        }
      });
    };
    pipe(child.stdout);
    pipe(child.stderr);
    const ready = await new Promise<{ port: number; functions: { name: string; trigger: string }[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${app.service} did not start in 30 s`)), 30_000);
      child.on("message", (message: { type: string; port?: number; functions?: { name: string; trigger: string }[]; message?: string }) => {
        if (message.type === "ready") {
          clearTimeout(timer);
          resolve({ port: message.port!, functions: message.functions ?? [] });
        } else if (message.type === "failed") {
          clearTimeout(timer);
          reject(new Error(`${app.service} failed to start: ${message.message}`));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${app.service} exited with ${code} while starting`));
      });
    });
    const hostUrl = `http://127.0.0.1:${ready.port}`;
    const front = createServer((req, res) => void this.#front(app, hostUrl, req, res));
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", () => resolve()));
    this.#fronts.push(front);
    this.apps.set(app.service, { model: app, process: child, hostUrl, frontUrl: `http://127.0.0.1:${(front.address() as AddressInfo).port}`, functions: ready.functions, env });
    this.log("twin", `${app.service}: ${ready.functions.length} functions (${ready.functions.map((f) => `${f.name}:${f.trigger.replace(/Trigger$/, "")}`).join(", ")})`);
  }

  /**
   * App Service authentication in front of an app (WebAppAuthSettingsV2): outside `excludedPaths`, a request
   * needs a valid token for one of `allowedAudiences` whose `oid` is in `allowedPrincipals`; otherwise 401
   * (unauthenticatedClientAction Return401) or 403.
   * https://learn.microsoft.com/azure/app-service/configure-authentication-provider-aad#use-a-built-in-authorization-policy
   */
  async #front(app: FunctionAppModel, hostUrl: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const auth = app.auth;
    if (auth?.requireAuthentication && !auth.excludedPaths.some((p) => url.pathname.toLowerCase().startsWith(p.toLowerCase()))) {
      const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1];
      if (!token) return void res.writeHead(401, { "content-type": "text/plain" }).end(`App Service authentication: ${app.siteName} requires a token`);
      try {
        const claims = this.issuer.verify(token, auth.allowedAudiences).claims;
        if (auth.allowedPrincipals.length > 0 && !auth.allowedPrincipals.includes(claims.oid)) {
          return void res.writeHead(403, { "content-type": "text/plain" }).end(`App Service authentication: principal ${this.labelOf(claims.oid)} is not in ${app.siteName}'s allowedPrincipals`);
        }
      } catch (error) {
        return void res.writeHead(401, { "content-type": "text/plain" }).end(`App Service authentication: ${(error as Error).message}`);
      }
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
    try {
      const response = await fetch(`${hostUrl}${url.pathname}${url.search}`, { method: req.method ?? "GET", headers, ...(chunks.length && req.method !== "GET" ? { body: Buffer.concat(chunks) } : {}) });
      const out: Record<string, string> = {};
      response.headers.forEach((v, k) => {
        if (!["content-length", "transfer-encoding", "connection", "content-encoding"].includes(k)) out[k] = v;
      });
      res.writeHead(response.status, out).end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(502).end(`twin: ${app.service} host unreachable: ${(error as Error).message}`);
    }
  }

  #resolveBackend(url: string): string | undefined {
    const host = hostOf(url);
    for (const app of this.apps.values()) {
      if (host === app.model.defaultHostName.toLowerCase()) return `${app.frontUrl}${new URL(url).pathname.replace(/\/+$/, "")}`;
    }
    if (this.options.plan.resources.some((r) => r.type === "azure-native:apimanagement:Backend" && hostOf(String(r.inputs.url)) === host)) return this.payment.url;
    return undefined;
  }

  /** A user token as Entra would issue it for an API (audience `api://<client id>`), e.g. for a test customer. */
  userToken(api: "orders" | "catalog" | string, roles: readonly string[], oid = "11111111-1111-1111-1111-111111111111", extra: Record<string, unknown> = {}): string {
    const audience = (this.options.plan.outputs.apiAudiences as Record<string, string> | undefined)?.[api];
    if (!audience) throw new Error(`no API audience for ${api} in the plan's outputs (apiAudiences)`);
    return this.issuer.issue({ aud: audience, oid, roles, extra }).token;
  }

  #stopping?: Promise<void>;

  /** Stops everything the twin started; calling it again waits for the first call. */
  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  async #stop(): Promise<void> {
    await Promise.all(
      [...this.apps.values()].map(
        (a) =>
          new Promise<void>((resolve) => {
            if (a.process.exitCode !== null) return resolve();
            const t = setTimeout(() => {
              a.process.kill("SIGKILL");
              resolve();
            }, 3000);
            a.process.once("exit", () => {
              clearTimeout(t);
              resolve();
            });
            a.process.kill("SIGTERM");
          }),
      ),
    );
    await Promise.all(this.#fronts.map((f) => new Promise<void>((resolve) => { f.close(() => resolve()); f.closeAllConnections(); })));
    this.#gatewayTelemetry?.stop();
    await Promise.all([this.telemetry?.stop(), this.gateway?.stop(), this.storage?.stop(), this.cosmos?.stop(), this.eventGrid?.stop(), this.identityEndpoint.stop(), this.payment.stop(), this.webhook.stop()]);
    await this.backends?.stop();
    if (this.#worker) releaseWorker(this.#worker);
  }
}
