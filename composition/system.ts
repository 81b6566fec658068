/**
 * Composes the whole system from the stack config and the services' manifests. Nothing here is
 * specific to one service: every app, grant, setting, queue, topic and gateway API follows from what
 * a manifest declares, so adding a service is a folder in functions-src/ and a config entry.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import * as azuread from "@pulumi/azuread";
import type { StackConfig } from "../lib/config";
import { physicalName, type NameContext } from "@contoso/serverless-platform";
import { resourceTags } from "@contoso/serverless-platform";
import { type ContainerDeclaration, databaseFor, leaseContainerFor, settingNames, type ServiceManifest } from "../functions-src/shared/manifest";
import { PLATFORM_TOPIC_INPUT_SCHEMA } from "../functions-src/shared/event-schema";
import { CosmosDb, type CosmosContainerSpec } from "@contoso/serverless-platform";
import { Messaging } from "@contoso/serverless-platform";
import { EventTopic } from "@contoso/serverless-platform";
import { KeyVault } from "@contoso/serverless-platform";
import { FunctionApp } from "@contoso/serverless-platform";
import { Gateway } from "@contoso/serverless-platform";
import { EntraApiApp } from "@contoso/serverless-platform";
import { operationRolesByMethod, type OpenApiDocument } from "@contoso/serverless-platform";
import { type Link, settingsLink } from "@contoso/serverless-platform";
import { addBackendApis } from "./backends";
import { Observability } from "@contoso/serverless-platform";
import { loadTsModule } from "./load-module";
import { createNetwork, functionAppNetworkArg, privateNetworkArg, topicDeliveryArg } from "./network";
import type { DeployedService, ServiceCatalog } from "./services";
import { DEPLOYER_BUILD_DIRECTORY, FUNCTIONS_BUILD_ROOT } from "./paths";

export interface System {
  readonly resourceGroupName: pulumi.Output<string>;
  readonly gatewayUrl: pulumi.Output<string>;
  readonly apps: Readonly<Record<string, FunctionApp>>;
  readonly apiAudiences: Readonly<Record<string, pulumi.Output<string>>>;
}

/** The OpenAPI document a service's schemas generate (the manifest names the module). */
export function openApiDocumentOf(service: Pick<DeployedService, "manifest" | "directory">): OpenApiDocument {
  const http = service.manifest.http;
  if (!http) throw new Error(`${service.manifest.name} declares no HTTP API`);
  const mod = loadTsModule(path.join(service.directory, http.openapi));
  if (typeof mod.openApiDocument !== "function") {
    throw new Error(`functions-src/${service.manifest.name}/${http.openapi} must export openApiDocument()`);
  }
  return (mod.openApiDocument as () => OpenApiDocument)();
}

/** A value from the service's own config section (`services.<name>.settings`; loadServices checked it). */
function configSetting(config: StackConfig, service: string, key: string): string | undefined {
  const value = config.services[service]?.settings[key];
  return value !== undefined && value.length > 0 ? value : undefined;
}

/** A manifest's container as the CosmosDb component takes it (its own, mutable-array type: plain data for the package schema). */
function cosmosContainer(c: ContainerDeclaration): CosmosContainerSpec {
  return {
    name: c.name,
    partitionKeyPaths: [...c.partitionKeyPaths],
    ...(c.defaultTtlSeconds !== undefined ? { defaultTtlSeconds: c.defaultTtlSeconds } : {}),
    ...(c.uniqueKeys !== undefined ? { uniqueKeys: c.uniqueKeys.map((paths) => [...paths]) } : {}),
    ...(c.excludedIndexPaths !== undefined ? { excludedIndexPaths: [...c.excludedIndexPaths] } : {}),
  };
}

