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
  type PolicyDocument,
  apiPolicy,
  operationPolicy,
} from "./policies";
import { type GatewaySku, TIERS, assertCircuitBreakerSupported, assertPoliciesSupported } from "./tiers";

/** An OpenAPI document as an object or its JSON text. */
export type OpenApiDocument = Readonly<Record<string, unknown>> | string;

export interface OpenApiOperation {
  readonly operationId: string;
  /** Upper-case HTTP method. */
  readonly method: string;
  readonly path: string;
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
  for (const [path, item] of Object.entries(paths as Record<string, unknown>)) {
    if (typeof item !== "object" || item === null) continue;
    for (const method of METHODS) {
      const op = (item as Record<string, unknown>)[method];
      if (typeof op !== "object" || op === null) continue;
      const id = (op as Record<string, unknown>).operationId;
      if (typeof id !== "string" || id.length === 0) missing.push(`${method.toUpperCase()} ${path}`);
      else if (!OPERATION_ID.test(id)) invalid.push(`"${id}" (${method.toUpperCase()} ${path})`);
      else operations.push({ operationId: id, method: method.toUpperCase(), path });
    }
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
): Record<string, readonly string[]> {
  const { operations } = parseOpenApi(doc, "operationRolesByMethod");
  return Object.fromEntries(operations.map((o) => [o.operationId, ["GET", "HEAD", "OPTIONS"].includes(o.method) ? roles.read : roles.write]));
}

/** The gateway's products an API can join. */
export type ProductName = "public" | "internal";

/** A Function App back end: the gateway calls it with its own managed identity token. */
export interface FunctionAppBackend {
  readonly kind: "functionApp";
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
  readonly kind: "external";
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

/** Who may call, as the API's Entra app registration sees it. */
export interface ApiCallerValidation {
  readonly tenantId: pulumi.Input<string>;
  /** Accepted audiences: `api://<client id>` and the client id. */
  readonly audiences: pulumi.Input<readonly pulumi.Input<string>[]>;
}

/** What a caller of `Gateway.addServiceApi` / `addBackendApi` passes. */
export interface ServiceApiOptions {
  /** The OpenAPI 3.0.x document (object or JSON), e.g. the service's `openApiDocument()`. */
  readonly openapi: OpenApiDocument;
  /** Path segment before the version: `orders` → `/orders/v1`. */
  readonly path: string;
  /** Version segment, `v<n>`. */
  readonly version: string;
  readonly displayName: string;
  readonly description?: string;
  /** The app roles the API defines (the manifest's `http.roles`); operation roles must be among them. */
  readonly roles: readonly { readonly value: string }[];
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

/** What the Gateway adds. */
export interface ServiceApiArgs extends ServiceApiOptions {
  readonly backend: FunctionAppBackend | ExternalBackend;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly serviceName: pulumi.Input<string>;
  readonly sku: GatewaySku;
  readonly corsOrigins: readonly string[];
  /** Product name → APIM product id (the `productId`, e.g. "public"). */
  readonly productIds: Readonly<Record<ProductName, pulumi.Input<string>>>;
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
  readonly operations: readonly OpenApiOperation[];
  /** The Backend entity (external back ends only). */
  readonly backendResource?: apimanagement.Backend;

  constructor(name: string, args: ServiceApiArgs, opts?: pulumi.ComponentResourceOptions) {
    // Refuse before registering anything: a half-registered component breaks the plan.
    const { json, operations, revision, products, wantsBreaker } = prepare(name, args);
    super("serverless-platform:apimanagement:ServiceApi", name, {}, opts);
    const backend = args.backend;

    this.apiId = `${args.path}-${args.version}`;
    this.basePath = `/${args.path}/${args.version}`;
    this.operations = operations;
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

    let backendTarget: pulumi.Output<{ baseUrl: string } | { backendId: string }>;
    let serviceUrl: pulumi.Output<string>;
    if (backend.kind === "functionApp") {
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
        subscriptionRequired: true,
        format: apimanagement.ContentFormat.Openapi_json,
        value: json,
        serviceUrl,
      },
      parent,
    );
    this.apiResourceId = api.id;

    const tenantId = pulumi.output(args.callers.tenantId);
    const audiences = pulumi.output(args.callers.audiences).apply((a) => pulumi.all(a as pulumi.Input<string>[]));
    new apimanagement.ApiPolicy(
      `${name}-policy`,
      {
        ...common,
        apiId: api.name,
        policyId: "policy",
        format: apimanagement.PolicyContentFormat.Xml,
        value: pulumi
          .all([tenantId, audiences, backendTarget])
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
          operationId: op.operationId,
          policyId: "policy",
          format: apimanagement.PolicyContentFormat.Xml,
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

    this.registerOutputs({ apiResourceId: this.apiResourceId });
  }
}

export interface Prepared {
  readonly json: string;
  readonly operations: readonly OpenApiOperation[];
  readonly revision: string;
  readonly products: readonly ProductName[];
  readonly wantsBreaker: boolean;
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
  const { json, operations } = parseOpenApi(args.openapi, `${where} (${args.path}/${args.version})`);
  checkOperationRoles(where, operations, args.operationRoles, args.roles);
  const products: ProductName[] = [...new Set<ProductName>(args.products ?? ["public", "internal"])];
  if (products.length === 0) throw new Error(`${where}: products must name at least one product (an API in no product cannot be called with a subscription)`);
  const backend = args.backend;
  if (backend.kind === "external" && !/^https:\/\//.test(backend.url)) {
    throw new Error(`${where}: backend url must be https, got "${backend.url}"`);
  }
  const wantsBreaker = backend.kind === "external" && (backend.circuitBreaker ?? TIERS[args.sku].circuitBreaker);
  if (wantsBreaker) assertCircuitBreakerSupported(args.sku, `${where} backend`);
  // Tier check on the documents' shape, before any value is known.
  const dryBackend = backend.kind === "external" ? { backendId: name } : { baseUrl: PLACEHOLDER.url };
  checkDocument(args.sku, `${where} policy`, apiPolicy({ tenantId: PLACEHOLDER.tenantId, audiences: ["x"], corsOrigins: args.corsOrigins, backend: dryBackend }));
  checkDocument(args.sku, `${where} operation policy`, operationPolicy({ tenantId: PLACEHOLDER.tenantId, audiences: ["x"], roles: ["x"], backendTokenResource: "x" }));
  return { json, operations, revision, products, wantsBreaker };
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
