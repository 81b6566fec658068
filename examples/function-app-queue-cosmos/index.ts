/**
 * A team's starting point: one Flex Consumption Function App that takes messages off a Storage
 * queue and writes them to Cosmos DB (serverless), keyless end to end. Everything Azure comes from
 * the component package, imported by its name as any program would.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as resources from "@pulumi/azure-native/resources";
import { CosmosDb, FunctionApp, Messaging } from "@contoso/serverless-platform";
import { CONTAINER, COSMOS_CONNECTION, DATABASE, QUEUE, QUEUES_CONNECTION, SERVICE } from "./functions/src/names";

const config = new pulumi.Config();
const names = { prefix: config.require("namePrefix"), environment: pulumi.getStack() };
// Your organisation's required tags (the policy pack asks for owner, costCenter, managedBy).
const tags = { ...config.requireObject<Record<string, string>>("tags"), project: pulumi.getProject(), environment: pulumi.getStack() };

const group = new resources.ResourceGroup("rg", { tags });
const common = { names, resourceGroupName: group.name, location: group.location, tags };

// Every component sends its diagnostics here (Entra ID only: no shared-key ingestion or queries).
const workspace = new operationalinsights.Workspace("logs", {
  resourceGroupName: group.name,
  location: group.location,
  tags,
  sku: { name: operationalinsights.WorkspaceSkuNameEnum.PerGB2018 },
  retentionInDays: 30,
  features: { disableLocalAuth: true, enableLogAccessUsingOnlyResourcePermissions: true },
});
const workspaceId = workspace.id;

const messaging = new Messaging("messaging", { ...common, queues: [{ name: QUEUE, description: "Items to store" }], workspaceId, protect: false });

const cosmos = new CosmosDb("data", {
  ...common,
  databases: [{ service: SERVICE, databaseName: DATABASE, containers: [{ name: CONTAINER, partitionKeyPaths: ["/id"] }] }],
  workspaceId,
  protect: false,
});
// The function binds to DATABASE by name: a component that names it otherwise fails the plan here.
if (cosmos.databaseNames[SERVICE] !== DATABASE) {
  throw new Error(`CosmosDb names ${SERVICE}'s database "${cosmos.databaseNames[SERVICE]}", the function binds to "${DATABASE}": update functions/src/names.ts`);
}

const app = new FunctionApp(SERVICE, {
  ...common,
  service: { name: SERVICE, directory: path.join(__dirname, "functions"), entry: "src/index.ts" },
  triggers: ["queue"],
  sizing: { instanceMemoryMB: 2048, maximumInstanceCount: 40, alwaysReady: [] },
  connections: { [QUEUES_CONNECTION]: messaging.connection(), [COSMOS_CONNECTION]: cosmos.connection() },
  workspaceId,
});

// Least privilege: process this one queue, write this one container.
messaging.grantProcess(app.grantee, QUEUE);
cosmos.grantDataContributor(app.grantee, { service: SERVICE, container: CONTAINER });

export const functionAppName = app.name;
export const queueServiceUri = messaging.connection().queueServiceUri;
export const cosmosEndpoint = cosmos.endpoint;
