import { describe, expect, it } from "vitest";
import {
  FLEX_MAXIMUM_INSTANCE_COUNT,
  FlexSettingsError,
  checkFlexSettings,
  secretIn,
} from "../../../components/function-app/flex-rules";
import type { ServiceSizing } from "../../../lib/config";

const sizing: ServiceSizing = { instanceMemoryMB: 2048, maximumInstanceCount: 100, alwaysReady: [] };
const withSizing = (s: Partial<ServiceSizing>): ServiceSizing => ({ ...sizing, ...s });

describe("checkFlexSettings: app settings", () => {
  it("accepts the settings the component writes and ordinary settings", () => {
    expect(
      checkFlexSettings({
        settings: {
          AzureWebJobsStorage__blobServiceUri: "https://st.blob.core.windows.net",
          AzureWebJobsStorage__credential: "managedidentity",
          AzureWebJobsStorage__clientId: "00000000-0000-0000-0000-000000000001",
          APPLICATIONINSIGHTS_CONNECTION_STRING: "InstrumentationKey=abc;IngestionEndpoint=https://eastus-0.in.applicationinsights.azure.com/",
          APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD;ClientId=00000000-0000-0000-0000-000000000001",
          SECRET_WEBHOOK: "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/webhook)",
          BACKEND_LEGACY_URL: "https://legacy.example.com/api?design=1",
        },
        sizing,
      }),
    ).toEqual([]);
  });

  it.each([
    ["FUNCTIONS_WORKER_RUNTIME", "node", "the runtime is set in functionAppConfig.runtime"],
    ["functions_worker_runtime", "node", "the runtime is set in functionAppConfig.runtime"],
    ["FUNCTIONS_WORKER_RUNTIME_VERSION", "~22", "functionAppConfig.runtime"],
    ["FUNCTIONS_EXTENSION_VERSION", "~4", "sets the host version itself"],
    ["WEBSITE_RUN_FROM_PACKAGE", "1", "Flex ignores it"],
    ["WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "x", "no Azure Files content share"],
    ["WEBSITE_CONTENTSHARE", "share", "no Azure Files content share"],
    ["WEBSITE_CONTENTOVERVNET", "1", "no Azure Files content share"],
    ["SCM_DO_BUILD_DURING_DEPLOYMENT", "true", "pre-built packages"],
    ["ENABLE_ORYX_BUILD", "true", "pre-built packages"],
    ["WEBSITE_NODE_DEFAULT_VERSION", "~22", "functionAppConfig.runtime.version"],
    ["WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT", "10", "maximumInstanceCount"],
    ["AzureWebJobsStorage", "UseDevelopmentStorage=true", "identity-based AzureWebJobsStorage__*"],
    ["AzureWebJobsDashboard", "x", "retired"],
    ["APPINSIGHTS_INSTRUMENTATIONKEY", "abc", "appInsights arg"],
  ])("refuses %s, naming the key and why", (key, value, why) => {
    const problems = checkFlexSettings({ settings: { [key]: value }, sizing });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.key).toBe(key);
    expect(problems[0]!.message).toContain(`${key} is not allowed on Flex Consumption`);
    expect(problems[0]!.message).toContain(why);
  });

  it("words the worker runtime refusal exactly", () => {
    expect(checkFlexSettings({ settings: { FUNCTIONS_WORKER_RUNTIME: "node" }, sizing })[0]!.message).toBe(
      "FUNCTIONS_WORKER_RUNTIME is not allowed on Flex Consumption: the runtime is set in functionAppConfig.runtime",
    );
  });

  it.each([
    ["a storage connection string", "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc==;EndpointSuffix=core.windows.net", "AccountKey="],
    ["a Service Bus connection string", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=abc=", "SharedAccessKey="],
    ["a storage SAS connection string", "BlobEndpoint=https://st.blob.core.windows.net/;SharedAccessSignature=sv=2022&sig=abc", "SharedAccessSignature="],
    ["a SAS URL", "https://st.blob.core.windows.net/c/app.zip?sv=2022-11-02&se=2030-01-01&sp=r&sig=abc%3D", "sig="],
    ["a bare SAS token", "sig=abc&sv=2022-11-02", "sig="],
  ])("refuses a value that is %s", (_what, value, marker) => {
    const problems = checkFlexSettings({ settings: { SOME_SETTING: value }, sizing });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.key).toBe("SOME_SETTING");
    expect(problems[0]!.message).toContain("SOME_SETTING must not hold a secret");
    expect(problems[0]!.message).toContain(marker);
  });

  it("reports a forbidden key and a secret value on the same setting separately", () => {
    const problems = checkFlexSettings({
      settings: { AzureWebJobsStorage: "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc==" },
      sizing,
    });
    expect(problems.map((p) => p.key)).toEqual(["AzureWebJobsStorage", "AzureWebJobsStorage"]);
  });

  it("skips values that are not plain strings (unresolved outputs are checked later)", () => {
    expect(checkFlexSettings({ settings: { LATER: { not: "a string" } }, sizing })).toEqual([]);
  });

  it("does not mistake words containing 'sig' for a SAS token", () => {
    expect(secretIn("https://example.com/design=1")).toBeUndefined();
    expect(secretIn("https://example.com/?signal=1")).toBeUndefined();
  });
});

