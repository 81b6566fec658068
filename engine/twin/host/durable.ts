/**
 * The Durable Functions extension's part, for one app: a task hub in memory that runs orchestrations
 * through the bundle's own durable-functions library (the orchestrator function is replayed from its
 * history after every event, as the extension does), schedules activities (invoked like any function),
 * retries them per `callActivityWithRetry`'s RetryOptions, fires durable timers on the wall clock and
 * delivers external events; and the extension's HTTP API that `DurableClient` calls (`rpcBaseUrl`:
 * `orchestrators/{name}/{id}`, `instances/{id}`, `instances/{id}/raiseEvent/{event}`).
 * Sources: durable-functions (node_modules) DurableClient, Orchestrator, history event and action types;
 * https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-http-api ;
 * host.json `overridableExistingInstanceStates` (https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-bindings#host-json).
 *
 * State: every episode is checkpointed to the task hub's store (the Azure Storage provider's History and
 * Instances tables, engine/twin/host/task-hub.ts) before its actions are scheduled; a checkpoint storage
 * refuses abandons the episode, which is retried, so an orchestration does not advance past state it
 * could not persist. Reads (status queries, replays) use the in-memory copy: instances do not survive a
 * restart of the twin.
 *
 * Not emulated (refused when an orchestrator asks for them): sub-orchestrations, entities,
 * continue-as-new, durable HTTP calls.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type FakeCore, fromTypedData, type Registration } from "./core";
import { ACTION, EVENT } from "./durable-protocol";

interface Action {
  readonly actionType: number;
  readonly functionName?: string;
  readonly input?: unknown;
  readonly fireAt?: string | Date;
  readonly isCanceled?: boolean;
  readonly compoundActions?: readonly Action[];
  readonly retryOptions?: {
    readonly firstRetryIntervalInMilliseconds: number;
    readonly maxNumberOfAttempts: number;
    readonly backoffCoefficient?: number;
    readonly maxRetryIntervalInMilliseconds?: number;
  };
}

interface Instance {
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
  readonly created: Date;
  updated: Date;
  status: "Pending" | "Running" | "Completed" | "Failed" | "Terminated";
  readonly history: Record<string, unknown>[];
  recorded: number;
  /** History events already written to the store. */
  persisted: number;
  latest: Action[];
  output: unknown;
  customStatus: unknown;
  nextId: number;
  chain: Promise<void>;
  readonly timers: NodeJS.Timeout[];
}

const flatten = (actions: readonly Action[]): Action[] =>
  actions.flatMap((a) => (a.actionType === ACTION.WhenAny || a.actionType === ACTION.WhenAll ? flatten(a.compoundActions ?? []) : [a]));

/** One checkpoint of an orchestration: its new history events and its state after the episode. */
export interface Checkpoint {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: Instance["status"];
  readonly input: unknown;
  readonly output: unknown;
  readonly customStatus: unknown;
  readonly createdTime: Date;
  readonly lastUpdatedTime: Date;
  /** History events not yet written, with their sequence numbers in the instance's history. */
  readonly newEvents: readonly { readonly sequence: number; readonly event: Readonly<Record<string, unknown>> }[];
}

/** Where a task hub persists orchestration state; `checkpoint` throws when storage refuses. */
export interface TaskHubStore {
  checkpoint(checkpoint: Checkpoint): Promise<void>;
}

export interface DurableOptions {
  readonly core: FakeCore;
  /** The task hub's state store. @default none (state in memory only) */
  readonly store?: TaskHubStore;
  /** Delay before an abandoned episode (its checkpoint refused) is retried. @default 1000 */
  readonly abandonRetryMs?: number;
  readonly hubName: string;
  /** host.json durableTask.overridableExistingInstanceStates (default: AnyState). */
  readonly overridable: "AnyState" | "NonRunningStates";
  readonly log: (message: string, level?: "info" | "error") => void;
}

export class DurableHost {
  readonly #instances = new Map<string, Instance>();
  rpcBaseUrl = "";

  constructor(private readonly options: DurableOptions) {}

