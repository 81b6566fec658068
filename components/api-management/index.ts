/**
 * The API gateway: one API Management service (tier from config), its products, logging to
 * Application Insights with the gateway's own identity, and one API per service
 * (`addServiceApi`) or per existing back end (`addBackendApi`).
 *
 * Secure defaults: system-assigned identity; TLS 1.0/1.1 (and SSL 3 towards back ends) off; cipher
 * settings only where the tier accepts them; control-plane API version floor 2021-08-01; every API
 * https-only, subscription-required, token-validated, roles checked per operation; back ends called
 * with the gateway's managed identity token, never a function key. See docs/GATEWAY.md.
 */
import * as pulumi from "@pulumi/pulumi";
import * as apimanagement from "@pulumi/azure-native/apimanagement";
import { HealthApi, type HealthTarget } from "./health-api";
import type { NameContext } from "../core/naming";
import { type StandardArgs, applyDiagnostics, applyLock, applyRoleAssignments, effectiveDiagnostics, resourceName } from "../core/standard";
import { grantRole } from "../core/roles";
import { RENDERED_POLICY_FORMAT, type PolicyDocument, publicProductPolicy } from "./policies";
import {
  type ExternalBackend,
  type FunctionAppBackend,
  type MockBackend,
  ServiceApi,
  type ServiceApiOptions,
  serviceApiArgsOf,
} from "./service-api";
import { type GatewaySku, TIERS, type TierCapabilities, assertPoliciesSupported, effectiveCapacity, securityCustomProperties } from "./tiers";

export { ServiceApi, OpenApiError, WILDCARD_METHODS, BackendKind, HttpMethod, ProductName, backendOf, parseOpenApi, operationRolesByMethod, serviceApiArgsOf, wildcardOperations } from "./service-api";
export type { ApiRole, ExternalBackend, FunctionAppBackend, MockBackend, OpenApiDocument, OpenApiSuccessResponse, ServiceApiBackend, ServiceApiOptions, ServiceApiProductIds } from "./service-api";
export { TIERS, TierError } from "./tiers";
export { GatewaySku } from "./tiers";

/** The control-plane API version floor (older versions expose secrets in GET responses). */
export const MIN_API_VERSION = "2021-08-01";

/** Application Insights the gateway logs to, with Entra ID (no instrumentation key). */
export interface GatewayAppInsights {
  /** ARM id of the component: the Logger's `resourceId` and the scope of the publisher grant. */
  readonly resourceId: pulumi.Input<string>;
  /** The component's connection string (endpoints; ingestion is authorised by the identity). */
  readonly connectionString: pulumi.Input<string>;
}

/** A call budget over a renewal period. */
export interface CallLimit {
  readonly calls: number;
  readonly renewalPeriodSeconds: number;
}

/** What the public product's rate limit counts by. */
export const RateLimitKey = {
  /** Per subscription key. */
  subscription: "subscription",
  /** Per caller IP address (needs a v2 tier). */
  clientIp: "clientIp",
} as const;
export type RateLimitKey = (typeof RateLimitKey)[keyof typeof RateLimitKey];

/** Explicit physical names of a Gateway's resources. */
export interface GatewayPhysicalNames {
  /** The API Management service. @default from the naming helper */
  readonly service?: string;
}

/** The gateway's system-assigned identity. */
export interface GatewayIdentity {
  readonly principalId: pulumi.Output<string>;
}

/** The gateway's products, by name. */
export interface GatewayProducts {
  readonly public: GatewayProduct;
  readonly internal: GatewayProduct;
}

/** The gateway's tier, publisher, browser origins, public limits and telemetry sampling. */
export interface GatewayConfig {
  /** Consumption bills per call; the v2 tiers are fixed monthly prices. */
  readonly sku: GatewaySku;
  /** Scale units (0 = the tier's default). */
  readonly capacity: number;
  readonly publisherName: string;
  readonly publisherEmail: string;
  /** Browser origins the gateway's CORS policy allows. */
  readonly corsOrigins: string[];
  /** The public product's rate limit. */
  readonly rateLimit: CallLimit;
  /** The public product's quota per subscription. */
  readonly quota: CallLimit;
  /** What the rate limit counts by: "clientIp" needs a v2 tier. */
  readonly rateLimitKey: RateLimitKey;
  /** Gateway request sampling into Application Insights, percent. */
  readonly samplingPercentage: number;
}

