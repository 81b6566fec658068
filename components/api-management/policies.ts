/**
 * API Management policies as typed builders that render well-formed XML. Every value that lands in
 * an attribute or text node is escaped here, once, so an origin, a role name or a URL can never
 * break (or inject into) a policy document.
 *
 * A rendered document also reports the policy elements it uses, so the Gateway can check them
 * against the tier before anything is deployed (see `tiers.ts`).
 */
import { TIERS, type GatewaySku } from "./tiers";

/** One XML element: name, attributes (undefined ones are omitted), children or text. */
export interface XmlElement {
  readonly name: string;
  readonly attributes?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly children?: readonly XmlElement[];
  readonly text?: string;
}

/** Escapes a value for an XML attribute or text node. */
export function escapeXml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

const NAME = /^[a-z][a-z0-9-]*$/;

/** Renders `node` with two-space indentation. */
export function renderXml(node: XmlElement, depth = 0): string {
  if (!NAME.test(node.name)) throw new Error(`invalid policy element name "${node.name}"`);
  const pad = "  ".repeat(depth);
  const attrs = Object.entries(node.attributes ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join("");
  if (node.text !== undefined) return `${pad}<${node.name}${attrs}>${escapeXml(node.text)}</${node.name}>`;
  const children = node.children ?? [];
  if (children.length === 0) return `${pad}<${node.name}${attrs} />`;
  return [`${pad}<${node.name}${attrs}>`, ...children.map((c) => renderXml(c, depth + 1)), `${pad}</${node.name}>`].join("\n");
}

/** The policy element names used in `nodes` (recursively), for the tier check. */
export function elementNames(nodes: readonly XmlElement[]): string[] {
  return nodes.flatMap((n) => [n.name, ...elementNames(n.children ?? [])]);
}

const el = (name: string, attributes?: XmlElement["attributes"], children?: readonly XmlElement[]): XmlElement => ({
  name,
  attributes,
  children,
});
const textEl = (name: string, text: string): XmlElement => ({ name, text });

/** `<base />`: runs the enclosing scope's policies at this point. */
export const base = (): XmlElement => el("base");

export interface CorsInput {
  /** Exact origins (scheme + host + port); "*" is refused by the callers in prod. */
  readonly allowedOrigins: readonly string[];
  readonly allowedMethods?: readonly string[];
  readonly allowedHeaders?: readonly string[];
  readonly exposeHeaders?: readonly string[];
  /** @default false */
  readonly allowCredentials?: boolean;
  /** Preflight cache, seconds. @default 300 */
  readonly preflightResultMaxAge?: number;
}

/** `<cors>`: answers preflights at the gateway; listed origins only. */
export function cors(input: CorsInput): XmlElement {
  if (input.allowedOrigins.length === 0) throw new Error("cors: at least one allowed origin is required");
  const list = (outer: string, inner: string, values: readonly string[]): XmlElement =>
    el(outer, undefined, values.map((v) => textEl(inner, v)));
  return el("cors", { "allow-credentials": input.allowCredentials ?? false }, [
    list("allowed-origins", "origin", input.allowedOrigins),
    el("allowed-methods", { "preflight-result-max-age": input.preflightResultMaxAge ?? 300 }, (input.allowedMethods ?? ["GET", "POST", "PUT", "PATCH", "DELETE"]).map((m) => textEl("method", m))),
    list("allowed-headers", "header", input.allowedHeaders ?? ["Authorization", "Content-Type", "Ocp-Apim-Subscription-Key", "If-Match", "Idempotency-Key"]),
    list("expose-headers", "header", input.exposeHeaders ?? ["ETag", "Location", "Retry-After"]),
  ]);
}

export interface ValidateJwtInput {
  /** Entra tenant id (GUID). */
  readonly tenantId: string;
  /** Accepted `aud` values: the API app's `api://<client id>` and its client id. */
  readonly audiences: readonly string[];
  /** App roles of which the token must carry at least one (`roles` claim, match any). */
  readonly requiredRoles?: readonly string[];
  /** @default 401 */
  readonly failedStatusCode?: 401 | 403;
  /** @default "Unauthorized" */
  readonly failedMessage?: string;
  /** Context variable that receives the validated token (type `Jwt`), for later policies. @default none */
  readonly outputTokenVariable?: string;
}

/**
 * `<validate-jwt>` against Entra ID v2 tokens of one tenant: signature (keys from the tenant's
 * OpenID configuration), expiry, issuer, audience and optionally app roles.
 *
 * Chosen over `<validate-azure-ad-token>` because that policy requires `client-application-ids`
 * (an allow-list of every calling app in the policy): here the API's service principal has
 * `appRoleAssignmentRequired`, so the allow-list lives in Entra (who holds a role) and adding a
 * client never redeploys the gateway. Both run on every tier.
 */
export function validateJwt(input: ValidateJwtInput): XmlElement {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.tenantId)) {
    throw new Error(`validate-jwt: tenantId must be a GUID, got "${input.tenantId}"`);
  }
  if (input.audiences.length === 0) throw new Error("validate-jwt: at least one audience is required");
  const authority = `https://login.microsoftonline.com/${input.tenantId}`;
  const roles = input.requiredRoles ?? [];
  return el(
    "validate-jwt",
    {
      "header-name": "Authorization",
      "failed-validation-httpcode": input.failedStatusCode ?? 401,
      "failed-validation-error-message": input.failedMessage ?? "Unauthorized",
      "require-scheme": "Bearer",
      "require-expiration-time": true,
      "require-signed-tokens": true,
      "output-token-variable-name": input.outputTokenVariable,
    },
    [
      el("openid-config", { url: `${authority}/v2.0/.well-known/openid-configuration` }),
      el("audiences", undefined, input.audiences.map((a) => textEl("audience", a))),
      el("issuers", undefined, [textEl("issuer", `${authority}/v2.0`)]),
      ...(roles.length > 0
        ? [el("required-claims", undefined, [el("claim", { name: "roles", match: "any" }, roles.map((r) => textEl("value", r)))])]
        : []),
    ],
  );
}

