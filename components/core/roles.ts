/**
 * Role assignments: the one helper every `grant*` method uses, so each grant is scoped, named
 * deterministically and idempotent (same scope, principal and role → same GUID name → a second
 * `pulumi up` changes nothing).
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { AZURE_ROLES, COSMOS_DATA_ROLES, type AzureRoleKey } from "./azure-roles";

/**
 * The built-in roles the platform grants (a subset of components/core/azure-roles.ts, the one table
 * of role facts), by the name callers use. A named enum (value = key) so other Pulumi languages get
 * it in the package schema.
 */
export const BuiltInRoleName = {
  storageBlobDataOwner: "storageBlobDataOwner",
  storageBlobDataContributor: "storageBlobDataContributor",
  storageQueueDataContributor: "storageQueueDataContributor",
  storageQueueDataMessageSender: "storageQueueDataMessageSender",
  storageQueueDataMessageProcessor: "storageQueueDataMessageProcessor",
  storageTableDataContributor: "storageTableDataContributor",
  monitoringMetricsPublisher: "monitoringMetricsPublisher",
  keyVaultSecretsUser: "keyVaultSecretsUser",
  eventGridDataSender: "eventGridDataSender",
  websiteContributor: "websiteContributor",
} as const;
export type BuiltInRoleName = (typeof BuiltInRoleName)[keyof typeof BuiltInRoleName];
// Every name is a role of the table (a typo fails the typecheck here).
const GRANTABLE: readonly (BuiltInRoleName & AzureRoleKey)[] = Object.values(BuiltInRoleName);

/** Built-in Azure RBAC role definition ids, by name (the least-privileged ones the platform needs). */
export const BuiltInRole = Object.fromEntries(GRANTABLE.map((k) => [k, AZURE_ROLES[k].id])) as {
  readonly [K in BuiltInRoleName]: (typeof AZURE_ROLES)[K]["id"];
};

/** Cosmos DB data-plane built-in role definitions (sqlRoleDefinitions under the account). */
export const CosmosDataRole = {
  reader: COSMOS_DATA_ROLES.reader.id,
  contributor: COSMOS_DATA_ROLES.contributor.id,
} as const;

/** A GUID (RFC 4122 layout, version 5 style) derived from the given parts. */
export function deterministicGuid(...parts: string[]): string {
  const h = createHash("sha1").update(parts.join("|")).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The subscription id in an ARM resource id (`/subscriptions/<id>/...`). */
export function subscriptionOf(resourceId: string): string {
  const m = /^\/subscriptions\/([^/]+)/i.exec(resourceId);
  if (!m) throw new Error(`not an ARM resource id: ${resourceId}`);
  return m[1]!;
}

export interface RoleGrantArgs {
  /** ARM id of the narrowest resource the grant needs. */
  readonly scope: pulumi.Input<string>;
  /** Object id of the identity's service principal. */
  readonly principalId: pulumi.Input<string>;
  readonly role: BuiltInRoleName;
  /** @default "ServicePrincipal" (managed identities); skips the AAD lookup that races new identities. */
  readonly principalType?: "ServicePrincipal" | "User" | "Group";
  readonly description?: string;
}

/** Creates one scoped RBAC role assignment with a deterministic GUID name. */
export function grantRole(
  name: string,
  args: RoleGrantArgs,
  opts: pulumi.CustomResourceOptions,
): authorization.RoleAssignment {
  const roleGuid = BuiltInRole[args.role];
  const scope = pulumi.output(args.scope);
  return new authorization.RoleAssignment(
    name,
    {
      scope,
      principalId: args.principalId,
      principalType: args.principalType ?? "ServicePrincipal",
      roleDefinitionId: scope.apply(
        (s) => `/subscriptions/${subscriptionOf(s)}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`,
      ),
      roleAssignmentName: pulumi
        .all([scope, args.principalId])
        .apply(([s, p]) => deterministicGuid(s.toLowerCase(), p, roleGuid)),
      description: args.description,
    },
    opts,
  );
}

/**
 * Who receives a grant: a managed identity's service principal. `name` keeps the role assignments'
 * logical names unique and readable (`<component>-<grantee>-<role>`).
 */
export interface Grantee {
  readonly name: string;
  readonly principalId: pulumi.Input<string>;
}
