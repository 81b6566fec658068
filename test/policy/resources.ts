/**
 * Compliant resources, one per type, as azure-native inputs. Non-compliant cases change one
 * property of these (see `set` / `with_` in the harness), so each test isolates one rule.
 */
import type { Props } from "./harness";

export const SUB = "/subscriptions/00000000-0000-4000-a000-000000000001";
export const RG = `${SUB}/resourceGroups/contoso-platform-p`;
const id = (armType: string, name: string): string => `${RG}/providers/${armType}/${name}`;

export const T = {
  rg: "azure-native:resources:ResourceGroup",
  app: "azure-native:web:WebApp",
  slot: "azure-native:web:WebAppSlot",
  plan: "azure-native:web:AppServicePlan",
  ftp: "azure-native:web:WebAppFtpAllowed",
  scm: "azure-native:web:WebAppScmAllowed",
  appSettings: "azure-native:web:WebAppApplicationSettings",
  storage: "azure-native:storage:StorageAccount",
  container: "azure-native:storage:BlobContainer",
  blobService: "azure-native:storage:BlobServiceProperties",
  queue: "azure-native:storage:Queue",
  cosmos: "azure-native:cosmosdb:DatabaseAccount",
  cosmosRole: "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
  vault: "azure-native:keyvault:Vault",
  secret: "azure-native:keyvault:Secret",
  apim: "azure-native:apimanagement:ApiManagementService",
  api: "azure-native:apimanagement:Api",
  backend: "azure-native:apimanagement:Backend",
  component: "azure-native:applicationinsights:Component",
  diag: "azure-native:monitor:DiagnosticSetting",
  workspace: "azure-native:operationalinsights:Workspace",
  topic: "azure-native:eventgrid:Topic",
  domain: "azure-native:eventgrid:Domain",
  systemTopic: "azure-native:eventgrid:SystemTopic",
  eventSub: "azure-native:eventgrid:EventSubscription",
  topicSub: "azure-native:eventgrid:TopicEventSubscription",
  sb: "azure-native:servicebus:Namespace",
  uami: "azure-native:managedidentity:UserAssignedIdentity",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  actionGroup: "azure-native:monitor:ActionGroup",
} as const;

export const TAGS = { owner: "platform-team", costCenter: "4711", dataClassification: "confidential", environment: "prod", managedBy: "pulumi" };

export const UAMI_ID = id("Microsoft.ManagedIdentity/userAssignedIdentities", "contoso-id-orders-p");
export const UAMI_CLIENT_ID = "6f1c0c53-6d7a-4c3b-9c39-0a6f0e0f0001";
export const UAMI_PRINCIPAL_ID = "6f1c0c53-6d7a-4c3b-9c39-0a6f0e0f0002";

