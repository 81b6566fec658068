/**
 * The system as a plan describes it, read from azure-native resource types and their resolved inputs
 * (never from our component tokens): Function Apps and their sizing, queues, topics and their
 * subscriptions, Cosmos accounts and databases, the gateway and what it routes to, and who uses what
 * (from role assignments). The cost estimate and the architecture diagram both read this model, so
 * they follow whatever the stacks contain.
 */
import { AZURE_ROLES, COSMOS_DATA_ROLES } from "../../components/core/azure-roles";
import type { Plan, PlannedResource } from "../plan-format";

/** Reads a nested value: `at(obj, "a", "b")`. */
export function at(value: unknown, ...path: readonly string[]): unknown {
  let v: unknown = value;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

const asString = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
const asNumber = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The physical name of a resource (what Azure calls it). */
export function physicalNameOf(r: PlannedResource): string {
  return asString(r.outputs.name) ?? r.name;
}

export interface FunctionAppModel {
  readonly resource: PlannedResource;
  readonly name: string;
  readonly hostName: string;
  /** Flex instance memory (MB); 2,048 when not set (the platform default). */
  readonly instanceMemoryMB: number;
  readonly alwaysReady: readonly { readonly name: string; readonly instanceCount: number }[];
  /** True when the app runs on a Flex Consumption (FC1) plan or declares `functionAppConfig`. */
  readonly flex: boolean;
  /** True when its plan is zone redundant (Flex then keeps 2 always-ready instances per scale group). */
  readonly zoneRedundant: boolean;
  /**
   * The functions its code registers (name, trigger, timer schedule), from the code deployment that
   * targets it; undefined when the plan deploys no code to it.
   */
  readonly functions?: readonly { readonly name: string; readonly trigger: string; readonly schedule?: string }[];
  /** Key Vault references among its app settings. */
  readonly keyVaultReferences: number;
  /** Every https URL among its app settings (for links to external back ends). */
  readonly settingUrls: readonly string[];
}

export interface QueueModel {
  readonly resource: PlannedResource;
  readonly name: string;
  readonly account: string;
  /** `<queue>-poison` companions: created with their queue, not a separate flow. */
  readonly poison: boolean;
}

export interface TopicModel {
  readonly resource: PlannedResource;
  readonly name: string;
  readonly subscriptions: readonly { readonly resource: PlannedResource; readonly queue?: QueueModel }[];
}

export interface CosmosAccountModel {
  readonly resource: PlannedResource;
  readonly name: string;
  readonly serverless: boolean;
  readonly backupTier?: string;
  readonly regions: number;
  /** Provisioned throughput (databases and containers that set it). */
  readonly throughput: readonly { readonly resource: PlannedResource; readonly autoscaleMax?: number; readonly manual?: number }[];
}

export interface CosmosDatabaseModel {
  readonly resource: PlannedResource;
  readonly name: string;
  readonly account: string;
}

export interface GatewayRoute {
  /** The API's path (e.g. `orders/v1`) or the back end's id when no API names it. */
  readonly label: string;
  readonly url: string;
  /** The Function App the URL points at; absent = an external (non-serverless) back end. */
  readonly app?: FunctionAppModel;
}

export interface GatewayModel {
  readonly resource: PlannedResource;
  readonly name: string;
  readonly sku: string;
  readonly capacity: number;
  readonly hostName: string;
  readonly routes: readonly GatewayRoute[];
}

export interface WorkspaceModel {
  readonly resource: PlannedResource;
  readonly name: string;
  readonly retentionInDays: number;
  /** Daily ingestion cap in GB; undefined = no cap. */
  readonly dailyQuotaGb?: number;
}

export interface WebTestModel {
  readonly resource: PlannedResource;
  readonly name: string;
  readonly enabled: boolean;
  readonly locations: number;
  readonly frequencySeconds: number;
  readonly url?: string;
}

export type UseKind = "sends" | "processes" | "publishes" | "reads" | "reads/writes" | "calls";

/** A use of one resource by a Function App, from a role assignment or an app setting. */
export interface Use {
  readonly app: FunctionAppModel;
  readonly kind: UseKind;
  readonly target:
    | { readonly type: "queue"; readonly queue: QueueModel }
    | { readonly type: "topic"; readonly topic: TopicModel }
    | { readonly type: "database"; readonly database: CosmosDatabaseModel }
    | { readonly type: "external"; readonly url: string };
}

export interface SystemModel {
  readonly location: string;
  readonly apps: readonly FunctionAppModel[];
  readonly queues: readonly QueueModel[];
  readonly topics: readonly TopicModel[];
  readonly cosmosAccounts: readonly CosmosAccountModel[];
  readonly databases: readonly CosmosDatabaseModel[];
  readonly gateways: readonly GatewayModel[];
  readonly workspaces: readonly WorkspaceModel[];
  readonly webTests: readonly WebTestModel[];
  readonly metricAlerts: readonly { readonly resource: PlannedResource; readonly enabled: boolean; readonly series: number }[];
  readonly logAlerts: readonly { readonly resource: PlannedResource; readonly enabled: boolean; readonly frequencyMinutes: number }[];
  readonly vaults: readonly PlannedResource[];
  /** Private endpoints and private DNS zones (network mode private): always-on. */
  readonly privateEndpoints: readonly PlannedResource[];
  readonly privateDnsZones: readonly PlannedResource[];
  /** External back ends: URLs the gateway or an app reaches that are not Function Apps. */
  readonly externals: readonly string[];
  readonly uses: readonly Use[];
}

// Built-in role definition ids (the GUID at the end of roleDefinitionId), from the one table of role facts.
const QUEUE_SEND_ROLES = new Set<string>([AZURE_ROLES.storageQueueDataMessageSender.id]);
const QUEUE_PROCESS_ROLES = new Set<string>([
  AZURE_ROLES.storageQueueDataContributor.id,
  AZURE_ROLES.storageQueueDataMessageProcessor.id,
  AZURE_ROLES.storageQueueDataReader.id,
]);
const EVENTGRID_SEND_ROLES = new Set<string>([AZURE_ROLES.eventGridDataSender.id]);

/** ISO 8601 duration (PT5M, PT1H, P1D) in minutes. */
export function isoDurationMinutes(value: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(value);
  if (!m || value === "P" || value === "PT") return undefined;
  const [, d, h, min, s] = m;
  return Number(d ?? 0) * 1440 + Number(h ?? 0) * 60 + Number(min ?? 0) + Number(s ?? 0) / 60;
}

/** The `<type>/<name>` pairs of an ARM id after the last `/providers/`, e.g. `[["queues","q"], ...]`. */
function armPairs(id: string): [string, string][] {
  const tail = id.split("/providers/").pop() ?? "";
  const parts = tail.split("/").filter((p) => p.length > 0);
  const pairs: [string, string][] = [];
  // First pair carries the namespace: Microsoft.Storage/storageAccounts/<name>.
  if (parts.length >= 3) pairs.push([parts[1]!, parts[2]!]);
  for (let i = 3; i + 1 < parts.length; i += 2) pairs.push([parts[i]!, parts[i + 1]!]);
  return pairs;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}

function appSettingsOf(app: PlannedResource, plan: Plan): { name: string; value: string }[] {
  const settings: { name: string; value: string }[] = [];
  for (const s of asArray(at(app.inputs, "siteConfig", "appSettings"))) {
    const name = asString(at(s, "name"));
    const value = asString(at(s, "value"));
    if (name && value) settings.push({ name, value });
  }
  // Settings managed by a separate resource (web:WebAppApplicationSettings) for the same site.
  const siteName = asString(app.inputs.name) ?? physicalNameOf(app);
  for (const r of plan.resources) {
    if (r.type !== "azure-native:web:WebAppApplicationSettings" || asString(r.inputs.name) !== siteName) continue;
    const props = at(r.inputs, "properties");
    if (props && typeof props === "object") {
      for (const [name, value] of Object.entries(props as Record<string, unknown>)) {
        if (typeof value === "string") settings.push({ name, value });
      }
    }
  }
  return settings;
}

/** Reads the system from a plan. Unknown or incomplete inputs are skipped, never guessed. */
export function describeSystem(plan: Plan): SystemModel {
  const index = indexPlan(plan);
  const apps = readFunctionApps(index);
  const appByPrincipal = principalsOfApps(index, apps);
  const queues = readQueues(index);
  const topics = readTopics(index, queues);
  const cosmosAccounts = readCosmosAccounts(index);
  const databases = readCosmosDatabases(index);
  const uses = new Uses();
  usesFromRoleAssignments(index, { appByPrincipal, queues, topics }, uses);
  usesFromCosmosRoleAssignments(index, { appByPrincipal, databases }, uses);
  const gateways = readGateways(index, apps);
  const externals = externalBackends(gateways, apps, uses);
  return {
    location: readLocation(index),
    apps,
    queues,
    topics,
    cosmosAccounts,
    databases,
    gateways,
    workspaces: readWorkspaces(index),
    webTests: readWebTests(index),
    metricAlerts: readMetricAlerts(index),
    logAlerts: readLogAlerts(index),
    vaults: index.ofType("keyvault:Vault"),
    privateEndpoints: index.ofType("network:PrivateEndpoint"),
    privateDnsZones: index.ofType("privatedns:PrivateZone"),
    externals,
    uses: uses.list,
  };
}

/** The plan with a lookup of its custom azure-native resources by type (`web:WebApp`). */
interface PlanIndex {
  readonly plan: Plan;
  readonly ofType: (t: string) => PlannedResource[];
}

function indexPlan(plan: Plan): PlanIndex {
  return { plan, ofType: (t) => plan.resources.filter((r) => r.custom && r.type === `azure-native:${t}`) };
}

function readLocation({ plan, ofType }: PlanIndex): string {
  return (
    asString(ofType("resources:ResourceGroup")[0]?.inputs.location) ??
    asString(plan.resources.find((r) => typeof r.inputs.location === "string")?.inputs.location) ??
    "eastus"
  );
}

// ---- Function Apps ------------------------------------------------------------------------------

function readFunctionApps({ plan, ofType }: PlanIndex): FunctionAppModel[] {
  const flexPlans = new Set(
    ofType("web:AppServicePlan")
      .filter((p) => asString(at(p.inputs, "sku", "name")) === "FC1" || asString(at(p.inputs, "sku", "tier")) === "FlexConsumption")
      .map((p) => p.urn),
  );
  const zoneRedundantPlans = new Set(ofType("web:AppServicePlan").filter((p) => p.inputs.zoneRedundant === true).map((p) => p.urn));
  const functionsOf = deployedFunctions(plan);
  return ofType("web:WebApp")
    .filter((r) => /functionapp/i.test(asString(r.inputs.kind) ?? ""))
    .map((r) => {
      const scale = at(r.inputs, "functionAppConfig", "scaleAndConcurrency");
      const name = asString(r.inputs.name) ?? physicalNameOf(r);
      const settings = appSettingsOf(r, plan);
      const onFlexPlan = (r.propertyDependencies.serverFarmId ?? []).some((u) => flexPlans.has(u));
      const functions = functionsOf(r);
      return {
        resource: r,
        name,
        hostName: (asString(r.outputs.defaultHostName) ?? `${name}.azurewebsites.net`).toLowerCase(),
        instanceMemoryMB: asNumber(at(scale, "instanceMemoryMB")) ?? 2048,
        alwaysReady: asArray(at(scale, "alwaysReady")).map((a) => ({
          name: asString(at(a, "name")) ?? "?",
          instanceCount: asNumber(at(a, "instanceCount")) ?? 0,
        })),
        flex: onFlexPlan || at(r.inputs, "functionAppConfig") !== undefined,
        zoneRedundant: (r.propertyDependencies.serverFarmId ?? []).some((u) => zoneRedundantPlans.has(u)),
        ...(functions ? { functions } : {}),
        keyVaultReferences: settings.filter((s) => s.value.startsWith("@Microsoft.KeyVault(")).length,
        settingUrls: settings.map((s) => s.value).filter((v) => /^https:\/\//i.test(v)),
      };
    });
}

/** Code deployments (the FunctionCodeDeployment dynamic resource) name the functions of their site. */
function deployedFunctions(plan: Plan): (app: PlannedResource) => FunctionAppModel["functions"] {
  const deployments = plan.resources.filter((r) => /:FunctionCodeDeployment$/.test(r.type) && Array.isArray(r.inputs.functions));
  return (app) => {
    const d = deployments.find((x) => (x.propertyDependencies.siteId ?? []).includes(app.urn) || (app.id !== undefined && x.inputs.siteId === app.id));
    if (!d) return undefined;
    return asArray(d.inputs.functions).flatMap((f) => {
      const name = asString(at(f, "name"));
      const trigger = asString(at(f, "trigger"));
      const schedule = asString(at(f, "schedule"));
      return name && trigger ? [{ name, trigger, ...(schedule ? { schedule } : {}) }] : [];
    });
  };
}

/** Principals → apps: user-assigned identities attached to an app, and apps' own system identities. */
function principalsOfApps({ ofType }: PlanIndex, apps: readonly FunctionAppModel[]): Map<string, FunctionAppModel> {
  const appByPrincipal = new Map<string, FunctionAppModel>();
  const uamis = ofType("managedidentity:UserAssignedIdentity");
  for (const app of apps) {
    const sys = asString(at(app.resource.outputs, "identity", "principalId"));
    if (sys) appByPrincipal.set(sys, app);
    const attached = asArray(at(app.resource.inputs, "identity", "userAssignedIdentities")).map((x) => String(x).toLowerCase());
    const identityDeps = new Set(app.resource.propertyDependencies.identity ?? []);
    for (const u of uamis) {
      const principal = asString(u.outputs.principalId);
      if (!principal) continue;
      const uName = physicalNameOf(u).toLowerCase();
      if (identityDeps.has(u.urn) || attached.some((id) => id.endsWith(`/userassignedidentities/${uName}`))) {
        appByPrincipal.set(principal, app);
      }
    }
  }
  return appByPrincipal;
}

// ---- Queues and topics --------------------------------------------------------------------------

function readQueues({ ofType }: PlanIndex): QueueModel[] {
  return ofType("storage:Queue").map((r) => {
    const name = asString(r.inputs.queueName) ?? physicalNameOf(r);
    return { resource: r, name, account: asString(r.inputs.accountName) ?? "", poison: name.endsWith("-poison") };
  });
}

/** The queue a scope names: by the scope's dependency on the queue resource, else by its ARM id. */
function findQueue(queues: readonly QueueModel[], scope: string, deps: readonly string[]): QueueModel | undefined {
  const byDep = queues.find((q) => deps.includes(q.resource.urn));
  if (byDep) return byDep;
  const pairs = armPairs(scope);
  const last = pairs[pairs.length - 1];
  const account = pairs.find(([t]) => t.toLowerCase() === "storageaccounts")?.[1];
  if (!last || last[0].toLowerCase() !== "queues") return undefined;
  return queues.find((q) => q.name === last[1] && (!account || q.account === account));
}

/** The topic a scope names: by dependency, else by the last `topics/<name>` of its ARM id. */
function findTopic(topicResources: readonly PlannedResource[], scope: string, deps: readonly string[]): PlannedResource | undefined {
  return (
    topicResources.find((t) => deps.includes(t.urn)) ??
    topicResources.find((t) => {
      const pairs = armPairs(scope);
      const last = pairs[pairs.length - 1];
      return last !== undefined && last[0].toLowerCase() === "topics" && last[1] === (asString(t.inputs.topicName) ?? physicalNameOf(t));
    })
  );
}

/** Topics and their subscriptions (topic → queue deliveries). */
function readTopics({ ofType }: PlanIndex, queues: readonly QueueModel[]): TopicModel[] {
  const topicResources = ofType("eventgrid:Topic");
  const subscriptionsOf = new Map<string, { resource: PlannedResource; queue?: QueueModel }[]>();
  for (const s of [...ofType("eventgrid:EventSubscription"), ...ofType("eventgrid:TopicEventSubscription")]) {
    const topic =
      s.type.endsWith("TopicEventSubscription")
        ? topicResources.find((t) => (asString(t.inputs.topicName) ?? physicalNameOf(t)) === asString(s.inputs.topicName))
        : findTopic(topicResources, asString(s.inputs.scope) ?? "", s.propertyDependencies.scope ?? []);
    if (!topic) continue;
    const destination =
      at(s.inputs, "deliveryWithResourceIdentity", "destination") ?? at(s.inputs, "destination");
    let queue: QueueModel | undefined;
    const queueName = asString(at(destination, "queueName"));
    if (queueName) {
      const account = armPairs(asString(at(destination, "resourceId")) ?? "").find(([t]) => t.toLowerCase() === "storageaccounts")?.[1];
      queue = queues.find((q) => q.name === queueName && (!account || q.account === account));
    }
    const list = subscriptionsOf.get(topic.urn) ?? [];
    list.push({ resource: s, ...(queue ? { queue } : {}) });
    subscriptionsOf.set(topic.urn, list);
  }
  return topicResources.map((t) => ({
    resource: t,
    name: asString(t.inputs.topicName) ?? physicalNameOf(t),
    subscriptions: subscriptionsOf.get(t.urn) ?? [],
  }));
}

// ---- Cosmos DB ----------------------------------------------------------------------------------

function throughputOf(r: PlannedResource): { autoscaleMax?: number; manual?: number } | undefined {
  const options = at(r.inputs, "options");
  const autoscaleMax = asNumber(at(options, "autoscaleSettings", "maxThroughput"));
  const manual = asNumber(at(options, "throughput"));
  if (autoscaleMax === undefined && manual === undefined) return undefined;
  return { ...(autoscaleMax !== undefined ? { autoscaleMax } : {}), ...(manual !== undefined ? { manual } : {}) };
}

function readCosmosAccounts({ ofType }: PlanIndex): CosmosAccountModel[] {
  const sqlDatabases = ofType("cosmosdb:SqlResourceSqlDatabase");
  const sqlContainers = ofType("cosmosdb:SqlResourceSqlContainer");
  return ofType("cosmosdb:DatabaseAccount").map((r) => {
    const name = asString(r.inputs.accountName) ?? physicalNameOf(r);
    const throughput = [...sqlDatabases, ...sqlContainers]
      .filter((d) => asString(d.inputs.accountName) === name)
      .flatMap((d) => {
        const t = throughputOf(d);
        return t ? [{ resource: d, ...t }] : [];
      });
    const backupTier =
      asString(at(r.inputs, "backupPolicy", "type")) === "Continuous"
        ? asString(at(r.inputs, "backupPolicy", "continuousModeProperties", "tier")) ?? "Continuous30Days"
        : undefined;
    return {
      resource: r,
      name,
      serverless: asArray(r.inputs.capabilities).some((c) => asString(at(c, "name")) === "EnableServerless"),
      ...(backupTier ? { backupTier } : {}),
      regions: Math.max(1, asArray(r.inputs.locations).length),
      throughput,
    };
  });
}

function readCosmosDatabases({ ofType }: PlanIndex): CosmosDatabaseModel[] {
  return ofType("cosmosdb:SqlResourceSqlDatabase").map((r) => ({
    resource: r,
    name: asString(r.inputs.databaseName) ?? physicalNameOf(r),
    account: asString(r.inputs.accountName) ?? "",
  }));
}

// ---- Uses ---------------------------------------------------------------------------------------

/** The uses found so far, each once (by a key of app, kind and target). */
class Uses {
  readonly list: Use[] = [];
  private readonly seen = new Set<string>();
  add(use: Use, key: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(use);
  }
}

/** Queue sends/processing and topic publishing, from the apps' RBAC role assignments. */
function usesFromRoleAssignments(
  { ofType }: PlanIndex,
  system: { readonly appByPrincipal: ReadonlyMap<string, FunctionAppModel>; readonly queues: readonly QueueModel[]; readonly topics: readonly TopicModel[] },
  uses: Uses,
): void {
  const topicResources = ofType("eventgrid:Topic");
  for (const ra of ofType("authorization:RoleAssignment")) {
    const app = system.appByPrincipal.get(asString(ra.inputs.principalId) ?? "");
    if (!app) continue;
    const role = (asString(ra.inputs.roleDefinitionId) ?? "").split("/").pop()?.toLowerCase() ?? "";
    const scope = asString(ra.inputs.scope) ?? "";
    const deps = ra.propertyDependencies.scope ?? [];
    const queue = findQueue(system.queues, scope, deps);
    if (queue && !queue.poison && (QUEUE_SEND_ROLES.has(role) || QUEUE_PROCESS_ROLES.has(role))) {
      const kind: UseKind = QUEUE_SEND_ROLES.has(role) ? "sends" : "processes";
      uses.add({ app, kind, target: { type: "queue", queue } }, `${app.name}|${kind}|q|${queue.account}/${queue.name}`);
      continue;
    }
    const topicRes = findTopic(topicResources, scope, deps);
    const topic = topicRes ? system.topics.find((t) => t.resource === topicRes) : undefined;
    if (topic && EVENTGRID_SEND_ROLES.has(role)) {
      uses.add({ app, kind: "publishes", target: { type: "topic", topic } }, `${app.name}|pub|${topic.name}`);
    }
  }
}

/** Database reads and writes, from Cosmos DB data-plane role assignments. */
function usesFromCosmosRoleAssignments(
  { ofType }: PlanIndex,
  system: { readonly appByPrincipal: ReadonlyMap<string, FunctionAppModel>; readonly databases: readonly CosmosDatabaseModel[] },
  uses: Uses,
): void {
  for (const ra of ofType("cosmosdb:SqlResourceSqlRoleAssignment")) {
    const app = system.appByPrincipal.get(asString(ra.inputs.principalId) ?? "");
    if (!app) continue;
    const account = asString(ra.inputs.accountName) ?? "";
    const scope = asString(ra.inputs.scope) ?? "";
    const dbName = /\/dbs\/([^/]+)/.exec(scope)?.[1];
    const targets = dbName
      ? system.databases.filter((d) => d.name === dbName && (!account || d.account === account))
      : system.databases.filter((d) => d.account === account); // account-wide grant
    const readOnly = (asString(ra.inputs.roleDefinitionId) ?? "").endsWith(COSMOS_DATA_ROLES.reader.id);
    const kind: UseKind = readOnly ? "reads" : "reads/writes";
    for (const database of targets) {
      uses.add({ app, kind, target: { type: "database", database } }, `${app.name}|db|${database.account}/${database.name}|${kind}`);
    }
  }
}

// ---- Gateway and external back ends ------------------------------------------------------------

function readGateways({ ofType }: PlanIndex, apps: readonly FunctionAppModel[]): GatewayModel[] {
  const appByHost = new Map(apps.map((a) => [a.hostName, a]));
  const backends = ofType("apimanagement:Backend");
  const apis = ofType("apimanagement:Api");
  const policies = [...ofType("apimanagement:ApiPolicy"), ...ofType("apimanagement:ApiOperationPolicy")];
  const backendUrl = (id: string, service: string): string | undefined =>
    asString(
      backends.find((b) => asString(b.inputs.serviceName) === service && (asString(b.inputs.backendId) ?? physicalNameOf(b)) === id)?.inputs.url,
    );
  return ofType("apimanagement:ApiManagementService").map((g) => {
    const name = asString(g.inputs.serviceName) ?? physicalNameOf(g);
    const routes: GatewayRoute[] = [];
    const usedBackends = new Set<string>();
    const route = (label: string, url: string): void => {
      if (routes.some((r) => r.label === label && r.url === url)) return;
      const app = appByHost.get(hostOf(url) ?? "");
      routes.push({ label, url, ...(app ? { app } : {}) });
    };
    for (const api of apis.filter((a) => asString(a.inputs.serviceName) === name)) {
      const apiId = asString(api.inputs.apiId) ?? physicalNameOf(api);
      const label = asString(api.inputs.path) ?? apiId;
      const urls: string[] = [];
      for (const p of policies.filter((p) => asString(p.inputs.serviceName) === name && asString(p.inputs.apiId) === apiId)) {
        const xml = asString(p.inputs.value) ?? "";
        for (const m of xml.matchAll(/<set-backend-service\b[^>]*>/g)) {
          const base = /base-url="([^"]+)"/.exec(m[0])?.[1];
          const id = /backend-id="([^"]+)"/.exec(m[0])?.[1];
          if (base) urls.push(base);
          if (id) {
            usedBackends.add(id);
            const u = backendUrl(id, name);
            if (u) urls.push(u);
          }
        }
      }
      const serviceUrl = asString(api.inputs.serviceUrl);
      if (urls.length === 0 && serviceUrl) urls.push(serviceUrl);
      for (const u of urls) route(label, u);
    }
    for (const b of backends.filter((b) => asString(b.inputs.serviceName) === name)) {
      const id = asString(b.inputs.backendId) ?? physicalNameOf(b);
      const url = asString(b.inputs.url);
      if (url && !usedBackends.has(id) && !routes.some((r) => r.url === url)) route(id, url);
    }
    return {
      resource: g,
      name,
      sku: asString(at(g.inputs, "sku", "name")) ?? "Consumption",
      capacity: asNumber(at(g.inputs, "sku", "capacity")) ?? 0,
      hostName: (hostOf(asString(g.outputs.gatewayUrl) ?? "") ?? `${name}.azure-api.net`).toLowerCase(),
      routes,
    };
  });
}

