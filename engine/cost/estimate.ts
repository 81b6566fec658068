/**
 * The monthly cost estimate of one stack, from its plan and the stack's usage assumptions
 * (`costAssumptions` in `Pulumi.<stack>.yaml`).
 *
 * What it reports, and how to read it:
 * - `idle`: the month with no orders at all: always-ready instances, fixed-price tiers, availability
 *   tests, alert rules, stored data, baseline telemetry. Free grants applied.
 * - `atVolume`: the month at the configured `ordersPerMonth` (idle meters included), free grants
 *   applied once per meter (they are per subscription / billing account, not per resource) and
 *   Log Analytics ingestion bounded by the workspace's daily cap.
 * - `perThousandOrders.atConfiguredVolume`: (atVolume − idle) / orders × 1,000: what orders cost on
 *   average at this volume, after free grants (often $0 in dev: the grants cover it).
 * - `perThousandOrders.marginal`: what 1,000 more orders cost once every free grant is used up and
 *   with no ingestion cap: the slope of the bill, the figure to compare designs with.
 *
 * Billing rules applied: Flex bills each execution for at least 1,000 ms, then in 100 ms steps, at the
 * app's instance memory; an always-ready instance bills its memory for the whole (730-hour) month;
 * availability tests bill every run in every location (30-day month); log alert rules are priced by
 * evaluation frequency; the first 10 metric alert series are free.
 */
import type { Plan } from "../plan-format";
import { DAYS_PER_MONTH, HOURS_PER_MONTH, PRICES, SECONDS_PER_MONTH, unitPrice, type MeterId, type MeterPrice } from "./prices";
import { describeSystem, physicalNameOf, type FunctionAppModel, type SystemModel } from "./plan-model";
import { describeRuns, timerRunsPerMonth } from "./schedule";
import { scaleGroupOf, scaleGroups } from "../../components/function-app/scale-groups";

/**
 * With zone redundancy, Flex keeps at least 2 always-ready instances per scale group, billed as
 * always-ready, whatever is configured (learn.microsoft.com/azure/reliability/reliability-functions).
 */
export const ZONE_REDUNDANT_PLATFORM_MINIMUM = 2;

/** The always-ready instances billed for one app, per scale group, with why. */
export function alwaysReadyByGroup(app: FunctionAppModel): { group: string; instances: number; why: string }[] {
  const configured = new Map(app.alwaysReady.map((r) => [r.name.toLowerCase(), r.instanceCount]));
  const groups = app.functions ? scaleGroups(app.functions) : [...configured.keys()];
  const out: { group: string; instances: number; why: string }[] = [];
  for (const group of new Set([...groups, ...configured.keys()])) {
    const set = configured.get(group.toLowerCase()) ?? 0;
    const minimum = app.zoneRedundant && groups.includes(group) ? ZONE_REDUNDANT_PLATFORM_MINIMUM : 0;
    const instances = Math.max(set, minimum);
    if (instances === 0) continue;
    const why = minimum > set ? `platform minimum with zone redundancy, ${set} configured` : "configured";
    out.push({ group, instances, why });
  }
  return out;
}

