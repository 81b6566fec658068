/**
 * A simulated azure-native / azuread provider for `pulumi.runtime.setMocks`: it answers every
 * resource registration with what Azure would return after creation (realistic ARM ids, `name`,
 * endpoints, identity principal and client ids) and every invoke the program makes.
 *
 * Outputs are deterministic (derived from the stack and the resource's name), so two plans of the
 * same program are identical and tests can pin values.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

type Inputs = Record<string, unknown>;
type Mocks = pulumi.runtime.Mocks;
type MockResourceArgs = pulumi.runtime.MockResourceArgs;
type MockCallArgs = pulumi.runtime.MockCallArgs;

/** How one azure-native type maps to ARM. */
interface TypeSpec {
  /** The input that holds the physical name (absent → auto-named from the logical name). */
  readonly nameKey: string;
  /** ARM id below the resource group (or below `scopeKey`), as segments `[type, name]`. */
  readonly path: (inputs: Inputs, name: string) => readonly (readonly [string, string])[];
  /** Extension resources live under another resource's id: the input holding that id. */
  readonly scopeKey?: string;
  /** Computed outputs beyond the echoed inputs. */
  readonly outputs?: (ctx: OutputContext) => Inputs;
}

interface OutputContext {
  readonly inputs: Inputs;
  readonly name: string;
  readonly id: string;
  readonly location: string;
  readonly sim: Simulator;
}

const str = (v: unknown, what: string): string => {
  if (typeof v !== "string" || v.length === 0) throw new Error(`simulated provider: expected input ${what} to be a string`);
  return v;
};

const top = (armType: string, nameKey: string, outputs?: TypeSpec["outputs"]): TypeSpec => ({
  nameKey,
  path: (_i, n) => [[armType, n]],
  outputs,
});

const child = (
  nameKey: string,
  segments: (i: Inputs, n: string) => readonly (readonly [string, string])[],
  outputs?: TypeSpec["outputs"],
): TypeSpec => ({ nameKey, path: segments, outputs });

const extension = (armType: string, nameKey: string, scopeKey: string, outputs?: TypeSpec["outputs"]): TypeSpec => ({
  nameKey,
  scopeKey,
  path: (_i, n) => [[armType, n]],
  outputs,
});

const storage = (i: Inputs): readonly [string, string] => ["Microsoft.Storage/storageAccounts", str(i.accountName, "accountName")];
const site = (i: Inputs): readonly [string, string] => ["Microsoft.Web/sites", str(i.name, "name")];
const cosmosAccount = (i: Inputs): readonly [string, string] => ["Microsoft.DocumentDB/databaseAccounts", str(i.accountName, "accountName")];
const apim = (i: Inputs): readonly [string, string] => ["Microsoft.ApiManagement/service", str(i.serviceName, "serviceName")];
const vault = (i: Inputs): readonly [string, string] => ["Microsoft.KeyVault/vaults", str(i.vaultName, "vaultName")];

/** A system-assigned identity (when requested) gets a principal id; user-assigned ones echo back. */
function identityOutputs(ctx: OutputContext): Inputs {
  const identity = ctx.inputs.identity as { type?: string; userAssignedIdentities?: string[] | Record<string, unknown> } | undefined;
  if (!identity?.type) return {};
  const system = /SystemAssigned/i.test(identity.type);
  // Most modules take a list of identity ids; some (eventgrid) take a map keyed by id.
  const uamiIds = Array.isArray(identity.userAssignedIdentities) ? identity.userAssignedIdentities : Object.keys(identity.userAssignedIdentities ?? {});
  const userAssigned = Object.fromEntries(
    uamiIds.map((uamiId) => [
      uamiId,
      { principalId: ctx.sim.guid("principal", uamiId), clientId: ctx.sim.guid("client", uamiId) },
    ]),
  );
  return {
    identity: {
      type: identity.type,
      ...(system ? { principalId: ctx.sim.guid("principal", ctx.id), tenantId: ctx.sim.tenantId } : {}),
      ...(identity.userAssignedIdentities ? { userAssignedIdentities: userAssigned } : {}),
    },
  };
}

