/**
 * Role assignments for every principal (function apps, the gateway, Event Grid topics, users,
 * groups, CI), custom role definitions, and data-plane grants narrowed to the queue, container or
 * Cosmos DB container a principal really uses.
 *
 * Facts: built-in role ids (Azure built-in roles, Microsoft Learn); queue and blob data roles can be
 * assigned at queue / container scope (Microsoft Learn, "Assign an Azure role for access to queue
 * data" / "... blob data"); Cosmos DB data-plane role assignments take a scope of the account ("/"),
 * a database ("/dbs/<db>") or a container ("/dbs/<db>/colls/<c>") (Microsoft Learn, "Use data plane
 * role-based access control with Azure Cosmos DB for NoSQL"); a storage queue has one consumer, its
 * owner (composition/services.ts enforces it for declared uses).
 */
import type { PolicyResource } from "@pulumi/policy";
import { T, UNKNOWN, allowListSchema, allowListed, findSetting, isFunctionAppKind, peek, propString, resourcePolicy, stackPolicy, type PlatformPolicy } from "./common";
import {
  COSMOS_DATA_ROLE,
  PRIVILEGED_ROLES,
  ROLE,
  appsOfPrincipal,
  identitiesOf,
  roleGuid,
  roleName,
  scopeOf,
  siteSettings,
  type AppIdentities,
} from "./identity";

/** Who a role assignment's principal is, for messages: the resource its principalId comes from. */
export function principalText(grant: PolicyResource): string {
  const dep = (grant.propertyDependencies["principalId"] ?? grant.propertyDependencies["principalObjectId"] ?? [])[0];
  if (dep) return `${dep.type.split(":").pop()} "${dep.name}"`;
  const type = peek(() => grant.props["principalType"]);
  const id = peek(() => grant.props["principalId"]);
  return `${typeof type === "string" ? type : "principal"} ${typeof id === "string" ? id : "(unknown)"}`;
}

type AllowConfig = { allow?: { name: string; reason: string }[] };

export const rbacPrivileged = stackPolicy({
  name: "rbac-privileged",
  description:
    "No role assignment, for any principal (apps, gateway, topics, users, groups, CI), grants Owner, Contributor, User Access Administrator or RBAC Administrator, or any role at tenant, management group, subscription or resource group scope, unless the stack's pack config allow-lists it with a reason.",
  severity: "high",
  anchors: ["Azure.RBAC.LimitOwner", "Azure.RBAC.LimitMGDelegation", "CKV_AZURE_39"],
  remediationSteps:
    'Grant the narrowest data role on the one resource the principal uses (its ARM id as scope). When a broad grant is truly needed (e.g. a CI deployer), add { "name": "<role assignment logical name>", "reason": "..." } to this rule\'s allow list in policy/config.<stack>.json.',
  configSchema: { properties: allowListSchema('Role assignments that may be privileged or broadly scoped: { "name": "<logical name>", "reason": "why it is needed" }.') },
  validateStack: (args, report) => {
    const grants = args.resources.filter((r) => r.type === T.RoleAssignment);
    if (grants.length === 0) return args.notApplicable("no role assignments");
    const config = args.getConfig<AllowConfig>();
    const customPrivileged = new Set(
      args.resources.filter((r) => r.type === ROLE_DEFINITION && wildcardActions(r).length > 0).flatMap((r) => [propString(r, "roleDefinitionId", "name")?.toLowerCase() ?? ""]),
    );
    for (const grant of grants) {
      if (allowListed(config, grant.name)) continue;
      const roleDef = peek(() => grant.props["roleDefinitionId"]);
      const role = typeof roleDef === "string" ? roleGuid(roleDef) : undefined;
      const who = principalText(grant);
      const roleDep = (grant.propertyDependencies["roleDefinitionId"] ?? []).find((d) => d.type === ROLE_DEFINITION);
      const privileged = role !== undefined && (PRIVILEGED_ROLES.includes(role) || customPrivileged.has(role));
      if (privileged || (roleDep && wildcardActions(roleDep).length > 0)) {
        report(
          `role assignment "${grant.name}" gives ${role ? roleName(role) : "a custom role with wildcard actions"} to ${who}: that role can change resources or access. ` +
            "Grant the narrow data role the principal needs instead, or allow-list the assignment with a reason in policy/config.<stack>.json (rbac-privileged.allow).",
          grant.urn,
        );
        continue;
      }
      const scope = scopeOf(grant);
      if ("broad" in scope) {
        report(
          `role assignment "${grant.name}" grants ${role ? roleName(role) : "a role"} to ${who} at ${scope.broad} scope (scope ${JSON.stringify(peek(() => grant.props["scope"]))}): ` +
            "it reaches every resource there. Scope it to the one resource used (its ARM id), or allow-list it with a reason (rbac-privileged.allow).",
          grant.urn,
        );
      }
    }
  },
});

