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

export interface EntraAppRole {
  /** The value in the token's `roles` claim, e.g. `Orders.Read`. */
  readonly value: string;
  readonly description: string;
  /** Who can hold it. @default ["User", "Application"] */
  readonly allowedMemberTypes?: readonly ("User" | "Application")[];
}

export interface SmokeTestClient {
  /** Federated credential of the workload that runs the smoke tests (e.g. a CI job). */
  readonly issuer: pulumi.Input<string>;
  /** e.g. `repo:contoso/platform:environment:dev`. */
  readonly subject: pulumi.Input<string>;
  /** @default ["api://AzureADTokenExchange"] */
  readonly audiences?: readonly pulumi.Input<string>[];
  /** Role values the smoke tests need (must be among `roles`). */
  readonly roles: readonly string[];
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
  readonly roles: readonly EntraAppRole[];
  /**
   * The application-only role the gateway's managed identity holds to call the back end directly.
   * Needed because `appRoleAssignmentRequired` refuses tokens to unassigned principals.
   * @default { value: "Api.Invoke", description: "Call the API back end directly (the API gateway)" }
   */
  readonly invokerRole?: { readonly value: string; readonly description: string };
  /** Object ids of the owners (e.g. the deployer). @default none (the creating principal owns it) */
  readonly owners?: readonly pulumi.Input<string>[];
  /** A federated client registration for smoke tests. @default none */
  readonly smokeTestClient?: SmokeTestClient;
}

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

  private readonly servicePrincipal: azuread.ServicePrincipal;
  private readonly componentName: string;

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
    this.componentName = name;
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

    this.servicePrincipal = new azuread.ServicePrincipal(
      `${name}-sp`,
      {
        clientId: app.clientId,
        // Only principals holding one of the roles get a token for this API.
        appRoleAssignmentRequired: true,
        owners: args.owners ? [...args.owners] : undefined,
      },
      parent,
    );
    this.servicePrincipalObjectId = this.servicePrincipal.objectId;

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
          { appRoleId: this.appRoleIds[role]!, principalObjectId: clientSp.objectId, resourceObjectId: this.servicePrincipal.objectId },
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
    const appRoleId = this.appRoleIds[role];
    if (!appRoleId) throw new Error(`EntraApiApp "${this.componentName}": unknown role "${role}" (roles: ${Object.keys(this.appRoleIds).join(", ")})`);
    return new azuread.AppRoleAssignment(
      `${this.componentName}-${grantee.name}-${role.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
      { appRoleId, principalObjectId: grantee.principalId, resourceObjectId: this.servicePrincipal.objectId },
      { parent: this },
    );
  }
}
