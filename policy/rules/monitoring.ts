/**
 * Application Insights and diagnostic settings: telemetry lands in Log Analytics and is written
 * with Entra ID only.
 */
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import { validateResourceOfType, type PolicyResource } from "@pulumi/policy";
import { T, UNKNOWN, eqIgnoreCase, peek, propString, resourcePolicy, show, stackPolicy, type PlatformPolicy } from "./common";

export const appiWorkspace = resourcePolicy({
  name: "appi-workspace",
  description: "Application Insights components are workspace-based (workspaceResourceId set, ingestionMode LogAnalytics).",
  severity: "medium",
  anchors: ["Azure.AppInsights.Workspace"],
  remediationSteps: 'Set workspaceResourceId to the Log Analytics workspace id and ingestionMode: "LogAnalytics" (or leave ingestionMode unset).',
  validateResource: validateResourceOfType(applicationinsights.Component, (c, args, report) => {
    if (typeof c.workspaceResourceId !== "string" || c.workspaceResourceId.length === 0) {
      report(`Application Insights "${args.name}" has no workspaceResourceId: set it to the Log Analytics workspace id (classic components are retired).`);
    }
    if (c.ingestionMode !== undefined && !eqIgnoreCase(c.ingestionMode, "LogAnalytics")) {
      report(`Application Insights "${args.name}" has ingestionMode ${show(c.ingestionMode)}: set it to "LogAnalytics".`);
    }
  }),
});

export const appiLocalAuth = resourcePolicy({
  name: "appi-local-auth",
  description: "Application Insights accepts Entra-authenticated telemetry only (disableLocalAuth: true).",
  severity: "medium",
  anchors: ["Azure.AppInsights.LocalAuth"],
  remediationSteps:
    "Set disableLocalAuth: true; give each app APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD;ClientId=<identity client id> and Monitoring Metrics Publisher on the component.",
  validateResource: validateResourceOfType(applicationinsights.Component, (c, args, report) => {
    if (c.disableLocalAuth !== true) {
      report(`Application Insights "${args.name}" has disableLocalAuth ${show(c.disableLocalAuth)}: set it to true so the instrumentation key alone cannot write telemetry.`);
    }
  }),
});

/** Types that must send logs to Log Analytics, with their ARM type and physical-name input. */
export const DIAGNOSED_TYPES: Readonly<Record<string, { readonly armType: string; readonly nameKey: string; readonly label: string }>> = {
  [T.WebApp]: { armType: "Microsoft.Web/sites", nameKey: "name", label: "web app" },
  [T.Vault]: { armType: "Microsoft.KeyVault/vaults", nameKey: "vaultName", label: "Key Vault" },
  [T.DatabaseAccount]: { armType: "Microsoft.DocumentDB/databaseAccounts", nameKey: "accountName", label: "Cosmos DB account" },
  [T.ApiManagementService]: { armType: "Microsoft.ApiManagement/service", nameKey: "serviceName", label: "API Management" },
  [T.ServiceBusNamespace]: { armType: "Microsoft.ServiceBus/namespaces", nameKey: "namespaceName", label: "Service Bus namespace" },
  [T.StorageAccount]: { armType: "Microsoft.Storage/storageAccounts", nameKey: "accountName", label: "storage account" },
  [T.EventGridTopic]: { armType: "Microsoft.EventGrid/topics", nameKey: "topicName", label: "Event Grid topic" },
};

/** Whether diagnostic setting `diag` targets `r` (by dependency, or by the ARM id in resourceUri). */
export function diagnoses(diag: PolicyResource, r: PolicyResource): boolean {
  if ((diag.propertyDependencies["resourceUri"] ?? []).some((d) => d.urn === r.urn)) return true;
  const spec = DIAGNOSED_TYPES[r.type];
  const uri = peek(() => diag.props.resourceUri);
  const name = propString(r, spec?.nameKey ?? "name", "name");
  if (!spec || typeof uri !== "string" || !name) return false;
  return new RegExp(`/providers/${spec.armType.replace("/", "\\/")}/${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(/|$)`, "i").test(uri);
}

