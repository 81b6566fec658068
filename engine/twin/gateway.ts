/**
 * API Management's gateway, interpreting only the policy documents the platform generates
 * (components/api-management/policies.ts): routing `/<api path>/<version>/<operation url template>`
 * (version set scheme `Segment`), subscription keys (`Ocp-Apim-Subscription-Key` or `subscription-key`),
 * and the policy scopes product → API → operation joined at `<base />`, with these elements:
 * `cors`, `validate-jwt` (scheme, audiences, issuers or the openid-config's issuer, required `roles` claims
 * any/all, failed status and message), `set-backend-service base-url`, `set-header` (delete/override/skip),
 * `authentication-managed-identity resource` (a token from the gateway's own identity for the app),
 * `rewrite-uri`, `rate-limit` and `quota` (counted per subscription). Any other element makes the operation
 * answer 500 naming the element: the twin never pretends to run a policy it does not understand.
 * Sources: https://learn.microsoft.com/azure/api-management/api-management-policies (each policy's page:
 * validate-jwt-policy, set-backend-service-policy, authentication-managed-identity-policy, rewrite-uri-policy,
 * rate-limit-policy, quota-policy, cors-policy), https://learn.microsoft.com/azure/api-management/set-edit-policies#use-base-element
 * and https://learn.microsoft.com/azure/api-management/api-management-subscriptions .
 *
 * Policy expressions: only the one the platform generates to forward the validated caller's claims
 * (components/api-management/policies.ts `forwardCallerIdentity`: a claim of the token `validate-jwt` kept
 * in `output-token-variable-name`, values joined by commas, "" when absent); any other `@(...)`/`@{...}` is
 * refused. Not emulated: send-request, choose, caching, other versioning schemes.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { XMLParser } from "fast-xml-parser";
import type { GatewayApiModel, GatewayModel, GatewayOperationModel } from "./model";
import type { TokenIssuer } from "./tokens";
import { bearerOf } from "./tokens";

interface Node {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: Node[];
  readonly text: string;
}

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: "", trimValues: true, processEntities: true });

type Ordered = Record<string, unknown>[];

function toNodes(ordered: Ordered): Node[] {
  const nodes: Node[] = [];
  for (const entry of ordered) {
    const name = Object.keys(entry).find((k) => k !== ":@");
    if (!name || name === "#text") continue;
    const children = entry[name] as Ordered;
    const text = children.filter((c) => "#text" in c).map((c) => String(c["#text"])).join("");
    nodes.push({ name, attrs: (entry[":@"] ?? {}) as Record<string, string>, children: toNodes(children), text });
  }
  return nodes;
}

/** The claim-forwarding expression of `forwardCallerIdentity`, and nothing else. */
const CLAIM_EXPRESSION =
  /^@\{ string\[\] values; return \(\(Jwt\)context\.Variables\["([^"]+)"\]\)\.Claims\.TryGetValue\("([^"]+)", out values\) \? string\.Join\(",", values\) : ""; \}$/;

/** Evaluates a `set-header` value: a literal, or the claim-forwarding expression over the validated tokens. */
export function headerValue(text: string, tokens: ReadonlyMap<string, Record<string, unknown>>): string {
  if (!text.startsWith("@")) return text;
  const m = CLAIM_EXPRESSION.exec(text.trim());
  if (!m) throw new GatewayError(500, `twin gateway: policy expression ${JSON.stringify(text.slice(0, 80))} is not emulated`);
  const claims = tokens.get(m[1]!);
  if (!claims) throw new GatewayError(500, `twin gateway: context variable "${m[1]}" holds no validated token (validate-jwt output-token-variable-name)`);
  const value = claims[m[2]!];
  return value === undefined ? "" : ([] as unknown[]).concat(value).map(String).join(",");
}

/** Parses a policy document into its sections. */
export function parsePolicy(xml: string): Record<"inbound" | "backend" | "outbound" | "on-error", Node[]> {
  const root = toNodes(parser.parse(xml) as Ordered).find((n) => n.name === "policies");
  if (!root) throw new Error("policy document has no <policies> root");
  const section = (name: string): Node[] => root.children.find((c) => c.name === name)?.children ?? [{ name: "base", attrs: {}, children: [], text: "" }];
  return { inbound: section("inbound"), backend: section("backend"), outbound: section("outbound"), "on-error": section("on-error") };
}

/** Joins scopes at `<base />`: the innermost section with each `base` replaced by the enclosing scope's. */
export function effectiveSection(scopes: readonly Node[][]): Node[] {
  if (scopes.length === 0) return [];
  const [inner, ...outer] = [...scopes].reverse() as [Node[], ...Node[][]];
  const parent = effectiveSection([...outer].reverse());
  return inner.flatMap((n) => (n.name === "base" ? parent : [n]));
}

const SUPPORTED = new Set(["cors", "validate-jwt", "set-backend-service", "set-header", "authentication-managed-identity", "rewrite-uri", "rate-limit", "quota", "forward-request"]);

export interface GatewayOptions {
  readonly model: GatewayModel;
  readonly issuer: TokenIssuer;
  /** Accepted token issuers for `validate-jwt` derived from openid-config URLs (the twin's issuer stands in). */
  readonly tokenForGateway: (resource: string) => string;
  /** Maps a back-end base URL from the plan (`https://<app>.azurewebsites.net/api`) to a local URL. */
  readonly resolveBackend: (url: string) => string | undefined;
  readonly log: (message: string) => void;
  /** Called after every request (the Application Insights logger's request telemetry). */
  readonly onRequest?: (name: string, url: string, status: number, durationMs: number) => void;
}

class GatewayError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function matchTemplate(template: string, path: string): boolean {
  const pattern = template
    .split("/")
    .map((s) => (/^\{[^}]+\}$/.test(s) ? "[^/]+" : s === "*" ? ".*" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${pattern}/?$`, "i").test(path);
}

export class Gateway {
  #server?: Server;
  url = "";
  /** The one subscription key of the twin (the "public" product). */
  readonly subscriptionKey = randomBytes(16).toString("hex");
  readonly #counters = new Map<string, { start: number; count: number }>();

  constructor(private readonly options: GatewayOptions) {}

  async start(port = 0): Promise<void> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(port, "127.0.0.1", () => resolve()));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  #route(method: string, path: string): { api: GatewayApiModel; operation: GatewayOperationModel; rest: string } {
    for (const api of this.options.model.apis) {
      const prefix = `/${api.path}${api.version && api.versioningScheme === "Segment" ? `/${api.version}` : ""}`;
      if (api.versioningScheme && api.versioningScheme !== "Segment") throw new GatewayError(500, `twin gateway: versioning scheme ${api.versioningScheme} is not emulated`);
      if (path !== prefix && !path.startsWith(`${prefix}/`)) continue;
      const rest = path.slice(prefix.length) || "/";
      const operation = api.operations.find((o) => o.method === method && matchTemplate(o.urlTemplate, rest));
      if (operation) return { api, operation, rest };
      if (api.operations.some((o) => matchTemplate(o.urlTemplate, rest))) throw new GatewayError(405, `Method ${method} is not allowed for ${path}`);
    }
    throw new GatewayError(404, "Resource not found");
  }

  #count(key: string, calls: number, periodSeconds: number, status: number, what: string): void {
    const now = Date.now();
    let c = this.#counters.get(key);
    if (!c || now - c.start > periodSeconds * 1000) this.#counters.set(key, (c = { start: now, count: 0 }));
    c.count++;
    if (c.count > calls) throw new GatewayError(status, `${what} exceeded: ${calls} calls per ${periodSeconds} s`, { "retry-after": String(Math.ceil((c.start + periodSeconds * 1000 - now) / 1000)) });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? "/", this.url);
    const method = (req.method ?? "GET").toUpperCase();
    try {
      const { api, operation, rest } = this.#route(method, url.pathname);
      if (api.subscriptionRequired) {
        const key = req.headers["ocp-apim-subscription-key"] ?? url.searchParams.get("subscription-key");
        if (!key) throw new GatewayError(401, "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.");
        if (key !== this.subscriptionKey) throw new GatewayError(401, "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.");
      }
      const scopes = [...this.options.model.productPolicies, api.policy, operation.policy].filter((p): p is string => Boolean(p)).map(parsePolicy);
      const inbound = effectiveSection(scopes.map((s) => s.inbound));
      for (const section of ["backend", "outbound", "on-error"] as const) {
        for (const n of effectiveSection(scopes.map((s) => s[section]))) {
          if (n.name !== "forward-request") throw new GatewayError(500, `twin gateway: <${n.name}> in <${section}> of ${api.apiId}/${operation.operationId} is not emulated`);
        }
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      let backend = api.serviceUrl ?? "";
      let path = rest;
      const corsHeaders: Record<string, string> = {};
      const tokens = new Map<string, Record<string, unknown>>();
      for (const n of inbound) {
        if (!SUPPORTED.has(n.name)) throw new GatewayError(500, `twin gateway: policy element <${n.name}> (${api.apiId}/${operation.operationId}) is not emulated`);
        for (const [k, v] of Object.entries(n.attrs)) if (String(v).startsWith("@")) throw new GatewayError(500, `twin gateway: policy expression in <${n.name} ${k}> is not emulated`);
        switch (n.name) {
          case "cors": {
            const origin = headers.origin;
            const allowed = n.children.find((c) => c.name === "allowed-origins")?.children.map((c) => c.text) ?? [];
            if (origin && (allowed.includes("*") || allowed.includes(origin))) corsHeaders["access-control-allow-origin"] = origin;
            break;
          }
          case "validate-jwt": {
            const claims = this.#validateJwt(n, headers);
            const variable = n.attrs["output-token-variable-name"];
            if (variable) tokens.set(variable, claims);
            break;
          }
          case "set-backend-service":
            backend = n.attrs["base-url"] ?? backend;
            break;
          case "set-header": {
            const name = (n.attrs.name ?? "").toLowerCase();
            const action = n.attrs["exists-action"] ?? "override";
            if (action === "delete") delete headers[name];
            else if (action === "override" || (action === "skip" && !(name in headers))) headers[name] = n.children.map((c) => headerValue(c.text, tokens)).join(",");
            break;
          }
          case "authentication-managed-identity":
            headers.authorization = `Bearer ${this.options.tokenForGateway(n.attrs.resource ?? "")}`;
            break;
          case "rewrite-uri":
            path = n.attrs.template ?? path;
            break;
          case "rate-limit":
            this.#count(`rate:${api.apiId}`, Number(n.attrs.calls), Number(n.attrs["renewal-period"]), 429, "Rate limit");
            break;
          case "quota":
            this.#count(`quota:${api.apiId}`, Number(n.attrs.calls), Number(n.attrs["renewal-period"]), 403, "Quota");
            break;
        }
      }
      const local = this.options.resolveBackend(backend);
      if (!local) throw new GatewayError(500, `twin gateway: back end ${backend} is not part of the twin`);
      delete headers["ocp-apim-subscription-key"];
      delete headers.host;
      delete headers["content-length"];
      const body = method === "GET" || method === "HEAD" ? undefined : await new Promise<Buffer>((resolve) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks)));
      });
      const target = `${local.replace(/\/+$/, "")}${path}${url.search}`;
      const response = await fetch(target, { method, headers, ...(body ? { body } : {}) });
      const out: Record<string, string> = { ...corsHeaders };
      response.headers.forEach((v, k) => {
        if (!["content-length", "transfer-encoding", "connection", "content-encoding"].includes(k)) out[k] = v;
      });
      res.writeHead(response.status, out);
      res.end(Buffer.from(await response.arrayBuffer()));
      this.options.log(`${method} ${url.pathname} → ${api.apiId}/${operation.operationId} → ${response.status} (${Date.now() - started} ms)`);
      this.options.onRequest?.(`${method} ${api.apiId}/${operation.operationId}`, url.pathname, response.status, Date.now() - started);
    } catch (error) {
      const e = error instanceof GatewayError ? error : new GatewayError(502, `twin gateway: ${(error as Error).message}`);
      res.writeHead(e.status, { "content-type": "application/json", ...e.headers });
      res.end(JSON.stringify({ statusCode: e.status, message: e.message }));
      this.options.log(`${method} ${url.pathname} → ${e.status}: ${e.message}`);
      this.options.onRequest?.(`${method} ${url.pathname}`, url.pathname, e.status, Date.now() - started);
    }
  }

  #validateJwt(n: Node, headers: Record<string, string>): Record<string, unknown> {
    const status = Number(n.attrs["failed-validation-httpcode"] ?? 401);
    const message = n.attrs["failed-validation-error-message"] ?? "Unauthorized";
    const fail = (why: string): never => {
      throw new GatewayError(status, `${message} (${why})`);
    };
    const header = headers[(n.attrs["header-name"] ?? "Authorization").toLowerCase()];
    if (!header) fail("no token");
    if ((n.attrs["require-scheme"] ?? "") && !header!.startsWith(`${n.attrs["require-scheme"]} `)) fail(`scheme ${n.attrs["require-scheme"]} required`);
    const token = bearerOf(header) ?? header!;
    const audiences = n.children.find((c) => c.name === "audiences")?.children.map((c) => c.text);
    const issuers = n.children.find((c) => c.name === "issuers")?.children.map((c) => c.text) ?? [];
    const openid = n.children.find((c) => c.name === "openid-config")?.attrs.url;
    if (openid) issuers.push(openid.replace(/\/\.well-known\/openid-configuration$/, ""));
    let claims: Record<string, unknown>;
    try {
      claims = this.options.issuer.verify(token, audiences).claims;
    } catch (error) {
      return fail((error as Error).message);
    }
    if (issuers.length > 0 && !issuers.includes(String(claims.iss))) fail(`issuer ${String(claims.iss)} not accepted`);
    for (const claim of n.children.find((c) => c.name === "required-claims")?.children ?? []) {
      const want = claim.children.map((c) => c.text);
      const have = ([] as unknown[]).concat(claims[claim.attrs.name ?? ""] ?? []).map(String);
      const ok = (claim.attrs.match ?? "all") === "any" ? want.some((w) => have.includes(w)) : want.every((w) => have.includes(w));
      if (!ok) fail(`claim ${claim.attrs.name} must contain ${claim.attrs.match === "any" ? "one of" : "all of"} ${want.join(", ")}`);
    }
    return claims;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
