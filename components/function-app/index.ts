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
import { lockResource, protectedOptions } from "../core/protection";
import type { NameContext } from "../core/naming";
import { type DiagnosticSettingSpec, type StandardArgs, applyDiagnostics, applyLock, applyRoleAssignments, effectiveDiagnostics, resourceName } from "../core/standard";
import { type Link, mergeLinks } from "../core/link";
import { type BuiltInRoleName, type Grantee, grantRole } from "../core/roles";
import type { Tags } from "../core/tags";
import { TriggerKind } from "./triggers";
import type { FunctionAppSizing } from "./sizing";
import { type PrivateEndpointConnection, type PrivateNetworkReference, checkPrivateNetworkReference, privateEndpointIn } from "../network";
import type { StorageSku } from "../core/storage-sku";
import type * as authorization from "@pulumi/azure-native/authorization";
import { bundleService, registeredFunctions, type ServiceBundle } from "./bundle";
import { DECLARED_USE_KINDS, type DeclaredUse, type DeployedFunction, FunctionCodeDeployment, QueueAccess } from "./deployment";
import { scaleGroups } from "./scale-groups";
import { FlexSettingsError, checkFlexSettings, secretIn, secretMessage } from "./flex-rules";

export { checkFlexSettings, FlexSettingsError, FLEX_MAXIMUM_INSTANCE_COUNT } from "./flex-rules";
export type { FlexProblem, FlexSettingsInput } from "./flex-rules";
export { ZONE_REDUNDANT_MIN_ALWAYS_READY } from "./flex-rules";
export { registeredFunctions, type RegisteredFunction } from "./bundle";
export { scaleGroupOf, scaleGroups } from "./scale-groups";
export { TriggerKind } from "./triggers";
export { DECLARED_USE_KINDS, QueueAccess } from "./deployment";
export { FLEX_INSTANCE_MEMORY, type AlwaysReadyInstances, FlexInstanceMemoryMB, type FunctionAppSizing } from "./sizing";

/** The Functions runtime this platform targets: Node 22 (EOL 2027-04-30). Flex wants exactly "22". */
export const NODE_RUNTIME = { name: "node", version: "22" } as const;

