import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { bundleService } from "../../../components/function-app/bundle";
import { FunctionApp, type FunctionAppArgs } from "../../../components/function-app";
import { secretIn } from "../../../components/function-app/flex-rules";
import type { Plan, PlannedResource } from "../../../engine/plan-format";
import { BuiltInRole, deterministicGuid } from "../../../components/core/roles";
import { evaluate, ofType, one } from "../../helpers/plan";

const T = {
  component: "serverless-platform:web:FunctionApp",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  storage: "azure-native:storage:StorageAccount",
  blobService: "azure-native:storage:BlobServiceProperties",
  container: "azure-native:storage:BlobContainer",
  plan: "azure-native:web:AppServicePlan",
  app: "azure-native:web:WebApp",
  ftp: "azure-native:web:WebAppFtpAllowed",
  scm: "azure-native:web:WebAppScmAllowed",
  auth: "azure-native:web:WebAppAuthSettingsV2",
  role: "azure-native:authorization:RoleAssignment",
  lock: "azure-native:authorization:ManagementLockByScope",
  diag: "azure-native:monitor:DiagnosticSetting",
  codeDeployment: "pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment",
} as const;

const APP_INSIGHTS_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers/Microsoft.Insights/components/appi-test";
const APP_INSIGHTS_CS = "InstrumentationKey=11111111-1111-1111-1111-111111111111;IngestionEndpoint=https://eastus-0.in.applicationinsights.azure.com/";
const WORKSPACE_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers/Microsoft.OperationalInsights/workspaces/log-test";
const KV_REF = "@Microsoft.KeyVault(SecretUri=https://kv-test.vault.azure.net/secrets/webhook)";

/** Minimal args: an HTTP-only service, nothing optional, no deployment. */
function baseArgs(overrides: Partial<FunctionAppArgs> = {}): FunctionAppArgs {
  return {
    names: { prefix: "test", environment: "dev" },
    resourceGroupName: "rg-test",
    location: "eastus",
    tags: { owner: "team", costCenter: "1" },
    service: { name: "hello", directory: "test/fixtures/services/hello", entry: "src/index.ts" },
    triggers: ["http"],
    sizing: { instanceMemoryMB: 2048, maximumInstanceCount: 100, alwaysReady: [] },
    deploy: false,
    ...overrides,
  };
}

/** Every optional feature on: App Insights, connections, settings, CORS, auth, diagnostics, Durable. */
function fullArgs(): FunctionAppArgs {
  return baseArgs({
    triggers: ["http", "durable", "queue"],
    sizing: {
      instanceMemoryMB: 4096,
      maximumInstanceCount: 200,
      alwaysReady: [
        { name: "http", instanceCount: 2 },
        { name: "durable", instanceCount: 1 },
      ],
      httpPerInstanceConcurrency: 16,
    },
    appInsights: { connectionString: APP_INSIGHTS_CS, resourceId: APP_INSIGHTS_ID },
    connections: {
      COSMOS: { accountEndpoint: "https://cosmos-test.documents.azure.com:443/" },
      QUEUES: { queueServiceUri: pulumi.output("https://stqueues.queue.core.windows.net/") },
    },
    settings: { BACKEND_LEGACY_URL: "https://legacy.example.com/api", SECRET_WEBHOOK: KV_REF },
    cors: { allowedOrigins: ["https://portal.example.com"], supportCredentials: true },
    authentication: {
      tenantId: "22222222-2222-2222-2222-222222222222",
      clientId: "33333333-3333-3333-3333-333333333333",
      allowedAudiences: ["api://hello"],
      allowedPrincipalIds: ["44444444-4444-4444-4444-444444444444"],
      allowedApplicationIds: ["55555555-5555-5555-5555-555555555555"],
      excludedPaths: ["/api/health"],
    },
    workspaceId: WORKSPACE_ID,
  });
}

