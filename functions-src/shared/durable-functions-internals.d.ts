/**
 * The durable-functions 3 internals that functions-src/shared/durable.ts and durable-client.ts use: the
 * handler factories (no public entry: `df.app.*` registers as it creates the handler) and `getClient`
 * by its own module (the index also loads the orchestration runtime). Their shapes are those of
 * node_modules/durable-functions/lib/src/util/testingUtils.js, lib/src/app.js and
 * lib/src/durableClient/getClient.js (3.5);
 * test/functions-src/shared.durable.test.ts fails if an upgrade changes them.
 */
declare module "durable-functions/lib/src/util/testingUtils.js" {
  import type { InvocationContext } from "@azure/functions";
  import type { OrchestrationHandler } from "durable-functions";
  export function createOrchestrator(handler: OrchestrationHandler): (orchestrationTrigger: unknown, context: InvocationContext) => Promise<unknown>;
}

declare module "durable-functions/lib/src/app.js" {
  import type { InvocationContext } from "@azure/functions";
  import type { ActivityHandler } from "durable-functions";
  export function wrapActivityHandler(handler: ActivityHandler): (triggerInput: unknown, context: InvocationContext) => Promise<unknown>;
}

declare module "durable-functions/lib/src/durableClient/getClient.js" {
  import type { InvocationContext } from "@azure/functions";
  import type { DurableClient } from "durable-functions";
  export function getClient(context: InvocationContext): DurableClient;
}
