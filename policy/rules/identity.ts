/**
 * Least privilege for function app identities, as a stack policy: each role an app's identity holds
 * must be one its bindings need, on the resource the binding uses; never Owner / Contributor / User
 * Access Administrator, never at subscription or resource-group scope.
 *
 * Needs are inferred from the app's settings (siteConfig.appSettings and any
 * web:WebAppApplicationSettings for the app) and its Flex deployment storage:
 *   AzureWebJobsStorage__*        → Blob Data Owner, Queue Data Contributor, Table Data Contributor on the host account
 *   <CONN>__queueServiceUri       → queue data roles on that account
 *   <CONN>__blobServiceUri / __tableServiceUri / __accountName → blob / table data roles on that account
 *   <CONN>__accountEndpoint       → Cosmos DB data-plane role (sqlRoleAssignment) on that account
 *   <CONN>__fullyQualifiedNamespace → Service Bus / Event Hubs data roles on that namespace
 *   TOPIC_*_ENDPOINT              → EventGrid Data Sender on that topic
 *   APPLICATIONINSIGHTS_AUTHENTICATION_STRING → Monitoring Metrics Publisher on the component
 *   @Microsoft.KeyVault(...)      → Key Vault Secrets User on that vault
 *   functionAppConfig.deployment.storage → Blob Data Contributor/Owner on the deployment account
 *
 * Resources are linked the way the analyzer shows them: through propertyDependencies (scope,
 * principalId, identity, accountName) first, then by ARM ids and names in the values.
 */
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import {
  T,
  UNKNOWN,
  findSetting,
  isFunctionAppKind,
  peek,
  propString,
  settingsFromMap,
  settingsFromPairs,
  stackPolicy,
  type AppSetting,
  type PlatformPolicy,
} from "./common";
import { AZURE_ROLES, COSMOS_DATA_ROLES, azureRoleName, roleGuidOf, type AzureRoleKey } from "./azure-roles";
import { belongsToSite } from "./web";

/** Built-in role definition ids (the GUID at the end of roleDefinitionId), from ./azure-roles. */
export const ROLE = Object.fromEntries(Object.entries(AZURE_ROLES).map(([k, r]) => [k, r.id])) as {
  readonly [K in AzureRoleKey]: (typeof AZURE_ROLES)[K]["id"];
};

/** Cosmos DB data-plane built-in role definitions (sqlRoleDefinitions under the account). */
export const COSMOS_DATA_ROLE = { reader: COSMOS_DATA_ROLES.reader.id, contributor: COSMOS_DATA_ROLES.contributor.id } as const;

/** Roles that manage resources or access: never for an app identity. */
export const PRIVILEGED_ROLES: readonly string[] = [ROLE.owner, ROLE.contributor, ROLE.userAccessAdministrator, ROLE.rbacAdministrator];

export const roleName = azureRoleName;

/** The role GUID at the end of a role definition id. */
export const roleGuid = roleGuidOf;

// ---------------------------------------------------------------------------------------------
// Targets: the resources a need or a grant is about, by kind and physical name.
// ---------------------------------------------------------------------------------------------

export type TargetKind = "storage" | "eventgridTopic" | "appInsights" | "keyVault" | "cosmos" | "messaging";

export interface Target {
  readonly kind: TargetKind;
  /** Lower-case physical name; "*" when the value is only known after deployment. */
  readonly name: string;
}

const KIND_LABEL: Record<TargetKind, string> = {
  storage: "storage account",
  eventgridTopic: "Event Grid topic",
  appInsights: "Application Insights component",
  keyVault: "Key Vault",
  cosmos: "Cosmos DB account",
  messaging: "Service Bus / Event Hubs namespace",
};

const targetText = (t: Target): string => `${KIND_LABEL[t.kind]} ${t.name === "*" ? "(any)" : `"${t.name}"`}`;

