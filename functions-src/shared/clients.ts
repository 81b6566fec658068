/**
 * The one place SDK clients are built from settings. Each service's `deps.ts` calls these once per
 * process (clients hold connection pools and token caches: build them once, reuse them).
 *
 * Split per SDK: service code imports `./clients/cosmos`, `./clients/queues` or `./clients/eventgrid`
 * directly, so a service's bundle holds (and its cold start loads) only the SDKs it uses. This module
 * re-exports all of them for scripts and tests, which may load everything.
 */
export { type ClientOptions, credentialFor } from "./clients/credential";
export { cosmosClientFromSettings, createCosmosClient } from "./clients/cosmos";
export { createQueueServiceClient, queueServiceClientFromSettings } from "./clients/queues";
export { createEventGridPublisher } from "./clients/eventgrid";