/** External back ends: gateway routes and app settings that point outside the system (the apps' calls become uses). */
function externalBackends(gateways: readonly GatewayModel[], apps: readonly FunctionAppModel[], uses: Uses): string[] {
  const appHosts = new Set(apps.map((a) => a.hostName));
  const gatewayHosts = new Set(gateways.map((g) => g.hostName));
  const externals = new Set<string>(gateways.flatMap((g) => g.routes.filter((r) => !r.app).map((r) => r.url)));
  const isInternal = (url: string): boolean => {
    const host = hostOf(url) ?? "";
    return appHosts.has(host) || gatewayHosts.has(host) || /\.(azure\.net|azure\.com|windows\.net|azure-api\.net)$/.test(host);
  };
  for (const app of apps) {
    for (const url of app.settingUrls) {
      if (isInternal(url)) continue;
      const known = [...externals].find((e) => hostOf(e) === hostOf(url));
      const target = known ?? url;
      externals.add(target);
      uses.add({ app, kind: "calls", target: { type: "external", url: target } }, `${app.name}|ext|${target}`);
    }
  }
  return [...externals];
}

// ---- Monitoring ---------------------------------------------------------------------------------

function readWorkspaces({ ofType }: PlanIndex): WorkspaceModel[] {
  return ofType("operationalinsights:Workspace").map((w) => {
    const quota = asNumber(at(w.inputs, "workspaceCapping", "dailyQuotaGb"));
    return {
      resource: w,
      name: asString(w.inputs.workspaceName) ?? physicalNameOf(w),
      retentionInDays: asNumber(w.inputs.retentionInDays) ?? 30,
      ...(quota !== undefined && quota >= 0 ? { dailyQuotaGb: quota } : {}),
    };
  });
}