/** Evaluates one FunctionApp and returns the plan plus its public outputs (as stack outputs). */
async function planOf(args: FunctionAppArgs, name = "hello"): Promise<{ plan: Plan; out: Record<string, unknown> }> {
  const plan = await evaluate(() => {
    const app = new FunctionApp(name, args);
    return {
      name: app.name,
      resourceId: app.resourceId,
      defaultHostName: app.defaultHostName,
      principalId: app.identity.principalId,
      clientId: app.identity.clientId,
      identityId: app.identity.resourceId,
      granteeName: app.grantee.name,
      granteePrincipalId: app.grantee.principalId,
      hostStorageAccountId: app.hostStorageAccountId,
      planId: app.planId,
      packageHash: app.packageHash ?? "none",
    };
  });
  return { plan, out: plan.outputs };
}

const settingsOf = (plan: Plan): Record<string, unknown> => {
  const pairs = (one(plan, T.app).inputs.siteConfig as { appSettings: { name: string; value: unknown }[] }).appSettings;
  return Object.fromEntries(pairs.map((p) => [p.name, p.value]));
};
const roles = (plan: Plan): PlannedResource[] => ofType(plan, T.role);
const roleNamed = (plan: Plan, name: string): PlannedResource => one(plan, T.role, name);
const urnOf = (plan: Plan, type: string, name: string): string => one(plan, type, name).urn;