/** ARM resource types whose ids name a target (the segment after /providers/). */
const ARM_TARGETS: readonly { readonly armType: string; readonly kind: TargetKind }[] = [
  { armType: "Microsoft.Storage/storageAccounts", kind: "storage" },
  { armType: "Microsoft.EventGrid/topics", kind: "eventgridTopic" },
  { armType: "Microsoft.Insights/components", kind: "appInsights" },
  { armType: "Microsoft.KeyVault/vaults", kind: "keyVault" },
  { armType: "Microsoft.DocumentDB/databaseAccounts", kind: "cosmos" },
  { armType: "Microsoft.ServiceBus/namespaces", kind: "messaging" },
  { armType: "Microsoft.EventHub/namespaces", kind: "messaging" },
];

/** The target an ARM id points at (or into), e.g. a queue's id → its storage account. */
export function targetFromArmId(id: string): Target | undefined {
  for (const { armType, kind } of ARM_TARGETS) {
    const m = new RegExp(`/providers/${armType.replace("/", "\\/")}/([^/]+)`, "i").exec(id);
    if (m) return { kind, name: m[1]!.toLowerCase() };
  }
  return undefined;
}

/**
 * The target a stack resource is (or lives in). Child resources name their parent through
 * `accountName` / `vaultName`; when the analyzer shows outputs only (which lack those path inputs),
 * the parent is found through the child's propertyDependencies instead.
 */
export function targetOfResource(r: PolicyResource, depth = 0): Target | undefined {
  const named = (kind: TargetKind, ...keys: string[]): Target | undefined => {
    const n = propString(r, ...keys);
    if (n) return { kind, name: n.toLowerCase() };
    if (depth > 2) return undefined;
    for (const key of keys) {
      for (const dep of r.propertyDependencies[key] ?? []) {
        const t = targetOfResource(dep, depth + 1);
        if (t?.kind === kind) return t;
      }
    }
    return undefined;
  };
  switch (r.type) {
    case T.StorageAccount:
      return named("storage", "accountName", "name");
    case T.BlobContainer:
    case T.Queue:
    case T.Table:
    case "azure-native:storage:BlobServiceProperties":
    case "azure-native:storage:QueueServiceProperties":
    case "azure-native:storage:TableServiceProperties":
      return named("storage", "accountName");
    case T.EventGridTopic:
      return named("eventgridTopic", "topicName", "name");
    case T.Component:
      return named("appInsights", "resourceName", "name");
    case T.Vault:
      return named("keyVault", "vaultName", "name");
    case T.Secret:
      return named("keyVault", "vaultName");
    case T.DatabaseAccount:
      return named("cosmos", "accountName", "name");
    case T.ServiceBusNamespace:
    case "azure-native:eventhub:Namespace":
      return named("messaging", "namespaceName", "name");
    default:
      return undefined;
  }
}

function sameTarget(a: Target, b: Target): boolean {
  return a.kind === b.kind && (a.name === "*" || b.name === "*" || a.name === b.name);
}

// ---------------------------------------------------------------------------------------------
// Needs
// ---------------------------------------------------------------------------------------------

export interface Need {
  readonly target: Target;
  readonly roles: readonly string[];
  /** The setting (or property) that creates the need. */
  readonly reason: string;
}

const BLOB_ALL = [ROLE.storageBlobDataOwner, ROLE.storageBlobDataContributor, ROLE.storageBlobDataReader];
const BLOB_DATA = [ROLE.storageBlobDataContributor, ROLE.storageBlobDataReader];
const QUEUE_DATA = [ROLE.storageQueueDataContributor, ROLE.storageQueueDataMessageSender, ROLE.storageQueueDataMessageProcessor, ROLE.storageQueueDataReader];
const TABLE_DATA = [ROLE.storageTableDataContributor, ROLE.storageTableDataReader];
const MESSAGING_DATA = [ROLE.serviceBusDataSender, ROLE.serviceBusDataReceiver, ROLE.eventHubsDataSender, ROLE.eventHubsDataReceiver];
const COSMOS_DATA = [COSMOS_DATA_ROLE.reader, COSMOS_DATA_ROLE.contributor];

