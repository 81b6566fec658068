/**
 * Data protection for stateful resources (Cosmos accounts, storage accounts, Key Vaults): the one
 * helper every component uses when the stack's `protectData` is on.
 *
 * Two layers, because they guard against different mistakes:
 * - `protect` + `retainOnDelete` (Pulumi): a `pulumi destroy` or a removed resource never deletes the
 *   data; `protect` makes the engine refuse, `retainOnDelete` leaves it in Azure if protect is lifted.
 * - a `CanNotDelete` management lock (Azure): deletions from the portal, the CLI or another tool fail.
 *   Locks are inherited by child resources: while it is on, ARM also refuses to delete the resource's
 *   children (queues, containers, databases, Cosmos role assignments); lift `protectData` first.
 */
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";

/** The note every lock carries, so whoever meets it in the portal knows where it comes from. */
export const LOCK_NOTES = "Managed by Pulumi (protectData): holds production data. Turn protectData off in the stack config to remove.";

/**
 * `base` (a child's `{ parent: this }`) plus `protect` and `retainOnDelete` when `protect` is true;
 * `base` unchanged otherwise. Never copies anything else (no caller options leak into children).
 */
export function protectedOptions<T extends pulumi.CustomResourceOptions>(protect: boolean, base: T): T {
  return protect ? { ...base, protect: true, retainOnDelete: true } : base;
}

/**
 * A `CanNotDelete` lock on `resourceId` (`<name>-lock`) when `protect` is true; nothing otherwise.
 * `opts` should be the child options of the component (`{ parent: this }`); the lock depends on the
 * resource through `resourceId`.
 */
export function lockResource(
  name: string,
  resourceId: pulumi.Input<string>,
  protect: boolean,
  opts: pulumi.CustomResourceOptions,
): authorization.ManagementLockByScope | undefined {
  if (!protect) return undefined;
  return new authorization.ManagementLockByScope(
    `${name}-lock`,
    {
      scope: resourceId,
      level: authorization.LockLevel.CanNotDelete,
      lockName: "protect-data",
      notes: LOCK_NOTES,
    },
    opts,
  );
}
