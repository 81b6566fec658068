/**
 * The managed-identity endpoint of each app, following the App Service contract the SDKs inside the
 * bundles speak (MSAL's `AppService` source, used by @azure/identity's ManagedIdentityCredential):
 * the process gets `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`; a token is `GET <endpoint>?api-version=2019-08-01
 * &resource=<aud>&client_id=<id>` with header `X-IDENTITY-HEADER: <secret>`, answered with
 * `{ access_token, expires_on, resource, token_type, client_id }`.
 * Source: https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference
 * and @azure/msal-node `ManagedIdentitySources/AppService`.
 *
 * Each app has its own secret header and may obtain tokens only for the identity the plan attaches to it
 * (a `client_id` of another identity is refused with 400, as App Service does for an identity not
 * assigned to the site). Tokens carry the identity's principal id (`oid`) from the plan.
 *
 * Not emulated: system-assigned identities of apps, `object_id`/`mi_res_id` selectors (refused), token caching
 * semantics of the platform.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ManagedIdentity } from "./model";
import type { TokenIssuer } from "./tokens";

/** `https://storage.azure.com/.default` → `https://storage.azure.com` (App Service takes a resource, not a scope). */
export function resourceOf(scopeOrResource: string): string {
  return scopeOrResource.replace(/\/\.default$/, "");
}

export interface IdentityBinding {
  /** Who asks (for messages). */
  readonly label: string;
  readonly identity: ManagedIdentity;
  readonly secret: string;
}

export class ManagedIdentityEndpoint {
  readonly #bindings = new Map<string, IdentityBinding>();
  #server?: Server;
  #url = "";
  /** Tokens issued, by identity name (for the report). */
  readonly issued = new Map<string, number>();

  constructor(private readonly issuer: TokenIssuer) {}

  async start(): Promise<void> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", () => resolve()));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The environment an app process gets: its own endpoint path and secret. */
  bind(label: string, identity: ManagedIdentity): { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string } {
    const secret = randomBytes(16).toString("hex");
    this.#bindings.set(secret, { label, identity, secret });
    return { IDENTITY_ENDPOINT: `${this.#url}/msi/token`, IDENTITY_HEADER: secret };
  }

  /** A token for a bound identity, for the twin's own callers (Event Grid delivery, the gateway). */
  tokenFor(identity: { principalId: string; clientId?: string }, resource: string): string {
    return this.issuer.issue({ aud: resourceOf(resource), oid: identity.principalId, ...(identity.clientId ? { extra: { appid: identity.clientId } } : {}) }).token;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.#url);
    const fail = (status: number, error: string, description: string): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error, error_description: description }));
    };
    if (req.method !== "GET" || url.pathname !== "/msi/token") return fail(404, "not_found", `no such endpoint ${url.pathname}`);
    const secret = req.headers["x-identity-header"];
    const binding = typeof secret === "string" ? this.#bindings.get(secret) : undefined;
    if (!binding) return fail(401, "unauthorized", "X-IDENTITY-HEADER is missing or not this site's");
    const resource = url.searchParams.get("resource");
    if (!resource) return fail(400, "invalid_request", "resource is required");
    for (const selector of ["object_id", "principal_id", "mi_res_id", "msi_res_id"]) {
      if (url.searchParams.has(selector)) return fail(400, "invalid_request", `the twin does not emulate the ${selector} selector; use client_id`);
    }
    const clientId = url.searchParams.get("client_id");
    if (clientId && clientId.toLowerCase() !== binding.identity.clientId.toLowerCase()) {
      return fail(
        400,
        "invalid_request",
        `${binding.label}: no user-assigned identity with client id ${clientId} is assigned to this app (it has ${binding.identity.name}, ${binding.identity.clientId})`,
      );
    }
    const { token, expiresOn } = this.issuer.issue({
      aud: resourceOf(resource),
      oid: binding.identity.principalId,
      extra: { appid: binding.identity.clientId, idtyp: "app" },
    });
    this.issued.set(binding.identity.name, (this.issued.get(binding.identity.name) ?? 0) + 1);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        access_token: token,
        expires_on: String(expiresOn),
        resource: resourceOf(resource),
        token_type: "Bearer",
        client_id: binding.identity.clientId,
      }),
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
