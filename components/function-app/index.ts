/**
 * `FunctionApp`: one service's Azure Functions app on the Flex Consumption plan, keyless end to end.
 *
 * Per service: its own FC1 plan (Flex allows one app per plan), a user-assigned identity, a host
 * storage account that only accepts Entra ID (no shared keys) with the private deployment container,
 * the app (Node 22, identity-based `AzureWebJobsStorage__*`), basic publishing credentials off, the
 * identity's grants on its host storage, optional App Service authentication (Entra ID, 401 for
 * anonymous callers), diagnostics, and — unless `deploy` is false — the service's code, bundled with
 * esbuild and published with OneDeploy.
 *
 * Permissions of whoever runs `pulumi up` when `deploy` is true: `Microsoft.Web/sites/publish/Action`
 * on the app (the built-in Website Contributor role is the least-privileged one that has it), besides
 * the rights to create the resources. Basic publishing credentials stay off: OneDeploy uses a bearer token.
 */
import * as pulumi from "@pulumi/pulumi";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as storage from "@pulumi/azure-native/storage";
import * as web from "@pulumi/azure-native/web";
import type { ServiceSizing } from "../../lib/config";
import { lockResource, protectedOptions } from "../../lib/protection";
import { diagnosticSetting } from "../../lib/diagnostics";
import { type NameContext, physicalName } from "../../lib/naming";
import { type BuiltInRoleName, type Grantee, grantRole } from "../../lib/roles";
import type { Tags } from "../../lib/tags";
import { settingNames, type TriggerKind } from "../../functions-src/shared/manifest";
import type { PrivateEndpointConnection, PrivateNetwork } from "../network";
import { bundleService, registeredFunctions } from "./bundle";
import { type DeclaredUse, FunctionCodeDeployment } from "./deployment";
import { scaleGroups } from "./scale-groups";
import { FlexSettingsError, checkFlexSettings, secretIn, secretMessage } from "./flex-rules";

export { checkFlexSettings, FlexSettingsError, FLEX_MAXIMUM_INSTANCE_COUNT } from "./flex-rules";
export type { FlexProblem, FlexSettingsInput } from "./flex-rules";
export { ZONE_REDUNDANT_MIN_ALWAYS_READY } from "./flex-rules";
export { registeredFunctions, type RegisteredFunction } from "./bundle";
export { scaleGroupOf, scaleGroups } from "./scale-groups";

/** The Functions runtime this platform targets: Node 22 (EOL 2027-04-30). Flex wants exactly "22". */
export const NODE_RUNTIME = { name: "node", version: "22" } as const;

/** The service whose code the app runs. */
export interface FunctionAppService {
  /** The service name (2-16 lowercase letters/digits): it ends up in physical names. */
  readonly name: string;
  /** The service folder, e.g. `functions-src/orders` (relative to the project root or absolute). */
  readonly directory: string;
  /** The entry module, relative to `directory`, e.g. `src/index.ts`. */
  readonly entry: string;
  /**
   * The manifest that declares this service (`functions-src/<name>/service.ts`): when given, the bundle
   * must register functions of exactly the declared `triggers`, and a mismatch names this file.
   * @default triggers are not checked against the code
   */
  readonly manifestFile?: string;
}

/** Application Insights to send telemetry to, with Entra ID authentication (no instrumentation key auth). */
export interface FunctionAppInsights {
  /** The component's connection string (it names the endpoints; ingestion is authorised by Entra ID). */
  readonly connectionString: pulumi.Input<string>;
  /** ARM id of the component: the scope of the Monitoring Metrics Publisher grant. */
  readonly resourceId: pulumi.Input<string>;
}

export interface FunctionAppCors {
  /** Origins allowed to call the app from a browser; "*" is refused. */
  readonly allowedOrigins: readonly string[];
  /** Whether credentialed requests are allowed. @default false */
  readonly supportCredentials?: boolean;
}