/** `https://<name>.<service>...` → `<name>`; a bare name stays as it is; unknown → "*". */
export function hostName(value: string | typeof UNKNOWN | undefined): string | undefined {
  if (value === UNKNOWN) return "*";
  if (typeof value !== "string" || value.trim().length === 0) return undefined;
  const m = /^[a-z]+:\/\/([^./:]+)/i.exec(value.trim());
  return (m ? m[1]! : value.trim()).toLowerCase();
}

/** Key Vault names referenced by `@Microsoft.KeyVault(SecretUri=...)` / `(VaultName=...;...)`. */
export function keyVaultReference(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const ref = /^@Microsoft\.KeyVault\((.*)\)\s*$/i.exec(value.trim());
  if (!ref) return undefined;
  const uri = /SecretUri=https:\/\/([^./]+)\./i.exec(ref[1]!);
  if (uri) return uri[1]!.toLowerCase();
  const vault = /VaultName=([^;)]+)/i.exec(ref[1]!);
  return vault ? vault[1]!.trim().toLowerCase() : undefined;
}

const CONNECTION_PROPERTY = /^(.+?)__(blobServiceUri|queueServiceUri|tableServiceUri|accountName|accountEndpoint|fullyQualifiedNamespace)$/i;

/** The needs an app's settings express; `components` resolves the App Insights target. */
export function needsFromSettings(settings: readonly AppSetting[], components: readonly PolicyResource[]): Need[] {
  const needs: Need[] = [];
  for (const s of settings) {
    const conn = CONNECTION_PROPERTY.exec(s.name);
    if (conn) {
      const [, connection = "", property = ""] = conn;
      const prop = property.toLowerCase();
      const name = hostName(s.value);
      if (!name) continue;
      const isHost = connection.toLowerCase() === "azurewebjobsstorage";
      let kind: TargetKind = "storage";
      let roles: readonly string[];
      if (prop === "accountendpoint") {
        kind = "cosmos";
        roles = COSMOS_DATA;
      } else if (prop === "fullyqualifiednamespace") {
        kind = "messaging";
        roles = MESSAGING_DATA;
      } else if (isHost) {
        roles = [...BLOB_ALL, ...QUEUE_DATA, ...TABLE_DATA];
      } else if (prop === "queueserviceuri") {
        roles = QUEUE_DATA;
      } else if (prop === "blobserviceuri") {
        roles = BLOB_DATA;
      } else if (prop === "tableserviceuri") {
        roles = TABLE_DATA;
      } else {
        roles = [...BLOB_DATA, ...QUEUE_DATA, ...TABLE_DATA];
      }
      needs.push({ target: { kind, name }, roles, reason: s.name });
      continue;
    }
    if (/^TOPIC_.+_ENDPOINT$/i.test(s.name)) {
      const name = hostName(s.value);
      if (name) needs.push({ target: { kind: "eventgridTopic", name }, roles: [ROLE.eventGridDataSender], reason: s.name });
      continue;
    }
    if (s.name.toUpperCase() === "APPLICATIONINSIGHTS_AUTHENTICATION_STRING") {
      needs.push({ target: { kind: "appInsights", name: componentOf(settings, components) }, roles: [ROLE.monitoringMetricsPublisher], reason: s.name });
      continue;
    }
    const vault = keyVaultReference(s.value);
    if (vault) needs.push({ target: { kind: "keyVault", name: vault }, roles: [ROLE.keyVaultSecretsUser], reason: `${s.name} (Key Vault reference)` });
  }
  return needs;
}

