/**
 * The names the function's bindings and the program must agree on, in one place: the program
 * (../../index.ts) creates these and checks them against what the components create; the function
 * (./index.ts) binds to them.
 */
export const SERVICE = "ingest";
export const QUEUE = "ingest";
export const DATABASE = "ingest-db";
export const CONTAINER = "items";
/** App setting prefixes of the identity-based connections (`<PREFIX>__queueServiceUri`, ...). */
export const QUEUES_CONNECTION = "QUEUES";
export const COSMOS_CONNECTION = "COSMOS";
