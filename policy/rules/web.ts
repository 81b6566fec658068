/**
 * App Service sites and function apps (web:WebApp, web:WebAppSlot): transport security, identity,
 * publishing credentials, runtime versions and secrets in app settings.
 *
 * Flex Consumption rejects some siteConfig properties the catalog asks for (ftpsState); where they
 * conflict the platform wins: those rules are not applicable to apps with `functionAppConfig`, and
 * `web-basic-auth-off` checks the Flex way to the same goal.
 */
import type { Unwrap } from "@pulumi/pulumi";
import * as web from "@pulumi/azure-native/web";
import {
  validateResourceOfType,
  type PolicyResource,
  type ReportViolation,
  type ResourceValidation,
  type ResourceValidationArgs,
} from "@pulumi/policy";
import {
  T,
  UNKNOWN,
  eqIgnoreCase,
  findSetting,
  hasFunctionAppConfig,
  isFunctionAppKind,
  peek,
  resourcePolicy,
  sameName,
  settingsFromMap,
  settingsFromPairs,
  show,
  stackPolicy,
  type AppSetting,
  type PlatformPolicy,
  type Unknown,
  allowListSchema,
  allowListed,
} from "./common";
import { coversInternet } from "./ip-ranges";
import { keyMarkerIn } from "./secret-shapes";
import { isKeyVaultReference, plaintextSecretSetting, secretShape } from "./secrets";

export type SiteProps = Unwrap<web.WebAppArgs> | Unwrap<web.WebAppSlotArgs>;
type SiteCheck = (site: SiteProps, args: ResourceValidationArgs, report: ReportViolation) => void;

/** The same check for sites and their deployment slots. */
export function forSites(check: SiteCheck): ResourceValidation[] {
  return [validateResourceOfType(web.WebApp, check), validateResourceOfType(web.WebAppSlot, check)];
}

const what = (args: ResourceValidationArgs): string => `${args.type === T.WebAppSlot ? "slot" : "site"} "${args.name}"`;

const FLEX_NA = "Flex Consumption rejects this siteConfig property; web-basic-auth-off checks FTP and basic publishing instead";

export const webHttpsOnly = resourcePolicy({
  name: "web-https-only",
  description: "Sites accept HTTPS only (httpsOnly: true).",
  severity: "high",
  anchors: ["Azure.AppService.UseHTTPS", "CKV_AZURE_14", "AVD-AZU-0004"],
  remediationSteps: "Set httpsOnly: true on the web:WebApp (and each web:WebAppSlot).",
  validateResource: forSites((site, args, report) => {
    if (site.httpsOnly !== true) {
      report(`${what(args)} has httpsOnly ${show(site.httpsOnly)}: set httpsOnly: true so plain HTTP is redirected to HTTPS.`);
    }
  }),
});

export const webMinTls = resourcePolicy({
  name: "web-min-tls",
  description: "Sites require TLS 1.2 or later (siteConfig.minTlsVersion).",
  severity: "high",
  anchors: ["Azure.AppService.MinTLS", "CKV_AZURE_15", "AVD-AZU-0006"],
  remediationSteps: 'Set siteConfig.minTlsVersion: "1.2" (or "1.3").',
  validateResource: forSites((site, args, report) => {
    const v = site.siteConfig?.minTlsVersion;
    if (v !== "1.2" && v !== "1.3") {
      report(`${what(args)} has siteConfig.minTlsVersion ${show(v)}: set it to "1.2" or "1.3" (leaving it unset relies on a platform default).`);
    }
  }),
});

export const webScmMinTls = resourcePolicy({
  name: "web-scm-min-tls",
  description: "The SCM (Kudu) endpoint requires TLS 1.2 or later (siteConfig.scmMinTlsVersion).",
  severity: "medium",
  remediationSteps: 'Set siteConfig.scmMinTlsVersion: "1.2" (or leave it unset: the platform default is 1.2).',
  validateResource: forSites((site, args, report) => {
    const v = site.siteConfig?.scmMinTlsVersion;
    if (v !== undefined && v !== "1.2" && v !== "1.3") {
      report(`${what(args)} has siteConfig.scmMinTlsVersion ${show(v)}: set it to "1.2" or "1.3".`);
    }
  }),
});

