/**
 * Diagnostic settings: the one helper every component uses to send a resource's logs and metrics to
 * the Log Analytics workspace. A stack-level test checks that every resource type that supports
 * them has one ({@link DIAGNOSTIC_SUPPORTED_TYPES}).
 *
 * The helper knows, per ARM resource type, which log category groups exist
 * ({@link DIAGNOSTIC_TYPES}): Azure rejects a diagnostic setting that names a group the resource does
 * not have (a storage account's root has no logs at all, only metrics), and it does so only at deploy
 * time. Here the mistake fails the program instead, and an omitted `logCategoryGroups` picks the
 * groups the type supports.
 */
import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";

/**
 * Log category groups. `allLogs` is every category (it includes `audit`); `audit` is the subset of
 * categories Microsoft classifies as audit logs (cheaper, where it exists).
 */
export const LogCategoryGroup = {
  /** Every log category. */
  allLogs: "allLogs",
  /** The categories Microsoft classifies as audit logs. */
  audit: "audit",
} as const;
export type LogCategoryGroup = (typeof LogCategoryGroup)[keyof typeof LogCategoryGroup];

const KNOWN_GROUPS: readonly LogCategoryGroup[] = ["allLogs", "audit"];

/** What one resource type supports as a diagnostic setting source. */
export interface DiagnosticTypeSpec {
  /** ARM resource type (as in the id, case-insensitive), e.g. `Microsoft.Web/sites`. */
  readonly armType: string;
  /** Log category groups the type offers; empty = metrics only. */
  readonly categoryGroups: readonly LogCategoryGroup[];
  /** The groups sent when the caller names none. */
  readonly defaultGroups: readonly LogCategoryGroup[];
}

/**
 * The resource types this platform creates that support diagnostic settings, keyed by azure-native
 * type token. Groups listed are the ones verified for the type in Azure Monitor's supported-logs
 * reference; where only `allLogs` is listed, `allLogs` still carries the type's audit categories.
 *
 * Storage: the account's root emits metrics only (`Transaction`); its logs (StorageRead/Write/Delete)
 * come from the blob/queue/table services, each a separate diagnostic-setting source
 * (`<account id>/queueServices/default`).
 */
export const DIAGNOSTIC_TYPES = {
  "azure-native:web:WebApp": { armType: "Microsoft.Web/sites", categoryGroups: ["allLogs"], defaultGroups: ["allLogs"] },
  "azure-native:cosmosdb:DatabaseAccount": { armType: "Microsoft.DocumentDB/databaseAccounts", categoryGroups: ["allLogs"], defaultGroups: ["allLogs"] },
  "azure-native:storage:StorageAccount": { armType: "Microsoft.Storage/storageAccounts", categoryGroups: [], defaultGroups: [] },
  "azure-native:storage:BlobServiceProperties": { armType: "Microsoft.Storage/storageAccounts/blobServices", categoryGroups: ["allLogs"], defaultGroups: ["allLogs"] },
  "azure-native:storage:QueueServiceProperties": { armType: "Microsoft.Storage/storageAccounts/queueServices", categoryGroups: ["allLogs"], defaultGroups: ["allLogs"] },
  "azure-native:storage:TableServiceProperties": { armType: "Microsoft.Storage/storageAccounts/tableServices", categoryGroups: ["allLogs"], defaultGroups: ["allLogs"] },
  // AuditEvent is in both groups; AzurePolicyEvaluationDetails only in allLogs.
  "azure-native:keyvault:Vault": { armType: "Microsoft.KeyVault/vaults", categoryGroups: ["audit", "allLogs"], defaultGroups: ["allLogs"] },
  "azure-native:apimanagement:ApiManagementService": { armType: "Microsoft.ApiManagement/service", categoryGroups: ["allLogs"], defaultGroups: ["allLogs"] },
  "azure-native:eventgrid:Topic": { armType: "Microsoft.EventGrid/topics", categoryGroups: ["allLogs"], defaultGroups: ["allLogs"] },
} as const satisfies Record<string, DiagnosticTypeSpec>;

export type DiagnosticSupportedType = keyof typeof DIAGNOSTIC_TYPES;

/** azure-native type tokens of every resource type that supports diagnostic settings (for coverage tests). */
export const DIAGNOSTIC_SUPPORTED_TYPES: readonly DiagnosticSupportedType[] = Object.keys(DIAGNOSTIC_TYPES) as DiagnosticSupportedType[];

const BY_ARM_TYPE: ReadonlyMap<string, DiagnosticTypeSpec> = new Map(
  Object.values(DIAGNOSTIC_TYPES).map((spec: DiagnosticTypeSpec) => [spec.armType.toLowerCase(), spec]),
);

/**
 * The ARM resource type of an ARM id, with child types appended
 * (`.../storageAccounts/x/queueServices/default` → `Microsoft.Storage/storageAccounts/queueServices`).
 * Returns undefined for something that is not a resource id.
 */
export function armTypeOf(resourceId: string): string | undefined {
  const i = resourceId.toLowerCase().lastIndexOf("/providers/");
  if (i < 0) return undefined;
  const parts = resourceId.slice(i + "/providers/".length).split("/").filter((p) => p.length > 0);
  if (parts.length < 3) return undefined;
  const types = [`${parts[0]}/${parts[1]}`];
  for (let k = 3; k < parts.length; k += 2) types.push(parts[k]!);
  return types.join("/");
}

