/**
 * What each API Management tier this platform deploys can and cannot do, in one table, so the
 * Gateway refuses at plan time (with a message that names the tier and the alternative) instead of
 * failing 30 minutes into `pulumi up` or, worse, deploying a policy the gateway rejects.
 *
 * Sources (see docs/GATEWAY.md for the full list):
 * - rate-limit / quota: all tiers; rate-limit-by-key: Developer, Basic, Basic v2, Standard,
 *   Standard v2, Premium; quota-by-key: Developer, Basic, Standard, Premium (not Consumption, not v2).
 * - Cipher settings cannot be changed on Consumption, Basic v2, Standard v2; Consumption rejects the
 *   `Protocols.Ssl30` and `Ciphers.TripleDes168` custom properties outright.
 * - Backend circuit breakers are not supported on Consumption.
 * - "Azure Monitor and Log Analytics request logs": not on Consumption; "Azure Monitor metrics" and
 *   "Application Insights request logs" on every tier (Microsoft Learn, "Feature-based comparison of
 *   the Azure API Management tiers").
 */

/** The tiers this table describes: the only ones the stack config allows (`apiManagement.sku`). */
export const GatewaySku = {
  Consumption: "Consumption",
  BasicV2: "BasicV2",
  StandardV2: "StandardV2",
} as const;
export type GatewaySku = (typeof GatewaySku)[keyof typeof GatewaySku];
/** The SKUs as a tuple (the config schema's `z.enum`); every `GatewaySku`, checked below. */
export const GATEWAY_SKUS = [GatewaySku.Consumption, GatewaySku.BasicV2, GatewaySku.StandardV2] as const;
// A SKU added to GatewaySku but not to GATEWAY_SKUS fails the typecheck here.
type MissingGatewaySku = Exclude<GatewaySku, (typeof GATEWAY_SKUS)[number]>;
const everySku: [MissingGatewaySku] extends [never] ? true : false = true;
void everySku;

export interface TierTimeouts {
  readonly create: string;
  readonly update: string;
  readonly delete: string;
}

export interface TierCapabilities {
  readonly sku: GatewaySku;
  /** Capacity (scale units) the tier accepts: Consumption is exactly 0, v2 tiers 1..max. */
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Policies the tier's gateway refuses, with what to use instead. */
  readonly unsupportedPolicies: Readonly<Record<string, string>>;
  /** Built-in (internal) response cache. */
  readonly builtInCache: boolean;
  /** VNet injection (none of our tiers; v2 Standard has outbound integration only). */
  readonly vnetInjection: boolean;
  /** Backend circuit breaker rules on `apimanagement.Backend`. */
  readonly circuitBreaker: boolean;
  /**
   * Azure Monitor resource logs (GatewayLogs & co. through a diagnostic setting). Consumption has
   * none: a diagnostic setting asking for logs there only creates an empty table, and its request
   * logs go through the Application Insights logger instead. Metrics exist on every tier.
   */
  readonly resourceLogs: boolean;
  /** Whether cipher suites can be switched (`...Security.Ciphers.*` custom properties). */
  readonly cipherConfiguration: boolean;
  /**
   * `enableClientCertificate`: the provider's default `false` is rejected by the classic
   * Developer/Basic/Standard/Premium tiers ("Setting EnableClientCertificate flag to false is not
   * supported"), which always negotiate client certificates; on Consumption `true` demands a
   * certificate on EVERY request, and on v2 it only enables certificate negotiation for
   * `validate-client-certificate`. We use no mTLS, so every tier we deploy gets `false`, set
   * explicitly (never left to the SDK default).
   */
  readonly enableClientCertificate: boolean;
  /** Creation of the service: minutes on Consumption, tens of minutes on v2. */
  readonly timeouts: TierTimeouts;
  /** Fixed monthly price: an always-on cost (Consumption bills per call). */
  readonly alwaysOnCost: boolean;
}

const PROTOCOL_PREFIX = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security";

/**
 * The TLS custom properties every tier gets: TLS 1.0/1.1 off towards clients, TLS 1.0/1.1 and SSL 3
 * off towards back ends. Values are the strings ARM expects ("False").
 */
export const PROTOCOL_PROPERTIES: Readonly<Record<string, string>> = {
  [`${PROTOCOL_PREFIX}.Protocols.Tls10`]: "False",
  [`${PROTOCOL_PREFIX}.Protocols.Tls11`]: "False",
  [`${PROTOCOL_PREFIX}.Backend.Protocols.Tls10`]: "False",
  [`${PROTOCOL_PREFIX}.Backend.Protocols.Tls11`]: "False",
  [`${PROTOCOL_PREFIX}.Backend.Protocols.Ssl30`]: "False",
};

