/**
 * The Entra ID application registration that represents one service's HTTP API: what callers get
 * tokens for (audience `api://<client id>` / the client id), which app roles exist (stable ids), and
 * its service principal with role assignment required, so only principals holding a role get a
 * token at all. Optionally a client registration for smoke tests, federated (no secret) and granted
 * the roles it tests.
 *
 * Permissions of whoever runs `pulumi up`: Entra `Application Developer` (creates and owns the
 * registrations) plus the right to assign app roles on the owned service principal.
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { type Grantee, deterministicGuid } from "./core/roles";

/**
 * Who can hold an app role: users and groups (`User`) or applications and managed identities
 * (`Application`). A named enum so other Pulumi languages get it in the package schema.
 */
export const AppRoleMemberType = {
  /** Users and groups. */
  User: "User",
  /** Applications and managed identities (client-credential tokens). */
  Application: "Application",
} as const;
export type AppRoleMemberType = (typeof AppRoleMemberType)[keyof typeof AppRoleMemberType];

export interface EntraAppRole {
  /** The value in the token's `roles` claim, e.g. `Orders.Read`. */
  readonly value: string;
  readonly description: string;
  /** Who can hold it. @default ["User", "Application"] */
  readonly allowedMemberTypes?: AppRoleMemberType[];
}

export interface SmokeTestClient {
  /** Federated credential of the workload that runs the smoke tests (e.g. a CI job). */
  readonly issuer: pulumi.Input<string>;
  /** e.g. `repo:contoso/platform:environment:dev`. */
  readonly subject: pulumi.Input<string>;
  /** @default ["api://AzureADTokenExchange"] */
  readonly audiences?: pulumi.Input<string>[];
  /** Role values the smoke tests need (must be among `roles`). */
  readonly roles: string[];
}

/** An application-only app role: its value in the token's `roles` claim and its description. */
export interface EntraInvokerRole {
  readonly value: string;
  readonly description: string;
}

export interface EntraApiAppArgs {
  /** Display name in Entra, e.g. `contoso-orders-api-dev`. */
  readonly displayName: pulumi.Input<string>;
  /**
   * Stable key of the roles' ids (`deterministicGuid(appName, role)`): never change it, or every
   * role id changes and existing assignments dangle. E.g. `orders-api-dev`.
   */
  readonly appName: string;
  /** The API's roles (the manifest's `http.roles`). */
  readonly roles: EntraAppRole[];
  /**
   * The application-only role the gateway's managed identity holds to call the back end directly.
   * Needed because `appRoleAssignmentRequired` refuses tokens to unassigned principals.
   * @default { value: "Api.Invoke", description: "Call the API back end directly (the API gateway)" }
   */
  readonly invokerRole?: EntraInvokerRole;
  /** Object ids of the owners (e.g. the deployer). @default none (the creating principal owns it) */
  readonly owners?: pulumi.Input<string>[];
  /** A federated client registration for smoke tests. @default none */
  readonly smokeTestClient?: SmokeTestClient;
}

/**
 * What the grant methods need and callers do not see. Kept off the class: the package schema
 * publishes every class field (private and `#private` ones too) as an output in every language.
 */
interface EntraApiAppInternals {
  readonly componentName: string;
  readonly servicePrincipal: azuread.ServicePrincipal;
}
const internals = new WeakMap<EntraApiApp, EntraApiAppInternals>();

const ROLE_VALUE = /^[A-Za-z][A-Za-z0-9._-]{0,119}$/;

export class EntraApiApp extends pulumi.ComponentResource {
  /** The API's application (client) id. */
  readonly clientId: pulumi.Output<string>;
  /** `api://<client id>`. */
  readonly identifierUri: pulumi.Output<string>;
  /** Accepted token audiences: `api://<client id>` and the client id (v2 tokens carry the latter). */
  readonly audiences: pulumi.Output<string[]>;
  /** Object id of the API's service principal (the resource of role assignments). */
  readonly servicePrincipalObjectId: pulumi.Output<string>;
  /** Role value → app role id (deterministic, known at plan time). */
  readonly appRoleIds: Readonly<Record<string, string>>;
  /** The invoker role's value. */
  readonly invokerRole: string;
  /** The smoke-test client's application (client) id, when requested. */
  readonly smokeTestClientId?: pulumi.Output<string>;