/** A Flex Consumption (FC1) function app with identity-based settings. */
export const flexApp: Props = {
  resourceGroupName: "contoso-platform-p",
  location: "eastus2",
  name: "contoso-func-orders-p",
  kind: "functionapp,linux",
  httpsOnly: true,
  publicNetworkAccess: "Disabled",
  serverFarmId: id("Microsoft.Web/serverfarms", "contoso-plan-orders-p"),
  identity: { type: "UserAssigned", userAssignedIdentities: [UAMI_ID] },
  functionAppConfig: {
    deployment: {
      storage: {
        type: "blobContainer",
        value: "https://contosostorders.blob.core.windows.net/deploy-orders",
        authentication: { type: "UserAssignedIdentity", userAssignedIdentityResourceId: UAMI_ID },
      },
    },
    runtime: { name: "node", version: "22" },
    scaleAndConcurrency: { instanceMemoryMB: 2048, maximumInstanceCount: 100 },
  },
  siteConfig: {
    minTlsVersion: "1.2",
    scmMinTlsVersion: "1.2",
    http20Enabled: true,
    remoteDebuggingEnabled: false,
    cors: { allowedOrigins: ["https://shop.contoso.example"] },
    appSettings: [
      { name: "AzureWebJobsStorage__blobServiceUri", value: "https://contosostorders.blob.core.windows.net" },
      { name: "AzureWebJobsStorage__queueServiceUri", value: "https://contosostorders.queue.core.windows.net" },
      { name: "AzureWebJobsStorage__tableServiceUri", value: "https://contosostorders.table.core.windows.net" },
      { name: "AzureWebJobsStorage__credential", value: "managedidentity" },
      { name: "AzureWebJobsStorage__clientId", value: UAMI_CLIENT_ID },
      {
        name: "APPLICATIONINSIGHTS_CONNECTION_STRING",
        value: "InstrumentationKey=11111111-2222-4333-a444-555555555555;IngestionEndpoint=https://eastus2-0.in.applicationinsights.azure.com/;ApplicationId=aaaaaaaa-2222-4333-a444-555555555555",
      },
      { name: "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", value: `Authorization=AAD;ClientId=${UAMI_CLIENT_ID}` },
      { name: "QUEUES__queueServiceUri", value: "https://contosostmsg.queue.core.windows.net" },
      { name: "COSMOS__accountEndpoint", value: "https://contoso-cosmos-p.documents.azure.com:443/" },
      { name: "TOPIC_ORDER_EVENTS_ENDPOINT", value: "https://contoso-evgt-orders-p.eastus2-1.eventgrid.azure.net/api/events" },
      { name: "PAYMENT_API_KEY", value: "@Microsoft.KeyVault(SecretUri=https://contoso-kv-p.vault.azure.net/secrets/payment-api-key)" },
    ],
  },
  tags: TAGS,
};

/** A function app on a dedicated Linux plan (no functionAppConfig): the classic siteConfig way. */
export const classicApp: Props = {
  resourceGroupName: "contoso-platform-p",
  location: "eastus2",
  name: "contoso-func-legacy-p",
  kind: "functionapp,linux",
  httpsOnly: true,
  publicNetworkAccess: "Disabled",
  identity: { type: "SystemAssigned" },
  siteConfig: {
    linuxFxVersion: "Node|22",
    minTlsVersion: "1.2",
    ftpsState: "Disabled",
    http20Enabled: true,
    appSettings: [
      { name: "FUNCTIONS_EXTENSION_VERSION", value: "~4" },
      { name: "FUNCTIONS_WORKER_RUNTIME", value: "node" },
      { name: "AzureWebJobsStorage__accountName", value: "contosostlegacy" },
    ],
  },
  tags: TAGS,
};

export const flexPlan: Props = {
  resourceGroupName: "contoso-platform-p",
  location: "eastus2",
  name: "contoso-plan-orders-p",
  kind: "functionapp",
  reserved: true,
  zoneRedundant: true,
  sku: { name: "FC1", tier: "FlexConsumption" },
  tags: TAGS,
};

export const storageAccount: Props = {
  resourceGroupName: "contoso-platform-p",
  location: "eastus2",
  accountName: "contosostorders",
  kind: "StorageV2",
  sku: { name: "Standard_ZRS" },
  minimumTlsVersion: "TLS1_2",
  allowBlobPublicAccess: false,
  allowSharedKeyAccess: false,
  defaultToOAuthAuthentication: true,
  allowCrossTenantReplication: false,
  networkRuleSet: { defaultAction: "Deny", bypass: "AzureServices" },
  tags: TAGS,
};

export const blobContainer: Props = { resourceGroupName: "contoso-platform-p", accountName: "contosostorders", containerName: "deploy-orders", publicAccess: "None" };

export const blobService: Props = {
  resourceGroupName: "contoso-platform-p",
  accountName: "contosostorders",
  blobServicesName: "default",
  deleteRetentionPolicy: { enabled: true, days: 7 },
  containerDeleteRetentionPolicy: { enabled: true, days: 7 },
};

export const queue: Props = { resourceGroupName: "contoso-platform-p", accountName: "contosostmsg", queueName: "fulfillment-requests" };