/** The component the app's connection string names (by ApplicationId or InstrumentationKey), or "*". */
function componentOf(settings: readonly AppSetting[], components: readonly PolicyResource[]): string {
  const cs = findSetting(settings, "APPLICATIONINSIGHTS_CONNECTION_STRING")?.value;
  if (typeof cs !== "string") return "*";
  const appId = /ApplicationId=([^;]+)/i.exec(cs)?.[1]?.trim().toLowerCase();
  const ikey = /InstrumentationKey=([^;]+)/i.exec(cs)?.[1]?.trim().toLowerCase();
  const match = components.find((c) => {
    const a = peek(() => c.props.appId);
    const k = peek(() => c.props.instrumentationKey);
    return (appId !== undefined && typeof a === "string" && a.toLowerCase() === appId) || (ikey !== undefined && typeof k === "string" && k.toLowerCase() === ikey);
  });
  const name = match ? propString(match, "resourceName", "name") : undefined;
  return name ? name.toLowerCase() : "*";
}

/** Flex deployment storage: the package container's account needs blob write access. */
function deploymentNeed(app: PolicyResource): Need | undefined {
  const value = peek(() => (app.props.functionAppConfig as { deployment?: { storage?: { value?: unknown } } } | undefined)?.deployment?.storage?.value);
  if (value === undefined) return undefined;
  const name = hostName(value === UNKNOWN ? UNKNOWN : typeof value === "string" ? value : undefined);
  return name
    ? { target: { kind: "storage", name }, roles: [ROLE.storageBlobDataContributor, ROLE.storageBlobDataOwner], reason: "functionAppConfig.deployment.storage" }
    : undefined;
}

/** All settings of a site: inline siteConfig.appSettings plus separate web:WebAppApplicationSettings. */
export function siteSettings(app: PolicyResource, resources: readonly PolicyResource[]): AppSetting[] {
  const inline = settingsFromPairs(peek(() => (app.props.siteConfig as { appSettings?: unknown } | undefined)?.appSettings));
  const separate = resources
    .filter((r) => r.type === T.WebAppApplicationSettings && belongsToSite(r, app))
    .flatMap((r) => settingsFromMap(peek(() => r.props.properties)));
  return [...inline, ...separate];
}

// ---------------------------------------------------------------------------------------------
// Identities
// ---------------------------------------------------------------------------------------------

export interface AppIdentities {
  readonly app: PolicyResource;
  /** URNs a principalId may depend on: the app (system identity) and its UAMIs. */
  readonly urns: Set<string>;
  /** Known principal ids (lower case). */
  readonly principalIds: Set<string>;
}

/** `identity.userAssignedIdentities` as inputs (array of ids) or outputs (map id → { principalId }). */
function userAssignedOf(app: PolicyResource): { id: string; principalId?: string }[] {
  const uai = peek(() => (app.props.identity as { userAssignedIdentities?: unknown } | undefined)?.userAssignedIdentities);
  if (uai === UNKNOWN || uai === undefined || uai === null) return [];
  if (Array.isArray(uai)) return uai.filter((v): v is string => typeof v === "string").map((id) => ({ id }));
  if (typeof uai === "object") {
    return Object.keys(uai).map((id) => {
      const pid = peek(() => (uai as Record<string, { principalId?: unknown } | undefined>)[id]?.principalId);
      return typeof pid === "string" ? { id, principalId: pid } : { id };
    });
  }
  return [];
}

export function identitiesOf(app: PolicyResource, resources: readonly PolicyResource[]): AppIdentities {
  const urns = new Set<string>([app.urn]);
  const principalIds = new Set<string>();
  const uamis = resources.filter((r) => r.type === T.UserAssignedIdentity);
  for (const dep of app.propertyDependencies["identity"] ?? []) {
    if (dep.type === T.UserAssignedIdentity) urns.add(dep.urn);
  }
  for (const { id, principalId } of userAssignedOf(app)) {
    if (principalId) principalIds.add(principalId.toLowerCase());
    const name = /\/userAssignedIdentities\/([^/]+)$/i.exec(id)?.[1];
    const uami = uamis.find((u) => name !== undefined && propString(u, "resourceName", "name")?.toLowerCase() === name.toLowerCase());
    if (uami) urns.add(uami.urn);
  }
  for (const u of uamis) {
    if (!urns.has(u.urn)) continue;
    const pid = peek(() => u.props.principalId);
    if (typeof pid === "string") principalIds.add(pid.toLowerCase());
  }
  const system = peek(() => (app.props.identity as { principalId?: unknown } | undefined)?.principalId);
  if (typeof system === "string") principalIds.add(system.toLowerCase());
  return { app, urns, principalIds };
}