  constructor(name: string, args: EntraApiAppArgs, opts?: pulumi.ComponentResourceOptions) {
    const invoker = args.invokerRole ?? { value: "Api.Invoke", description: "Call the API back end directly (the API gateway)" };
    const roles: EntraAppRole[] = [...args.roles, { ...invoker, allowedMemberTypes: ["Application"] }];
    const values = roles.map((r) => r.value);
    const bad = values.filter((v) => !ROLE_VALUE.test(v));
    if (bad.length > 0) throw new Error(`EntraApiApp "${name}": role values must be letters, digits, ".", "_" or "-" (no spaces): ${bad.join(", ")}`);
    const dup = values.filter((v, i) => values.indexOf(v) !== i);
    if (dup.length > 0) throw new Error(`EntraApiApp "${name}": duplicate role value(s) ${[...new Set(dup)].join(", ")} (invokerRole is added to roles)`);
    if (!/^[a-z][a-z0-9-]{1,62}$/.test(args.appName)) throw new Error(`EntraApiApp "${name}": appName "${args.appName}" must be lowercase letters, digits and "-"`);
    const unknownSmoke = (args.smokeTestClient?.roles ?? []).filter((r) => !values.includes(r));
    if (unknownSmoke.length > 0) throw new Error(`EntraApiApp "${name}": smokeTestClient.roles not among the API's roles: ${unknownSmoke.join(", ")}`);

    super("serverless-platform:azuread:EntraApiApp", name, {}, opts);
    this.invokerRole = invoker.value;
    this.appRoleIds = Object.fromEntries(values.map((v) => [v, deterministicGuid(args.appName, v)]));
    const parent = { parent: this };

    const app = new azuread.Application(
      `${name}-app`,
      {
        displayName: args.displayName,
        signInAudience: "AzureADMyOrg",
        // v2 tokens: issuer https://login.microsoftonline.com/<tenant>/v2.0, aud = client id.
        api: { requestedAccessTokenVersion: 2 },
        appRoles: roles.map((r) => ({
          id: this.appRoleIds[r.value]!,
          value: r.value,
          displayName: r.value,
          description: r.description,
          allowedMemberTypes: [...(r.allowedMemberTypes ?? ["User", "Application"])],
          enabled: true,
        })),
        owners: args.owners ? [...args.owners] : undefined,
        preventDuplicateNames: true,
      },
      // The identifier URI names the app's own client id, which only exists after creation: it is
      // managed by ApplicationIdentifierUri, so this resource must not fight over the list.
      { parent: this, ignoreChanges: ["identifierUris"] },
    );
    this.clientId = app.clientId;
    this.identifierUri = app.clientId.apply((id) => `api://${id}`);
    new azuread.ApplicationIdentifierUri(`${name}-uri`, { applicationId: app.id, identifierUri: this.identifierUri }, parent);
    this.audiences = pulumi.all([this.identifierUri, app.clientId]).apply(([uri, id]) => [uri, id]);

    const servicePrincipal = new azuread.ServicePrincipal(
      `${name}-sp`,
      {
        clientId: app.clientId,
        // Only principals holding one of the roles get a token for this API.
        appRoleAssignmentRequired: true,
        owners: args.owners ? [...args.owners] : undefined,
      },
      parent,
    );
    internals.set(this, { componentName: name, servicePrincipal });
    this.servicePrincipalObjectId = servicePrincipal.objectId;

    if (args.smokeTestClient) {
      const smoke = args.smokeTestClient;
      const client = new azuread.Application(
        `${name}-smoke`,
        { displayName: pulumi.interpolate`${args.displayName}-smoke-tests`, signInAudience: "AzureADMyOrg", owners: args.owners ? [...args.owners] : undefined },
        parent,
      );
      const clientSp = new azuread.ServicePrincipal(`${name}-smoke-sp`, { clientId: client.clientId, owners: args.owners ? [...args.owners] : undefined }, parent);
      // A federated credential instead of a secret: nothing to store, rotate or leak.
      new azuread.ApplicationFederatedIdentityCredential(
        `${name}-smoke-fic`,
        {
          applicationId: client.id,
          displayName: "smoke-tests",
          description: "Smoke tests of the API (workload identity federation)",
          issuer: smoke.issuer,
          subject: smoke.subject,
          audiences: [...(smoke.audiences ?? ["api://AzureADTokenExchange"])],
        },
        parent,
      );
      for (const role of smoke.roles) {
        new azuread.AppRoleAssignment(
          `${name}-smoke-${role.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
          { appRoleId: this.appRoleIds[role]!, principalObjectId: clientSp.objectId, resourceObjectId: servicePrincipal.objectId },
          parent,
        );
      }
      this.smokeTestClientId = client.clientId;
    }

    this.registerOutputs({
      clientId: this.clientId,
      identifierUri: this.identifierUri,
      servicePrincipalObjectId: this.servicePrincipalObjectId,
    });
  }

  /**
   * Assigns `role` (default: the invoker role) to `grantee` (e.g. the gateway's managed identity,
   * whose principal id is its service principal's object id).
   */
  grantAppRole(grantee: Grantee, role: string = this.invokerRole): azuread.AppRoleAssignment {
    const { componentName, servicePrincipal } = internals.get(this)!;
    const appRoleId = this.appRoleIds[role];
    if (!appRoleId) throw new Error(`EntraApiApp "${componentName}": unknown role "${role}" (roles: ${Object.keys(this.appRoleIds).join(", ")})`);
    return new azuread.AppRoleAssignment(
      `${componentName}-${grantee.name}-${role.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
      { appRoleId, principalObjectId: grantee.principalId, resourceObjectId: servicePrincipal.objectId },
      { parent: this },
    );
  }
}
