/**
 * Role assignments: the one helper every `grant*` method uses, so each grant is scoped, named
 * deterministically and idempotent (same scope, principal and role → same GUID name → a second
 * `pulumi up` changes nothing).
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";

/** Built-in Azure RBAC role definition ids (the least-privileged ones the platform needs). */
export const BuiltInRole = {
  storageBlobDataOwner: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  storageQueueDataContributor: "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
  storageQueueDataMessageSender: "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
  storageQueueDataMessageProcessor: "8a0f0c08-91a1-4084-bc3d-661d67233fed",
  storageTableDataContributor: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
  monitoringMetricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  eventGridDataSender: "d5a91429-5739-47e2-a06b-3470a27159e7",
  websiteContributor: "de139f84-1756-47ae-9be6-808fbbe84772",
} as const;

export type BuiltInRoleName = keyof typeof BuiltInRole;

/** Cosmos DB data-plane built-in role definitions (sqlRoleDefinitions under the account). */
export const CosmosDataRole = {
  reader: "00000000-0000-0000-0000-000000000001",
  contributor: "00000000-0000-0000-0000-000000000002",
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