export const webFtps = resourcePolicy({
  name: "web-ftps",
  description: "Plain FTP is off: siteConfig.ftpsState is Disabled or FtpsOnly (not on Flex Consumption apps).",
  severity: "high",
  anchors: ["Azure.AppService.WebSecureFtp", "CKV_AZURE_78", "AVD-AZU-0071"],
  remediationSteps: 'Set siteConfig.ftpsState: "Disabled". On Flex Consumption apps omit it and add web:WebAppFtpAllowed with allow: false.',
  validateResource: forSites((site, args, report) => {
    if (hasFunctionAppConfig(site)) return args.notApplicable(FLEX_NA);
    const v = site.siteConfig?.ftpsState;
    if (!eqIgnoreCase(v, "Disabled") && !eqIgnoreCase(v, "FtpsOnly")) {
      report(`${what(args)} has siteConfig.ftpsState ${show(v)}: set it to "Disabled" (unset means AllAllowed, plain FTP).`);
    }
  }),
});

export const webFtpsDisabled = resourcePolicy({
  name: "web-ftps-disabled",
  description: "FTP is off entirely (ftpsState Disabled rather than FtpsOnly).",
  severity: "low",
  remediationSteps: 'Set siteConfig.ftpsState: "Disabled"; deploy with OneDeploy/zip deploy instead of FTPS.',
  validateResource: forSites((site, args, report) => {
    if (hasFunctionAppConfig(site)) return args.notApplicable(FLEX_NA);
    if (eqIgnoreCase(site.siteConfig?.ftpsState, "FtpsOnly")) {
      report(`${what(args)} allows FTPS (ftpsState "FtpsOnly"): set it to "Disabled" unless a deployment really needs FTPS.`);
    }
  }),
});

export const webIdentity = resourcePolicy({
  name: "web-identity",
  description: "Sites have a managed identity (system- or user-assigned).",
  severity: "medium",
  anchors: ["Azure.AppService.ManagedIdentity", "CKV_AZURE_71"],
  remediationSteps: 'Set identity: { type: "UserAssigned", userAssignedIdentities: [<UAMI id>] } (or SystemAssigned).',
  validateResource: forSites((site, args, report) => {
    const type = site.identity?.type;
    if (typeof type !== "string" || !/assigned/i.test(type)) {
      report(`${what(args)} has identity.type ${show(type)}: give it a managed identity ("UserAssigned" with its UAMI, or "SystemAssigned") so it reaches other services without secrets.`);
    }
  }),
});

export const webRemoteDebug = resourcePolicy({
  name: "web-remote-debug",
  description: "Remote debugging is off.",
  severity: "high",
  anchors: ["Azure.AppService.RemoteDebug", "CKV_AZURE_72"],
  remediationSteps: "Remove siteConfig.remoteDebuggingEnabled or set it to false.",
  validateResource: forSites((site, args, report) => {
    if (site.siteConfig?.remoteDebuggingEnabled === true) {
      report(`${what(args)} has siteConfig.remoteDebuggingEnabled: true: set it to false (it opens a debugging port).`);
    }
  }),
});

export const webHttp2 = resourcePolicy({
  name: "web-http2",
  description: "HTTP/2 is enabled.",
  severity: "low",
  anchors: ["Azure.AppService.HTTP2", "CKV_AZURE_18"],
  remediationSteps: "Set siteConfig.http20Enabled: true.",
  validateResource: forSites((site, args, report) => {
    if (site.siteConfig?.http20Enabled !== true) {
      report(`${what(args)} has siteConfig.http20Enabled ${show(site.siteConfig?.http20Enabled)}: set it to true.`);
    }
  }),
});