describe("FunctionApp (minimal: HTTP only, no optional args)", () => {
  let plan: Plan;
  let out: Record<string, unknown>;
  beforeAll(async () => ({ plan, out } = await planOf(baseArgs())));

  it("creates exactly the resources of a keyless Flex app", () => {
    const counts = Object.fromEntries(Object.values(T).map((t) => [t, ofType(plan, t).length]));
    expect(counts).toEqual({
      [T.component]: 1,
      [T.identity]: 1,
      [T.storage]: 1,
      [T.blobService]: 1,
      [T.container]: 1,
      [T.plan]: 1,
      [T.app]: 1,
      [T.ftp]: 1,
      [T.scm]: 1,
      [T.auth]: 0,
      [T.role]: 1,
      [T.lock]: 0,
      [T.diag]: 0,
      [T.codeDeployment]: 0,
    });
  });

  it("parents every child to the component and names it after the component", () => {
    const component = one(plan, T.component);
    for (const r of plan.resources.filter((r) => r.custom)) {
      expect(r.parent, r.name).toBe(component.urn);
      expect(r.name.startsWith("hello-"), r.name).toBe(true);
    }
  });

  it("creates a Flex Consumption plan (FC1, Linux, not zone redundant by default)", () => {
    const p = one(plan, T.plan);
    expect(p.inputs).toMatchObject({
      name: "test-hello-d",
      resourceGroupName: "rg-test",
      location: "eastus",
      kind: "functionapp",
      reserved: true,
      sku: { name: "FC1", tier: "FlexConsumption" },
      zoneRedundant: false,
      tags: { owner: "team", costCenter: "1" },
    });
    expect(out.planId).toMatch(/\/providers\/Microsoft\.Web\/serverfarms\/test-hello-d$/);
  });

  it("creates a keyless host storage account", () => {
    expect(one(plan, T.storage).inputs).toEqual({
      accountName: expect.stringMatching(/^[a-z0-9]{3,24}$/),
      resourceGroupName: "rg-test",
      location: "eastus",
      tags: { owner: "team", costCenter: "1" },
      kind: "StorageV2",
      sku: { name: "Standard_LRS" },
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      minimumTlsVersion: "TLS1_2",
      allowBlobPublicAccess: false,
      enableHttpsTrafficOnly: true,
      allowCrossTenantReplication: false,
    });
    expect(one(plan, T.storage).options).toEqual({ protect: false, retainOnDelete: false });
  });

  it("turns on blob and container soft delete", () => {
    const blob = one(plan, T.blobService);
    expect(blob.inputs).toMatchObject({
      accountName: one(plan, T.storage).inputs.accountName,
      blobServicesName: "default",
      deleteRetentionPolicy: { enabled: true, days: 7 },
      containerDeleteRetentionPolicy: { enabled: true, days: 7 },
    });
  });

  it("creates a private deployment container", () => {
    const c = one(plan, T.container);
    expect(c.inputs).toEqual({
      accountName: one(plan, T.storage).inputs.accountName,
      resourceGroupName: "rg-test",
      containerName: "test-hello-package-d",
      publicAccess: "None",
    });
  });

  it("creates a user-assigned identity and attaches it to the app", () => {
    expect(one(plan, T.identity).inputs).toMatchObject({ resourceName: "test-hello-d", resourceGroupName: "rg-test", location: "eastus" });
    const app = one(plan, T.app);
    expect(app.inputs.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: [out.identityId] });
    expect(app.inputs.keyVaultReferenceIdentity).toBe(out.identityId);
    expect(out.principalId).toBe(one(plan, T.identity).outputs.principalId);
    expect(out.clientId).toBe(one(plan, T.identity).outputs.clientId);
    expect(out.granteeName).toBe("hello");
    expect(out.granteePrincipalId).toBe(out.principalId);
  });

  it("creates a Linux function app on the plan, HTTPS only", () => {
    const app = one(plan, T.app);
    expect(app.inputs).toMatchObject({
      name: out.name,
      resourceGroupName: "rg-test",
      location: "eastus",
      kind: "functionapp,linux",
      serverFarmId: out.planId,
      httpsOnly: true,
      tags: { owner: "team", costCenter: "1" },
    });
    expect(out.name).toMatch(/^test-hello-d-[a-z0-9]{5}$/);
    expect(out.resourceId).toBe(`${String(out.planId).replace(/serverfarms\/.*$/, "sites/")}${String(out.name)}`);
    expect(out.defaultHostName).toBe(`${String(out.name)}.azurewebsites.net`);
    expect(out.packageHash).toBe("none");
  });

  it("configures Flex: deployment storage with the identity, Node 22, scale from sizing", () => {
    const blobEndpoint = `https://${String(one(plan, T.storage).inputs.accountName)}.blob.core.windows.net/`;
    expect(one(plan, T.app).inputs.functionAppConfig).toEqual({
      deployment: {
        storage: {
          type: "blobContainer",
          value: `${blobEndpoint}test-hello-package-d`,
          authentication: { type: "UserAssignedIdentity", userAssignedIdentityResourceId: out.identityId },
        },
      },
      runtime: { name: "node", version: "22" },
      scaleAndConcurrency: { instanceMemoryMB: 2048, maximumInstanceCount: 100, alwaysReady: [] },
    });
  });

  it("sets the secure site config and nothing Flex refuses", () => {
    const siteConfig = one(plan, T.app).inputs.siteConfig as Record<string, unknown>;
    expect(siteConfig).toMatchObject({
      minTlsVersion: "1.2",
      scmMinTlsVersion: "1.2",
      http20Enabled: true,
      remoteDebuggingEnabled: false,
    });
    // The SDK's default netFrameworkVersion "v4.6" is refused by Flex and must not be sent.
    for (const key of ["netFrameworkVersion", "linuxFxVersion", "ftpsState", "use32BitWorkerProcess", "functionAppScaleLimit", "cors"]) {
      expect(siteConfig, key).not.toHaveProperty(key);
    }
  });

  it("turns off FTP and SCM basic publishing credentials", () => {
    for (const type of [T.ftp, T.scm]) {
      const r = one(plan, type);
      expect(r.inputs).toEqual({ name: out.name, resourceGroupName: "rg-test", allow: false });
      expect(r.dependencies).toContain(one(plan, T.app).urn);
    }
  });

  it("writes exactly the identity-based host settings: the blob service only for an HTTP-only host (no FUNCTIONS_EXTENSION_VERSION: Flex sets the host)", () => {
    const account = String(one(plan, T.storage).inputs.accountName);
    expect(settingsOf(plan)).toEqual({
      AzureWebJobsStorage__blobServiceUri: `https://${account}.blob.core.windows.net`,
      AzureWebJobsStorage__credential: "managedidentity",
      AzureWebJobsStorage__clientId: out.clientId,
      AZURE_CLIENT_ID: out.clientId,
    });
    expect(Object.keys(settingsOf(plan)).map((k) => k.toLowerCase())).not.toContain("azurewebjobsstorage");
  });

  it("grants only Blob Data Owner on its own host storage to an HTTP-only app", () => {
    const grant = roleNamed(plan, "hello-host-blob-owner");
    const scope = out.hostStorageAccountId as string;
    expect(grant.inputs).toMatchObject({
      scope,
      principalId: out.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: expect.stringMatching(new RegExp(`/providers/Microsoft\\.Authorization/roleDefinitions/${BuiltInRole.storageBlobDataOwner}$`)),
      roleAssignmentName: deterministicGuid(scope.toLowerCase(), out.principalId as string, BuiltInRole.storageBlobDataOwner),
    });
    expect(scope).toMatch(new RegExp(`/Microsoft\\.Storage/storageAccounts/${String(one(plan, T.storage).inputs.accountName)}$`));
    expect(roles(plan)).toHaveLength(1);
  });
});

