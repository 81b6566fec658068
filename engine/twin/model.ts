/**
 * The twin's view of a plan: what the offline plan (engine/plan.ts) says would exist after `pulumi up`,
 * reduced to what running the system needs — each Function App with its exact app settings and
 * identity, the role assignments on every data plane, queues, Cosmos containers, Event Grid topics and
 * subscriptions, the gateway's APIs, operations and policy documents, and App Service authentication.
 *
 * Pure: reads `Plan` only (no Pulumi runtime), so tests can edit a plan (e.g. drop a role assignment)
 * and run the twin from it. Anything the twin needs but cannot find is a `TwinPlanError` naming the
 * resource, never a silent default.
 */
import { UNKNOWN_PLACEHOLDER, type Plan, type PlannedResource } from "../plan-format";

export class TwinPlanError extends Error {
  override readonly name = "TwinPlanError";
}

export interface ManagedIdentity {
  readonly name: string;
  readonly resourceId: string;
  readonly principalId: string;
  readonly clientId: string;
}

export interface FunctionAppModel {
  /** Logical service name (the WebApp's logical name without `-app`). */
  readonly service: string;
  readonly siteName: string;
  readonly defaultHostName: string;
  /** Exactly the plan's app settings, in plan order. */
  readonly settings: Readonly<Record<string, string>>;
  readonly identity: ManagedIdentity;
  /** App Service authentication (WebAppAuthSettingsV2), when the plan configures it. */
  readonly auth?: AppServiceAuth;
}

/** An Application Insights component (telemetry ingestion is authorized against it). */
export interface AppInsightsModel {
  readonly name: string;
  readonly resourceId: string;
  readonly instrumentationKey: string;
}

export interface AppServiceAuth {
  readonly requireAuthentication: boolean;
  readonly excludedPaths: readonly string[];
  readonly allowedAudiences: readonly string[];
  readonly allowedPrincipals: readonly string[];
  readonly issuer: string;
}

/** An Azure RBAC or Cosmos DB SQL role assignment on a data plane. */
export interface RoleAssignmentModel {
  /** Logical name in the plan (what a user greps for). */
  readonly name: string;
  readonly kind: "arm" | "cosmos";
  readonly principalId: string;
  /** The role definition's GUID (last segment of its id). */
  readonly roleDefinitionGuid: string;
  /** ARM scope; for Cosmos, the account id + `/dbs/<db>/colls/<container>` form. */
  readonly scope: string;
}

export interface StorageAccountModel {
  readonly name: string;
  readonly resourceId: string;
  /** Public endpoints by service (`queue`, `blob`, `table`), as the settings name them. */
  readonly endpoints: Readonly<Record<string, string>>;
}

export interface QueueModel {
  readonly account: string;
  readonly name: string;
  readonly resourceId: string;
}

export interface BlobContainerModel {
  readonly account: string;
  readonly name: string;
}

export interface CosmosContainerModel {
  readonly database: string;
  readonly name: string;
  readonly partitionKeyPaths: readonly string[];
  readonly defaultTtl?: number;
}

export interface CosmosAccountModel {
  readonly name: string;
  readonly resourceId: string;
  readonly endpoint: string;
  readonly databases: readonly string[];
  readonly containers: readonly CosmosContainerModel[];
}

export type EventSchema = "EventGridSchema" | "CloudEventSchemaV1_0" | "CustomEventSchema";

export interface TopicModel {
  readonly name: string;
  /** The topic's system-assigned identity, when it has one (it delivers when the subscription says SystemAssigned). */
  readonly systemIdentity?: ManagedIdentity;
  readonly resourceId: string;
  readonly endpoint: string;
  readonly inputSchema: EventSchema;
  readonly localAuthDisabled: boolean;
}

export interface SubscriptionModel {
  readonly name: string;
  readonly topic: string;
  readonly deliverySchema: EventSchema;
  readonly includedEventTypes?: readonly string[];
  readonly subjectBeginsWith?: string;
  readonly subjectEndsWith?: string;
  readonly destination: { readonly account: string; readonly queue: string; readonly ttlSeconds?: number };
  /** The identity Event Grid delivers with (deliveryWithResourceIdentity). */
  readonly deliveryIdentity?: ManagedIdentity;
  readonly deadLetter?: { readonly account: string; readonly container: string; readonly identity?: ManagedIdentity };
  readonly maxDeliveryAttempts: number;
  readonly eventTimeToLiveMinutes: number;
}