/**
 * App Service authentication (v2) with the Entra ID provider: every request needs a valid token for
 * `clientId`/`allowedAudiences`, from one of the allowed callers; anonymous requests get 401.
 */
export interface FunctionAppAuthentication {
  /** The Entra tenant that issues the tokens. */
  readonly tenantId: pulumi.Input<string>;
  /** Client id of the app registration that represents this API (tokens are issued for it). */
  readonly clientId: pulumi.Input<string>;
  /** Accepted `aud` values, e.g. `api://orders` and the client id. */
  readonly allowedAudiences: readonly pulumi.Input<string>[];
  /**
   * Object ids of the principals allowed to call (the `oid` claim), e.g. the gateway's managed
   * identity. @default any principal with a valid token
   */
  readonly allowedPrincipalIds?: readonly pulumi.Input<string>[];
  /** Client ids of the applications allowed to call (the `appid`/`azp` claim). @default any application */
  readonly allowedApplicationIds?: readonly pulumi.Input<string>[];
  /** Paths served without a token, e.g. the health route `/api/health`. @default none */
  readonly excludedPaths?: readonly string[];
}

/**
 * Network isolation of the app. Outbound: the app joins `privateNetwork`'s apps subnet (Flex VNet
 * integration; Flex routes all outbound traffic through the VNet by itself) and its host storage
 * closes its public endpoint, reachable only through private endpoints in that network (blob always;
 * queue and table when queue or durable triggers use them). Inbound: see `inbound`.
 */
export interface FunctionAppNetwork {
  readonly privateNetwork: PrivateNetwork;
  /**
   * `deny`: an app without HTTP triggers refuses every request to the site (access restrictions
   * default Deny, no allow rule), while the SCM site stays reachable for OneDeploy, protected by
   * Entra ID (basic auth is off). `gateway-only`: the site stays publicly reachable, because the
   * Consumption gateway has neither fixed outbound addresses nor a VNet, and App Service
   * authentication admits only the gateway's identity: `authentication` with allowed principals or
   * applications is required.
   */
  readonly inbound: "gateway-only" | "deny";
}

export interface FunctionAppArgs {
  readonly names: NameContext;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  /** Tags for every taggable child. */
  readonly tags: Tags;
  readonly service: FunctionAppService;
  /** The triggers the service uses: queue and durable add queue/table roles on the host storage. */
  readonly triggers: readonly TriggerKind[];
  /**
   * The queue uses the service declares, recorded with its code deployment so the plan shows them
   * (the policy pack matches each queue grant to one). @default none recorded
   */
  readonly declaredUses?: readonly DeclaredUse[];
  /** Flex sizing (memory, scale limit, always-ready instances, HTTP concurrency). */
  readonly sizing: ServiceSizing;
  /**
   * Identity-based connections by prefix: `{ COSMOS: { accountEndpoint } }` becomes
   * `COSMOS__accountEndpoint`, `COSMOS__credential=managedidentity`, `COSMOS__clientId=<identity>`.
   * @default none
   */
  readonly connections?: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>;
  /**
   * Plain app settings (back-end URLs, Key Vault references `@Microsoft.KeyVault(SecretUri=...)`).
   * Settings Flex rejects or ignores, and values carrying keys or SAS tokens, are refused. @default none
   */
  readonly settings?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Application Insights, authenticated with the app's identity. @default no telemetry settings */
  readonly appInsights?: FunctionAppInsights;
  /** Browser origins allowed by the platform's CORS. @default no CORS rules */
  readonly cors?: FunctionAppCors;
  /** App Service authentication with Entra ID. @default off (the functions' own auth levels apply) */
  readonly authentication?: FunctionAppAuthentication;
  /** Log Analytics workspace for diagnostics. @default no diagnostic settings */
  readonly workspaceId?: pulumi.Input<string>;
  /** Zone-redundant plan (and ZRS host storage). @default false */
  readonly zoneRedundant?: boolean;
  /** Host storage SKU. @default "Standard_ZRS" when zoneRedundant, else "Standard_LRS" */
  readonly hostStorageSku?: "Standard_LRS" | "Standard_ZRS" | "Standard_GRS" | "Standard_GZRS";
  /**
   * Bundle the service and publish it with OneDeploy. The identity running `pulumi up` then needs
   * `Microsoft.Web/sites/publish/Action` on the app (e.g. Website Contributor). @default true
   */
  readonly deploy?: boolean;
  /**
   * Protect the host storage (it holds Durable Functions state): `protect`, `retainOnDelete` and a
   * CanNotDelete lock. @default false
   */
  readonly protect?: boolean;
  /**
   * VNet integration, private host storage and inbound restrictions. Each private endpoint of the
   * host storage costs ~$7.30/month. @default none: public endpoints, Entra ID authentication only
   */
  readonly network?: FunctionAppNetwork;
}