export const diagToLaw = stackPolicy({
  name: "diag-to-law",
  description:
    "Every web app, Key Vault, Cosmos DB account, API Management service, Service Bus namespace, storage account and Event Grid topic has a diagnostic setting sending to a Log Analytics workspace.",
  severity: "medium",
  anchors: ["Azure.ACR.AuditLogs", "Azure.AppConfig.AuditLogs"],
  remediationSteps: "Add a monitor:DiagnosticSetting with resourceUri: <resource id> (or a sub-service id) and workspaceId: <Log Analytics workspace id>.",
  validateStack: (args, report) => {
    const targets = args.resources.filter((r) => DIAGNOSED_TYPES[r.type] !== undefined);
    if (targets.length === 0) return args.notApplicable("no resources that need diagnostic settings");
    const diags = args.resources.filter((r) => r.type === T.DiagnosticSetting);
    for (const r of targets) {
      const mine = diags.filter((d) => diagnoses(d, r));
      const toWorkspace = mine.filter((d) => {
        const ws = peek(() => d.props.workspaceId);
        return ws === UNKNOWN || (typeof ws === "string" && ws.length > 0);
      });
      if (toWorkspace.length > 0) continue;
      const label = DIAGNOSED_TYPES[r.type]!.label;
      report(
        mine.length === 0
          ? `${label} "${r.name}" has no diagnostic setting: add a monitor:DiagnosticSetting (resourceUri: its id, workspaceId: the Log Analytics workspace).`
          : `${label} "${r.name}" has diagnostic settings without workspaceId (${mine.map((d) => d.name).join(", ")}): send them to the Log Analytics workspace.`,
        r.urn,
      );
    }
  },
});

/**
 * The log categories that make a diagnostic setting an audit trail, per type. "allLogs" and "audit"
 * are category groups (Microsoft Learn, "Diagnostic settings in Azure Monitor": category groups);
 * AuditEvent is Key Vault's audit category (PSRule Azure.KeyVault.Logs); Event Grid topics log
 * DataPlaneRequests / PublishFailures / DeliveryFailures; Service Bus RuntimeAuditLogs
 * (Azure.ServiceBus.AuditLogs). API Management's Consumption tier offers no resource logs (APIM
 * features table), so there metrics (and the Application Insights logger) are what exists.
 */
const AUDIT_CATEGORIES: Readonly<Record<string, readonly string[] | "any">> = {
  [T.Vault]: ["AuditEvent"],
  [T.EventGridTopic]: ["DataPlaneRequests", "PublishFailures", "DeliveryFailures"],
  [T.ServiceBusNamespace]: ["RuntimeAuditLogs", "OperationalLogs"],
  [T.DatabaseAccount]: ["DataPlaneRequests", "ControlPlaneRequests"],
  [T.ApiManagementService]: ["GatewayLogs"],
  [T.WebApp]: "any",
};

interface LogEntry {
  category?: unknown;
  categoryGroup?: unknown;
  enabled?: unknown;
}

/** The enabled log categories and groups of a diagnostic setting (lower case). */
function enabledLogs(diag: PolicyResource): Set<string> | typeof UNKNOWN {
  const logs = peek(() => diag.props["logs"]);
  if (logs === UNKNOWN) return UNKNOWN;
  const out = new Set<string>();
  for (const l of Array.isArray(logs) ? (logs as LogEntry[]) : []) {
    if (l?.enabled !== true) continue;
    for (const v of [l.category, l.categoryGroup]) if (typeof v === "string") out.add(v.toLowerCase());
  }
  return out;
}

function isConsumptionApim(r: PolicyResource): boolean {
  return eqIgnoreCase(peek(() => (r.props["sku"] as { name?: unknown } | undefined)?.name), "Consumption");
}

