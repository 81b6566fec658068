/**
 * The standard interface every component offers, as plain data arguments, after Azure Verified
 * Modules' shared interfaces (AVM spec RMFR4, "AVM Consistent Feature & Extension Resources":
 * diagnosticSettings, roleAssignments, lock, tags, managedIdentities — the same parameter names on
 * every module; azure.github.io/Azure-Verified-Modules/spec/RMFR4). Each applies to the component's
 * main resource (its `resourceId`), and the component never creates what they point at (the
 * workspace, the principals): those are the caller's.
 *
 * Physical names follow the same idea: every component takes an explicit name for each resource it
 * names (`physicalNames`), and falls back to the naming helper when it is given a `NameContext`.
 */
import type * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { type DiagnosticSupportedType, type LogCategoryGroup, diagnosticSetting } from "./diagnostics";
import { type NameContext, type NameKind, NameError, physicalName, validateName } from "./naming";
import { LOCK_NOTES } from "./protection";
import { type BuiltInRoleName, grantRole } from "./roles";
import type { Tags } from "./tags";

/** The level of a management lock. */
export const LockKind = {
  /** Reads and updates pass, deletes fail. */
  CanNotDelete: "CanNotDelete",
  /** Only reads pass. */
  ReadOnly: "ReadOnly",
} as const;
export type LockKind = (typeof LockKind)[keyof typeof LockKind];

/** The kind of principal a role assignment is for. */
export const PrincipalKind = {
  ServicePrincipal: "ServicePrincipal",
  User: "User",
  Group: "Group",
} as const;
export type PrincipalKind = (typeof PrincipalKind)[keyof typeof PrincipalKind];

/** An Azure management lock on the main resource. */
export interface LockSpec {
  /** `CanNotDelete`: reads and updates pass, deletes fail; `ReadOnly`: only reads pass. */
  readonly kind: LockKind;
  /** The lock's name. @default "protect-data" */
  readonly name?: string;
  /** The note whoever meets the lock reads. @default LOCK_NOTES */
  readonly notes?: string;
}

/** A role assignment on the main resource, for a principal the caller owns. */
export interface RoleAssignmentSpec {
  /** Object id of the principal. */
  readonly principalId: pulumi.Input<string>;
  /** A built-in role (`BuiltInRole`). */
  readonly role: BuiltInRoleName;
  /** @default "ServicePrincipal" */
  readonly principalType?: PrincipalKind;
  /** Why the principal holds the role (shown on the assignment). @default none */
  readonly description?: string;
  /**
   * A stable key: it names the assignment's Pulumi resource, so reordering the list replaces
   * nothing. @default the position in the list
   */
  readonly key?: string;
}

/** A diagnostic setting sending the main resource's logs and metrics to a Log Analytics workspace. */
export interface DiagnosticSettingSpec {
  /** ARM id of the Log Analytics workspace. */
  readonly workspaceResourceId: pulumi.Input<string>;
  /** The setting's name (unique per resource). @default "to-log-analytics" */
  readonly name?: string;
  /** Log category groups. @default the resource type's groups (see diagnostics.ts) */
  readonly logCategoryGroups?: LogCategoryGroup[];
  /** Whether platform metrics are sent. @default true */
  readonly metrics?: boolean;
}

/** The standard interface: every component's args extend it. */
export interface StandardArgs {
  /** Tags for every taggable child. @default none */
  readonly tags?: Tags;
  /**
   * A management lock on the main resource. @default none — except on components with a `protect`
   * switch, where `protect: true` means a CanNotDelete lock named "protect-data"
   */
  readonly lock?: LockSpec;
  /** Role assignments on the main resource. @default none */
  readonly roleAssignments?: RoleAssignmentSpec[];
  /**
   * Diagnostic settings (each applied to every resource of the component that emits logs). A
   * component's `workspaceId` is the shorthand for one setting named "to-log-analytics". @default none
   */
  readonly diagnosticSettings?: DiagnosticSettingSpec[];
}

/** The lock a component applies: `lock`, else the protection switch's CanNotDelete lock. */
export function effectiveLock(lock: LockSpec | undefined, protect: boolean | undefined): LockSpec | undefined {
  return lock ?? (protect === true ? { kind: "CanNotDelete" } : undefined);
}