export interface RateLimitInput {
  readonly calls: number;
  readonly renewalPeriodSeconds: number;
}

/** `<rate-limit>` per subscription (all tiers; product scope; renewal period at most 300 s). */
export function rateLimit(input: RateLimitInput): XmlElement {
  if (input.renewalPeriodSeconds > 300) {
    throw new Error(`rate-limit: renewal period ${input.renewalPeriodSeconds} s exceeds the gateway's maximum of 300 s`);
  }
  return el("rate-limit", { calls: input.calls, "renewal-period": input.renewalPeriodSeconds });
}

/** Counter keys for the `-by-key` policies (policy expressions; fixed, never user text). */
export const COUNTER_KEYS = {
  subscription: "@(context.Subscription.Id)",
  clientIp: "@(context.Request.IpAddress)",
} as const;
export type CounterKey = keyof typeof COUNTER_KEYS;

/** `<rate-limit-by-key>` (not on Consumption). */
export function rateLimitByKey(input: RateLimitInput & { readonly key: CounterKey }): XmlElement {
  return el("rate-limit-by-key", {
    calls: input.calls,
    "renewal-period": input.renewalPeriodSeconds,
    "counter-key": COUNTER_KEYS[input.key],
  });
}

/** `<quota>` per subscription (all tiers; product scope only). */
export function quota(input: RateLimitInput): XmlElement {
  return el("quota", { calls: input.calls, "renewal-period": input.renewalPeriodSeconds });
}

/** `<quota-by-key>` (classic tiers only: refused on Consumption and v2 by `tiers.ts`). */
export function quotaByKey(input: RateLimitInput & { readonly key: CounterKey }): XmlElement {
  return el("quota-by-key", {
    calls: input.calls,
    "renewal-period": input.renewalPeriodSeconds,
    "counter-key": COUNTER_KEYS[input.key],
  });
}

/** `<set-backend-service>` to a base URL (https only) or to a Backend entity. */
export function setBackendService(target: { readonly baseUrl: string } | { readonly backendId: string }): XmlElement {
  if ("baseUrl" in target) {
    if (!/^https:\/\/[^/\s]+/.test(target.baseUrl)) throw new Error(`set-backend-service: base URL must be https, got "${target.baseUrl}"`);
    return el("set-backend-service", { "base-url": target.baseUrl });
  }
  return el("set-backend-service", { "backend-id": target.backendId });
}

/**
 * `<authentication-managed-identity>`: the gateway gets a token for `resource` with its own managed
 * identity and sends it as the bearer token, replacing the caller's (never a function key).
 */
export function authenticationManagedIdentity(input: { readonly resource: string; readonly clientId?: string }): XmlElement {
  if (input.resource.length === 0) throw new Error("authentication-managed-identity: resource is required");
  return el("authentication-managed-identity", { resource: input.resource, "client-id": input.clientId });
}

