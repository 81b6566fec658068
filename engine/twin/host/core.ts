/**
 * The Node worker's side of the Functions host, for one bundle: stands in for `@azure/functions-core`
 * (the module the host's Node worker provides; the bundle keeps it external), captures the programming
 * model and every `registerFunction(metadata, callback)`, and invokes functions exactly as the worker
 * does: `model.getInvocationModel(coreCtx)` → `getArguments()` → `invokeFunction()` → `getResponse()`,
 * with RPC-shaped inputs (RpcTypedData, RpcHttpData), so the bundle's own @azure/functions converts them.
 * Source: Azure/azure-functions-nodejs-worker src/eventHandlers/InvocationHandler.ts and
 * Azure/azure-functions-nodejs-library src/InvocationModel.ts (the library version in node_modules).
 *
 * Not emulated (refused at registration): HTTP streaming (`app.setup({ enableHttpStream })`), hooks
 * other than no-ops, and binding types the twin's host does not run (see `SUPPORTED_TRIGGERS`).
 */
import Module from "node:module";
import { randomUUID } from "node:crypto";

export interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  http?: Record<string, unknown>;
  int?: number;
}

export interface BindingInfo {
  readonly type: string;
  readonly direction: "in" | "out";
  readonly [key: string]: unknown;
}

export interface FunctionMetadata {
  readonly name: string;
  readonly bindings: Readonly<Record<string, BindingInfo>>;
  readonly retryOptions?: {
    readonly retryStrategy?: string;
    readonly maxRetryCount?: number;
    readonly minimumInterval?: { seconds?: number; nanos?: number };
    readonly maximumInterval?: { seconds?: number; nanos?: number };
    readonly delayInterval?: { seconds?: number; nanos?: number };
  };
}

export interface Registration {
  readonly metadata: FunctionMetadata;
  readonly callback: (...args: unknown[]) => unknown;
  /** The trigger binding's name and info. */
  readonly triggerName: string;
  readonly trigger: BindingInfo;
}

interface InvocationModelLike {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: (...a: unknown[]) => unknown): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<{ returnValue?: RpcTypedData | null; outputData?: { name: string; data: RpcTypedData }[] }>;
}

interface ProgrammingModelLike {
  getInvocationModel(coreCtx: unknown): InvocationModelLike;
}

export const SUPPORTED_TRIGGERS = new Set(["httpTrigger", "queueTrigger", "timerTrigger", "cosmosDBTrigger", "orchestrationTrigger", "activityTrigger"]);
const SUPPORTED_INPUTS = new Set(["durableClient", "orchestrationClient"]);

export type LogSink = (level: string, functionName: string, message: string) => void;

export class FakeCore {
  model?: ProgrammingModelLike;
  readonly registrations: Registration[] = [];
  /** Called after every invocation (the host's request telemetry). */
  afterInvoke?: (name: string, trigger: string, succeeded: boolean, durationMs: number) => void;

  constructor(private readonly log: LogSink) {}

  /** Makes `require("@azure/functions-core")` return this object (the worker does the same). */
  install(): void {
    const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
    const original = mod._load;
    const core = {
      setProgrammingModel: (model: ProgrammingModelLike) => {
        this.model = model;
      },
      getProgrammingModel: () => this.model,
      registerFunction: (metadata: FunctionMetadata, callback: (...args: unknown[]) => unknown) => {
        const entry = Object.entries(metadata.bindings).find(([, b]) => b.direction === "in" && /Trigger$/.test(b.type));
        if (!entry) throw new Error(`twin host: function ${metadata.name} has no trigger binding`);
        const [triggerName, trigger] = entry;
        if (!SUPPORTED_TRIGGERS.has(trigger.type)) {
          throw new Error(`twin host: function ${metadata.name} uses trigger ${trigger.type}, which the twin does not emulate (supported: ${[...SUPPORTED_TRIGGERS].join(", ")})`);
        }
        for (const [name, b] of Object.entries(metadata.bindings)) {
          if (name === triggerName || (b.direction === "out" && (b.type === "http" || name === "$return"))) continue;
          if (b.direction === "in" && SUPPORTED_INPUTS.has(b.type)) continue;
          throw new Error(`twin host: function ${metadata.name} declares a ${b.direction} binding ${b.type} ("${name}"), which the twin does not emulate`);
        }
        this.registrations.push({ metadata, callback, triggerName, trigger });
        return { dispose() {} };
      },
      registerHook: () => ({ dispose() {} }),
      log: (level: string, category: string, message: string) => this.log(level, category, message),
      // Capabilities the library reads; no HTTP streaming proxy in the twin.
      version: "3.10.1",
    };
    mod._load = function load(request: string, parent: unknown, isMain: boolean): unknown {
      if (request === "@azure/functions-core") return core;
      return original.call(this, request, parent, isMain);
    };
  }

  /** Invokes a registered function the way the Node worker does; returns the RPC response. */
  async invoke(
    registration: Registration,
    inputData: { name: string; data: RpcTypedData }[],
    triggerMetadata: Record<string, RpcTypedData> = {},
    retryContext?: { retryCount: number; maxRetryCount: number },
  ): Promise<{ returnValue?: RpcTypedData | null; outputData?: { name: string; data: RpcTypedData }[] }> {
    if (!this.model) throw new Error("twin host: the bundle set no programming model (is @azure/functions bundled in test mode?)");
    const invocationId = randomUUID();
    const name = registration.metadata.name;
    const coreCtx = {
      invocationId,
      request: { invocationId, functionId: name, inputData, triggerMetadata, ...(retryContext ? { retryContext } : {}) },
      metadata: registration.metadata,
      log: (level: string, _category: string, message: string) => this.log(level, name, message),
      state: undefined,
    };
    const started = Date.now();
    let succeeded = false;
    try {
      const model = this.model.getInvocationModel(coreCtx);
      const { context, inputs } = await model.getArguments();
      const result = await model.invokeFunction(context, inputs, registration.callback);
      const response = await model.getResponse(context, result);
      succeeded = true;
      return response;
    } finally {
      this.afterInvoke?.(name, registration.trigger.type, succeeded, Date.now() - started);
    }
  }
}

/** RpcTypedData → JS value (what the host hands back from a response). */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.json !== undefined) return JSON.parse(data.json);
  if (data.string !== undefined) {
    try {
      return JSON.parse(data.string);
    } catch {
      return data.string;
    }
  }
  if (data.bytes !== undefined) return Buffer.from(data.bytes);
  if (data.int !== undefined) return data.int;
  return undefined;
}

export function durationMs(d: { seconds?: number | string; nanos?: number } | undefined): number {
  if (!d) return 0;
  return Number(d.seconds ?? 0) * 1000 + Math.round(Number(d.nanos ?? 0) / 1e6);
}