const TYPES: Record<string, TypeSpec> = {
  "azure-native:resources:ResourceGroup": { nameKey: "resourceGroupName", path: () => [] },
  "azure-native:managedidentity:UserAssignedIdentity": top("Microsoft.ManagedIdentity/userAssignedIdentities", "resourceName", (c) => ({
    principalId: c.sim.guid("principal", c.id),
    clientId: c.sim.guid("client", c.id),
    tenantId: c.sim.tenantId,
  })),
  "azure-native:managedidentity:FederatedIdentityCredential": child("federatedIdentityCredentialResourceName", (i, n) => [
    ["Microsoft.ManagedIdentity/userAssignedIdentities", str(i.resourceName, "resourceName")],
    ["federatedIdentityCredentials", n],
  ]),
  "azure-native:storage:StorageAccount": top("Microsoft.Storage/storageAccounts", "accountName", (c) => ({
    primaryEndpoints: Object.fromEntries(
      ["blob", "queue", "table", "file", "dfs", "web"].map((s) => [s, `https://${c.name}.${s === "web" ? "z13.web" : s}.core.windows.net/`]),
    ),
    primaryLocation: c.location,
    provisioningState: "Succeeded",
  })),
  "azure-native:storage:BlobServiceProperties": child("blobServicesName", (i) => [storage(i), ["blobServices", "default"]]),
  "azure-native:storage:QueueServiceProperties": child("queueServiceName", (i) => [storage(i), ["queueServices", "default"]]),
  "azure-native:storage:TableServiceProperties": child("tableServiceName", (i) => [storage(i), ["tableServices", "default"]]),
  "azure-native:storage:FileServiceProperties": child("fileServicesName", (i) => [storage(i), ["fileServices", "default"]]),
  "azure-native:storage:BlobContainer": child("containerName", (i, n) => [storage(i), ["blobServices", "default"], ["containers", n]]),
  "azure-native:storage:Queue": child("queueName", (i, n) => [storage(i), ["queueServices", "default"], ["queues", n]]),
  "azure-native:storage:Table": child("tableName", (i, n) => [storage(i), ["tableServices", "default"], ["tables", n]]),
  "azure-native:web:AppServicePlan": top("Microsoft.Web/serverfarms", "name"),
  "azure-native:web:WebApp": top("Microsoft.Web/sites", "name", (c) => ({
    defaultHostName: `${c.name}.azurewebsites.net`,
    hostNames: [`${c.name}.azurewebsites.net`],
    enabledHostNames: [`${c.name}.azurewebsites.net`, `${c.name}.scm.azurewebsites.net`],
    hostNameSslStates: [
      { name: `${c.name}.azurewebsites.net`, hostType: "Standard", sslState: "Disabled" },
      { name: `${c.name}.scm.azurewebsites.net`, hostType: "Repository", sslState: "Disabled" },
    ],
    outboundIpAddresses: "20.0.0.1,20.0.0.2",
    state: "Running",
    ...identityOutputs(c),
  })),
  "azure-native:web:WebAppFtpAllowed": child("name", (i) => [site(i), ["basicPublishingCredentialsPolicies", "ftp"]]),
  "azure-native:web:WebAppScmAllowed": child("name", (i) => [site(i), ["basicPublishingCredentialsPolicies", "scm"]]),
  "azure-native:web:WebAppAuthSettingsV2": child("name", (i) => [site(i), ["config", "authsettingsV2"]]),
  "azure-native:web:WebAppApplicationSettings": child("name", (i) => [site(i), ["config", "appsettings"]]),
  "azure-native:web:WebAppDiagnosticLogsConfiguration": child("name", (i) => [site(i), ["config", "logs"]]),
  "azure-native:cosmosdb:DatabaseAccount": top("Microsoft.DocumentDB/databaseAccounts", "accountName", (c) => ({
    documentEndpoint: `https://${c.name}.documents.azure.com:443/`,
    provisioningState: "Succeeded",
    ...identityOutputs(c),
  })),
  "azure-native:cosmosdb:SqlResourceSqlDatabase": child("databaseName", (i, n) => [cosmosAccount(i), ["sqlDatabases", n]]),
  "azure-native:cosmosdb:SqlResourceSqlContainer": child("containerName", (i, n) => [
    cosmosAccount(i),
    ["sqlDatabases", str(i.databaseName, "databaseName")],
    ["containers", n],
  ]),
  "azure-native:cosmosdb:SqlResourceSqlRoleAssignment": child("roleAssignmentId", (i, n) => [cosmosAccount(i), ["sqlRoleAssignments", n]]),
  "azure-native:cosmosdb:SqlResourceSqlRoleDefinition": child("roleDefinitionId", (i, n) => [cosmosAccount(i), ["sqlRoleDefinitions", n]]),
  "azure-native:eventgrid:Topic": top("Microsoft.EventGrid/topics", "topicName", (c) => ({
    endpoint: `https://${c.name}.${c.location}-1.eventgrid.azure.net/api/events`,
    provisioningState: "Succeeded",
    ...identityOutputs(c),
  })),
  "azure-native:eventgrid:EventSubscription": extension("Microsoft.EventGrid/eventSubscriptions", "eventSubscriptionName", "scope"),
  "azure-native:eventgrid:TopicEventSubscription": child("eventSubscriptionName", (i, n) => [
    ["Microsoft.EventGrid/topics", str(i.topicName, "topicName")],
    ["eventSubscriptions", n],
  ]),
  "azure-native:keyvault:Vault": top("Microsoft.KeyVault/vaults", "vaultName", (c) => ({
    properties: { ...(c.inputs.properties as Inputs), vaultUri: `https://${c.name}.vault.azure.net/` },
  })),
  "azure-native:keyvault:Secret": child("secretName", (i, n) => [vault(i), ["secrets", n]], (c) => ({
    properties: {
      ...(c.inputs.properties as Inputs),
      secretUri: `https://${str(c.inputs.vaultName, "vaultName")}.vault.azure.net/secrets/${c.name}`,
      secretUriWithVersion: `https://${str(c.inputs.vaultName, "vaultName")}.vault.azure.net/secrets/${c.name}/${c.sim.hex(c.id, 32)}`,
    },
  })),
  "azure-native:authorization:RoleAssignment": extension("Microsoft.Authorization/roleAssignments", "roleAssignmentName", "scope"),
  "azure-native:authorization:RoleDefinition": extension("Microsoft.Authorization/roleDefinitions", "roleDefinitionId", "scope"),
  "azure-native:authorization:ManagementLockByScope": extension("Microsoft.Authorization/locks", "lockName", "scope"),
  "azure-native:authorization:ManagementLockAtResourceGroupLevel": top("Microsoft.Authorization/locks", "lockName"),
  "azure-native:monitor:DiagnosticSetting": extension("Microsoft.Insights/diagnosticSettings", "name", "resourceUri"),
  "azure-native:monitor:ActionGroup": top("Microsoft.Insights/actionGroups", "actionGroupName"),
  "azure-native:monitor:MetricAlert": top("Microsoft.Insights/metricAlerts", "ruleName"),
  "azure-native:monitor:ScheduledQueryRule": top("Microsoft.Insights/scheduledQueryRules", "ruleName"),
  "azure-native:monitor:ActivityLogAlert": top("Microsoft.Insights/activityLogAlerts", "activityLogAlertName"),
  "azure-native:operationalinsights:Workspace": top("Microsoft.OperationalInsights/workspaces", "workspaceName", (c) => ({
    customerId: c.sim.guid("workspace", c.id),
    provisioningState: "Succeeded",
  })),
  "azure-native:applicationinsights:Component": top("Microsoft.Insights/components", "resourceName", (c) => {
    const ikey = c.sim.guid("ikey", c.id);
    return {
      appId: c.sim.guid("appid", c.id),
      instrumentationKey: ikey,
      connectionString:
        `InstrumentationKey=${ikey};IngestionEndpoint=https://${c.location}-0.in.applicationinsights.azure.com/;` +
        `LiveEndpoint=https://${c.location}.livediagnostics.monitor.azure.com/;ApplicationId=${c.sim.guid("appid", c.id)}`,
    };
  }),
  "azure-native:applicationinsights:WebTest": top("Microsoft.Insights/webtests", "webTestName"),
  "azure-native:applicationinsights:Workbook": top("Microsoft.Insights/workbooks", "resourceName"),
  "azure-native:portal:Dashboard": top("Microsoft.Portal/dashboards", "dashboardName"),
  "azure-native:apimanagement:ApiManagementService": top("Microsoft.ApiManagement/service", "serviceName", (c) => ({
    gatewayUrl: `https://${c.name}.azure-api.net`,
    gatewayRegionalUrl: `https://${c.name}-${c.location}-01.regional.azure-api.net`,
    developerPortalUrl: `https://${c.name}.developer.azure-api.net`,
    managementApiUrl: `https://${c.name}.management.azure-api.net`,
    provisioningState: "Succeeded",
    ...identityOutputs(c),
  })),
  "azure-native:apimanagement:Api": child("apiId", (i, n) => [apim(i), ["apis", n]]),
  "azure-native:apimanagement:ApiRelease": child("releaseId", (i, n) => [apim(i), ["apis", str(i.apiId, "apiId")], ["releases", n]]),
  "azure-native:apimanagement:ApiVersionSet": child("versionSetId", (i, n) => [apim(i), ["apiVersionSets", n]]),
  "azure-native:apimanagement:ApiPolicy": child("policyId", (i) => [apim(i), ["apis", str(i.apiId, "apiId")], ["policies", "policy"]]),
  "azure-native:apimanagement:ApiOperationPolicy": child("policyId", (i) => [
    apim(i),
    ["apis", str(i.apiId, "apiId")],
    ["operations", str(i.operationId, "operationId")],
    ["policies", "policy"],
  ]),
  "azure-native:apimanagement:ApiOperation": child("operationId", (i, n) => [apim(i), ["apis", str(i.apiId, "apiId")], ["operations", n]]),
  "azure-native:apimanagement:ApiDiagnostic": child("diagnosticId", (i, n) => [apim(i), ["apis", str(i.apiId, "apiId")], ["diagnostics", n]]),
  "azure-native:apimanagement:Policy": child("policyId", (i) => [apim(i), ["policies", "policy"]]),
  "azure-native:apimanagement:Product": child("productId", (i, n) => [apim(i), ["products", n]]),
  "azure-native:apimanagement:ProductApi": child("apiId", (i, n) => [apim(i), ["products", str(i.productId, "productId")], ["apis", n]]),
  "azure-native:apimanagement:ProductApiLink": child("apiLinkId", (i, n) => [apim(i), ["products", str(i.productId, "productId")], ["apiLinks", n]]),
  "azure-native:apimanagement:ProductPolicy": child("policyId", (i) => [apim(i), ["products", str(i.productId, "productId")], ["policies", "policy"]]),
  "azure-native:apimanagement:Backend": child("backendId", (i, n) => [apim(i), ["backends", n]]),
  "azure-native:apimanagement:Logger": child("loggerId", (i, n) => [apim(i), ["loggers", n]]),
  "azure-native:apimanagement:Diagnostic": child("diagnosticId", (i, n) => [apim(i), ["diagnostics", n]]),
  "azure-native:apimanagement:NamedValue": child("namedValueId", (i, n) => [apim(i), ["namedValues", n]]),
  "azure-native:apimanagement:Subscription": child("sid", (i, n) => [apim(i), ["subscriptions", n]]),
  "azure-native:apimanagement:Tag": child("tagId", (i, n) => [apim(i), ["tags", n]]),
  "azure-native:network:VirtualNetwork": top("Microsoft.Network/virtualNetworks", "virtualNetworkName", (c) => ({
    subnets: ((c.inputs.subnets as Inputs[] | undefined) ?? []).map((s) => ({ ...s, id: `${c.id}/subnets/${str(s.name, "subnets[].name")}` })),
  })),
  "azure-native:network:PrivateEndpoint": top("Microsoft.Network/privateEndpoints", "privateEndpointName"),
  "azure-native:network:NetworkSecurityGroup": top("Microsoft.Network/networkSecurityGroups", "networkSecurityGroupName"),
  "azure-native:network:PrivateDnsZoneGroup": child("privateDnsZoneGroupName", (i, n) => [
    ["Microsoft.Network/privateEndpoints", str(i.privateEndpointName, "privateEndpointName")],
    ["privateDnsZoneGroups", n],
  ]),
  "azure-native:privatedns:PrivateZone": top("Microsoft.Network/privateDnsZones", "privateZoneName"),
  "azure-native:privatedns:VirtualNetworkLink": child("virtualNetworkLinkName", (i, n) => [
    ["Microsoft.Network/privateDnsZones", str(i.privateZoneName, "privateZoneName")],
    ["virtualNetworkLinks", n],
  ]),
};

