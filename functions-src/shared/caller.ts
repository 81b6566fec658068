/**
 * Who is calling, and what they may touch: object-level authorization for every HTTP service
 * (OWASP API Security Top 10, API1:2023 Broken Object Level Authorization). See docs/GATEWAY.md,
 * "Caller identity and per-customer authorization", for the end-to-end design.
 *
 * - The gateway validates the caller's Entra ID token and forwards the *validated* claims in the
 *   headers below, deleting any a client sent (components/api-management/policies.ts,
 *   `forwardCallerIdentity`). The app is reachable only by the gateway (App Service authentication
 *   admits the gateway's managed identity alone), so these headers are the gateway's word.
 * - The caller's customer is the token's `oid`: "the immutable identifier for the requestor … can be
 *   used to perform authorization checks safely and as a key in database tables", the same for the
 *   principal across applications, unlike the pairwise `sub` (Microsoft Learn, *Access token claims
 *   reference*, https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
 *   Issuer validation pins the tenant, so `oid` alone is unique.
 * - Operation roles (`Orders.Read`, `Orders.Write`) say *what* a caller may do; a separate role (e.g.
 *   `Orders.Support`) says they may do it for *any* customer. Without it, another customer's data is
 *   answered as if it did not exist (404), so a probe learns nothing.
 *
 * Every HTTP function is registered through {@link registerHttp}, which refuses a handler that does
 * not declare its access (`secured(role, …)` or `anonymous(…)`): a new service inherits the checks.
 */
import { type HttpFunctionOptions, type HttpHandler, type HttpRequest, type HttpResponseInit, type InvocationContext, app } from "@azure/functions";
import { withProblems } from "./http";
import { ProblemError } from "./problem";

/**
 * Headers the gateway sets from the validated token (lower-case: Node's Headers are case-insensitive).
 * The gateway's policy uses the same names; test/components/api-management/policies.test.ts checks it.
 */
export const CALLER_HEADERS = {
  /** The token's `oid`. */
  objectId: "x-caller-object-id",
  /** The token's `roles`, comma-separated (role values cannot contain commas). */
  roles: "x-caller-roles",
} as const;

export interface Caller {
  /** The caller's Entra object id (`oid`); a customer's own orders carry it as `customerId`. */
  readonly id: string;
  readonly roles: ReadonlySet<string>;
}

/** An `oid` is a GUID; the customer-id alphabet (letters, digits, `_`, `-`) is accepted, nothing else. */
const OBJECT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** App role values as the gateway component accepts them. */
const ROLE = /^[A-Za-z][A-Za-z0-9._-]{0,119}$/;

const NO_IDENTITY =
  "the request carries no caller identity from the gateway; call this API through the API gateway with an Entra ID token";

/** The caller as the gateway vouched for it; 401 when the headers are missing or malformed (fails closed). */
export function callerOf(request: HttpRequest): Caller {
  const id = request.headers.get(CALLER_HEADERS.objectId)?.trim() ?? "";
  if (!OBJECT_ID.test(id)) throw new ProblemError("unauthenticated", NO_IDENTITY);
  const roles = (request.headers.get(CALLER_HEADERS.roles) ?? "")
    .split(",")
    .map((role) => role.trim())
    .filter((role) => role.length > 0);
  if (roles.some((role) => !ROLE.test(role))) throw new ProblemError("unauthenticated", NO_IDENTITY);
  return { id, roles: new Set(roles) };
}

/** 403 unless the caller holds `role` (the gateway checked it too: this is the app's own check). */
export function requireRole(caller: Caller, role: string): void {
  if (!caller.roles.has(role)) throw new ProblemError("forbidden", `this operation requires the ${role} app role`);
}

/** True when the caller may act for `customerId`: it is the caller, or the caller holds `anyCustomerRole`. */
export function mayActFor(caller: Caller, customerId: string, anyCustomerRole: string): boolean {
  return caller.id === customerId || caller.roles.has(anyCustomerRole);
}

/** A handler that runs only for an identified caller holding the operation's role. */
export type CallerHandler = (request: HttpRequest, context: InvocationContext, caller: Caller) => Promise<HttpResponseInit>;

/** What an HTTP function declares about who may call it. */
export type HttpAccess = { readonly kind: "secured"; readonly role: string } | { readonly kind: "anonymous" };

const ACCESS = Symbol("httpAccess");
type Declared = HttpHandler & { readonly [ACCESS]?: HttpAccess };

/** A new function (never the caller's, which may be declared elsewhere too) carrying `access`. */
function declare(handler: HttpHandler, access: HttpAccess): HttpHandler {
  const declared: HttpHandler = (request, context) => handler(request, context);
  return Object.assign(declared, { [ACCESS]: access });
}

/** The access a handler declared, if any. */
export function accessOf(handler: HttpHandler): HttpAccess | undefined {
  return (handler as Declared)[ACCESS];
}

/**
 * The handler behind identity (401), the role check (403) and problem responses for anything thrown.
 * Object-level checks (whose order is it?) are the handler's, with the `caller` it receives.
 */
export function secured(role: string, handler: CallerHandler): HttpHandler {
  if (!ROLE.test(role)) throw new Error(`secured: "${role}" is not an app role value`);
  return declare(
    withProblems(async (request, context) => {
      const caller = callerOf(request);
      requireRole(caller, role);
      return handler(request, context, caller);
    }),
    { kind: "secured", role },
  );
}

/** A handler anyone may call (the liveness probe): said out loud, so it is never anonymous by omission. */
export function anonymous(handler: HttpHandler): HttpHandler {
  return declare(handler, { kind: "anonymous" });
}

/**
 * A handler whose code loads on its first call, declaring `access` now: registerHttp checks the
 * declaration at start-up, and the module behind it (zod, the schemas, the service's handlers) is then
 * neither parsed nor run while the host waits for the app's registrations (a cold start). The loaded
 * handler enforces its own declaration; one that differs from `access` fails closed on every call.
 */
export function deferredHttp(access: HttpAccess, load: () => Promise<HttpHandler>): HttpHandler {
  return declare(async (request, context) => {
    const handler = await load();
    const loaded = accessOf(handler);
    if (loaded?.kind !== access.kind || (loaded.kind === "secured" && access.kind === "secured" && loaded.role !== access.role)) {
      throw new Error(`the handler loaded for ${request.method} ${new URL(request.url).pathname} declares ${JSON.stringify(loaded)}, registered as ${JSON.stringify(access)}`);
    }
    return handler(request, context);
  }, access);
}

/**
 * `app.http` for the services: refuses (at start-up, so the host never serves it) a handler that
 * declares no access, or a role the service's manifest does not define.
 */
export function registerHttp(
  declaredRoles: readonly { readonly value: string }[],
  name: string,
  options: HttpFunctionOptions & { readonly handler: HttpHandler },
): void {
  const access = accessOf(options.handler);
  if (access === undefined) {
    throw new Error(`HTTP function "${name}" declares no access: wrap its handler in secured(role, …) or anonymous(…) (functions-src/shared/caller.ts)`);
  }
  if (access.kind === "secured" && !declaredRoles.some((r) => r.value === access.role)) {
    throw new Error(`HTTP function "${name}" requires role ${access.role}, which the manifest's http.roles do not define (${declaredRoles.map((r) => r.value).join(", ")})`);
  }
  app.http(name, options);
}
