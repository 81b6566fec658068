/**
 * Data-plane authorization as Azure applies it: a request's data action is allowed when some role
 * assignment of the caller's principal has a role whose (data) actions match it and whose scope
 * contains the resource; otherwise it is refused with 403 naming the identity, the action and the scope.
 *
 * Sources:
 * - Built-in roles and their data actions: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage,
 *   .../built-in-roles/integration (EventGrid Data Sender), .../built-in-roles/monitor.
 * - Cosmos DB built-in data roles (00000000-0000-0000-0000-000000000001/2) and their data actions:
 *   https://learn.microsoft.com/azure/cosmos-db/nosql/security/reference-data-plane-roles
 * - Scope containment: an assignment applies to its scope and everything below it
 *   (https://learn.microsoft.com/azure/role-based-access-control/scope-overview); for Cosmos the scope is
 *   the account, `/dbs/<db>` or `/dbs/<db>/colls/<container>`.
 * - Wildcards in actions (`*` matches any segment sequence): https://learn.microsoft.com/azure/role-based-access-control/role-definitions#actions
 *
 * Not emulated (refused by `roleActions` when met): custom role definitions, deny assignments, conditions (ABAC).
 */
import type { RoleAssignmentModel } from "./model";

const STORAGE = "Microsoft.Storage/storageAccounts";
const COSMOS = "Microsoft.DocumentDB/databaseAccounts";

/** Built-in role GUID → name and data actions (only the roles the platform grants). */
export const BUILT_IN_DATA_ROLES: Readonly<Record<string, { readonly name: string; readonly dataActions: readonly string[] }>> = {
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": { name: "Storage Blob Data Owner", dataActions: [`${STORAGE}/blobServices/containers/blobs/*`] },
  "ba92f5b4-2d11-453d-a403-e96b0029c9fe": {
    name: "Storage Blob Data Contributor",
    dataActions: [
      `${STORAGE}/blobServices/containers/blobs/delete`,
      `${STORAGE}/blobServices/containers/blobs/read`,
      `${STORAGE}/blobServices/containers/blobs/write`,
      `${STORAGE}/blobServices/containers/blobs/move/action`,
      `${STORAGE}/blobServices/containers/blobs/add/action`,
    ],
  },
  "974c5e8b-45b9-4653-ba55-5f855dd0fb88": {
    name: "Storage Queue Data Contributor",
    dataActions: [
      `${STORAGE}/queueServices/queues/messages/delete`,
      `${STORAGE}/queueServices/queues/messages/read`,
      `${STORAGE}/queueServices/queues/messages/write`,
      `${STORAGE}/queueServices/queues/messages/process/action`,
    ],
  },
  "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a": {
    name: "Storage Queue Data Message Sender",
    dataActions: [`${STORAGE}/queueServices/queues/messages/add/action`],
  },
  "8a0f0c08-91a1-4084-bc3d-661d67233fed": {
    name: "Storage Queue Data Message Processor",
    dataActions: [`${STORAGE}/queueServices/queues/messages/read`, `${STORAGE}/queueServices/queues/messages/process/action`],
  },
  "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": {
    name: "Storage Table Data Contributor",
    dataActions: [
      `${STORAGE}/tableServices/tables/entities/read`,
      `${STORAGE}/tableServices/tables/entities/write`,
      `${STORAGE}/tableServices/tables/entities/delete`,
      `${STORAGE}/tableServices/tables/entities/add/action`,
      `${STORAGE}/tableServices/tables/entities/update/action`,
    ],
  },
  "d5a91429-5739-47e2-a06b-3470a27159e7": { name: "EventGrid Data Sender", dataActions: ["Microsoft.EventGrid/topics/events/send/action"] },
  "3913510d-42f4-4e42-8a64-420c390055eb": { name: "Monitoring Metrics Publisher", dataActions: ["Microsoft.Insights/Metrics/Write", "Microsoft.Insights/Telemetry/Write"] },
  "00000000-0000-0000-0000-000000000001": {
    name: "Cosmos DB Built-in Data Reader",
    dataActions: [
      `${COSMOS}/readMetadata`,
      `${COSMOS}/sqlDatabases/containers/executeQuery`,
      `${COSMOS}/sqlDatabases/containers/readChangeFeed`,
      `${COSMOS}/sqlDatabases/containers/items/read`,
    ],
  },
  "00000000-0000-0000-0000-000000000002": {
    name: "Cosmos DB Built-in Data Contributor",
    dataActions: [`${COSMOS}/readMetadata`, `${COSMOS}/sqlDatabases/containers/*`, `${COSMOS}/sqlDatabases/containers/items/*`],
  },
};

/** Roles the twin knows but that grant no data action it checks (control plane only). */
const CONTROL_PLANE_ROLES = new Set(["de139f84-1756-47ae-9be6-808fbbe84772" /* Website Contributor */]);

export function roleName(guid: string): string {
  return BUILT_IN_DATA_ROLES[guid]?.name ?? (CONTROL_PLANE_ROLES.has(guid) ? "Website Contributor" : guid);
}

export function roleActions(assignment: RoleAssignmentModel): readonly string[] {
  if (CONTROL_PLANE_ROLES.has(assignment.roleDefinitionGuid)) return [];
  const role = BUILT_IN_DATA_ROLES[assignment.roleDefinitionGuid];
  if (!role) {
    throw new Error(
      `role assignment "${assignment.name}": role definition ${assignment.roleDefinitionGuid} is not a built-in data role the twin emulates (custom roles are not emulated)`,
    );
  }
  return role.dataActions;
}

