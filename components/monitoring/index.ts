/**
 * Observability: the Log Analytics workspace every diagnostic setting sends to, a workspace-based
 * Application Insights the Function Apps and the gateway write to with Entra ID, the on-call action
 * group, the on-call workbook, and methods that add the alerts and the availability test once the
 * monitored resources exist (`alertFunctionApp`, `alertApiManagement`, `alertPoisonQueues`,
 * `alertDeadLetters`, `alertCosmosThrottling`, `addAvailabilityTest`).
 *
 * Cost knobs (all from the stack's `monitoring` config; dev keeps the cheap defaults, prod sets its
 * own; prices from AZURE-PRICES.md):
 * - ingestion: $2.30/GB after 5 GB/month free; bounded by `dailyQuotaGb` and reduced by
 *   `samplingPercentage` (the Functions host's adaptive sampling ceiling);
 * - retention: free to 31 days (90 for App Insights tables), then $0.10/GB-month (`retentionDays`);
 * - availability test: $0.0005 per run per location: `locations` × 86400 / `frequencySeconds` × 30
 *   runs a month (1 location every 900 s ≈ $1.44/month; 2 every 300 s ≈ $8.64);
 * - alerts: metric alerts $0.10/series/month after 10 free; log alerts $0.50-$1.50/rule/month by
 *   frequency (see alerts.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import { type NameContext, physicalName } from "../core/naming";
import { protectedOptions } from "../core/protection";
import { type StandardArgs, applyDiagnostics, applyLock, applyRoleAssignments, effectiveDiagnostics, effectiveLock, resourceName } from "../core/standard";
import { deterministicGuid } from "../core/roles";
import {
  type AlertContext,
  type ApiLatencyAlertArgs,
  type ApiServerErrorsAlertArgs,
  type CosmosThrottlingAlertArgs,
  type DeadLetterAlertArgs,
  type FunctionFailureAlertArgs,
  type MetricAlertTiming,
  type PoisonQueueAlertArgs,
  apiLatencyAlert,
  apiServerErrorsAlert,
  availabilityAlert,
  cosmosThrottlingAlert,
  deadLetterAlert,
  functionFailureAlert,
  poisonQueueAlert,
} from "./alerts";
import { WORKBOOK_VERSION, serializeWorkbook } from "./workbook";

/** Seconds between availability test runs. */
export const AvailabilityTestFrequency = {
  FiveMinutes: 300,
  TenMinutes: 600,
  FifteenMinutes: 900,
} as const;
export type AvailabilityTestFrequency = (typeof AvailabilityTestFrequency)[keyof typeof AvailabilityTestFrequency];

/** Evaluation frequencies of the log-search alerts (a subset of `LogFrequency`). */
export const LogAlertFrequency = {
  PT5M: "PT5M",
  PT10M: "PT10M",
  PT15M: "PT15M",
} as const;
export type LogAlertFrequency = (typeof LogAlertFrequency)[keyof typeof LogAlertFrequency];

/** The availability test of the gateway's health endpoint. */
export interface AvailabilityTestConfig {
  readonly enabled: boolean;
  /** App Insights test location ids, e.g. "us-va-ash-azr". */
  readonly locations: string[];
  /** Seconds between runs. */
  readonly frequencySeconds: AvailabilityTestFrequency;
}

/** Who the action group tells. */
export interface ActionGroupReceivers {
  readonly emails: string[];
  readonly webhooks: string[];
}

/** Alert severities (0 critical .. 4 verbose). */
export interface AlertSeverities {
  readonly failure: number;
  readonly degradation: number;
}

/** Retention, daily cap, sampling, availability test, who is told, and alert timing and severities. */
export interface MonitoringConfig {
  /** Log Analytics retention, days (30-730). */
  readonly retentionDays: number;
  /** Daily ingestion cap in GB; -1 = no cap. */
  readonly dailyQuotaGb: number;
  /** Functions host sampling ceiling, percent (0.1-100). */
  readonly samplingPercentage: number;
  readonly availabilityTest: AvailabilityTestConfig;
  /** Who the action group tells. */
  readonly actionGroup: ActionGroupReceivers;
  /** Evaluation frequency of log-search alerts. */
  readonly logAlertFrequency: LogAlertFrequency;
  /** Alert severities (0 critical .. 4 verbose). */
  readonly severity: AlertSeverities;
}

