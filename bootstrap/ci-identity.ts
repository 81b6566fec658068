/**
 * The CI identities of the platform, as a function so tests can evaluate it under the simulated
 * provider. Two Entra applications, no secrets (GitHub's OIDC tokens through federated credentials):
 *
 * - deployer: signs in from the GitHub environments `dev` and `prod` only (`deploy.yml` jobs). It may
 *   create and change resources (Contributor on the subscription: the program creates its resource
 *   group), create role assignments, but only of the roles the platform grants and only to service
 *   principals (Role Based Access Control Administrator with a condition, instead of User Access
 *   Administrator or Owner), and manage CanNotDelete locks (a custom role: no built-in role below
 *   Owner / User Access Administrator has `Microsoft.Authorization/locks/*`).
 * - previewer: signs in from pull requests (`pull-request.yml` preview job), which run code from any
 *   branch of the repository: Reader only, so a pull request can never change Azure.
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as authorization from "@pulumi/azure-native/authorization";
import { AZURE_ROLES } from "../components/core/azure-roles";
import { BuiltInRole, deterministicGuid } from "../components/core/roles";

/** Built-in roles the bootstrap assigns (ids are the same in every tenant). */
export const BootstrapRole = {
  contributor: AZURE_ROLES.contributor.id,
  reader: AZURE_ROLES.reader.id,
  roleBasedAccessControlAdministrator: AZURE_ROLES.rbacAdministrator.id,
} as const;

/** Microsoft Graph app role `Application.ReadWrite.OwnedBy`: manage only the applications it owns. */
export const GRAPH_APPLICATION_READWRITE_OWNEDBY = "18a4783c-866b-4cc7-a460-3d5e5662c884";

const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
const AUDIENCE = "api://AzureADTokenExchange";

export interface CiIdentityArgs {
  /** `<owner>/<name>` of the GitHub repository. */
  readonly repository: string;
  readonly subscriptionId: pulumi.Input<string>;
  /** Deployments run in these GitHub environments. @default ["dev", "prod"] */
  readonly environments?: readonly string[];
  /** Roles the deployer may assign: the ones the platform grants. @default every `BuiltInRole` of components/core/roles.ts */
  readonly assignableRoles?: readonly string[];
  /** Object id of Microsoft Graph's service principal; when set, the deployer may manage the apps it owns. @default not granted */
  readonly msGraphServicePrincipalObjectId?: string;
}

/**
 * An ABAC condition for Role Based Access Control Administrator: role assignments may be written and
 * deleted only for `roles`, and only for service principals (the platform's managed identities).
 */
export function assignableRolesCondition(roles: readonly string[]): string {
  const list = roles.map((r) => r.toLowerCase()).join(", ");
  return [
    "(",
    " (",
    "  !(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})",
    " )",
    " OR",
    " (",
    `  @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${list}}`,
    "  AND",
    "  @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}",
    " )",
    ")",
    "AND",
    "(",
    " (",
    "  !(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})",
    " )",
    " OR",
    " (",
    `  @Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${list}}`,
    " )",
    ")",
  ].join("\n");
}

export interface CiIdentity {
  readonly deployer: azuread.Application;
  readonly deployerPrincipal: azuread.ServicePrincipal;
  readonly previewer: azuread.Application;
  readonly previewerPrincipal: azuread.ServicePrincipal;
}