/**
 * Cosmos metadata reads (account, database, container, partition key ranges) address a resource above a
 * container-scoped assignment; the SDKs must read them to reach the container at all, and Cosmos admits them
 * for a principal holding readMetadata anywhere below (twin interpretation: container-scoped assignments are
 * the documented least-privilege pattern, https://learn.microsoft.com/azure/cosmos-db/how-to-setup-rbac#role-assignments).
 */
function isMetadataRead(action: string): boolean {
  return action.toLowerCase() === "microsoft.documentdb/databaseaccounts/readmetadata";
}

/** `*` in a permission matches any run of characters (Azure RBAC wildcard semantics), case-insensitively. */
export function actionMatches(permission: string, action: string): boolean {
  const pattern = new RegExp(`^${permission.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`, "i");
  return pattern.test(action);
}

/** True when `scope` is `resource` or one of its ancestors (segment-wise, case-insensitive). */
export function scopeContains(scope: string, resource: string): boolean {
  const s = scope.replace(/\/+$/, "").toLowerCase();
  const r = resource.replace(/\/+$/, "").toLowerCase();
  return r === s || r.startsWith(`${s}/`);
}

export interface AccessRequest {
  readonly principalId: string;
  /** Who the principal is, for messages (`orders (b04f…)`). */
  readonly principalLabel: string;
  readonly action: string;
  /** The resource's ARM-style id (queue id, blob container id, Cosmos `/dbs/x/colls/y` form, topic id). */
  readonly resource: string;
  /** What was asked, for messages (`PUT /order-status/messages`). */
  readonly operation: string;
}

export interface Decision {
  readonly allowed: boolean;
  /** The assignments that grant it (all of them, to measure necessity). */
  readonly grantedBy: readonly string[];
  readonly message: string;
}

export interface Denial extends AccessRequest {
  /** Every action that would have allowed the request (all alternatives). */
  readonly actions: readonly string[];
  readonly at: number;
  readonly message: string;
}

/**
 * The authorizer: holds the current role assignments (tests may revoke and restore them while the twin
 * runs), decides each request, and records which assignment granted which action (usage) and every denial.
 */
export class Authorizer {
  #assignments: RoleAssignmentModel[];
  readonly #revoked = new Set<string>();
  /** assignment name → data actions it granted at least once. */
  readonly used = new Map<string, Set<string>>();
  readonly denials: Denial[] = [];

  constructor(assignments: readonly RoleAssignmentModel[]) {
    this.#assignments = [...assignments];
    for (const a of assignments) roleActions(a); // refuse unknown roles now, not on first use
  }

  get assignments(): readonly RoleAssignmentModel[] {
    return this.#assignments.filter((a) => !this.#revoked.has(a.name));
  }

  revoke(name: string): void {
    if (!this.#assignments.some((a) => a.name === name)) throw new Error(`no role assignment "${name}" in the plan`);
    this.#revoked.add(name);
  }

  restore(name: string): void {
    this.#revoked.delete(name);
  }

  isRevoked(name: string): boolean {
    return this.#revoked.has(name);
  }

  #grantsFor(principalId: string, action: string, resource: string): string[] {
    return this.assignments
      .filter(
        (a) =>
          a.principalId.toLowerCase() === principalId.toLowerCase() &&
          (scopeContains(a.scope, resource) || (isMetadataRead(action) && scopeContains(resource, a.scope))) &&
          roleActions(a).some((p) => actionMatches(p, action)),
      )
      .map((a) => a.name);
  }

  #use(grantedBy: readonly string[], action: string): void {
    for (const name of grantedBy) {
      let set = this.used.get(name);
      if (!set) this.used.set(name, (set = new Set()));
      set.add(action);
    }
  }

  authorize(request: AccessRequest): Decision {
    return this.authorizeAny(request, [[request.action]]);
  }

  /**
   * Azure's "A or (B and C)" rules (e.g. Get Messages: process/action, or delete and read): allowed when
   * every action of one alternative is granted; a denial is recorded only when no alternative is.
   */
  authorizeAny(request: Omit<AccessRequest, "action"> & { action?: string }, anyOf: readonly (readonly string[])[]): Decision {
    for (const actions of anyOf) {
      const grants = actions.map((action) => this.#grantsFor(request.principalId, action, request.resource));
      if (grants.every((g) => g.length > 0)) {
        actions.forEach((action, i) => this.#use(grants[i]!, action));
        return { allowed: true, grantedBy: [...new Set(grants.flat())], message: "" };
      }
    }
    const wanted = anyOf.map((a) => a.join(" and ")).join(" or ");
    const action = anyOf[0]![0]!;
    // Worded like Azure's AuthorizationPermissionMismatch / Cosmos "Forbidden" answers: who, what, where.
    const message =
      `AuthorizationPermissionMismatch: principal ${request.principalLabel} does not have data action ` +
      `${wanted} on scope ${request.resource} (${request.operation}). ` +
      `Grant a role with this data action at this scope or above (twin: no role assignment in the plan allows it).`;
    this.denials.push({ ...request, action, actions: [...new Set(anyOf.flat())], at: Date.now(), message });
    return { allowed: false, grantedBy: [], message };
  }

  /** Data actions granted by an assignment that no request used: the candidates to narrow. */
  unusedGrants(): { assignment: string; role: string; scope: string; unusedActions: string[] }[] {
    return this.#assignments
      .filter((a) => !CONTROL_PLANE_ROLES.has(a.roleDefinitionGuid))
      .map((a) => {
        const used = this.used.get(a.name) ?? new Set<string>();
        const unusedActions = roleActions(a).filter((p) => ![...used].some((u) => actionMatches(p, u)));
        return { assignment: a.name, role: roleName(a.roleDefinitionGuid), scope: a.scope, unusedActions };
      })
      .filter((u) => u.unusedActions.length > 0);
  }
}