/** Explicit physical names of an Observability's resources. */
export interface ObservabilityPhysicalNames {
  /** The Log Analytics workspace. @default from the naming helper */
  readonly workspace?: string;
  /** The Application Insights component. @default from the naming helper */
  readonly appInsights?: string;
  /** The action group. @default from the naming helper */
  readonly actionGroup?: string;
  /** The action group's short name (1-12 characters, shown in SMS and emails). @default from the naming helper */
  readonly actionGroupShortName?: string;
}

/** Prefix of the app settings that override host.json (`AzureFunctionsJobHost__<path with __>`). */
const SAMPLING = "AzureFunctionsJobHost__logging__applicationInsights__samplingSettings__";

/**
 * The app settings that carry the stack's sampling to the Functions host, overriding host.json's
 * `logging.applicationInsights.samplingSettings` without editing it (an app setting named
 * `AzureFunctionsJobHost__path__to__setting` overrides `path.to.setting`).
 *
 * The host's adaptive sampling is capped at `samplingPercentage` (`maxSamplingPercentage`, and starts
 * there: `initialSamplingPercentage`); requests and exceptions are never sampled (`excludedTypes`),
 * so every execution and every failure is counted (the failure-rate alerts rely on it) and the
 * volume saved is traces and dependencies. At 100 % sampling is off. Cost: ingestion is $2.30/GB
 * after 5 GB/month free.
 */
export function functionsSamplingSettings(monitoring: Pick<MonitoringConfig, "samplingPercentage">): Record<string, string> {
  const p = monitoring.samplingPercentage;
  if (!Number.isFinite(p) || p < 0.1 || p > 100) throw new Error(`functionsSamplingSettings: samplingPercentage must be 0.1-100, got ${p}`);
  return {
    [`${SAMPLING}isEnabled`]: p < 100 ? "true" : "false",
    [`${SAMPLING}maxSamplingPercentage`]: String(p),
    [`${SAMPLING}initialSamplingPercentage`]: String(p),
    [`${SAMPLING}excludedTypes`]: "Request;Exception",
  };
}

/** Refuses a monitoring config Azure would reject (the schema checks most of it; callers may build one by hand). */
function validateMonitoring(name: string, m: MonitoringConfig): void {
  if (!Number.isInteger(m.retentionDays) || m.retentionDays < 30 || m.retentionDays > 730) {
    throw new Error(`Observability "${name}": monitoring.retentionDays must be 30-730, got ${m.retentionDays}`);
  }
  if (m.dailyQuotaGb !== -1 && !(m.dailyQuotaGb > 0)) {
    throw new Error(`Observability "${name}": monitoring.dailyQuotaGb must be positive or -1 (no cap), got ${m.dailyQuotaGb}`);
  }
  if (m.availabilityTest.enabled && m.availabilityTest.locations.length === 0) {
    throw new Error(`Observability "${name}": monitoring.availabilityTest.locations is empty; list at least one location or set enabled: false`);
  }
}

export interface ObservabilityArgs extends StandardArgs {
  /**
   * The naming helper's prefix and environment. Required unless `physicalNames` names the workspace,
   * Application Insights, the action group and its short name; without it the alerts and the
   * availability test are named `<name>-<rule>` (unique per resource group, so one Observability of
   * that name per group), and the workbook after the workspace. @default none
   */
  readonly names?: NameContext;
  /** Explicit physical names. @default from the naming helper */
  readonly physicalNames?: ObservabilityPhysicalNames;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  /** The stack's `monitoring` config: retention, daily cap, availability test, action group, severities. */
  readonly monitoring: MonitoringConfig;
  /**
   * Protect the workspace (it holds the audit and diagnostic logs): `protect`, `retainOnDelete` and
   * a CanNotDelete lock (unless `lock` says otherwise). @default false
   */
  readonly protect?: boolean;
}

/** What `alertFunctionApp` needs: the app's role name, optionally thresholds and timing. */
export type FunctionAppAlertTarget = Omit<FunctionFailureAlertArgs, "service">;

export interface ApiManagementAlertArgs {
  /** ARM id of the API Management service. */
  readonly serviceId: pulumi.Input<string>;
  /** 5xx alert settings. @default threshold 5 per PT5M window, evaluated every minute, severity failure */
  readonly serverErrors?: Omit<ApiServerErrorsAlertArgs, "serviceId">;
  /** Latency alert settings. @default average above 2000 ms over PT15M, evaluated every 5 minutes, severity degradation */
  readonly latency?: Omit<ApiLatencyAlertArgs, "serviceId">;
}