/** Value of `__credential` for identity-based connections. */
const MANAGED_IDENTITY = "managedidentity";
/** The host's storage connection prefix. */
const HOST_STORAGE = "AzureWebJobsStorage";

export class FunctionApp extends pulumi.ComponentResource {
  /** The site name. */
  readonly name: pulumi.Output<string>;
  /** The site's ARM id. */
  readonly resourceId: pulumi.Output<string>;
  /** `<name>.azurewebsites.net` (or the regional host name Azure assigned). */
  readonly defaultHostName: pulumi.Output<string>;
  /** The app's user-assigned identity. */
  readonly identity: {
    readonly principalId: pulumi.Output<string>;
    readonly clientId: pulumi.Output<string>;
    readonly resourceId: pulumi.Output<string>;
  };
  /** Pass to other components' `grantX(grantee)` to give this app access. */
  readonly grantee: Grantee;
  readonly hostStorageAccountId: pulumi.Output<string>;
  readonly planId: pulumi.Output<string>;
  /** sha256 of the deployed package; undefined when `deploy` is false. */
  readonly packageHash: string | undefined;

  constructor(name: string, args: FunctionAppArgs, opts?: pulumi.ComponentResourceOptions) {
    // Refuse bad args before anything is registered, so a refused app leaves nothing half-created.
    const settings = args.settings ?? {};
    const connections = args.connections ?? {};
    validateArgs(name, args, settings, connections);
    const siteConfig = { ...secureSiteConfig(args.cors), ...inboundSiteConfig(args.network?.inbound) };
    const hostServices = hostStorageServices(args.triggers);
    const preview = buildAppSettings({
      clientId: "<identity client id>",
      hostServices,
      endpoints: { blob: "https://host.blob/", queue: "https://host.queue/", table: "https://host.table/" },
      appInsightsConnectionString: args.appInsights?.connectionString,
      connections,
      settings,
    });
    // The code and the functions it registers are known before anything is created: they decide the
    // app's scale groups (always-ready names, zone-redundant minimums) and what the deployment confirms.
    const bundle =
      (args.deploy ?? true)
        ? bundleService({
            name: args.service.name,
            directory: args.service.directory,
            entry: args.service.entry,
            nodeVersion: NODE_RUNTIME.version,
            ...(args.service.manifestFile ? { declaredTriggers: { triggers: args.triggers, manifestFile: args.service.manifestFile } } : {}),
          })
        : undefined;
    const functions = bundle
      ? registeredFunctions(bundle).map((f) => ({
          name: f.name,
          trigger: f.trigger,
          ...(f.schedule !== undefined ? { schedule: f.schedule } : {}),
          ...(f.queue !== undefined ? { queue: f.queue } : {}),
          ...(f.sends !== undefined ? { sends: f.sends } : {}),
        }))
      : undefined;
    if (functions && functions.length === 0) {
      throw new Error(
        `FunctionApp "${name}": the bundle of ${args.service.directory}/${args.service.entry} registers no function: ` +
          "register them with app.http/app.storageQueue/... at module load, and keep @azure/functions-core external (the worker provides it)",
      );
    }
    const problems = checkFlexSettings({
      settings: preview,
      sizing: args.sizing,
      siteConfigExtras: siteConfig,
      zoneRedundant: args.zoneRedundant ?? false,
      ...(functions ? { scaleGroups: scaleGroups(functions) } : {}),
    });
    if (problems.length > 0) throw new FlexSettingsError(name, problems);

    super("serverless-platform:web:FunctionApp", name, {}, opts);

    const parent = { parent: this };
    const { names, resourceGroupName, location } = args;
    const tags = { ...args.tags };
    const svc = args.service.name;
    const zoneRedundant = args.zoneRedundant ?? false;

    const identity = new managedidentity.UserAssignedIdentity(
      `${name}-identity`,
      { resourceName: physicalName("userAssignedIdentity", names, svc), resourceGroupName, location, tags },
      parent,
    );

    // Host storage: Entra ID only. Durable Functions keeps its state here, hence the protection switch.
    const protect = args.protect === true;
    const hostStorage = new storage.StorageAccount(
      `${name}-host`,
      {
        accountName: physicalName("storageAccount", names, svc, "host"),
        resourceGroupName,
        location,
        tags,
        kind: "StorageV2",
        sku: { name: args.hostStorageSku ?? (zoneRedundant ? "Standard_ZRS" : "Standard_LRS") },
        allowSharedKeyAccess: false,
        defaultToOAuthAuthentication: true,
        minimumTlsVersion: "TLS1_2",
        allowBlobPublicAccess: false,
        enableHttpsTrafficOnly: true,
        allowCrossTenantReplication: false,
        // Private network: reachable only through the private endpoints below.
        ...(args.network ? { publicNetworkAccess: "Disabled", networkRuleSet: { defaultAction: "Deny", bypass: "None" } } : {}),
      },
      // It holds the app's Durable Functions state and code packages.
      protectedOptions(protect, { parent: this }),
    );
    lockResource(`${name}-host`, hostStorage.id, protect, parent);

    const blobService = new storage.BlobServiceProperties(
      `${name}-host-blob`,
      {
        accountName: hostStorage.name,
        resourceGroupName,
        blobServicesName: "default",
        deleteRetentionPolicy: { enabled: true, days: 7 },
        containerDeleteRetentionPolicy: { enabled: true, days: 7 },
      },
      parent,
    );

    const packageContainerName = physicalName("blobContainer", names, svc, "package");
    const packageContainer = new storage.BlobContainer(
      `${name}-package`,
      { accountName: hostStorage.name, resourceGroupName, containerName: packageContainerName, publicAccess: "None" },
      { parent: this, dependsOn: [blobService] },
    );

    const endpoints = hostStorage.primaryEndpoints;
    const blobEndpoint = endpoints.blob;

    // The identity's grants on its own host storage: blobs always (leases, packages, timers);
    // queues and tables for queue triggers and Durable Functions (its task hub lives there).
    const grant = (suffix: string, scope: pulumi.Input<string>, role: BuiltInRoleName, description: string) =>
      grantRole(`${name}-${suffix}`, { scope, principalId: identity.principalId, role, description }, parent);
    const hostBlobGrant = grant("host-blob-owner", hostStorage.id, "storageBlobDataOwner", `${svc}: Functions host storage (blobs, packages)`);
    const usesQueuesAndTables = hostServices.includes("queue");
    if (usesQueuesAndTables) {
      grant("host-queue-contributor", hostStorage.id, "storageQueueDataContributor", `${svc}: Functions host storage (queues)`);
      grant("host-table-contributor", hostStorage.id, "storageTableDataContributor", `${svc}: Functions host storage (tables)`);
    }

    // The host reaches its storage only through these: exactly one per service its settings name
    // (AzureWebJobsStorage__<service>ServiceUri), from the same list, so a named endpoint always resolves.
    const privateEndpoints: PrivateEndpointConnection[] = args.network
      ? hostServices.map((groupId) =>
          args.network!.privateNetwork.privateEndpoint(`${name}-host-${groupId}`, { resourceId: hostStorage.id, groupId }),
        )
      : [];
    if (args.appInsights) {
      grant("appinsights-publisher", args.appInsights.resourceId, "monitoringMetricsPublisher", `${svc}: telemetry with Entra ID`);
    }

    const plan = new web.AppServicePlan(
      `${name}-plan`,
      {
        name: physicalName("appServicePlan", names, svc),
        resourceGroupName,
        location,
        tags,
        kind: "functionapp",
        reserved: true,
        sku: { name: "FC1", tier: "FlexConsumption" },
        zoneRedundant,
      },
      parent,
    );

    const appSettings = buildAppSettings({
      clientId: identity.clientId,
      hostServices,
      endpoints: { blob: blobEndpoint, queue: endpoints.queue, table: endpoints.table },
      appInsightsConnectionString: args.appInsights?.connectionString,
      connections,
      settings,
    });

    const sizing = args.sizing;
    const app = new web.WebApp(
      `${name}-app`,
      {
        name: physicalName("functionApp", names, svc),
        resourceGroupName,
        location,
        tags,
        kind: "functionapp,linux",
        serverFarmId: plan.id,
        httpsOnly: true,
        identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
        // Key Vault references resolve with this identity (there is no system-assigned one).
        keyVaultReferenceIdentity: identity.id,
        // Flex VNet integration is this site property (no separate swift connection resource).
        ...(args.network ? { virtualNetworkSubnetId: args.network.privateNetwork.appsSubnetId } : {}),
        functionAppConfig: {
          deployment: {
            storage: {
              type: "blobContainer",
              value: pulumi.interpolate`${blobEndpoint}${packageContainer.name}`,
              authentication: { type: "UserAssignedIdentity", userAssignedIdentityResourceId: identity.id },
            },
          },
          runtime: { name: NODE_RUNTIME.name, version: NODE_RUNTIME.version },
          scaleAndConcurrency: {
            instanceMemoryMB: sizing.instanceMemoryMB,
            maximumInstanceCount: sizing.maximumInstanceCount,
            alwaysReady: sizing.alwaysReady.map((a) => ({ name: a.name, instanceCount: a.instanceCount })),
            ...(sizing.httpPerInstanceConcurrency !== undefined
              ? { triggers: { http: { perInstanceConcurrency: sizing.httpPerInstanceConcurrency } } }
              : {}),
          },
        },
        siteConfig: {
          ...siteConfig,
          appSettings: Object.entries(appSettings).map(([settingName, value]) => ({
            name: settingName,
            value: checkedLater(settingName, value),
          })),
        },
      },
      {
        parent: this,
        transformations: [withoutNetFrameworkVersion],
        // The host starts as soon as the site exists and resolves its storage at once: on a private
        // network the storage's private DNS records must exist first, or the host caches public
        // addresses it is refused on (learn.microsoft.com/azure/private-link/private-endpoint-dns).
        dependsOn: privateEndpoints.flatMap((p) => [p.endpoint, p.dnsZoneGroup]),
      },
    );

    // FTP and SCM basic-auth publishing off (ftpsState is refused on Flex; this is the Flex way).
    new web.WebAppFtpAllowed(`${name}-ftp`, { name: app.name, resourceGroupName, allow: false }, parent);
    new web.WebAppScmAllowed(`${name}-scm`, { name: app.name, resourceGroupName, allow: false }, parent);

    if (args.authentication) {
      const auth = args.authentication;
      new web.WebAppAuthSettingsV2(
        `${name}-auth`,
        {
          name: app.name,
          resourceGroupName,
          platform: { enabled: true, runtimeVersion: "~1" },
          globalValidation: {
            requireAuthentication: true,
            unauthenticatedClientAction: "Return401",
            excludedPaths: [...(auth.excludedPaths ?? [])],
          },
          httpSettings: { requireHttps: true },
          // An API called with bearer tokens keeps no user sessions.
          login: { tokenStore: { enabled: false } },
          identityProviders: {
            azureActiveDirectory: {
              enabled: true,
              registration: {
                clientId: auth.clientId,
                // The v2.0 issuer on sts.windows.net accepts v1 and v2 access tokens (managed identities get v1).
                openIdIssuer: pulumi.interpolate`https://sts.windows.net/${auth.tenantId}/v2.0`,
              },
              validation: {
                allowedAudiences: [...auth.allowedAudiences],
                defaultAuthorizationPolicy: {
                  ...(auth.allowedApplicationIds ? { allowedApplications: [...auth.allowedApplicationIds] } : {}),
                  ...(auth.allowedPrincipalIds ? { allowedPrincipals: { identities: [...auth.allowedPrincipalIds] } } : {}),
                },
              },
            },
          },
        },
        parent,
      );
    }

    if (args.workspaceId !== undefined) {
      const workspaceId = args.workspaceId;
      diagnosticSetting(`${name}-app`, { resourceId: app.id, workspaceId }, parent);
      // The account itself has metrics only; its services carry the logs.
      diagnosticSetting(`${name}-host`, { resourceId: hostStorage.id, workspaceId, logCategoryGroups: [] }, parent);
      diagnosticSetting(`${name}-host-blob`, { resourceId: blobService.id, workspaceId }, parent);
      for (const svcName of ["queue", "table"] as const) {
        diagnosticSetting(
          `${name}-host-${svcName}`,
          { resourceId: pulumi.interpolate`${hostStorage.id}/${svcName}Services/default`, workspaceId },
          parent,
        );
      }
    }

    let packageHash: string | undefined;
    if (bundle && functions) {
      packageHash = bundle.sha256;
      // OneDeploy uploads through the app's identity into the package container: wait for its role
      // (and, on a private network, for the blob endpoint's DNS record the upload resolves).
      new FunctionCodeDeployment(
        `${name}-code`,
        { siteId: app.id, packagePath: bundle.zipPath, packageSha256: bundle.sha256, functions, ...(args.declaredUses ? { uses: args.declaredUses } : {}) },
        { parent: this, dependsOn: [app, hostBlobGrant, ...privateEndpoints.map((p) => p.dnsZoneGroup)] },
      );
    }

    this.name = app.name;
    this.resourceId = app.id;
    this.defaultHostName = app.defaultHostName;
    this.identity = { principalId: identity.principalId, clientId: identity.clientId, resourceId: identity.id };
    this.grantee = { name, principalId: identity.principalId };
    this.hostStorageAccountId = hostStorage.id;
    this.planId = plan.id;
    this.packageHash = packageHash;

    this.registerOutputs({
      name: this.name,
      resourceId: this.resourceId,
      defaultHostName: this.defaultHostName,
      identity: this.identity,
      hostStorageAccountId: this.hostStorageAccountId,
      planId: this.planId,
      packageHash: this.packageHash,
    });
  }
}