/** Creates `<name>-lock` on `resourceId` for `lock` (nothing when undefined). */
export function applyLock(
  name: string,
  resourceId: pulumi.Input<string>,
  lock: LockSpec | undefined,
  opts: pulumi.CustomResourceOptions,
): authorization.ManagementLockByScope | undefined {
  if (!lock) return undefined;
  return new authorization.ManagementLockByScope(
    `${name}-lock`,
    { scope: resourceId, level: lock.kind, lockName: lock.name ?? "protect-data", notes: lock.notes ?? LOCK_NOTES },
    opts,
  );
}

/** Creates `<name>-role-<key>` for each assignment, scoped to `scope`. */
export function applyRoleAssignments(
  name: string,
  scope: pulumi.Input<string>,
  assignments: readonly RoleAssignmentSpec[] | undefined,
  opts: pulumi.CustomResourceOptions,
): authorization.RoleAssignment[] {
  const keys = new Set<string>();
  return (assignments ?? []).map((a, i) => {
    const key = a.key ?? String(i);
    if (keys.has(key)) throw new Error(`${name}: roleAssignments key "${key}" is used twice`);
    keys.add(key);
    return grantRole(
      `${name}-role-${key}`,
      {
        scope,
        principalId: a.principalId,
        role: a.role,
        ...(a.principalType ? { principalType: a.principalType } : {}),
        ...(a.description !== undefined ? { description: a.description } : {}),
      },
      opts,
    );
  });
}

/** The settings a component sends: its `workspaceId` shorthand first, then `diagnosticSettings`. */
export function effectiveDiagnostics(
  owner: string,
  workspaceId: pulumi.Input<string> | undefined,
  settings: readonly DiagnosticSettingSpec[] | undefined,
): DiagnosticSettingSpec[] {
  const all = [...(workspaceId !== undefined ? [{ workspaceResourceId: workspaceId }] : []), ...(settings ?? [])];
  const names = new Set<string>();
  for (const s of all) {
    const n = s.name ?? "to-log-analytics";
    if (names.has(n)) throw new Error(`${owner}: two diagnostic settings are named "${n}" (workspaceId counts as one named "to-log-analytics"); name each one`);
    names.add(n);
  }
  return all;
}

/**
 * One diagnostic setting per spec on `resourceId`: the first unnamed spec keeps the logical name
 * `<name>-diag`; a named one is `<name>-<spec name>-diag`. `logCategoryGroups` given here (a
 * resource that has no logs) wins over the spec's.
 */
export function applyDiagnostics(
  name: string,
  resourceId: pulumi.Input<string>,
  specs: readonly DiagnosticSettingSpec[],
  opts: pulumi.CustomResourceOptions,
  fixed: { readonly logCategoryGroups?: readonly LogCategoryGroup[]; readonly resourceType?: DiagnosticSupportedType } = {},
): void {
  for (const spec of specs) {
    const groups = fixed.logCategoryGroups ?? spec.logCategoryGroups;
    diagnosticSetting(
      spec.name === undefined ? name : `${name}-${spec.name}`,
      {
        resourceId,
        workspaceId: spec.workspaceResourceId,
        ...(fixed.resourceType !== undefined ? { resourceType: fixed.resourceType } : {}),
        ...(groups !== undefined ? { logCategoryGroups: groups } : {}),
        ...(spec.metrics !== undefined ? { metrics: spec.metrics } : {}),
        ...(spec.name !== undefined ? { settingName: spec.name } : {}),
      },
      opts,
    );
  }
}

/**
 * The physical name of one resource of a component: the explicit one (checked against the kind's
 * rules), else the naming helper's, else an error naming the missing argument.
 */
export function resourceName(
  owner: string,
  /** The argument that names it explicitly, e.g. `physicalNames.account`. */
  arg: string,
  kind: NameKind,
  explicit: string | undefined,
  names: NameContext | undefined,
  ...parts: string[]
): string {
  if (explicit !== undefined) {
    const reason = validateName(kind, explicit);
    if (reason) throw new Error(`${owner}: ${arg}: ${new NameError(kind, explicit, reason).message}`);
    return explicit;
  }
  if (!names) throw new Error(`${owner}: ${arg} is required when names (the naming helper's prefix and environment) is not given`);
  return physicalName(kind, names, ...parts);
}