export interface AvailabilityTestArgs extends MetricAlertTiming {
  /** The gateway's health route, e.g. `https://<gateway>/health` (an https URL). */
  readonly url: pulumi.Input<string>;
  /** Status code the route answers when healthy. @default 200 */
  readonly expectedStatusCode?: number;
  /**
   * Locations failing at the same time before the alert fires.
   * @default 1 with one location, otherwise 2 (one flaky test location does not page)
   */
  readonly failedLocationCount?: number;
}

/**
 * An Observability's state its methods use. Kept off the class: the package schema publishes every
 * class field (private and `#private` ones too) as an output in every language.
 */
interface ObservabilityInternals {
  readonly name: string;
  readonly args: ObservabilityArgs;
  readonly alerts: AlertContext;
  readonly used: Set<string>;
}
const internals = new WeakMap<Observability, ObservabilityInternals>();

/** The stack's monitoring: workspace, Application Insights, action group, workbook, and the alerts added to it. */
export class Observability extends pulumi.ComponentResource {
  /** ARM id of the Log Analytics workspace (the `workspaceId` of every component's diagnostics). */
  readonly workspaceId: pulumi.Output<string>;
  /** The workspace's customer id (the GUID queries and agents address it by). */
  readonly workspaceCustomerId: pulumi.Output<string>;
  /** ARM id of Application Insights (scope of the Monitoring Metrics Publisher grants). */
  readonly appInsightsId: pulumi.Output<string>;
  /**
   * Application Insights connection string. Not a secret: with `disableLocalAuth` the instrumentation
   * key in it authorises nothing; ingestion needs an Entra token (Monitoring Metrics Publisher), so
   * it is an address, like an endpoint URL.
   */
  readonly connectionString: pulumi.Output<string>;
  /** ARM id of the on-call action group. */
  readonly actionGroupId: pulumi.Output<string>;
  /** ARM id of the on-call workbook. */
  readonly workbookId: pulumi.Output<string>;

  /** What the methods need; an accessor, so the package schema does not publish it as an output. */
  private get internal(): ObservabilityInternals {
    return internals.get(this)!;
  }

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    validateMonitoring(name, args.monitoring);
    super("serverless-platform:monitoring:Observability", name, {}, opts);
    const m = args.monitoring;
    const protect = args.protect ?? false;
    const parent = { parent: this };

    const workspaceName = resourceName(`Observability "${name}"`, "physicalNames.workspace", "logAnalytics", args.physicalNames?.workspace, args.names, name);
    const workspace = new operationalinsights.Workspace(
      `${name}-workspace`,
      {
        workspaceName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        sku: { name: operationalinsights.WorkspaceSkuNameEnum.PerGB2018 },
        retentionInDays: m.retentionDays,
        // Ingestion stops for the rest of the day at the cap (alerts on logs go blind too): the cost
        // ceiling dev wants, a limit prod sets high.
        workspaceCapping: { dailyQuotaGb: m.dailyQuotaGb },
        features: {
          // No shared-key ingestion or queries: Entra ID only.
          disableLocalAuth: true,
          // Readers of a resource see its logs without workspace-wide access.
          enableLogAccessUsingOnlyResourcePermissions: true,
        },
      },
      protectedOptions(protect, parent),
    );
    applyLock(`${name}-workspace`, workspace.id, effectiveLock(args.lock, protect), parent);
    applyRoleAssignments(`${name}-workspace`, workspace.id, args.roleAssignments, parent);
    // The workspace's own audit (queries, changes) goes where the caller says; nothing by default.
    applyDiagnostics(`${name}-workspace`, workspace.id, effectiveDiagnostics(`Observability "${name}"`, undefined, args.diagnosticSettings), parent);