/** The function apps whose identity is the principal of a role assignment. */
export function appsOfPrincipal(grant: PolicyResource, identities: readonly AppIdentities[]): AppIdentities[] {
  const principal = peek(() => grant.props.principalId);
  const deps = (grant.propertyDependencies["principalId"] ?? []).map((d) => d.urn);
  return identities.filter(
    (i) => (typeof principal === "string" && i.principalIds.has(principal.toLowerCase())) || deps.some((u) => i.urns.has(u)),
  );
}

// ---------------------------------------------------------------------------------------------
// Scopes
// ---------------------------------------------------------------------------------------------

type Scope = { readonly broad: string } | { readonly target: Target | undefined; readonly text: string } | { readonly unknown: true };

const BROAD_SCOPES: readonly { readonly pattern: RegExp; readonly label: string }[] = [
  { pattern: /^\/?$/, label: "tenant root" },
  { pattern: /^\/providers\/Microsoft\.Management\/managementGroups\/[^/]+\/?$/i, label: "management group" },
  { pattern: /^\/subscriptions\/[^/]+\/?$/i, label: "subscription" },
  { pattern: /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/?$/i, label: "resource group" },
];

export function scopeOf(grant: PolicyResource): Scope {
  const scope = peek(() => grant.props.scope);
  if (typeof scope === "string") {
    const broad = BROAD_SCOPES.find((b) => b.pattern.test(scope.trim()));
    if (broad) return { broad: broad.label };
  }
  const deps = grant.propertyDependencies["scope"] ?? [];
  const fromDeps = deps.map((d) => targetOfResource(d)).find((t) => t !== undefined);
  if (fromDeps) return { target: fromDeps, text: targetText(fromDeps) };
  if (typeof scope === "string") {
    const target = targetFromArmId(scope);
    return { target, text: target ? targetText(target) : scope };
  }
  if (deps.length > 0 && deps.every((d) => d.type === T.ResourceGroup)) return { broad: "resource group" };
  return { unknown: true };
}

// ---------------------------------------------------------------------------------------------
// The policy
// ---------------------------------------------------------------------------------------------

function allowedOn(needs: readonly Need[], target: Target): { roles: Set<string>; reasons: string[] } {
  const matching = needs.filter((n) => sameTarget(n.target, target));
  return { roles: new Set(matching.flatMap((n) => n.roles)), reasons: matching.map((n) => n.reason) };
}

/** `needsOf` is undefined when the apps' settings are not visible: then only role and scope are judged. */
function checkRbacGrant(
  grant: PolicyResource,
  apps: readonly AppIdentities[],
  needsOf: ((a: PolicyResource) => Need[]) | undefined,
  report: ReportViolation,
): void {
  const roleDef = peek(() => grant.props.roleDefinitionId);
  if (typeof roleDef !== "string") return;
  const role = roleGuid(roleDef);
  const who = apps.map((a) => `"${a.app.name}"`).join(", ");
  const scope = scopeOf(grant);
  if (PRIVILEGED_ROLES.includes(role)) {
    report(`role assignment "${grant.name}" gives ${roleName(role)} to the identity of function app ${who}: remove it and grant only the data roles its bindings need (e.g. Storage Queue Data Contributor on the queue's account).`, grant.urn);
    return;
  }
  if ("broad" in scope) {
    report(`role assignment "${grant.name}" grants ${roleName(role)} to function app ${who} at ${scope.broad} scope: scope it to the one resource the binding uses (its ARM id).`, grant.urn);
    return;
  }
  if ("unknown" in scope || needsOf === undefined) return;
  const needs = apps.flatMap((a) => needsOf(a.app));
  const allowed = scope.target ? allowedOn(needs, scope.target) : { roles: new Set<string>(), reasons: [] };
  if (allowed.roles.has(role)) return;
  const hint =
    allowed.reasons.length > 0
      ? `its settings (${allowed.reasons.join(", ")}) need only ${[...allowed.roles].map(roleName).join(" / ")} there`
      : "no setting of the app uses that resource";
  report(`role assignment "${grant.name}" grants ${roleName(role)} on ${scope.text} to function app ${who}, which does not need it (${hint}): remove the grant or narrow the role.`, grant.urn);
}

