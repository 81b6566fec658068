/**
 * Governance across every type: required tags, allowed regions, default (non-versioned) modules,
 * physical names that fit each type's limits, and delete locks on production data.
 */
import * as apimanagement from "@pulumi/azure-native/apimanagement";
import * as cosmosdb from "@pulumi/azure-native/cosmosdb";
import * as eventgrid from "@pulumi/azure-native/eventgrid";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as resources from "@pulumi/azure-native/resources";
import * as servicebus from "@pulumi/azure-native/servicebus";
import * as storage from "@pulumi/azure-native/storage";
import * as web from "@pulumi/azure-native/web";
import {
  validateResourceOfType,
  type PolicyResource,
  type ReportViolation,
  type ResourceValidation,
  type ResourceValidationArgs,
} from "@pulumi/policy";
import { T, UNKNOWN, allowListSchema, allowListed, peek, propString, resourcePolicy, show, stackPolicy, type PlatformPolicy } from "./common";

// ---------------------------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------------------------

/**
 * Types that take `tags`. A resource of another type that carries `tags` is checked too. The list
 * is verified against the installed SDK's `*Args` interfaces by `test/policy/tokens.test.ts`.
 */
export const TAGGABLE_TYPES: readonly string[] = [
  "azure-native:resources:ResourceGroup",
  "azure-native:storage:StorageAccount",
  "azure-native:web:AppServicePlan",
  "azure-native:web:WebApp",
  "azure-native:web:WebAppSlot",
  "azure-native:cosmosdb:DatabaseAccount",
  "azure-native:keyvault:Vault",
  "azure-native:keyvault:Secret",
  "azure-native:apimanagement:ApiManagementService",
  "azure-native:applicationinsights:Component",
  "azure-native:applicationinsights:WebTest",
  "azure-native:applicationinsights:Workbook",
  "azure-native:operationalinsights:Workspace",
  "azure-native:managedidentity:UserAssignedIdentity",
  "azure-native:eventgrid:Topic",
  "azure-native:eventgrid:Domain",
  "azure-native:eventgrid:SystemTopic",
  "azure-native:servicebus:Namespace",
  "azure-native:monitor:ActionGroup",
  "azure-native:monitor:MetricAlert",
  "azure-native:monitor:ScheduledQueryRule",
  "azure-native:monitor:ActivityLogAlert",
  "azure-native:portal:Dashboard",
];

const isAzureNative = (type: string): boolean => type.startsWith("azure-native:");

const validateTags: ResourceValidation = (args, report) => {
  if (!isAzureNative(args.type)) return args.notApplicable("not an azure-native resource");
  const tags = peek(() => args.props["tags"]);
  if (!TAGGABLE_TYPES.includes(args.type) && tags === undefined) return args.notApplicable("type takes no tags");
  const { requiredTags = [] } = args.getConfig<{ requiredTags?: string[] }>();
  if (requiredTags.length === 0) return args.notApplicable("no requiredTags configured");
  if (tags === UNKNOWN) return;
  const present = new Map<string, unknown>();
  if (tags !== null && typeof tags === "object") {
    for (const key of Object.keys(tags)) present.set(key.toLowerCase(), peek(() => (tags as Record<string, unknown>)[key]));
  }
  const missing = requiredTags.filter((t) => {
    const v = present.get(t.toLowerCase());
    return v !== UNKNOWN && (typeof v !== "string" || v.trim().length === 0);
  });
  if (missing.length > 0) {
    report(`${args.type.split(":").pop()} "${args.name}" is missing the required tag(s) ${missing.join(", ")}: add them to tags (the stack's tags config feeds every component).`);
  }
};

export const tagsRequired = resourcePolicy({
  name: "tags-required",
  description: "Every taggable resource carries the configured required tags.",
  severity: "medium",
  remediationSteps: "Add the missing keys to the resource's tags (set them in the stack's tags config so every component passes them on).",
  configSchema: {
    properties: {
      requiredTags: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: [],
        description: "Tag keys every taggable resource must carry (case-insensitive).",
      },
    },
  },
  validateResource: validateTags,
});

// ---------------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------------

/** "East US 2" → "eastus2". */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

/** Global services (action groups, alerts, Front Door...) use "global" and are not regional. */
const GLOBAL = "global";

