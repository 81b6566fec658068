/** Cosmos DB clients built from settings (see `./credential` for identity and options). */
import { CosmosClient } from "@azure/cosmos";
import { type CosmosConnection, type Settings, cosmosConnection } from "../settings";
import { type ClientOptions, credentialFor } from "./credential";

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

export function cosmosClientFromSettings(settings: Settings, options: ClientOptions = {}): CosmosClient {
  return createCosmosClient(cosmosConnection(settings), options);
}