/** Usage assumptions (the stack config's `costAssumptions`); every field has a default. */
export interface CostAssumptions {
  readonly ordersPerMonth: number;
  /** HTTP calls through the gateway per order. */
  readonly gatewayCallsPerOrder: number;
  /** Average execution time per function invocation (ms), before the 1 s billing minimum. */
  readonly averageExecutionMs: number;
  /** Function executions per order across all services (split evenly across the Function Apps). */
  readonly executionsPerOrder: number;
  /** Telemetry ingested per execution (KB, after sampling). */
  readonly telemetryKbPerExecution: number;
  /** Cosmos DB request units per order across all services. */
  readonly requestUnitsPerOrder: number;
  readonly cosmosStorageGb: number;
  /** Events published per order across all topics (each delivery is billed too). */
  readonly eventsPerOrder: number;
  /** Queue messages per order; each costs ~3 operations (put, get, delete). */
  readonly queueMessagesPerOrder: number;
  /** Telemetry with no orders at all (platform diagnostic logs, host heartbeats, test results), GB/month. */
  readonly baselineTelemetryGbPerMonth: number;
  /** Request units of one timer run in an app that uses Cosmos DB (e.g. the outbox relay's query for pending work). */
  readonly requestUnitsPerTimerRun: number;
}

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  ordersPerMonth: 10_000,
  gatewayCallsPerOrder: 4,
  averageExecutionMs: 300,
  executionsPerOrder: 12,
  telemetryKbPerExecution: 2,
  requestUnitsPerOrder: 60,
  cosmosStorageGb: 1,
  eventsPerOrder: 2,
  queueMessagesPerOrder: 3,
  baselineTelemetryGbPerMonth: 1,
  // An indexed query that finds nothing costs a few RU (the relay polls for pending outbox entries).
  requestUnitsPerTimerRun: 3,
};

export function resolveAssumptions(partial: Partial<CostAssumptions> = {}): CostAssumptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<CostAssumptions>;
  return { ...DEFAULT_ASSUMPTIONS, ...defined };
}

/** One item of the estimate. `amount = (quantity − free) × unitPrice`. */
export interface CostLine {
  readonly meter: MeterId;
  /** The meter's name on the bill. */
  readonly description: string;
  /** What incurs it: an app, a test, a rule... */
  readonly item: string;
  /** Monthly quantity, in `unit`. */
  readonly quantity: number;
  /** Of `quantity`, what a free grant covers. */
  readonly free: number;
  readonly unit: string;
  /** Price per one `unit`, in USD. */
  readonly unitPrice: number;
  readonly amount: number;
  readonly note: string;
  /** Idle meters are billed with no orders; usage meters grow with orders. */
  readonly kind: "idle" | "usage";
}

export interface CostSection {
  readonly lines: readonly CostLine[];
  readonly total: number;
}

export interface CostEstimate {
  readonly stack: string;
  readonly region: string;
  readonly currency: "USD";
  /** When and where the prices were read. */
  readonly prices: string;
  readonly assumptions: CostAssumptions;
  readonly idle: CostSection;
  readonly atVolume: CostSection & { readonly orders: number };
  readonly perThousandOrders: {
    readonly atConfiguredVolume: number;
    readonly marginal: number;
    readonly marginalLines: readonly CostLine[];
  };
  readonly notes: readonly string[];
  /** What keeps each Function App from scaling to zero when no order arrives. */
  readonly awake: readonly AppAwake[];
}

/** Why an app runs (and bills) with no orders: always-ready groups, timers, probes. */
export interface AppAwake {
  readonly app: string;
  /** Empty when nothing does: the app scales to zero. */
  readonly reasons: readonly string[];
}

export interface EstimateOptions {
  /** Apply the monthly free grants (per subscription / billing account). @default true */
  readonly applyFreeGrants?: boolean;
}

interface Entry {
  readonly meter: MeterId;
  readonly item: string;
  readonly quantity: number;
  readonly note: string;
  readonly kind: "idle" | "usage";
}

const GB_PER_KB = 1 / 1_000_000;

/** Billed duration of one Flex execution (s): at least 1,000 ms, then rounded up to 100 ms. */
export function flexBilledSeconds(executionMs: number): number {
  return Math.max(1000, Math.ceil(executionMs / 100) * 100) / 1000;
}

/** The log search alert meter for an evaluation frequency (minutes). */
export function logAlertMeter(frequencyMinutes: number): MeterId {
  if (frequencyMinutes < 5) return "monitor.logAlert1Min";
  if (frequencyMinutes < 10) return "monitor.logAlert5Min";
  if (frequencyMinutes < 15) return "monitor.logAlert10Min";
  return "monitor.logAlert15Min";
}