export const locationsAllowed = resourcePolicy({
  name: "locations-allowed",
  description: "Resources are deployed only to the configured regions (a resource without location inherits its group's).",
  severity: "high",
  remediationSteps: "Set location to one of the allowed regions (the stack's location config), or extend allowedLocations in the policy config.",
  configSchema: {
    properties: {
      allowedLocations: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: [],
        description: 'Allowed Azure regions (e.g. "eastus2"); "global" is always allowed for global services.',
      },
    },
  },
  validateResource: (args, report) => {
    if (!isAzureNative(args.type)) return args.notApplicable("not an azure-native resource");
    const { allowedLocations = [] } = args.getConfig<{ allowedLocations?: string[] }>();
    if (allowedLocations.length === 0) return args.notApplicable("no allowedLocations configured");
    const location = peek(() => args.props["location"]);
    if (location === undefined) return args.notApplicable("no location: inherits the resource group's");
    if (location === UNKNOWN) return;
    if (typeof location !== "string") return;
    const allowed = new Set([...allowedLocations.map(normalizeLocation), GLOBAL]);
    if (!allowed.has(normalizeLocation(location))) {
      report(`${args.type.split(":").pop()} "${args.name}" is in ${show(location)}: use one of the allowed regions (${allowedLocations.join(", ")}).`);
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Versioned modules
// ---------------------------------------------------------------------------------------------

const VERSIONED = /^azure-native:[^:]+\/v\d/;

export const noVersionedModules = resourcePolicy({
  name: "no-versioned-modules",
  description:
    "Resources use the provider's default API version modules, not explicit (often preview) versioned ones: the pack's rules read the default modules' type tokens, so a resource declared through a versioned module would pass them unchecked. A pinned version that a feature needs is allow-listed with a reason.",
  severity: "high",
  remediationSteps:
    'Import the resource from the default module (e.g. @pulumi/azure-native/web). When a feature needs a pinned API version, add { "name": "<logical name>", "reason": "..." } to this rule\'s allow list and check that resource by hand against the rules of its type.',
  configSchema: { properties: allowListSchema('Resources that must use a versioned module: { "name": "<logical name>", "reason": "the feature that needs this API version" }.') },
  validateResource: (args, report) => {
    if (!isAzureNative(args.type)) return args.notApplicable("not an azure-native resource");
    if (!VERSIONED.test(args.type)) return;
    if (allowListed(args.getConfig<{ allow?: { name: string; reason: string }[] }>(), args.name)) return;
    const [, module = ""] = args.type.split(":");
    report(
      `"${args.name}" uses the versioned module ${module} (${args.type}): the policy rules for its type read the default module's token and would not check it; ` +
        `use the default module "${module.split("/")[0]}", or allow-list it with a reason (no-versioned-modules.allow) if a feature needs this API version.`,
    );
  },
});

// ---------------------------------------------------------------------------------------------
// Physical names
// ---------------------------------------------------------------------------------------------

export interface NameSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly pattern: RegExp;
  /** The Azure naming rules in words. */
  readonly describe: string;
  /** Names allowed despite the pattern (e.g. `$web`). */
  readonly reserved?: readonly string[];
}

/** Azure "naming rules and restrictions for Azure resources", per type. */
export const NAME_SPECS = {
  storageAccount: { label: "storage account", min: 3, max: 24, pattern: /^[a-z0-9]+$/, describe: "3-24 lowercase letters and digits" },
  keyVault: {
    label: "Key Vault",
    min: 3,
    max: 24,
    pattern: /^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-))*[a-zA-Z0-9]$/,
    describe: "3-24 letters, digits and single hyphens, starting with a letter and ending with a letter or digit",
  },
  cosmosAccount: {
    label: "Cosmos DB account",
    min: 3,
    max: 44,
    pattern: /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/,
    describe: "3-44 lowercase letters, digits and hyphens, not starting or ending with a hyphen",
  },
  site: {
    label: "function app / site",
    min: 2,
    max: 60,
    pattern: /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
    describe: "2-60 letters, digits and hyphens, not starting or ending with a hyphen",
  },
  appServicePlan: { label: "App Service plan", min: 1, max: 60, pattern: /^[a-zA-Z0-9-]+$/, describe: "1-60 letters, digits and hyphens" },
  apiManagement: {
    label: "API Management service",
    min: 1,
    max: 50,
    pattern: /^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
    describe: "1-50 letters, digits and hyphens, starting with a letter and ending with a letter or digit",
  },
  userAssignedIdentity: {
    label: "user-assigned identity",
    min: 3,
    max: 128,
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/,
    describe: "3-128 letters, digits, hyphens and underscores, starting with a letter or digit",
  },
  logAnalytics: {
    label: "Log Analytics workspace",
    min: 4,
    max: 63,
    pattern: /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
    describe: "4-63 letters, digits and hyphens, starting and ending with a letter or digit",
  },
  eventGridTopic: { label: "Event Grid topic", min: 3, max: 50, pattern: /^[a-zA-Z0-9-]+$/, describe: "3-50 letters, digits and hyphens" },
  eventGridDomain: { label: "Event Grid domain", min: 3, max: 50, pattern: /^[a-zA-Z0-9-]+$/, describe: "3-50 letters, digits and hyphens" },
  queue: {
    label: "storage queue",
    min: 3,
    max: 63,
    pattern: /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
    describe: "3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit",
  },
  blobContainer: {
    label: "blob container",
    min: 3,
    max: 63,
    pattern: /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
    describe: "3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit",
    reserved: ["$root", "$web", "$logs"],
  },
  serviceBusNamespace: {
    label: "Service Bus namespace",
    min: 6,
    max: 50,
    pattern: /^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$/,
    describe: "6-50 letters, digits and hyphens, starting with a letter and ending with a letter or digit",
  },
  resourceGroup: {
    label: "resource group",
    min: 1,
    max: 90,
    pattern: /^[-\w.()]*[-\w()]$/u,
    describe: "1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending with a period",
  },
} as const satisfies Record<string, NameSpec>;