export interface GatewayArgs extends StandardArgs {
  /** The naming helper's prefix and environment. Required unless `physicalNames` names every resource. @default none */
  readonly names?: NameContext;
  /** Explicit physical names. @default from the naming helper */
  readonly physicalNames?: GatewayPhysicalNames;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  /** The environment: `"prod"` refuses "*" and http:// CORS origins. */
  readonly environment: string;
  /** The gateway's tier, publisher, CORS origins, limits and sampling. */
  readonly config: GatewayConfig;
  /** Telemetry; absent = no Logger/Diagnostic. @default none */
  readonly appInsights?: GatewayAppInsights;
  /** Log Analytics workspace for the service's diagnostic setting. @default none */
  readonly workspaceId?: pulumi.Input<string>;
}

/** A product: its ARM id and the name APIs link to. */
export interface GatewayProduct {
  readonly id: pulumi.Output<string>;
  /** The product's name in the service ("public", "internal"); resolves once the product exists. */
  readonly productId: pulumi.Output<string>;
}

/** What `addServiceApi` takes besides the API itself. */
export interface FunctionAppApiOptions extends ServiceApiOptions {
  readonly backend: Omit<FunctionAppBackend, "kind">;
}

/**
 * A Gateway's state its methods use. Kept off the class: the package schema publishes every class
 * field (private and `#private` ones too) as an output in every language.
 */
interface GatewayInternals {
  readonly componentName: string;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly serviceName: pulumi.Output<string>;
  readonly corsOrigins: readonly string[];
  readonly gatewayUrl: pulumi.Output<string>;
}
const internals = new WeakMap<Gateway, GatewayInternals>();

/** What `addBackendApi` takes besides the API itself. */
export interface BackendApiOptions extends ServiceApiOptions {
  readonly backend: Omit<ExternalBackend, "kind">;
}

export class Gateway extends pulumi.ComponentResource {
  /** The service name. */
  readonly name: pulumi.Output<string>;
  /** The service's ARM id. */
  readonly resourceId: pulumi.Output<string>;
  /** `https://<name>.azure-api.net`. */
  readonly gatewayUrl: pulumi.Output<string>;
  /** The gateway's system-assigned identity: the caller the back ends accept. */
  readonly identity: GatewayIdentity;
  readonly sku: GatewaySku;
  readonly products: GatewayProducts;
  /** The Application Insights logger's ARM id (when `appInsights` is given). */
  readonly loggerId?: pulumi.Output<string>;

