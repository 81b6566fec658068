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
 * Put Blob: blobs/write or blobs/add/action for a new blob; Get Blob: blobs/read).
 * Error shape: https://learn.microsoft.com/rest/api/storageservices/status-and-error-codes2
 *
 * URLs are path-style (`/<account>/<queue>/messages`, as for Azurite and IP endpoints); the twin maps
 * each `https://<account>.queue.core.windows.net` setting to `<proxy>/<account>`.
 * Not emulated (refused with 501): table service, queue/container management (create/delete/ACL:
 * the twin provisions from the plan), shared key / SAS from apps, user delegation keys.
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

export interface StorageOperation {
  readonly service: "queue" | "blob";
  readonly account: string;
  /** Queue or container name. */
  readonly entity: string;
  /** Each alternative is a set of actions that together allow the operation (Azure's "or"). */
  readonly anyOf: readonly (readonly string[])[];
  readonly label: string;
}

/** Maps a path-style request to the operation and the data actions Azure requires for it. */
export function storageOperation(service: "queue" | "blob", method: string, url: URL): StorageOperation | { unsupported: string } {
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

function storageError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { "content-type": "application/xml", "x-ms-error-code": code });
  const escaped = message.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${escaped}</Message></Error>`);
}

export interface StorageProxyOptions {
  readonly model: TwinModel;
  readonly authorizer: Authorizer;
  readonly issuer: TokenIssuer;
  readonly upstream: { readonly queue: string; readonly blob: string };
  readonly accountKeys: ReadonlyMap<string, string>;
  /** HTTPS is required: the SDKs refuse to send bearer tokens over plain http. */
  readonly certificate: Certificate;
  /** Principal id → label, for messages. */
  readonly labelOf: (principalId: string) => string;
}

/** One proxy per service (queue, blob); `url` is what replaces `https://<account>.<service>.core.windows.net`. */
export class StorageProxy {
  #servers: Server[] = [];
  readonly urls: Record<"queue" | "blob", string> = { queue: "", blob: "" };
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
            services: AccountSASServices.parse("bq").toString(),
          },
          new StorageSharedKeyCredential(account, key),
        ).toString(),
      );
    }
  }

  async start(): Promise<void> {
    for (const service of ["queue", "blob"] as const) {
      const server = createServer({ cert: this.options.certificate.cert, key: this.options.certificate.key }, (req, res) => void this.#handle(service, req, res));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
      this.urls[service] = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      this.#servers.push(server);
    }
  }

  /** The local URL for an account's service endpoint. */
  endpointFor(service: "queue" | "blob", account: string): string {
    return `${this.urls[service]}/${account}`;
  }

  /** A request as the twin itself (provisioning): signed with the account SAS, no authorization. */
  adminUrl(service: "queue" | "blob", path: string): string {
    const account = path.split("/").filter(Boolean)[0]!;
    const upstream = service === "queue" ? this.options.upstream.queue : this.options.upstream.blob;
    return `${upstream}${path}${path.includes("?") ? "&" : "?"}${this.#sas.get(account) ?? ""}`;
  }

  async #handle(service: "queue" | "blob", req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const op = storageOperation(service, req.method ?? "GET", url);
    if ("unsupported" in op) return storageError(res, 501, "NotImplemented", `twin: ${op.unsupported}`);
    const account = this.options.model.storageAccounts.find((a) => a.name === op.account);
    if (!account || !this.#sas.has(op.account)) return storageError(res, 404, "ResourceNotFound", `twin: no storage account ${op.account} in the plan`);
    const token = bearerOf(req.headers.authorization);
    if (!token) {
      return storageError(res, 401, "NoAuthenticationInformation", `twin: ${op.label} carries no bearer token (keys and SAS are not used by this platform)`);
    }
    let oid: string;
    try {
      oid = this.options.issuer.verify(token, STORAGE_AUDIENCES).claims.oid;
    } catch (error) {
      return storageError(res, 401, "InvalidAuthenticationInfo", `twin: ${(error as Error).message}`);
    }
    const resource =
      service === "queue"
        ? `${account.resourceId}/queueServices/default/queues/${op.entity}`
        : `${account.resourceId}/blobServices/default/containers/${op.entity}`;
    const decision = this.options.authorizer.authorizeAny(
      { principalId: oid, principalLabel: this.options.labelOf(oid), resource, operation: op.label },
      op.anyOf,
    );
    if (!decision.allowed) return storageError(res, 403, "AuthorizationPermissionMismatch", decision.message + this.#missingEntityHint(service, op.account, op.entity));
    await this.#forward(service, req, res, url, op.account);
  }

  /**
   * Azure authorizes before it looks the queue or container up, so a name nobody created is refused with 403
   * like a missing grant; the twin knows the plan and says when the name itself is the problem.
   */
  #missingEntityHint(service: "queue" | "blob", account: string, entity: string): string {
    const planned = service === "queue" ? this.options.model.queues : this.options.model.blobContainers;
    const inAccount = planned.filter((x) => x.account === account).map((x) => x.name);
    // An account where the plan declares none of this kind is host storage: its names are the runtime's.
    if (inAccount.length === 0 || inAccount.includes(entity) || (service === "blob" && entity === "azure-webjobs-hosts")) return "";
    return ` Twin: the plan creates no ${service === "queue" ? "queue" : "container"} "${entity}" in ${account} (it has: ${inAccount.join(", ") || "none"}): the name the code uses and the name the infrastructure creates disagree.`;
  }

  async #forward(service: "queue" | "blob", req: IncomingMessage, res: ServerResponse, url: URL, account: string): Promise<void> {
    const upstream = new URL(service === "queue" ? this.options.upstream.queue : this.options.upstream.blob);
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
      },
    );
    forward.on("error", (error) => storageError(res, 502, "TwinUpstreamError", `twin: Azurite: ${error.message}`));
    req.pipe(forward);
  }

  async stop(): Promise<void> {
    await Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); })));
  }
}