/** Why `name` breaks `spec`, or undefined when it fits. */
export function nameProblem(spec: NameSpec, name: string): string | undefined {
  if (spec.reserved?.includes(name)) return undefined;
  if (name.length < spec.min || name.length > spec.max) return `is ${name.length} characters long`;
  if (!spec.pattern.test(name)) return "uses characters or a layout the type does not allow";
  return undefined;
}

function checkName(spec: NameSpec, key: string, read: () => unknown, args: ResourceValidationArgs, report: ReportViolation): void {
  const name = peek(read);
  if (name === undefined) return args.notApplicable("auto-named by the provider");
  if (name === UNKNOWN || typeof name !== "string") return;
  const problem = nameProblem(spec, name);
  if (problem) {
    report(`${spec.label} name ${show(name)} (${key}) ${problem}: a ${spec.label} name must be ${spec.describe}. Change ${key} (the naming helper knows the limits).`);
  }
}

export const physicalNameLimits = resourcePolicy({
  name: "physical-name-limits",
  description: "Physical names fit each type's length and character rules (read from the type's name input).",
  severity: "high",
  remediationSteps: "Derive physical names from the naming helper, which shortens and normalizes each name for its type.",
  validateResource: [
    validateResourceOfType(storage.StorageAccount, (p, a, r) => checkName(NAME_SPECS.storageAccount, "accountName", () => p.accountName, a, r)),
    validateResourceOfType(keyvault.Vault, (p, a, r) => checkName(NAME_SPECS.keyVault, "vaultName", () => p.vaultName, a, r)),
    validateResourceOfType(cosmosdb.DatabaseAccount, (p, a, r) => checkName(NAME_SPECS.cosmosAccount, "accountName", () => p.accountName, a, r)),
    validateResourceOfType(web.WebApp, (p, a, r) => checkName(NAME_SPECS.site, "name", () => p.name, a, r)),
    validateResourceOfType(web.AppServicePlan, (p, a, r) => checkName(NAME_SPECS.appServicePlan, "name", () => p.name, a, r)),
    validateResourceOfType(apimanagement.ApiManagementService, (p, a, r) => checkName(NAME_SPECS.apiManagement, "serviceName", () => p.serviceName, a, r)),
    validateResourceOfType(managedidentity.UserAssignedIdentity, (p, a, r) =>
      checkName(NAME_SPECS.userAssignedIdentity, "resourceName", () => p.resourceName, a, r),
    ),
    validateResourceOfType(operationalinsights.Workspace, (p, a, r) => checkName(NAME_SPECS.logAnalytics, "workspaceName", () => p.workspaceName, a, r)),
    validateResourceOfType(eventgrid.Topic, (p, a, r) => checkName(NAME_SPECS.eventGridTopic, "topicName", () => p.topicName, a, r)),
    validateResourceOfType(eventgrid.Domain, (p, a, r) => checkName(NAME_SPECS.eventGridDomain, "domainName", () => p.domainName, a, r)),
    validateResourceOfType(storage.Queue, (p, a, r) => checkName(NAME_SPECS.queue, "queueName", () => p.queueName, a, r)),
    validateResourceOfType(storage.BlobContainer, (p, a, r) => checkName(NAME_SPECS.blobContainer, "containerName", () => p.containerName, a, r)),
    validateResourceOfType(servicebus.Namespace, (p, a, r) => checkName(NAME_SPECS.serviceBusNamespace, "namespaceName", () => p.namespaceName, a, r)),
    validateResourceOfType(resources.ResourceGroup, (p, a, r) => checkName(NAME_SPECS.resourceGroup, "resourceGroupName", () => p.resourceGroupName, a, r)),
  ],
});