export const webCors = resourcePolicy({
  name: "web-cors",
  description: 'CORS does not allow every origin ("*").',
  severity: "medium",
  anchors: ["CKV_AZURE_57", "CKV_AZURE_62"],
  remediationSteps: "List the exact origins in siteConfig.cors.allowedOrigins (or handle CORS in API Management).",
  validateResource: forSites((site, args, report) => {
    const origins = site.siteConfig?.cors?.allowedOrigins ?? [];
    if (origins.some((o) => o.trim() === "*")) {
      report(`${what(args)} allows CORS from "*": replace it in siteConfig.cors.allowedOrigins with the exact origins that call this app.`);
    }
  }),
});

// ---------------------------------------------------------------------------------------------
// Function apps
// ---------------------------------------------------------------------------------------------

const HOST_VERSION = "FUNCTIONS_EXTENSION_VERSION";

export const funcHostV4 = resourcePolicy({
  name: "func-host-v4",
  description: 'Function apps run host 4.x (FUNCTIONS_EXTENSION_VERSION "~4"); Flex Consumption sets the host itself.',
  severity: "high",
  remediationSteps: 'Set the app setting FUNCTIONS_EXTENSION_VERSION: "~4" (not on Flex Consumption, where the platform sets it).',
  validateResource: [
    ...forSites((site, args, report) => {
      if (!isFunctionAppKind(site.kind)) return args.notApplicable("not a function app");
      if (hasFunctionAppConfig(site)) return args.notApplicable("Flex Consumption always runs host 4.x and sets FUNCTIONS_EXTENSION_VERSION itself");
      if (site.siteConfig?.appSettings === undefined) return args.notApplicable("app settings are managed by a separate resource");
      const setting = findSetting(settingsFromPairs(site.siteConfig?.appSettings), HOST_VERSION);
      if (setting?.value === UNKNOWN) return;
      if (setting?.value !== "~4") {
        report(`${what(args)} has ${HOST_VERSION} ${show(setting?.value)}: set it to "~4" (hosts 1.x-3.x are out of support).`);
      }
    }),
    validateResourceOfType(web.WebAppApplicationSettings, (settings, args, report) => {
      const setting = findSetting(settingsFromMap(settings.properties), HOST_VERSION);
      if (setting === undefined || setting.value === UNKNOWN) return;
      if (setting.value !== "~4") {
        report(`app settings "${args.name}" set ${HOST_VERSION} ${show(setting.value)}: set it to "~4".`);
      }
    }),
  ],
});

/** Node.js end-of-life dates (nodejs/Release). Functions supports the even (LTS) releases. */
export const NODE_EOL: Readonly<Record<number, string>> = {
  18: "2025-04-30",
  20: "2026-04-30",
  22: "2027-04-30",
  24: "2028-04-30",
};
export const MIN_NODE_MAJOR = 22;
export const EOL_WARNING_DAYS = 180;

interface NodeRuntime {
  /** Where the version came from, for messages. */
  readonly source: string;
  readonly raw: string | Unknown | undefined;
}

/** The Node.js version a function app asks for, or undefined when it is not a Node app. */
export function nodeRuntimeOf(site: SiteProps): NodeRuntime | undefined {
  const runtime = peek(() => site.functionAppConfig?.runtime);
  if (runtime !== UNKNOWN && runtime?.name !== undefined) {
    if (!eqIgnoreCase(runtime.name, "node")) return undefined;
    return { source: "functionAppConfig.runtime.version", raw: peek(() => runtime.version) };
  }
  const fx = peek(() => site.siteConfig?.linuxFxVersion);
  if (typeof fx === "string" && fx.length > 0) {
    const m = /^node\|(.*)$/i.exec(fx);
    return m ? { source: "siteConfig.linuxFxVersion", raw: m[1] } : undefined;
  }
  const settings = settingsFromPairs(site.siteConfig?.appSettings);
  const windowsDefault = findSetting(settings, "WEBSITE_NODE_DEFAULT_VERSION");
  if (windowsDefault) return { source: "WEBSITE_NODE_DEFAULT_VERSION", raw: windowsDefault.value };
  const worker = findSetting(settings, "FUNCTIONS_WORKER_RUNTIME");
  if (worker && eqIgnoreCase(worker.value, "node")) return { source: "FUNCTIONS_WORKER_RUNTIME=node", raw: undefined };
  return undefined;
}