export function composeSystem(config: StackConfig, catalog: ServiceCatalog): System {
  const names: NameContext = { prefix: config.namePrefix, environment: config.environment };
  const tags = resourceTags(config);
  const prod = config.environment === "prod";
  const protect = config.protectData;
  const manifests = catalog.services.map((s) => s.manifest);

  const group = new resources.ResourceGroup("platform", {
    resourceGroupName: physicalName("resourceGroup", names, "platform"),
    location: config.location,
    tags,
  });
  const common = { names, resourceGroupName: group.name, location: config.location, tags };
  const net = createNetwork(config, common);

  const monitoring = new Observability("monitoring", { ...common, monitoring: config.monitoring, protect });
  const workspaceId = monitoring.workspaceId;
  const appInsights = { connectionString: monitoring.connectionString, resourceId: monitoring.appInsightsId };

  // Data per service: one account (serverless unless configured), a database per service that owns containers.
  const cosmos = new CosmosDb("data", {
    ...common,
    databases: manifests
      .filter((m) => (m.owns?.containers ?? []).length > 0)
      .map((m) => ({
        service: m.name,
        databaseName: databaseFor(m.name),
        containers: (m.owns?.containers ?? []).map(cosmosContainer),
        // Consumers that keep no leases of their own get a lease container next to the watched one.
        changeFeedConsumers: manifests.flatMap((consumer) =>
          (consumer.uses?.containers ?? [])
            .filter((u) => u.access === "changeFeed" && u.service === m.name && !u.leases)
            .map((u) => ({ consumer: consumer.name, container: u.container, leaseContainer: leaseContainerFor(consumer.name, u.container) })),
        ),
      })),
    capacityMode: config.cosmos.capacityMode,
    ...(config.cosmos.autoscaleMaxThroughput !== undefined ? { autoscaleMaxThroughput: config.cosmos.autoscaleMaxThroughput } : {}),
    backupTier: config.cosmos.backupTier,
    zoneRedundant: config.cosmos.zoneRedundant,
    publicNetworkAccess: config.cosmos.publicNetworkAccess,
    ...privateNetworkArg(net),
    workspaceId,
    protect,
  });

  const messaging = new Messaging("messaging", {
    ...common,
    queues: manifests.flatMap((m) => m.owns?.queues ?? []),
    ...privateNetworkArg(net),
    workspaceId,
    protect,
  });

  const topics = new Map<string, EventTopic>();
  for (const m of manifests) {
    // The schema the shared publisher (functions-src/shared/clients/eventgrid.ts) speaks: one definition for both.
    for (const topic of m.owns?.topics ?? []) {
      topics.set(topic, new EventTopic(topic, { ...common, inputSchema: PLATFORM_TOPIC_INPUT_SCHEMA, workspaceId, ...topicDeliveryArg(net) }));
    }
  }
  for (const m of manifests) {
    for (const sub of m.subscriptions ?? []) {
      topics.get(sub.topic)!.subscribeQueue(`${sub.topic}-to-${sub.queue}`, {
        messaging,
        queue: sub.queue,
        ...(sub.eventTypes ? { eventTypes: sub.eventTypes } : {}),
      });
    }
  }

  // Purge protection everywhere (a deleted secret cannot be purged early); dev keeps the shortest
  // soft-delete retention so a destroyed dev vault's name frees up within a week.
  const vault = new KeyVault("secrets", { ...common, ...privateNetworkArg(net), workspaceId, protect, purgeProtection: true, softDeleteRetentionInDays: prod ? 90 : 7 });
  for (const secret of config.secretNames) vault.setSecretFromConfig(secret);

  const client = azuread.getClientConfigOutput();
  const gateway = new Gateway("gateway", {
    ...common,
    environment: config.environment,
    config: config.apiManagement,
    appInsights,
    workspaceId,
  });

  // Hybrid: existing (non-serverless) back ends behind the same gateway (or, in dev, its mock of one).
  const backendUrls = addBackendApis(gateway, config, client.tenantId);

  const apps: Record<string, FunctionApp> = {};
  const apiAudiences: Record<string, pulumi.Output<string>> = {};
  for (const service of catalog.services) {
    const m = service.manifest;
    const apiApp = m.http
      ? new EntraApiApp(`${m.name}-api`, {
          displayName: `${config.namePrefix} ${m.http.displayName} API (${config.environment})`,
          appName: `${config.namePrefix}-${m.name}-${config.environment}`,
          roles: m.http.roles.map((r) => ({ value: r.value, description: r.description })),
        })
      : undefined;
    const app = new FunctionApp(m.name, {
      ...common,
      service: { name: m.name, directory: service.directory, entry: m.entry, manifestFile: path.join(service.directory, "service.ts") },
      build: { outRoot: FUNCTIONS_BUILD_ROOT, deployerDirectory: DEPLOYER_BUILD_DIRECTORY },
      triggers: [...m.triggers],
      // The manifest's queue uses, as written (not the grants made from them): the policy pack's evidence.
      declaredUses: (m.uses?.queues ?? []).map((u) => ({ kind: "queue" as const, name: u.queue, access: u.access })),
      sizing: service.sizing,
      links: serviceLinks(config, m, { cosmos, messaging, topics, vault, backendUrls }),
      settings: monitoring.samplingAppSettings(),
      appInsights,
      workspaceId,
      // A per-service cost choice in the stack file (services.<name>.zoneRedundant).
      zoneRedundant: service.sizing.zoneRedundant ?? false,
      protect,
      ...functionAppNetworkArg(net, m),
      ...(apiApp
        ? {
            // Only the gateway's managed identity may call the app (no function keys).
            authentication: {
              tenantId: client.tenantId,
              clientId: apiApp.clientId,
              allowedAudiences: [apiApp.identifierUri, apiApp.clientId],
              allowedPrincipalIds: [gateway.identity.principalId],
              ...(m.http?.healthPath ? { excludedPaths: [`/${m.http.routePrefix}${m.http.healthPath}`] } : {}),
            },
          }
        : {}),
    });
    apps[m.name] = app;
    monitoring.alertFunctionApp(m.name, { roleName: app.name, frequency: config.monitoring.logAlertFrequency });

    if (m.http && apiApp) {
      apiApp.grantAppRole({ name: "gateway", principalId: gateway.identity.principalId });
      const openapi = openApiDocumentOf(service);
      gateway.addServiceApi(m.name, {
        openapi,
        path: m.http.path,
        version: m.http.version,
        displayName: m.http.displayName,
        description: m.description,
        roles: m.http.roles,
        operationRoles: operationRolesByMethod(openapi, {
          read: m.http.roles.filter((r) => /\.Read$/.test(r.value)).map((r) => r.value),
          write: m.http.roles.filter((r) => /\.Write$/.test(r.value)).map((r) => r.value),
        }),
        callers: { tenantId: client.tenantId, audiences: apiApp.audiences },
        backend: { hostName: app.defaultHostName, routePrefix: m.http.routePrefix, appClientId: apiApp.clientId },
      });
      apiAudiences[m.name] = apiApp.identifierUri;
    }
  }

  // What tells the owners when it breaks: one alert per failure mode, each on its narrowest scope.
  monitoring.alertApiManagement({ serviceId: gateway.resourceId });
  monitoring.alertPoisonQueues("messaging", { storageAccountId: messaging.accountId });
  for (const [name, topic] of topics) monitoring.alertDeadLetters(name, { topicId: topic.topicId });
  monitoring.alertCosmosThrottling({ accountId: cosmos.accountId });
  const probed = catalog.services.filter((s) => s.manifest.http?.healthPath);
  if (probed.length > 0) {
    const health = gateway.addHealthApi(
      probed.map((s) => ({
        service: s.manifest.name,
        hostName: apps[s.manifest.name]!.defaultHostName,
        path: `/${s.manifest.http!.routePrefix}${s.manifest.http!.healthPath!}`,
      })),
    );
    // One test (billed per run and location) probes every service through the gateway's aggregate.
    monitoring.addAvailabilityTest({ url: pulumi.interpolate`${gateway.gatewayUrl}${health.aggregatePath}` });
  }

  return { resourceGroupName: group.name, gatewayUrl: gateway.gatewayUrl, apps, apiAudiences };
}