/** The types `physical-name-limits` reads, with their name input (for docs and tests). */
export const NAMED_TYPES: Readonly<Record<string, string>> = {
  [T.StorageAccount]: "accountName",
  [T.Vault]: "vaultName",
  [T.DatabaseAccount]: "accountName",
  [T.WebApp]: "name",
  [T.AppServicePlan]: "name",
  [T.ApiManagementService]: "serviceName",
  [T.UserAssignedIdentity]: "resourceName",
  "azure-native:operationalinsights:Workspace": "workspaceName",
  [T.EventGridTopic]: "topicName",
  "azure-native:eventgrid:Domain": "domainName",
  [T.Queue]: "queueName",
  [T.BlobContainer]: "containerName",
  [T.ServiceBusNamespace]: "namespaceName",
  [T.ResourceGroup]: "resourceGroupName",
};

// ---------------------------------------------------------------------------------------------
// Delete locks on the stores of production data
// ---------------------------------------------------------------------------------------------

/** Types that hold data a deletion loses, with the input that carries their physical name. */
const DATA_STORES: Readonly<Record<string, string>> = {
  [T.StorageAccount]: "accountName",
  [T.DatabaseAccount]: "accountName",
  [T.Vault]: "vaultName",
  "azure-native:operationalinsights:Workspace": "workspaceName",
  [T.ServiceBusNamespace]: "namespaceName",
};

const LOCK_TYPES = new Set(
  ["ManagementLockByScope", "ManagementLockAtResourceLevel", "ManagementLockAtResourceGroupLevel", "ManagementLockAtSubscriptionLevel"].map((t) => `azure-native:authorization:${t}`),
);

/** Whether `lock` protects `store`: its scope is the store (by dependency or ARM id), its resource group or its subscription. */
function lockCovers(lock: PolicyResource, store: PolicyResource, physical: string | undefined, group: string | undefined): boolean {
  const level = peek(() => lock.props["level"]);
  if (typeof level === "string" && !/^(CanNotDelete|ReadOnly)$/i.test(level)) return false;
  if (Object.values(lock.propertyDependencies).some((deps) => deps.includes(store))) return true;
  if (lock.type.endsWith("ManagementLockAtSubscriptionLevel")) return true;
  const lockGroup = peek(() => lock.props["resourceGroupName"]);
  if (lock.type.endsWith("ManagementLockAtResourceGroupLevel")) return typeof lockGroup === "string" && lockGroup.toLowerCase() === group?.toLowerCase();
  if (lock.type.endsWith("ManagementLockAtResourceLevel")) return peek(() => lock.props["resourceName"]) === physical;
  const scope = peek(() => lock.props["scope"]);
  if (typeof scope !== "string") return false;
  const s = scope.trim().replace(/\/+$/, "").toLowerCase();
  if (/^\/subscriptions\/[^/]+$/.test(s)) return true;
  const rg = /^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)$/.exec(s)?.[1];
  if (rg) return rg === group?.toLowerCase();
  return physical !== undefined && s.split("/").pop() === physical.toLowerCase();
}

export const dataDeleteLock = stackPolicy({
  name: "data-delete-lock",
  description:
    "In prod every store of data (storage accounts, Cosmos DB accounts, Key Vaults, Log Analytics workspaces, Service Bus namespaces) has a CanNotDelete (or ReadOnly) management lock on it, its resource group or its subscription.",
  severity: "high",
  prodOnly: true,
  remediationSteps:
    "Turn protectData on in the stack config (components add a CanNotDelete lock to each store), or add an authorization.ManagementLockByScope with level CanNotDelete whose scope is the store's id.",
  validateStack: (args, report) => {
    // A CanNotDelete lock makes ARM refuse deleting the resource (and its children) from any tool, the
    // portal and the CLI included, until the lock is removed (Microsoft Learn, "Lock your resources to
    // protect your infrastructure").
    const stores = args.resources.filter((r) => DATA_STORES[r.type] !== undefined);
    if (stores.length === 0) return args.notApplicable("no data stores");
    const locks = args.resources.filter((r) => LOCK_TYPES.has(r.type));
    for (const store of stores) {
      const physical = propString(store, DATA_STORES[store.type]!, "name")?.toLowerCase();
      const group = propString(store, "resourceGroupName");
      if (locks.some((l) => lockCovers(l, store, physical, group))) continue;
      report(
        `${store.type.split(":").pop()} "${store.name}"${physical ? ` (${physical})` : ""} holds data and has no CanNotDelete lock: one mistaken delete (portal, CLI, another pipeline) loses it. ` +
          "Turn protectData on, or add a ManagementLockByScope with level CanNotDelete on its id.",
        store.urn,
      );
    }
  },
});

export const governancePolicies: PlatformPolicy[] = [tagsRequired, locationsAllowed, noVersionedModules, physicalNameLimits, dataDeleteLock];