/** azuread resources: ids are object ids, not ARM ids. */
const AZUREAD: Record<string, (ctx: { name: string; inputs: Inputs; sim: Simulator }) => { id: string; state: Inputs }> = {
  "azuread:index/application:Application": ({ name, sim }) => {
    const objectId = sim.guid("app-object", name);
    const clientId = sim.guid("app-client", name);
    return { id: `/applications/${objectId}`, state: { objectId, clientId, applicationId: clientId } };
  },
  "azuread:index/servicePrincipal:ServicePrincipal": ({ name, inputs, sim }) => {
    const objectId = sim.guid("sp-object", name);
    return { id: `/servicePrincipals/${objectId}`, state: { objectId, applicationTenantId: sim.tenantId, clientId: inputs.clientId } };
  },
  "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri": ({ name, sim }) => ({ id: sim.guid("appuri", name), state: {} }),
  "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": ({ name, sim }) => ({
    id: sim.guid("fic", name),
    state: { credentialId: sim.guid("fic-id", name) },
  }),
  "azuread:index/appRoleAssignment:AppRoleAssignment": ({ name, sim }) => ({ id: sim.guid("ara", name), state: {} }),
  "azuread:index/applicationPreAuthorized:ApplicationPreAuthorized": ({ name, sim }) => ({ id: sim.guid("preauth", name), state: {} }),
  "azuread:index/applicationApiAccess:ApplicationApiAccess": ({ name, sim }) => ({ id: sim.guid("apiaccess", name), state: {} }),
};

