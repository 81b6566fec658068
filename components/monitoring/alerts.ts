/**
 * Alert rules: one builder per signal, each taking its scope, threshold, window and frequency (with
 * defaults), a severity class (`failure` or `degradation`, mapped to the stack's configured
 * severities) and the action group. `Observability` calls them with `{ parent: this }`.
 *
 * Cost (AZURE-PRICES.md): a metric alert is $0.10 per monitored time series per month after the
 * first 10 (every rule here monitors one series: no dimension splitting); a log search alert is
 * billed per rule by frequency: $1.50/month at 5 minutes, $1.00 at 10, $0.50 at 15 minutes or more
 * (1 minute, $3.00, is not offered here).
 */
import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import { type NameContext, physicalName } from "../core/naming";
import { resourceName } from "../core/standard";
import { FAILURE_RATE_COLUMN, POISON_MESSAGES_COLUMN, functionFailureRateQuery, poisonMessagesQuery } from "./queries";

/** Which configured severity an alert carries: `failure` (something is broken) or `degradation` (slow, throttled). */
export type SeverityClass = "failure" | "degradation";

/** Metric alert evaluation frequencies Azure accepts. */
export type MetricFrequency = "PT1M" | "PT5M" | "PT15M" | "PT30M" | "PT1H";
/** Metric alert windows Azure accepts. */
export type MetricWindow = "PT1M" | "PT5M" | "PT15M" | "PT30M" | "PT1H" | "PT6H" | "PT12H" | "P1D";
/** Log alert frequencies offered (1 minute costs twice 5 minutes and is left out). */
export type LogFrequency = "PT5M" | "PT10M" | "PT15M" | "PT30M" | "PT1H";
/** Log alert windows offered. */
export type LogWindow = "PT5M" | "PT10M" | "PT15M" | "PT30M" | "PT1H" | "PT2H" | "PT6H" | "PT12H" | "P1D";

const MINUTES: Readonly<Record<string, number>> = {
  PT1M: 1, PT5M: 5, PT10M: 10, PT15M: 15, PT30M: 30, PT1H: 60, PT2H: 120, PT6H: 360, PT12H: 720, P1D: 1440,
};

/** What every alert of a stack shares. */
export interface AlertContext {
  /** The naming helper's prefix and environment. @default none: rules are named `<owner>-<rule>` */
  readonly names: NameContext | undefined;
  /** The logical name of the component that owns the alerts: without `names`, it starts each rule's name. */
  readonly owner: string;
  readonly resourceGroupName: pulumi.Input<string>;
  /** Region of log alerts (metric alerts are global resources). */
  readonly location: pulumi.Input<string>;
  readonly tags: pulumi.Input<Record<string, pulumi.Input<string>>> | undefined;
  /** The action group every alert notifies. */
  readonly actionGroupId: pulumi.Input<string>;
  /** The stack's severities (0 critical .. 4 verbose), from `monitoring.severity`. */
  readonly severity: { readonly failure: number; readonly degradation: number };
  /** Scope of the App Insights log alerts. */
  readonly appInsightsId: pulumi.Input<string>;
  /** Scope of the resource-log alerts. */
  readonly workspaceId: pulumi.Input<string>;
}

/** Timing and severity of a metric alert. */
export interface MetricAlertTiming {
  /** Period the metric is aggregated over. */
  readonly window?: MetricWindow;
  /** How often the rule is evaluated (does not change the price). */
  readonly frequency?: MetricFrequency;
  readonly severity?: SeverityClass;
}

/** Timing and severity of a log search alert. */
export interface LogAlertTiming {
  /** Period the query covers. */
  readonly window?: LogWindow;
  /** How often the query runs: this sets the price ($1.50/month at PT5M, $0.50 at PT15M+). */
  readonly frequency?: LogFrequency;
  readonly severity?: SeverityClass;
}

/** The last segment of an ARM id (the resource's name). */
export function armName(resourceId: string): string {
  const name = resourceId.split("/").filter((s) => s.length > 0).pop();
  if (!name) throw new Error(`not an ARM resource id: ${JSON.stringify(resourceId)}`);
  return name;
}

function checkTiming(where: string, window: string, frequency: string): void {
  if (MINUTES[window]! < MINUTES[frequency]!) {
    throw new Error(`${where}: window ${window} is shorter than the evaluation frequency ${frequency}; data between evaluations would be ignored`);
  }
}

