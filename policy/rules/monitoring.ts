/**
 * Application Insights and diagnostic settings: telemetry lands in Log Analytics and is written
 * with Entra ID only.
 */
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
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
    "Every web app, Key Vault, Cosmos DB account, API Management service, Service Bus namespace and storage account has a diagnostic setting sending to a Log Analytics workspace.",
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

export const monitoringPolicies: PlatformPolicy[] = [appiWorkspace, appiLocalAuth, diagToLaw];
