/**
 * Deploy safety: settings ARM accepts (or the gateway accepts) that cannot do what they say, found in
 * the December 2026 review (issue 18). Each rule judges resources by type and property only, so a
 * hand-written resource is held to it as much as a component's.
 */
import type { PolicyResource } from "@pulumi/policy";
import { T, UNKNOWN, peek, resourcePolicy, stackPolicy, type PlatformPolicy } from "./common";

// ---- Diagnostic settings asking for logs the source does not offer ----------------------------------

/** The log category groups Azure Monitor defines (Microsoft Learn, "Diagnostic settings in Azure Monitor": category groups). */
const CATEGORY_GROUPS = ["allLogs", "audit"];

/**
 * Sources that emit metrics only, with the source of the fact:
 * - API Management on the Consumption tier: "Azure Monitor and Log Analytics request logs" are not
 *   available, "Azure Monitor metrics" are (Microsoft Learn, "Feature-based comparison of the Azure
 *   API Management tiers"); its request logs go through an Application Insights logger.
 * - A storage account's root: metrics only; its logs (StorageRead/Write/Delete) come from the
 *   blob/queue/table/file services, each a diagnostic-setting source of its own (Microsoft Learn,
 *   "Supported metrics and log categories by resource type": Microsoft.Storage/storageAccounts lists
 *   metrics only, the `/blobServices` etc. types list the log categories).
 */
interface MetricsOnlySource {
  readonly label: string;
  /** The ARM type of the source, lower case. */
  readonly armType: string;
  readonly matches: (target: PolicyResource | undefined) => boolean;
  readonly fix: string;
}

const skuName = (r: PolicyResource | undefined): unknown => (r ? peek(() => (r.props.sku as { name?: unknown } | undefined)?.name) : undefined);

const METRICS_ONLY: readonly MetricsOnlySource[] = [
  {
    label: "API Management (Consumption tier)",
    armType: "microsoft.apimanagement/service",
    // Without the service in the plan the tier is unknown: only a known Consumption sku is judged.
    matches: (t) => typeof skuName(t) === "string" && String(skuName(t)).toLowerCase() === "consumption",
    fix: "send metrics only (logs: []) and log requests through an Application Insights logger (apimanagement:Logger + Diagnostic), or move to a tier with resource logs (BasicV2/StandardV2)",
  },
  {
    label: "storage account (the account itself)",
    armType: "microsoft.storage/storageaccounts",
    matches: () => true,
    fix: "send metrics only from the account (logs: []) and put the log categories on <account id>/blobServices/default, /queueServices/default or /tableServices/default",
  },
];

/** The ARM type of an id, child types appended (`.../storageAccounts/x/queueServices/default` → `microsoft.storage/storageaccounts/queueservices`). */
function armTypeOf(id: string): string | undefined {
  const i = id.toLowerCase().lastIndexOf("/providers/");
  if (i < 0) return undefined;
  const parts = id.slice(i + "/providers/".length).split("/").filter(Boolean);
  if (parts.length < 3) return undefined;
  const types = [`${parts[0]}/${parts[1]}`];
  for (let k = 3; k < parts.length; k += 2) types.push(parts[k]!);
  return types.join("/").toLowerCase();
}

const TOKEN_ARM_TYPE: Readonly<Record<string, string>> = {
  [T.ApiManagementService]: "microsoft.apimanagement/service",
  [T.StorageAccount]: "microsoft.storage/storageaccounts",
};
const NAME_KEY: Readonly<Record<string, string>> = { [T.ApiManagementService]: "serviceName", [T.StorageAccount]: "accountName" };