    const appInsights = new applicationinsights.Component(
      `${name}-appinsights`,
      {
        resourceName: resourceName(`Observability "${name}"`, "physicalNames.appInsights", "appInsights", args.physicalNames?.appInsights, args.names, name),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        kind: "web",
        applicationType: applicationinsights.ApplicationType.Web,
        flowType: applicationinsights.FlowType.Bluefield,
        requestSource: applicationinsights.RequestSource.Rest,
        // Workspace-based: telemetry is stored (and retained, and billed) in the workspace.
        ingestionMode: applicationinsights.IngestionMode.LogAnalytics,
        workspaceResourceId: workspace.id,
        // Entra-only ingestion: the instrumentation key alone cannot write telemetry.
        disableLocalAuth: true,
        disableIpMasking: false,
      },
      parent,
    );

    const actionGroup = new monitor.ActionGroup(
      `${name}-actions`,
      {
        actionGroupName: resourceName(`Observability "${name}"`, "physicalNames.actionGroup", "actionGroup", args.physicalNames?.actionGroup, args.names, name, "oncall"),
        groupShortName: resourceName(`Observability "${name}"`, "physicalNames.actionGroupShortName", "actionGroupShort", args.physicalNames?.actionGroupShortName, args.names, "oc"),
        resourceGroupName: args.resourceGroupName,
        location: "global",
        tags: args.tags,
        enabled: true,
        emailReceivers: m.actionGroup.emails.map((emailAddress, i) => ({ name: `email-${i + 1}`, emailAddress, useCommonAlertSchema: true })),
        // The URL is stored in the action group as given: it must not carry a token.
        webhookReceivers: m.actionGroup.webhooks.map((serviceUri, i) => ({ name: `webhook-${i + 1}`, serviceUri, useCommonAlertSchema: true })),
      },
      parent,
    );

    const workbook = new applicationinsights.Workbook(
      `${name}-workbook`,
      {
        // Workbook names must be GUIDs: derived from the stack so a second stack gets its own.
        resourceName: args.names ? deterministicGuid("workbook", args.names.prefix, args.names.environment, name) : deterministicGuid("workbook", workspaceName, name),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        kind: applicationinsights.WorkbookSharedTypeKind.Shared,
        category: "workbook",
        displayName: `On-call overview (${args.names ? `${args.names.prefix} ${args.names.environment}` : workspaceName})`,
        version: WORKBOOK_VERSION,
        // Azure stores the source id lowercased; anything else shows a diff on every preview.
        sourceId: appInsights.id.apply((id) => id.toLowerCase()),
        serializedData: pulumi.all([appInsights.id, workspace.id]).apply(([appInsightsId, workspaceId]) => serializeWorkbook({ appInsightsId, workspaceId })),
      },
      parent,
    );

