/**
 * Runtime safety: what passes every schema check yet fails when `pulumi up` or the running system
 * meets Azure (issue 18). Each rule judges resources by type and property only, so a hand-written
 * resource is held to it as much as one from a component, and each message names the resource, the
 * rule and the fix, with the Azure source the rule relies on.
 *
 * Self-contained on purpose (only @pulumi/policy types): the rest of policy/ may be restructured
 * without touching these rules.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

const TYPES = {
  webApp: "azure-native:web:WebApp",
  plan: "azure-native:web:AppServicePlan",
  storageAccount: "azure-native:storage:StorageAccount",
  privateEndpoint: "azure-native:network:PrivateEndpoint",
  dnsZoneGroup: "azure-native:network:PrivateDnsZoneGroup",
  sqlRoleAssignment: "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
  topic: "azure-native:eventgrid:Topic",
} as const;

/** The CloudEvents input schema the platform's publisher speaks (functions-src/shared/event-schema.ts; a test ties the two). */
export const PUBLISHER_INPUT_SCHEMA = "CloudEventSchemaV1_0";

/** Reads a value; `undefined` when the analyzer does not know it yet (preview) or it is absent. */
function read<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
const lower = (v: unknown): string | undefined => str(v)?.toLowerCase();

function message(rule: string, subject: string, problem: string, fix: string, source: string): string {
  return `[${rule}] ${subject}: ${problem}. Fix: ${fix} (source: ${source})`;
}

/** Every resource `r` depends on, directly or through others (explicit dependsOn and inputs). */
function dependencyClosure(r: PolicyResource): Set<PolicyResource> {
  const seen = new Set<PolicyResource>();
  const stack = [...r.dependencies, ...Object.values(r.propertyDependencies).flat()];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...next.dependencies, ...Object.values(next.propertyDependencies).flat());
  }
  return seen;
}

/** Memoised closures for one stack validation (dependency graphs are walked many times). */
function closures(): (r: PolicyResource) => Set<PolicyResource> {
  const cache = new Map<PolicyResource, Set<PolicyResource>>();
  return (r) => {
    let c = cache.get(r);
    if (!c) {
      c = dependencyClosure(r);
      cache.set(r, c);
    }
    return c;
  };
}

// ---------------------------------------------------------------------------------------------
// Event Grid: the topic's input schema is the publisher's (issue 18 item 3)
// ---------------------------------------------------------------------------------------------