describe("FunctionApp (every option)", () => {
  let plan: Plan;
  let out: Record<string, unknown>;
  beforeAll(async () => ({ plan, out } = await planOf(fullArgs())));

  it("takes scale settings from sizing, including always-ready and HTTP concurrency", () => {
    const fac = one(plan, T.app).inputs.functionAppConfig as Record<string, unknown>;
    expect(fac.scaleAndConcurrency).toEqual({
      instanceMemoryMB: 4096,
      maximumInstanceCount: 200,
      alwaysReady: [
        { name: "http", instanceCount: 2 },
        { name: "durable", instanceCount: 1 },
      ],
      triggers: { http: { perInstanceConcurrency: 16 } },
    });
    expect(fac.runtime).toEqual({ name: "node", version: "22" });
  });

  it("writes App Insights with Entra ID authentication, connection trios and plain settings", () => {
    const s = settingsOf(plan);
    expect(s).toMatchObject({
      APPLICATIONINSIGHTS_CONNECTION_STRING: APP_INSIGHTS_CS,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `Authorization=AAD;ClientId=${String(out.clientId)}`,
      COSMOS__accountEndpoint: "https://cosmos-test.documents.azure.com:443/",
      COSMOS__credential: "managedidentity",
      COSMOS__clientId: out.clientId,
      QUEUES__queueServiceUri: "https://stqueues.queue.core.windows.net/",
      QUEUES__credential: "managedidentity",
      QUEUES__clientId: out.clientId,
      BACKEND_LEGACY_URL: "https://legacy.example.com/api",
      SECRET_WEBHOOK: KV_REF,
    });
    expect(Object.keys(s)).toHaveLength(6 + 2 + 6 + 2);
  });

  it("grants Monitoring Metrics Publisher on the App Insights component", () => {
    expect(roleNamed(plan, "hello-appinsights-publisher").inputs).toMatchObject({
      scope: APP_INSIGHTS_ID,
      principalId: out.principalId,
      roleDefinitionId: `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRole.monitoringMetricsPublisher}`,
      roleAssignmentName: deterministicGuid(APP_INSIGHTS_ID.toLowerCase(), out.principalId as string, BuiltInRole.monitoringMetricsPublisher),
    });
  });

  it("adds queue and table roles on the host storage for Durable Functions", () => {
    const scope = out.hostStorageAccountId as string;
    const expected = [
      ["hello-host-blob-owner", BuiltInRole.storageBlobDataOwner],
      ["hello-host-queue-contributor", BuiltInRole.storageQueueDataContributor],
      ["hello-host-table-contributor", BuiltInRole.storageTableDataContributor],
    ] as const;
    for (const [name, role] of expected) {
      const r = roleNamed(plan, name);
      expect(r.inputs.scope, name).toBe(scope);
      expect(r.inputs.principalId, name).toBe(out.principalId);
      expect(String(r.inputs.roleDefinitionId).endsWith(`/roleDefinitions/${role}`), name).toBe(true);
      expect(r.inputs.roleAssignmentName, name).toBe(deterministicGuid(scope.toLowerCase(), out.principalId as string, role));
    }
    expect(roles(plan).map((r) => r.name).sort()).toEqual([...expected.map(([n]) => n), "hello-appinsights-publisher"].sort());
  });

  it("sets CORS from the args", () => {
    expect((one(plan, T.app).inputs.siteConfig as Record<string, unknown>).cors).toEqual({
      allowedOrigins: ["https://portal.example.com"],
      supportCredentials: true,
    });
  });

  it("configures App Service authentication with Entra ID, 401 for anonymous callers", () => {
    const auth = one(plan, T.auth);
    expect(auth.inputs).toEqual({
      name: out.name,
      resourceGroupName: "rg-test",
      platform: { enabled: true, runtimeVersion: "~1" },
      globalValidation: { requireAuthentication: true, unauthenticatedClientAction: "Return401", excludedPaths: ["/api/health"] },
      httpSettings: { requireHttps: true },
      login: { tokenStore: { enabled: false } },
      identityProviders: {
        azureActiveDirectory: {
          enabled: true,
          registration: {
            clientId: "33333333-3333-3333-3333-333333333333",
            openIdIssuer: "https://sts.windows.net/22222222-2222-2222-2222-222222222222/v2.0",
          },
          validation: {
            allowedAudiences: ["api://hello"],
            defaultAuthorizationPolicy: {
              allowedApplications: ["55555555-5555-5555-5555-555555555555"],
              allowedPrincipals: { identities: ["44444444-4444-4444-4444-444444444444"] },
            },
          },
        },
      },
    });
    expect(auth.dependencies).toContain(one(plan, T.app).urn);
  });

  it("sends diagnostics: the site's logs, the account's metrics, the blob/queue/table services' logs", () => {
    const byName = (n: string) => one(plan, T.diag, n).inputs;
    const storageId = out.hostStorageAccountId as string;
    expect(byName("hello-app-diag")).toMatchObject({
      resourceUri: out.resourceId,
      workspaceId: WORKSPACE_ID,
      logs: [{ categoryGroup: "allLogs", enabled: true }],
      metrics: [{ category: "AllMetrics", enabled: true }],
    });
    expect(byName("hello-host-diag")).toMatchObject({ resourceUri: storageId, logs: [], metrics: [{ category: "AllMetrics", enabled: true }] });
    for (const svc of ["blob", "queue", "table"]) {
      expect(byName(`hello-host-${svc}-diag`), svc).toMatchObject({
        resourceUri: `${storageId}/${svc}Services/default`,
        workspaceId: WORKSPACE_ID,
        logs: [{ categoryGroup: "allLogs", enabled: true }],
      });
    }
    expect(ofType(plan, T.diag)).toHaveLength(5);
    expect(one(plan, T.diag, "hello-app-diag").propertyDependencies.resourceUri).toEqual([urnOf(plan, T.app, "hello-app")]);
    expect(one(plan, T.diag, "hello-host-diag").propertyDependencies.resourceUri).toEqual([urnOf(plan, T.storage, "hello-host")]);
  });
});