  /** What the methods need; an accessor, so the package schema does not publish it as an output. */
  private get internal(): GatewayInternals {
    return internals.get(this)!;
  }

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    const { sku, tier, capacity, publicPolicy } = prepare(args);
    super("serverless-platform:apimanagement:Gateway", name, {}, opts);
    const cfg = args.config;
    this.sku = sku;
    const parent = { parent: this };
    const service = new apimanagement.ApiManagementService(
      `${name}-service`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        serviceName: resourceName(`Gateway "${name}"`, "physicalNames.service", "apiManagement", args.physicalNames?.service, args.names, name),
        sku: { name: sku, capacity },
        publisherName: cfg.publisherName,
        publisherEmail: cfg.publisherEmail,
        identity: { type: apimanagement.ApimIdentityType.SystemAssigned },
        customProperties: securityCustomProperties(sku),
        apiVersionConstraint: { minApiVersion: MIN_API_VERSION },
        // Set on purpose, never the SDK default: see TierCapabilities.enableClientCertificate.
        enableClientCertificate: tier.enableClientCertificate,
        // The gateway is the public entry point: Consumption/v2 offer no inbound private endpoint
        // for it here, and ARM refuses "Disabled" at creation. The back ends are what stays closed.
        publicNetworkAccess: apimanagement.PublicNetworkAccess.Enabled,
        virtualNetworkType: apimanagement.VirtualNetworkType.None,
        tags: args.tags,
      },
      { parent: this, customTimeouts: { ...tier.timeouts } },
    );
    this.name = service.name;
    this.resourceId = service.id;
    this.gatewayUrl = service.gatewayUrl;
    this.identity = {
      principalId: service.identity.apply((i) => {
        if (!i?.principalId) throw new Error("the API Management service returned no system-assigned identity");
        return i.principalId;
      }),
    };
    const common = { resourceGroupName: args.resourceGroupName, serviceName: service.name };

    // Products. Both require a subscription and an administrator's approval of it.
    const publicProduct = new apimanagement.Product(
      `${name}-product-public`,
      {
        ...common,
        productId: "public",
        displayName: "Public",
        description: `Public APIs: ${cfg.rateLimit.calls} calls per ${cfg.rateLimit.renewalPeriodSeconds} s, ${cfg.quota.calls} calls per ${cfg.quota.renewalPeriodSeconds} s per subscription.`,
        subscriptionRequired: true,
        // An administrator approves each subscription (PSRule Azure.APIM.ProductApproval; policy apim-product).
        approvalRequired: true,
        state: apimanagement.ProductState.Published,
      },
      parent,
    );
    new apimanagement.ProductPolicy(
      `${name}-product-public-policy`,
      { ...common, productId: publicProduct.name, policyId: "policy", format: RENDERED_POLICY_FORMAT, value: publicPolicy.xml },
      parent,
    );
    const internalProduct = new apimanagement.Product(
      `${name}-product-internal`,
      {
        ...common,
        productId: "internal",
        displayName: "Internal",
        description: "Internal consumers (other teams' services): approval required, no public rate limits.",
        subscriptionRequired: true,
        approvalRequired: true,
        state: apimanagement.ProductState.Published,
      },
      parent,
    );
    this.products = {
      public: { id: publicProduct.id, productId: publicProduct.name },
      internal: { id: internalProduct.id, productId: internalProduct.name },
    };

    if (args.appInsights) {
      // Identity-based ingestion: the gateway's identity publishes; no instrumentation key is stored.
      const publisher = grantRole(
        `${name}-appi-publisher`,
        {
          scope: args.appInsights.resourceId,
          principalId: this.identity.principalId,
          role: "monitoringMetricsPublisher",
          description: "API Management gateway telemetry (identity-based Application Insights logger)",
        },
        parent,
      );
      const logger = new apimanagement.Logger(
        `${name}-logger`,
        {
          ...common,
          loggerId: "appinsights",
          loggerType: apimanagement.LoggerType.ApplicationInsights,
          description: "Application Insights (managed identity)",
          resourceId: args.appInsights.resourceId,
          credentials: {
            connectionString: args.appInsights.connectionString,
            identityClientId: "SystemAssigned",
          },
          isBuffered: true,
        },
        { parent: this, dependsOn: [publisher] },
      );
      this.loggerId = logger.id;
      new apimanagement.Diagnostic(
        `${name}-diagnostic`,
        {
          ...common,
          diagnosticId: "applicationinsights",
          loggerId: logger.id,
          alwaysLog: apimanagement.AlwaysLog.AllErrors,
          httpCorrelationProtocol: apimanagement.HttpCorrelationProtocol.W3C,
          verbosity: apimanagement.Verbosity.Information,
          operationNameFormat: apimanagement.OperationNameFormat.Name,
          // Client IPs are personal data; requests are correlated by W3C trace ids instead.
          logClientIp: false,
          metrics: true,
          sampling: { samplingType: apimanagement.SamplingType.Fixed, percentage: cfg.samplingPercentage },
        },
        parent,
      );
    }

    // The tier decides: metrics everywhere, resource logs only where the tier has them (on
    // Consumption the request logs reach Application Insights through the logger above).
    applyDiagnostics(name, service.id, effectiveDiagnostics(`Gateway "${name}"`, args.workspaceId, args.diagnosticSettings), parent, {
      resourceType: "azure-native:apimanagement:ApiManagementService",
      logCategoryGroups: tier.resourceLogs ? ["allLogs"] : [],
    });
    applyLock(`${name}-service`, service.id, args.lock, parent);
    applyRoleAssignments(`${name}-service`, service.id, args.roleAssignments, parent);

    internals.set(this, { componentName: name, resourceGroupName: args.resourceGroupName, serviceName: service.name, corsOrigins: cfg.corsOrigins, gatewayUrl: service.gatewayUrl });
    this.registerOutputs({
      name: this.name,
      resourceId: this.resourceId,
      gatewayUrl: this.gatewayUrl,
      principalId: this.identity.principalId,
    });
  }

  /**
   * An API for a service's Function App: `https://<gateway>/<path>/<version>/...` is forwarded to
   * `https://<hostName>/<routePrefix>/...` with the gateway's managed identity token for
   * `backend.appClientId`. The child is named `<gateway>-<name>`.
   */
  addServiceApi(name: string, options: FunctionAppApiOptions): ServiceApi {
    return this.api(name, options, { kind: "functionApp", ...options.backend });
  }

  /**
   * An API for an existing HTTP back end (the stack's `backends` map), behind the same products,
   * token validation and monitoring; an `apimanagement.Backend` with a circuit breaker where the
   * tier supports one.
   */
  addBackendApi(name: string, options: BackendApiOptions): ServiceApi {
    return this.api(name, options, { kind: "external", ...options.backend });
  }

  /**
   * An API that stands in for a back end that does not exist yet (development): every operation of
   * `options.openapi` answers with its 2xx example (`mock-response`), anonymously. Callers use
   * {@link ServiceApi.url} as the back end's base URL.
   */
  addMockBackendApi(name: string, options: Omit<ServiceApiOptions, "wildcardMethods" | "products" | "operationRoles" | "callers" | "roles"> & { readonly description?: string }): ServiceApi {
    return this.api(
      name,
      { ...options, roles: [], operationRoles: {}, callers: { tenantId: "", audiences: [] }, products: [] },
      { kind: "mock", ...(options.description ? { description: options.description } : {}) },
    );
  }

  /**
   * `GET <gateway>/health/<service>` for each target, anonymous (no subscription, no token): what the
   * availability test probes. The child is named `<gateway>-health`.
   */
  addHealthApi(targets: readonly HealthTarget[]): HealthApi {
    return new HealthApi(
      `${this.internal.componentName}-health`,
      { resourceGroupName: this.internal.resourceGroupName, serviceName: this.internal.serviceName, targets },
      { parent: this },
    );
  }

  private api(name: string, options: ServiceApiOptions, backend: FunctionAppBackend | ExternalBackend | MockBackend): ServiceApi {
    const childName = `${this.internal.componentName}-${name}`;
    return new ServiceApi(
      childName,
      {
        ...serviceApiArgsOf(options),
        backend,
        resourceGroupName: this.internal.resourceGroupName,
        serviceName: this.internal.serviceName,
        sku: this.sku,
        corsOrigins: [...this.internal.corsOrigins],
        gatewayUrl: this.internal.gatewayUrl,
        productIds: { public: this.products.public.productId, internal: this.products.internal.productId },
      },
      { parent: this },
    );
  }
}