export const diagAuditLogs = stackPolicy({
  name: "diag-audit-logs",
  description:
    "Diagnostic settings enable the audit categories, not merely exist: allLogs or audit (or the type's audit categories: Key Vault AuditEvent, Event Grid DataPlaneRequests, Service Bus RuntimeAuditLogs, ...); storage accounts log at least one of their blob/queue/table services.",
  severity: "medium",
  anchors: ["Azure.KeyVault.Logs", "Azure.ServiceBus.AuditLogs", "CKV_AZURE_33", "CKV2_AZURE_20", "CKV2_AZURE_21"],
  remediationSteps: 'Add logs: [{ categoryGroup: "allLogs", enabled: true }] (or "audit") to the resource\'s diagnostic setting; for storage, a setting on …/queueServices/default (and blob/table) with allLogs.',
  validateStack: (args, report) => {
    const targets = args.resources.filter((r) => AUDIT_CATEGORIES[r.type] !== undefined || r.type === T.StorageAccount);
    if (targets.length === 0) return args.notApplicable("no resources with audit logs");
    const diags = args.resources.filter((r) => r.type === T.DiagnosticSetting);
    for (const r of targets) {
      const label = DIAGNOSED_TYPES[r.type]?.label ?? r.type;
      if (r.type === T.ApiManagementService && isConsumptionApim(r)) continue;
      if (r.type === T.StorageAccount) {
        const name = propString(r, "accountName", "name");
        const subs = diags.filter((d) => {
          const uri = peek(() => d.props["resourceUri"]);
          return typeof uri === "string" && name !== undefined && new RegExp(`/storageAccounts/${name}/(blob|queue|table|file)Services/`, "i").test(uri);
        });
        const silent = subs.filter((d) => {
          const e = enabledLogs(d);
          return e !== UNKNOWN && e.size === 0;
        });
        for (const d of silent) {
          const service = /\/(blob|queue|table|file)Services\//i.exec(String(peek(() => d.props["resourceUri"])))?.[1] ?? "a";
          report(`storage account "${r.name}": diagnostic setting "${d.name}" on its ${service} service enables no logs, so reads, writes and deletes there leave no trace; enable categoryGroup "allLogs" (or "audit").`, r.urn);
        }
        if (subs.length === 0) {
          // A setting built from the account's id is unknown during a preview: say "can't run" as
          // CrossGuard does (read without peek), rather than call the account unaudited.
          for (const d of diags) if ((d.propertyDependencies["resourceUri"] ?? []).some((x) => x.urn === r.urn)) void d.props["resourceUri"];
          report(`storage account "${r.name}" logs none of its services' requests (no diagnostic setting on …/queueServices/default, blobServices or tableServices): add one with categoryGroup "allLogs" so reads, writes and deletes are audited.`, r.urn);
        }
        continue;
      }
      const mine = diags.filter((d) => diagnoses(d, r));
      if (mine.length === 0) continue; // diag-to-law reports the missing setting
      const wanted = AUDIT_CATEGORIES[r.type]!;
      const ok = mine.some((d) => {
        const e = enabledLogs(d);
        if (e === UNKNOWN) return true;
        if (e.has("alllogs") || e.has("audit")) return true;
        return wanted === "any" ? e.size > 0 : wanted.some((c) => e.has(c.toLowerCase()));
      });
      if (!ok) {
        const enabled = mine.flatMap((d) => {
          const e = enabledLogs(d);
          return e === UNKNOWN ? [] : [...e];
        });
        report(
          `${label} "${r.name}" has diagnostic settings (${mine.map((d) => d.name).join(", ")}) that enable ${enabled.length > 0 ? enabled.join(", ") : "no logs"}: ` +
            `enable categoryGroup "allLogs" or "audit"${wanted === "any" ? "" : ` (or ${wanted.join(" / ")})`} so access to it leaves an audit trail.`,
          r.urn,
        );
      }
    }
  },
});

export const LAW_MIN_RETENTION_DAYS = 30;

