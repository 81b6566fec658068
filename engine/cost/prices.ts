/**
 * The price table of the cost estimate: every meter the stacks use, with its list price, unit, region,
 * currency, the date it was read and where from, and the monthly free grant where one exists.
 *
 * One table, one place to refresh: re-read the Azure Retail Prices API
 * (`https://prices.azure.com/api/retail/prices?$filter=serviceName eq '...' and armRegionName eq 'eastus'`)
 * and update `price`, `read` and `source` here; the estimator and its tests take the figures from this table.
 */

/** Where the figures were collected (see /work/shared/AZURE-PRICES.md). */
const SHEET =
  "AZURE-PRICES.md: Microsoft Learn pricing explanations and dated Azure Retail Prices API readings, 2026-08..2026-10";

/** Free grants are per subscription or per billing account, never per resource: apply each once. */
export type GrantScope = "subscription" | "billing account" | "per resource";

export interface FreeGrant {
  /** Free quantity per month, in the meter's `unit`. */
  readonly quantity: number;
  readonly scope: GrantScope;
}

export interface MeterPrice {
  /** What is billed, as a reader of the bill would name it. */
  readonly meter: string;
  /** List price in `currency` for `per` units. */
  readonly price: number;
  /** How many `unit`s `price` buys (1, 10,000, 1,000,000...). */
  readonly per: number;
  /** The billing unit, e.g. "GB-s", "execution", "GB", "call". */
  readonly unit: string;
  readonly currency: "USD";
  /** Azure region the list price was read for (ARM name). */
  readonly region: string;
  /** When the price was read (YYYY-MM). */
  readonly read: string;
  readonly source: string;
  readonly freeGrant?: FreeGrant;
  /** Billing rule worth knowing when reading the estimate. */
  readonly note?: string;
}

const eastUs = { currency: "USD", region: "eastus", read: "2026-10", source: SHEET } as const;

/**
 * East US pay-as-you-go list prices, read 2026-10. Key = the estimator's meter id.
 * `satisfies` keeps the keys literal (a typo in the estimator is a type error).
 */