function readWebTests({ ofType }: PlanIndex): WebTestModel[] {
  return ofType("applicationinsights:WebTest").map((t) => {
    const url = asString(at(t.inputs, "request", "requestUrl"));
    return {
      resource: t,
      name: asString(t.inputs.webTestName) ?? physicalNameOf(t),
      enabled: t.inputs.enabled !== false,
      locations: asArray(t.inputs.locations).length,
      frequencySeconds: asNumber(t.inputs.frequency) ?? 300,
      ...(url ? { url } : {}),
    };
  });
}

function readMetricAlerts({ ofType }: PlanIndex): SystemModel["metricAlerts"] {
  return ofType("monitor:MetricAlert").map((r) => {
    const criteria = asArray(at(r.inputs, "criteria", "allOf"));
    // One series per criterion per scope; a dimension with "*" adds series per value (unknown here: counted once).
    const scopes = Math.max(1, asArray(r.inputs.scopes).length);
    return { resource: r, enabled: r.inputs.enabled !== false, series: Math.max(1, criteria.length) * scopes };
  });
}

function readLogAlerts({ ofType }: PlanIndex): SystemModel["logAlerts"] {
  return ofType("monitor:ScheduledQueryRule").map((r) => ({
    resource: r,
    enabled: r.inputs.enabled !== false,
    frequencyMinutes: isoDurationMinutes(asString(r.inputs.evaluationFrequency) ?? "") ?? 5,
  }));
}