export interface SimulatorOptions {
  readonly stack: string;
  /** Region used when a resource has no `location` input. */
  readonly defaultLocation?: string;
}

/** The simulated provider. One instance per plan: it remembers resource groups' locations. */
export class Simulator implements Mocks {
  readonly subscriptionId: string;
  readonly tenantId: string;
  private readonly stack: string;
  private readonly defaultLocation: string;
  private readonly groupLocations = new Map<string, string>();

  constructor(options: SimulatorOptions) {
    this.stack = options.stack;
    this.defaultLocation = options.defaultLocation ?? "eastus";
    this.subscriptionId = this.guid("subscription", options.stack);
    this.tenantId = this.guid("tenant", "simulated");
  }

  /** A deterministic GUID for (kind, key) within this stack. */
  guid(kind: string, key: string): string {
    const h = this.hex(`${kind}|${key}`, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  hex(key: string, length: number): string {
    return createHash("sha256").update(`${this.stack}|${key}`).digest("hex").slice(0, length);
  }

  newResource(args: MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const inputs = (args.inputs ?? {}) as Inputs;
    // Components have no provider id: the engine never sends them to a provider.
    if (args.custom === false) return { id: undefined, state: { ...inputs } };
    if (args.type.startsWith("azuread:")) {
      const make = AZUREAD[args.type];
      if (!make) throw new Error(unknownType(args.type));
      const { id, state } = make({ name: args.name, inputs, sim: this });
      return { id, state: { ...inputs, ...state } };
    }
    if (!args.type.startsWith("azure-native:")) {
      // Dynamic resources and anything else: echo the inputs, with a stable id.
      return { id: `${args.name}-${this.hex(args.type + args.name, 8)}`, state: { ...inputs } };
    }
    const spec = TYPES[args.type];
    if (!spec) throw new Error(unknownType(args.type));
    const name = typeof inputs[spec.nameKey] === "string" ? (inputs[spec.nameKey] as string) : this.autoName(args.name);
    const named: Inputs = { ...inputs, [spec.nameKey]: name };
    const id = this.armId(args.type, spec, named, name);
    const location = this.locationOf(args.type, named);
    const outputs = spec.outputs?.({ inputs: named, name, id, location, sim: this }) ?? {};
    return {
      id,
      state: {
        ...named,
        name,
        ...(args.type === "azure-native:resources:ResourceGroup" ? {} : { type: armTypeOf(id) }),
        ...(inputs.location !== undefined || args.type === "azure-native:resources:ResourceGroup" ? { location } : {}),
        ...outputs,
      },
    };
  }

  call(args: MockCallArgs): Record<string, unknown> {
    switch (args.token) {
      case "azure-native:authorization:getClientConfig":
        return {
          clientId: this.guid("deployer-client", "ci"),
          objectId: this.guid("deployer-object", "ci"),
          subscriptionId: this.subscriptionId,
          tenantId: this.tenantId,
        };
      case "azuread:index/getClientConfig:getClientConfig":
        return { clientId: this.guid("deployer-client", "ci"), objectId: this.guid("deployer-object", "ci"), tenantId: this.tenantId };
      case "azure-native:resources:getResourceGroup": {
        const name = String(args.inputs.resourceGroupName);
        return {
          id: `/subscriptions/${this.subscriptionId}/resourceGroups/${name}`,
          name,
          location: this.groupLocations.get(name) ?? this.defaultLocation,
        };
      }
      default:
        throw new Error(
          `the simulated provider does not know the invoke "${args.token}"; add it to engine/simulator.ts`,
        );
    }
  }

  private autoName(logical: string): string {
    // azure-native auto-names a resource as its logical name plus a random suffix.
    return `${logical}${this.hex(`autoname|${logical}`, 7)}`;
  }

  private locationOf(type: string, inputs: Inputs): string {
    if (typeof inputs.location === "string") return inputs.location;
    if (type === "azure-native:resources:ResourceGroup") return this.defaultLocation;
    const rg = typeof inputs.resourceGroupName === "string" ? inputs.resourceGroupName : undefined;
    return (rg && this.groupLocations.get(rg)) ?? this.defaultLocation;
  }

  private armId(type: string, spec: TypeSpec, inputs: Inputs, name: string): string {
    const segments = spec.path(inputs, name).map(([t, n]) => `${t}/${n}`);
    if (spec.scopeKey) {
      const scope = str(inputs[spec.scopeKey], spec.scopeKey);
      return `${scope.replace(/\/$/, "")}/providers/${segments.join("/")}`;
    }
    if (type === "azure-native:resources:ResourceGroup") {
      this.groupLocations.set(name, typeof inputs.location === "string" ? inputs.location : this.defaultLocation);
      return `/subscriptions/${this.subscriptionId}/resourceGroups/${name}`;
    }
    const rg = str(inputs.resourceGroupName, "resourceGroupName");
    // The first segment carries the provider namespace (Microsoft.X/type); children append type/name.
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${rg}/providers/${segments.join("/")}`;
  }
}

function armTypeOf(id: string): string {
  const afterProviders = id.split("/providers/").pop() ?? "";
  const parts = afterProviders.split("/");
  const types = [parts[0]];
  for (let i = 1; i < parts.length; i += 2) types.push(parts[i]);
  return types.join("/");
}

function unknownType(type: string): string {
  return `the simulated provider does not know the resource type "${type}"; add it to engine/simulator.ts`;
}