function checkCosmosGrant(grant: PolicyResource, apps: readonly AppIdentities[], needsOf: (a: PolicyResource) => Need[], report: ReportViolation): void {
  const account =
    (grant.propertyDependencies["accountName"] ?? []).map((d) => targetOfResource(d)).find((t) => t?.kind === "cosmos") ??
    ((): Target | undefined => {
      const n = propString(grant, "accountName");
      return n ? { kind: "cosmos", name: n.toLowerCase() } : undefined;
    })();
  if (!account) return;
  const roleDef = peek(() => grant.props.roleDefinitionId);
  const role = typeof roleDef === "string" ? roleGuid(roleDef) : undefined;
  const needs = apps.flatMap((a) => needsOf(a.app)).filter((n) => sameTarget(n.target, account));
  if (needs.length === 0) {
    report(
      `Cosmos DB role assignment "${grant.name}" grants ${role ? roleName(role) : "a data role"} on ${targetText(account)} to function app ${apps.map((a) => `"${a.app.name}"`).join(", ")}, ` +
        "but no setting of the app (<CONN>__accountEndpoint) uses that account: remove the grant.",
      grant.urn,
    );
  }
}

export const funcIdentityLeastPrivilege = stackPolicy({
  name: "func-identity-least-privilege",
  description:
    "Function app identities hold only the data roles their bindings need, on the resource each binding uses: never Owner/Contributor/User Access Administrator, never at subscription or resource-group scope.",
  severity: "high",
  remediationSteps:
    "Grant each app's identity narrow data roles through the component grant methods (e.g. queue.grantSend(app), db.grantDataContributor(app)), scoped to the resource's id; remove broader grants.",
  validateStack: (args, report) => {
    const apps = args.resources.filter((r) => r.type === T.WebApp && isFunctionAppKind(peek(() => r.props.kind)));
    if (apps.length === 0) return args.notApplicable("no function apps");
    const identities = apps.map((a) => identitiesOf(a, args.resources));
    // After `pulumi up` the analyzer shows outputs, and ARM does not return app settings: where an
    // app shows none, its needs cannot be inferred and only the role and scope checks apply.
    const settingsVisible = (app: PolicyResource): boolean => siteSettings(app, args.resources).length > 0;
    const components = args.resources.filter((r) => r.type === T.Component);
    const cache = new Map<string, Need[]>();
    const needsOf = (app: PolicyResource): Need[] => {
      let needs = cache.get(app.urn);
      if (!needs) {
        const deploy = deploymentNeed(app);
        needs = [...needsFromSettings(siteSettings(app, args.resources), components), ...(deploy ? [deploy] : [])];
        cache.set(app.urn, needs);
      }
      return needs;
    };
    for (const grant of args.resources) {
      if (grant.type !== T.RoleAssignment && grant.type !== T.SqlRoleAssignment) continue;
      const owners = appsOfPrincipal(grant, identities);
      if (owners.length === 0) continue;
      const judgeNeeds = owners.every((o) => settingsVisible(o.app));
      if (grant.type === T.RoleAssignment) checkRbacGrant(grant, owners, judgeNeeds ? needsOf : undefined, report);
      else if (judgeNeeds) checkCosmosGrant(grant, owners, needsOf, report);
    }
  },
});

export const identityPolicies: PlatformPolicy[] = [funcIdentityLeastPrivilege];