const fmt = (n: number): string => n.toLocaleString("en-US", { maximumFractionDigits: 2 });

/** Which Function App a URL (an availability test's) ends up executing, through the gateway or directly. */
function appForUrl(model: SystemModel, url: string | undefined): FunctionAppModel | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = parsed.host.toLowerCase();
  const direct = model.apps.find((a) => a.hostName === host);
  if (direct) return direct;
  const gateway = model.gateways.find((g) => g.hostName === host);
  const path = parsed.pathname.replace(/^\/+/, "");
  return gateway?.routes.find((r) => r.app && path.startsWith(r.label.replace(/^\/+/, "")))?.app;
}

function collect(model: SystemModel, orders: number, a: CostAssumptions, capIngestion: boolean): { entries: Entry[]; notes: string[] } {
  const entries: Entry[] = [];
  const notes: string[] = [];
  const add = (e: Entry): void => {
    if (e.quantity > 0) entries.push(e);
  };
  const flexApps = model.apps.filter((app) => app.flex);
  const billedSeconds = flexBilledSeconds(a.averageExecutionMs);

  // Always-ready instances, per scale group: memory × every second of the month. With zone
  // redundancy the platform keeps (and bills) 2 per scale group whatever is configured.
  for (const app of flexApps) {
    const gb = app.instanceMemoryMB / 1024;
    for (const { group, instances, why } of alwaysReadyByGroup(app)) {
      add({
        meter: "flex.alwaysReadyBaseline",
        item: `${app.name} (${group})`,
        quantity: instances * gb * SECONDS_PER_MONTH,
        note: `${instances} always-ready × ${fmt(gb)} GB × ${HOURS_PER_MONTH} h: ${why}`,
        kind: "idle",
      });
    }
    if (app.zoneRedundant && !app.functions) {
      notes.push(`${app.name} is zone redundant but its functions are unknown (no code deployment in the plan): the platform's 2 always-ready instances per scale group are priced only for the configured groups.`);
    }
  }

  // Timers run whether or not orders arrive: executions, their GB-seconds and (in apps that use
  // Cosmos DB) a query each, plus their telemetry. An app with a timer never scales to zero.
  const cosmosUsers = new Set(model.uses.filter((u) => u.target.type === "database").map((u) => u.app.name));
  const serverless = model.cosmosAccounts.some((c) => c.serverless);
  let timerExecutions = 0;
  for (const app of flexApps) {
    const gb = app.instanceMemoryMB / 1024;
    const warmGroups = new Set(alwaysReadyByGroup(app).map((g) => g.group));
    for (const fn of (app.functions ?? []).filter((f) => f.trigger.toLowerCase() === "timertrigger")) {
      const runs = fn.schedule ? timerRunsPerMonth(fn.schedule) : undefined;
      if (runs === undefined) {
        notes.push(`Timer ${app.name}/${fn.name} has a schedule the estimate cannot read (${fn.schedule ?? "none"}): not priced.`);
        continue;
      }
      timerExecutions += runs;
      const item = `${app.name}/${fn.name} (timer ${describeRuns(runs)})`;
      const warm = warmGroups.has(scaleGroupOf(fn));
      add({ meter: "flex.onDemandExecutions", item, quantity: runs, note: `${fmt(runs)} runs a month (${fn.schedule})`, kind: "idle" });
      add({
        meter: warm ? "flex.alwaysReadyExecutionTime" : "flex.onDemandExecutionTime",
        item,
        quantity: runs * billedSeconds * gb,
        note: `${fmt(runs)} runs × ${fmt(billedSeconds)} s × ${fmt(gb)} GB${warm ? " on its always-ready instances" : ""}`,
        kind: "idle",
      });
      if (cosmosUsers.has(app.name) && serverless) {
        add({
          meter: "cosmos.serverlessRequestUnits",
          item,
          quantity: runs * a.requestUnitsPerTimerRun,
          note: `${fmt(runs)} runs × ${a.requestUnitsPerTimerRun} RU (requestUnitsPerTimerRun)`,
          kind: "idle",
        });
      }
    }
  }

  // Availability tests: every run in every location, plus the gateway call and execution each causes.
  let testCalls = 0;
  for (const t of model.webTests.filter((w) => w.enabled)) {
    const runs = ((DAYS_PER_MONTH * 86_400) / t.frequencySeconds) * t.locations;
    add({
      meter: "monitor.standardTestRuns",
      item: t.name,
      quantity: runs,
      note: `${t.locations} location(s) every ${t.frequencySeconds / 60} min: ${DAYS_PER_MONTH} × 86,400 / ${t.frequencySeconds} × ${t.locations}`,
      kind: "idle",
    });
    if (t.url && model.gateways.some((g) => t.url?.toLowerCase().includes(g.hostName))) testCalls += runs;
    const app = appForUrl(model, t.url);
    if (app?.flex) {
      add({ meter: "flex.onDemandExecutions", item: `${app.name} (availability test)`, quantity: runs, note: "one execution per test run", kind: "idle" });
      add({
        meter: "flex.onDemandExecutionTime",
        item: `${app.name} (availability test)`,
        quantity: runs * 1 * (app.instanceMemoryMB / 1024),
        note: `${fmt(runs)} runs × 1 s minimum × ${fmt(app.instanceMemoryMB / 1024)} GB`,
        kind: "idle",
      });
    }
  }

  // Alert rules.
  for (const r of model.logAlerts.filter((x) => x.enabled)) {
    add({ meter: logAlertMeter(r.frequencyMinutes), item: r.resource.name, quantity: 1, note: `evaluated every ${fmt(r.frequencyMinutes)} min`, kind: "idle" });
  }
  const series = model.metricAlerts.filter((x) => x.enabled).reduce((n, r) => n + r.series, 0);
  add({
    meter: "monitor.metricAlertSeries",
    item: `${model.metricAlerts.filter((x) => x.enabled).length} metric alert rule(s)`,
    quantity: series,
    note: "one series per criterion per scope",
    kind: "idle",
  });

  // API Management.
  for (const g of model.gateways) {
    const units = Math.max(1, g.capacity);
    const calls = orders * a.gatewayCallsPerOrder;
    const fixed: Partial<Record<string, { unit: MeterId; calls?: MeterId; included?: number }>> = {
      Developer: { unit: "apim.developerUnit" },
      BasicV2: { unit: "apim.basicV2Unit", calls: "apim.basicV2Calls", included: 10_000_000 },
      StandardV2: { unit: "apim.standardV2Unit", calls: "apim.standardV2Calls", included: 50_000_000 },
      Premium: { unit: "apim.premiumUnit" },
    };
    const tier = fixed[g.sku];
    if (g.sku === "Consumption") {
      add({ meter: "apim.consumptionCalls", item: `${g.name} (availability tests)`, quantity: testCalls, note: "test runs through the gateway", kind: "idle" });
      add({ meter: "apim.consumptionCalls", item: g.name, quantity: calls, note: `${fmt(orders)} orders × ${a.gatewayCallsPerOrder} calls`, kind: "usage" });
    } else if (tier) {
      add({ meter: tier.unit, item: g.name, quantity: units, note: `${g.sku} × ${units} unit(s): fixed monthly price`, kind: "idle" });
      if (tier.calls && tier.included !== undefined) {
        add({
          meter: tier.calls,
          item: g.name,
          quantity: Math.max(0, calls + testCalls - tier.included * units),
          note: `beyond ${fmt(tier.included * units)} included calls`,
          kind: "usage",
        });
      }
    } else {
      notes.push(`API Management sku "${g.sku}" of ${g.name} has no price in engine/cost/prices.ts: not estimated.`);
    }
  }

  // Functions on demand: executions split evenly across the Flex apps.
  const executions = orders * a.executionsPerOrder;
  if (flexApps.length > 0 && executions > 0) {
    const perApp = executions / flexApps.length;
    const gbs = flexApps.reduce((n, app) => n + perApp * billedSeconds * (app.instanceMemoryMB / 1024), 0);
    add({ meter: "flex.onDemandExecutions", item: `${flexApps.length} Function App(s)`, quantity: executions, note: `${fmt(orders)} orders × ${a.executionsPerOrder} executions`, kind: "usage" });
    add({
      meter: "flex.onDemandExecutionTime",
      item: `${flexApps.length} Function App(s)`,
      quantity: gbs,
      note:
        `${a.averageExecutionMs} ms billed as ${fmt(billedSeconds)} s; ` +
        flexApps.map((app) => `${app.name}: ${fmt(perApp)} × ${fmt(billedSeconds)} s × ${fmt(app.instanceMemoryMB / 1024)} GB`).join("; "),
      kind: "usage",
    });
  }
  if (flexApps.some((app) => app.alwaysReady.length > 0) && executions > 0) {
    notes.push("Executions on always-ready instances bill at the lower always-ready rate; the estimate prices every execution on demand (an upper bound).");
  }

  // Cosmos DB.
  if (model.cosmosAccounts.length > 0) {
    add({ meter: "cosmos.storage", item: model.cosmosAccounts.map((c) => c.name).join(", "), quantity: a.cosmosStorageGb, note: "assumed stored data (cosmosStorageGb)", kind: "idle" });
    for (const c of model.cosmosAccounts.filter((x) => x.backupTier === "Continuous30Days")) {
      add({ meter: "cosmos.continuousBackup30Days", item: c.name, quantity: a.cosmosStorageGb * c.regions, note: `${fmt(a.cosmosStorageGb)} GB × ${c.regions} region(s)`, kind: "idle" });
    }
    for (const c of model.cosmosAccounts) {
      for (const t of c.throughput) {
        if (t.autoscaleMax !== undefined) {
          add({
            meter: "cosmos.autoscaleThroughput",
            item: `${c.name}/${t.resource.name}`,
            quantity: 0.1 * t.autoscaleMax * HOURS_PER_MONTH,
            note: `idle floor: 10% of ${fmt(t.autoscaleMax)} RU/s × ${HOURS_PER_MONTH} h (load above it bills more)`,
            kind: "idle",
          });
        } else if (t.manual !== undefined) {
          notes.push(`${c.name}/${t.resource.name} sets manual throughput (${t.manual} RU/s): standard provisioned throughput has no price in prices.ts.`);
        }
      }
    }
    if (model.cosmosAccounts.some((c) => c.serverless)) {
      add({ meter: "cosmos.serverlessRequestUnits", item: model.cosmosAccounts.filter((c) => c.serverless).map((c) => c.name).join(", "), quantity: orders * a.requestUnitsPerOrder, note: `${fmt(orders)} orders × ${a.requestUnitsPerOrder} RU`, kind: "usage" });
    }
  }

  // Queues and Event Grid.
  const queues = model.queues.filter((q) => !q.poison);
  if (queues.length > 0) {
    add({ meter: "storage.queueOperations", item: `${queues.length} queue(s)`, quantity: orders * a.queueMessagesPerOrder * 3, note: `${fmt(orders)} orders × ${a.queueMessagesPerOrder} messages × 3 operations (put, get, delete)`, kind: "usage" });
  }
  for (const t of model.topics) {
    const events = (orders * a.eventsPerOrder) / model.topics.length;
    add({ meter: "eventgrid.operations", item: t.name, quantity: events * (1 + t.subscriptions.length), note: `${fmt(events)} events × (1 publish + ${t.subscriptions.length} deliveries)`, kind: "usage" });
  }

  // Private networking: every endpoint is billed per hour and every zone per month, used or not.
  if (model.privateEndpoints.length > 0) {
    add({
      meter: "network.privateEndpointHours",
      item: `${model.privateEndpoints.length} private endpoint(s)`,
      quantity: model.privateEndpoints.length * HOURS_PER_MONTH,
      note: `${model.privateEndpoints.length} × ${HOURS_PER_MONTH} h`,
      kind: "idle",
    });
  }
  if (model.privateDnsZones.length > 0) {
    add({ meter: "network.privateDnsZones", item: `${model.privateDnsZones.length} private DNS zone(s)`, quantity: model.privateDnsZones.length, note: "per zone per month", kind: "idle" });
  }

  // Key Vault: references are re-read about once a day per app.
  const references = model.apps.reduce((n, app) => n + app.keyVaultReferences, 0);
  if (model.vaults.length > 0) {
    add({ meter: "keyvault.operations", item: model.vaults.map((v) => (typeof v.inputs.vaultName === "string" ? v.inputs.vaultName : physicalNameOf(v))).join(", "), quantity: references * DAYS_PER_MONTH, note: `${references} Key Vault reference(s) refreshed daily`, kind: "idle" });
  }

  // Log Analytics: baseline + telemetry per execution, bounded by the daily cap.
  if (model.workspaces.length > 0) {
    let baseline = a.baselineTelemetryGbPerMonth + timerExecutions * a.telemetryKbPerExecution * GB_PER_KB;
    let telemetry = executions * a.telemetryKbPerExecution * GB_PER_KB;
    const capped = model.workspaces.every((w) => w.dailyQuotaGb !== undefined);
    const cap = model.workspaces.reduce((n, w) => n + (w.dailyQuotaGb ?? 0) * DAYS_PER_MONTH, 0);
    let capNote = "";
    if (capIngestion && capped && baseline + telemetry > cap) {
      capNote = ` (capped: dailyQuotaGb allows ${fmt(cap)} GB/month; telemetry beyond it is dropped)`;
      notes.push(`At ${fmt(orders)} orders/month telemetry (${fmt(baseline + telemetry)} GB) exceeds the workspace's daily cap (${fmt(cap)} GB/month): data would be lost; raise dailyQuotaGb or sampling.`);
      baseline = Math.min(baseline, cap);
      telemetry = Math.max(0, cap - baseline);
    }
    const item = model.workspaces.map((w) => w.name).join(", ");
    const timerNote = timerExecutions > 0 ? ` + ${fmt(timerExecutions)} timer runs × ${a.telemetryKbPerExecution} KB` : "";
    add({ meter: "monitor.logIngestion", item: `${item} (baseline)`, quantity: baseline, note: `baselineTelemetryGbPerMonth${timerNote}${capNote}`, kind: "idle" });
    add({ meter: "monitor.logIngestion", item: `${item} (telemetry)`, quantity: telemetry, note: `${fmt(executions)} executions × ${a.telemetryKbPerExecution} KB${capNote}`, kind: "usage" });
    const retention = Math.max(...model.workspaces.map((w) => w.retentionInDays));
    add({ meter: "monitor.logRetention", item: `${item} (baseline)`, quantity: (baseline * Math.max(0, retention - 31)) / 30, note: `${retention} days kept, 31 included`, kind: "idle" });
    add({ meter: "monitor.logRetention", item: `${item} (telemetry)`, quantity: (telemetry * Math.max(0, retention - 90)) / 30, note: `${retention} days kept, 90 included for Application Insights`, kind: "usage" });
  }
  return { entries, notes };
}