/**
 * Only settable where cipher configuration is supported (classic tiers). Consumption answers
 * "'...Ciphers.TripleDes168, ...Protocols.Ssl30' customProperties are not supported in SkuType
 * Consumption"; Basic v2 / Standard v2 do not support cipher changes either (their defaults exclude
 * 3DES and SSL 3). Kept here so a future classic tier gets them from the same table.
 */
export const CIPHER_PROPERTIES: Readonly<Record<string, string>> = {
  [`${PROTOCOL_PREFIX}.Protocols.Ssl30`]: "False",
  [`${PROTOCOL_PREFIX}.Ciphers.TripleDes168`]: "False",
};

const CACHE_POLICIES = ["cache-lookup", "cache-store", "cache-lookup-value", "cache-store-value", "cache-remove-value"];

/**
 * Basic v2 and Standard v2 differ in unit throughput, price and Standard v2's outbound VNet
 * integration, none of which this table records: both scale to 10 units and run the same policies.
 * A difference that matters here becomes an override in the tier's entry.
 */
const V2_TIER: Omit<TierCapabilities, "sku"> = {
  minCapacity: 1,
  maxCapacity: 10,
  unsupportedPolicies: { "quota-by-key": "use quota (per subscription, product scope); quota-by-key is classic-tier only" },
  builtInCache: true,
  vnetInjection: false,
  circuitBreaker: true,
  resourceLogs: true,
  cipherConfiguration: false,
  enableClientCertificate: false,
  timeouts: { create: "60m", update: "60m", delete: "45m" },
  alwaysOnCost: true,
};

export const TIERS: Readonly<Record<GatewaySku, TierCapabilities>> = {
  Consumption: {
    sku: "Consumption",
    minCapacity: 0,
    maxCapacity: 0,
    unsupportedPolicies: {
      "rate-limit-by-key": "use rate-limit (per subscription) on Consumption, or move to BasicV2/StandardV2",
      "quota-by-key": "use quota (per subscription, product scope)",
      ...Object.fromEntries(
        CACHE_POLICIES.map((p) => [p, "Consumption has no built-in cache (an external Redis cache would be needed)"]),
      ),
    },
    builtInCache: false,
    vnetInjection: false,
    circuitBreaker: false,
    resourceLogs: false,
    cipherConfiguration: false,
    enableClientCertificate: false,
    timeouts: { create: "20m", update: "20m", delete: "20m" },
    alwaysOnCost: false,
  },
  BasicV2: { sku: "BasicV2", ...V2_TIER },
  StandardV2: { sku: "StandardV2", ...V2_TIER },
};

/** A configuration the chosen tier cannot run; the message names the tier, what, and the way out. */
export class TierError extends Error {
  constructor(
    readonly sku: GatewaySku,
    message: string,
  ) {
    super(`API Management ${sku}: ${message}`);
    this.name = "TierError";
  }
}

/** The custom properties for `sku`: protocols always, ciphers only where the tier accepts them. */
export function securityCustomProperties(sku: GatewaySku): Record<string, string> {
  const tier = TIERS[sku];
  return { ...PROTOCOL_PROPERTIES, ...(tier.cipherConfiguration ? CIPHER_PROPERTIES : {}) };
}

/**
 * The capacity to deploy. Consumption must be 0 (it scales by itself); the v2 tiers need at least one
 * unit, so the config default 0 means "the minimum", 1.
 */
export function effectiveCapacity(sku: GatewaySku, configured: number): number {
  const tier = TIERS[sku];
  if (sku === "Consumption") {
    if (configured !== 0) {
      throw new TierError(sku, `capacity must be 0 (Consumption scales automatically), got ${configured} (apiManagement.capacity)`);
    }
    return 0;
  }
  const capacity = Math.max(configured, tier.minCapacity);
  if (capacity > tier.maxCapacity) {
    throw new TierError(sku, `capacity ${configured} exceeds the tier's maximum of ${tier.maxCapacity} units (apiManagement.capacity)`);
  }
  return capacity;
}

/**
 * Refuses a policy document that uses a policy the tier's gateway does not run. `where` names the
 * document for the message (e.g. `product "public"`).
 */
export function assertPoliciesSupported(sku: GatewaySku, policies: Iterable<string>, where: string): void {
  const tier = TIERS[sku];
  const problems = [...new Set(policies)]
    .filter((p) => p in tier.unsupportedPolicies)
    .map((p) => `<${p}> (${tier.unsupportedPolicies[p]})`);
  if (problems.length > 0) {
    throw new TierError(sku, `${where} uses ${problems.join(", ")}, which this tier does not support`);
  }
}

/** Refuses a circuit breaker on a tier without one. */
export function assertCircuitBreakerSupported(sku: GatewaySku, where: string): void {
  if (!TIERS[sku].circuitBreaker) {
    throw new TierError(sku, `${where} asks for a backend circuit breaker, which Consumption does not support; remove it or use BasicV2/StandardV2`);
  }
}