/** The secure `siteConfig` (besides app settings): TLS 1.2 on the site and SCM, HTTP/2, no remote debugging. */
function secureSiteConfig(cors: FunctionAppCors | undefined) {
  return {
    minTlsVersion: "1.2",
    scmMinTlsVersion: "1.2",
    http20Enabled: true,
    remoteDebuggingEnabled: false,
    ...(cors ? { cors: { allowedOrigins: [...cors.allowedOrigins], supportCredentials: cors.supportCredentials ?? false } } : {}),
  };
}

/** A host storage service the Functions host uses (a private endpoint group id too). */
export type HostStorageService = "blob" | "queue" | "table";

/**
 * The host storage services an app uses: blobs always (leases, keys, timers' locks, packages); queues
 * and tables for queue triggers and Durable Functions (its task hub lives there). One list decides the
 * `AzureWebJobsStorage__<service>ServiceUri` settings, the roles and the private endpoints.
 */
export function hostStorageServices(triggers: readonly TriggerKind[]): HostStorageService[] {
  return triggers.includes("queue") || triggers.includes("durable") ? ["blob", "queue", "table"] : ["blob"];
}

/**
 * Access restrictions for `inbound: "deny"`: every request to the site refused, while the SCM site
 * (OneDeploy, Entra-authenticated; basic auth off) keeps its own, open rules.
 */