/** The service whose code the app runs. */
export interface FunctionAppService {
  /** The service name (2-16 lowercase letters/digits): it ends up in physical names. */
  readonly name: string;
  /** The service folder, e.g. `functions-src/orders` (absolute, or relative to the working directory). */
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

/** Build folders on the machine that runs Pulumi (gitignore them). */
export interface FunctionAppBuild {
  /** Parent of the service's bundle folder (`<outRoot>/<service>/`). @default `.build/functions` under the working directory */
  readonly outRoot?: string;
  /** Where the OneDeploy module the deployment provider loads is compiled. @default `.build/deployer` under the working directory */
  readonly deployerDirectory?: string;
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
  readonly allowedOrigins: string[];
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
  readonly allowedAudiences: pulumi.Input<string>[];
  /**
   * Object ids of the principals allowed to call (the `oid` claim), e.g. the gateway's managed
   * identity. @default any principal with a valid token
   */
  readonly allowedPrincipalIds?: pulumi.Input<string>[];
  /** Client ids of the applications allowed to call (the `appid`/`azp` claim). @default any application */
  readonly allowedApplicationIds?: pulumi.Input<string>[];
  /** Paths served without a token, e.g. the health route `/api/health`. @default none */
  readonly excludedPaths?: string[];
}

/** Who may reach a networked app's site: see `FunctionAppNetwork.inbound`. */
export const FunctionAppInbound = {
  /** Public site; App Service authentication admits only the gateway's identity. */
  GatewayOnly: "gateway-only",
  /** Every request to the site refused (apps without HTTP triggers). */
  Deny: "deny",
} as const;
export type FunctionAppInbound = (typeof FunctionAppInbound)[keyof typeof FunctionAppInbound];

/**
 * Network isolation of the app. Outbound: the app joins `privateNetwork`'s apps subnet (Flex VNet
 * integration; Flex routes all outbound traffic through the VNet by itself) and its host storage
 * closes its public endpoint, reachable only through private endpoints in that network (blob always;
 * queue and table when queue or durable triggers use them). Inbound: see `inbound`.
 */
export interface FunctionAppNetwork {
  /**
   * The network: `privateNetwork.reference` of a PrivateNetwork (the host storage's endpoints are
   * then that network's children), or an existing network's ids (`appsSubnetId` required, and the
   * DNS zones of the host storage services the triggers need: `blob`, plus `queue` and `table` for
   * queue or durable triggers).
   */
  readonly privateNetwork: PrivateNetworkReference;
  /**
   * `deny`: an app without HTTP triggers refuses every request to the site (access restrictions
   * default Deny, no allow rule), while the SCM site stays reachable for OneDeploy, protected by
   * Entra ID (basic auth is off). `gateway-only`: the site stays publicly reachable, because the
   * Consumption gateway has neither fixed outbound addresses nor a VNet, and App Service
   * authentication admits only the gateway's identity: `authentication` with allowed principals or
   * applications is required.
   */
  readonly inbound: FunctionAppInbound;
}

/** An existing user-assigned identity for the app. */
export interface FunctionAppIdentity {
  /** ARM id of the user-assigned identity. */
  readonly resourceId: pulumi.Input<string>;
  /** Object id of its service principal (grants go to it). */
  readonly principalId: pulumi.Input<string>;
  /** Its client id (`AZURE_CLIENT_ID`, `__clientId` settings). */
  readonly clientId: pulumi.Input<string>;
}

/** Explicit physical names of the app's resources. */
export interface FunctionAppPhysicalNames {
  readonly site?: string;
  readonly plan?: string;
  readonly identity?: string;
  readonly hostStorage?: string;
  readonly packageContainer?: string;
}

/**
 * The standard interface applies to the site: `lock` and `roleAssignments` on it, `diagnosticSettings`
 * on it and on the host storage's services (as `workspaceId` does). `protect` keeps its own lock on the
 * host storage, which holds the state.
 */
export interface FunctionAppArgs extends StandardArgs {
  /** The naming helper's prefix and environment. Required unless `physicalNames` names every resource. @default none */
  readonly names?: NameContext;
  /** Explicit physical names. @default from the naming helper (`<prefix>-<service>-<env>`...) */
  readonly physicalNames?: FunctionAppPhysicalNames;
  /**
   * The user-assigned identity the app runs as (the standard interface's managed identity). The app
   * is user-assigned only: Key Vault references, host storage and telemetry all use this identity.
   * @default a user-assigned identity is created for the app
   */
  readonly identity?: FunctionAppIdentity;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly service: FunctionAppService;
  /** Where the bundle and the deployer are built, on the machine that runs Pulumi. @default `.build/` under the working directory */
  readonly build?: FunctionAppBuild;
  /** The triggers the service uses: durable adds queue and table roles on the host storage (see {@link hostStorageServices}). */
  readonly triggers: TriggerKind[];
  /**
   * Let the host persist its diagnostic events (problems that can keep the app from starting) to a table
   * in its storage: adds Storage Table Data Contributor on the host storage, the table endpoint setting
   * and, with `network`, a table private endpoint (~$7.30/month). Without it the host only logs that it
   * cannot write them. @default false (the minimum Azure documents for normal operation)
   */
  readonly hostDiagnosticEvents?: boolean;
  /**
   * The queue uses the service declares, recorded with its code deployment so the plan shows them
   * (the policy pack matches each queue grant to one). @default none recorded
   */
  readonly declaredUses?: DeclaredUse[];
  /** Flex sizing (memory, scale limit, always-ready instances, HTTP concurrency). */
  readonly sizing: FunctionAppSizing;
  /**
   * Identity-based connections by prefix: `{ COSMOS: { accountEndpoint } }` becomes
   * `COSMOS__accountEndpoint`, `COSMOS__credential=managedidentity`, `COSMOS__clientId=<identity>`.
   * @default none
   */
  readonly connections?: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>;
  /**
   * What the app uses, each as a link from the resource (`messaging.link(...)`, `cosmos.link(...)`,
   * `topic.publishLink(...)`, `vault.secretLink(...)`): its connections and settings are written
   * before `connections` and `settings`, and each link's scoped grant is given to the app's identity.
   * A setting two links (or a link and `settings`) both set is refused. @default none
   */
  readonly links?: Link[];
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
  readonly hostStorageSku?: StorageSku;
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

/**
 * The app setting `DefaultAzureCredential` reads the user-assigned identity's client id from
 * (@azure/identity 4.13 dist/commonjs/credentials/defaultAzureCredentialOptions.d.ts: the managed
 * identity's client id "can also be passed ... through the environment variable: AZURE_CLIENT_ID").
 */
export const IDENTITY_CLIENT_ID_SETTING = "AZURE_CLIENT_ID";
/** Value of `__credential` for identity-based connections. */
const MANAGED_IDENTITY = "managedidentity";
/** The host's storage connection prefix. */
const HOST_STORAGE = "AzureWebJobsStorage";

/** The identity a FunctionApp runs as (created or adopted). */
export interface FunctionAppIdentityOutputs {
  readonly principalId: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
  readonly resourceId: pulumi.Output<string>;
}

export class FunctionApp extends pulumi.ComponentResource {
  /** The site name. */
  readonly name: pulumi.Output<string>;
  /** The site's ARM id. */
  readonly resourceId: pulumi.Output<string>;
  /** `<name>.azurewebsites.net` (or the regional host name Azure assigned). */
  readonly defaultHostName: pulumi.Output<string>;
  /** The app's user-assigned identity. */
  readonly identity: FunctionAppIdentityOutputs;
  /** Pass to other components' `grantX(grantee)` to give this app access. */
  readonly grantee: Grantee;
  readonly hostStorageAccountId: pulumi.Output<string>;
  readonly planId: pulumi.Output<string>;
  /** sha256 of the deployed package; undefined when `deploy` is false. */
  readonly packageHash: string | undefined;

