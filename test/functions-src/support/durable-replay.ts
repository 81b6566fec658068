/**
 * Runs an orchestrator through durable-functions' own replay engine (its Orchestrator and
 * TaskOrchestrationExecutor), playing the part of the Durable Task backend: it appends history events
 * (TaskScheduled/Completed/Failed, TimerCreated/Fired, EventRaised) on a virtual clock, replays the
 * orchestrator from the start after each one (as the real host does), and schedules what it asks for.
 *
 * Activity retries follow the library's RetryableTask contract: after a failed attempt the backend
 * creates a retry timer (the delay from the RetryOptions' backoff) and, once it fires, schedules the next
 * attempt, each with the next sequence number.
 *
 * Replaying from scratch every episode also checks determinism: a non-deterministic orchestrator would
 * produce a different action list than the one already recorded, which this runner rejects.
 */
import { InvocationContext } from "@azure/functions";
import type { OrchestrationHandler } from "durable-functions";
import { ACTION, EVENT } from "../../../engine/twin/host/durable-protocol";

/**
 * What an activity attempt does: return a value, throw, or never finish (e.g. a hung back end); or
 * `run` a side effect when the attempt completes (after `durationMs`), its return value or thrown error
 * being the result: how tests model activities that race with other activities or raised events.
 */
export type ActivityBehaviour =
  | { readonly result: unknown; readonly durationMs?: number }
  | { readonly error: string; readonly durationMs?: number }
  | { readonly run: (atMs: number) => unknown; readonly durationMs?: number }
  | { readonly hang: true };

/** Something that happens outside the orchestration at a virtual time (e.g. a starter raising an event). */
export interface TimelineStep {
  readonly atMs: number;
  readonly run: (raise: (name: string, data: unknown) => void) => void | Promise<void>;
}

export interface RaisedEvent {
  readonly name: string;
  readonly data: unknown;
  /** Raise it as soon as this activity is first scheduled (so it arrives while the activity runs). */
  readonly whenScheduled: string;
}

export interface ReplayScript {
  readonly input: unknown;
  readonly instanceId?: string;
  readonly start?: Date;
  readonly activity: (name: string, input: unknown, attempt: number) => ActivityBehaviour;
  readonly events?: readonly RaisedEvent[];
  readonly timeline?: readonly TimelineStep[];
  /** Safety net against a runaway orchestration. @default 500 */
  readonly maxEpisodes?: number;
}

export interface ActivityCall {
  readonly name: string;
  readonly input: unknown;
  readonly attempt: number;
  /** Virtual milliseconds since the start. */
  readonly atMs: number;
}

export interface ReplayResult {
  /** The orchestrator returned. */
  readonly completed: boolean;
  /** The orchestrator threw (the instance would be Failed). */
  readonly failed: boolean;
  readonly output: unknown;
  readonly error?: string;
  /** Every activity execution, in order (retries included). */
  readonly calls: readonly ActivityCall[];
  readonly customStatus: unknown;
  /** Virtual milliseconds the orchestration took. */
  readonly elapsedMs: number;
  readonly episodes: number;
}



interface Action {
  readonly actionType: number;
  readonly functionName?: string;
  readonly input?: unknown;
  readonly fireAt?: Date;
  readonly isCanceled?: boolean;
  readonly externalEventName?: string;
  readonly compoundActions?: readonly Action[];
  readonly retryOptions?: {
    readonly firstRetryIntervalInMilliseconds: number;
    readonly maxNumberOfAttempts: number;
    readonly backoffCoefficient?: number;
    readonly maxRetryIntervalInMilliseconds?: number;
  };
}

interface OrchestratorStateLike {
  readonly isDone: boolean;
  readonly actions: readonly (readonly Action[])[];
  readonly output?: unknown;
  readonly error?: string;
  readonly customStatus?: unknown;
}

type Listener = (trigger: unknown, context: InvocationContext) => Promise<OrchestratorStateLike>;

async function listenerFor(fn: OrchestrationHandler): Promise<Listener> {
  // Internal module of durable-functions (no public entry for a bare replay); loaded by path.
  const modulePath = "durable-functions/lib/src/orchestrations/Orchestrator.js";
  const mod = (await import(modulePath)) as {
    Orchestrator?: new (f: OrchestrationHandler) => { listen(): Listener };
    default?: { Orchestrator: new (f: OrchestrationHandler) => { listen(): Listener } };
  };
  const Orchestrator = mod.Orchestrator ?? mod.default?.Orchestrator;
  if (!Orchestrator) throw new Error("durable-functions' Orchestrator class not found");
  return new Orchestrator(fn).listen();
}