/** The setting's source: from the resource its resourceUri came from, else from the id itself. */
function sourceOf(diag: PolicyResource, all: readonly PolicyResource[]): { armType: string | undefined; target: PolicyResource | undefined } {
  const fromDep = (diag.propertyDependencies["resourceUri"] ?? []).find((d) => TOKEN_ARM_TYPE[d.type] !== undefined);
  const uri = peek(() => diag.props.resourceUri);
  const byId = typeof uri === "string" ? armTypeOf(uri) : undefined;
  if (fromDep && (byId === undefined || byId === TOKEN_ARM_TYPE[fromDep.type])) return { armType: TOKEN_ARM_TYPE[fromDep.type], target: fromDep };
  if (typeof uri !== "string" || byId === undefined) return { armType: undefined, target: undefined };
  const name = uri.split("/").pop()!.toLowerCase();
  const target = all.find((r) => TOKEN_ARM_TYPE[r.type] === byId && String(peek(() => r.props[NAME_KEY[r.type]!]) ?? "").toLowerCase() === name);
  return { armType: byId, target };
}

/** The enabled log entries of a setting, as `category X` / `categoryGroup X`. */
function enabledLogs(diag: PolicyResource): { kind: "category" | "categoryGroup"; value: string }[] {
  const logs = peek(() => diag.props.logs);
  if (logs === UNKNOWN || !Array.isArray(logs)) return [];
  const out: { kind: "category" | "categoryGroup"; value: string }[] = [];
  for (let i = 0; i < logs.length; i++) {
    const entry = peek(() => logs[i] as { category?: unknown; categoryGroup?: unknown; enabled?: unknown });
    if (entry === UNKNOWN || entry === null || typeof entry !== "object" || entry.enabled === false) continue;
    if (typeof entry.categoryGroup === "string") out.push({ kind: "categoryGroup", value: entry.categoryGroup });
    else if (typeof entry.category === "string") out.push({ kind: "category", value: entry.category });
  }
  return out;
}

export const diagCategoriesOffered = stackPolicy({
  name: "diag-categories-offered",
  description:
    "A diagnostic setting asks only for log categories its source offers: none from a metrics-only source (API Management Consumption, a storage account's root), and only the category groups allLogs and audit.",
  severity: "high",
  remediationSteps:
    "Ask a metrics-only source for metrics alone (logs: []), and use only the category groups allLogs or audit. ARM accepts the setting either way, but it delivers an empty table.",
  validateStack: (args, report) => {
    const diags = args.resources.filter((r) => r.type === T.DiagnosticSetting);
    if (diags.length === 0) return args.notApplicable("no diagnostic settings");
    for (const diag of diags) {
      const logs = enabledLogs(diag);
      if (logs.length === 0) continue;
      const badGroups = logs.filter((l) => l.kind === "categoryGroup" && !CATEGORY_GROUPS.includes(l.value));
      if (badGroups.length > 0) {
        report(
          `diagnostic setting "${diag.name}" asks for category group(s) ${badGroups.map((g) => `"${g.value}"`).join(", ")}: Azure Monitor defines only ${CATEGORY_GROUPS.join(" and ")}; use one of them or name the categories.`,
          diag.urn,
        );
      }
      const { armType, target } = sourceOf(diag, args.resources);
      const source = METRICS_ONLY.find((s) => s.armType === armType && s.matches(target));
      if (!source) continue;
      report(
        `diagnostic setting "${diag.name}" asks ${source.label}${target ? ` "${target.name}"` : ""} for logs (${logs.map((l) => `${l.kind} ${l.value}`).join(", ")}), which it does not offer: the setting deploys and delivers nothing. Fix: ${source.fix}.`,
        diag.urn,
      );
    }
  },
});

// ---- APIM URL templates that try to match several path segments -------------------------------------

const CATCH_ALL_SYNTAX = /^[*+]|[*+]$/;
const CATCH_ALL_NAMES = new Set(["path", "proxy", "rest", "wildcard", "catchall", "catch-all", "splat", "remainder", "subpath", "any", "all"]);

/**
 * What is wrong with one template parameter, if anything. An APIM URL template parameter matches
 * exactly one path segment (the review of this repository's hybrid API: `/{path}` answered 404 on
 * every nested path); `/*` is the template that matches the rest of the path.
 */