  constructor(name: string, args: FunctionAppArgs, opts?: pulumi.ComponentResourceOptions) {
    // Everything that can be refused is decided before anything is registered, so a refused app
    // leaves nothing half-created: the args, the code and the Flex rules.
    const prepared = prepare(name, args);
    super("serverless-platform:web:FunctionApp", name, {}, opts);
    const ctx: BuildContext = { name, args, prepared, parent: this };

    const identity = createIdentity(ctx);
    const host = createHostStorage(ctx);
    const hostBlobGrant = grantHostStorage(ctx, identity, host);
    const privateEndpoints = connectHostStoragePrivately(ctx, host);
    grantTelemetry(ctx, identity);
    const plan = createPlan(ctx);
    const app = createSite(ctx, { identity, host, plan, privateEndpoints });
    disableBasicPublishing(ctx, app);
    requireAuthentication(ctx, app);
    sendDiagnostics(ctx, app, host);
    applyStandardInterface(ctx, app);
    const deployment = deployCode(ctx, app, [app, hostBlobGrant, ...privateEndpoints.map((p) => p.dnsZoneGroup)]);
    const grantee: Grantee = { name, principalId: identity.principalId };
    grantLinks(ctx, grantee);

    this.name = app.name;
    this.resourceId = app.id;
    this.defaultHostName = app.defaultHostName;
    this.identity = { principalId: identity.principalId, clientId: identity.clientId, resourceId: identity.id };
    this.grantee = grantee;
    this.hostStorageAccountId = host.account.id;
    this.planId = plan.id;
    this.packageHash = deployment?.packageSha256;

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

// ---- The steps of the constructor, in order ----------------------------------------------------

/** What the steps share: the component's name and args, what `prepare` decided, and the parent. */
interface BuildContext {
  readonly name: string;
  readonly args: FunctionAppArgs;
  readonly prepared: Prepared;
  readonly parent: FunctionApp;
}

/** Decided before anything is registered. */
interface Prepared {
  readonly settings: Readonly<Record<string, pulumi.Input<string>>>;
  readonly connections: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>;
  readonly siteConfig: Record<string, unknown>;
  readonly hostServices: readonly HostStorageService[];
  readonly zoneRedundant: boolean;
  readonly protect: boolean;
  readonly tags: Tags | undefined;
  /** The physical names, explicit or from the naming helper. */
  readonly names: Required<FunctionAppPhysicalNames>;
  /** The diagnostic settings of the site and the host storage. */
  readonly diagnostics: readonly DiagnosticSettingSpec[];
  /** The bundled code and the functions it registers; undefined when `deploy` is false. */
  readonly code: { readonly bundle: ServiceBundle; readonly functions: DeployedFunction[] } | undefined;
}

/**
 * Validates the args, bundles the code (its functions decide the app's scale groups and what the
 * deployment confirms) and checks the Flex rules on the settings the app would get.
 */
function prepare(name: string, args: FunctionAppArgs): Prepared {
  const linked = mergeLinks(`FunctionApp "${name}"`, args.links ?? []);
  const settings = { ...linked.settings };
  for (const [key, value] of Object.entries(args.settings ?? {})) {
    if (Object.keys(settings).some((k) => k.toLowerCase() === key.toLowerCase())) {
      throw new Error(`FunctionApp "${name}": settings.${key} is also set by a link; drop one of them`);
    }
    settings[key] = value;
  }
  const connections: Record<string, Readonly<Record<string, pulumi.Input<string>>>> = { ...linked.connections };
  for (const [prefix, props] of Object.entries(args.connections ?? {})) {
    if (prefix in connections) throw new Error(`FunctionApp "${name}": connections.${prefix} is also set by a link; drop one of them`);
    connections[prefix] = props;
  }
  validateArgs(name, args, settings, connections);
  const siteConfig = { ...secureSiteConfig(args.cors), ...inboundSiteConfig(args.network?.inbound) };
  const hostServices = hostStorageServices(args.triggers, { diagnosticEvents: args.hostDiagnosticEvents ?? false });
  if (args.network) checkPrivateNetworkReference(`FunctionApp "${name}"`, "network.privateNetwork", args.network.privateNetwork, hostServices, true);
  const preview = buildAppSettings({
    clientId: "<identity client id>",
    hostServices,
    endpoints: { blob: "https://host.blob/", queue: "https://host.queue/", table: "https://host.table/" },
    appInsightsConnectionString: args.appInsights?.connectionString,
    connections,
    settings,
  });
  const bundle =
    (args.deploy ?? true)
      ? bundleService({
          name: args.service.name,
          directory: args.service.directory,
          entry: args.service.entry,
          nodeVersion: NODE_RUNTIME.version,
          ...(args.build?.outRoot !== undefined ? { outRoot: args.build.outRoot } : {}),
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
  const zoneRedundant = args.zoneRedundant ?? false;
  const problems = checkFlexSettings({
    settings: preview,
    sizing: args.sizing,
    siteConfigExtras: siteConfig,
    zoneRedundant,
    ...(functions ? { scaleGroups: scaleGroups(functions) } : {}),
  });
  if (problems.length > 0) throw new FlexSettingsError(name, problems);
  return {
    settings,
    connections,
    siteConfig,
    hostServices,
    zoneRedundant,
    protect: args.protect === true,
    tags: args.tags === undefined ? undefined : { ...args.tags },
    names: physicalNamesOf(name, args),
    diagnostics: effectiveDiagnostics(`FunctionApp "${name}"`, args.workspaceId, args.diagnosticSettings),
    code: bundle && functions ? { bundle, functions } : undefined,
  };
}

/** The identity the app runs as: the one created here, or the caller's (`identity`). */
interface AppIdentity {
  readonly id: pulumi.Output<string>;
  readonly principalId: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
}

/**
 * The app's user-assigned identity: the site, its host storage, Key Vault references and telemetry
 * use it. Adopted when the caller passes one (create or adopt, as pulumi-awsx does for its optional
 * dependencies); created otherwise.
 */
function createIdentity({ name, args, prepared, parent }: BuildContext): AppIdentity {
  const adopted = args.identity;
  if (adopted) {
    return { id: pulumi.output(adopted.resourceId), principalId: pulumi.output(adopted.principalId), clientId: pulumi.output(adopted.clientId) };
  }
  return new managedidentity.UserAssignedIdentity(
    `${name}-identity`,
    {
      resourceName: prepared.names.identity,
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      tags: prepared.tags,
    },
    { parent },
  );
}

interface HostStorage {
  readonly account: storage.StorageAccount;
  readonly blobService: storage.BlobServiceProperties;
  readonly packageContainer: storage.BlobContainer;
}

/**
 * Host storage: Entra ID only, with soft delete and the private container OneDeploy uploads to.
 * Durable Functions keeps its state here, hence the protection switch.
 */
function createHostStorage({ name, args, prepared, parent }: BuildContext): HostStorage {
  const { resourceGroupName, location } = args;
  const account = new storage.StorageAccount(
    `${name}-host`,
    {
      accountName: prepared.names.hostStorage,
      resourceGroupName,
      location,
      tags: prepared.tags,
      kind: "StorageV2",
      sku: { name: args.hostStorageSku ?? (prepared.zoneRedundant ? "Standard_ZRS" : "Standard_LRS") },
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
    protectedOptions(prepared.protect, { parent }),
  );
  lockResource(`${name}-host`, account.id, prepared.protect, { parent });

  const blobService = new storage.BlobServiceProperties(
    `${name}-host-blob`,
    {
      accountName: account.name,
      resourceGroupName,
      blobServicesName: "default",
      deleteRetentionPolicy: { enabled: true, days: 7 },
      containerDeleteRetentionPolicy: { enabled: true, days: 7 },
    },
    { parent },
  );

  const packageContainer = new storage.BlobContainer(
    `${name}-package`,
    { accountName: account.name, resourceGroupName, containerName: prepared.names.packageContainer, publicAccess: "None" },
    { parent, dependsOn: [blobService] },
  );
  return { account, blobService, packageContainer };
}

/**
 * The identity's grants on its own host storage, one per service {@link hostStorageServices} lists:
 * Blob Data Owner always, Queue and Table Data Contributor where the host uses them. Returns the blob
 * grant, which the code deployment waits for.
 */
function grantHostStorage(ctx: BuildContext, identity: AppIdentity, host: HostStorage): authorization.RoleAssignment {
  const svc = ctx.args.service.name;
  const grant = (suffix: string, role: BuiltInRoleName, description: string) =>
    grantRole(`${ctx.name}-${suffix}`, { scope: host.account.id, principalId: identity.principalId, role, description }, { parent: ctx.parent });
  const blobGrant = grant("host-blob-owner", "storageBlobDataOwner", `${svc}: Functions host storage (blobs, packages)`);
  if (ctx.prepared.hostServices.includes("queue")) grant("host-queue-contributor", "storageQueueDataContributor", `${svc}: Functions host storage (queues)`);
  if (ctx.prepared.hostServices.includes("table")) grant("host-table-contributor", "storageTableDataContributor", `${svc}: Functions host storage (tables)`);
  return blobGrant;
}

/**
 * The host reaches its storage only through these: exactly one per service its settings name
 * (AzureWebJobsStorage__<service>ServiceUri), from the same list, so a named endpoint always resolves.
 */
function connectHostStoragePrivately({ name, args, prepared, parent }: BuildContext, host: HostStorage): PrivateEndpointConnection[] {
  const network = args.network;
  if (!network) return [];
  return prepared.hostServices.map((groupId) =>
    privateEndpointIn(network.privateNetwork, {
      name: `${name}-host-${groupId}`,
      target: { resourceId: host.account.id, groupId },
      names: args.names,
      resourcePhysicalName: prepared.names.hostStorage,
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      tags: prepared.tags,
      parent,
    }),
  );
}

/** Monitoring Metrics Publisher on the Application Insights component: telemetry with Entra ID. */
function grantTelemetry({ name, args, parent }: BuildContext, identity: AppIdentity): void {
  if (!args.appInsights) return;
  grantRole(
    `${name}-appinsights-publisher`,
    {
      scope: args.appInsights.resourceId,
      principalId: identity.principalId,
      role: "monitoringMetricsPublisher",
      description: `${args.service.name}: telemetry with Entra ID`,
    },
    { parent },
  );
}

/** The app's own Flex Consumption (FC1) plan: Flex allows one app per plan. */
function createPlan({ name, args, prepared, parent }: BuildContext): web.AppServicePlan {
  return new web.AppServicePlan(
    `${name}-plan`,
    {
      name: prepared.names.plan,
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      tags: prepared.tags,
      kind: "functionapp",
      reserved: true,
      sku: { name: "FC1", tier: "FlexConsumption" },
      zoneRedundant: prepared.zoneRedundant,
    },
    { parent },
  );
}

/** The site: Node on Flex, identity-based host storage and deployment container, the app settings. */
function createSite(
  { name, args, prepared, parent }: BuildContext,
  deps: {
    readonly identity: AppIdentity;
    readonly host: HostStorage;
    readonly plan: web.AppServicePlan;
    readonly privateEndpoints: readonly PrivateEndpointConnection[];
  },
): web.WebApp {
  const { identity, host, plan, privateEndpoints } = deps;
  const endpoints = host.account.primaryEndpoints;
  const appSettings = buildAppSettings({
    clientId: identity.clientId,
    hostServices: prepared.hostServices,
    endpoints: { blob: endpoints.blob, queue: endpoints.queue, table: endpoints.table },
    appInsightsConnectionString: args.appInsights?.connectionString,
    connections: prepared.connections,
    settings: prepared.settings,
  });
  const sizing = args.sizing;
  return new web.WebApp(
    `${name}-app`,
    {
      name: prepared.names.site,
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      tags: prepared.tags,
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
            value: pulumi.interpolate`${endpoints.blob}${host.packageContainer.name}`,
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
        ...prepared.siteConfig,
        appSettings: Object.entries(appSettings).map(([settingName, value]) => ({
          name: settingName,
          value: checkedLater(settingName, value),
        })),
      },
    },
    {
      parent,
      transformations: [withoutNetFrameworkVersion],
      // The host starts as soon as the site exists and resolves its storage at once: on a private
      // network the storage's private DNS records must exist first, or the host caches public
      // addresses it is refused on (learn.microsoft.com/azure/private-link/private-endpoint-dns).
      dependsOn: privateEndpoints.flatMap((p) => [p.endpoint, p.dnsZoneGroup]),
    },
  );
}

/** FTP and SCM basic-auth publishing off (ftpsState is refused on Flex; this is the Flex way). */
function disableBasicPublishing({ name, args, parent }: BuildContext, app: web.WebApp): void {
  new web.WebAppFtpAllowed(`${name}-ftp`, { name: app.name, resourceGroupName: args.resourceGroupName, allow: false }, { parent });
  new web.WebAppScmAllowed(`${name}-scm`, { name: app.name, resourceGroupName: args.resourceGroupName, allow: false }, { parent });
}

/** App Service authentication with Entra ID, when `authentication` is given: 401 for anonymous callers. */
function requireAuthentication({ name, args, parent }: BuildContext, app: web.WebApp): void {
  const auth = args.authentication;
  if (!auth) return;
  new web.WebAppAuthSettingsV2(
    `${name}-auth`,
    {
      name: app.name,
      resourceGroupName: args.resourceGroupName,
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
    { parent },
  );
}

/** Diagnostic settings on the site and on each host storage service (the account itself has metrics only). */
function sendDiagnostics({ name, prepared, parent }: BuildContext, app: web.WebApp, host: HostStorage): void {
  const specs = prepared.diagnostics;
  applyDiagnostics(`${name}-app`, app.id, specs, { parent });
  applyDiagnostics(`${name}-host`, host.account.id, specs, { parent }, { logCategoryGroups: [] });
  applyDiagnostics(`${name}-host-blob`, host.blobService.id, specs, { parent });
  for (const svcName of ["queue", "table"] as const) {
    applyDiagnostics(`${name}-host-${svcName}`, pulumi.interpolate`${host.account.id}/${svcName}Services/default`, specs, { parent });
  }
}

/** The caller's lock and role assignments on the site. */
function applyStandardInterface({ name, args, parent }: BuildContext, app: web.WebApp): void {
  applyLock(`${name}-app`, app.id, args.lock, { parent });
  applyRoleAssignments(`${name}-app`, app.id, args.roleAssignments, { parent });
}

/** Every physical name: explicit, else from the naming helper. */
function physicalNamesOf(name: string, args: FunctionAppArgs): Required<FunctionAppPhysicalNames> {
  const owner = `FunctionApp "${name}"`;
  const explicit = args.physicalNames ?? {};
  const svc = args.service.name;
  return {
    site: resourceName(owner, "physicalNames.site", "functionApp", explicit.site, args.names, svc),
    plan: resourceName(owner, "physicalNames.plan", "appServicePlan", explicit.plan, args.names, svc),
    // An adopted identity is not named here.
    identity: args.identity ? "" : resourceName(owner, "physicalNames.identity", "userAssignedIdentity", explicit.identity, args.names, svc),
    hostStorage: resourceName(owner, "physicalNames.hostStorage", "storageAccount", explicit.hostStorage, args.names, svc, "host"),
    packageContainer: resourceName(owner, "physicalNames.packageContainer", "blobContainer", explicit.packageContainer, args.names, svc, "package"),
  };
}

/** Each link's grant, scoped to what the use touches, to the app's identity. */
function grantLinks({ args }: BuildContext, grantee: Grantee): void {
  for (const link of args.links ?? []) link.grant?.(grantee);
}

/**
 * OneDeploy of the bundled code, when `deploy` is on. It uploads through the app's identity into the
 * package container: it waits for `dependsOn` (the app, its blob role and, on a private network, the
 * blob endpoint's DNS record the upload resolves).
 */
function deployCode(
  { name, args, prepared, parent }: BuildContext,
  app: web.WebApp,
  dependsOn: readonly pulumi.Resource[],
): { readonly packageSha256: string } | undefined {
  const code = prepared.code;
  if (!code) return undefined;
  new FunctionCodeDeployment(
    `${name}-code`,
    {
      siteId: app.id,
      packagePath: code.bundle.zipPath,
      packageSha256: code.bundle.sha256,
      functions: code.functions,
      ...(args.declaredUses ? { uses: args.declaredUses } : {}),
      ...(args.build?.deployerDirectory !== undefined ? { deployerDirectory: args.build.deployerDirectory } : {}),
    },
    { parent, dependsOn: [...dependsOn] },
  );
  return { packageSha256: code.bundle.sha256 };
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
 * The host storage services an app uses, as Microsoft Learn's table of what AzureWebJobsStorage needs
 * says (https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity,
 * includes/functions-azurewebjobsstorage-permissions.md): blobs always (coordination, keys, timers'
 * locks, packages); queues and tables only for Durable Functions (its task hub: control and work-item
 * queues, History and Instances tables); tables for the host's diagnostic events when asked. Queue
 * and Cosmos triggers read their own connection and add nothing here. One list decides the
 * `AzureWebJobsStorage__<service>ServiceUri` settings, the roles and the private endpoints.
 */
export function hostStorageServices(triggers: readonly TriggerKind[], options: { readonly diagnosticEvents?: boolean } = {}): HostStorageService[] {
  const services: HostStorageService[] = ["blob"];
  if (triggers.includes("durable")) services.push("queue", "table");
  else if (options.diagnosticEvents) services.push("table");
  return services;
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
    [IDENTITY_CLIENT_ID_SETTING]: p.clientId,
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
  add(IDENTITY_CLIENT_ID_SETTING, "the component sets it to the app identity's client id");
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
  // Plain data from another language is not type-checked: the enums are checked here.
  const kinds: readonly string[] = Object.values(TriggerKind);
  const unknownTriggers = args.triggers.filter((t) => !kinds.includes(t));
  if (unknownTriggers.length > 0) problems.push(`triggers: ${unknownTriggers.map((t) => `"${t}"`).join(", ")} is not a trigger kind (${kinds.join(", ")})`);
  for (const [i, use] of (args.declaredUses ?? []).entries()) {
    if (!DECLARED_USE_KINDS.includes(use.kind)) problems.push(`declaredUses[${i}].kind: "${use.kind}" is not one of ${DECLARED_USE_KINDS.join(", ")}`);
    if (!(Object.values(QueueAccess) as string[]).includes(use.access)) problems.push(`declaredUses[${i}].access: "${String(use.access)}" is not one of ${Object.values(QueueAccess).join(", ")}`);
  }
  if (args.network && !(Object.values(FunctionAppInbound) as string[]).includes(args.network.inbound)) {
    problems.push(`network.inbound: "${String(args.network.inbound)}" is not one of ${Object.values(FunctionAppInbound).join(", ")}`);
  }
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