function checkThreshold(where: string, what: string, value: number, max = Number.POSITIVE_INFINITY): void {
  if (!Number.isFinite(value) || value < 0 || value > max) {
    throw new Error(`${where}: ${what} must be a number from 0${Number.isFinite(max) ? ` to ${max}` : ""}, got ${value}`);
  }
}

/** An alert's timing as a caller gives it (any part left out) or as a builder resolves it. */
interface Timing<W extends string, F extends string> {
  readonly window?: W;
  readonly frequency?: F;
  readonly severity?: SeverityClass;
}

/** The caller's timing, each part falling back to the builder's default. */
function timingOf<W extends string, F extends string>(given: Timing<W, F>, defaults: Required<Timing<W, F>>): Required<Timing<W, F>> {
  return { window: given.window ?? defaults.window, frequency: given.frequency ?? defaults.frequency, severity: given.severity ?? defaults.severity };
}

/**
 * The caller's threshold and timing with the builder's defaults filled in; the threshold is checked
 * (`what` names its argument in the message, `max` bounds it).
 */
function withDefaults<W extends string, F extends string>(
  where: string,
  given: Timing<W, F> & { readonly threshold?: number },
  defaults: Required<Timing<W, F>> & { readonly threshold: number },
  what = "threshold",
  max?: number,
): { threshold: number; timing: Required<Timing<W, F>> } {
  const threshold = given.threshold ?? defaults.threshold;
  checkThreshold(where, what, threshold, max);
  return { threshold, timing: timingOf(given, defaults) };
}

interface MetricRule {
  readonly physical: string[];
  readonly description: string;
  readonly scope: pulumi.Input<string>;
  readonly metricNamespace: string;
  readonly metricName: string;
  readonly timeAggregation: "Total" | "Average" | "Count" | "Maximum";
  readonly threshold: number;
  readonly dimensions?: { name: string; operator: "Include"; values: string[] }[];
  readonly timing: Required<MetricAlertTiming>;
}

/** An alert rule's name: the naming helper's for `parts`, or without a naming context `<owner>-<parts>`. */
function ruleName(ctx: AlertContext, ...parts: string[]): string {
  if (ctx.names) return physicalName("alert", ctx.names, ...parts);
  return resourceName(`alert "${ctx.owner}-${parts.join("-")}"`, "ruleName", "alert", [ctx.owner, ...parts].join("-"), undefined);
}

function metricAlert(name: string, ctx: AlertContext, rule: MetricRule, opts: pulumi.CustomResourceOptions): monitor.MetricAlert {
  checkTiming(name, rule.timing.window, rule.timing.frequency);
  return new monitor.MetricAlert(
    name,
    {
      ruleName: ruleName(ctx, ...rule.physical),
      resourceGroupName: ctx.resourceGroupName,
      location: "global",
      tags: ctx.tags,
      description: rule.description,
      severity: ctx.severity[rule.timing.severity],
      enabled: true,
      scopes: [rule.scope],
      evaluationFrequency: rule.timing.frequency,
      windowSize: rule.timing.window,
      autoMitigate: true,
      criteria: {
        odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
        allOf: [
          {
            criterionType: "StaticThresholdCriterion",
            name: rule.metricName,
            metricNamespace: rule.metricNamespace,
            metricName: rule.metricName,
            operator: "GreaterThan",
            threshold: rule.threshold,
            timeAggregation: rule.timeAggregation,
            ...(rule.dimensions ? { dimensions: rule.dimensions } : {}),
          },
        ],
      },
      actions: [{ actionGroupId: ctx.actionGroupId }],
    },
    opts,
  );
}

interface LogRule {
  readonly physical: string[];
  readonly description: string;
  readonly scope: pulumi.Input<string>;
  readonly query: pulumi.Input<string>;
  readonly measureColumn: string;
  readonly timeAggregation: "Total" | "Maximum";
  readonly threshold: number;
  readonly timing: Required<LogAlertTiming>;
  /** Tables filled by diagnostic settings exist only once the first log arrives. */
  readonly skipQueryValidation: boolean;
}

