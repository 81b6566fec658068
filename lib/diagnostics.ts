/**
 * Diagnostic settings: the one helper every component uses to send a resource's logs and metrics to
 * the Log Analytics workspace. A stack-level test checks that every resource type that supports
 * them has one.
 */
import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";

export interface DiagnosticsArgs {
  /** ARM id of the resource (or of a sub-service such as `<storage id>/queueServices/default`). */
  readonly resourceId: pulumi.Input<string>;
  /** Log Analytics workspace id. */
  readonly workspaceId: pulumi.Input<string>;
  /**
   * Log category groups to send. `allLogs` includes audit logs; some resources (storage accounts
   * themselves) have no logs, only metrics: pass `[]`. @default ["allLogs"]
   */
  readonly logCategoryGroups?: readonly string[];
  /** Whether to send platform metrics (`AllMetrics`). @default true */
  readonly metrics?: boolean;
}

/** Creates `<name>-diag` sending logs (resource-specific tables) and metrics to the workspace. */
export function diagnosticSetting(
  name: string,
  args: DiagnosticsArgs,
  opts: pulumi.CustomResourceOptions,
): monitor.DiagnosticSetting {
  const groups = args.logCategoryGroups ?? ["allLogs"];
  return new monitor.DiagnosticSetting(
    `${name}-diag`,
    {
      name: "to-log-analytics",
      resourceUri: args.resourceId,
      workspaceId: args.workspaceId,
      // Resource-specific tables are cheaper to query and can use lower-cost table plans.
      logAnalyticsDestinationType: "Dedicated",
      logs: groups.map((categoryGroup) => ({ categoryGroup, enabled: true })),
      metrics: args.metrics === false ? [] : [{ category: "AllMetrics", enabled: true }],
    },
    opts,
  );
}
