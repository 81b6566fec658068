/**
 * Azure Storage's data plane with Microsoft Entra authorization, in front of Azurite: every request must
 * carry a bearer token from the twin's issuer for `https://storage.azure.com` (the audience Storage
 * accepts), its REST operation is mapped to the data action Azure checks, and the Authorizer decides
 * against the plan's role assignments at the queue / container scope. Refusals are 403
 * `AuthorizationPermissionMismatch` in Storage's XML error shape. Allowed requests are forwarded to
 * Azurite signed with an account SAS the apps never see.
 *
 * Operation → data action: https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory#permissions-for-calling-data-operations
 * (Put Message: messages/add/action or messages/write; Get Messages: messages/process/action or
 * (delete and read); Peek: messages/read; Delete Message: process/action or delete; Update Message: messages/write;
 * Put Blob: blobs/write or blobs/add/action for a new blob; Get Blob: blobs/read; Query Entities: entities/read;
 * Insert Entity: entities/write or add/action; Insert Or Replace/Merge: entities/write or (add/action and
 * update/action); Update/Merge Entity: entities/write or update/action; Delete Entity: entities/delete).
 * Error shape: https://learn.microsoft.com/rest/api/storageservices/status-and-error-codes2
 *
 * Table errors are OData JSON (`odata.error`): https://learn.microsoft.com/rest/api/storageservices/table-service-error-codes
 *
 * URLs are path-style (`/<account>/<queue>/messages`, as for Azurite and IP endpoints); the twin maps
 * each `https://<account>.<service>.core.windows.net` setting to `<proxy>/<account>`.
 * Not emulated (refused with 501): queue/container/table management (create/delete/ACL: the twin
 * provisions from the plan and the runtimes' fixed names), entity group transactions ($batch), shared
 * key / SAS from apps, user delegation keys.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  StorageSharedKeyCredential,
  generateAccountSASQueryParameters,
} from "@azure/storage-queue";
import type { Certificate } from "./emulators";
import type { TwinModel } from "./model";
import type { Authorizer } from "./rbac";
import { bearerOf, type TokenIssuer } from "./tokens";

const STORAGE = "Microsoft.Storage/storageAccounts";
/** Storage's audience for Entra tokens (resource `https://storage.azure.com/`). */
export const STORAGE_AUDIENCES = ["https://storage.azure.com", "https://storage.azure.com/"];

/** The storage services the twin emulates (Azure Files is not used by the platform). */
export type StorageService = "queue" | "blob" | "table";

export interface StorageOperation {
  readonly service: StorageService;
  readonly account: string;
  /** Queue, container or table name. */
  readonly entity: string;
  /** Each alternative is a set of actions that together allow the operation (Azure's "or"). */
  readonly anyOf: readonly (readonly string[])[];
  readonly label: string;
}

/** Maps a path-style request to the operation and the data actions Azure requires for it. */
export function storageOperation(service: StorageService, method: string, url: URL, headers: Readonly<Record<string, string | string[] | undefined>> = {}): StorageOperation | { unsupported: string } {
  if (service === "table") return tableOperation(method, url, headers);
  const [account, entity, sub, ...rest] = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const comp = url.searchParams.get("comp");
  const label = `${method} ${url.pathname}${comp ? `?comp=${comp}` : ""}`;
  if (!account || !entity) return { unsupported: `${label}: account-level operations are not emulated` };
  if (service === "queue") {
    const q = `${STORAGE}/queueServices/queues`;
    if (sub === "messages") {
      const messageId = rest[0];
      const m = method.toUpperCase();
      if (m === "POST" && !messageId) return { service, account, entity, label, anyOf: [[`${q}/messages/add/action`], [`${q}/messages/write`]] };
      if (m === "GET" && url.searchParams.get("peekonly") === "true") return { service, account, entity, label, anyOf: [[`${q}/messages/read`]] };
      if (m === "GET") return { service, account, entity, label, anyOf: [[`${q}/messages/process/action`], [`${q}/messages/delete`, `${q}/messages/read`]] };
      if (m === "DELETE" && messageId) return { service, account, entity, label, anyOf: [[`${q}/messages/process/action`], [`${q}/messages/delete`]] };
      if (m === "DELETE") return { service, account, entity, label, anyOf: [[`${q}/messages/delete`]] };
      if (m === "PUT" && messageId) return { service, account, entity, label, anyOf: [[`${q}/messages/write`]] };
    }
    if (!sub && method === "GET" && comp === "metadata") return { service, account, entity, label, anyOf: [[`${q}/read`]] };
    return { unsupported: `${label}: queue management is not emulated (the twin provisions queues from the plan)` };
  }
  const b = `${STORAGE}/blobServices/containers/blobs`;
  if (!sub) return { unsupported: `${label}: container operations are not emulated (the twin provisions containers from the plan)` };
  const m = method.toUpperCase();
  if (m === "PUT") return { service, account, entity, label, anyOf: [[`${b}/write`], [`${b}/add/action`]] };
  if (m === "GET" || m === "HEAD") return { service, account, entity, label, anyOf: [[`${b}/read`]] };
  if (m === "DELETE") return { service, account, entity, label, anyOf: [[`${b}/delete`]] };
  return { unsupported: `${label}: not emulated` };
}

