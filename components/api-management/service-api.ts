/**
 * One API in the gateway: imported from an OpenAPI 3.0 document, in a version set (`/orders/v1`),
 * linked to products, with token validation at the API scope, app roles per operation, and a back
 * end that is either a Function App (called with the gateway's managed identity token) or an
 * existing HTTP service (an `apimanagement.Backend`, with a circuit breaker where the tier has one).
 *
 * Created through `Gateway.addServiceApi` / `Gateway.addBackendApi`, which supply the gateway's
 * context (service, tier, products, CORS).
 */
import * as pulumi from "@pulumi/pulumi";
import * as apimanagement from "@pulumi/azure-native/apimanagement";
import {
  RENDERED_POLICY_FORMAT,
  type PolicyDocument,
  apiPolicy,
  mockOperationPolicy,
  operationPolicy,
} from "./policies";
import { type GatewaySku, TIERS, assertCircuitBreakerSupported, assertPoliciesSupported } from "./tiers";

/** An OpenAPI document as an object or its JSON text. */
export type OpenApiDocument = Readonly<Record<string, unknown>> | string;

/** An operation's first 2xx response. */
export interface OpenApiSuccessResponse {
  readonly status: number;
  /** Whether its `application/json` content carries an example (what a mock answers with). */
  readonly example: boolean;
}

export interface OpenApiOperation {
  readonly operationId: string;
  /** Upper-case HTTP method. */
  readonly method: string;
  readonly path: string;
  /** The first 2xx response the document declares, and whether it carries a JSON example (for mocks). */
  readonly success?: OpenApiSuccessResponse;
}

/** HTTP methods a wildcard (`/*`) operation can forward. */
export const HttpMethod = {
  GET: "GET",
  POST: "POST",
  PUT: "PUT",
  PATCH: "PATCH",
  DELETE: "DELETE",
  HEAD: "HEAD",
  OPTIONS: "OPTIONS",
} as const;
export type HttpMethod = (typeof HttpMethod)[keyof typeof HttpMethod];

/** Methods a wildcard (`/*`) operation can forward. */
export const WILDCARD_METHODS: readonly HttpMethod[] = Object.values(HttpMethod);

/**
 * One `/*` operation per method: APIM's wildcard template matches any remaining path (nested
 * segments included), unlike a `{parameter}`, which matches exactly one segment.
 */
export function wildcardOperations(methods: readonly HttpMethod[]): OpenApiOperation[] {
  return [...new Set(methods)].map((method) => ({ operationId: `any-${method.toLowerCase()}`, method, path: "/*" }));
}

/**
 * Template parameter names that say "the rest of the path": catch-all syntax of other routers
 * (`{*path}`, `{path*}`, `{proxy+}`) or the usual names of a pass-through parameter.
 */
const CATCH_ALL_SYNTAX = /^[*+]|[*+]$/;
const CATCH_ALL_NAMES = new Set(["path", "proxy", "rest", "wildcard", "catchall", "catch-all", "splat", "remainder", "subpath", "any", "all"]);

/**
 * An APIM URL template parameter matches exactly one path segment (the gateway's router; the
 * December 2026 review of this repository's hybrid API, whose `/{path}` answered 404 for every nested
 * path): a parameter written or declared to hold several segments is refused, with the way out.
 */
function oneSegmentProblems(path: string, item: Record<string, unknown>, op: Record<string, unknown>): string[] {
  const names = [...path.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!);
  if (names.length === 0) return [];
  const declared = [...(Array.isArray(item.parameters) ? item.parameters : []), ...(Array.isArray(op.parameters) ? op.parameters : [])]
    .filter((p): p is Record<string, unknown> => typeof p === "object" && p !== null && (p as Record<string, unknown>).in === "path");
  const problems: string[] = [];
  for (const name of names) {
    const decl = declared.find((d) => d.name === name);
    const pattern = (decl?.schema as { pattern?: unknown } | undefined)?.pattern;
    let slashAllowed = false;
    if (typeof pattern === "string") {
      try {
        slashAllowed = new RegExp(pattern).test("a/b");
      } catch {
        /* an invalid pattern is the importer's to report */
      }
    }
    if (CATCH_ALL_SYNTAX.test(name)) problems.push(`{${name}} uses catch-all syntax APIM does not have`);
    else if (CATCH_ALL_NAMES.has(name.toLowerCase())) problems.push(`{${name}} reads as "the rest of the path"`);
    else if (decl?.allowReserved === true) problems.push(`{${name}} has allowReserved (slashes)`);
    else if (slashAllowed) problems.push(`{${name}}'s schema pattern accepts "/"`);
  }
  return problems;
}