function logAlert(name: string, ctx: AlertContext, rule: LogRule, opts: pulumi.CustomResourceOptions): monitor.ScheduledQueryRule {
  checkTiming(name, rule.timing.window, rule.timing.frequency);
  return new monitor.ScheduledQueryRule(
    name,
    {
      ruleName: ruleName(ctx, ...rule.physical),
      resourceGroupName: ctx.resourceGroupName,
      location: ctx.location,
      tags: ctx.tags,
      kind: monitor.Kind.LogAlert,
      description: rule.description,
      severity: ctx.severity[rule.timing.severity],
      enabled: true,
      scopes: [rule.scope],
      evaluationFrequency: rule.timing.frequency,
      windowSize: rule.timing.window,
      autoMitigate: true,
      skipQueryValidation: rule.skipQueryValidation,
      criteria: {
        allOf: [
          {
            query: rule.query,
            timeAggregation: rule.timeAggregation,
            metricMeasureColumn: rule.measureColumn,
            // Not monitor.ConditionOperator: that enum (shared with another API) holds "gt"; the rule expects "GreaterThan".
            operator: "GreaterThan",
            threshold: rule.threshold,
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
          },
        ],
      },
      actions: { actionGroups: [ctx.actionGroupId] },
    },
    opts,
  );
}

// ---------------------------------------------------------------------------------------------

export interface FunctionFailureAlertArgs extends LogAlertTiming {
  /** The service name (part of the rule's physical name). */
  readonly service: string;
  /** The app's `cloud_RoleName` in App Insights: the Function App's site name. */
  readonly roleName: pulumi.Input<string>;
  /** Failure rate (percent of executions) above which the alert fires. @default 5 */
  readonly thresholdPercent?: number;
  /** Executions in the window below which no rate is computed (quiet windows stay silent). @default 10 */
  readonly minimumRequests?: number;
}

/**
 * A function app's failure rate, from App Insights requests for its `cloud_RoleName`.
 *
 * Why not the site's `Http5xx` metric: it counts HTTP responses only, so failures of queue, Event
 * Grid and Durable activity executions (most of this system's work) never show in it, and a handler
 * that returns a 4xx on an internal error hides too. Every execution is an App Insights request with
 * `success`, whatever its trigger; requests are excluded from sampling (see
 * `functionsSamplingSettings`), so the rate is exact.
 *
 * Defaults: window PT15M, frequency PT5M ($1.50/month), severity `failure`.
 */
export function functionFailureAlert(
  name: string,
  ctx: AlertContext,
  args: FunctionFailureAlertArgs,
  opts: pulumi.CustomResourceOptions,
): monitor.ScheduledQueryRule {
  const { threshold, timing } = withDefaults(
    name,
    { ...args, threshold: args.thresholdPercent },
    { threshold: 5, window: "PT15M", frequency: "PT5M", severity: "failure" },
    "thresholdPercent",
    100,
  );
  const minimum = args.minimumRequests ?? 10;
  if (!Number.isInteger(minimum) || minimum < 1) throw new Error(`${name}: minimumRequests must be a positive integer, got ${minimum}`);
  return logAlert(
    name,
    ctx,
    {
      physical: [args.service, "failures"],
      description: `More than ${threshold}% of ${args.service}'s executions failed (at least ${minimum} executions in the window). Open the on-call workbook: requests and failures per service.`,
      scope: ctx.appInsightsId,
      query: pulumi.output(args.roleName).apply((role) => functionFailureRateQuery(role, minimum)),
      measureColumn: FAILURE_RATE_COLUMN,
      timeAggregation: "Maximum",
      threshold,
      timing,
      skipQueryValidation: false,
    },
    opts,
  );
}

export interface ApiServerErrorsAlertArgs extends MetricAlertTiming {
  /** ARM id of the API Management service. */
  readonly serviceId: pulumi.Input<string>;
  /** Gateway 5xx responses in the window above which the alert fires. @default 5 */
  readonly threshold?: number;
}

/**
 * Gateway 5xx responses: metric `Requests` (Total) filtered on `GatewayResponseCodeCategory` = 5xx.
 * `Requests` with its dimensions is emitted on every tier, Consumption included (the older
 * `FailedRequests` is deprecated). A count, not a ratio: metric alerts cannot divide two series.
 * Defaults: window PT5M, frequency PT1M, severity `failure`.
 */