  #find(type: string, name: string): Registration {
    const r = this.options.core.registrations.find((x) => x.trigger.type === type && x.metadata.name === name);
    if (!r) throw new Error(`twin durable: no ${type} function named ${name} is registered`);
    return r;
  }

  /** The durable client binding's data (what the extension passes to a function with `durableClient` input). */
  clientData(): string {
    return JSON.stringify({
      taskHubName: this.options.hubName,
      creationUrls: {},
      managementUrls: {},
      baseUrl: this.rpcBaseUrl,
      requiredQueryStringParameters: "",
      rpcBaseUrl: this.rpcBaseUrl,
    });
  }

  status(id: string): Record<string, unknown> | undefined {
    const i = this.#instances.get(id);
    if (!i) return undefined;
    return {
      name: i.name,
      instanceId: i.id,
      createdTime: i.created.toISOString(),
      lastUpdatedTime: i.updated.toISOString(),
      input: i.input ?? null,
      output: i.output ?? null,
      runtimeStatus: i.status,
      customStatus: i.customStatus ?? null,
    };
  }

  instances(): Record<string, unknown>[] {
    return [...this.#instances.keys()].map((id) => this.status(id)!);
  }

  start(name: string, id: string, input: unknown): { ok: true } | { ok: false; status: number; message: string } {
    this.#find("orchestrationTrigger", name);
    const existing = this.#instances.get(id);
    if (existing && (this.options.overridable === "NonRunningStates" ? ["Pending", "Running"].includes(existing.status) : false)) {
      return { ok: false, status: 409, message: `An instance with ID '${id}' already exists (${existing.status}) and overridableExistingInstanceStates is NonRunningStates.` };
    }
    const now = new Date();
    const instance: Instance = {
      id, name, input, created: now, updated: now, status: "Pending", history: [], recorded: 0, persisted: 0, latest: [],
      output: undefined, customStatus: undefined, nextId: 0, chain: Promise.resolve(), timers: [],
    };
    this.#instances.set(id, instance);
    this.#push(instance, EVENT.OrchestratorStarted, {});
    this.#push(instance, EVENT.ExecutionStarted, { Name: name, Input: JSON.stringify(input ?? null) });
    this.#episode(instance);
    return { ok: true };
  }

  raise(id: string, event: string, data: unknown): number {
    const i = this.#instances.get(id);
    if (!i) return 404;
    if (!["Pending", "Running"].includes(i.status)) return 410;
    this.#push(i, EVENT.OrchestratorStarted, {});
    this.#push(i, EVENT.EventRaised, { Name: event, Input: JSON.stringify(data ?? null) });
    this.#episode(i);
    return 202;
  }

  #push(i: Instance, type: number, fields: Record<string, unknown>, eventId = -1): void {
    i.history.push({ EventType: type, EventId: eventId, IsPlayed: false, Timestamp: new Date(), ...fields });
  }

  /** Queues one replay of the orchestrator (serialised per instance). */
  #episode(i: Instance): void {
    i.chain = i.chain.then(() => this.#replay(i)).catch((error: unknown) => {
      i.status = "Failed";
      i.output = String(error);
      this.options.log(`orchestration ${i.id} failed in the twin: ${(error as Error).stack ?? String(error)}`);
    });
  }

  async #replay(i: Instance): Promise<void> {
    if (!["Pending", "Running"].includes(i.status)) return;
    const registration = this.#find("orchestrationTrigger", i.name);
    const trigger = {
      history: i.history,
      input: i.input,
      instanceId: i.id,
      isReplaying: false,
      parentInstanceId: "",
      upperSchemaVersion: 3,
      maximumShortTimerDuration: "6.00:00:00",
      longRunningTimerIntervalDuration: "3.00:00:00",
      defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    };
    let state: { isDone?: boolean; actions?: Action[][]; output?: unknown; error?: string; customStatus?: unknown };
    try {
      const response = await this.options.core.invoke(registration, [{ name: registration.triggerName, data: { string: JSON.stringify(trigger) } }]);
      state = fromTypedData(response.returnValue) as typeof state;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const marker = message.indexOf("$OutOfProcData$:");
      state = marker >= 0 ? (JSON.parse(message.slice(marker + "$OutOfProcData$:".length)) as typeof state) : { isDone: true, error: message };
      const output = state.error ?? message;
      if (!(await this.#checkpoint(i, "Failed", output, i.customStatus))) return;
      i.status = "Failed";
      i.output = output;
      i.updated = new Date();
      this.options.log(`orchestration ${i.name} ${i.id} Failed: ${i.output as string}`);
      return;
    }
    if (!(await this.#checkpoint(i, state.isDone ? "Completed" : "Running", state.isDone ? state.output : undefined, state.customStatus))) return;
    for (const e of i.history) e.IsPlayed = true;
    i.status = "Running";
    i.customStatus = state.customStatus;
    i.updated = new Date();
    const actions = flatten((state.actions ?? []).flat());
    for (let n = i.recorded; n < actions.length; n++) this.#schedule(i, actions[n]!, n);
    i.recorded = actions.length;
    i.latest = actions;
    if (state.isDone) {
      i.status = "Completed";
      i.output = state.output;
      for (const t of i.timers) clearTimeout(t);
      this.options.log(`orchestration ${i.name} ${i.id} Completed: ${JSON.stringify(state.output)}`);
    }
  }

  /**
   * Writes the episode's new history and the instance's state before anything of the episode takes
   * effect. On a refusal the episode is abandoned (logged) and replayed later, as the extension
   * abandons a work item whose commit fails. True when written (or when there is no store).
   */
  async #checkpoint(i: Instance, runtimeStatus: Instance["status"], output: unknown, customStatus: unknown): Promise<boolean> {
    const store = this.options.store;
    if (!store) return true;
    const upTo = i.history.length;
    try {
      await store.checkpoint({
        instanceId: i.id,
        name: i.name,
        runtimeStatus,
        input: i.input,
        output,
        customStatus,
        createdTime: i.created,
        lastUpdatedTime: new Date(),
        newEvents: i.history.slice(i.persisted, upTo).map((event, n) => ({ sequence: i.persisted + n, event })),
      });
      i.persisted = upTo;
      return true;
    } catch (error) {
      const delay = this.options.abandonRetryMs ?? 1000;
      this.options.log(`task hub ${this.options.hubName}: checkpoint of orchestration ${i.name} ${i.id} failed, episode abandoned (retried in ${delay} ms): ${(error as Error).message}`, "error");
      setTimeout(() => this.#episode(i), delay).unref();
      return false;
    }
  }

  #schedule(i: Instance, action: Action, index: number): void {
    switch (action.actionType) {
      case ACTION.CallActivity:
      case ACTION.CallActivityWithRetry: {
        const id = i.nextId++;
        this.#push(i, EVENT.TaskScheduled, { Name: action.functionName, Input: action.input }, id);
        this.#attempt(i, action, id, 1);
        return;
      }
      case ACTION.CreateTimer: {
        const id = i.nextId++;
        const fireAt = new Date(String(action.fireAt instanceof Date ? action.fireAt.toISOString() : action.fireAt));
        this.#push(i, EVENT.TimerCreated, { FireAt: fireAt }, id);
        const t = setTimeout(() => {
          if (i.latest[index]?.isCanceled) return;
          this.#push(i, EVENT.OrchestratorStarted, {});
          this.#push(i, EVENT.TimerFired, { TimerId: id, FireAt: fireAt });
          this.#episode(i);
        }, Math.max(0, fireAt.getTime() - Date.now()));
        t.unref();
        i.timers.push(t);
        return;
      }
      case ACTION.WaitForExternalEvent:
        return;
      default:
        throw new Error(`twin durable: action type ${action.actionType} (${JSON.stringify(action).slice(0, 120)}) is not emulated`);
    }
  }

  #attempt(i: Instance, action: Action, id: number, attempt: number): void {
    const name = action.functionName ?? "";
    const registration = this.#find("activityTrigger", name);
    const input = typeof action.input === "string" ? action.input : JSON.stringify(action.input ?? null);
    void this.options.core
      .invoke(registration, [{ name: registration.triggerName, data: { json: input } }])
      .then((response) => ({ ok: true as const, result: fromTypedData(response.returnValue) }))
      .catch((error: unknown) => ({ ok: false as const, error: error instanceof Error ? error.message : String(error) }))
      .then((outcome) => {
        this.#push(i, EVENT.OrchestratorStarted, {});
        if (outcome.ok) {
          this.#push(i, EVENT.TaskCompleted, { TaskScheduledId: id, Result: JSON.stringify(outcome.result ?? null) });
          this.#episode(i);
          return;
        }
        this.options.log(`activity ${name} attempt ${attempt} failed: ${outcome.error}`);
        this.#push(i, EVENT.TaskFailed, { TaskScheduledId: id, Reason: outcome.error, Details: `${name} attempt ${attempt}` });
        this.#episode(i);
        const retry = action.retryOptions;
        if (action.actionType !== ACTION.CallActivityWithRetry || !retry) return;
        // RetryableTask: after a failed attempt a retry timer fires, then the next attempt is scheduled.
        const timerId = i.nextId++;
        const delay = Math.min(
          retry.firstRetryIntervalInMilliseconds * (retry.backoffCoefficient ?? 1) ** (attempt - 1),
          retry.maxRetryIntervalInMilliseconds && retry.maxRetryIntervalInMilliseconds > 0 ? retry.maxRetryIntervalInMilliseconds : Number.POSITIVE_INFINITY,
        );
        const fireAt = new Date(Date.now() + delay);
        this.#push(i, EVENT.TimerCreated, { FireAt: fireAt }, timerId);
        const t = setTimeout(() => {
          this.#push(i, EVENT.OrchestratorStarted, {});
          this.#push(i, EVENT.TimerFired, { TimerId: timerId, FireAt: fireAt });
          if (attempt < retry.maxNumberOfAttempts) {
            const next = i.nextId++;
            this.#push(i, EVENT.TaskScheduled, { Name: name, Input: action.input }, next);
            this.#attempt(i, action, next, attempt + 1);
          }
          this.#episode(i);
        }, delay);
        t.unref();
        i.timers.push(t);
      });
  }

  /** The extension's HTTP API (the subset DurableClient uses with rpcBaseUrl). Returns false when not a durable path. */
  async handleHttp(path: string, req: IncomingMessage, res: ServerResponse, body: string): Promise<boolean> {
    const m = /^\/runtime\/webhooks\/durabletask\/(.*)$/.exec(path);
    if (!m) return false;
    const url = new URL(`http://x/${m[1]}`);
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(value === undefined ? "" : JSON.stringify(value));
    };
    if (req.method === "POST" && parts[0] === "orchestrators" && parts[1]) {
      const id = parts[2] ?? randomUUID().replace(/-/g, "");
      const started = this.start(parts[1], id, body ? (JSON.parse(body) as unknown) : undefined);
      if (!started.ok) return json(started.status, { Message: started.message }), true;
      return json(202, { id, statusQueryGetUri: `${this.rpcBaseUrl}instances/${id}` }), true;
    }
    if (req.method === "GET" && parts[0] === "instances" && parts[1]) {
      const status = this.status(parts[1]);
      if (!status) return json(404, undefined), true;
      return json(["Pending", "Running"].includes(String(status.runtimeStatus)) ? 202 : 200, status), true;
    }
    if (req.method === "GET" && parts[0] === "instances") return json(200, this.instances()), true;
    if (req.method === "POST" && parts[0] === "instances" && parts[1] && parts[2] === "raiseEvent" && parts[3]) {
      return json(this.raise(parts[1], parts[3], body ? (JSON.parse(body) as unknown) : null), undefined), true;
    }
    json(501, { Message: `twin durable: ${req.method} ${url.pathname} is not emulated` });
    return true;
  }
}