function flatten(actions: readonly Action[]): Action[] {
  return actions.flatMap((a) =>
    a.actionType === ACTION.WhenAny || a.actionType === ACTION.WhenAll ? flatten(a.compoundActions ?? []) : [a],
  );
}

function serialise(action: Action): string {
  return JSON.stringify({ t: action.actionType, f: action.functionName, i: action.input, e: action.externalEventName, at: action.fireAt });
}

interface Pending {
  readonly dueMs: number;
  readonly order: number;
  readonly deliver: () => void | Promise<void>;
  /** For timers: the action's index, to drop timers cancelled by the orchestrator. */
  readonly timerAction?: number;
}

export async function runOrchestration(fn: OrchestrationHandler, script: ReplayScript): Promise<ReplayResult> {
  const listen = await listenerFor(fn);
  const start = script.start ?? new Date("2026-01-01T00:00:00.000Z");
  const instanceId = script.instanceId ?? "test-instance";
  const history: Record<string, unknown>[] = [];
  const calls: ActivityCall[] = [];
  const pending: Pending[] = [];
  const raised = new Set<number>();
  let clockMs = 0;
  let nextId = 0;
  let order = 0;
  let recorded: string[] = [];
  let latestActions: readonly Action[] | undefined;

  const at = (ms: number): Date => new Date(start.getTime() + ms);
  const push = (type: number, fields: Record<string, unknown>, eventId = -1): void => {
    history.push({ EventType: type, EventId: eventId, IsPlayed: false, Timestamp: at(clockMs), ...fields });
  };
  const enqueue = (dueMs: number, deliver: () => void | Promise<void>, timerAction?: number): void => {
    pending.push({ dueMs, order: order++, deliver, ...(timerAction !== undefined ? { timerAction } : {}) });
  };

  const runAttempt = (action: Action, id: number, attempt: number): void => {
    const name = action.functionName ?? "";
    const input = typeof action.input === "string" ? (JSON.parse(action.input) as unknown) : action.input;
    calls.push({ name, input, attempt, atMs: clockMs });
    const behaviour = script.activity(name, input, attempt);
    if ("hang" in behaviour) return;
    enqueue(clockMs + (behaviour.durationMs ?? 1_000), async () => {
      let outcome: { result: unknown } | { error: string } = "run" in behaviour ? { result: undefined } : behaviour;
      if ("run" in behaviour) {
        try {
          outcome = { result: await behaviour.run(clockMs) };
        } catch (error) {
          outcome = { error: error instanceof Error ? error.message : String(error) };
        }
      }
      if ("result" in outcome) {
        push(EVENT.TaskCompleted, { TaskScheduledId: id, Result: JSON.stringify(outcome.result ?? null) });
        return;
      }
      push(EVENT.TaskFailed, { TaskScheduledId: id, Reason: outcome.error, Details: `${name} attempt ${attempt}` });
      const retry = action.retryOptions;
      if (action.actionType !== ACTION.CallActivityWithRetry || !retry) return;
      // The library waits for a retry timer after every failed attempt, the last one included.
      const timerId = nextId++;
      const delay = Math.min(
        retry.firstRetryIntervalInMilliseconds * (retry.backoffCoefficient ?? 1) ** (attempt - 1),
        retry.maxRetryIntervalInMilliseconds && retry.maxRetryIntervalInMilliseconds > 0
          ? retry.maxRetryIntervalInMilliseconds
          : Number.POSITIVE_INFINITY,
      );
      push(EVENT.TimerCreated, { FireAt: at(clockMs + delay) }, timerId);
      enqueue(clockMs + delay, () => {
        push(EVENT.TimerFired, { TimerId: timerId, FireAt: at(clockMs) });
        if (attempt >= retry.maxNumberOfAttempts) return;
        const nextAttemptId = nextId++;
        push(EVENT.TaskScheduled, { Name: name, Input: action.input }, nextAttemptId);
        runAttempt(action, nextAttemptId, attempt + 1);
      });
    });
  };

  const schedule = (action: Action, index: number): void => {
    switch (action.actionType) {
      case ACTION.CallActivity:
      case ACTION.CallActivityWithRetry: {
        const id = nextId++;
        push(EVENT.TaskScheduled, { Name: action.functionName, Input: action.input }, id);
        runAttempt(action, id, 1);
        script.events?.forEach((event, i) => {
          if (!raised.has(i) && event.whenScheduled === action.functionName) {
            raised.add(i);
            enqueue(clockMs, () => push(EVENT.EventRaised, { Name: event.name, Input: JSON.stringify(event.data) }));
          }
        });
        return;
      }
      case ACTION.CreateTimer: {
        const id = nextId++;
        const fireAt = action.fireAt instanceof Date ? action.fireAt : new Date(String(action.fireAt));
        push(EVENT.TimerCreated, { FireAt: fireAt }, id);
        enqueue(fireAt.getTime() - start.getTime(), () => push(EVENT.TimerFired, { TimerId: id, FireAt: fireAt }), index);
        return;
      }
      case ACTION.WaitForExternalEvent:
        return;
      default:
        throw new Error(`the replay runner does not support action type ${action.actionType}`);
    }
  };

  push(EVENT.OrchestratorStarted, {});
  push(EVENT.ExecutionStarted, { Name: "orchestrator", Input: JSON.stringify(script.input) });
  for (const step of script.timeline ?? []) {
    enqueue(step.atMs, () =>
      step.run((name, data) => push(EVENT.EventRaised, { Name: name, Input: JSON.stringify(data) })),
    );
  }

  const maxEpisodes = script.maxEpisodes ?? 500;
  for (let episode = 1; episode <= maxEpisodes; episode++) {
    const context = new InvocationContext({ invocationId: `episode-${episode}`, functionName: "orchestrator", logHandler: () => undefined });
    let state: OrchestratorStateLike;
    let failure: string | undefined;
    try {
      state = await listen(
        {
          history,
          input: script.input,
          instanceId,
          isReplaying: false,
          parentInstanceId: "",
          upperSchemaVersion: 3,
          maximumShortTimerDuration: "6.00:00:00",
          longRunningTimerIntervalDuration: "3.00:00:00",
          defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
        },
        context,
      );
    } catch (error) {
      // OrchestrationFailureError: the message carries the orchestrator's state (with its error) as JSON.
      const message = error instanceof Error ? error.message : String(error);
      const marker = message.indexOf("$OutOfProcData$:");
      const failedState =
        marker >= 0 ? (JSON.parse(message.slice(marker + "$OutOfProcData$:".length)) as OrchestratorStateLike) : undefined;
      failure = failedState?.error ?? message;
      state = failedState ?? { isDone: false, actions: [[]] };
    }
    for (const event of history) event.IsPlayed = true;
    const result0 = { calls, customStatus: state.customStatus, elapsedMs: clockMs, episodes: episode };
    if (failure !== undefined) return { ...result0, completed: false, failed: true, output: undefined, error: failure };
    const actions = flatten(state.actions.flat());
    const signature = actions.map(serialise);
    for (let i = 0; i < recorded.length; i++) {
      if (signature[i] !== recorded[i]) {
        throw new Error(`non-deterministic orchestrator: action ${i} was ${recorded[i]}, now ${signature[i]}`);
      }
    }
    for (let i = recorded.length; i < actions.length; i++) schedule(actions[i]!, i);
    recorded = signature;
    latestActions = actions;
    const result = result0;
    if (state.isDone) return { ...result, completed: true, failed: false, output: state.output };

    // Deliver the next event in virtual time (dropping timers the orchestrator cancelled).
    let next: Pending | undefined;
    for (;;) {
      pending.sort((a, b) => a.dueMs - b.dueMs || a.order - b.order);
      next = pending.shift();
      if (!next || next.timerAction === undefined || !latestActions?.[next.timerAction]?.isCanceled) break;
    }
    if (!next) {
      return { ...result, completed: false, failed: false, output: undefined, error: "stuck: nothing left to deliver" };
    }
    clockMs = Math.max(clockMs, next.dueMs);
    push(EVENT.OrchestratorStarted, {});
    await next.deliver();
  }
  throw new Error(`orchestration did not finish within ${maxEpisodes} episodes`);
}