function multiSegmentReason(name: string, decl: Record<string, unknown> | undefined): string | undefined {
  if (CATCH_ALL_SYNTAX.test(name)) return `{${name}} uses catch-all syntax APIM does not have`;
  if (CATCH_ALL_NAMES.has(name.toLowerCase())) return `{${name}} reads as "the rest of the path"`;
  if (decl?.allowReserved === true) return `{${name}} has allowReserved (slashes)`;
  const pattern = (decl?.schema as { pattern?: unknown } | undefined)?.pattern;
  if (typeof pattern === "string") {
    try {
      if (new RegExp(pattern).test("a/b")) return `{${name}}'s schema pattern accepts "/"`;
    } catch {
      /* not a pattern this rule can judge */
    }
  }
  return undefined;
}

function templateProblems(template: string, declared: readonly Record<string, unknown>[]): string[] {
  const path = template.split("?")[0]!;
  return [...path.matchAll(/\{([^}]*)\}/g)]
    .map((m) => multiSegmentReason(m[1]!, declared.find((d) => d.name === m[1])))
    .filter((r): r is string => r !== undefined);
}

const FIX = 'declare the back end\'s real paths, or a wildcard operation (urlTemplate "/*") per method it needs';

export const apimTemplateOneSegment = resourcePolicy({
  name: "apim-template-one-segment",
  description: "API Management URL template parameters match one path segment: a template meant to pass through nested paths must be the wildcard /*.",
  severity: "high",
  remediationSteps: `Replace the parameter with the back end's real paths, or use one operation with urlTemplate "/*" per method.`,
  validateResource: (args, report) => {
    if (args.type !== "azure-native:apimanagement:ApiOperation" && args.type !== "azure-native:apimanagement:Api") {
      return args.notApplicable("not an API Management API or operation");
    }
    if (args.type === "azure-native:apimanagement:ApiOperation") {
      const template = peek(() => args.props.urlTemplate);
      if (typeof template !== "string") return;
      const params = peek(() => args.props.templateParameters);
      const declared = Array.isArray(params) ? (params as Record<string, unknown>[]).map((p) => ({ ...p, schema: { pattern: undefined } })) : [];
      for (const problem of templateProblems(template, declared)) {
        report(`API operation "${args.name}" (${String(peek(() => args.props.method))} ${template}): ${problem}, but an API Management URL template parameter matches exactly one segment, so nested paths answer 404. Fix: ${FIX}.`);
      }
      return;
    }
    const format = peek(() => args.props.format);
    const value = peek(() => args.props.value);
    if (typeof format !== "string" || !/^openapi(\+json)?$/i.test(format) || typeof value !== "string") {
      return args.notApplicable("no inline OpenAPI JSON document (its operations are separate ApiOperation resources)");
    }
    let doc: { paths?: Record<string, Record<string, unknown>> };
    try {
      doc = JSON.parse(value) as typeof doc;
    } catch {
      return args.notApplicable("the document is not JSON (the import reports a broken one)");
    }
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      if (typeof item !== "object" || item === null) continue;
      for (const [method, op] of Object.entries(item)) {
        if (!["get", "put", "post", "delete", "patch", "head", "options", "trace"].includes(method) || typeof op !== "object" || op === null) continue;
        const declared = [...((item.parameters as unknown[]) ?? []), ...(((op as Record<string, unknown>).parameters as unknown[]) ?? [])].filter(
          (p): p is Record<string, unknown> => typeof p === "object" && p !== null && (p as Record<string, unknown>).in === "path",
        );
        for (const problem of templateProblems(path, declared)) {
          report(`API "${args.name}" imports ${method.toUpperCase()} ${path}: ${problem}, but an API Management URL template parameter matches exactly one segment, so nested paths answer 404. Fix: ${FIX}.`);
        }
      }
    }
  },
});

export const deploySafetyPolicies: PlatformPolicy[] = [diagCategoriesOffered, apimTemplateOneSegment];