export const PRICES = {
  // Azure Functions, Flex Consumption (FC1)
  "flex.onDemandExecutionTime": {
    ...eastUs,
    meter: "Functions Flex Consumption on-demand execution time",
    price: 0.000026,
    per: 1,
    unit: "GB-s",
    freeGrant: { quantity: 100_000, scope: "subscription" },
    note: "instance memory × billed duration; each execution is billed at least 1,000 ms, then in 100 ms steps",
  },
  "flex.onDemandExecutions": {
    ...eastUs,
    meter: "Functions Flex Consumption on-demand executions",
    price: 0.4,
    per: 1_000_000,
    unit: "execution",
    freeGrant: { quantity: 250_000, scope: "subscription" },
  },
  "flex.alwaysReadyBaseline": {
    ...eastUs,
    meter: "Functions Flex Consumption always-ready baseline",
    price: 0.000004,
    per: 1,
    unit: "GB-s",
    note: "every always-ready instance's memory, for every second of the month, used or not",
  },
  "flex.alwaysReadyExecutionTime": {
    ...eastUs,
    meter: "Functions Flex Consumption always-ready execution time",
    price: 0.000016,
    per: 1,
    unit: "GB-s",
  },
  // Azure Cosmos DB
  "cosmos.serverlessRequestUnits": { ...eastUs, meter: "Cosmos DB serverless request units", price: 0.25, per: 1_000_000, unit: "RU" },
  "cosmos.storage": {
    ...eastUs,
    meter: "Cosmos DB transactional storage",
    price: 0.25,
    per: 1,
    unit: "GB-month",
    note: "the price sheet notes at least 1 GB billed per non-empty container",
  },
  "cosmos.autoscaleThroughput": {
    ...eastUs,
    meter: "Cosmos DB autoscale provisioned throughput",
    price: 0.012,
    per: 100,
    unit: "RU/s-hour",
    note: "billed at the hour's highest RU/s, never below 10% of the maximum",
  },
  "cosmos.continuousBackup30Days": {
    ...eastUs,
    meter: "Cosmos DB continuous backup, 30-day tier",
    price: 0.2,
    per: 1,
    unit: "GB-month per region",
    note: "the 7-day tier is free",
  },
  // Storage (general purpose v2, LRS)
  "storage.queueOperations": { ...eastUs, meter: "Queue Storage operations (class 1 and 2)", price: 0.004, per: 10_000, unit: "operation" },
  "storage.queueCapacity": { ...eastUs, meter: "Queue Storage capacity (LRS)", price: 0.045, per: 1, unit: "GB-month" },
  "storage.blobHotCapacity": { ...eastUs, meter: "Blob Storage hot LRS capacity", price: 0.0208, per: 1, unit: "GB-month" },
  "storage.tableOperations": { ...eastUs, meter: "Table Storage operations (LRS)", price: 0.00036, per: 10_000, unit: "operation" },
  // Event Grid
  "eventgrid.operations": {
    ...eastUs,
    meter: "Event Grid Basic operations",
    price: 0.6,
    per: 1_000_000,
    unit: "operation",
    freeGrant: { quantity: 100_000, scope: "subscription" },
    note: "publishes, delivery attempts and advanced matches each count",
  },
  // API Management
  "apim.consumptionCalls": {
    ...eastUs,
    meter: "API Management Consumption calls",
    price: 0.035,
    per: 10_000,
    unit: "call",
    freeGrant: { quantity: 1_000_000, scope: "subscription" },
  },
  "apim.developerUnit": { ...eastUs, meter: "API Management Developer unit", price: 48, per: 1, unit: "unit-month", note: "$0.0658/hour; no SLA" },
  "apim.basicV2Unit": { ...eastUs, meter: "API Management Basic v2 unit", price: 150, per: 1, unit: "unit-month", note: "10M calls included" },
  "apim.basicV2Calls": { ...eastUs, meter: "API Management Basic v2 calls beyond the included 10M", price: 3, per: 1_000_000, unit: "call" },
  "apim.standardV2Unit": { ...eastUs, meter: "API Management Standard v2 unit", price: 700, per: 1, unit: "unit-month", note: "50M calls included" },
  "apim.standardV2Calls": { ...eastUs, meter: "API Management Standard v2 calls beyond the included 50M", price: 2.5, per: 1_000_000, unit: "call" },
  "apim.premiumUnit": { ...eastUs, meter: "API Management Premium (classic) unit", price: 2795, per: 1, unit: "unit-month" },
  // Azure Monitor
  "monitor.logIngestion": {
    ...eastUs,
    meter: "Log Analytics ingestion (Analytics Logs, incl. workspace-based Application Insights)",
    price: 2.3,
    per: 1,
    unit: "GB",
    freeGrant: { quantity: 5, scope: "billing account" },
  },
  "monitor.logRetention": {
    ...eastUs,
    meter: "Log Analytics retention beyond the included period",
    price: 0.1,
    per: 1,
    unit: "GB-month",
    note: "31 days included (90 for Application Insights tables)",
  },
  "monitor.metricAlertSeries": {
    ...eastUs,
    meter: "Metric alert, monitored time series",
    price: 0.1,
    per: 1,
    unit: "time series-month",
    freeGrant: { quantity: 10, scope: "subscription" },
  },
  "monitor.logAlert1Min": { ...eastUs, meter: "Log search alert rule, evaluated every 1 minute", price: 3, per: 1, unit: "rule-month" },
  "monitor.logAlert5Min": { ...eastUs, meter: "Log search alert rule, evaluated every 5 minutes", price: 1.5, per: 1, unit: "rule-month" },
  "monitor.logAlert10Min": { ...eastUs, meter: "Log search alert rule, evaluated every 10 minutes", price: 1, per: 1, unit: "rule-month" },
  "monitor.logAlert15Min": { ...eastUs, meter: "Log search alert rule, evaluated every 15 minutes or less often", price: 0.5, per: 1, unit: "rule-month" },
  "monitor.standardTestRuns": {
    ...eastUs,
    meter: "Application Insights standard availability test executions",
    price: 0.0005,
    per: 1,
    unit: "execution",
    note: "each location runs the test once per interval; every run is billed",
  },
  // Key Vault
  "keyvault.operations": { ...eastUs, meter: "Key Vault Standard operations", price: 0.03, per: 10_000, unit: "operation" },
  // Private networking (network.mode private). Not in the shared price sheet: the Azure Private Link
  // and Azure DNS list prices; re-read them with the Retail Prices API on the next refresh.
  "network.privateEndpointHours": {
    ...eastUs,
    source: "Azure Private Link list price (not in AZURE-PRICES.md; verify on refresh)",
    meter: "Private endpoint",
    price: 0.01,
    per: 1,
    unit: "endpoint-hour",
    note: "billed every hour it exists (~$7.30/month each), plus $0.01/GB processed (not estimated)",
  },
  "network.privateDnsZones": {
    ...eastUs,
    source: "Azure DNS list price (not in AZURE-PRICES.md; verify on refresh)",
    meter: "Private DNS zone (first 25)",
    price: 0.5,
    per: 1,
    unit: "zone-month",
  },
} as const satisfies Record<string, MeterPrice>;

export type MeterId = keyof typeof PRICES;

/**
 * Where a region's list price differs notably from East US (same meter, other figure). Read with
 * the East US table; only meters with a known regional difference are listed.
 */
export const REGIONAL_PRICES: Readonly<Partial<Record<string, Partial<Record<MeterId, number>>>>> = {
  westeurope: { "monitor.logIngestion": 2.99 },
};

/** The price of one unit of `meter` (e.g. $ per GB-s, $ per execution) in `region`. */
export function unitPrice(meter: MeterId, region?: string): number {
  const p: MeterPrice = PRICES[meter];
  const regional = region ? REGIONAL_PRICES[region]?.[meter] : undefined;
  return (regional ?? p.price) / p.per;
}

/** A month as Azure bills provisioned capacity (730 hours). */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
/** A month for counted events (test runs, daily caps): 30 days. */
export const DAYS_PER_MONTH = 30;