/**
 * Headers that carry the caller's *validated* identity to the back end (the services read them in
 * functions-src/shared/caller.ts; a test checks both sides use the same names). Values come from the
 * token `validate-jwt` checked (`output-token-variable-name`, Microsoft Learn *Validate JWT*), never
 * from the request: `oid`, the caller's immutable object id, and the app `roles`.
 */
export const CALLER_IDENTITY_HEADERS = { objectId: "X-Caller-Object-Id", roles: "X-Caller-Roles" } as const;

/** The context variable holding the operation's validated token. */
export const CALLER_TOKEN_VARIABLE = "validated-caller-token";

/** A policy expression: the named claim of the validated token, multiple values joined by commas. */
function validatedClaim(claim: "oid" | "roles"): string {
  // Jwt.Claims is IReadOnlyDictionary<string, string[]> (Microsoft Learn, *API Management policy
  // expressions*, Jwt type); a missing claim yields "", which the services refuse (401): fail closed.
  return `@{ string[] values; return ((Jwt)context.Variables["${CALLER_TOKEN_VARIABLE}"]).Claims.TryGetValue("${claim}", out values) ? string.Join(",", values) : ""; }`;
}

/**
 * Forwards the validated caller identity: each header is first deleted (whatever a client sent under
 * that name, in any letter case or repeated, never reaches the back end) and then set from the token.
 * Must follow a `validate-jwt` with `outputTokenVariable: CALLER_TOKEN_VARIABLE`.
 */
export function forwardCallerIdentity(): XmlElement[] {
  const forward = (name: string, claim: "oid" | "roles"): XmlElement[] => [
    el("set-header", { name, "exists-action": "delete" }),
    el("set-header", { name, "exists-action": "override" }, [textEl("value", validatedClaim(claim))]),
  ];
  return [...forward(CALLER_IDENTITY_HEADERS.objectId, "oid"), ...forward(CALLER_IDENTITY_HEADERS.roles, "roles")];
}

/**
 * `<mock-response>`: answers from the operation's own response example for `statusCode` (the gateway
 * prefers content examples, then schemas; with neither the body is empty). All tiers, Consumption
 * included (Microsoft Learn, "mock-response policy": "Gateways: classic, v2, consumption,
 * self-hosted, workspace"). The attributes take no policy expressions.
 */
export function mockResponse(input: { readonly statusCode: number; readonly contentType?: string }): XmlElement {
  if (!Number.isInteger(input.statusCode) || input.statusCode < 100 || input.statusCode > 599) {
    throw new Error(`mock-response: status code must be 100-599, got ${input.statusCode}`);
  }
  return el("mock-response", { "status-code": input.statusCode, "content-type": input.contentType });
}

/** Drops the subscription key header before the request leaves the gateway (back ends never see it). */
export const removeSubscriptionKeyHeader = (): XmlElement =>
  el("set-header", { name: "Ocp-Apim-Subscription-Key", "exists-action": "delete" });

export interface PolicySections {
  readonly inbound?: readonly XmlElement[];
  readonly backend?: readonly XmlElement[];
  readonly outbound?: readonly XmlElement[];
  readonly onError?: readonly XmlElement[];
}

/**
 * The ARM `format` of every document rendered here. `renderXml` XML-encodes attribute values and text
 * (a policy expression's `<`, `>`, `"` and `&&` become entities), so the document is an XML document:
 * `xml`. `rawxml` means "a non XML encoded policy document" (the PolicyContentFormat enum's own doc in
 * @pulumi/azure-native, from the ARM spec): APIM would compile the entities literally and refuse the
 * PUT (hashicorp/terraform-provider-azurerm#5426).
 */
export const RENDERED_POLICY_FORMAT = "xml" as const;

/** A rendered policy: the XML for ARM (`format: RENDERED_POLICY_FORMAT`) and the policy elements it uses. */
export interface PolicyDocument {
  readonly xml: string;
  readonly policies: readonly string[];
}

/**
 * A `<policies>` document. Every section starts with `<base />` (the enclosing scope's policies run
 * first) unless `withBase` is false (only for the global scope).
 */
export function policyDocument(sections: PolicySections, withBase = true): PolicyDocument {
  const section = (name: string, nodes: readonly XmlElement[] | undefined): XmlElement =>
    el(name, undefined, [...(withBase ? [base()] : []), ...(nodes ?? [])]);
  const root = el("policies", undefined, [
    section("inbound", sections.inbound),
    section("backend", sections.backend),
    section("outbound", sections.outbound),
    section("on-error", sections.onError),
  ]);
  const used = elementNames([root]).filter((n) => !STRUCTURAL.has(n));
  return { xml: renderXml(root), policies: [...new Set(used)] };
}

