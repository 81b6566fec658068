/** Storage queue clients built from settings (see `./credential` for identity and options). */
import { QueueServiceClient } from "@azure/storage-queue";
import { type QueueConnection, type Settings, queueConnection } from "../settings";
import { type ClientOptions, credentialFor } from "./credential";

export function createQueueServiceClient(connection: QueueConnection, options: ClientOptions = {}): QueueServiceClient {
  if (connection.kind === "emulator") {
    return QueueServiceClient.fromConnectionString(connection.connectionString);
  }
  return new QueueServiceClient(connection.endpoint, options.credential ?? credentialFor(connection.clientId));
}

export function queueServiceClientFromSettings(settings: Settings, options: ClientOptions = {}): QueueServiceClient {
  return createQueueServiceClient(queueConnection(settings), options);
}
