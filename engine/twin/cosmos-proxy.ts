/**
 * Azure Cosmos DB's data plane with Microsoft Entra authorization (the account's local auth is off in
 * the plan), in front of the Cosmos DB emulator: each request must carry `type=aad&ver=1.0&sig=<token>`
 * from the twin's issuer; its operation is mapped to the data action Cosmos checks and authorized
 * against the plan's SQL role assignments at `/dbs/<db>/colls/<container>` scope. Refusals are 403 with
 * Cosmos' wording: the principal, the action and the resource.
 * Sources: data actions per operation, https://learn.microsoft.com/azure/cosmos-db/nosql/security/reference-data-plane-actions
 * and https://learn.microsoft.com/azure/cosmos-db/nosql/security/how-to-grant-data-plane-role-based-access ;
 * REST headers (x-ms-documentdb-isquery, x-ms-documentdb-is-upsert, A-IM: Incremental feed, If-None-Match as
 * the change-feed continuation): https://learn.microsoft.com/rest/api/cosmos-db/list-documents and
 * https://learn.microsoft.com/rest/api/cosmos-db/common-cosmosdb-rest-request-headers
 *
 * The change feed: the emulator package has none, so this proxy answers change-feed reads itself
 * (after authorizing `readChangeFeed`): it reads the container and returns the documents whose `_etag`
 * changed since the continuation it handed out (latest version per item, as the change feed's
 * "latest version" mode does), 304 when nothing changed.
 *
 * Not emulated (501): transactional batch, patch, stored procedures, conflicts, offers, management
 * writes (create/delete database or container: the twin provisions from the plan).
 */
import { randomUUID } from "node:crypto";
import { request as httpsRequest, createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Certificate } from "./emulators";
import type { TwinModel } from "./model";
import type { Authorizer } from "./rbac";
import { bearerOf, type TokenIssuer } from "./tokens";

const DB = "Microsoft.DocumentDB/databaseAccounts";

export interface CosmosOperation {
  readonly action: string;
  /** `/dbs/<db>/colls/<c>` (or shorter) below the account. */
  readonly scopePath: string;
  readonly label: string;
  readonly changeFeed?: boolean;
}

export function cosmosOperation(method: string, path: string, headers: IncomingMessage["headers"]): CosmosOperation | { unsupported: string } {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const m = method.toUpperCase();
  const label = `${m} ${path}`;
  const h = (name: string): string => String(headers[name] ?? "").toLowerCase();
  const scopePath = parts.length >= 4 && parts[0] === "dbs" && parts[2] === "colls" ? `/dbs/${parts[1]}/colls/${parts[3]}` : parts[0] === "dbs" && parts[1] ? `/dbs/${parts[1]}` : "";
  if (m === "GET" && (parts.length <= 4 || parts[4] === "pkranges") && parts[4] !== "docs") {
    return { action: `${DB}/readMetadata`, scopePath, label };
  }
  if (parts[4] !== "docs") return { unsupported: `${label}: not emulated (the twin provisions databases and containers from the plan)` };
  const items = `${DB}/sqlDatabases/containers/items`;
  const docId = parts[5];
  if (!docId) {
    if (m === "POST") {
      if (h("x-ms-cosmos-is-batch-request") === "true") return { unsupported: `${label}: transactional batch is not emulated` };
      if (h("x-ms-documentdb-isquery") === "true" || String(headers["content-type"] ?? "").includes("query+json")) {
        return { action: `${DB}/sqlDatabases/containers/executeQuery`, scopePath, label };
      }
      if (h("x-ms-documentdb-is-upsert") === "true") return { action: `${items}/upsert`, scopePath, label };
      return { action: `${items}/create`, scopePath, label };
    }
    if (m === "GET") {
      if (h("a-im") === "incremental feed") return { action: `${DB}/sqlDatabases/containers/readChangeFeed`, scopePath, label, changeFeed: true };
      // ReadFeed (list items): reading items.
      return { action: `${items}/read`, scopePath, label };
    }
  } else {
    if (m === "GET") return { action: `${items}/read`, scopePath, label };
    if (m === "PUT") return { action: `${items}/replace`, scopePath, label };
    if (m === "DELETE") return { action: `${items}/delete`, scopePath, label };
    if (m === "PATCH") return { unsupported: `${label}: patch is not emulated` };
  }
  return { unsupported: `${label}: not emulated` };
}

interface Doc {
  id: string;
  _etag?: string;
  _ts?: number;
  [k: string]: unknown;
}

export interface CosmosProxyOptions {
  readonly model: TwinModel;
  readonly authorizer: Authorizer;
  readonly issuer: TokenIssuer;
  readonly upstream: string;
  readonly certificate: Certificate;
  readonly labelOf: (principalId: string) => string;
}

export class CosmosProxy {
  #server?: Server;
  url = "";
  /** Change-feed continuations: token → id → _etag already delivered. */
  readonly #feeds = new Map<string, Map<string, string>>();

  constructor(private readonly options: CosmosProxyOptions) {}

