/**
 * Stops an update that would delete or replace something under a `CanNotDelete` (or `ReadOnly`)
 * management lock, before `pulumi up` starts it.
 *
 * Locks are inherited: a lock on a storage or Cosmos DB account also refuses deleting its queues,
 * containers, databases and role assignments (learn.microsoft.com/azure/azure-resource-manager/
 * management/lock-resources: "child resources inherit the locks of the parent"; "CanNotDelete
 * ... users can read and modify a resource, but they can't delete it"). ARM refuses such a delete
 * with `ScopeLocked` in the middle of an update, after other steps already ran. A replacement deletes
 * the old resource too (before or after creating the new one).
 *
 * Inputs, both from before the update: the steps of `pulumi preview --json` (or two offline plans,
 * base and head) and the locks (those in the preview's state, and `az lock list -o json`, which also
 * sees locks Pulumi does not manage).
 */
import type { Plan } from "./plan-format";

/** One management lock: the scope it protects (an ARM id) and its level. */
export interface Lock {
  readonly id: string;
  readonly scope: string;
  readonly level: "CanNotDelete" | "ReadOnly";
}

/** A resource the update deletes (or replaces, which deletes the old one). */
export interface Removal {
  readonly urn: string;
  readonly type: string;
  /** The resource's ARM id before the update. */
  readonly id: string;
  readonly op: string;
}

export interface LockViolation {
  readonly removal: Removal;
  readonly lock: Lock;
  readonly message: string;
}

const LOCK_TYPES = /^azure-native:authorization:ManagementLock/;
const LOCK_SUFFIX = /\/providers\/Microsoft\.Authorization\/locks\/[^/]+$/i;
/** Preview step operations that delete the resource that exists now. */
const REMOVING_OPS = new Set(["delete", "replace", "delete-replaced", "create-replacement", "discard-replaced", "discard"]);

/** The scope of a lock from its ARM id (`<scope>/providers/Microsoft.Authorization/locks/<name>`). */
export function lockScopeOf(lockId: string): string | undefined {
  return LOCK_SUFFIX.test(lockId) ? lockId.replace(LOCK_SUFFIX, "") : undefined;
}

function asLevel(v: unknown): Lock["level"] | undefined {
  const s = typeof v === "string" ? v.toLowerCase() : "";
  return s === "cannotdelete" ? "CanNotDelete" : s === "readonly" ? "ReadOnly" : undefined;
}

/** Locks from `az lock list --output json`: `[{ id, level, name, ... }]`. */
export function locksFromAzList(list: unknown): Lock[] {
  if (!Array.isArray(list)) throw new Error("the lock list is not a JSON array (expected the output of `az lock list --output json`)");
  return list.flatMap((l: unknown) => {
    const id = typeof (l as { id?: unknown }).id === "string" ? (l as { id: string }).id : undefined;
    const level = asLevel((l as { level?: unknown }).level);
    const scope = id ? lockScopeOf(id) : undefined;
    return id && level && scope ? [{ id, scope, level }] : [];
  });
}

interface StateLike {
  readonly type?: string;
  readonly urn?: string;
  readonly id?: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

/** A lock resource in a preview's old state or a plan. */
function lockFromState(state: StateLike): Lock | undefined {
  if (!state.type || !LOCK_TYPES.test(state.type)) return undefined;
  const level = asLevel(state.inputs?.level ?? state.outputs?.level);
  const id = state.id ?? (typeof state.outputs?.id === "string" ? state.outputs.id : undefined);
  const scope = (typeof state.inputs?.scope === "string" ? state.inputs.scope : undefined) ?? (id ? lockScopeOf(id) : undefined);
  return level && scope ? { id: id ?? `${scope}/providers/Microsoft.Authorization/locks/?`, scope, level } : undefined;
}

interface PreviewStep {
  readonly op?: string;
  readonly urn?: string;
  readonly oldState?: StateLike;
  readonly newState?: StateLike;
}

/** The removals and the existing locks in `pulumi preview --json` output (`{ steps: [...] }`). */
export function readPreview(preview: unknown): { removals: Removal[]; locks: Lock[] } {
  const steps = (preview as { steps?: unknown }).steps;
  if (!Array.isArray(steps)) throw new Error("the preview has no steps array (expected the output of `pulumi preview --json`)");
  const removals: Removal[] = [];
  const locks: Lock[] = [];
  for (const step of steps as PreviewStep[]) {
    const old = step.oldState;
    if (!old) continue;
    const lock = lockFromState(old);
    if (lock) locks.push(lock);
    const id = old.id ?? (typeof old.outputs?.id === "string" ? old.outputs.id : undefined);
    if (step.op && REMOVING_OPS.has(step.op) && id && old.type && !LOCK_TYPES.test(old.type)) {
      removals.push({ urn: step.urn ?? old.urn ?? "", type: old.type, id, op: step.op });
    }
  }
  return { removals, locks };
}

/**
 * The same from two offline plans: a custom resource of `base` missing from `head` is deleted; one
 * whose id changes is replaced. Locks are the base plan's.
 */
export function readPlans(base: Plan, head: Plan): { removals: Removal[]; locks: Lock[] } {
  const next = new Map(head.resources.map((r) => [r.urn, r]));
  const removals: Removal[] = [];
  const locks: Lock[] = [];
  for (const r of base.resources) {
    if (!r.custom) continue;
    const lock = lockFromState({ type: r.type, ...(r.id !== undefined ? { id: r.id } : {}), inputs: r.inputs, outputs: r.outputs });
    if (lock) {
      locks.push(lock);
      continue;
    }
    if (!r.id) continue;
    const after = next.get(r.urn);
    if (!after) removals.push({ urn: r.urn, type: r.type, id: r.id, op: "delete" });
    else if (after.id !== undefined && after.id.toLowerCase() !== r.id.toLowerCase()) removals.push({ urn: r.urn, type: r.type, id: r.id, op: "replace" });
  }
  return { removals, locks };
}

/** True when `id` is `scope` or lies under it (ARM ids compare case-insensitively). */
export function isUnder(id: string, scope: string): boolean {
  const a = id.toLowerCase().replace(/\/+$/, "");
  const s = scope.toLowerCase().replace(/\/+$/, "");
  return a === s || a.startsWith(`${s}/`);
}

/** Every removal under a lock, with a message naming the resource, the lock and what to do. */
export function findLockedRemovals(removals: readonly Removal[], locks: readonly Lock[]): LockViolation[] {
  const unique = [...new Map(locks.map((l) => [l.scope.toLowerCase(), l])).values()];
  const out: LockViolation[] = [];
  for (const removal of removals) {
    const lock = unique.find((l) => isUnder(removal.id, l.scope));
    if (!lock) continue;
    const verb = removal.op === "delete" || removal.op === "discard" ? "deletes" : "replaces (deleting the old one)";
    out.push({
      removal,
      lock,
      message:
        `[lock-guard] ${removal.type} ${removal.urn.split("::").pop()}: the update ${verb} ${removal.id}, which lies under the ${lock.level} lock on ${lock.scope}; ` +
        "ARM refuses the delete (ScopeLocked) half-way through the update. Fix: turn protectData off in Pulumi.<stack>.yaml and run `pulumi up` " +
        "(it removes the locks only), apply this change, then turn protectData back on; or remove the lock for the change " +
        `(az lock delete --ids ${lock.id}) and let the next \`pulumi up\` restore it (source: learn.microsoft.com/azure/azure-resource-manager/management/lock-resources)`,
    });
  }
  return out;
}