/** Table entity operations (`/<account>/<table>` or `/<account>/<table>(PartitionKey='…',RowKey='…')`). */
function tableOperation(method: string, url: URL, headers: Readonly<Record<string, string | string[] | undefined>>): StorageOperation | { unsupported: string } {
  const service = "table";
  const [account, segment, ...extra] = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const label = `${method} ${url.pathname}`;
  if (!account || !segment) return { unsupported: `${label}: account-level operations are not emulated` };
  const entity = segment.replace(/\(.*\)$/, "");
  const keyed = /\(.+\)$/.test(segment);
  if (extra.length > 0 || entity === "$batch") return { unsupported: `${label}: not emulated` };
  if (entity.toLowerCase() === "tables") return { unsupported: `${label}: table management is not emulated (the twin provisions tables)` };
  const e = `${STORAGE}/tableServices/tables/entities`;
  const tunnelled = headers["x-http-method"];
  const m = (method.toUpperCase() === "POST" && typeof tunnelled === "string" ? tunnelled : method).toUpperCase();
  const conditional = headers["if-match"] !== undefined;
  if (m === "GET") return { service, account, entity, label, anyOf: [[`${e}/read`]] };
  if (m === "POST" && !keyed) return { service, account, entity, label, anyOf: [[`${e}/write`], [`${e}/add/action`]] };
  if ((m === "PUT" || m === "MERGE") && keyed) {
    // With If-Match it is Update/Merge Entity; without, Insert Or Replace/Merge (an upsert).
    return conditional
      ? { service, account, entity, label, anyOf: [[`${e}/write`], [`${e}/update/action`]] }
      : { service, account, entity, label, anyOf: [[`${e}/write`], [`${e}/add/action`, `${e}/update/action`]] };
  }
  if (m === "DELETE" && keyed) return { service, account, entity, label, anyOf: [[`${e}/delete`]] };
  return { unsupported: `${label}: not emulated` };
}