export const eventGridTopicInputSchema: ResourceValidationPolicy = {
  name: "eventgrid-topic-input-schema",
  description: "Event Grid topics declare the input schema the platform's publisher speaks (CloudEvents 1.0), explicitly.",
  enforcementLevel: "mandatory",
  remediationSteps: `Set inputSchema: "${PUBLISHER_INPUT_SCHEMA}" on the topic (ARM's default is EventGridSchema), and publish with createEventGridPublisher (functions-src/shared/clients/eventgrid.ts).`,
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.topic) return args.notApplicable("not an Event Grid topic");
    let schema: unknown;
    try {
      schema = args.props.inputSchema;
    } catch {
      return; // unknown until deployment
    }
    if (schema !== PUBLISHER_INPUT_SCHEMA) {
      report(
        message(
          "eventgrid-topic-input-schema",
          `Event Grid topic "${args.name}"`,
          `inputSchema is ${schema === undefined ? "unset (ARM's default EventGridSchema)" : JSON.stringify(schema)}, but the platform's publisher sends CloudEvents 1.0 and Event Grid refuses events in any schema but the topic's`,
          `set inputSchema: "${PUBLISHER_INPUT_SCHEMA}"`,
          "learn.microsoft.com/azure/event-grid/cloud-event-schema; azure-rest-api-specs eventgrid TopicProperties.inputSchema (default EventGridSchema)",
        ),
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Cosmos DB data-plane role assignments (issue 18 items 4 and 12)
// ---------------------------------------------------------------------------------------------

/** The account a sqlRoleAssignment belongs to: `<resource group>/<account>` (lower case), when known. */
function cosmosAccountKey(r: PolicyResource): string | undefined {
  const account = lower(read(() => r.props.accountName));
  const group = lower(read(() => r.props.resourceGroupName)) ?? "";
  return account ? `${group}/${account}` : undefined;
}

export const cosmosRoleAssignmentsSerialized: StackValidationPolicy = {
  name: "cosmos-role-assignments-serialized",
  description: "Cosmos DB data-plane role assignments on one account are created one at a time (each depends on another, forming a chain).",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Chain the account's SqlResourceSqlRoleAssignments with dependsOn (each on the previous one), as CosmosDb.grantData does; Cosmos refuses a concurrent assignment with 412.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const byAccount = new Map<string, PolicyResource[]>();
    for (const r of args.resources.filter((x) => x.type === TYPES.sqlRoleAssignment)) {
      const key = cosmosAccountKey(r);
      if (!key) continue;
      byAccount.set(key, [...(byAccount.get(key) ?? []), r]);
    }
    const closure = closures();
    for (const [key, grants] of byAccount) {
      for (let i = 0; i < grants.length; i++) {
        for (let j = i + 1; j < grants.length; j++) {
          const a = grants[i]!;
          const b = grants[j]!;
          if (closure(a).has(b) || closure(b).has(a)) continue;
          report(
            message(
              "cosmos-role-assignments-serialized",
              `Cosmos DB role assignments "${a.name}" and "${b.name}" on account ${key.split("/")[1]}`,
              "nothing orders them, so Pulumi creates them in parallel and Cosmos answers the second with 412 (another operation is in progress on the account)",
              `make "${b.name}" depend on "${a.name}" (dependsOn), so each assignment on the account waits for the previous one`,
              "hashicorp/terraform-provider-azurerm#15842 and #17233",
            ),
            b.urn,
          );
        }
      }
    }
  },
};

/** `<account id>/dbs/<db>/colls/<container>`: the narrowest data-plane scope. */
const CONTAINER_SCOPE = /\/dbs\/[^/]+\/colls\/[^/]+$/i;

export const cosmosDataRoleContainerScope: ResourceValidationPolicy = {
  name: "cosmos-data-role-container-scope",
  description: "Cosmos DB data-plane role assignments are scoped to one container, never a database or the whole account.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Scope each SqlResourceSqlRoleAssignment to `<account id>/dbs/<db>/colls/<container>` (one assignment per container the identity needs). The change feed trigger needs no database-level read since Microsoft.Azure.Cosmos 3.32.0.",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.sqlRoleAssignment) return args.notApplicable("not a Cosmos DB data-plane role assignment");
    const scope = str(read(() => args.props.scope as unknown));
    if (scope === undefined) return; // unknown until deployment
    if (!CONTAINER_SCOPE.test(scope)) {
      const what = /\/dbs\/[^/]+$/i.test(scope) ? "a whole database" : "the whole account";
      report(
        message(
          "cosmos-data-role-container-scope",
          `Cosmos DB role assignment "${args.name}"`,
          `its scope ${scope} covers ${what}: every container in it (other services' data, idempotency keys) becomes readable or writable`,
          "scope it to the container(s) the identity uses: <account id>/dbs/<db>/colls/<container>",
          "Azure/azure-cosmos-dotnet-v3#3566 (the change feed processor no longer reads the database, SDK 3.32.0); learn.microsoft.com/azure/cosmos-db/nosql/security/how-to-grant-data-plane-role-based-access",
        ),
      );
    }
  },
};


// ---------------------------------------------------------------------------------------------
// Private storage endpoints named by app settings (issue 18 item 11)
// ---------------------------------------------------------------------------------------------

/** `<PREFIX>__blobServiceUri`-style identity-based storage settings, with the storage service they name. */
const SERVICE_URI_SETTING = /^(.+)__(blob|queue|table|file|dfs)ServiceUri$/i;
/** The host storage connection: the Functions host cannot start without it. */
const HOST_STORAGE_PREFIX = "azurewebjobsstorage";

interface NamedSetting {
  readonly name: string;
  readonly prefix: string;
  readonly service: string;
  readonly account: string;
}