describe("FunctionApp: no secret in any app setting", () => {
  it("holds for the minimal and the full configuration", async () => {
    for (const args of [baseArgs(), fullArgs()]) {
      const { plan } = await planOf(args);
      for (const [key, value] of Object.entries(settingsOf(plan))) {
        expect(typeof value, key).toBe("string");
        expect(secretIn(value as string), `${key}=${String(value)}`).toBeUndefined();
        expect(value as string, key).not.toMatch(/AccountKey=|SharedAccessKey=|SharedAccessSignature=|[?&]sig=/i);
      }
    }
  });
});

describe("FunctionApp: switches", () => {
  it("zoneRedundant makes the plan zone redundant and the host storage ZRS", async () => {
    const { plan } = await planOf(baseArgs({ zoneRedundant: true }));
    expect(one(plan, T.plan).inputs.zoneRedundant).toBe(true);
    expect(one(plan, T.storage).inputs.sku).toEqual({ name: "Standard_ZRS" });
  });

  it("protect protects and locks the host storage", async () => {
    const { plan, out } = await planOf(baseArgs({ protect: true }));
    expect(one(plan, T.storage).options).toEqual({ protect: true, retainOnDelete: true });
    expect(one(plan, T.lock).inputs).toMatchObject({ scope: out.hostStorageAccountId, level: "CanNotDelete" });
  });
});