/** Creates the deployer and previewer identities with their federated credentials and roles. */
export function createCiIdentity(name: string, args: CiIdentityArgs): CiIdentity {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(args.repository)) {
    throw new Error(`repository: expected "<owner>/<name>", got "${args.repository}"`);
  }
  const environments = args.environments ?? ["dev", "prod"];
  if (environments.length === 0) throw new Error("environments: at least one GitHub environment must be allowed to deploy");
  const roles = args.assignableRoles ?? Object.values(BuiltInRole);
  const scope = pulumi.interpolate`/subscriptions/${args.subscriptionId}`;
  const roleId = (guid: string): pulumi.Output<string> =>
    pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

  const app = (suffix: string, description: string): [azuread.Application, azuread.ServicePrincipal] => {
    const application = new azuread.Application(`${name}-${suffix}`, {
      displayName: `${args.repository} ${suffix} (GitHub Actions)`,
      description,
      signInAudience: "AzureADMyOrg",
    });
    const principal = new azuread.ServicePrincipal(`${name}-${suffix}`, { clientId: application.clientId });
    return [application, principal];
  };
  const federate = (application: azuread.Application, logical: string, subject: string): void => {
    new azuread.ApplicationFederatedIdentityCredential(logical, {
      applicationId: application.id,
      displayName: logical,
      description: `GitHub Actions: ${subject}`,
      issuer: GITHUB_ISSUER,
      audiences: [AUDIENCE],
      subject,
    });
  };
  const assign = (logical: string, principal: azuread.ServicePrincipal, role: string, extra: { condition?: string } = {}): void => {
    new authorization.RoleAssignment(logical, {
      scope,
      principalId: principal.objectId,
      principalType: "ServicePrincipal",
      roleDefinitionId: roleId(role),
      roleAssignmentName: pulumi.all([scope, principal.objectId]).apply(([s, p]) => deterministicGuid(s, p, role)),
      ...(extra.condition ? { condition: extra.condition, conditionVersion: "2.0" } : {}),
    });
  };

  const [deployer, deployerPrincipal] = app("deployer", "Deploys the serverless platform (pulumi up) from the dev and prod environments.");
  for (const env of environments) federate(deployer, `${name}-deployer-${env}`, `repo:${args.repository}:environment:${env}`);
  assign(`${name}-deployer-contributor`, deployerPrincipal, BootstrapRole.contributor);
  assign(`${name}-deployer-rbac`, deployerPrincipal, BootstrapRole.roleBasedAccessControlAdministrator, {
    condition: assignableRolesCondition(roles),
  });
  // Locks: Contributor excludes Microsoft.Authorization/*/write; grant only the locks actions.
  const lockRoleId = pulumi.output(args.subscriptionId).apply((s) => deterministicGuid("platform-lock-operator", s));
  const lockRole = new authorization.RoleDefinition(`${name}-lock-operator`, {
    scope,
    roleDefinitionId: lockRoleId,
    roleName: "Platform Lock Operator",
    description: "Create and delete management locks (protectData) for the serverless platform's deployments.",
    permissions: [{ actions: ["Microsoft.Authorization/locks/read", "Microsoft.Authorization/locks/write", "Microsoft.Authorization/locks/delete"] }],
    assignableScopes: [scope],
  });
  new authorization.RoleAssignment(`${name}-deployer-locks`, {
    scope,
    principalId: deployerPrincipal.objectId,
    principalType: "ServicePrincipal",
    roleDefinitionId: pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${lockRoleId}`,
    roleAssignmentName: pulumi.all([scope, deployerPrincipal.objectId, lockRoleId]).apply(([s, p, r]) => deterministicGuid(s, p, r)),
  }, { dependsOn: [lockRole] });
  if (args.msGraphServicePrincipalObjectId) {
    new azuread.AppRoleAssignment(`${name}-deployer-graph`, {
      appRoleId: GRAPH_APPLICATION_READWRITE_OWNEDBY,
      principalObjectId: deployerPrincipal.objectId,
      resourceObjectId: args.msGraphServicePrincipalObjectId,
    });
  }

  const [previewer, previewerPrincipal] = app("previewer", "Previews the serverless platform (pulumi preview) for pull requests; read-only.");
  federate(previewer, `${name}-previewer-pull-request`, `repo:${args.repository}:pull_request`);
  assign(`${name}-previewer-reader`, previewerPrincipal, BootstrapRole.reader);

  return { deployer, deployerPrincipal, previewer, previewerPrincipal };
}