export interface GatewayApiModel {
  readonly apiId: string;
  readonly path: string;
  readonly version?: string;
  readonly versioningScheme?: string;
  readonly serviceUrl?: string;
  readonly subscriptionRequired: boolean;
  /** Operations: from ApiOperation resources, else from the imported OpenAPI document. */
  readonly operations: readonly GatewayOperationModel[];
  readonly policy?: string;
}

export interface GatewayOperationModel {
  readonly operationId: string;
  readonly method: string;
  readonly urlTemplate: string;
  readonly policy?: string;
}

export interface GatewayModel {
  readonly serviceName: string;
  readonly gatewayUrl: string;
  /** The Application Insights logger's connection string, when it authenticates with the gateway's identity. */
  readonly telemetryConnectionString?: string;
  readonly principalId: string;
  readonly apis: readonly GatewayApiModel[];
  /** Product policies (applied to every API of the product; the twin applies the product's to all APIs). */
  readonly productPolicies: readonly string[];
}

export interface TwinModel {
  readonly stack: string;
  readonly apps: readonly FunctionAppModel[];
  readonly identities: readonly ManagedIdentity[];
  readonly roleAssignments: readonly RoleAssignmentModel[];
  readonly storageAccounts: readonly StorageAccountModel[];
  readonly queues: readonly QueueModel[];
  readonly blobContainers: readonly BlobContainerModel[];
  readonly cosmos?: CosmosAccountModel;
  readonly topics: readonly TopicModel[];
  readonly subscriptions: readonly SubscriptionModel[];
  readonly gateway?: GatewayModel;
  readonly appInsights: readonly AppInsightsModel[];
  /** The Entra tenant's v2 issuer the gateway and the apps validate against (the local issuer stands in). */
  readonly issuer: string;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== UNKNOWN_PLACEHOLDER ? v : undefined);

function need(r: PlannedResource, value: unknown, what: string): string {
  const s = str(value);
  if (!s) throw new TwinPlanError(`${r.type} "${r.name}": ${what} is unknown in the plan; the twin cannot run it`);
  return s;
}

const ofType = (plan: Plan, type: string): PlannedResource[] => plan.resources.filter((r) => r.type === type);
const lastSegment = (id: string): string => id.split("/").filter(Boolean).pop() ?? "";