/** Element names that are document structure or policy children, not policies. */
const STRUCTURAL = new Set([
  "policies", "inbound", "backend", "outbound", "on-error", "base",
  "allowed-origins", "origin", "allowed-methods", "method", "allowed-headers", "header", "expose-headers",
  "openid-config", "audiences", "audience", "issuers", "issuer", "required-claims", "claim", "value",
]);

// ---- Documents the platform deploys -------------------------------------------------------------

export interface ProductLimits {
  readonly rateLimit: RateLimitInput;
  readonly quota: RateLimitInput;
  /** What the rate limit counts by. "subscription" works on every tier. */
  readonly rateLimitKey: CounterKey;
}

/**
 * The public product's policy for a tier: Consumption gets `rate-limit` (per subscription; the
 * `-by-key` form does not exist there), the v2 tiers `rate-limit-by-key`. The quota is `quota` on
 * every tier we deploy (`quota-by-key` exists only on classic tiers). A `clientIp` key on
 * Consumption yields `rate-limit-by-key`, which the tier check then refuses with a clear message.
 */
export function publicProductPolicy(sku: GatewaySku, limits: ProductLimits): PolicyDocument {
  const byKeySupported = TIERS[sku].unsupportedPolicies["rate-limit-by-key"] === undefined;
  const limit =
    !byKeySupported && limits.rateLimitKey === "subscription"
      ? rateLimit(limits.rateLimit)
      : rateLimitByKey({ ...limits.rateLimit, key: limits.rateLimitKey });
  return policyDocument({ inbound: [limit, quota(limits.quota)] });
}

export interface ApiPolicyInput {
  readonly tenantId: string;
  readonly audiences: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly backend: { readonly baseUrl: string } | { readonly backendId: string };
}

/**
 * The API-scope policy: CORS, token validation (any valid token for the API, 401 otherwise; roles
 * are checked per operation), the back end, and no subscription key upstream.
 */
export function apiPolicy(input: ApiPolicyInput): PolicyDocument {
  return policyDocument({
    inbound: [
      // CORS first so preflights (which carry no token) are answered before validation.
      ...(input.corsOrigins.length > 0 ? [cors({ allowedOrigins: input.corsOrigins })] : []),
      validateJwt({ tenantId: input.tenantId, audiences: input.audiences }),
      setBackendService(input.backend),
      removeSubscriptionKeyHeader(),
    ],
  });
}

export interface OperationPolicyInput {
  readonly tenantId: string;
  readonly audiences: readonly string[];
  /** The caller's token must carry at least one of these app roles (else 403). */
  readonly roles: readonly string[];
  /**
   * Audience of the gateway's own token for the back end (the back-end app's client id); absent =
   * the back end gets no gateway token (an external back end with its own authentication).
   */
  readonly backendTokenResource?: string;
}

/** The operation policy of a mocked back end: the operation's example for `statusCode`, as JSON. */
export function mockOperationPolicy(statusCode: number): PolicyDocument {
  return policyDocument({ inbound: [mockResponse({ statusCode, contentType: "application/json" })] });
}

/**
 * The operation-scope policy. After `<base />` (CORS, 401 validation, back end) it checks the
 * operation's roles (403) and only then swaps the caller's token for the gateway's managed identity
 * token. The swap lives here, after the role check, because both read the `Authorization` header:
 * an operation without this policy reaches the back end with the caller's token, which the back end
 * (accepting only the gateway's identity) rejects: it fails closed. Between the two it forwards the
 * caller's validated `oid` and `roles` ({@link forwardCallerIdentity}) for object-level checks.
 */
export function operationPolicy(input: OperationPolicyInput): PolicyDocument {
  if (input.roles.length === 0) throw new Error("operation policy: at least one role is required");
  return policyDocument({
    inbound: [
      validateJwt({
        tenantId: input.tenantId,
        audiences: input.audiences,
        requiredRoles: input.roles,
        failedStatusCode: 403,
        failedMessage: "Forbidden: the token lacks a role this operation requires",
        outputTokenVariable: CALLER_TOKEN_VARIABLE,
      }),
      // Before the token swap: the back end sees the gateway's token, and the caller only as vouched here.
      ...forwardCallerIdentity(),
      ...(input.backendTokenResource ? [authenticationManagedIdentity({ resource: input.backendTokenResource })] : []),
    ],
  });
}