/** Every check of the Gateway's arguments (no resources), so a refusal registers nothing. */
function prepare(args: GatewayArgs): { sku: GatewaySku; tier: TierCapabilities; capacity: number; publicPolicy: PolicyDocument } {
  const cfg = args.config;
  const sku: GatewaySku = cfg.sku;
  if (args.environment === "prod" && cfg.corsOrigins.includes("*")) {
    throw new Error('apiManagement.corsOrigins: "*" is not allowed in prod; list the browser origins');
  }
  const insecure = cfg.corsOrigins.filter((o) => o !== "*" && !o.startsWith("https://") && !/^http:\/\/localhost(:\d+)?$/.test(o));
  if (insecure.length > 0) throw new Error(`apiManagement.corsOrigins: only https origins (or http://localhost for development) are allowed: ${insecure.join(", ")}`);
  if (args.environment === "prod" && cfg.corsOrigins.some((o) => o.startsWith("http://"))) {
    throw new Error("apiManagement.corsOrigins: http://localhost is for development; prod lists https origins only");
  }
  const capacity = effectiveCapacity(sku, cfg.capacity);
  const publicPolicy = publicProductPolicy(sku, { rateLimit: cfg.rateLimit, quota: cfg.quota, rateLimitKey: cfg.rateLimitKey });
  checkPolicy(sku, 'product "public"', publicPolicy);
  return { sku, tier: TIERS[sku], capacity, publicPolicy };
}

function checkPolicy(sku: GatewaySku, where: string, doc: PolicyDocument): void {
  assertPoliciesSupported(sku, doc.policies, where);
}
