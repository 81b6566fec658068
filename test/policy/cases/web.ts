import { nodeVersionPolicies } from "../../../policy/rules/web";
import { set, with_ } from "../harness";
import { T, classicApp, flexApp, storageAccount } from "../resources";
import type { RuleCase } from "./types";

const storage = { type: T.storage, props: storageAccount, note: "a storage account" };
const settings = (pairs: Record<string, string>) => Object.entries(pairs).map(([name, value]) => ({ name, value }));
const withSetting = (app: typeof flexApp, name: string, value: string) =>
  set(app, "siteConfig.appSettings", [...((app.siteConfig as { appSettings: unknown[] }).appSettings ?? []), { name, value }]);

const juneFirst2026 = nodeVersionPolicies(() => new Date("2026-06-01T00:00:00Z"));
const afterNode22Eol = nodeVersionPolicies(() => new Date("2027-05-01T00:00:00Z"));
const december2026 = nodeVersionPolicies(() => new Date("2026-12-01T00:00:00Z"));

export const webCases: RuleCase[] = [
  {
    rule: "web-https-only",
    compliant: [
      { type: T.app, props: flexApp, note: "httpsOnly: true" },
      { type: T.slot, props: flexApp, note: "a slot with httpsOnly: true" },
    ],
    violating: [
      { type: T.app, props: set(flexApp, "httpsOnly", false), note: "httpsOnly: false", expect: /httpsOnly: true/ },
      { type: T.app, props: set(flexApp, "httpsOnly", undefined), note: "httpsOnly unset", expect: /httpsOnly unset/ },
      { type: T.slot, props: set(flexApp, "httpsOnly", false), note: "a slot with httpsOnly: false", expect: /slot .*httpsOnly/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "web-min-tls",
    compliant: [
      { type: T.app, props: flexApp, note: 'minTlsVersion "1.2"' },
      { type: T.app, props: set(flexApp, "siteConfig.minTlsVersion", "1.3"), note: 'minTlsVersion "1.3"' },
    ],
    violating: [
      { type: T.app, props: set(flexApp, "siteConfig.minTlsVersion", "1.0"), note: 'minTlsVersion "1.0"', expect: /minTlsVersion "1\.0".*"1\.2"/ },
      { type: T.app, props: set(flexApp, "siteConfig.minTlsVersion", undefined), note: "minTlsVersion unset", expect: /minTlsVersion unset/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "web-scm-min-tls",
    compliant: [
      { type: T.app, props: flexApp, note: 'scmMinTlsVersion "1.2"' },
      { type: T.app, props: set(flexApp, "siteConfig.scmMinTlsVersion", undefined), note: "scmMinTlsVersion unset (platform default 1.2)" },
    ],
    violating: [{ type: T.app, props: set(flexApp, "siteConfig.scmMinTlsVersion", "1.1"), note: 'scmMinTlsVersion "1.1"', expect: /scmMinTlsVersion "1\.1"/ }],
    notApplicable: [storage],
  },
  {
    rule: "web-ftps",
    compliant: [
      { type: T.app, props: classicApp, note: 'ftpsState "Disabled"' },
      { type: T.app, props: set(classicApp, "siteConfig.ftpsState", "FtpsOnly"), note: 'ftpsState "FtpsOnly"' },
    ],
    violating: [
      { type: T.app, props: set(classicApp, "siteConfig.ftpsState", "AllAllowed"), note: 'ftpsState "AllAllowed"', expect: /ftpsState "AllAllowed".*"Disabled"/ },
      { type: T.app, props: set(classicApp, "siteConfig.ftpsState", undefined), note: "ftpsState unset", expect: /ftpsState unset/ },
    ],
    notApplicable: [{ type: T.app, props: flexApp, note: "a Flex app (ftpsState is rejected there; web-basic-auth-off applies)" }, storage],
  },
  {
    rule: "web-ftps-disabled",
    compliant: [{ type: T.app, props: classicApp, note: 'ftpsState "Disabled"' }],
    violating: [{ type: T.app, props: set(classicApp, "siteConfig.ftpsState", "FtpsOnly"), note: 'ftpsState "FtpsOnly"', expect: /"FtpsOnly".*"Disabled"/ }],
    notApplicable: [{ type: T.app, props: flexApp, note: "a Flex app" }, storage],
  },
  {
    rule: "web-identity",
    compliant: [
      { type: T.app, props: flexApp, note: "a user-assigned identity" },
      { type: T.app, props: classicApp, note: "a system-assigned identity" },
      { type: T.app, props: set(flexApp, "identity.type", "SystemAssigned, UserAssigned"), note: "both identities" },
    ],
    violating: [
      { type: T.app, props: set(flexApp, "identity", undefined), note: "no identity", expect: /identity\.type unset/ },
      { type: T.app, props: set(flexApp, "identity", { type: "None" }), note: 'identity type "None"', expect: /identity\.type "None"/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "web-remote-debug",
    compliant: [
      { type: T.app, props: flexApp, note: "remoteDebuggingEnabled: false" },
      { type: T.app, props: classicApp, note: "remoteDebuggingEnabled unset" },
    ],
    violating: [{ type: T.app, props: set(flexApp, "siteConfig.remoteDebuggingEnabled", true), note: "remoteDebuggingEnabled: true", expect: /remoteDebuggingEnabled: true: set it to false/ }],
    notApplicable: [storage],
  },
  {
    rule: "web-http2",
    compliant: [{ type: T.app, props: flexApp, note: "http20Enabled: true" }],
    violating: [
      { type: T.app, props: set(flexApp, "siteConfig.http20Enabled", false), note: "http20Enabled: false", expect: /http20Enabled false/ },
      { type: T.app, props: set(flexApp, "siteConfig.http20Enabled", undefined), note: "http20Enabled unset", expect: /http20Enabled unset/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "web-cors",
    compliant: [
      { type: T.app, props: flexApp, note: "exact origins" },
      { type: T.app, props: set(flexApp, "siteConfig.cors", undefined), note: "no CORS" },
    ],
    violating: [
      { type: T.app, props: set(flexApp, "siteConfig.cors.allowedOrigins", ["https://a.example", "*"]), note: 'allowedOrigins with "*"', expect: /CORS from "\*"/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "func-host-v4",
    compliant: [
      { type: T.app, props: classicApp, note: 'FUNCTIONS_EXTENSION_VERSION "~4"' },
      { type: T.appSettings, props: { name: "contoso-func-legacy-p", resourceGroupName: "rg", properties: { FUNCTIONS_EXTENSION_VERSION: "~4" } }, note: "separate app settings with ~4" },
    ],
    violating: [
      {
        type: T.app,
        props: set(classicApp, "siteConfig.appSettings", settings({ FUNCTIONS_EXTENSION_VERSION: "~3" })),
        note: 'FUNCTIONS_EXTENSION_VERSION "~3"',
        expect: /FUNCTIONS_EXTENSION_VERSION "~3": set it to "~4"/,
      },
      {
        type: T.app,
        props: set(classicApp, "siteConfig.appSettings", settings({ FUNCTIONS_WORKER_RUNTIME: "node" })),
        note: "FUNCTIONS_EXTENSION_VERSION missing",
        expect: /FUNCTIONS_EXTENSION_VERSION unset/,
      },
      { type: T.appSettings, props: { name: "x", resourceGroupName: "rg", properties: { FUNCTIONS_EXTENSION_VERSION: "~2" } }, note: "separate app settings with ~2", expect: /"~2": set it to "~4"/ },
    ],
    notApplicable: [
      { type: T.app, props: flexApp, note: "a Flex app (the platform sets the host version)" },
      { type: T.app, props: set(classicApp, "kind", "app,linux"), note: "a web app that is not a function app" },
      storage,
    ],
  },
  {
    rule: "func-node-version",
    policy: juneFirst2026[0],
    compliant: [
      { type: T.app, props: flexApp, note: 'Flex runtime node "22"' },
      { type: T.app, props: set(flexApp, "functionAppConfig.runtime.version", "24"), note: 'Flex runtime node "24"' },
      { type: T.app, props: classicApp, note: 'linuxFxVersion "Node|22"' },
    ],
    violating: [
      { type: T.app, props: set(flexApp, "functionAppConfig.runtime.version", "20"), note: "Node 20", expect: /Node\.js 20 .*move to 22 or later.*2026-04-30/ },
      { type: T.app, props: set(classicApp, "siteConfig.linuxFxVersion", "NODE|18-lts"), note: 'linuxFxVersion "NODE|18-lts"', expect: /Node\.js 18/ },
      { type: T.app, props: set(flexApp, "functionAppConfig.runtime.version", "23"), note: "an odd (non-LTS) release", expect: /not an LTS release/ },
      { type: T.app, props: set(flexApp, "functionAppConfig.runtime.version", undefined), note: "no version", expect: /without a pinned version/ },
      {
        type: T.app,
        props: with_(classicApp, { "siteConfig.linuxFxVersion": undefined, "siteConfig.appSettings": settings({ WEBSITE_NODE_DEFAULT_VERSION: "~20" }) }),
        note: 'Windows WEBSITE_NODE_DEFAULT_VERSION "~20"',
        expect: /Node\.js 20/,
      },
    ],
    notApplicable: [{ type: T.app, props: set(flexApp, "functionAppConfig.runtime", { name: "python", version: "3.12" }), note: "a Python app" }, storage],
  },
  {
    rule: "func-node-version",
    policy: afterNode22Eol[0],
    compliant: [{ type: T.app, props: set(flexApp, "functionAppConfig.runtime.version", "24"), note: "Node 24 after Node 22's end of life" }],
    violating: [{ type: T.app, props: flexApp, note: "Node 22 after its end of life (2027-04-30)", expect: /past end of life since 2027-04-30/ }],
    notApplicable: [],
  },
  {
    rule: "func-node-eol-soon",
    policy: december2026[1],
    compliant: [{ type: T.app, props: set(flexApp, "functionAppConfig.runtime.version", "24"), note: "Node 24 (end of life 2028-04-30)" }],
    violating: [{ type: T.app, props: flexApp, note: "Node 22, 150 days before its end of life", expect: /end of life on 2027-04-30 \(in 150 days\)/ }],
    notApplicable: [
      { type: T.app, props: set(flexApp, "functionAppConfig.runtime", { name: "python", version: "3.12" }), note: "a Python app" },
      { type: T.app, props: set(flexApp, "functionAppConfig.runtime.version", "26"), note: "a release without a known end-of-life date" },
      storage,
    ],
  },
  {
    rule: "func-node-eol-soon",
    policy: juneFirst2026[1],
    compliant: [{ type: T.app, props: flexApp, note: "Node 22, 333 days before its end of life" }],
    violating: [],
    notApplicable: [],
  },
  {
    rule: "func-kv-refs",
    compliant: [
      { type: T.app, props: flexApp, note: "identity-based settings, Key Vault reference, App Insights with Entra ingestion" },
      { type: T.appSettings, props: { name: "x", resourceGroupName: "rg", properties: { COSMOS__accountEndpoint: "https://x.documents.azure.com:443/" } }, note: "separate identity-based settings" },
    ],
    violating: [
      {
        type: T.app,
        props: withSetting(flexApp, "AzureWebJobsStorage", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc==;EndpointSuffix=core.windows.net"),
        note: "a storage connection string with AccountKey",
        expect: /AzureWebJobsStorage holds a key \(AccountKey=…\).*identity-based connection/,
      },
      {
        type: T.app,
        props: set(flexApp, "siteConfig.appSettings", settings({ APPLICATIONINSIGHTS_CONNECTION_STRING: "InstrumentationKey=abc;IngestionEndpoint=https://x/" })),
        note: "an App Insights connection string without Entra ingestion",
        expect: /APPLICATIONINSIGHTS_CONNECTION_STRING holds an ingestion key.*APPLICATIONINSIGHTS_AUTHENTICATION_STRING/,
      },
      { type: T.app, props: withSetting(flexApp, "APPINSIGHTS_INSTRUMENTATIONKEY", "abc"), note: "the legacy instrumentation key setting", expect: /APPINSIGHTS_INSTRUMENTATIONKEY holds the legacy instrumentation key/ },
      {
        type: T.app,
        props: set(flexApp, "siteConfig.connectionStrings", [{ name: "Bus", type: "Custom", connectionString: "Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b" }]),
        note: "a connection string with SharedAccessKey",
        expect: /connection string "Bus" holds a key/,
      },
      {
        type: T.appSettings,
        props: { name: "x", resourceGroupName: "rg", properties: { EVENTS: "Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b" } },
        note: "separate app settings with SharedAccessKey",
        expect: /EVENTS holds a key \(SharedAccessKey=…\)/,
      },
    ],
    notApplicable: [storage],
  },
];
