/**
 * The on-call workbook, generated from code: four sections (requests and failures per service,
 * queues and poison queues, orchestration outcomes, Cosmos DB request units and throttles), each a
 * group of KQL items. Pure and deterministic: the same ids give the same JSON, so an unchanged
 * workbook is never updated.
 *
 * Format: Azure Workbooks "Notebook/1.0" (items: type 1 = text, 3 = query, 12 = group). Queries of
 * the Application Insights sections run against the component (the workbook's `sourceId`); those
 * over resource logs run against the Log Analytics workspace (`crossComponentResources`).
 */
import * as queries from "./queries";

export const WORKBOOK_VERSION = "Notebook/1.0";
const SCHEMA = "https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json";
const DAY_MS = 24 * 60 * 60 * 1000;

export interface WorkbookTextItem {
  readonly type: 1;
  readonly name: string;
  readonly content: { readonly json: string };
}

export interface WorkbookQueryItem {
  readonly type: 3;
  readonly name: string;
  readonly content: {
    readonly version: "KqlItem/1.0";
    readonly title: string;
    readonly query: string;
    readonly size: 0;
    readonly timeContext: { readonly durationMs: number };
    /** 0 = Logs (KQL). */
    readonly queryType: 0;
    readonly resourceType: "microsoft.insights/components" | "microsoft.operationalinsights/workspaces";
    readonly crossComponentResources: readonly string[];
    readonly visualization: "table" | "timechart";
  };
}

export interface WorkbookGroupItem {
  readonly type: 12;
  readonly name: string;
  readonly content: {
    readonly version: "NotebookGroup/1.0";
    readonly groupType: "editable";
    readonly title: string;
    readonly items: readonly (WorkbookTextItem | WorkbookQueryItem)[];
  };
}

export interface WorkbookDefinition {
  readonly version: typeof WORKBOOK_VERSION;
  readonly items: readonly (WorkbookTextItem | WorkbookGroupItem)[];
  readonly fallbackResourceIds: readonly string[];
  readonly $schema: string;
}

export interface WorkbookSources {
  /** ARM id of the Application Insights component. */
  readonly appInsightsId: string;
  /** ARM id of the Log Analytics workspace the diagnostic settings send to. */
  readonly workspaceId: string;
}

/** The section names, in order (tests and the lead's docs refer to them). */
export const WORKBOOK_SECTIONS = ["requests", "queues", "orchestrations", "cosmos"] as const;

/** The on-call workbook's definition. */
export function workbookDefinition(sources: WorkbookSources): WorkbookDefinition {
  const queryFrom =
    (resourceType: WorkbookQueryItem["content"]["resourceType"], resourceId: string) =>
    (name: string, title: string, query: string, visualization: "table" | "timechart"): WorkbookQueryItem => ({
      type: 3,
      name,
      content: {
        version: "KqlItem/1.0",
        title,
        query,
        size: 0,
        timeContext: { durationMs: DAY_MS },
        queryType: 0,
        resourceType,
        crossComponentResources: [resourceId],
        visualization,
      },
    });
  const fromAppInsights = queryFrom("microsoft.insights/components", sources.appInsightsId);
  const fromWorkspace = queryFrom("microsoft.operationalinsights/workspaces", sources.workspaceId);
  const group = (name: (typeof WORKBOOK_SECTIONS)[number], title: string, items: WorkbookQueryItem[]): WorkbookGroupItem => ({
    type: 12,
    name,
    content: { version: "NotebookGroup/1.0", groupType: "editable", title, items },
  });

  return {
    version: WORKBOOK_VERSION,
    items: [
      {
        type: 1,
        name: "intro",
        content: {
          json:
            "## On-call overview\nStart with failures per service; then queues (a poison queue means messages were given up on), " +
            "orchestrations, and Cosmos DB throttling. Time range: last 24 hours.",
        },
      },
      group("requests", "Requests and failures per service", [
        fromAppInsights("requests-per-service", "Requests, failures and p95 duration per service", queries.REQUESTS_PER_SERVICE, "table"),
        fromAppInsights("failures-over-time", "Failed executions per service", queries.FAILURES_OVER_TIME, "timechart"),
        fromAppInsights("top-exceptions", "Most frequent exceptions", queries.TOP_EXCEPTIONS, "table"),
      ]),
      group("queues", "Queues and poison queues", [
        fromWorkspace("poison-queues", "Messages moved to poison queues", queries.POISON_QUEUES, "table"),
        fromWorkspace("queue-flow", "Messages put and deleted per queue (Put - Deleted = depth change)", queries.QUEUE_FLOW, "table"),
      ]),
      group("orchestrations", "Orchestration outcomes (Durable Functions)", [
        fromAppInsights("orchestration-outcomes", "Orchestration outcomes per service", queries.ORCHESTRATION_OUTCOMES, "table"),
        fromAppInsights("failed-orchestrations", "Latest failed orchestrations", queries.FAILED_ORCHESTRATIONS, "table"),
      ]),
      group("cosmos", "Cosmos DB request units and throttles", [
        fromWorkspace("cosmos-ru-over-time", "Request units and throttled requests", queries.COSMOS_RU_OVER_TIME, "timechart"),
        fromWorkspace("cosmos-ru-per-container", "Request units and throttles per container", queries.COSMOS_RU_PER_CONTAINER, "table"),
      ]),
    ],
    fallbackResourceIds: [sources.appInsightsId],
    $schema: SCHEMA,
  };
}

/** The workbook's `serializedData`. */
export function serializeWorkbook(sources: WorkbookSources): string {
  return JSON.stringify(workbookDefinition(sources));
}
