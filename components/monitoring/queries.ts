/**
 * The KQL the alerts and the workbook run, kept in one place and kept simple: each query is pinned by
 * a test, so a change here is a reviewed change to what wakes someone up.
 *
 * Tables: alerts and workbook items scoped to Application Insights use its classic names
 * (`requests`, `exceptions`, `traces`, with `itemCount` so sampled rows count for what they stand
 * for); items scoped to the Log Analytics workspace read the resource-specific tables the diagnostic
 * settings fill (`StorageQueueLogs`, `CDBDataPlaneRequests`; see components/core/diagnostics.ts, destination
 * "Dedicated").
 */

/** A KQL string literal (double-quoted, JSON escaping is valid KQL escaping). */
export function kqlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * Failure rate (percent) of one function app's executions over the alert window, from App Insights
 * `requests`: every trigger (HTTP, queue, Event Grid, Durable activity) records one request per
 * execution with `success`. Returns no row below `minimumRequests`, so one failed call in a quiet
 * window does not page anyone.
 */
export function functionFailureRateQuery(roleName: string, minimumRequests: number): string {
  return [
    "requests",
    `| where cloud_RoleName == ${kqlString(roleName)}`,
    "| summarize Total = sum(itemCount), Failed = sumif(itemCount, success == false)",
    `| where Total >= ${minimumRequests}`,
    "| extend FailureRatePercent = round(100.0 * Failed / Total, 2)",
    "| project FailureRatePercent, Failed, Total",
  ].join("\n");
}

/** The column of {@link functionFailureRateQuery} the alert compares with its threshold. */
export const FAILURE_RATE_COLUMN = "FailureRatePercent";

/**
 * The queue name of a `StorageQueueLogs` row: the first path segment of the request URI
 * (`https://<account>.queue.core.windows.net/<queue>/messages`).
 */
const QUEUE_NAME = 'extend Queue = tostring(split(parse_url(Uri).Path, "/")[1])';

/**
 * Messages written to `-poison` queues of one storage account during the window. The Functions host
 * moves a message that failed `maxDequeueCount` times with a PutMessage on `<queue>-poison`, so each
 * row is one message given up on.
 */
export function poisonMessagesQuery(storageAccountName: string): string {
  return [
    "StorageQueueLogs",
    `| where AccountName == ${kqlString(storageAccountName)} and OperationName == "PutMessage"`,
    `| ${QUEUE_NAME}`,
    '| where Queue endswith "-poison"',
    "| summarize PoisonMessages = count()",
  ].join("\n");
}

/** The column of {@link poisonMessagesQuery} the alert compares with its threshold. */
export const POISON_MESSAGES_COLUMN = "PoisonMessages";

// ---------------------------------------------------------------------------------------------
// Workbook queries (the views an on-call engineer opens first).

/** Requests, failures, failure rate and p95 duration per service (cloud_RoleName = the function app). */
export const REQUESTS_PER_SERVICE = [
  "requests",
  "| summarize Requests = sum(itemCount), Failed = sumif(itemCount, success == false), P95DurationMs = percentile(duration, 95) by Service = cloud_RoleName",
  "| extend FailureRatePercent = round(100.0 * Failed / Requests, 2)",
  "| order by Failed desc",
].join("\n");

/** Failed executions per service over time. */
export const FAILURES_OVER_TIME = [
  "requests",
  "| where success == false",
  "| summarize Failed = sum(itemCount) by Service = cloud_RoleName, bin(timestamp, 5m)",
  "| render timechart",
].join("\n");

/** The most frequent exceptions per service. */
export const TOP_EXCEPTIONS = [
  "exceptions",
  "| summarize Count = sum(itemCount), LastSeen = max(timestamp) by Service = cloud_RoleName, ProblemId = problemId",
  "| top 20 by Count desc",
].join("\n");

/**
 * Messages put and deleted per queue in the time range. Storage queue metrics are account-level
 * only (no per-queue dimension), so the per-queue view comes from the queue service's logs: Put −
 * Deleted is the change of the queue's depth over the range.
 */
export const QUEUE_FLOW = [
  "StorageQueueLogs",
  '| where OperationName in ("PutMessage", "DeleteMessage")',
  `| ${QUEUE_NAME}`,
  '| summarize Put = countif(OperationName == "PutMessage"), Deleted = countif(OperationName == "DeleteMessage") by Account = AccountName, Queue',
  "| extend DepthChange = Put - Deleted",
  "| order by DepthChange desc",
].join("\n");

/** Messages that reached a poison queue, per queue, with the latest arrival. */
export const POISON_QUEUES = [
  "StorageQueueLogs",
  '| where OperationName == "PutMessage"',
  `| ${QUEUE_NAME}`,
  '| where Queue endswith "-poison"',
  "| summarize PoisonMessages = count(), LastArrival = max(TimeGenerated) by Account = AccountName, Queue",
  "| order by LastArrival desc",
].join("\n");

/**
 * The Durable Functions extension's tracking events (category `Host.Triggers.DurableTask`, fields
 * `prop__*`): one row per orchestration lifecycle event. Traces are sampled (only requests and
 * exceptions are excluded from sampling), so counts are a lower bound outside of 100 % sampling.
 */
const DURABLE_TRACKING = [
  "traces",
  '| where customDimensions.Category == "Host.Triggers.DurableTask"',
  "| extend FunctionType = tostring(customDimensions.prop__functionType), State = tostring(customDimensions.prop__state), Orchestration = tostring(customDimensions.prop__functionName), InstanceId = tostring(customDimensions.prop__instanceId)",
  '| where FunctionType == "Orchestrator"',
];

/** Orchestration outcomes (Completed / Failed / Terminated) per service and orchestrator. */
export const ORCHESTRATION_OUTCOMES = [
  ...DURABLE_TRACKING,
  '| where State in ("Completed", "Failed", "Terminated")',
  "| summarize Instances = dcount(InstanceId) by Service = cloud_RoleName, Orchestration, State",
  "| order by Service asc, Orchestration asc, State asc",
].join("\n");

/** The latest failed orchestration instances, with the reason the extension recorded. */
export const FAILED_ORCHESTRATIONS = [
  ...DURABLE_TRACKING,
  '| where State == "Failed"',
  "| project timestamp, Service = cloud_RoleName, Orchestration, InstanceId, Reason = tostring(customDimensions.prop__reason)",
  "| top 50 by timestamp desc",
].join("\n");

/** Request units and throttled (429) requests over time (Cosmos DB data-plane logs). */
export const COSMOS_RU_OVER_TIME = [
  "CDBDataPlaneRequests",
  "| summarize RequestUnits = sum(RequestCharge), Throttled = countif(StatusCode == 429) by bin(TimeGenerated, 5m)",
  "| render timechart",
].join("\n");

/** Request units, requests and throttles per database and container. */
export const COSMOS_RU_PER_CONTAINER = [
  "CDBDataPlaneRequests",
  "| summarize RequestUnits = round(sum(RequestCharge), 1), Requests = count(), Throttled = countif(StatusCode == 429) by DatabaseName, CollectionName",
  "| order by RequestUnits desc",
].join("\n");