export function apiServerErrorsAlert(
  name: string,
  ctx: AlertContext,
  args: ApiServerErrorsAlertArgs,
  opts: pulumi.CustomResourceOptions,
): monitor.MetricAlert {
  const { threshold, timing } = withDefaults(name, args, { threshold: 5, window: "PT5M", frequency: "PT1M", severity: "failure" });
  return metricAlert(
    name,
    ctx,
    {
      physical: ["apim", "5xx"],
      description: `The API gateway answered more than ${threshold} requests with a 5xx in the window.`,
      scope: args.serviceId,
      metricNamespace: "Microsoft.ApiManagement/service",
      metricName: "Requests",
      timeAggregation: "Total",
      threshold,
      dimensions: [{ name: "GatewayResponseCodeCategory", operator: "Include", values: ["5xx"] }],
      timing,
    },
    opts,
  );
}

export interface ApiLatencyAlertArgs extends MetricAlertTiming {
  /** ARM id of the API Management service. */
  readonly serviceId: pulumi.Input<string>;
  /** Average overall gateway duration (ms) above which the alert fires. @default 2000 */
  readonly thresholdMs?: number;
}

/**
 * Gateway latency: metric `Duration` (overall duration of gateway requests, ms, Average).
 * Defaults: window PT15M, frequency PT5M, severity `degradation`.
 */
export function apiLatencyAlert(name: string, ctx: AlertContext, args: ApiLatencyAlertArgs, opts: pulumi.CustomResourceOptions): monitor.MetricAlert {
  const { threshold, timing } = withDefaults(
    name,
    { ...args, threshold: args.thresholdMs },
    { threshold: 2000, window: "PT15M", frequency: "PT5M", severity: "degradation" },
    "thresholdMs",
  );
  return metricAlert(
    name,
    ctx,
    {
      physical: ["apim", "latency"],
      description: `The API gateway's average request duration exceeded ${threshold} ms.`,
      scope: args.serviceId,
      metricNamespace: "Microsoft.ApiManagement/service",
      metricName: "Duration",
      timeAggregation: "Average",
      threshold,
      timing,
    },
    opts,
  );
}

export interface PoisonQueueAlertArgs extends LogAlertTiming {
  /** Part of the rule's physical name (e.g. the messaging component's name). */
  readonly label: string;
  /** ARM id of the storage account holding the queues and their `-poison` companions. */
  readonly storageAccountId: pulumi.Input<string>;
  /** Poison messages in the window above which the alert fires. @default 0 (any) */
  readonly threshold?: number;
}

/**
 * Any message moved to a `-poison` queue of the account.
 *
 * Why a log query: storage queue metrics (`QueueMessageCount`) are per account, with no queue
 * dimension, so they cannot tell a poison queue from a busy work queue. The queue service's logs
 * (StorageQueueLogs, sent by the messaging component's diagnostic setting) record the PutMessage the
 * Functions host makes on `<queue>-poison` for each message it gives up on; the alert fires on each
 * such arrival, whatever queue, including queues added later. Needs the queue service's diagnostic
 * setting. Defaults: window PT15M, frequency PT15M ($0.50/month), severity `failure`.
 */
export function poisonQueueAlert(name: string, ctx: AlertContext, args: PoisonQueueAlertArgs, opts: pulumi.CustomResourceOptions): monitor.ScheduledQueryRule {
  const { threshold, timing } = withDefaults(name, args, { threshold: 0, window: "PT15M", frequency: "PT15M", severity: "failure" });
  return logAlert(
    name,
    ctx,
    {
      physical: [args.label, "poison"],
      description: "Messages reached a poison queue: they failed every retry and wait for someone to look. Open the on-call workbook: queues and poison queues.",
      scope: ctx.workspaceId,
      query: pulumi.output(args.storageAccountId).apply((id) => poisonMessagesQuery(armName(id))),
      measureColumn: POISON_MESSAGES_COLUMN,
      timeAggregation: "Total",
      threshold,
      timing,
      // StorageQueueLogs appears in the workspace with the first queue log; until then validation fails.
      skipQueryValidation: true,
    },
    opts,
  );
}

export interface DeadLetterAlertArgs extends MetricAlertTiming {
  /** Part of the rule's physical name (e.g. the topic component's name). */
  readonly label: string;
  /** ARM id of the Event Grid topic. */
  readonly topicId: pulumi.Input<string>;
  /** Dead-lettered events in the window above which the alert fires. @default 0 (any) */
  readonly threshold?: number;
}