/** Storage settings of an app whose value names an account by its public host (`<account>.<service>.core.windows.net`). */
function storageSettings(app: PolicyResource): NamedSetting[] {
  const pairs = read(() => (app.props.siteConfig as { appSettings?: unknown } | undefined)?.appSettings);
  if (!Array.isArray(pairs)) return [];
  const out: NamedSetting[] = [];
  for (const pair of pairs as unknown[]) {
    const name = str(read(() => (pair as { name?: unknown }).name));
    const value = str(read(() => (pair as { value?: unknown }).value));
    const m = name ? SERVICE_URI_SETTING.exec(name) : null;
    if (!name || !m || !value) continue;
    let host: string;
    try {
      host = new URL(value).hostname.toLowerCase();
    } catch {
      continue;
    }
    const account = host.split(".")[0]!;
    out.push({ name, prefix: m[1]!.toLowerCase(), service: m[2]!.toLowerCase(), account });
  }
  return out;
}

/** A storage account that refuses public traffic: reachable only through private endpoints. */
function isClosed(account: PolicyResource): boolean {
  const access = lower(read(() => account.props.publicNetworkAccess));
  const action = lower(read(() => (account.props.networkRuleSet as { defaultAction?: unknown } | undefined)?.defaultAction));
  return access === "disabled" || action === "deny";
}

/** The private endpoints' targets: `{ endpoint, accountName (lower case), groupIds }`. */
function endpointTargets(resources: readonly PolicyResource[]): { endpoint: PolicyResource; account: string; groupIds: string[] }[] {
  const out: { endpoint: PolicyResource; account: string; groupIds: string[] }[] = [];
  for (const endpoint of resources.filter((r) => r.type === TYPES.privateEndpoint)) {
    const connections = read(() => endpoint.props.privateLinkServiceConnections);
    if (!Array.isArray(connections)) continue;
    for (const c of connections as unknown[]) {
      const id = lower(read(() => (c as { privateLinkServiceId?: unknown }).privateLinkServiceId));
      const m = id ? /\/providers\/microsoft\.storage\/storageaccounts\/([^/]+)$/.exec(id) : null;
      const groups = read(() => (c as { groupIds?: unknown }).groupIds);
      if (m && Array.isArray(groups)) out.push({ endpoint, account: m[1]!, groupIds: (groups as unknown[]).map((g) => String(g).toLowerCase()) });
    }
  }
  return out;
}

export const storageSettingsPrivateEndpoints: StackValidationPolicy = {
  name: "storage-settings-private-endpoints",
  description:
    "Every `<PREFIX>__<service>ServiceUri` app setting naming a closed storage account has a private endpoint for that service; apps wait for their host storage's private DNS records.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Create a private endpoint (groupId = the service: blob, queue, table) with its private DNS zone group for each service the settings name, or drop the setting; make the app dependOn the host storage's endpoints and DNS zone groups.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const accounts = new Map<string, PolicyResource>();
    for (const a of args.resources.filter((r) => r.type === TYPES.storageAccount)) {
      const name = lower(read(() => a.props.accountName)) ?? lower(read(() => a.props.name));
      if (name) accounts.set(name, a);
    }
    const targets = endpointTargets(args.resources);
    const zoneGroups = args.resources.filter((r) => r.type === TYPES.dnsZoneGroup);
    const closure = closures();
    for (const app of args.resources.filter((r) => r.type === TYPES.webApp)) {
      for (const setting of storageSettings(app)) {
        const account = accounts.get(setting.account);
        if (!account || !isClosed(account)) continue;
        const endpoints = targets.filter((t) => t.account === setting.account && t.groupIds.includes(setting.service)).map((t) => t.endpoint);
        if (endpoints.length === 0) {
          report(
            message(
              "storage-settings-private-endpoints",
              `web app "${app.name}", setting ${setting.name}`,
              `it names the ${setting.service} service of storage account ${setting.account}, which refuses public traffic, and no private endpoint serves that service: every call fails`,
              `add a private endpoint with groupId "${setting.service}" (and its private DNS zone group) for ${setting.account}, or remove the setting when the app does not use that service`,
              "learn.microsoft.com/azure/storage/common/storage-private-endpoints (one private endpoint per storage service)",
            ),
            app.urn,
          );
          continue;
        }
        if (setting.prefix !== HOST_STORAGE_PREFIX) continue;
        const groups = zoneGroups.filter((g) => endpoints.some((e) => closure(g).has(e)));
        const deps = closure(app);
        if (groups.length === 0 || !groups.some((g) => deps.has(g))) {
          report(
            message(
              "storage-settings-private-endpoints",
              `web app "${app.name}", setting ${setting.name}`,
              `the app does not wait for the private DNS zone group of its host storage's ${setting.service} endpoint: the Functions host starts with the site, resolves ${setting.account}'s public address and cannot reach it`,
              `make the app dependOn the ${setting.service} private endpoint of ${setting.account} and its private DNS zone group`,
              "learn.microsoft.com/azure/private-link/private-endpoint-dns; learn.microsoft.com/azure/azure-functions/functions-networking-options (restrict your storage account to a virtual network)",
            ),
            app.urn,
          );
        }
      }
    }
  },
};