  async start(): Promise<void> {
    this.#server = createServer({ cert: this.options.certificate.cert, key: this.options.certificate.key }, (req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", () => resolve()));
    this.url = `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  #error(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { "content-type": "application/json", "x-ms-substatus": status === 403 ? "5301" : "0" });
    res.end(JSON.stringify({ code, message }));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const account = this.options.model.cosmos;
    const url = new URL(req.url ?? "/", this.url);
    if (!account) return this.#error(res, 404, "NotFound", "twin: no Cosmos DB account in the plan");
    const op = cosmosOperation(req.method ?? "GET", url.pathname, req.headers);
    if ("unsupported" in op) return this.#error(res, 501, "NotImplemented", `twin: ${op.unsupported}`);
    const token = bearerOf(req.headers.authorization);
    if (!token) return this.#error(res, 401, "Unauthorized", "twin: no Entra token (type=aad&ver=1.0&sig=...); local (key) auth is disabled on this account");
    let oid: string;
    try {
      oid = this.options.issuer.verify(token, [this.url, "https://cosmos.azure.com", account.endpoint.replace(/:443\/?$/, "")]).claims.oid;
    } catch (error) {
      return this.#error(res, 401, "Unauthorized", `twin: ${(error as Error).message}`);
    }
    const decision = this.options.authorizer.authorize({
      principalId: oid,
      principalLabel: this.options.labelOf(oid),
      action: op.action,
      resource: `${account.resourceId}${op.scopePath}`,
      operation: op.label,
    });
    if (!decision.allowed) {
      // Cosmos' own wording: "Request blocked by Auth <account> : Request is blocked because principal [<oid>] does not have required RBAC permissions to perform action [<action>] on resource [<scope>]."
      return this.#error(
        res,
        403,
        "Forbidden",
        `Request blocked by Auth ${account.name} : Request is blocked because principal [${this.options.labelOf(oid)}] does not have required RBAC permissions to perform action [${op.action}] on resource [${op.scopePath || "/"}] (${op.label}). Twin: no SQL role assignment in the plan allows it.`,
      );
    }
    if (op.changeFeed) return this.#changeFeed(url.pathname, req, res);
    this.#forward(req, res, url);
  }

  async #readAll(path: string): Promise<Doc[]> {
    const docs: Doc[] = [];
    let continuation: string | undefined;
    do {
      const { status, body, headers } = await this.#upstream("GET", path, { "x-ms-max-item-count": "1000", ...(continuation ? { "x-ms-continuation": continuation } : {}) });
      if (status !== 200) throw new Error(`emulator answered ${status} reading ${path}: ${body}`);
      docs.push(...((JSON.parse(body) as { Documents: Doc[] }).Documents ?? []));
      continuation = headers["x-ms-continuation"] as string | undefined;
    } while (continuation);
    return docs;
  }

  async #changeFeed(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const from = String(req.headers["if-none-match"] ?? "");
    let seen: Map<string, string>;
    const all = await this.#readAll(path);
    if (from === "*") {
      // Start from now: everything existing counts as delivered.
      seen = new Map(all.map((d) => [d.id, d._etag ?? ""]));
    } else if (!from) {
      seen = new Map();
    } else {
      const known = this.#feeds.get(from.replace(/"/g, ""));
      if (!known) return this.#error(res, 400, "BadRequest", `twin: unknown change-feed continuation ${from} (the twin keeps continuations in memory)`);
      seen = known;
    }
    const changed = all.filter((d) => seen.get(d.id) !== (d._etag ?? "")).sort((a, b) => (a._ts ?? 0) - (b._ts ?? 0));
    const max = Number(req.headers["x-ms-max-item-count"] ?? 100);
    const batch = changed.slice(0, max > 0 ? max : 100);
    const next = new Map(seen);
    for (const d of batch) next.set(d.id, d._etag ?? "");
    const token = randomUUID();
    // Earlier continuations stay valid: a failed batch is re-read from the same continuation.
    this.#feeds.set(token, next);
    if (batch.length === 0) {
      res.writeHead(304, { etag: `"${token}"` });
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", etag: `"${token}"`, "x-ms-item-count": String(batch.length) });
    res.end(JSON.stringify({ _rid: "", Documents: batch, _count: batch.length }));
  }

  #upstream(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: IncomingMessage["headers"] }> {
    const upstream = new URL(this.options.upstream);
    return new Promise((resolve, reject) => {
      const r = httpsRequest(
        { host: upstream.hostname, port: upstream.port, method, path, headers: { ...headers, "x-ms-version": "2020-07-15" }, ca: this.options.certificate.cert },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        },
      );
      r.on("error", reject);
      r.end();
    });
  }

  #forward(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const upstream = new URL(this.options.upstream);
    const headers = { ...req.headers, host: upstream.host };
    delete headers.authorization;
    const forward = httpsRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: `${url.pathname}${url.search}`, headers, ca: this.options.certificate.cert },
      (upstreamRes) => {
        const isAccountRead = url.pathname === "/" || url.pathname === "";
        if (!isAccountRead) {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
          return;
        }
        // The account document advertises endpoints; point them at this proxy so discovery never bypasses it.
        let body = "";
        upstreamRes.on("data", (c: Buffer) => (body += c.toString()));
        upstreamRes.on("end", () => {
          const rewritten = body.split(this.options.upstream).join(this.url).replace(/https?:\/\/(localhost|127\.0\.0\.1):\d+/g, this.url);
          const h = { ...upstreamRes.headers };
          delete h["content-length"];
          res.writeHead(upstreamRes.statusCode ?? 502, h);
          res.end(rewritten);
        });
      },
    );
    forward.on("error", (error) => this.#error(res, 502, "TwinUpstreamError", `twin: Cosmos emulator: ${error.message}`));
    req.pipe(forward);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