/**
 * Event Grid deliveries given up on: metric `DeadLetteredCount` (Total) of the topic, all
 * subscriptions together (one series). Defaults: window PT15M, frequency PT5M, severity `failure`.
 */
export function deadLetterAlert(name: string, ctx: AlertContext, args: DeadLetterAlertArgs, opts: pulumi.CustomResourceOptions): monitor.MetricAlert {
  const { threshold, timing } = withDefaults(name, args, { threshold: 0, window: "PT15M", frequency: "PT5M", severity: "failure" });
  return metricAlert(
    name,
    ctx,
    {
      physical: [args.label, "deadletter"],
      description: "Event Grid dead-lettered events (delivery retries exhausted); see the topic's DeadLetteredCount by EventSubscriptionName and DeadLetterReason.",
      scope: args.topicId,
      metricNamespace: "Microsoft.EventGrid/topics",
      metricName: "DeadLetteredCount",
      timeAggregation: "Total",
      threshold,
      timing,
    },
    opts,
  );
}

export interface CosmosThrottlingAlertArgs extends MetricAlertTiming {
  /** ARM id of the Cosmos DB account. */
  readonly accountId: pulumi.Input<string>;
  /** Throttled (429) requests in the window above which the alert fires. @default 10 */
  readonly threshold?: number;
}

/**
 * Cosmos DB throttling: metric `TotalRequests` (Count) with `StatusCode` = 429. The SDK retries 429s,
 * so a few are harmless: severity `degradation`. Defaults: window PT15M, frequency PT5M.
 */
export function cosmosThrottlingAlert(name: string, ctx: AlertContext, args: CosmosThrottlingAlertArgs, opts: pulumi.CustomResourceOptions): monitor.MetricAlert {
  const { threshold, timing } = withDefaults(name, args, { threshold: 10, window: "PT15M", frequency: "PT5M", severity: "degradation" });
  return metricAlert(
    name,
    ctx,
    {
      physical: ["cosmos", "throttling"],
      description: `Cosmos DB throttled (429) more than ${threshold} requests in the window. Open the on-call workbook: Cosmos DB request units and throttles.`,
      scope: args.accountId,
      metricNamespace: "Microsoft.DocumentDB/databaseAccounts",
      metricName: "TotalRequests",
      timeAggregation: "Count",
      threshold,
      dimensions: [{ name: "StatusCode", operator: "Include", values: ["429"] }],
      timing,
    },
    opts,
  );
}

export interface AvailabilityAlertArgs extends MetricAlertTiming {
  /** ARM id of the availability test. */
  readonly webTestId: pulumi.Input<string>;
  /** Locations that must fail at the same time for the alert to fire. */
  readonly failedLocationCount: number;
  /** Test locations configured (the count cannot exceed them). */
  readonly locationCount: number;
}

/**
 * Availability test failures: the web-test location criterion (scopes: the test and the component).
 * Defaults: window PT5M, frequency PT1M, severity `failure`.
 */
export function availabilityAlert(name: string, ctx: AlertContext, args: AvailabilityAlertArgs, opts: pulumi.CustomResourceOptions): monitor.MetricAlert {
  if (!Number.isInteger(args.failedLocationCount) || args.failedLocationCount < 1 || args.failedLocationCount > args.locationCount) {
    throw new Error(`${name}: failedLocationCount must be 1-${args.locationCount} (the test's locations), got ${args.failedLocationCount}`);
  }
  const timing = timingOf(args, { window: "PT5M", frequency: "PT1M", severity: "failure" });
  checkTiming(name, timing.window, timing.frequency);
  return new monitor.MetricAlert(
    name,
    {
      ruleName: ruleName(ctx, "availability"),
      resourceGroupName: ctx.resourceGroupName,
      location: "global",
      tags: ctx.tags,
      description: `The gateway health check failed from ${args.failedLocationCount} or more test locations.`,
      severity: ctx.severity[timing.severity],
      enabled: true,
      scopes: [args.webTestId, ctx.appInsightsId],
      evaluationFrequency: timing.frequency,
      windowSize: timing.window,
      autoMitigate: true,
      criteria: {
        odataType: "Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria",
        webTestId: args.webTestId,
        componentId: ctx.appInsightsId,
        failedLocationCount: args.failedLocationCount,
      },
      actions: [{ actionGroupId: ctx.actionGroupId }],
    },
    opts,
  );
}