// ---------------------------------------------------------------------------------------------
// Flex Consumption zone redundancy (issue 18 item 2)
// ---------------------------------------------------------------------------------------------

/** Always-ready minimum per function or group on a zone-redundant Flex plan. */
export const ZONE_REDUNDANT_MIN_ALWAYS_READY = 2;

/** The plan an app is hosted on: through `serverFarmId`'s dependency, or its name at the end of the id. */
function planOf(app: PolicyResource, plans: readonly PolicyResource[]): PolicyResource | undefined {
  const viaDependency = (app.propertyDependencies["serverFarmId"] ?? []).find((r) => r.type === TYPES.plan);
  if (viaDependency) return viaDependency;
  const farm = lower(read(() => app.props.serverFarmId));
  if (!farm) return undefined;
  return plans.find((p) => {
    const name = lower(read(() => p.props.name));
    return name !== undefined && farm.endsWith(`/serverfarms/${name}`);
  });
}

export const flexZoneRedundantAlwaysReady: StackValidationPolicy = {
  name: "flex-zone-redundant-always-ready",
  description: "Flex Consumption apps on a zone-redundant plan configure at least 2 always-ready instances per function or group.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set every functionAppConfig.scaleAndConcurrency.alwaysReady[].instanceCount to 2 or more on a zone-redundant FC1 plan (the platform keeps and bills 2 per scale group anyway), or turn zoneRedundant off.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const plans = args.resources.filter((r) => r.type === TYPES.plan);
    for (const app of args.resources.filter((r) => r.type === TYPES.webApp)) {
      const entries = read(() => (app.props.functionAppConfig as { scaleAndConcurrency?: { alwaysReady?: unknown } } | undefined)?.scaleAndConcurrency?.alwaysReady);
      if (!Array.isArray(entries) || entries.length === 0) continue;
      const plan = planOf(app, plans);
      if (!plan || read(() => plan.props.zoneRedundant) !== true) continue;
      for (const entry of entries as unknown[]) {
        const count = read(() => (entry as { instanceCount?: unknown }).instanceCount);
        const group = str(read(() => (entry as { name?: unknown }).name)) ?? "?";
        if (typeof count === "number" && count < ZONE_REDUNDANT_MIN_ALWAYS_READY) {
          report(
            message(
              "flex-zone-redundant-always-ready",
              `Flex Consumption app "${app.name}" on zone-redundant plan "${plan.name}"`,
              `alwaysReady "${group}" has instanceCount ${count}; with zone redundancy Flex accepts no fewer than ${ZONE_REDUNDANT_MIN_ALWAYS_READY} per function or group (and keeps 2 per scale group anyway, billed as always-ready)`,
              `set instanceCount to ${ZONE_REDUNDANT_MIN_ALWAYS_READY} or more for "${group}", or turn the plan's zoneRedundant off`,
              "learn.microsoft.com/azure/reliability/reliability-functions (Flex Consumption, availability zone support)",
            ),
            app.urn,
          );
        }
      }
    }
  },
};

/** The rules of this module, registered in index.ts. */
export const runtimeSafetyPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  eventGridTopicInputSchema,
  cosmosRoleAssignmentsSerialized,
  cosmosDataRoleContainerScope,
  storageSettingsPrivateEndpoints,
  flexZoneRedundantAlwaysReady,
];
