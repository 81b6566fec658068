/**
 * Durable functions registered through functions-src/shared/durable.ts (durable-functions loads on a
 * function's first invocation, not on the app's start) are what `df.app` registers: the same binding
 * metadata, and handlers that answer every invocation as the library's own. Fails when an upgrade of
 * durable-functions changes what `df.app` registers or the internals durable.ts calls. No emulator.
 */
import Module from "node:module";
import { InvocationContext } from "@azure/functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENT } from "../../engine/twin/host/durable-protocol";

interface Registered {
  readonly metadata: { readonly name: string; readonly bindings: Record<string, Record<string, unknown>> };
  readonly callback: (triggerInput: unknown, context: InvocationContext) => Promise<unknown>;
}

// The host's @azure/functions-core, so @azure/functions registers (this file runs in its own process).
const registered = new Map<string, Registered>();
const core = {
  setProgrammingModel() {},
  registerFunction(metadata: Registered["metadata"], callback: Registered["callback"]) {
    registered.set(metadata.name, { metadata, callback });
    return { dispose() {} };
  },
  registerHook: () => ({ dispose() {} }),
  log() {},
};
type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleLoader = Module as unknown as { _load: Load };
const load = moduleLoader._load;
moduleLoader._load = function (this: unknown, request, parent, isMain) {
  return request === "@azure/functions-core" ? core : load.call(this, request, parent, isMain);
};

let df: typeof import("durable-functions");
let durable: typeof import("../../functions-src/shared/durable.js");
beforeAll(async () => {
  df = await import("durable-functions");
  durable = await import("../../functions-src/shared/durable.js");
});

/** The binding metadata without the function's own name (each side registers under its own). */
const bindingsOf = (name: string): unknown => registered.get(name)?.metadata.bindings;

const orchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<{ n: number }>();
  const first = yield context.df.callActivity("double", input.n);
  if (context.df.isReplaying) context.log("replayed");
  return { first, instance: context.df.instanceId };
};

/** One episode's trigger input as the Durable extension sends it: started, then the activity done or not. */
function episode(completed: boolean): unknown {
  const at = "2026-12-03T10:00:00.000Z";
  const history = [
    { EventType: EVENT.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: at },
    { EventType: EVENT.ExecutionStarted, EventId: -1, IsPlayed: false, Timestamp: at, Name: "o", Input: JSON.stringify({ n: 21 }) },
    ...(completed
      ? [
          { EventType: EVENT.TaskScheduled, EventId: 0, IsPlayed: false, Timestamp: at, Name: "double" },
          { EventType: EVENT.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: at },
          { EventType: EVENT.TaskCompleted, EventId: -1, IsPlayed: false, Timestamp: at, TaskScheduledId: 0, Result: "42" },
        ]
      : []),
  ];
  return { history, input: { n: 21 }, instanceId: "order-1", isReplaying: false, parentInstanceId: undefined, upperSchemaVersion: 2 };
}

const contextFor = (name: string): InvocationContext => new InvocationContext({ functionName: name, invocationId: "i-1" });

describe("Durable functions registered with the library loaded on first invocation", () => {
  it("registers the orchestration, the activity and the client input with the binding metadata df.app gives them", () => {
    df.app.orchestration("libraryOrchestration", orchestrator);
    durable.registerOrchestration("deferredOrchestration", async () => orchestrator);
    df.app.activity("libraryActivity", { handler: async (n: unknown) => Number(n) * 2 });
    durable.registerActivity("deferredActivity", async () => async (n: unknown) => Number(n) * 2);
    expect(bindingsOf("deferredOrchestration")).toEqual(bindingsOf("libraryOrchestration"));
    expect(bindingsOf("deferredActivity")).toEqual(bindingsOf("libraryActivity"));
    expect(Object.values(bindingsOf("deferredOrchestration") as object)).toEqual([expect.objectContaining({ type: "orchestrationTrigger", direction: "in" })]);
    expect(Object.values(bindingsOf("deferredActivity") as object)).toEqual([expect.objectContaining({ type: "activityTrigger", direction: "in" })]);
    expect(durable.durableClientInput()).toEqual(df.input.durableClient());
  });

  it("answers each orchestration episode as the library's handler does (first episode, then a replay)", async () => {
    const library = registered.get("libraryOrchestration")!.callback;
    const deferred = registered.get("deferredOrchestration")!.callback;
    for (const completed of [false, true]) {
      const expected = await library(episode(completed), contextFor("libraryOrchestration"));
      expect(await deferred(episode(completed), contextFor("deferredOrchestration"))).toEqual(expected);
      expect(JSON.stringify(expected)).toContain(completed ? '"isDone":true' : '"functionName":"double"');
    }
  });

  it("answers an activity as the library's handler does, its result and its failure", async () => {
    const library = registered.get("libraryActivity")!.callback;
    const deferred = registered.get("deferredActivity")!.callback;
    expect(await deferred(21, contextFor("deferredActivity"))).toBe(await library(21, contextFor("libraryActivity")));
    // With an exception properties provider the library rewrites a failure's message into its details JSON.
    df.app.setExceptionPropertiesProvider({ getExceptionProperties: (error) => ({ kind: error instanceof Error ? error.name : "unknown" }) });
    const failing = (): Promise<never> => Promise.reject(new Error("out of stock"));
    df.app.activity("libraryFailing", { handler: failing });
    durable.registerActivity("deferredFailing", async () => failing);
    const libraryError = await registered.get("libraryFailing")!.callback(1, contextFor("libraryFailing")).catch((e: unknown) => e);
    const deferredError = await registered.get("deferredFailing")!.callback(1, contextFor("deferredFailing")).catch((e: unknown) => e);
    // The details JSON, but its stack trace (each error has its own).
    const details = (error: unknown): unknown => ({ ...(JSON.parse((error as Error).message) as object), stackTrace: undefined });
    expect(details(deferredError)).toEqual(details(libraryError));
    expect(details(deferredError)).toMatchObject({ errorMessage: "out of stock", properties: { kind: "Error" } });
  });

  it("gives starters the library's own getClient, by its module (without the orchestration runtime the index loads)", async () => {
    const { getClient } = await import("../../functions-src/shared/durable-client.js");
    expect(getClient).toBe(df.getClient);
  });

  it("loads the app's function module once, on the first invocation, and reuses it", async () => {
    let loads = 0;
    durable.registerActivity("countedActivity", async () => {
      loads++;
      return async (n: unknown) => n;
    });
    expect(loads).toBe(0);
    const handler = registered.get("countedActivity")!.callback;
    await Promise.all([handler(1, contextFor("countedActivity")), handler(2, contextFor("countedActivity"))]);
    await handler(3, contextFor("countedActivity"));
    expect(loads).toBe(1);
  });
});
