/**
 * `df.getClient` without the rest of durable-functions: the library's index also loads its
 * orchestration runtime (the replay engine, moment, uuid, debug), which a function that only starts
 * orchestrations never runs, and a cold start's first message would parse and initialize it. The same
 * function: durable-functions 3.5's lib/src/index.js re-exports it from lib/src/durableClient/getClient.js
 * (Azure/azure-functions-durable-js src/durableClient/getClient.ts); test/functions-src/shared.durable.test.ts
 * checks they are one.
 */
export { getClient } from "durable-functions/lib/src/durableClient/getClient.js";
