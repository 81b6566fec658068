/**
 * The library's own handlers for Durable functions, loaded by ./durable.ts on a function's first
 * invocation: what `df.app.orchestration` and `df.app.activity` register as the handler
 * (durable-functions 3.5 lib/src/app.js). Static imports, so the bundler resolves the CommonJS interop.
 */
import type { ActivityHandler, OrchestrationHandler } from "durable-functions";
import { wrapActivityHandler } from "durable-functions/lib/src/app.js";
import { createOrchestrator } from "durable-functions/lib/src/util/testingUtils.js";

export { createOrchestrator, wrapActivityHandler };
export type { ActivityHandler, OrchestrationHandler };
