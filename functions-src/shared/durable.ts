/**
 * Durable Functions registration that keeps the durable-functions library off an app's start path.
 *
 * `df.app.orchestration(name, fn)` and `df.app.activity(name, { handler })` register
 * `app.generic(name, { trigger: { type: "orchestrationTrigger" | "activityTrigger" }, handler })` with
 * `createOrchestrator(fn)` / `wrapActivityHandler(handler)` as the handler, and `df.input.durableClient()`
 * is `input.generic({ type: "durableClient" })` (durable-functions 3.5 lib/src/app.js, trigger.js,
 * input.js; Azure/azure-functions-durable-js src/app.ts). But app.js requires ./client at load, which
 * brings DurableClient with axios, validator and lodash: most of the library's weight, needed only
 * when a starter calls `getClient`. So the functions are registered here with the same metadata and a
 * handler that loads the library, and the app's own module behind it, on its first invocation, then
 * hands every invocation to the library's own handler, created once, as `df.app` would have. The
 * registration itself still happens at module load (`app.generic` calls the worker's `registerFunction`
 * then), and the worker awaits whatever a handler returns (@azure/functions 4.16 InvocationModel.invokeFunction,
 * Azure/azure-functions-nodejs-library src/InvocationModel.ts), so one more `await` changes no result.
 * test/functions-src/shared.durable.test.ts checks the metadata and the handlers against `df.app`'s.
 */
import { type FunctionInput, type InvocationContext, app, input, trigger } from "@azure/functions";
import type { ActivityHandler, OrchestrationHandler } from "durable-functions";
import { lazyAsync } from "./util";

type Handler = (triggerInput: unknown, context: InvocationContext) => Promise<unknown>;

/**
 * The durable client input binding (what `df.input.durableClient()` returns); `getClient` finds it by its
 * type (durable-functions lib/src/durableClient/getClient.js, isDurableClientInput).
 */
export function durableClientInput(): FunctionInput {
  return input.generic({ type: "durableClient" });
}

function registerLazily(name: string, type: "orchestrationTrigger" | "activityTrigger", create: () => Promise<Handler>): void {
  const handler = lazyAsync(create);
  app.generic(name, {
    trigger: trigger.generic({ type }),
    handler: async (triggerInput: unknown, context: InvocationContext) => (await handler())(triggerInput, context),
  });
}

/** `df.app.orchestration(name, await load())`, with the library and `load` run on the first invocation. */
export function registerOrchestration(name: string, load: () => Promise<OrchestrationHandler>): void {
  registerLazily(name, "orchestrationTrigger", async () => {
    const [{ createOrchestrator }, orchestrator] = await Promise.all([import("./durable-handlers.js"), load()]);
    return createOrchestrator(orchestrator);
  });
}

/** `df.app.activity(name, { handler: await load() })`, with the library and `load` run on the first invocation. */
export function registerActivity(name: string, load: () => Promise<ActivityHandler>): void {
  registerLazily(name, "activityTrigger", async () => {
    const [{ wrapActivityHandler }, activity] = await Promise.all([import("./durable-handlers.js"), load()]);
    return wrapActivityHandler(activity);
  });
}
