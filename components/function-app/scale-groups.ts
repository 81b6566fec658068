/**
 * Flex Consumption scale groups (learn.microsoft.com/azure/azure-functions/flex-consumption-plan,
 * "Per-function scaling"): all HTTP triggers scale together (`http`), all Durable Functions triggers
 * together (`durable`), all blob triggers together (`blob`: Flex supports only the Event Grid-based
 * blob trigger); every other function scales on its own (`function:<name>`). Always-ready
 * instances are configured, and with zone redundancy kept at 2 at least, per scale group.
 *
 * Pure: read by the component (always-ready names) and by the cost estimate (what is billed idle).
 */

/** A function's name and its trigger binding's type (`httpTrigger`, `timerTrigger`, ...). */
export interface FunctionTrigger {
  readonly name: string;
  readonly trigger: string;
}

const DURABLE_TRIGGERS = new Set(["orchestrationtrigger", "activitytrigger", "entitytrigger"]);

/** The scale group of one function. */
export function scaleGroupOf(fn: FunctionTrigger): string {
  const t = fn.trigger.toLowerCase();
  if (t === "httptrigger") return "http";
  if (DURABLE_TRIGGERS.has(t)) return "durable";
  if (t === "blobtrigger") return "blob";
  return `function:${fn.name}`;
}

/** The scale groups of an app's functions, each once, in first-seen order. */
export function scaleGroups(functions: readonly FunctionTrigger[]): string[] {
  return [...new Set(functions.map(scaleGroupOf))];
}