/** Builds the twin's model from a plan (see the module comment). */
export function twinModel(plan: Plan): TwinModel {
  const identities: ManagedIdentity[] = ofType(plan, "azure-native:managedidentity:UserAssignedIdentity").map((r) => ({
    name: r.name,
    resourceId: need(r, r.id ?? r.outputs.id, "id"),
    principalId: need(r, r.outputs.principalId, "principalId"),
    clientId: need(r, r.outputs.clientId, "clientId"),
  }));
  const identityById = (id: string | undefined): ManagedIdentity | undefined =>
    id ? identities.find((i) => i.resourceId.toLowerCase() === id.toLowerCase()) : undefined;

  const storageAccounts: StorageAccountModel[] = ofType(plan, "azure-native:storage:StorageAccount").map((r) => ({
    name: need(r, r.inputs.accountName ?? r.outputs.name, "accountName"),
    resourceId: need(r, r.id, "id"),
    endpoints: Object.fromEntries(
      Object.entries((r.outputs.primaryEndpoints ?? {}) as Record<string, unknown>).flatMap(([k, v]) => (str(v) ? [[k, v as string]] : [])),
    ),
  }));
  const accountById = (id: string): StorageAccountModel | undefined =>
    storageAccounts.find((a) => a.resourceId.toLowerCase() === id.toLowerCase());

  const queues: QueueModel[] = ofType(plan, "azure-native:storage:Queue").map((r) => ({
    account: need(r, r.inputs.accountName, "accountName"),
    name: need(r, r.inputs.queueName, "queueName"),
    resourceId: need(r, r.id, "id"),
  }));
  const blobContainers: BlobContainerModel[] = ofType(plan, "azure-native:storage:BlobContainer").map((r) => ({
    account: need(r, r.inputs.accountName, "accountName"),
    name: need(r, r.inputs.containerName, "containerName"),
  }));

  const armAssignments: RoleAssignmentModel[] = ofType(plan, "azure-native:authorization:RoleAssignment").map((r) => ({
    name: r.name,
    kind: "arm",
    principalId: need(r, r.inputs.principalId, "principalId"),
    roleDefinitionGuid: lastSegment(need(r, r.inputs.roleDefinitionId, "roleDefinitionId")),
    scope: need(r, r.inputs.scope, "scope"),
  }));
  const cosmosAssignments: RoleAssignmentModel[] = ofType(plan, "azure-native:cosmosdb:SqlResourceSqlRoleAssignment").map((r) => ({
    name: r.name,
    kind: "cosmos",
    principalId: need(r, r.inputs.principalId, "principalId"),
    roleDefinitionGuid: lastSegment(need(r, r.inputs.roleDefinitionId, "roleDefinitionId")),
    scope: need(r, r.inputs.scope, "scope"),
  }));

  const accounts = ofType(plan, "azure-native:cosmosdb:DatabaseAccount");
  if (accounts.length > 1) throw new TwinPlanError(`the twin runs one Cosmos DB account; the plan has ${accounts.length}`);
  let cosmos: CosmosAccountModel | undefined;
  if (accounts[0]) {
    const a = accounts[0];
    cosmos = {
      name: need(a, a.inputs.accountName, "accountName"),
      resourceId: need(a, a.id, "id"),
      endpoint: need(a, a.outputs.documentEndpoint, "documentEndpoint"),
      databases: ofType(plan, "azure-native:cosmosdb:SqlResourceSqlDatabase").map((r) => need(r, r.inputs.databaseName, "databaseName")),
      containers: ofType(plan, "azure-native:cosmosdb:SqlResourceSqlContainer").map((r) => {
        const resource = (r.inputs.resource ?? {}) as { partitionKey?: { paths?: string[] }; defaultTtl?: number };
        return {
          database: need(r, r.inputs.databaseName, "databaseName"),
          name: need(r, r.inputs.containerName, "containerName"),
          partitionKeyPaths: resource.partitionKey?.paths ?? ["/id"],
          ...(typeof resource.defaultTtl === "number" ? { defaultTtl: resource.defaultTtl } : {}),
        };
      }),
    };
  }

  const topics: TopicModel[] = ofType(plan, "azure-native:eventgrid:Topic").map((r) => ({
    ...(str((r.outputs.identity as { principalId?: unknown } | undefined)?.principalId)
      ? {
          systemIdentity: {
            name: `${String(r.inputs.topicName)} (system-assigned)`,
            resourceId: need(r, r.id, "id"),
            principalId: String((r.outputs.identity as { principalId: string }).principalId),
            clientId: "",
          },
        }
      : {}),
    name: need(r, r.inputs.topicName, "topicName"),
    resourceId: need(r, r.id, "id"),
    endpoint: need(r, r.outputs.endpoint, "endpoint"),
    // ARM default when unset: EventGridSchema (Microsoft.EventGrid topics, inputSchema).
    inputSchema: (str(r.inputs.inputSchema) ?? "EventGridSchema") as EventSchema,
    localAuthDisabled: r.inputs.disableLocalAuth === true,
  }));

  const subscriptions: SubscriptionModel[] = ofType(plan, "azure-native:eventgrid:TopicEventSubscription").map((r) => {
    const i = r.inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- plan JSON
    const withIdentity = i.deliveryWithResourceIdentity;
    const destination = withIdentity?.destination ?? i.destination;
    if (destination?.endpointType !== "StorageQueue") {
      throw new TwinPlanError(
        `eventgrid:TopicEventSubscription "${r.name}": destination ${destination?.endpointType ?? "(none)"} is not emulated (the twin delivers to StorageQueue only)`,
      );
    }
    const account = accountById(String(destination.resourceId));
    if (!account) throw new TwinPlanError(`eventgrid:TopicEventSubscription "${r.name}": no storage account ${destination.resourceId} in the plan`);
    const dl = i.deadLetterWithResourceIdentity?.deadLetterDestination ?? i.deadLetterDestination;
    const dlAccount = dl ? accountById(String(dl.resourceId)) : undefined;
    return {
      name: need(r, i.eventSubscriptionName, "eventSubscriptionName"),
      topic: need(r, i.topicName, "topicName"),
      // Default delivery schema is the topic's input schema (Event Grid: eventDeliverySchema).
      deliverySchema: (str(i.eventDeliverySchema) ?? "EventGridSchema") as EventSchema,
      ...(Array.isArray(i.filter?.includedEventTypes) ? { includedEventTypes: i.filter.includedEventTypes as string[] } : {}),
      ...(str(i.filter?.subjectBeginsWith) ? { subjectBeginsWith: i.filter.subjectBeginsWith as string } : {}),
      ...(str(i.filter?.subjectEndsWith) ? { subjectEndsWith: i.filter.subjectEndsWith as string } : {}),
      destination: {
        account: account.name,
        queue: String(destination.queueName),
        ...(typeof destination.queueMessageTimeToLiveInSeconds === "number" ? { ttlSeconds: destination.queueMessageTimeToLiveInSeconds } : {}),
      },
      ...(withIdentity
        ? {
            deliveryIdentity:
              withIdentity.identity?.type === "SystemAssigned"
                ? topics.find((t) => t.name === i.topicName)?.systemIdentity
                : identityById(str(withIdentity.identity?.userAssignedIdentity)),
          }
        : {}),
      ...(dl && dlAccount
        ? {
            deadLetter: {
              account: dlAccount.name,
              container: String(dl.blobContainerName),
              identity:
                i.deadLetterWithResourceIdentity?.identity?.type === "SystemAssigned"
                  ? topics.find((t) => t.name === i.topicName)?.systemIdentity
                  : identityById(str(i.deadLetterWithResourceIdentity?.identity?.userAssignedIdentity)),
            },
          }
        : {}),
      // Event Grid defaults: 30 attempts, 1440 minutes (delivery-and-retry).
      maxDeliveryAttempts: Number(i.retryPolicy?.maxDeliveryAttempts ?? 30),
      eventTimeToLiveMinutes: Number(i.retryPolicy?.eventTimeToLiveInMinutes ?? 1440),
    } satisfies SubscriptionModel;
  });

  const auths = ofType(plan, "azure-native:web:WebAppAuthSettingsV2");
  let issuer = "";
  const apps: FunctionAppModel[] = ofType(plan, "azure-native:web:WebApp").map((r) => {
    const siteName = need(r, r.inputs.name ?? r.outputs.name, "name");
    const settingsList = (((r.inputs.siteConfig ?? {}) as { appSettings?: { name: string; value: unknown }[] }).appSettings ?? []);
    const settings: Record<string, string> = {};
    for (const s of settingsList) settings[s.name] = typeof s.value === "string" ? s.value : JSON.stringify(s.value);
    const uami = Object.keys(((r.inputs.identity ?? {}) as { userAssignedIdentities?: unknown }).userAssignedIdentities ?? {});
    const ids = Array.isArray((r.inputs.identity as { userAssignedIdentities?: unknown })?.userAssignedIdentities)
      ? ((r.inputs.identity as { userAssignedIdentities: string[] }).userAssignedIdentities)
      : uami;
    const identity = identityById(ids[0]);
    if (!identity) throw new TwinPlanError(`web:WebApp "${r.name}": no user-assigned identity in the plan (identity.userAssignedIdentities)`);
    const authRes = auths.find((a) => a.inputs.name === siteName);
    let auth: AppServiceAuth | undefined;
    if (authRes) {
      const a = authRes.inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- plan JSON
      const aad = a.identityProviders?.azureActiveDirectory;
      issuer = String(aad?.registration?.openIdIssuer ?? issuer);
      auth = {
        requireAuthentication: a.globalValidation?.requireAuthentication === true,
        excludedPaths: a.globalValidation?.excludedPaths ?? [],
        allowedAudiences: aad?.validation?.allowedAudiences ?? [],
        allowedPrincipals: aad?.validation?.defaultAuthorizationPolicy?.allowedPrincipals?.identities ?? [],
        issuer: String(aad?.registration?.openIdIssuer ?? ""),
      };
    }
    return {
      service: r.name.replace(/-app$/, ""),
      siteName,
      defaultHostName: need(r, r.outputs.defaultHostName, "defaultHostName"),
      settings,
      identity,
      ...(auth ? { auth } : {}),
    };
  });

  return {
    stack: plan.stack,
    apps,
    identities,
    roleAssignments: [...armAssignments, ...cosmosAssignments],
    storageAccounts,
    queues,
    blobContainers,
    ...(cosmos ? { cosmos } : {}),
    topics,
    subscriptions,
    appInsights: ofType(plan, "azure-native:applicationinsights:Component").flatMap((r) => {
      const key = str(r.outputs.instrumentationKey) ?? /InstrumentationKey=([^;]+)/i.exec(str(r.outputs.connectionString) ?? "")?.[1];
      return key ? [{ name: need(r, r.inputs.resourceName, "resourceName"), resourceId: need(r, r.id, "id"), instrumentationKey: key }] : [];
    }),
    ...gatewayOf(plan),
    issuer,
  };
}