/** The first 2xx response of an operation and whether its JSON content has an example. */
function successOf(op: Record<string, unknown>): OpenApiOperation["success"] {
  const responses = op.responses;
  if (typeof responses !== "object" || responses === null) return undefined;
  const code = Object.keys(responses).filter((c) => /^2\d\d$/.test(c)).sort()[0];
  if (!code) return undefined;
  const content = ((responses as Record<string, { content?: Record<string, { example?: unknown; examples?: Record<string, unknown> }> }>)[code]?.content ?? {})["application/json"];
  const example = content !== undefined && (content.example !== undefined || Object.keys(content.examples ?? {}).length > 0);
  return { status: Number(code), example };
}

export interface ParsedOpenApi {
  /** The document as JSON (what the gateway imports). */
  readonly json: string;
  readonly operations: readonly OpenApiOperation[];
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;
/** Operation ids become APIM operation names: keep them to a charset ARM accepts unchanged. */
const OPERATION_ID = /^[A-Za-z][A-Za-z0-9_-]{0,79}$/;

/** A document the gateway cannot import safely; the message says which and why. */
export class OpenApiError extends Error {
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = "OpenApiError";
  }
}

/**
 * Checks that `doc` is an OpenAPI 3.0.x document whose every operation has a stable, unique
 * `operationId` (per-operation policies are keyed by it), and returns its JSON and operations.
 */