function inboundSiteConfig(inbound: FunctionAppNetwork["inbound"] | undefined) {
  if (inbound !== "deny") return {};
  return {
    ipSecurityRestrictionsDefaultAction: "Deny",
    scmIpSecurityRestrictionsDefaultAction: "Allow",
    scmIpSecurityRestrictionsUseMain: false,
  };
}

/** The app settings this component writes, by name (insertion order is the order sent to Azure). */
function buildAppSettings(p: {
  readonly clientId: pulumi.Input<string>;
  readonly hostServices: readonly HostStorageService[];
  readonly endpoints: { readonly blob: pulumi.Input<string>; readonly queue: pulumi.Input<string>; readonly table: pulumi.Input<string> };
  readonly appInsightsConnectionString: pulumi.Input<string> | undefined;
  readonly connections: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>;
  readonly settings: Readonly<Record<string, pulumi.Input<string>>>;
}): Record<string, pulumi.Input<string>> {
  // ARM's endpoints end with "/"; the documented setting values have none.
  const trim = (uri: pulumi.Input<string>) => pulumi.output(uri).apply((u) => u.replace(/\/$/, ""));
  const out: Record<string, pulumi.Input<string>> = {};
  for (const service of p.hostServices) out[`${HOST_STORAGE}__${service}ServiceUri`] = trim(p.endpoints[service]);
  Object.assign(out, {
    [`${HOST_STORAGE}__credential`]: MANAGED_IDENTITY,
    [`${HOST_STORAGE}__clientId`]: p.clientId,
    [settingNames.identityClientId]: p.clientId,
  });
  if (p.appInsightsConnectionString !== undefined) {
    out.APPLICATIONINSIGHTS_CONNECTION_STRING = p.appInsightsConnectionString;
    out.APPLICATIONINSIGHTS_AUTHENTICATION_STRING = pulumi.interpolate`Authorization=AAD;ClientId=${p.clientId}`;
  }
  for (const [prefix, props] of Object.entries(p.connections)) {
    for (const [prop, value] of Object.entries(props)) out[`${prefix}__${prop}`] = value;
    out[`${prefix}__credential`] = MANAGED_IDENTITY;
    out[`${prefix}__clientId`] = p.clientId;
  }
  for (const [key, value] of Object.entries(p.settings)) out[key] = value;
  return out;
}