describe("FunctionApp: refused args", () => {
  // Refusals happen before anything is registered, so no Pulumi runtime is needed to observe them.
  const refused = (args: FunctionAppArgs): string => {
    try {
      new FunctionApp("hello", args);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("expected the FunctionApp to be refused");
  };

  it.each([
    ["FUNCTIONS_WORKER_RUNTIME", "node", "FUNCTIONS_WORKER_RUNTIME is not allowed on Flex Consumption: the runtime is set in functionAppConfig.runtime"],
    ["WEBSITE_RUN_FROM_PACKAGE", "1", "WEBSITE_RUN_FROM_PACKAGE is not allowed on Flex Consumption"],
    ["FUNCTIONS_EXTENSION_VERSION", "~4", "FUNCTIONS_EXTENSION_VERSION is not allowed on Flex Consumption"],
    ["WEBSITE_CONTENTSHARE", "x", "WEBSITE_CONTENTSHARE is not allowed on Flex Consumption"],
    ["AzureWebJobsStorage", "UseDevelopmentStorage=true", "AzureWebJobsStorage is not allowed on Flex Consumption"],
    ["DB", "Server=x;AccountKey=abc==", "DB must not hold a secret"],
  ])("refuses the setting %s", (key, value, message) => {
    const text = refused(baseArgs({ settings: { [key]: value } }));
    expect(text).toContain(`FunctionApp "hello"`);
    expect(text).toContain(message);
  });

  it("refuses sizing Flex does not accept, naming each problem", () => {
    const text = refused(
      baseArgs({ sizing: { instanceMemoryMB: 2048, maximumInstanceCount: 10, alwaysReady: [{ name: "http", instanceCount: 20 }] } }),
    );
    expect(text).toContain("sizing.maximumInstanceCount 10");
    expect(text).toContain("sizing.alwaysReady keeps 20 instances ready in total");
  });

  it.each([
    [{ settings: { AZURE_CLIENT_ID: "x" } }, "settings.AZURE_CLIENT_ID: set by the component"],
    [{ settings: { azurewebjobsstorage__clientid: "x" } }, "settings.azurewebjobsstorage__clientid: set by the component"],
    [{ settings: { APPLICATIONINSIGHTS_CONNECTION_STRING: "x" } }, "pass the appInsights arg instead"],
    [{ connections: { COSMOS: { accountEndpoint: "x" } }, settings: { COSMOS__credential: "x" } }, "settings.COSMOS__credential"],
    [{ connections: { COSMOS: { clientId: "x" } } }, "connections.COSMOS.clientId"],
    [{ connections: { AzureWebJobsStorage: { blobServiceUri: "x" } } }, "host storage connection"],
    [{ connections: { COSMOS: {} } }, "connections.COSMOS: needs at least one endpoint property"],
    [{ cors: { allowedOrigins: ["*"] } }, 'cors.allowedOrigins: "*" is not allowed'],
    [{ triggers: [] }, "triggers:"],
    [{ zoneRedundant: true, hostStorageSku: "Standard_LRS" as const }, "hostStorageSku: Standard_LRS is not zone-redundant"],
  ] as [Partial<FunctionAppArgs>, string][])("refuses conflicting args (%#)", (overrides, message) => {
    const text = refused(baseArgs(overrides));
    expect(text).toContain(`FunctionApp "hello": invalid arguments`);
    expect(text).toContain(message);
  });

  it("plans normally with the same args once the offending setting is gone", async () => {
    expect(() => new FunctionApp("hello", baseArgs({ settings: { FUNCTIONS_WORKER_RUNTIME: "node" } }))).toThrow();
    const { plan } = await planOf(baseArgs({ settings: { OTHER: "node" } }));
    expect(settingsOf(plan).OTHER).toBe("node");
  });
});

const scratch = mkdtempSync(path.join(tmpdir(), "function-app-test-"));

/** The deployment resource's inputs: the app's ARM id, the zip and its sha256. */
const DEPLOYMENT_INPUTS = (out: Record<string, unknown>) => ({
  siteId: out.resourceId,
  packagePath: path.join(path.resolve(__dirname, "../../.."), ".build", "functions", "hellofn", "hellofn.zip"),
  packageSha256: out.packageHash,
});

describe("FunctionApp: code deployment (deploy: true)", () => {
  // Its own service name, so its bundle folder (.build/functions/<name>) is not shared with other tests.
  const service = { name: "hellofn", directory: "test/fixtures/services/hello", entry: "src/index.ts" };
  let plan: Plan;
  let out: Record<string, unknown>;
  beforeAll(async () => ({ plan, out } = await planOf(baseArgs({ service, deploy: true }), "fn")));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("bundles the service folder and exposes the package hash", () => {
    expect(out.packageHash).toMatch(/^[0-9a-f]{64}$/);
    const again = bundleService({ name: service.name, directory: service.directory, entry: service.entry, outRoot: scratch });
    expect(out.packageHash).toBe(again.sha256);
  });

  it("creates one OneDeploy resource with the app id, the package and its hash", () => {
    const code = one(plan, T.codeDeployment, "fn-code");
    expect(code.parent).toBe(one(plan, T.component).urn);
    expect(code.inputs).toMatchObject(DEPLOYMENT_INPUTS(out));
  });

  it("deploys only after the app and the identity's blob role on the deployment storage", () => {
    const code = one(plan, T.codeDeployment, "fn-code");
    expect(code.dependencies).toEqual(
      expect.arrayContaining([urnOf(plan, T.app, "fn-app"), urnOf(plan, T.role, "fn-host-blob-owner")]),
    );
  });
});

describe("FunctionApp: zone redundancy needs 2 always-ready instances (issue 18 item 2)", () => {
  it("refuses a zone-redundant app with 1 always-ready instance, before registering anything", () => {
    expect(() => new FunctionApp("zr", { ...baseArgs(), zoneRedundant: true, sizing: { instanceMemoryMB: 2048, maximumInstanceCount: 40, alwaysReady: [{ name: "http", instanceCount: 1 }] } })).toThrow(
      /FunctionApp "zr" has a setting Flex Consumption rejects or ignores:\n {2}- sizing.alwaysReady "http" has instanceCount 1, but the plan is zone redundant/,
    );
  });
});

describe("FunctionApp: the bundle's functions decide the scale groups and what the deployment confirms", () => {
  it("refuses an always-ready group the bundle has no function for", () => {
    expect(() => new FunctionApp("groups", baseArgs({ deploy: true, sizing: { instanceMemoryMB: 2048, maximumInstanceCount: 40, alwaysReady: [{ name: "durable", instanceCount: 1 }] } }))).toThrow(
      /sizing.alwaysReady names "durable", which is not a scale group of this app's functions: expected one of http, function:helloQueue/,
    );
  });
});