function price(entries: readonly Entry[], region: string, applyGrants: boolean): CostSection {
  const used = new Map<MeterId, number>();
  const lines = entries.map((e): CostLine => {
    const p: MeterPrice = PRICES[e.meter];
    const grant = applyGrants ? (p.freeGrant?.quantity ?? 0) : 0;
    const free = Math.min(e.quantity, Math.max(0, grant - (used.get(e.meter) ?? 0)));
    used.set(e.meter, (used.get(e.meter) ?? 0) + free);
    const each = unitPrice(e.meter, region);
    const grantNote = free > 0 ? `; ${fmt(free)} ${p.unit} free (monthly grant per ${p.freeGrant?.scope}, applied once)` : "";
    return {
      meter: e.meter,
      description: p.meter,
      item: e.item,
      quantity: e.quantity,
      free,
      unit: p.unit,
      unitPrice: each,
      amount: (e.quantity - free) * each,
      note: e.note + grantNote,
      kind: e.kind,
    };
  });
  return { lines, total: lines.reduce((n, l) => n + l.amount, 0) };
}

/** Estimates one stack's monthly cost from its plan. */
export function estimateCost(plan: Plan, assumptions: Partial<CostAssumptions> = {}, options: EstimateOptions = {}): CostEstimate {
  const a = resolveAssumptions(assumptions);
  const applyGrants = options.applyFreeGrants ?? true;
  const model = describeSystem(plan);
  const region = model.location;
  const idle = collect(model, 0, a, true);
  const volume = collect(model, a.ordersPerMonth, a, true);
  const marginal = collect(model, 1000, a, false);
  const idleSection = price(idle.entries, region, applyGrants);
  const volumeSection = price(volume.entries, region, applyGrants);
  const marginalSection = price(marginal.entries.filter((e) => e.kind === "usage"), region, false);
  const notes = [...new Set([...volume.notes, ...idle.notes])];
  if (applyGrants) {
    notes.push("Free grants are per subscription (Log Analytics: per billing account): stacks sharing one share them, so each stack's figure is a lower bound.");
  }
  if (region !== "eastus") {
    notes.push(`Priced at East US list prices (read ${PRICES["flex.onDemandExecutions"].read}); the stack runs in ${region}${region in { westeurope: 1 } ? " (regional Log Analytics price applied)" : ", where list prices may differ"}.`);
  }
  return {
    awake: whatKeepsAppsAwake(model),
    stack: plan.stack,
    region,
    currency: "USD",
    prices: `East US pay-as-you-go list prices, read ${PRICES["flex.onDemandExecutions"].read} (${PRICES["flex.onDemandExecutions"].source})`,
    assumptions: a,
    idle: idleSection,
    atVolume: { ...volumeSection, orders: a.ordersPerMonth },
    perThousandOrders: {
      atConfiguredVolume: a.ordersPerMonth > 0 ? ((volumeSection.total - idleSection.total) / a.ordersPerMonth) * 1000 : 0,
      marginal: marginalSection.total,
      marginalLines: marginalSection.lines,
    },
    notes,
  };
}

/** Per Flex app: the always-ready groups, timers and probes that keep it running with no orders. */
export function whatKeepsAppsAwake(model: SystemModel): AppAwake[] {
  return model.apps
    .filter((app) => app.flex)
    .map((app) => {
      const reasons: string[] = [];
      for (const g of alwaysReadyByGroup(app)) reasons.push(`always-ready ${g.group} × ${g.instances} (${g.why})`);
      for (const fn of (app.functions ?? []).filter((f) => f.trigger.toLowerCase() === "timertrigger")) {
        const runs = fn.schedule ? timerRunsPerMonth(fn.schedule) : undefined;
        reasons.push(`timer ${fn.name} ${runs !== undefined ? `${describeRuns(runs)} (${fmt(runs)} runs/month)` : `on schedule ${fn.schedule ?? "?"}`}: never scales to zero`);
      }
      for (const t of model.webTests.filter((w) => w.enabled && appForUrl(model, w.url) === app)) {
        reasons.push(`availability test ${t.name} every ${t.frequencySeconds / 60} min from ${t.locations} location(s)`);
      }
      return { app: app.name, reasons };
    });
}