/** Names this component writes itself (compared case-insensitively: App Service setting names are). */
function reservedSettingNames(connections: Readonly<Record<string, Readonly<Record<string, unknown>>>>): Map<string, string> {
  const reserved = new Map<string, string>();
  const add = (n: string, why: string) => reserved.set(n.toLowerCase(), why);
  for (const s of ["blobServiceUri", "queueServiceUri", "tableServiceUri", "credential", "clientId"]) {
    add(`${HOST_STORAGE}__${s}`, "the component writes the host storage's identity-based settings");
  }
  add(settingNames.identityClientId, "the component sets it to the app identity's client id");
  add("APPLICATIONINSIGHTS_CONNECTION_STRING", "pass the appInsights arg instead");
  add("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "pass the appInsights arg instead (Entra ID with the app identity)");
  for (const [prefix, props] of Object.entries(connections)) {
    for (const prop of Object.keys(props)) add(`${prefix}__${prop}`, `it comes from connections.${prefix}`);
    add(`${prefix}__credential`, `it comes from connections.${prefix}`);
    add(`${prefix}__clientId`, `it comes from connections.${prefix}`);
  }
  return reserved;
}

/** Refuses impossible or conflicting args with a message naming the arg. */
function validateArgs(
  name: string,
  args: FunctionAppArgs,
  settings: Readonly<Record<string, pulumi.Input<string>>>,
  connections: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>,
): void {
  const problems: string[] = [];
  const settingName = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
  for (const [prefix, props] of Object.entries(connections)) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(prefix) || prefix.includes("__")) {
      problems.push(`connections: "${prefix}" is not a connection name (letters, digits and single underscores, starting with a letter)`);
    }
    if (prefix.toLowerCase() === HOST_STORAGE.toLowerCase()) {
      problems.push(`connections: "${prefix}" is the host storage connection, which the component writes itself`);
    }
    const propNames = Object.keys(props);
    if (propNames.length === 0) problems.push(`connections.${prefix}: needs at least one endpoint property, e.g. accountEndpoint`);
    for (const prop of propNames) {
      if (prop === "credential" || prop === "clientId") {
        problems.push(`connections.${prefix}.${prop}: the component sets ${prefix}__${prop} to the app identity`);
      } else if (!/^[A-Za-z][A-Za-z0-9]*$/.test(prop)) {
        problems.push(`connections.${prefix}.${prop}: expected a property name such as accountEndpoint or queueServiceUri`);
      }
    }
  }
  const reserved = reservedSettingNames(connections);
  for (const key of Object.keys(settings)) {
    if (!settingName.test(key)) problems.push(`settings.${key}: not a valid app setting name`);
    const why = reserved.get(key.toLowerCase());
    if (why) problems.push(`settings.${key}: set by the component (${why})`);
  }
  if (args.cors) {
    if (args.cors.allowedOrigins.includes("*")) problems.push('cors.allowedOrigins: "*" is not allowed; list the origins');
    if (args.cors.allowedOrigins.length === 0) problems.push("cors.allowedOrigins: empty; omit cors to allow no origin");
  }
  if (args.authentication && args.authentication.allowedAudiences.length === 0) {
    problems.push("authentication.allowedAudiences: at least one audience is required");
  }
  if (args.zoneRedundant === true && args.hostStorageSku !== undefined && !/ZRS$/.test(args.hostStorageSku)) {
    problems.push(`hostStorageSku: ${args.hostStorageSku} is not zone-redundant but zoneRedundant is true; use Standard_ZRS or Standard_GZRS`);
  }
  if (args.triggers.length === 0) problems.push("triggers: a Functions app needs at least one trigger kind");
  if (args.network?.inbound === "deny" && args.triggers.includes("http")) {
    problems.push('network.inbound: "deny" refuses every request to the site, but the app has HTTP triggers; use "gateway-only"');
  }
  if (args.network?.inbound === "gateway-only") {
    const auth = args.authentication;
    if (!auth || ((auth.allowedPrincipalIds ?? []).length === 0 && (auth.allowedApplicationIds ?? []).length === 0)) {
      problems.push(
        'network.inbound: "gateway-only" keeps the site public and relies on App Service authentication; set authentication with allowedPrincipalIds (the gateway\'s identity) or allowedApplicationIds',
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(`FunctionApp "${name}": invalid arguments:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Values known only after other resources exist are checked for secrets when they resolve. */
function checkedLater(key: string, value: pulumi.Input<string>): pulumi.Input<string> {
  if (typeof value === "string") return value; // checked at construction by checkFlexSettings
  return pulumi.output(value).apply((v) => {
    const what = secretIn(v);
    if (what) throw new Error(secretMessage(key, what));
    return v;
  });
}

/**
 * The azure-native SDK fills `siteConfig.netFrameworkVersion` with "v4.6" when it is absent, and Flex
 * refuses the property (ARM 51021; pulumi-azure-native#4168): take it out of what is sent.
 */
const withoutNetFrameworkVersion: pulumi.ResourceTransformation = ({ props, opts }) => ({
  props: {
    ...props,
    siteConfig: pulumi.output(props.siteConfig as pulumi.Input<Record<string, unknown> | undefined>).apply((siteConfig) => {
      if (siteConfig === undefined) return undefined;
      const { netFrameworkVersion: _dropped, ...rest } = siteConfig;
      return rest;
    }),
  },
  opts,
});