/** The major version in "22", "22.0", "~22", "22-lts". */
export function nodeMajor(raw: string): number | undefined {
  const m = /^~?(\d+)(?:[.-].*)?$/.exec(raw.trim());
  return m ? Number(m[1]) : undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The Node.js version rules. `now` is injectable so tests pin the date; the pack uses the clock.
 */
export function nodeVersionPolicies(now: () => Date = () => new Date()): PlatformPolicy[] {
  const nodeVersion = resourcePolicy({
    name: "func-node-version",
    description: `Node function apps pin a supported Node.js LTS release (>= ${MIN_NODE_MAJOR}, not past end of life).`,
    severity: "high",
    anchors: ["Azure.AppService.NodeJsVersion"],
    remediationSteps: 'Set functionAppConfig.runtime: { name: "node", version: "22" } (Flex) or siteConfig.linuxFxVersion: "Node|22".',
    validateResource: forSites((site, args, report) => {
      const rt = nodeRuntimeOf(site);
      if (!rt) return args.notApplicable("not a Node.js app");
      if (rt.raw === UNKNOWN) return;
      if (rt.raw === undefined || rt.raw.length === 0) {
        report(`${what(args)} runs Node.js without a pinned version (${rt.source}): set functionAppConfig.runtime.version (Flex) or siteConfig.linuxFxVersion to "Node|${MIN_NODE_MAJOR}".`);
        return;
      }
      const major = nodeMajor(rt.raw);
      if (major === undefined) {
        report(`${what(args)} has an unreadable Node.js version ${show(rt.raw)} in ${rt.source}: use a major version such as "${MIN_NODE_MAJOR}".`);
        return;
      }
      if (major < MIN_NODE_MAJOR) {
        report(`${what(args)} runs Node.js ${major} (${rt.source}): move to ${MIN_NODE_MAJOR} or later${NODE_EOL[major] ? ` (${major} reached end of life on ${NODE_EOL[major]})` : ""}.`);
        return;
      }
      if (major % 2 === 1) {
        report(`${what(args)} runs Node.js ${major}, not an LTS release Azure Functions supports: use an even major version (${MIN_NODE_MAJOR}, 24).`);
        return;
      }
      const eol = NODE_EOL[major];
      if (eol && Date.parse(eol) <= now().getTime()) {
        report(`${what(args)} runs Node.js ${major}, past end of life since ${eol}: move to a newer LTS release.`);
      }
    }),
  });
  const nodeEolSoon = resourcePolicy({
    name: "func-node-eol-soon",
    description: `Warns when a function app's Node.js release reaches end of life within ${EOL_WARNING_DAYS} days.`,
    severity: "low",
    remediationSteps: "Plan the move to the next Node.js LTS release and test the app on it.",
    validateResource: forSites((site, args, report) => {
      const rt = nodeRuntimeOf(site);
      if (!rt || rt.raw === UNKNOWN || rt.raw === undefined) return args.notApplicable("no pinned Node.js version");
      const major = nodeMajor(rt.raw);
      const eol = major === undefined ? undefined : NODE_EOL[major];
      if (!eol) return args.notApplicable("no known end-of-life date");
      const days = Math.ceil((Date.parse(eol) - now().getTime()) / DAY_MS);
      if (days > 0 && days <= EOL_WARNING_DAYS) {
        report(`${what(args)} runs Node.js ${major}, which reaches end of life on ${eol} (in ${days} days): move to the next LTS release before then.`);
      }
    }),
  });
  return [nodeVersion, nodeEolSoon];
}

// ---------------------------------------------------------------------------------------------
// Secrets in app settings
// ---------------------------------------------------------------------------------------------

/** The connection-string key marker in a value (./secret-shapes; SAS URLs are secretShape's), or the App Insights ingestion key (a secret unless Entra ingestion is on). */
function keyMarker(value: string): string | undefined {
  return keyMarkerIn(value, false)?.marker ?? (/instrumentationkey=/.test(value.toLowerCase().replace(/\s+/g, "")) ? "InstrumentationKey=" : undefined);
}

/** Whether a setting carries a secret that belongs in Key Vault or should be an identity connection. */
export function secretIn(setting: AppSetting, all: readonly AppSetting[]): string | undefined {
  if (setting.name.toUpperCase() === "APPINSIGHTS_INSTRUMENTATIONKEY") {
    return "the legacy instrumentation key: use APPLICATIONINSIGHTS_CONNECTION_STRING with APPLICATIONINSIGHTS_AUTHENTICATION_STRING (Entra ingestion)";
  }
  const value = setting.value;
  if (typeof value !== "string" || isKeyVaultReference(value)) return undefined;
  const normalized = value.toLowerCase().replace(/\s+/g, "");
  if (normalized.includes("instrumentationkey=") && setting.name.toUpperCase() === "APPLICATIONINSIGHTS_CONNECTION_STRING") {
    // With Entra ingestion (local auth off on the component) the key alone cannot write telemetry.
    const auth = findSetting(all, "APPLICATIONINSIGHTS_AUTHENTICATION_STRING");
    if (auth && (auth.value === UNKNOWN || (typeof auth.value === "string" && /Authorization=AAD/i.test(auth.value)))) return undefined;
    return "an ingestion key usable without Entra: add APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD;ClientId=<identity client id> and disable local auth on the component";
  }
  const marker = keyMarker(value);
  if (marker) {
    return `a key (${marker}…): use an identity-based connection (<CONNECTION>__accountName / __queueServiceUri / __fullyQualifiedNamespace with __credential=managedidentity) or a @Microsoft.KeyVault(...) reference`;
  }
  // Secrets in disguise (case and spacing, SAS sig=, client secrets, base64) and secret-named settings.
  const why = plaintextSecretSetting(setting.name, value);
  if (why) {
    return `${why}: use an identity-based connection (<CONNECTION>__accountName / __queueServiceUri / __fullyQualifiedNamespace with __credential=managedidentity) or a @Microsoft.KeyVault(SecretUri=...) reference`;
  }
  return undefined;
}

function reportSecrets(settings: readonly AppSetting[], where: string, report: ReportViolation): void {
  for (const s of settings) {
    const why = secretIn(s, settings);
    if (why) report(`${where} app setting ${s.name} holds ${why}.`);
  }
}

export const funcKvRefs = resourcePolicy({
  name: "func-kv-refs",
  description: "App settings carry no keys or connection-string secrets: identity-based connections or Key Vault references only.",
  severity: "high",
  remediationSteps:
    "Replace key-based connection strings with identity-based settings (<NAME>__queueServiceUri, __accountEndpoint, __credential=managedidentity, __clientId) or @Microsoft.KeyVault(SecretUri=...) references.",
  validateResource: [
    ...forSites((site, args, report) => {
      reportSecrets(settingsFromPairs(site.siteConfig?.appSettings), what(args), report);
      const conns = peek(() => site.siteConfig?.connectionStrings);
      if (conns !== UNKNOWN) {
        for (const c of conns ?? []) {
          const v = peek(() => c.connectionString);
          if (typeof v === "string" && !isKeyVaultReference(v) && (keyMarker(v) !== undefined || secretShape(v))) {
            report(`${what(args)} connection string ${show(c.name)} holds a key: use an identity-based connection or a @Microsoft.KeyVault(...) reference.`);
          }
        }
      }
    }),
    validateResourceOfType(web.WebAppApplicationSettings, (settings, args, report) => {
      reportSecrets(settingsFromMap(settings.properties), `app settings "${args.name}"`, report);
    }),
  ],
});

// ---------------------------------------------------------------------------------------------
// Stack: basic publishing credentials off (the Flex-compatible way to turn FTP off)
// ---------------------------------------------------------------------------------------------

/** The physical name of a site as the stack sees it (input `name`, or the output). */
export function siteName(app: PolicyResource): string | undefined {
  const v = peek(() => app.props.name);
  return typeof v === "string" ? v : undefined;
}

/** Whether `child` (a resource whose `name` input is a site name) belongs to `app`. */
export function belongsToSite(child: PolicyResource, app: PolicyResource): boolean {
  const linked = child.propertyDependencies["name"] ?? [];
  if (linked.some((r) => r.urn === app.urn)) return true;
  const name = siteName(app);
  if (!name || !sameName(peek(() => child.props.name), name)) return false;
  const rgChild = peek(() => child.props.resourceGroupName);
  const rgApp = peek(() => app.props.resourceGroupName);
  return typeof rgChild !== "string" || typeof rgApp !== "string" || sameName(rgChild, rgApp);
}

export const webBasicAuthOff = stackPolicy({
  name: "web-basic-auth-off",
  description: "Every site turns off FTP and SCM basic-auth publishing (web:WebAppFtpAllowed and web:WebAppScmAllowed with allow: false).",
  severity: "medium",
  remediationSteps:
    "Add web:WebAppFtpAllowed and web:WebAppScmAllowed for the app (name: app.name, resourceGroupName) with allow: false; deploy with an Entra token (OneDeploy).",
  validateStack: (args, report) => {
    const apps = args.resources.filter((r) => r.type === T.WebApp);
    if (apps.length === 0) return args.notApplicable("no web apps");
    const checks = [
      { type: T.WebAppFtpAllowed, label: "FTP", token: "web:WebAppFtpAllowed" },
      { type: T.WebAppScmAllowed, label: "SCM (Kudu) basic auth", token: "web:WebAppScmAllowed" },
    ] as const;
    for (const app of apps) {
      for (const check of checks) {
        const policies = args.resources.filter((r) => r.type === check.type && belongsToSite(r, app));
        if (policies.length === 0) {
          report(`web app "${app.name}" has no ${check.token}: add one with allow: false to turn ${check.label} publishing off.`, app.urn);
          continue;
        }
        for (const p of policies) {
          const allow = peek(() => p.props.allow);
          if (allow !== false && allow !== UNKNOWN) {
            report(`${check.token} "${p.name}" for web app "${app.name}" has allow ${show(allow)}: set allow: false.`, p.urn);
          }
        }
      }
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Stack: sites are not open to the internet (network isolation, or APIM-only through authentication)
// ---------------------------------------------------------------------------------------------

/** Sources that admit every address by themselves. */
const ANY_ADDRESS = new Set(["any", "0.0.0.0/0", "::/0", "*", "internet"]);

export { cidrRange, coversInternet } from "./ip-ranges";

interface Restriction {
  name?: unknown;
  action?: unknown;
  ipAddress?: unknown;
  tag?: unknown;
}

/** Why a set of access restrictions admits the internet, or undefined when it does not. */
function restrictionsExposure(defaultAction: unknown, rules: unknown, key: "ipSecurityRestrictions" | "scmIpSecurityRestrictions"): string | undefined {
  if (!eqIgnoreCase(defaultAction, "Deny")) return `${key}DefaultAction ${show(defaultAction)}`;
  const list = rules === UNKNOWN || !Array.isArray(rules) ? [] : (rules as Restriction[]);
  const allows = list.filter((r) => {
    const action = peek(() => r.action);
    return action === undefined || eqIgnoreCase(action, "Allow");
  });
  const any = allows.find((r) => {
    const a = peek(() => r.ipAddress);
    return typeof a === "string" && ANY_ADDRESS.has(a.trim().toLowerCase());
  });
  if (any) return `its default-deny ${key} allow every address (rule ${show(peek(() => any.name))})`;
  const cidrs = allows
    .map((r) => peek(() => r.ipAddress))
    .filter((a): a is string => typeof a === "string")
    .flatMap((a) => a.split(",").map((x) => x.trim()));
  if (coversInternet(cidrs)) return `its default-deny ${key} have allow rules (${cidrs.join(", ")}) that together cover every address`;
  return undefined;
}

/**
 * Why a site's own settings leave it reachable from the internet, or undefined when they do not:
 * `publicNetworkAccess` "Disabled" (private endpoint only), or access restrictions that deny by
 * default and whose allow rules, together, do not cover every address (two half-internet rules
 * are the internet).
 */
export function publicExposure(site: SiteProps): string | undefined {
  if (eqIgnoreCase(peek(() => site.publicNetworkAccess), "Disabled")) return undefined;
  const why = restrictionsExposure(peek(() => site.siteConfig?.ipSecurityRestrictionsDefaultAction), peek(() => site.siteConfig?.ipSecurityRestrictions), "ipSecurityRestrictions");
  return why ? `publicNetworkAccess ${show(peek(() => site.publicNetworkAccess))}, ${why}` : undefined;
}

/**
 * The same for the site's SCM (Kudu) endpoint: its own restrictions unless
 * scmIpSecurityRestrictionsUseMain, and closed when the site's public network access is.
 */
export function scmExposure(site: SiteProps): string | undefined {
  if (eqIgnoreCase(peek(() => site.publicNetworkAccess), "Disabled")) return undefined;
  if (peek(() => site.siteConfig?.scmIpSecurityRestrictionsUseMain) === true) return publicExposure(site);
  return restrictionsExposure(peek(() => site.siteConfig?.scmIpSecurityRestrictionsDefaultAction), peek(() => site.siteConfig?.scmIpSecurityRestrictions), "scmIpSecurityRestrictions");
}

/**
 * Reads again, without `peek`, what an exposure verdict was computed from: a value unknown during a
 * preview (a new app's whole siteConfig is unknown: the SDK wraps it in an apply) then stops the
 * policy the way CrossGuard does ("can't run policy during preview", @pulumi/policy
 * `unknownCheckingProxy`) instead of counting as exposure. Known values read as before.
 */
function requireKnown(site: SiteProps, endpoint: "site" | "scm"): void {
  void site.publicNetworkAccess;
  const config = site.siteConfig;
  if (config === undefined) return;
  if (endpoint === "scm") {
    void config.scmIpSecurityRestrictionsUseMain;
    void config.scmIpSecurityRestrictionsDefaultAction;
    void config.scmIpSecurityRestrictions;
  }
  if (endpoint === "site" || config.scmIpSecurityRestrictionsUseMain === true) {
    void config.ipSecurityRestrictionsDefaultAction;
    void config.ipSecurityRestrictions;
  }
}

/** Auth settings that make the site APIM-only: authentication required, unauthenticated calls refused, callers restricted. */
export function restrictsCallers(auth: PolicyResource): boolean {
  const props = auth.props as Unwrap<web.WebAppAuthSettingsV2Args>;
  if (peek(() => props.platform?.enabled) !== true) return false;
  if (peek(() => props.globalValidation?.requireAuthentication) !== true) return false;
  const action = peek(() => props.globalValidation?.unauthenticatedClientAction);
  if (!eqIgnoreCase(action, "Return401") && !eqIgnoreCase(action, "Return403")) return false;
  if (peek(() => props.identityProviders?.azureActiveDirectory?.enabled) === false) return false;
  const policy = peek(() => props.identityProviders?.azureActiveDirectory?.validation?.defaultAuthorizationPolicy);
  if (policy === UNKNOWN || policy === undefined) return false;
  // Principal ids are often unknown during a preview; the list's length is what matters.
  const nonEmpty = (v: unknown): boolean => Array.isArray(v) && v.length > 0;
  return nonEmpty(peek(() => policy.allowedPrincipals?.identities)) || nonEmpty(peek(() => policy.allowedApplications));
}

export const webPublicAccess = stackPolicy({
  name: "web-public-access",
  description:
    "Sites and their SCM (Kudu) endpoints are not open to the internet: publicNetworkAccess Disabled, or access restrictions that deny by default and whose allow rules together do not cover every address; a main site may instead be APIM-only (App Service authentication refuses unauthenticated calls and admits only listed principals/applications). SCM exposure can be waived per site with a reason.",
  severity: "medium",
  prodOnly: true,
  anchors: ["CKV_AZURE_222", "CKV_AZURE_221", "CKV_AZURE_13"],
  remediationSteps:
    'Set publicNetworkAccess: "Disabled" (private endpoint), or siteConfig.ipSecurityRestrictionsDefaultAction: "Deny" with narrow Allow rules (service tag ApiManagement), or add web:WebAppAuthSettingsV2 with requireAuthentication, Return401/Return403 and allowedPrincipals/allowedApplications. Close the SCM site the same way (scmIpSecurityRestrictions*) or waive "<site>/scm" with a reason.',
  configSchema: { properties: allowListSchema('SCM endpoints that may stay reachable: { "name": "<site logical name>/scm", "reason": "..." }.') },
  validateStack: (args, report) => {
    const sites = args.resources.filter((r) => r.type === T.WebApp || r.type === T.WebAppSlot);
    if (sites.length === 0) return args.notApplicable("no web apps");
    const authSettings = args.resources.filter((r) => r.type === T.WebAppAuthSettingsV2);
    const config = args.getConfig<{ allow?: { name: string; reason: string }[] }>();
    for (const site of sites) {
      const props = site.props as SiteProps;
      const kind = site.type === T.WebAppSlot ? "slot" : "site";
      const exposure = publicExposure(props);
      if (exposure !== undefined) {
        // Slots carry their own auth settings type (not matched here): for them only the network alternatives count.
        const auth = site.type === T.WebApp ? authSettings.filter((a) => belongsToSite(a, site)) : [];
        if (!auth.some(restrictsCallers)) {
          requireKnown(props, "site");
          const authNote =
            auth.length === 0
              ? "App Service authentication is off (no web:WebAppAuthSettingsV2)"
              : auth.some((a) => peek(() => (a.props as Unwrap<web.WebAppAuthSettingsV2Args>).platform?.enabled) === true)
                ? "App Service authentication is on but does not refuse unauthenticated callers or limit them to listed principals/applications"
                : "App Service authentication is off (platform.enabled is not true)";
          report(
            `${kind} "${site.name}" is reachable from the whole internet (${exposure}) and ${authNote}: ` +
              'set publicNetworkAccess: "Disabled", default-deny access restrictions (allowing only the gateway, service tag ApiManagement), ' +
              "or make it APIM-only with web:WebAppAuthSettingsV2 (requireAuthentication, Return401/403, allowedPrincipals or allowedApplications).",
            site.urn,
          );
        }
      }
      const scm = scmExposure(props);
      if (scm !== undefined && !allowListed(config, `${site.name}/scm`)) {
        requireKnown(props, "scm");
        report(
          `${kind} "${site.name}" exposes its SCM (Kudu) endpoint to the whole internet (${scm}); App Service authentication does not cover the SCM site. ` +
            'Set scmIpSecurityRestrictionsDefaultAction: "Deny" (or scmIpSecurityRestrictionsUseMain: true) with the deployers\' ranges, or waive "' +
            `${site.name}/scm" in web-public-access.allow with a reason.`,
          site.urn,
        );
      }
    }
  },
});

export const webPolicies: PlatformPolicy[] = [
  webHttpsOnly,
  webMinTls,
  webScmMinTls,
  webFtps,
  webFtpsDisabled,
  webIdentity,
  webRemoteDebug,
  webHttp2,
  webCors,
  webPublicAccess,
  funcHostV4,
  ...nodeVersionPolicies(),
  funcKvRefs,
  webBasicAuthOff,
];