describe("checkFlexSettings: sizing", () => {
  it.each([512, 2048, 4096] as const)("accepts instance memory %i", (instanceMemoryMB) => {
    expect(checkFlexSettings({ settings: {}, sizing: withSizing({ instanceMemoryMB }) })).toEqual([]);
  });

  it.each([0, 1024, 8192])("refuses instance memory %i", (m) => {
    const problems = checkFlexSettings({ settings: {}, sizing: { ...sizing, instanceMemoryMB: m as 2048 } });
    expect(problems.map((p) => p.key)).toEqual(["sizing.instanceMemoryMB"]);
    expect(problems[0]!.message).toContain("512, 2048, 4096");
  });

  it.each([
    [FLEX_MAXIMUM_INSTANCE_COUNT.min, true],
    [FLEX_MAXIMUM_INSTANCE_COUNT.max, true],
    [100, true],
    [1, false],
    [39, false],
    [1001, false],
    [50.5, false],
  ])("maximumInstanceCount %d accepted: %s", (maximumInstanceCount, ok) => {
    const problems = checkFlexSettings({ settings: {}, sizing: withSizing({ maximumInstanceCount }) });
    expect(problems.map((p) => p.key)).toEqual(ok ? [] : ["sizing.maximumInstanceCount"]);
  });

  it("refuses always-ready instances that exceed the maximum in total", () => {
    const problems = checkFlexSettings({
      settings: {},
      sizing: withSizing({
        maximumInstanceCount: 40,
        alwaysReady: [
          { name: "http", instanceCount: 30 },
          { name: "durable", instanceCount: 11 },
        ],
      }),
    });
    expect(problems.map((p) => p.key)).toEqual(["sizing.alwaysReady"]);
    expect(problems[0]!.message).toContain("41 instances");
  });

  it("accepts always-ready instances up to the maximum", () => {
    const s = withSizing({ maximumInstanceCount: 40, alwaysReady: [{ name: "http", instanceCount: 40 }] });
    expect(checkFlexSettings({ settings: {}, sizing: s })).toEqual([]);
  });

  it("refuses duplicate always-ready names", () => {
    const problems = checkFlexSettings({
      settings: {},
      sizing: withSizing({ alwaysReady: [{ name: "http", instanceCount: 1 }, { name: "http", instanceCount: 2 }] }),
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('names "http" more than once');
  });

  it("refuses always-ready entries with no instances", () => {
    const problems = checkFlexSettings({ settings: {}, sizing: withSizing({ alwaysReady: [{ name: "http", instanceCount: 0 }] }) });
    expect(problems.map((p) => p.key)).toEqual(["sizing.alwaysReady"]);
  });

  it.each([
    [1, true],
    [1000, true],
    [0, false],
    [1001, false],
  ])("httpPerInstanceConcurrency %d accepted: %s", (httpPerInstanceConcurrency, ok) => {
    const problems = checkFlexSettings({ settings: {}, sizing: withSizing({ httpPerInstanceConcurrency }) });
    expect(problems.map((p) => p.key)).toEqual(ok ? [] : ["sizing.httpPerInstanceConcurrency"]);
  });
});

describe("checkFlexSettings: siteConfig", () => {
  it("accepts the secure defaults the component sends", () => {
    const siteConfigExtras = { minTlsVersion: "1.2", scmMinTlsVersion: "1.2", http20Enabled: true, remoteDebuggingEnabled: false };
    expect(checkFlexSettings({ settings: {}, sizing, siteConfigExtras })).toEqual([]);
  });

  it.each([
    ["linuxFxVersion", "NODE|22"],
    ["netFrameworkVersion", "v8.0"],
    ["use32BitWorkerProcess", false],
    ["ftpsState", "Disabled"],
    ["functionAppScaleLimit", 10],
  ])("refuses siteConfig.%s", (key, value) => {
    const problems = checkFlexSettings({ settings: {}, sizing, siteConfigExtras: { [key]: value } });
    expect(problems.map((p) => p.key)).toEqual([`siteConfig.${key}`]);
    expect(problems[0]!.message).toContain(`siteConfig.${key} is not allowed on Flex Consumption`);
  });
});

describe("FlexSettingsError", () => {
  it("lists every problem in one message", () => {
    const problems = checkFlexSettings({
      settings: { FUNCTIONS_WORKER_RUNTIME: "node", WEBSITE_RUN_FROM_PACKAGE: "1" },
      sizing: withSizing({ maximumInstanceCount: 10 }),
    });
    const error = new FlexSettingsError("orders", problems);
    expect(error.message).toMatch(/^FunctionApp "orders" has settings Flex Consumption rejects or ignores:/);
    expect(error.message).toContain("FUNCTIONS_WORKER_RUNTIME is not allowed");
    expect(error.message).toContain("WEBSITE_RUN_FROM_PACKAGE is not allowed");
    expect(error.message).toContain("sizing.maximumInstanceCount 10");
  });
});

describe("checkFlexSettings: zone redundancy and scale groups (issue 18 item 2)", () => {
  const ar = (...entries: [string, number][]) => withSizing({ alwaysReady: entries.map(([name, instanceCount]) => ({ name, instanceCount })) });

  it.each<[string, ServiceSizing]>([
    ["http: 1", ar(["http", 1])],
    ["durable: 1 next to http: 2", ar(["http", 2], ["durable", 1])],
    ["a single function with 1", ar(["function:relayOutbox", 1])],
  ])("refuses fewer than 2 always-ready instances on a zone-redundant plan (%s)", (_what, s) => {
    const problems = checkFlexSettings({ settings: {}, sizing: s, zoneRedundant: true });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.key).toBe("sizing.alwaysReady");
    expect(problems[0]!.message).toMatch(/has instanceCount 1, but the plan is zone redundant: .*at least 2 .*set instanceCount >= 2, or turn the service's zoneRedundant off/);
  });

  it("accepts 2 or more with zone redundancy, and 1 without it", () => {
    expect(checkFlexSettings({ settings: {}, sizing: ar(["http", 2], ["function:relayOutbox", 3]), zoneRedundant: true })).toEqual([]);
    expect(checkFlexSettings({ settings: {}, sizing: ar(["http", 1]), zoneRedundant: false })).toEqual([]);
  });

  it("refuses an always-ready entry for a group or function the app does not have", () => {
    const problems = checkFlexSettings({ settings: {}, sizing: ar(["durable", 2], ["function:relayOutbx", 2]), scaleGroups: ["http", "function:relayOutbox"] });
    expect(problems.map((p) => p.message)).toEqual([
      'sizing.alwaysReady names "durable", which is not a scale group of this app\'s functions: expected one of http, function:relayOutbox',
      'sizing.alwaysReady names "function:relayOutbx", which is not a scale group of this app\'s functions: expected one of http, function:relayOutbox',
    ]);
  });
});