const ROLE_DEFINITION = "azure-native:authorization:RoleDefinition";
const COSMOS_ROLE_DEFINITION = "azure-native:cosmosdb:SqlResourceSqlRoleDefinition";

/** Actions that grant everything, or everything over access control. */
const WILDCARD_ACTION = /^(\*|microsoft\.authorization\/\*.*|\*\/(write|delete|action|\*))$/i;

/** The wildcard actions/dataActions of a role definition (ARM `permissions` or Cosmos `permissions`). */
export function wildcardActions(def: PolicyResource | { props: Record<string, unknown> }): string[] {
  const perms = peek(() => def.props["permissions"]);
  if (perms === UNKNOWN || !Array.isArray(perms)) return [];
  const found: string[] = [];
  for (const p of perms as { actions?: unknown; dataActions?: unknown }[]) {
    for (const list of [p?.actions, p?.dataActions]) {
      if (!Array.isArray(list)) continue;
      for (const a of list) {
        if (typeof a !== "string") continue;
        const action = a.trim();
        if (WILDCARD_ACTION.test(action) || /^microsoft\.documentdb\/databaseaccounts\/\*$/i.test(action)) found.push(action);
      }
    }
  }
  return found;
}

export const rbacCustomRole = resourcePolicy({
  name: "rbac-custom-role",
  description: 'Custom role definitions (Azure RBAC and Cosmos DB data plane) do not grant "*" actions, Microsoft.Authorization/* or a whole Cosmos DB account.',
  severity: "high",
  anchors: ["CKV_AZURE_39"],
  remediationSteps: "List the exact actions the role needs (e.g. Microsoft.Storage/storageAccounts/queueServices/queues/messages/read), or use a built-in data role.",
  validateResource: (args, report) => {
    if (args.type !== ROLE_DEFINITION && args.type !== COSMOS_ROLE_DEFINITION) return args.notApplicable("not a role definition");
    const found = wildcardActions({ props: args.props });
    if (found.length > 0) {
      report(`role definition "${args.name}" grants ${found.map((a) => JSON.stringify(a)).join(", ")} in permissions: that is everything (or control over access). List the exact actions the role needs.`);
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Data-plane grants narrowed to what is used
// ---------------------------------------------------------------------------------------------

const QUEUE_ROLES = new Set<string>([ROLE.storageQueueDataContributor, ROLE.storageQueueDataMessageSender, ROLE.storageQueueDataMessageProcessor, ROLE.storageQueueDataReader]);
const QUEUE_CONSUMER_ROLES = new Set<string>([ROLE.storageQueueDataContributor, ROLE.storageQueueDataMessageProcessor]);
const BLOB_ROLES = new Set<string>([ROLE.storageBlobDataOwner, ROLE.storageBlobDataContributor, ROLE.storageBlobDataReader]);

/** The storage account, queue and container named by a scope id. */
export interface StorageScope {
  readonly account: string;
  readonly queue?: string;
  readonly container?: string;
}

export function storageScope(scope: string): StorageScope | undefined {
  const acct = /\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)/i.exec(scope)?.[1];
  if (!acct) return undefined;
  const queue = /\/queueServices\/[^/]+\/queues\/([^/]+)/i.exec(scope)?.[1];
  const container = /\/blobServices\/[^/]+\/containers\/([^/]+)/i.exec(scope)?.[1];
  return { account: acct.toLowerCase(), ...(queue ? { queue: queue.toLowerCase() } : {}), ...(container ? { container: container.toLowerCase() } : {}) };
}

/** The scope of a grant as an ARM id: the input, or the id of the resource it depends on. */
function scopeId(grant: PolicyResource): string | undefined {
  const s = peek(() => grant.props["scope"]);
  if (typeof s === "string") return s;
  const dep = (grant.propertyDependencies["scope"] ?? [])[0];
  const id = dep ? peek(() => dep.props["id"]) : undefined;
  return typeof id === "string" ? id : undefined;
}

/** Accounts whose whole data plane an app needs: its Functions host storage and Flex deployment storage. */
function hostAccounts(app: PolicyResource, resources: readonly PolicyResource[]): Set<string> {
  const out = new Set<string>();
  const host = (v: unknown): string | undefined => (typeof v === "string" ? /^[a-z]+:\/\/([^./:]+)/i.exec(v.trim())?.[1]?.toLowerCase() : undefined);
  for (const s of siteSettings(app, resources)) {
    if (/^AzureWebJobsStorage__/i.test(s.name)) {
      const h = host(s.value) ?? (s.name.toLowerCase().endsWith("__accountname") && typeof s.value === "string" ? s.value.toLowerCase() : undefined);
      if (h) out.add(h);
    }
  }
  const deploy = peek(() => (app.props["functionAppConfig"] as { deployment?: { storage?: { value?: unknown } } } | undefined)?.deployment?.storage?.value);
  const d = host(deploy);
  if (d) out.add(d);
  return out;
}

interface Subscription {
  readonly topic: PolicyResource | undefined;
  readonly queue?: { account: string; queue: string };
  readonly deadLetter?: { account: string; container: string };
}

/** Event Grid subscriptions: the queue they deliver to and the container they dead-letter to. */
function subscriptionsOf(resources: readonly PolicyResource[]): Subscription[] {
  const subs = resources.filter((r) => /^azure-native:eventgrid(?:\/v[^:]+)?:(TopicEventSubscription|EventSubscription|SystemTopicEventSubscription|DomainTopicEventSubscription)$/.test(r.type));
  return subs.map((s) => {
    const topic = (s.propertyDependencies["topicName"] ?? s.propertyDependencies["systemTopicName"] ?? s.propertyDependencies["scope"] ?? []).find((d) => /eventgrid(?:\/v[^:]+)?:(Topic|SystemTopic|Domain)$/.test(d.type));
    const dest = peek(() => (s.props["deliveryWithResourceIdentity"] as { destination?: { resourceId?: unknown; queueName?: unknown } } | undefined)?.destination ?? (s.props["destination"] as { resourceId?: unknown; queueName?: unknown } | undefined));
    const dl = peek(
      () =>
        (s.props["deadLetterWithResourceIdentity"] as { deadLetterDestination?: { resourceId?: unknown; blobContainerName?: unknown } } | undefined)?.deadLetterDestination ??
        (s.props["deadLetterDestination"] as { resourceId?: unknown; blobContainerName?: unknown } | undefined),
    );
    const acct = (v: unknown): string | undefined => (typeof v === "string" ? storageScope(v)?.account : undefined);
    const d = dest === UNKNOWN ? undefined : dest;
    const l = dl === UNKNOWN ? undefined : dl;
    return {
      topic,
      ...(d && acct(d.resourceId) && typeof d.queueName === "string" ? { queue: { account: acct(d.resourceId)!, queue: d.queueName.toLowerCase() } } : {}),
      ...(l && acct(l.resourceId) && typeof l.blobContainerName === "string" ? { deadLetter: { account: acct(l.resourceId)!, container: l.blobContainerName.toLowerCase() } } : {}),
    };
  });
}

const baseQueue = (q: string): string => q.replace(/-poison$/, "");

export const rbacDataScope = stackPolicy({
  name: "rbac-data-scope",
  description:
    "Queue and blob data roles are scoped to the queue or container used (the whole account only for an app's own host or deployment storage); a queue has one consumer (processing roles on a queue and its poison queue go to one principal); an Event Grid topic's identity holds only Message Sender on its subscriptions' queues and Blob Data Contributor on their dead-letter containers.",
  severity: "high",
  remediationSteps:
    "Scope each queue grant to the queue's id (…/queueServices/default/queues/<name>) and each blob grant to the container's id; give processing roles only to the queue's owner; grant an Event Grid topic only what its subscriptions deliver to.",
  validateStack: (args, report) => {
    const grants = args.resources.filter((r) => r.type === T.RoleAssignment);
    if (grants.length === 0) return args.notApplicable("no role assignments");
    const apps = args.resources.filter((r) => r.type === T.WebApp && isFunctionAppKind(peek(() => r.props["kind"])));
    const identities: AppIdentities[] = apps.map((a) => identitiesOf(a, args.resources));
    const subs = subscriptionsOf(args.resources);
    const consumers = new Map<string, { principal: string; grants: PolicyResource[] }[]>();
    for (const grant of grants) {
      const roleDef = peek(() => grant.props["roleDefinitionId"]);
      if (typeof roleDef !== "string") continue;
      const role = roleGuid(roleDef);
      if (!QUEUE_ROLES.has(role) && !BLOB_ROLES.has(role)) continue;
      const id = scopeId(grant);
      const scope: StorageScope | undefined = id
        ? storageScope(id)
        : (grant.propertyDependencies["scope"] ?? []).map((d) => (d.type === T.StorageAccount ? { account: propString(d, "accountName", "name")?.toLowerCase() ?? "" } : undefined)).find((x) => x);
      if (!scope) continue;
      const who = principalText(grant);
      const owners = appsOfPrincipal(grant, identities);
      const topic = (grant.propertyDependencies["principalId"] ?? []).find((d) => /eventgrid(?:\/v[^:]+)?:(Topic|SystemTopic|Domain)$/.test(d.type));
      if (topic) {
        const mine = subs.filter((s) => s.topic?.urn === topic.urn);
        const ok =
          (role === ROLE.storageQueueDataMessageSender && scope.queue !== undefined && mine.some((s) => s.queue?.account === scope.account && s.queue.queue === scope.queue)) ||
          (role === ROLE.storageBlobDataContributor && scope.container !== undefined && mine.some((s) => s.deadLetter?.account === scope.account && s.deadLetter.container === scope.container));
        if (!ok) {
          report(
            `role assignment "${grant.name}" grants ${roleName(role)} on ${describeScope(scope)} to ${who}, which none of the topic's subscriptions delivers or dead-letters to: ` +
              "an Event Grid topic needs Storage Queue Data Message Sender on each destination queue and Storage Blob Data Contributor on each dead-letter container, nothing else.",
            grant.urn,
          );
        }
        continue;
      }
      const isHost = owners.length > 0 && owners.every((o) => hostAccounts(o.app, args.resources).has(scope.account));
      if (!isHost && !scope.queue && !scope.container) {
        report(
          `role assignment "${grant.name}" grants ${roleName(role)} on the whole storage account "${scope.account}" to ${who}: every queue/container of the account is reachable. ` +
            "Scope it to the queue (…/queueServices/default/queues/<name>) or container (…/blobServices/default/containers/<name>) the principal uses.",
          grant.urn,
        );
        continue;
      }
      if (scope.queue && QUEUE_CONSUMER_ROLES.has(role)) {
        const key = `${scope.account}/${baseQueue(scope.queue)}`;
        const principal = String(peek(() => grant.props["principalId"])) + (grant.propertyDependencies["principalId"] ?? []).map((d) => d.urn).join();
        const list = consumers.get(key) ?? [];
        const entry = list.find((e) => e.principal === principal);
        if (entry) entry.grants.push(grant);
        else list.push({ principal, grants: [grant] });
        consumers.set(key, list);
      }
    }
    for (const [key, list] of consumers) {
      if (list.length <= 1) continue;
      const names = list.map((e) => e.grants.map((g) => `"${g.name}" (${principalText(g)})`).join(", "));
      for (const e of list) {
        for (const g of e.grants) {
          report(
            `role assignment "${g.name}" lets ${principalText(g)} consume queue "${key.split("/")[1]}" (or its poison queue), which ${list.length} principals consume (${names.join("; ")}): ` +
              "a queue has one consumer, its owner. Give the others Storage Queue Data Message Sender if they only send.",
            g.urn,
          );
        }
      }
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Each queue/container grant matches a declared use of that exact queue/container
// ---------------------------------------------------------------------------------------------

/** What a function app's plan shows it does with queues and containers, from sources other than its grants. */
interface DeclaredUses {
  /** Queues its code registers a queue trigger on (the code deployment's `functions[].queue`). */
  readonly triggers: Set<string>;
  /** Queues its code's output bindings write to, and the queues its manifest declares it sends to. */
  readonly sends: Set<string>;
  /** Queues its manifest declares it processes (the code must confirm with a trigger). */
  readonly processes: Set<string>;
  /** Its Flex deployment container, `<account>/<container>` (functionAppConfig.deployment.storage). */
  readonly deploymentContainer?: string;
}

const CODE_DEPLOYMENT = /:FunctionCodeDeployment$/;

/**
 * The app's declared uses, or undefined when the plan has no code deployment for it (a hand-written
 * app: nothing records its uses, so its grants are judged only by the other rules).
 */
function declaredUsesOf(app: PolicyResource, resources: readonly PolicyResource[]): DeclaredUses | undefined {
  const appId = peek(() => app.props["id"]);
  const deployments = resources.filter(
    (r) => CODE_DEPLOYMENT.test(r.type) && ((r.propertyDependencies["siteId"] ?? []).some((d) => d.urn === app.urn) || (typeof appId === "string" && peek(() => r.props["siteId"]) === appId)),
  );
  const deployment = peek(() => (app.props["functionAppConfig"] as { deployment?: { storage?: { value?: unknown } } } | undefined)?.deployment?.storage?.value);
  const m = typeof deployment === "string" ? /^https:\/\/([^./]+)\.blob\.[^/]+\/([^/?#]+)/i.exec(deployment) : null;
  if (deployments.length === 0) return undefined;
  const uses: DeclaredUses = { triggers: new Set(), sends: new Set(), processes: new Set(), ...(m ? { deploymentContainer: `${m[1]!.toLowerCase()}/${m[2]!.toLowerCase()}` } : {}) };
  const lower = (v: unknown): string | undefined => (typeof v === "string" ? v.toLowerCase() : undefined);
  for (const d of deployments) {
    const functions = peek(() => d.props["functions"]);
    for (const f of Array.isArray(functions) ? (functions as { queue?: unknown; sends?: unknown }[]) : []) {
      const q = lower(f?.queue);
      if (q) uses.triggers.add(q);
      for (const out of Array.isArray(f?.sends) ? f.sends : []) if (lower(out)) uses.sends.add(lower(out)!);
    }
    const declared = peek(() => d.props["uses"]);
    for (const u of Array.isArray(declared) ? (declared as { kind?: unknown; name?: unknown; access?: unknown }[]) : []) {
      const name = lower(u?.name);
      if (u?.kind !== "queue" || !name) continue;
      if (u.access === "send") uses.sends.add(name);
      else if (u.access === "process") uses.processes.add(name);
    }
  }
  return uses;
}

/**
 * Queue roles by what they allow (Microsoft Learn, "Azure built-in roles for Storage"); a queue trigger
 * processes messages, an output binding or a client only sends (Microsoft Learn, "Azure Queue storage
 * trigger and bindings for Azure Functions overview", granting permission to the identity).
 */
const QUEUE_SEND_ONLY = new Set<string>([ROLE.storageQueueDataMessageSender]);
const QUEUE_PROCESSING = new Set<string>([ROLE.storageQueueDataMessageProcessor, ROLE.storageQueueDataContributor]);

/** Why a queue grant does not match the app's declared use of that queue, or undefined when it does. */
function queueGrantMismatch(role: string, queue: string, uses: DeclaredUses): string | undefined {
  const base = baseQueue(queue);
  const poison = base !== queue;
  const triggered = uses.triggers.has(base);
  const sends = uses.sends.has(queue);
  const list = (set: Set<string>): string => (set.size > 0 ? [...set].map((q) => `"${q}"`).join(", ") : "none");
  if (QUEUE_PROCESSING.has(role)) {
    // The host only sends to a trigger's poison queue, creating it only when a send finds none
    // (Azure/azure-sdk-for-net, Microsoft.Azure.WebJobs.Extensions.Storage.Common: QueueProcessor
    // .CopyMessageToPoisonQueueAsync → StorageQueueExtensions.AddMessageAndCreateIfNotExistsAsync).
    if (poison && triggered && !uses.triggers.has(queue)) {
      return `the host only sends to "${queue}" (the poison queue of the "${base}" trigger): Storage Queue Data Message Sender is enough`;
    }
    if (triggered || uses.triggers.has(queue)) return undefined;
    if (uses.processes.has(base)) return `its manifest declares processing "${base}" but its code registers no queue trigger on it (code triggers on: ${list(uses.triggers)})`;
    if (sends && !poison) return `it only sends to "${queue}" (a send-only use gets Storage Queue Data Message Sender, nothing more)`;
    return `it has no declared use of "${queue}" (code triggers on: ${list(uses.triggers)}; sends to: ${list(uses.sends)})`;
  }
  if (QUEUE_SEND_ONLY.has(role)) {
    // The host moves a message that keeps failing to `<queue>-poison`: the trigger's own poison queue.
    if (sends || (poison && triggered)) return undefined;
    if (triggered) return `its code triggers on "${queue}", which needs Storage Queue Data Message Processor (or Contributor), not Sender`;
    return `it has no declared use of "${queue}" (sends to: ${list(uses.sends)}; code triggers on: ${list(uses.triggers)})`;
  }
  // Reader and any other queue data role: no use the platform declares needs it.
  return `no declared use needs ${roleName(role)} (processing needs Message Processor or Contributor, a send-only use Message Sender)`;
}

export const rbacDeclaredUse = stackPolicy({
  name: "rbac-declared-use",
  description:
    "Every queue or blob-container data role a function app's identity holds matches a use of that exact queue/container the plan shows independently of the grant: a queue trigger its deployed code registers (processing: Message Processor or Contributor; on the trigger's poison queue, where the host only sends, Message Sender), a send its manifest or output bindings declare (Message Sender only), or its Flex deployment container.",
  severity: "high",
  remediationSteps:
    "Grant each app exactly what its uses need, on the queue/container it uses: Storage Queue Data Message Sender for a queue it only sends to (manifest uses.queues access send), Message Processor/Contributor on a queue its code triggers on and Message Sender on that queue's -poison queue; declare the use in functions-src/<service>/service.ts before granting, or remove the grant.",
  validateStack: (args, report) => {
    const grants = args.resources.filter((r) => r.type === T.RoleAssignment);
    const apps = args.resources.filter((r) => r.type === T.WebApp && isFunctionAppKind(peek(() => r.props["kind"])));
    if (grants.length === 0 || apps.length === 0) return args.notApplicable("no role assignments to function apps");
    const identities = apps.map((a) => identitiesOf(a, args.resources));
    const usesOf = new Map(apps.map((a) => [a.urn, declaredUsesOf(a, args.resources)]));
    for (const grant of grants) {
      const roleDef = peek(() => grant.props["roleDefinitionId"]);
      if (typeof roleDef !== "string") continue;
      const role = roleGuid(roleDef);
      if (!QUEUE_ROLES.has(role) && !BLOB_ROLES.has(role)) continue;
      const id = scopeId(grant);
      const scope = id ? storageScope(id) : undefined;
      // Account-wide grants are rbac-data-scope's (only an app's own host storage may have them).
      if (!scope || (!scope.queue && !scope.container)) continue;
      for (const owner of appsOfPrincipal(grant, identities)) {
        const uses = usesOf.get(owner.app.urn);
        if (!uses) continue;
        let why: string | undefined;
        if (scope.queue) {
          why = QUEUE_ROLES.has(role) ? queueGrantMismatch(role, scope.queue, uses) : `${roleName(role)} is a blob role, granted on a queue`;
        } else if (scope.container) {
          const here = `${scope.account}/${scope.container}`;
          const deploymentRole = role === ROLE.storageBlobDataContributor || role === ROLE.storageBlobDataOwner;
          why = here === uses.deploymentContainer && deploymentRole ? undefined : `it has no declared use of container "${scope.container}" (its deployment container: ${uses.deploymentContainer ?? "none"})`;
        }
        if (why) {
          report(
            `role assignment "${grant.name}" grants ${roleName(role)} on ${describeScope(scope)} to function app "${owner.app.name}", but ${why}: ` +
              "grant only what a declared use of that exact queue/container needs (declare it in the service's manifest), or remove the grant.",
            grant.urn,
          );
        }
      }
    }
  },
});

function describeScope(s: { account: string; queue?: string; container?: string }): string {
  if (s.queue) return `queue "${s.queue}" of storage account "${s.account}"`;
  if (s.container) return `container "${s.container}" of storage account "${s.account}"`;
  return `storage account "${s.account}"`;
}

// ---------------------------------------------------------------------------------------------
// Cosmos DB data-plane roles
// ---------------------------------------------------------------------------------------------

/** `/dbs/<db>/colls/<c>` parts of a Cosmos DB role assignment scope (full ARM id or relative). */
export function cosmosScope(scope: string): { level: "account" | "database" | "container"; database?: string; container?: string } {
  const m = /\/dbs\/([^/]+)(?:\/colls\/([^/]+))?\/?$/i.exec(scope);
  if (!m) return { level: "account" };
  return m[2] ? { level: "container", database: m[1]!, container: m[2] } : { level: "database", database: m[1]! };
}

export const cosmosDataScope = stackPolicy({
  name: "cosmos-data-scope",
  description:
    "Cosmos DB data-plane role assignments are scoped to a container (Data Contributor) or at widest a database (Data Reader), never the account; an app writes only containers of its own database (COSMOS_DATABASE) and only reads other services' data.",
  severity: "high",
  remediationSteps:
    'Scope each sqlRoleAssignment to "/dbs/<db>/colls/<container>" (the grant methods take the container); use the Built-in Data Reader (…0001) for another service\'s data.',
  validateStack: (args, report) => {
    const grants = args.resources.filter((r) => r.type === T.SqlRoleAssignment);
    if (grants.length === 0) return args.notApplicable("no Cosmos DB role assignments");
    const apps = args.resources.filter((r) => r.type === T.WebApp && isFunctionAppKind(peek(() => r.props["kind"])));
    const identities = apps.map((a) => identitiesOf(a, args.resources));
    for (const grant of grants) {
      const scopeValue = peek(() => grant.props["scope"]);
      const roleDef = peek(() => grant.props["roleDefinitionId"]);
      if (typeof scopeValue !== "string" || typeof roleDef !== "string") continue;
      const role = roleGuid(roleDef);
      const scope = cosmosScope(scopeValue);
      const who = principalText(grant);
      const reader = role === COSMOS_DATA_ROLE.reader;
      if (scope.level === "account") {
        report(`Cosmos DB role assignment "${grant.name}" grants ${roleName(role)} on the whole account (scope ${JSON.stringify(scopeValue)}) to ${who}: scope it to "/dbs/<db>/colls/<container>".`, grant.urn);
        continue;
      }
      if (scope.level === "database" && !reader) {
        report(`Cosmos DB role assignment "${grant.name}" grants ${roleName(role)} on every container of database "${scope.database}" to ${who}: write access is granted per container ("/dbs/${scope.database}/colls/<container>").`, grant.urn);
        continue;
      }
      if (reader) continue;
      for (const owner of appsOfPrincipal(grant, identities)) {
        const own = findSetting(siteSettings(owner.app, args.resources), "COSMOS_DATABASE")?.value;
        if (typeof own === "string" && scope.database && own.toLowerCase() !== scope.database.toLowerCase()) {
          report(
            `Cosmos DB role assignment "${grant.name}" lets function app "${owner.app.name}" (database ${JSON.stringify(own)}) write container "${scope.container}" of database "${scope.database}", another service's data: ` +
              "grant Cosmos DB Built-in Data Reader there, or move the write to the owning service.",
            grant.urn,
          );
        }
      }
    }
  },
});

export const rbacPolicies: PlatformPolicy[] = [rbacPrivileged, rbacCustomRole, rbacDataScope, rbacDeclaredUse, cosmosDataScope];

