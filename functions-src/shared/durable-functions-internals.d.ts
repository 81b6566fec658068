/**
 * The two durable-functions 3 internals that functions-src/shared/durable.ts calls (the library has no
 * public entry for them: `df.app.*` registers as it creates the handler). Their shapes are those of
 * node_modules/durable-functions/lib/src/util/testingUtils.js and lib/src/app.js (3.5);
 * test/functions-src/durable.test.ts fails if an upgrade changes them.
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