/** The spec of an ARM type or azure-native token; undefined when the type is not one this platform knows. */
export function diagnosticSpecFor(typeOrToken: string): DiagnosticTypeSpec | undefined {
  return (DIAGNOSTIC_TYPES as Record<string, DiagnosticTypeSpec>)[typeOrToken] ?? BY_ARM_TYPE.get(typeOrToken.toLowerCase());
}

/**
 * The groups a diagnostic setting on `resourceId` sends: `requested` when the type supports each of
 * them, the type's defaults when `requested` is undefined. Throws (naming the type and what it
 * offers) for a group the type does not have. Types this platform does not know pass through
 * (`requested`, or `allLogs`).
 */
export function resolveLogCategoryGroups(resourceId: string, requested: readonly string[] | undefined): readonly string[] {
  const armType = armTypeOf(resourceId);
  return groupsFor(armType === undefined ? undefined : BY_ARM_TYPE.get(armType.toLowerCase()), resourceId, requested);
}

function groupsFor(spec: DiagnosticTypeSpec | undefined, resourceId: string, requested: readonly string[] | undefined): readonly string[] {
  if (!spec) return requested ?? ["allLogs"];
  if (requested === undefined) return spec.defaultGroups;
  const unsupported = requested.filter((g) => !(spec.categoryGroups as readonly string[]).includes(g));
  if (unsupported.length > 0) {
    const offered = spec.categoryGroups.length === 0 ? "no log categories (metrics only): pass logCategoryGroups: []" : `only ${spec.categoryGroups.join(", ")}`;
    throw new Error(`diagnostic setting on ${resourceId}: ${spec.armType} has no log category group ${unsupported.join(", ")}; it offers ${offered}`);
  }
  return requested;
}

/** The name of a diagnostic setting unless told otherwise. */
export const DEFAULT_DIAGNOSTIC_SETTING_NAME = "to-log-analytics";

export interface DiagnosticsArgs {
  /** ARM id of the resource (or of a sub-service such as `<storage id>/queueServices/default`). */
  readonly resourceId: pulumi.Input<string>;
  /** Log Analytics workspace id. */
  readonly workspaceId: pulumi.Input<string>;
  /**
   * Log category groups to send (`allLogs` includes audit logs). Checked against the resource's type
   * ({@link DIAGNOSTIC_TYPES}): a group the type does not offer fails the program. Storage accounts
   * themselves have no logs, only metrics: pass `[]` (or omit it).
   * @default the type's groups (`allLogs`; none for a storage account's root)
   */
  readonly logCategoryGroups?: readonly LogCategoryGroup[];
  /** Whether to send platform metrics (`AllMetrics`). @default true */
  readonly metrics?: boolean;
  /**
   * The resource's azure-native type, when the caller knows it: the groups are then checked when the
   * setting is declared (a clear error at once) instead of when the id resolves.
   * @default inferred from the resolved `resourceId`
   */
  readonly resourceType?: DiagnosticSupportedType;
  /** The diagnostic setting's name on the resource (unique per resource). @default "to-log-analytics" */
  readonly settingName?: string;
}

/** Creates `<name>-diag` sending logs (resource-specific tables) and metrics to the workspace. */
export function diagnosticSetting(
  name: string,
  args: DiagnosticsArgs,
  opts: pulumi.CustomResourceOptions,
): monitor.DiagnosticSetting {
  const unknown = (args.logCategoryGroups ?? []).filter((g) => !KNOWN_GROUPS.includes(g));
  if (unknown.length > 0) {
    throw new Error(`diagnosticSetting("${name}"): unknown log category group ${unknown.join(", ")} (expected ${KNOWN_GROUPS.join(" or ")})`);
  }
  const requested = args.logCategoryGroups;
  // Known type (given, or readable from a plain-string id): decide now, so a mistake fails here.
  const knownType =
    args.resourceType !== undefined
      ? (DIAGNOSTIC_TYPES[args.resourceType] as DiagnosticTypeSpec)
      : typeof args.resourceId === "string"
        ? diagnosticSpecFor(armTypeOf(args.resourceId) ?? "")
        : undefined;
  const toLogs = (groups: readonly string[]) => groups.map((categoryGroup) => ({ categoryGroup, enabled: true }));
  const where = typeof args.resourceId === "string" ? args.resourceId : `diagnosticSetting("${name}")`;
  return new monitor.DiagnosticSetting(
    `${name}-diag`,
    {
      name: args.settingName ?? DEFAULT_DIAGNOSTIC_SETTING_NAME,
      resourceUri: args.resourceId,
      workspaceId: args.workspaceId,
      // Resource-specific tables are cheaper to query and can use lower-cost table plans.
      logAnalyticsDestinationType: "Dedicated",
      // Otherwise the groups depend on the resource's type, which only its resolved id tells.
      logs:
        knownType !== undefined
          ? toLogs(groupsFor(knownType, where, requested))
          : pulumi.output(args.resourceId).apply((id) => toLogs(resolveLogCategoryGroups(id, requested))),
      metrics: args.metrics === false ? [] : [{ category: "AllMetrics", enabled: true }],
    },
    opts,
  );
}