function storageError(res: ServerResponse, status: number, code: string, message: string, service: StorageService = "queue"): void {
  if (service === "table") {
    res.writeHead(status, { "content-type": "application/json;odata=minimalmetadata", "x-ms-error-code": code });
    res.end(JSON.stringify({ "odata.error": { code, message: { lang: "en-US", value: message } } }));
    return;
  }
  res.writeHead(status, { "content-type": "application/xml", "x-ms-error-code": code });
  const escaped = message.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${escaped}</Message></Error>`);
}

export interface StorageProxyOptions {
  readonly model: TwinModel;
  readonly authorizer: Authorizer;
  readonly issuer: TokenIssuer;
  readonly upstream: Readonly<Record<StorageService, string>>;
  readonly accountKeys: ReadonlyMap<string, string>;
  /** HTTPS is required: the SDKs refuse to send bearer tokens over plain http. */
  readonly certificate: Certificate;
  /** Principal id → label, for messages. */
  readonly labelOf: (principalId: string) => string;
  /** Called when a message was put on a queue through the proxy (Azurite answered 201). */
  readonly onQueueMessage?: (account: string, queue: string) => void;
}

/** One proxy per service (queue, blob, table); `url` is what replaces `https://<account>.<service>.core.windows.net`. */
export class StorageProxy {
  #servers: Server[] = [];
  readonly urls: Record<StorageService, string> = { queue: "", blob: "", table: "" };
  readonly #sas = new Map<string, string>();

  constructor(private readonly options: StorageProxyOptions) {
    const expiresOn = new Date(Date.now() + 2 * 24 * 3600_000);
    for (const [account, key] of options.accountKeys) {
      this.#sas.set(
        account,
        generateAccountSASQueryParameters(
          {
            expiresOn,
            permissions: AccountSASPermissions.parse("rwdlacup"),
            resourceTypes: AccountSASResourceTypes.parse("sco").toString(),
            services: AccountSASServices.parse("bqt").toString(),
          },
          new StorageSharedKeyCredential(account, key),
        ).toString(),
      );
    }
  }

  async start(): Promise<void> {
    for (const service of ["queue", "blob", "table"] as const) {
      const server = createServer({ cert: this.options.certificate.cert, key: this.options.certificate.key }, (req, res) => void this.#handle(service, req, res));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
      this.urls[service] = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      this.#servers.push(server);
    }
  }

  /** The local URL for an account's service endpoint. */
  endpointFor(service: StorageService, account: string): string {
    return `${this.urls[service]}/${account}`;
  }

  /** A request as the twin itself (provisioning): signed with the account SAS, no authorization. */
  adminUrl(service: StorageService, path: string): string {
    const account = path.split("/").filter(Boolean)[0]!;
    const upstream = this.options.upstream[service];
    return `${upstream}${path}${path.includes("?") ? "&" : "?"}${this.#sas.get(account) ?? ""}`;
  }

  async #handle(service: StorageService, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const op = storageOperation(service, req.method ?? "GET", url, req.headers);
    if ("unsupported" in op) return storageError(res, 501, "NotImplemented", `twin: ${op.unsupported}`, service);
    const account = this.options.model.storageAccounts.find((a) => a.name === op.account);
    if (!account || !this.#sas.has(op.account)) return storageError(res, 404, "ResourceNotFound", `twin: no storage account ${op.account} in the plan`, service);
    const token = bearerOf(req.headers.authorization);
    if (!token) {
      return storageError(res, 401, "NoAuthenticationInformation", `twin: ${op.label} carries no bearer token (keys and SAS are not used by this platform)`, service);
    }
    let oid: string;
    try {
      oid = this.options.issuer.verify(token, STORAGE_AUDIENCES).claims.oid;
    } catch (error) {
      return storageError(res, 401, "InvalidAuthenticationInfo", `twin: ${(error as Error).message}`, service);
    }
    const resource = `${account.resourceId}/${service}Services/default/${{ queue: "queues", blob: "containers", table: "tables" }[service]}/${op.entity}`;
    const decision = this.options.authorizer.authorizeAny(
      { principalId: oid, principalLabel: this.options.labelOf(oid), resource, operation: op.label },
      op.anyOf,
    );
    if (!decision.allowed) return storageError(res, 403, "AuthorizationPermissionMismatch", decision.message + this.#missingEntityHint(service, op.account, op.entity), service);
    const put = service === "queue" && req.method === "POST" && /\/messages\/?$/.test(url.pathname);
    await this.#forward(service, req, res, url, op.account, put ? () => this.options.onQueueMessage?.(op.account, op.entity) : undefined);
  }

  /**
   * Azure authorizes before it looks the queue or container up, so a name nobody created is refused with 403
   * like a missing grant; the twin knows the plan and says when the name itself is the problem.
   */
  #missingEntityHint(service: StorageService, account: string, entity: string): string {
    if (service === "table") return "";
    const planned = service === "queue" ? this.options.model.queues : this.options.model.blobContainers;
    const inAccount = planned.filter((x) => x.account === account).map((x) => x.name);
    // An account where the plan declares none of this kind is host storage: its names are the runtime's.
    if (inAccount.length === 0 || inAccount.includes(entity) || (service === "blob" && entity === "azure-webjobs-hosts")) return "";
    return ` Twin: the plan creates no ${service === "queue" ? "queue" : "container"} "${entity}" in ${account} (it has: ${inAccount.join(", ") || "none"}): the name the code uses and the name the infrastructure creates disagree.`;
  }

  async #forward(service: StorageService, req: IncomingMessage, res: ServerResponse, url: URL, account: string, onCreated?: () => void): Promise<void> {
    const upstream = new URL(this.options.upstream[service]);
    const query = new URLSearchParams(url.search);
    for (const [k, v] of new URLSearchParams(this.#sas.get(account))) query.set(k, v);
    const headers = { ...req.headers };
    delete headers.authorization;
    headers.host = upstream.host;
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: `${url.pathname}?${query.toString()}`, headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
        if (upstreamRes.statusCode === 201) onCreated?.();
      },
    );
    forward.on("error", (error) => storageError(res, 502, "TwinUpstreamError", `twin: Azurite: ${error.message}`, service));
    req.pipe(forward);
  }

  async stop(): Promise<void> {
    await Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); })));
  }
}