    this.workspaceId = workspace.id;
    this.workspaceCustomerId = workspace.customerId;
    this.appInsightsId = appInsights.id;
    this.connectionString = appInsights.connectionString;
    this.actionGroupId = actionGroup.id;
    this.workbookId = workbook.id;
    const alerts: AlertContext = {
      names: args.names,
      owner: name,
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      tags: args.tags,
      actionGroupId: actionGroup.id,
      severity: m.severity,
      appInsightsId: appInsights.id,
      workspaceId: workspace.id,
    };
    internals.set(this, { name, args, alerts, used: new Set() });
    this.registerOutputs({
      workspaceId: this.workspaceId,
      appInsightsId: this.appInsightsId,
      actionGroupId: this.actionGroupId,
      workbookId: this.workbookId,
    });
  }

  /** The app settings that apply the stack's sampling to a Function App's host (see {@link functionsSamplingSettings}). */
  samplingAppSettings(): Record<string, string> {
    return functionsSamplingSettings(this.internal.args.monitoring);
  }

  /** A failure-rate alert for the function app of `service` (`<component>-<service>-failures`). */
  alertFunctionApp(service: string, target: FunctionAppAlertTarget): monitor.ScheduledQueryRule {
    return functionFailureAlert(this.child(`${service}-failures`), this.internal.alerts, { ...target, service }, { parent: this });
  }

  /** Gateway 5xx and latency alerts (`<component>-apim-5xx`, `<component>-apim-latency`). */
  alertApiManagement(args: ApiManagementAlertArgs): { readonly serverErrors: monitor.MetricAlert; readonly latency: monitor.MetricAlert } {
    return {
      serverErrors: apiServerErrorsAlert(this.child("apim-5xx"), this.internal.alerts, { ...args.serverErrors, serviceId: args.serviceId }, { parent: this }),
      latency: apiLatencyAlert(this.child("apim-latency"), this.internal.alerts, { ...args.latency, serviceId: args.serviceId }, { parent: this }),
    };
  }

  /** An alert on any message reaching a `-poison` queue of the account (`<component>-<label>-poison`). */
  alertPoisonQueues(label: string, args: Omit<PoisonQueueAlertArgs, "label">): monitor.ScheduledQueryRule {
    return poisonQueueAlert(this.child(`${label}-poison`), this.internal.alerts, { ...args, label }, { parent: this });
  }

  /** An alert on dead-lettered Event Grid deliveries of a topic (`<component>-<label>-deadletter`). */
  alertDeadLetters(label: string, args: Omit<DeadLetterAlertArgs, "label">): monitor.MetricAlert {
    return deadLetterAlert(this.child(`${label}-deadletter`), this.internal.alerts, { ...args, label }, { parent: this });
  }

  /** An alert on Cosmos DB throttling (`<component>-cosmos-throttling`). */
  alertCosmosThrottling(args: CosmosThrottlingAlertArgs): monitor.MetricAlert {
    return cosmosThrottlingAlert(this.child("cosmos-throttling"), this.internal.alerts, args, { parent: this });
  }

  /**
   * The standard availability test of the gateway's health route (locations and frequency from
   * config) and its alert; nothing when `monitoring.availabilityTest.enabled` is false.
   * Cost: $0.0005 per run per location.
   */
  addAvailabilityTest(args: AvailabilityTestArgs): { readonly test: applicationinsights.WebTest; readonly alert: monitor.MetricAlert } | undefined {
    const cfg = this.internal.args.monitoring.availabilityTest;
    if (!cfg.enabled) return undefined;
    const where = `Observability "${this.internal.name}".addAvailabilityTest`;
    if (typeof args.url === "string" && !/^https:\/\/[^/\s]+/.test(args.url)) {
      throw new Error(`${where}: url must be an absolute https:// URL (the test checks TLS), got ${JSON.stringify(args.url)}`);
    }
    const expected = args.expectedStatusCode ?? 200;
    if (!Number.isInteger(expected) || expected < 100 || expected > 599) throw new Error(`${where}: expectedStatusCode must be an HTTP status, got ${expected}`);
    const names = this.internal.args.names;
    const testName = names
      ? physicalName("webTest", names, this.internal.name, "gateway-health")
      : resourceName(where, "the test's name", "webTest", `${this.internal.name}-gateway-health`, undefined);
    const test = new applicationinsights.WebTest(
      this.child("availability-test"),
      {
        webTestName: testName,
        syntheticMonitorId: testName,
        resourceGroupName: this.internal.args.resourceGroupName,
        location: this.internal.args.location,
        // Azure requires the hidden-link tag that ties a test to its Application Insights component.
        tags: pulumi
          .all([pulumi.output(this.internal.args.tags), this.appInsightsId])
          .apply(([tags, id]) => ({ ...tags, [`hidden-link:${id}`]: "Resource" })),
        kind: applicationinsights.WebTestKind.Standard,
        webTestKind: applicationinsights.WebTestKind.Standard,
        description: "GET of the gateway's health route from the configured test locations.",
        enabled: true,
        frequency: cfg.frequencySeconds,
        timeout: 30,
        retryEnabled: true,
        locations: cfg.locations.map((location) => ({ location })),
        request: { requestUrl: args.url, httpVerb: "GET", parseDependentRequests: false, followRedirects: false },
        validationRules: { expectedHttpStatusCode: expected, sSLCheck: true, sSLCertRemainingLifetimeCheck: 7 },
      },
      { parent: this },
    );
    const alert = availabilityAlert(
      this.child("availability"),
      this.internal.alerts,
      {
        webTestId: test.id,
        failedLocationCount: args.failedLocationCount ?? Math.min(2, cfg.locations.length),
        locationCount: cfg.locations.length,
        window: args.window,
        frequency: args.frequency,
        severity: args.severity,
      },
      { parent: this },
    );
    return { test, alert };
  }

  /** A child's logical name, refusing a second child of the same name with a clear message. */
  private child(suffix: string): string {
    const name = `${this.internal.name}-${suffix}`;
    if (this.internal.used.has(name)) throw new Error(`Observability "${this.internal.name}": "${suffix}" was already added (each alert can be added once)`);
    this.internal.used.add(name);
    return name;
  }
}