export const cosmosAccount: Props = {
  resourceGroupName: "contoso-platform-p",
  location: "eastus2",
  accountName: "contoso-cosmos-p",
  databaseAccountOfferType: "Standard",
  disableLocalAuth: true,
  disableKeyBasedMetadataWriteAccess: true,
  minimalTlsVersion: "Tls12",
  publicNetworkAccess: "Disabled",
  backupPolicy: { type: "Continuous", continuousModeProperties: { tier: "Continuous30Days" } },
  locations: [{ locationName: "eastus2", failoverPriority: 0, isZoneRedundant: true }],
  tags: TAGS,
};

export const vault: Props = {
  resourceGroupName: "contoso-platform-p",
  location: "eastus2",
  vaultName: "contoso-kv-p",
  properties: {
    tenantId: "00000000-0000-4000-a000-00000000000a",
    sku: { family: "A", name: "standard" },
    enableRbacAuthorization: true,
    enablePurgeProtection: true,
    enableSoftDelete: true,
    softDeleteRetentionInDays: 90,
    networkAcls: { defaultAction: "Deny", bypass: "AzureServices" },
  },
  tags: TAGS,
};

export const secret: Props = {
  resourceGroupName: "contoso-platform-p",
  vaultName: "contoso-kv-p",
  secretName: "payment-api-key",
  properties: { value: "[secret]", attributes: { enabled: true, expires: 1830297600 } },
  tags: TAGS,
};

export const apim: Props = {
  resourceGroupName: "contoso-platform-p",
  location: "eastus2",
  serviceName: "contoso-apim-p",
  publisherEmail: "platform@contoso.example",
  publisherName: "Contoso Platform Team",
  sku: { name: "Consumption", capacity: 0 },
  identity: { type: "SystemAssigned" },
  apiVersionConstraint: { minApiVersion: "2021-08-01" },
  customProperties: {
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10": "False",
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11": "False",
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Ssl30": "False",
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Ciphers.TripleDes168": "False",
  },
  tags: TAGS,
};

export const api: Props = { resourceGroupName: "contoso-platform-p", serviceName: "contoso-apim-p", apiId: "orders", path: "orders", protocols: ["https"] };

export const backend: Props = {
  resourceGroupName: "contoso-platform-p",
  serviceName: "contoso-apim-p",
  backendId: "orders",
  protocol: "http",
  url: "https://contoso-func-orders-p.azurewebsites.net/api",
};

export const component: Props = {
  resourceGroupName: "contoso-platform-p",
  location: "eastus2",
  resourceName: "contoso-appi-p",
  kind: "web",
  applicationType: "web",
  workspaceResourceId: id("Microsoft.OperationalInsights/workspaces", "contoso-log-p"),
  ingestionMode: "LogAnalytics",
  disableLocalAuth: true,
  tags: TAGS,
};

export const topic: Props = {
  resourceGroupName: "contoso-platform-p",
  location: "eastus2",
  topicName: "contoso-evgt-orders-p",
  disableLocalAuth: true,
  minimumTlsVersionAllowed: "1.2",
  identity: { type: "UserAssigned", userAssignedIdentities: { [UAMI_ID]: {} } },
  tags: TAGS,
};

export const eventSubscription: Props = {
  scope: id("Microsoft.EventGrid/topics", "contoso-evgt-orders-p"),
  eventSubscriptionName: "to-fulfillment",
  deliveryWithResourceIdentity: {
    identity: { type: "UserAssigned", userAssignedIdentity: UAMI_ID },
    destination: { endpointType: "StorageQueue", resourceId: id("Microsoft.Storage/storageAccounts", "contosostmsg"), queueName: "fulfillment-requests" },
  },
};

export const sbNamespace: Props = {
  resourceGroupName: "contoso-platform-p",
  location: "eastus2",
  namespaceName: "contoso-sb-p",
  disableLocalAuth: true,
  minimumTlsVersion: "1.2",
  sku: { name: "Standard" },
  tags: TAGS,
};

export const resourceGroup: Props = { resourceGroupName: "contoso-platform-p", location: "eastus2", tags: TAGS };
export const uami: Props = { resourceGroupName: "contoso-platform-p", location: "eastus2", resourceName: "contoso-id-orders-p", tags: TAGS };
export const workspace: Props = { resourceGroupName: "contoso-platform-p", location: "eastus2", workspaceName: "contoso-log-p", tags: TAGS };
