import { set } from "../harness";
import { T, classicApp, flexApp, flexPlan, storageAccount } from "../resources";
import type { RuleCase, Violating } from "./types";

const storage = { type: T.storage, props: storageAccount, note: "a storage account" };
const appSettings = (flexApp.siteConfig as { appSettings: { name: string; value: string }[] }).appSettings;
const withSetting = (name: string, value: string) => set(flexApp, "siteConfig.appSettings", [...appSettings, { name, value }]);

const rejectedSettings: Violating[] = [
  ["FUNCTIONS_WORKER_RUNTIME", "node", /remove app setting FUNCTIONS_WORKER_RUNTIME \(the runtime is set in functionAppConfig\.runtime\)/],
  ["FUNCTIONS_WORKER_RUNTIME_VERSION", "22", /FUNCTIONS_WORKER_RUNTIME_VERSION/],
  ["FUNCTIONS_EXTENSION_VERSION", "~4", /remove app setting FUNCTIONS_EXTENSION_VERSION \(Flex always runs Functions host 4\.x and sets the host version itself\)/],
  ["WEBSITE_RUN_FROM_PACKAGE", "1", /WEBSITE_RUN_FROM_PACKAGE \(Flex ignores it and runs the package in functionAppConfig\.deployment\.storage \(deployed with OneDeploy\)\)/],
  ["WEBSITE_CONTENTSHARE", "orders", /WEBSITE_CONTENTSHARE \(Flex has no Azure Files content share; code lives in the deployment blob container\)/],
  ["WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/s)", /WEBSITE_CONTENTAZUREFILECONNECTIONSTRING/],
  ["SCM_DO_BUILD_DURING_DEPLOYMENT", "true", /SCM_DO_BUILD_DURING_DEPLOYMENT \(deployments are pre-built packages published with OneDeploy \(RemoteBuild=false\)\)/],
  ["WEBSITE_NODE_DEFAULT_VERSION", "~22", /WEBSITE_NODE_DEFAULT_VERSION \(the Node\.js version is set in functionAppConfig\.runtime\.version\)/],
  ["website_max_dynamic_application_scale_out", "10", /maximumInstanceCount/],
].map(([name, value, expect]) => ({ type: T.app, props: withSetting(name as string, value as string), note: `app setting ${name as string}`, expect: expect as RegExp }));

const rejectedSiteConfig: Violating[] = [
  ["linuxFxVersion", "Node|22", /remove siteConfig\.linuxFxVersion \("Node\|22"\): set functionAppConfig\.runtime/],
  ["netFrameworkVersion", "v8.0", /remove siteConfig\.netFrameworkVersion/],
  ["use32BitWorkerProcess", false, /remove siteConfig\.use32BitWorkerProcess \(false\): Flex runs 64-bit Linux workers only/],
  ["ftpsState", "Disabled", /remove siteConfig\.ftpsState \("Disabled"\): turn FTP off with web:WebAppFtpAllowed/],
  ["functionAppScaleLimit", 10, /remove siteConfig\.functionAppScaleLimit \(10\): set functionAppConfig\.scaleAndConcurrency\.maximumInstanceCount/],
].map(([key, value, expect]) => ({ type: T.app, props: set(flexApp, `siteConfig.${key as string}`, value), note: `siteConfig.${key as string}`, expect: expect as RegExp }));

export const flexCases: RuleCase[] = [
  {
    rule: "flex-unsupported-settings",
    compliant: [
      { type: T.app, props: flexApp, note: "a Flex app with functionAppConfig and identity-based settings" },
      { type: T.slot, props: flexApp, note: "a Flex slot" },
    ],
    violating: [...rejectedSettings, ...rejectedSiteConfig],
    notApplicable: [{ type: T.app, props: classicApp, note: "an app without functionAppConfig (dedicated plan)" }, storage],
  },
  {
    rule: "func-runtime-version-format",
    compliant: [
      { type: T.app, props: flexApp, note: 'node "22"' },
      { type: T.app, props: set(flexApp, "functionAppConfig.runtime", { name: "python", version: "3.12" }), note: 'python "3.12"' },
      { type: T.app, props: set(flexApp, "functionAppConfig.runtime", { name: "dotnet-isolated", version: "8.0" }), note: 'dotnet-isolated "8.0"' },
      { type: T.app, props: classicApp, note: 'linuxFxVersion "Node|22"' },
    ],
    violating: [
      { type: T.app, props: set(flexApp, "functionAppConfig.runtime.version", "22.0"), note: 'node "22.0"', expect: /runtime\.version "22\.0" for node: .*e\.g\. "22"/ },
      { type: T.app, props: set(flexApp, "functionAppConfig.runtime.version", "~22"), note: 'node "~22"', expect: /"~22"/ },
      { type: T.app, props: set(flexApp, "functionAppConfig.runtime", { name: "python", version: "3" }), note: 'python "3"', expect: /e\.g\. "3\.12"/ },
      { type: T.app, props: set(flexApp, "functionAppConfig.runtime", { name: "node" }), note: "a runtime without version", expect: /without a version: set version \(e\.g\. "22"\)/ },
      { type: T.app, props: set(classicApp, "siteConfig.linuxFxVersion", "node|22-lts"), note: 'linuxFxVersion "node|22-lts"', expect: /"Node\|<major>"/ },
    ],
    notApplicable: [{ type: T.app, props: set(classicApp, "siteConfig.linuxFxVersion", undefined), note: "an app with no runtime version declared" }, storage],
  },
  {
    rule: "plan-zr",
    compliant: [
      { type: T.plan, props: flexPlan, note: "an FC1 plan with zoneRedundant: true" },
      { type: T.plan, props: set(set(flexPlan, "sku", { name: "P1v3", tier: "PremiumV3" }), "kind", "linux"), note: "a P1v3 plan with zoneRedundant: true" },
    ],
    violating: [
      { type: T.plan, props: set(flexPlan, "zoneRedundant", false), note: "zoneRedundant: false", expect: /sku "FC1"\) has zoneRedundant false: set it to true/ },
      { type: T.plan, props: set(flexPlan, "zoneRedundant", undefined), note: "zoneRedundant unset", expect: /zoneRedundant unset/ },
    ],
    notApplicable: [{ type: T.plan, props: set(set(flexPlan, "sku", { name: "Y1", tier: "Dynamic" }), "zoneRedundant", undefined), note: "a Y1 plan" }, storage],
  },
];