/**
 * Every declared use of a service, as a link from the resource it uses: the settings and identity-based
 * connections the code reads, and the grant at the narrowest scope — one place, in manifest order
 * (containers, queues, then settings-only uses: its own database, topics, back ends, secrets, config).
 */
function serviceLinks(
  config: StackConfig,
  m: ServiceManifest,
  resources: {
    readonly cosmos: CosmosDb;
    readonly messaging: Messaging;
    readonly topics: ReadonlyMap<string, EventTopic>;
    readonly vault: KeyVault;
    readonly backendUrls: Readonly<Record<string, pulumi.Input<string>>>;
  },
): Link[] {
  const { cosmos, messaging, topics, vault, backendUrls } = resources;
  const links: Link[] = [];
  for (const use of m.uses?.containers ?? []) {
    links.push(
      cosmos.link(
        { service: use.service, container: use.container, access: use.access, consumer: m.name, ownLeases: use.leases !== undefined },
        settingNames.cosmosConnection,
      ),
    );
  }
  for (const use of m.uses?.queues ?? []) links.push(messaging.link(use.queue, use.access, settingNames.queuesConnection));
  if ((m.owns?.containers ?? []).length > 0) {
    links.push(settingsLink(`database of ${m.name}`, { [settingNames.cosmosDatabase]: databaseFor(m.name) }));
  }
  for (const use of m.uses?.topics ?? []) links.push(topics.get(use.topic)!.publishLink(settingNames.topicEndpoint(use.topic)));
  for (const backend of m.uses?.backends ?? []) {
    links.push(settingsLink(`back end "${backend}"`, { [settingNames.backendUrl(backend)]: backendUrls[backend]! }));
  }
  for (const secret of m.uses?.secrets ?? []) links.push(vault.secretLink(secret, settingNames.secret(secret)));
  for (const s of m.uses?.settings ?? []) {
    const value = configSetting(config, m.name, s.configKey);
    if (value !== undefined) links.push(settingsLink(`config ${s.configKey}`, { [s.setting]: value }));
  }
  return links;
}