export const lawRetention = resourcePolicy({
  name: "law-retention",
  description: `Log Analytics workspaces keep data at least ${LAW_MIN_RETENTION_DAYS} days in prod (retentionInDays).`,
  severity: "medium",
  prodOnly: true,
  remediationSteps: `Set retentionInDays to ${LAW_MIN_RETENTION_DAYS} or more (the first 31 days of the Analytics plan are included in the ingestion price).`,
  validateResource: validateResourceOfType(operationalinsights.Workspace, (w, args, report) => {
    const days = w.retentionInDays;
    if (typeof days === "number" && days < LAW_MIN_RETENTION_DAYS) {
      report(`Log Analytics workspace "${args.name}" has retentionInDays ${days}: incidents are found later than that; keep at least ${LAW_MIN_RETENTION_DAYS} days.`);
    }
  }),
});

export const lawLocalAuth = resourcePolicy({
  name: "law-local-auth",
  description: "Log Analytics workspaces accept Entra-authenticated ingestion and queries only (features.disableLocalAuth: true).",
  severity: "medium",
  remediationSteps: "Set features: { disableLocalAuth: true }; agents and the Logs Ingestion API then authenticate with Entra ID.",
  validateResource: validateResourceOfType(operationalinsights.Workspace, (w, args, report) => {
    if (w.features?.disableLocalAuth !== true) {
      report(`Log Analytics workspace "${args.name}" has features.disableLocalAuth ${show(w.features?.disableLocalAuth)}: the workspace keys can write and read its data; set it to true.`);
    }
  }),
});

// ---------------------------------------------------------------------------------------------
// Alert rules
// ---------------------------------------------------------------------------------------------

const SCHEDULED_QUERY_RULE = "azure-native:monitor:ScheduledQueryRule";
const METRIC_ALERT = "azure-native:monitor:MetricAlert";

/** Minutes of an ISO 8601 duration of minutes/hours/days (PT1M, PT1H, P1D), or undefined. */
export function isoMinutes(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/i.exec(v.trim());
  if (!m || v.trim().toUpperCase() === "P" || v.trim().toUpperCase() === "PT") return undefined;
  return Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

export const alertQueryFrequency = resourcePolicy({
  name: "alert-query-frequency",
  description: "Log search alert rules (monitor:ScheduledQueryRule) do not run every minute (evaluationFrequency of at least 5 minutes).",
  severity: "low",
  anchors: ["Azure.Alert.HighFrequencyQuery"],
  remediationSteps: 'Set evaluationFrequency to "PT5M" or longer, or use a metric alert for minute-level signals.',
  validateResource: (args, report) => {
    if (args.type !== SCHEDULED_QUERY_RULE) return args.notApplicable("not a log search alert rule");
    // A one-minute log query is billed at a higher rate, and log data takes 20 s to 3 min to become
    // queryable (PSRule Azure.Alert.HighFrequencyQuery, citing Microsoft Learn "Log data ingestion time
    // in Azure Monitor").
    const frequency = peek(() => args.props["evaluationFrequency"]);
    const minutes = isoMinutes(frequency);
    if (minutes !== undefined && minutes < 5) {
      report(`log search alert rule "${args.name}" has evaluationFrequency ${show(frequency)}: a query every minute costs more and sees no fresher data; use "PT5M" or longer, or a metric alert.`);
    }
  },
});

export const alertAutoMitigate = resourcePolicy({
  name: "alert-auto-mitigate",
  description: "Metric alert rules resolve themselves when the condition clears (autoMitigate not false).",
  severity: "low",
  anchors: ["Azure.Alert.MetricAutoMitigate"],
  remediationSteps: "Remove autoMitigate: false (the service default resolves alerts automatically) or set it to true.",
  validateResource: (args, report) => {
    if (args.type !== METRIC_ALERT) return args.notApplicable("not a metric alert rule");
    // MetricAlert.autoMitigate: "whether the alert should be auto resolved or not. The default is true"
    // (azure-native MetricAlert typings).
    const auto = peek(() => args.props["autoMitigate"]);
    if (auto === false) {
      report(`metric alert rule "${args.name}" has autoMitigate: false: each fired alert stays open until someone closes it by hand; remove it or set it to true.`);
    }
  },
});

export const monitoringPolicies: PlatformPolicy[] = [appiWorkspace, appiLocalAuth, diagToLaw, diagAuditLogs, lawRetention, lawLocalAuth, alertQueryFrequency, alertAutoMitigate];