/** The gateway's Application Insights logger when it uses a managed identity (`credentials.identityClientId`). */
function loggerOf(plan: Plan): { telemetryConnectionString?: string } {
  const logger = ofType(plan, "azure-native:apimanagement:Logger").find((r) => r.inputs.loggerType === "applicationInsights" || (r.inputs.credentials as { identityClientId?: unknown } | undefined)?.identityClientId);
  const credentials = (logger?.inputs.credentials ?? {}) as { connectionString?: unknown; identityClientId?: unknown };
  const connectionString = str(credentials.connectionString);
  return connectionString && str(credentials.identityClientId) ? { telemetryConnectionString: connectionString } : {};
}

function gatewayOf(plan: Plan): { gateway?: GatewayModel } {
  const service = ofType(plan, "azure-native:apimanagement:ApiManagementService")[0];
  if (!service) return {};
  const versionSets = new Map(
    ofType(plan, "azure-native:apimanagement:ApiVersionSet").map((r) => [String(r.inputs.versionSetId), String(r.inputs.versioningScheme)]),
  );
  const apiPolicies = ofType(plan, "azure-native:apimanagement:ApiPolicy");
  const opPolicies = ofType(plan, "azure-native:apimanagement:ApiOperationPolicy");
  const opResources = ofType(plan, "azure-native:apimanagement:ApiOperation");
  const apis: GatewayApiModel[] = ofType(plan, "azure-native:apimanagement:Api").map((r) => {
    const apiId = String(r.inputs.apiId);
    const versionSetId = str(r.inputs.apiVersionSetId);
    const policyOf = (operationId: string): string | undefined =>
      str(opPolicies.find((p) => p.inputs.apiId === apiId && p.inputs.operationId === operationId)?.inputs.value);
    const operations: GatewayOperationModel[] = opResources
      .filter((o) => o.inputs.apiId === apiId)
      .map((o) => ({
        operationId: String(o.inputs.operationId),
        method: String(o.inputs.method).toUpperCase(),
        urlTemplate: String(o.inputs.urlTemplate),
        ...(policyOf(String(o.inputs.operationId)) ? { policy: policyOf(String(o.inputs.operationId))! } : {}),
      }));
    // Imported OpenAPI documents become operations in APIM (operationId = the document's operationId).
    if (str(r.inputs.value) && String(r.inputs.format ?? "").startsWith("openapi")) {
      const doc = JSON.parse(String(r.inputs.value)) as { paths?: Record<string, Record<string, { operationId?: string }>> };
      for (const [template, item] of Object.entries(doc.paths ?? {})) {
        for (const [method, op] of Object.entries(item)) {
          if (method === "parameters" || !op?.operationId) continue;
          const operationId = op.operationId;
          operations.push({
            operationId,
            method: method.toUpperCase(),
            urlTemplate: template,
            ...(policyOf(operationId) ? { policy: policyOf(operationId)! } : {}),
          });
        }
      }
    }
    return {
      apiId,
      path: String(r.inputs.path),
      ...(str(r.inputs.apiVersion) ? { version: String(r.inputs.apiVersion) } : {}),
      ...(versionSetId ? { versioningScheme: versionSets.get(lastSegment(versionSetId)) ?? "Segment" } : {}),
      ...(str(r.inputs.serviceUrl) ? { serviceUrl: String(r.inputs.serviceUrl) } : {}),
      subscriptionRequired: r.inputs.subscriptionRequired !== false,
      operations,
      ...(str(apiPolicies.find((p) => p.inputs.apiId === apiId)?.inputs.value)
        ? { policy: String(apiPolicies.find((p) => p.inputs.apiId === apiId)!.inputs.value) }
        : {}),
    };
  });
  const principalId = str((service.outputs.identity as { principalId?: unknown } | undefined)?.principalId);
  if (!principalId) throw new TwinPlanError(`apimanagement:ApiManagementService "${service.name}": no managed identity principalId`);
  return {
    gateway: {
      serviceName: String(service.inputs.serviceName),
      gatewayUrl: str(service.outputs.gatewayUrl) ?? `https://${String(service.inputs.serviceName)}.azure-api.net`,
      ...loggerOf(plan),
      principalId,
      apis,
      productPolicies: ofType(plan, "azure-native:apimanagement:ProductPolicy").flatMap((p) => (str(p.inputs.value) ? [String(p.inputs.value)] : [])),
    },
  };
}