export function parseOpenApi(doc: OpenApiDocument, where: string): ParsedOpenApi {
  let value: unknown = doc;
  if (typeof doc === "string") {
    try {
      value = JSON.parse(doc);
    } catch (e) {
      throw new OpenApiError(where, `not valid JSON (${(e as Error).message})`);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new OpenApiError(where, "expected an OpenAPI document object");
  const record = value as Record<string, unknown>;
  const version = record.openapi;
  if (typeof version !== "string") {
    throw new OpenApiError(where, `expected an OpenAPI 3.0.x document ("openapi": "3.0.3"); ${"swagger" in record ? "Swagger 2.0" : "no \"openapi\" field"} found`);
  }
  if (!/^3\.0\.\d+$/.test(version)) {
    throw new OpenApiError(
      where,
      `OpenAPI ${version} is refused: the gateway imports OpenAPI 3.0.x (3.1 features such as type arrays and JSON Schema 2020-12 keywords are not supported on import); generate 3.0.3`,
    );
  }
  const paths = record.paths;
  if (typeof paths !== "object" || paths === null) throw new OpenApiError(where, 'the document has no "paths"');
  const operations: OpenApiOperation[] = [];
  const missing: string[] = [];
  const invalid: string[] = [];
  const multiSegment: string[] = [];
  for (const [path, item] of Object.entries(paths as Record<string, unknown>)) {
    if (typeof item !== "object" || item === null) continue;
    for (const method of METHODS) {
      const op = (item as Record<string, unknown>)[method];
      if (typeof op !== "object" || op === null) continue;
      const id = (op as Record<string, unknown>).operationId;
      for (const p of oneSegmentProblems(path, item as Record<string, unknown>, op as Record<string, unknown>)) multiSegment.push(`${method.toUpperCase()} ${path}: ${p}`);
      const success = successOf(op as Record<string, unknown>);
      if (typeof id !== "string" || id.length === 0) missing.push(`${method.toUpperCase()} ${path}`);
      else if (!OPERATION_ID.test(id)) invalid.push(`"${id}" (${method.toUpperCase()} ${path})`);
      else operations.push({ operationId: id, method: method.toUpperCase(), path, ...(success ? { success } : {}) });
    }
  }
  if (multiSegment.length > 0) {
    throw new OpenApiError(
      where,
      `an API Management URL template parameter matches exactly one path segment, so nested paths under it answer 404: ${multiSegment.join("; ")}. ` +
        "Declare the back end's real paths, or for a pass-through API use wildcardMethods (one \"/*\" operation per method).",
    );
  }
  if (missing.length > 0) {
    throw new OpenApiError(where, `every operation needs a stable operationId (operation policies are keyed by it); missing on ${missing.join(", ")}`);
  }
  if (invalid.length > 0) {
    throw new OpenApiError(where, `operationIds must be 1-80 letters, digits, "_" or "-", starting with a letter: ${invalid.join(", ")}`);
  }
  const seen = new Set<string>();
  const duplicates = operations.filter((o) => (seen.has(o.operationId) ? true : (seen.add(o.operationId), false)));
  if (duplicates.length > 0) {
    throw new OpenApiError(where, `duplicate operationId(s): ${[...new Set(duplicates.map((d) => d.operationId))].join(", ")}`);
  }
  if (operations.length === 0) throw new OpenApiError(where, "the document declares no operations");
  return { json: JSON.stringify(value), operations };
}

/**
 * The usual role map: reads (GET, HEAD, OPTIONS) need `read`, everything else `write`. Pass the
 * result (or your own map) as `operationRoles`.
 */
export function operationRolesByMethod(
  doc: OpenApiDocument,
  roles: { readonly read: readonly string[]; readonly write: readonly string[] },
): Record<string, string[]> {
  const { operations } = parseOpenApi(doc, "operationRolesByMethod");
  return Object.fromEntries(operations.map((o) => [o.operationId, [...(["GET", "HEAD", "OPTIONS"].includes(o.method) ? roles.read : roles.write)]]));
}

/** The gateway's products an API can join. */
export const ProductName = {
  /** Subscription key, rate limit and quota: for outside callers. */
  Public: "public",
  /** Subscription key, no rate limit: for the platform's own callers. */
  Internal: "internal",
} as const;
export type ProductName = (typeof ProductName)[keyof typeof ProductName];

/** The APIM product ids (`productId`) of the gateway's products. */
export interface ServiceApiProductIds {
  readonly public: pulumi.Input<string>;
  readonly internal: pulumi.Input<string>;
}

/** What a ServiceApi forwards to: `ServiceApiBackend.kind`. */
export const BackendKind = {
  /** A Function App, called with the gateway's managed identity token. */
  FunctionApp: "functionApp",
  /** An existing HTTP service (an `apimanagement.Backend`). */
  External: "external",
  /** No back end: the gateway answers with the document's examples. */
  Mock: "mock",
} as const;
export type BackendKind = (typeof BackendKind)[keyof typeof BackendKind];

/**
 * A ServiceApi's back end as plain data: `kind` says which, and which fields apply (checked at
 * construction). `FunctionAppBackend`, `ExternalBackend` and `MockBackend` are its TypeScript shapes.
 */
export interface ServiceApiBackend {
  readonly kind: BackendKind;
  /** `functionApp`: the app's default host name (`<app>.azurewebsites.net`). Required there. */
  readonly hostName?: pulumi.Input<string>;
  /** `functionApp`: the app's HTTP route prefix (host.json `extensions.http.routePrefix`); "" for none. Required there. */
  readonly routePrefix?: string;
  /** `functionApp`: client id of the back end's Entra app registration (the audience of the gateway's token). Required there. */
  readonly appClientId?: pulumi.Input<string>;
  /** `external`: https base URL. Required there. */
  readonly url?: string;
  /** `external`: trip a circuit after repeated 5xx/429 answers (refused on Consumption). @default true where the tier supports it */
  readonly circuitBreaker?: boolean;
  /** `external`: audience of a gateway token for the back end. @default none (the back end authenticates callers its own way) */
  readonly tokenResource?: pulumi.Input<string>;
  /** `external` and `mock`: the back end's description. @default a generated one */
  readonly description?: string;
}

/** The fields of `ServiceApiBackend` each kind takes; the required ones first. */
const BACKEND_FIELDS: Readonly<Record<BackendKind, { readonly required: readonly (keyof ServiceApiBackend)[]; readonly optional: readonly (keyof ServiceApiBackend)[] }>> = {
  functionApp: { required: ["hostName", "routePrefix", "appClientId"], optional: [] },
  external: { required: ["url"], optional: ["circuitBreaker", "tokenResource", "description"] },
  mock: { required: [], optional: ["description"] },
};

/** `backend` as the shape its `kind` names, or an error naming the arg that is missing, misplaced or unknown. */
export function backendOf(where: string, backend: ServiceApiBackend): FunctionAppBackend | ExternalBackend | MockBackend {
  const fields = (BACKEND_FIELDS as Readonly<Record<string, (typeof BACKEND_FIELDS)[BackendKind] | undefined>>)[backend.kind];
  if (!fields) throw new Error(`${where}: backend.kind "${String(backend.kind)}" is not one of ${Object.values(BackendKind).join(", ")}`);
  const missing = fields.required.filter((f) => backend[f] === undefined);
  if (missing.length > 0) throw new Error(`${where}: backend.${missing.join(", backend.")} ${missing.length > 1 ? "are" : "is"} required with backend.kind "${backend.kind}"`);
  const allowed = new Set<string>(["kind", ...fields.required, ...fields.optional]);
  const misplaced = Object.keys(backend).filter((f) => !allowed.has(f) && backend[f as keyof ServiceApiBackend] !== undefined);
  if (misplaced.length > 0) {
    throw new Error(`${where}: backend.${misplaced.join(", backend.")} ${misplaced.length > 1 ? "do" : "does"} not apply to backend.kind "${backend.kind}" (it takes ${[...allowed].filter((f) => f !== "kind").join(", ") || "no other field"})`);
  }
  return backend as FunctionAppBackend | ExternalBackend | MockBackend;
}

/** A Function App back end: the gateway calls it with its own managed identity token. */
export interface FunctionAppBackend {
  readonly kind: typeof BackendKind.FunctionApp;
  /** The app's default host name (`<app>.azurewebsites.net`). */
  readonly hostName: pulumi.Input<string>;
  /** The app's HTTP route prefix (host.json `extensions.http.routePrefix`), e.g. "api"; "" for none. */
  readonly routePrefix: string;
  /**
   * Client id of the back end's Entra app registration: the audience of the gateway's token
   * (`authentication-managed-identity resource`), which App Service authentication on the app accepts.
   */
  readonly appClientId: pulumi.Input<string>;
}

/** An existing HTTP service (from the stack's `backends` config). */
export interface ExternalBackend {
  readonly kind: typeof BackendKind.External;
  /** https base URL. */
  readonly url: string;
  readonly description?: string;
  /**
   * Trip a circuit after repeated 5xx/429 answers. Refused on Consumption.
   * @default true where the tier supports it
   */
  readonly circuitBreaker?: boolean;
  /**
   * Audience of a gateway token for the back end, when it accepts Entra tokens.
   * @default none (the back end authenticates callers its own way)
   */
  readonly tokenResource?: pulumi.Input<string>;
}

/**
 * No back end: the gateway answers every operation itself with the example of the operation's first
 * 2xx response in the OpenAPI document (`mock-response`). For development without the real system;
 * the API is anonymous (its callers, like the fulfillment app, hold no gateway credentials) and is in
 * no product. It returns canned examples only and reaches nothing.
 */
export interface MockBackend {
  readonly kind: typeof BackendKind.Mock;
  readonly description?: string;
}

/** Who may call, as the API's Entra app registration sees it. */
export interface ApiCallerValidation {
  readonly tenantId: pulumi.Input<string>;
  /** Accepted audiences: `api://<client id>` and the client id. */
  readonly audiences: pulumi.Input<pulumi.Input<string>[]>;
}

/** What a caller of `Gateway.addServiceApi` / `addBackendApi` passes. */
export interface ServiceApiOptions {
  /**
   * The OpenAPI 3.0.x document (object or JSON), e.g. the service's `openApiDocument()`: the API
   * exposes exactly its paths. Give this or `wildcardMethods`.
   */
  readonly openapi?: OpenApiDocument;
  /**
   * A pass-through API without a document: one `/*` operation per method (operation ids
   * `any-<method>`, see {@link wildcardOperations}), forwarding any path, nested ones included.
   */
  readonly wildcardMethods?: readonly HttpMethod[];
  /** Path segment before the version: `orders` → `/orders/v1`. */
  readonly path: string;
  /** Version segment, `v<n>`. */
  readonly version: string;
  readonly displayName: string;
  readonly description?: string;
  /** The app roles the API defines (the manifest's `http.roles`); operation roles must be among them. */
  readonly roles: readonly ApiRole[];
  /** Roles per operationId: the token needs one of them. Every operation must be listed. */
  readonly operationRoles: Readonly<Record<string, readonly string[]>>;
  /** Caller token validation (the API app registration). */
  readonly callers: ApiCallerValidation;
  /** @default ["public", "internal"] */
  readonly products?: readonly ProductName[];
  /**
   * The API revision. Bump it (with `revisionDescription`) when an import must not change the
   * revision callers use until released. @default "1"
   */
  readonly revision?: string;
  readonly revisionDescription?: string;
}

/** An app role the API defines (the `value` a token's `roles` claim carries). */
export interface ApiRole {
  readonly value: string;
}

/**
 * A ServiceApi's args: `ServiceApiOptions` as plain data (the document as JSON text), plus what the
 * Gateway adds (`Gateway.addServiceApi` and friends build them).
 */
export interface ServiceApiArgs {
  /** The OpenAPI 3.0.x document's JSON text: the API exposes exactly its paths. Give this or `wildcardMethods`. */
  readonly openapi?: string;
  /** A pass-through API without a document: one `/*` operation per method (see `ServiceApiOptions`). */
  readonly wildcardMethods?: HttpMethod[];
  /** Path segment before the version: `orders` → `/orders/v1`. */
  readonly path: string;
  /** Version segment, `v<n>`. */
  readonly version: string;
  readonly displayName: string;
  readonly description?: string;
  /** The app roles the API defines; operation roles must be among them. */
  readonly roles: ApiRole[];
  /** Roles per operationId: the token needs one of them. Every operation must be listed. */
  readonly operationRoles: Record<string, string[]>;
  /** Caller token validation (the API app registration). */
  readonly callers: ApiCallerValidation;
  /** @default ["public", "internal"] */
  readonly products?: ProductName[];
  /** The API revision. @default "1" */
  readonly revision?: string;
  readonly revisionDescription?: string;
  /** What the API forwards to. */
  readonly backend: ServiceApiBackend;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly serviceName: pulumi.Input<string>;
  readonly sku: GatewaySku;
  readonly corsOrigins: string[];
  /** APIM product ids (the `productId`, e.g. "public") of the gateway's products. */
  readonly productIds: ServiceApiProductIds;
  /** `https://<gateway>`, for {@link ServiceApi.url}. @default "" (the URL is then the base path) */
  readonly gatewayUrl?: pulumi.Input<string>;
}

/** `options` (what a Gateway method takes) as ServiceApi's plain-data args, without what the Gateway adds. */
export function serviceApiArgsOf(
  options: ServiceApiOptions,
): Omit<ServiceApiArgs, "backend" | "resourceGroupName" | "serviceName" | "sku" | "corsOrigins" | "productIds" | "gatewayUrl"> {
  const { openapi, wildcardMethods, roles, operationRoles, products, ...rest } = options;
  return {
    ...rest,
    ...(openapi !== undefined ? { openapi: typeof openapi === "string" ? openapi : JSON.stringify(openapi) } : {}),
    ...(wildcardMethods !== undefined ? { wildcardMethods: [...wildcardMethods] } : {}),
    roles: roles.map((r) => ({ value: r.value })),
    operationRoles: Object.fromEntries(Object.entries(operationRoles).map(([id, r]) => [id, [...r]])),
    ...(products !== undefined ? { products: [...products] } : {}),
  };
}

const PATH = /^[a-z][a-z0-9-]{0,62}$/;
const VERSION = /^v[0-9]{1,3}$/;
const ROLE = /^[A-Za-z][A-Za-z0-9._-]{0,119}$/;
/** Stand-ins used to render policies before outputs are known, for the tier check only. */
const PLACEHOLDER = { tenantId: "00000000-0000-0000-0000-000000000000", url: "https://placeholder.invalid" } as const;

export class ServiceApi extends pulumi.ComponentResource {
  /** The API's ARM id. */
  readonly apiResourceId: pulumi.Output<string>;
  /** The API's name in the service (`<path>-<version>`). */
  readonly apiId: string;
  /** The gateway-relative base path, `/<path>/<version>`. */
  readonly basePath: string;
  /** The operations imported, by operationId. */
  readonly operations: OpenApiOperation[];
  /** The Backend entity (external back ends only). */
  readonly backendResource?: apimanagement.Backend;
  /** `https://<gateway>/<path>/<version>`: what a caller of this API puts in front of the paths. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: ServiceApiArgs, opts?: pulumi.ComponentResourceOptions) {
    // Refuse before registering anything: a half-registered component breaks the plan.
    const { json, operations, revision, products, wantsBreaker, backend } = prepare(name, args);
    super("serverless-platform:apimanagement:ServiceApi", name, {}, opts);

    this.apiId = `${args.path}-${args.version}`;
    this.basePath = `/${args.path}/${args.version}`;
    this.operations = [...operations];
    const parent = { parent: this };
    const common = { resourceGroupName: args.resourceGroupName, serviceName: args.serviceName };

    // Renaming the version set or the API replaces them: both ids derive from path + version only.
    const versionSet = new apimanagement.ApiVersionSet(
      `${name}-versions`,
      {
        ...common,
        versionSetId: args.path,
        displayName: args.displayName,
        versioningScheme: apimanagement.VersioningScheme.Segment,
        description: `Versions of ${args.displayName} (/${args.path}/<version>)`,
      },
      parent,
    );

    let backendTarget: pulumi.Output<{ baseUrl: string } | { backendId: string }> | undefined;
    let serviceUrl: pulumi.Output<string> | undefined;
    if (backend.kind === "mock") {
      // Nothing behind it: every operation answers from its example.
    } else if (backend.kind === "functionApp") {
      const prefix = backend.routePrefix.replace(/^\/+|\/+$/g, "");
      serviceUrl = pulumi.output(backend.hostName).apply((h) => `https://${h}${prefix ? `/${prefix}` : ""}`);
      backendTarget = serviceUrl.apply((baseUrl) => ({ baseUrl }));
    } else {
      this.backendResource = new apimanagement.Backend(
        `${name}-backend`,
        {
          ...common,
          backendId: name,
          url: backend.url,
          protocol: apimanagement.BackendProtocol.Http,
          title: args.displayName,
          description: backend.description ?? `Existing back end of ${args.displayName}`,
          tls: { validateCertificateChain: true, validateCertificateName: true },
          circuitBreaker: wantsBreaker
            ? {
                rules: [
                  {
                    name: "backend-failures",
                    // Five 5xx/429 answers within a minute open the circuit for a minute; a
                    // Retry-After from the back end is honoured.
                    failureCondition: { count: 5, interval: "PT1M", statusCodeRanges: [{ min: 500, max: 599 }, { min: 429, max: 429 }] },
                    tripDuration: "PT1M",
                    acceptRetryAfter: true,
                  },
                ],
              }
            : undefined,
        },
        parent,
      );
      serviceUrl = pulumi.output(backend.url);
      backendTarget = pulumi.output({ backendId: name });
    }

    const api = new apimanagement.Api(
      `${name}-api`,
      {
        ...common,
        apiId: this.apiId,
        path: args.path,
        displayName: args.displayName,
        description: args.description,
        apiType: apimanagement.ApiType.Http,
        apiVersion: args.version,
        apiVersionSetId: versionSet.id,
        apiRevision: revision,
        apiRevisionDescription: args.revisionDescription,
        protocols: [apimanagement.Protocol.Https],
        // A mock has no caller credentials to check (see MockBackend); everything else needs a key.
        subscriptionRequired: backend.kind !== "mock",
        ...(json !== undefined ? { format: apimanagement.ContentFormat.Openapi_json, value: json } : {}),
        ...(serviceUrl ? { serviceUrl } : {}),
      },
      parent,
    );
    this.apiResourceId = api.id;
    this.url = pulumi.interpolate`${args.gatewayUrl ?? ""}${this.basePath}`;
    // Wildcard operations are not in a document: create them (imported ones come with the API).
    const operationName = new Map<string, pulumi.Input<string>>();
    if (json === undefined) {
      for (const op of operations) {
        const created = new apimanagement.ApiOperation(
          `${name}-${op.operationId}`,
          {
            ...common,
            apiId: api.name,
            operationId: op.operationId,
            displayName: `${op.method} ${op.path}`,
            method: op.method,
            urlTemplate: op.path,
            description: `Any path, forwarded to the back end (${op.method}).`,
          },
          parent,
        );
        operationName.set(op.operationId, created.name);
      }
    }

    if (backend.kind === "mock") {
      for (const op of operations) {
        new apimanagement.ApiOperationPolicy(
          `${name}-op-${op.operationId}`,
          {
            ...common,
            apiId: api.name,
            operationId: operationName.get(op.operationId) ?? op.operationId,
            policyId: "policy",
            format: RENDERED_POLICY_FORMAT,
            value: mockOperationPolicy(op.success!.status).xml,
          },
          parent,
        );
      }
      this.registerOutputs({ apiResourceId: this.apiResourceId, url: this.url });
      return;
    }

    const tenantId = pulumi.output(args.callers.tenantId);
    const audiences = pulumi.output(args.callers.audiences).apply((a) => pulumi.all(a as pulumi.Input<string>[]));
    new apimanagement.ApiPolicy(
      `${name}-policy`,
      {
        ...common,
        apiId: api.name,
        policyId: "policy",
        format: RENDERED_POLICY_FORMAT,
        value: pulumi
          .all([tenantId, audiences, backendTarget!])
          .apply(([t, a, b]) => apiPolicy({ tenantId: t, audiences: a, corsOrigins: args.corsOrigins, backend: b }).xml),
      },
      parent,
    );

    const tokenResource: pulumi.Input<string> | undefined =
      backend.kind === "functionApp" ? backend.appClientId : backend.tokenResource;
    for (const op of operations) {
      const roles = args.operationRoles[op.operationId]!;
      new apimanagement.ApiOperationPolicy(
        `${name}-op-${op.operationId}`,
        {
          ...common,
          apiId: api.name,
          operationId: operationName.get(op.operationId) ?? op.operationId,
          policyId: "policy",
          format: RENDERED_POLICY_FORMAT,
          value: pulumi
            .all([tenantId, audiences, tokenResource])
            .apply(([t, a, r]) => operationPolicy({ tenantId: t, audiences: a, roles, backendTokenResource: r }).xml),
        },
        parent,
      );
    }

    for (const product of products) {
      new apimanagement.ProductApiLink(
        `${name}-in-${product}`,
        { ...common, productId: args.productIds[product], apiLinkId: `${this.apiId}`, apiId: api.id },
        parent,
      );
    }

    this.registerOutputs({ apiResourceId: this.apiResourceId, url: this.url });
  }
}

export interface Prepared {
  /** The document's JSON; undefined for a wildcard API. */
  readonly json: string | undefined;
  readonly operations: readonly OpenApiOperation[];
  readonly revision: string;
  readonly products: readonly ProductName[];
  readonly wantsBreaker: boolean;
  /** `args.backend`, checked against its kind. */
  readonly backend: FunctionAppBackend | ExternalBackend | MockBackend;
}

/**
 * Every check of a ServiceApi's arguments (document, roles, tier), without creating anything: the
 * constructor runs it before registering, and tests can call it directly.
 */
export function checkServiceApiArgs(name: string, args: ServiceApiArgs): Prepared {
  return prepare(name, args);
}

function prepare(name: string, args: ServiceApiArgs): Prepared {
  const where = `API "${name}"`;
  if (!PATH.test(args.path)) throw new Error(`${where}: path "${args.path}" must be lowercase letters, digits and "-", starting with a letter`);
  if (!VERSION.test(args.version)) throw new Error(`${where}: version "${args.version}" must look like "v1"`);
  const revision = args.revision ?? "1";
  if (!/^[1-9][0-9]{0,2}$/.test(revision)) throw new Error(`${where}: revision "${revision}" must be a positive number`);
  if ((args.openapi === undefined) === (args.wildcardMethods === undefined)) {
    throw new Error(`${where}: give exactly one of openapi (the back end's real paths) and wildcardMethods (a pass-through "/*" operation per method)`);
  }
  const backend = backendOf(where, args.backend);
  let json: string | undefined;
  let operations: readonly OpenApiOperation[];
  if (args.openapi !== undefined) {
    ({ json, operations } = parseOpenApi(args.openapi, `${where} (${args.path}/${args.version})`));
  } else {
    const methods = args.wildcardMethods!;
    const unknown = methods.filter((m) => !(WILDCARD_METHODS as readonly string[]).includes(m));
    if (methods.length === 0 || unknown.length > 0) {
      throw new Error(`${where}: wildcardMethods must list HTTP methods among ${WILDCARD_METHODS.join(", ")}${unknown.length > 0 ? `; got ${unknown.join(", ")}` : ""}`);
    }
    operations = wildcardOperations(methods);
  }
  if (backend.kind === "mock") {
    if (args.openapi === undefined) throw new Error(`${where}: a mocked back end needs its OpenAPI document (the mock answers with its examples)`);
    const bare = operations.filter((o) => !o.success?.example).map((o) => `${o.operationId} (${o.method} ${o.path}${o.success ? `, ${o.success.status} has no application/json example` : ", no 2xx response"})`);
    if (bare.length > 0) {
      throw new Error(`${where}: a mocked back end answers with each operation's 2xx JSON example; add one (responses.<2xx>.content["application/json"].example) to ${bare.join(", ")}`);
    }
    return { json, operations, revision, products: [], wantsBreaker: false, backend };
  }
  checkOperationRoles(where, operations, args.operationRoles, args.roles);
  const products: ProductName[] = [...new Set<ProductName>(args.products ?? ["public", "internal"])];
  if (products.length === 0) throw new Error(`${where}: products must name at least one product (an API in no product cannot be called with a subscription)`);
  if (backend.kind === "external" && !/^https:\/\//.test(backend.url)) {
    throw new Error(`${where}: backend url must be https, got "${backend.url}"`);
  }
  const wantsBreaker = backend.kind === "external" && (backend.circuitBreaker ?? TIERS[args.sku].circuitBreaker);
  if (wantsBreaker) assertCircuitBreakerSupported(args.sku, `${where} backend`);
  // Tier check on the documents' shape, before any value is known.
  const dryBackend = backend.kind === "external" ? { backendId: name } : { baseUrl: PLACEHOLDER.url };
  checkDocument(args.sku, `${where} policy`, apiPolicy({ tenantId: PLACEHOLDER.tenantId, audiences: ["x"], corsOrigins: args.corsOrigins, backend: dryBackend }));
  checkDocument(args.sku, `${where} operation policy`, operationPolicy({ tenantId: PLACEHOLDER.tenantId, audiences: ["x"], roles: ["x"], backendTokenResource: "x" }));
  return { json, operations, revision, products, wantsBreaker, backend };
}

function checkDocument(sku: GatewaySku, where: string, doc: PolicyDocument): void {
  assertPoliciesSupported(sku, doc.policies, where);
}

function checkOperationRoles(
  where: string,
  operations: readonly OpenApiOperation[],
  map: Readonly<Record<string, readonly string[]>>,
  declared: readonly { readonly value: string }[],
): void {
  const ids = new Set(operations.map((o) => o.operationId));
  const unknown = Object.keys(map).filter((k) => !ids.has(k));
  if (unknown.length > 0) throw new Error(`${where}: operationRoles names operations the document does not have: ${unknown.join(", ")}`);
  const uncovered = operations.filter((o) => (map[o.operationId] ?? []).length === 0).map((o) => `${o.operationId} (${o.method} ${o.path})`);
  if (uncovered.length > 0) {
    throw new Error(`${where}: every operation must list the app roles that may call it in operationRoles; none for ${uncovered.join(", ")}`);
  }
  const known = new Set(declared.map((r) => r.value));
  for (const r of known) if (!ROLE.test(r)) throw new Error(`${where}: role "${r}" must be letters, digits, ".", "_" or "-"`);
  const undeclared = [...new Set(Object.values(map).flat())].filter((r) => !known.has(r));
  if (undeclared.length > 0) throw new Error(`${where}: operationRoles uses role(s) the API does not declare: ${undeclared.join(", ")} (declared: ${[...known].join(", ") || "none"})`);
}
