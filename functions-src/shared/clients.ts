/**
 * The one place SDK clients are built from settings. Each service's `deps.ts` calls these once per
 * process (clients hold connection pools and token caches: build them once, reuse them).
 */
import type { Agent } from "node:https";
import { CosmosClient } from "@azure/cosmos";
import { EventGridPublisherClient } from "@azure/eventgrid";
import type { TokenCredential } from "@azure/identity";
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import { QueueServiceClient } from "@azure/storage-queue";
import {
  type CosmosConnection,
  type QueueConnection,
  type Settings,
  ConfigurationError,
  cosmosConnection,
  queueConnection,
} from "./settings";
import { settingNames } from "./manifest";

export interface ClientOptions {
  /** Overrides the credential for identity connections (tests pass a static one). */
  readonly credential?: TokenCredential;
  /** HTTPS agent for Cosmos DB, e.g. one trusting a local emulator's certificate. @default the SDK's */
  readonly cosmosAgent?: Agent;
}

const credentials = new Map<string, TokenCredential>();

/**
 * The credential for an identity connection: the user-assigned identity when a client id is known
 * (explicit, no probing of other sources), else DefaultAzureCredential (developer sign-in locally).
 * Cached per client id so every client shares one token cache.
 */
export function credentialFor(clientId: string | undefined): TokenCredential {
  const key = clientId ?? "";
  let credential = credentials.get(key);
  if (!credential) {
    credential = clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
    credentials.set(key, credential);
  }
  return credential;
}

export function createCosmosClient(connection: CosmosConnection, options: ClientOptions = {}): CosmosClient {
  const common = {
    endpoint: connection.endpoint,
    userAgentSuffix: "platform-functions",
    ...(options.cosmosAgent ? { agent: options.cosmosAgent } : {}),
  };
  if (connection.kind === "emulator") {
    // Emulators advertise their own host name; discovery would redirect to it (and fail TLS checks).
    return new CosmosClient({ ...common, key: connection.key, connectionPolicy: { enableEndpointDiscovery: false } });
  }
  return new CosmosClient({ ...common, aadCredentials: options.credential ?? credentialFor(connection.clientId) });
}

export function createQueueServiceClient(connection: QueueConnection, options: ClientOptions = {}): QueueServiceClient {
  if (connection.kind === "emulator") {
    return QueueServiceClient.fromConnectionString(connection.connectionString);
  }
  return new QueueServiceClient(connection.endpoint, options.credential ?? credentialFor(connection.clientId));
}

export function cosmosClientFromSettings(settings: Settings, options: ClientOptions = {}): CosmosClient {
  return createCosmosClient(cosmosConnection(settings), options);
}

export function queueServiceClientFromSettings(settings: Settings, options: ClientOptions = {}): QueueServiceClient {
  return createQueueServiceClient(queueConnection(settings), options);
}

/**
 * An Event Grid publisher for a topic endpoint (EventGrid schema) with an Entra credential: the
 * publishing identity needs "EventGrid Data Sender" on the topic; the topic's access keys stay unused.
 */
export function createEventGridPublisher(
  endpoint: string,
  settings: Settings,
  options: ClientOptions = {},
): EventGridPublisherClient<"EventGrid"> {
  if (!/^https:\/\//i.test(endpoint)) {
    throw new ConfigurationError(`Event Grid endpoint must be https (bearer tokens are never sent in clear): ${endpoint}`);
  }
  const credential = options.credential ?? credentialFor(settings[settingNames.identityClientId]?.trim() || undefined);
  return new EventGridPublisherClient(endpoint, "EventGrid", credential);
}
