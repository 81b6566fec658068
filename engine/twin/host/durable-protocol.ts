/**
 * The Durable Functions out-of-process wire enums (history event types, orchestrator action types),
 * read from the durable-functions library that speaks them (lib/src/history/HistoryEventType.js,
 * lib/src/actions/ActionType.js; not in its public typings), so the twin's host and the tests' replay
 * helper cannot drift from the library the bundles carry.
 */
type NumericEnum = Readonly<Record<string, number | string>>;

function load(path: string, name: string): NumericEnum {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- internal module of durable-functions (no typings, no exports map)
  const value = (require(path) as Record<string, unknown>)[name];
  if (value === null || typeof value !== "object") throw new Error(`durable-functions no longer provides ${name} at ${path}`);
  return value as NumericEnum;
}

function pick<K extends string>(source: NumericEnum, name: string, keys: readonly K[]): Readonly<Record<K, number>> {
  return Object.fromEntries(
    keys.map((k) => {
      const v = source[k];
      if (typeof v !== "number") throw new Error(`durable-functions ${name}.${k} is missing`);
      return [k, v];
    }),
  ) as Record<K, number>;
}

const history = load("durable-functions/lib/src/history/HistoryEventType", "HistoryEventType");
const actions = load("durable-functions/lib/src/actions/ActionType", "ActionType");

/** History event types the twin and the replay helper write. */
export const EVENT = pick(history, "HistoryEventType", [
  "ExecutionStarted",
  "ExecutionCompleted",
  "TaskScheduled",
  "TaskCompleted",
  "TaskFailed",
  "TimerCreated",
  "TimerFired",
  "OrchestratorStarted",
  "EventRaised",
] as const);

/** Orchestrator action types they read. */
export const ACTION = pick(actions, "ActionType", ["CallActivity", "CallActivityWithRetry", "CreateTimer", "WaitForExternalEvent", "WhenAny", "WhenAll"] as const);
