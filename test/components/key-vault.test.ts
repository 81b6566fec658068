import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { KeyVault, type KeyVaultArgs, assertSecret } from "../../components/key-vault";
import { evaluateProgram } from "../../engine/plan";
import { Simulator } from "../../engine/simulator";
import type { Plan } from "../../engine/plan-format";
import { PROJECT } from "../../lib/config";
import { LOCK_NOTES } from "../../components/core/protection";
import { BuiltInRole, deterministicGuid } from "../../components/core/roles";
import { evaluate, ofType, one } from "../helpers/plan";

const names = { prefix: "test", environment: "dev" };
const base = (over: Partial<KeyVaultArgs> = {}): KeyVaultArgs => ({
  names,
  resourceGroupName: "rg",
  location: "eastus",
  tags: { owner: "team" },
  protect: false,
  ...over,
});

const VAULT = "azure-native:keyvault:Vault";
const SECRET = "azure-native:keyvault:Secret";
const RA = "azure-native:authorization:RoleAssignment";
const LOCK = "azure-native:authorization:ManagementLockByScope";
const DIAG = "azure-native:monitor:DiagnosticSetting";
const PRINCIPAL = "11111111-2222-3333-4444-555555555555";
const sim = new Simulator({ stack: "test" });
const vaultId = (plan: Plan): string =>
  `/subscriptions/${sim.subscriptionId}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${one(plan, VAULT).outputs.name as string}`;
const roleDef = (role: string): string => `/subscriptions/${sim.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`;

describe("KeyVault", () => {
  it("creates an RBAC-only vault with soft delete, bypass for Azure services, and no purge protection or lock when unprotected", async () => {
    const plan = await evaluate(() => {
      new KeyVault("kv", base());
    });
    const vault = one(plan, VAULT);
    expect(vault.inputs).toEqual({
      vaultName: expect.stringMatching(/^test-kv-d-[a-z0-9]{5}$/),
      resourceGroupName: "rg",
      location: "eastus",
      tags: { owner: "team" },
      properties: {
        tenantId: sim.tenantId,
        sku: { family: "A", name: "standard" },
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: 90,
        enabledForDeployment: false,
        enabledForDiskEncryption: false,
        enabledForTemplateDeployment: false,
        publicNetworkAccess: "Enabled",
        networkAcls: { bypass: "AzureServices", defaultAction: "Allow" },
      },
    });
    expect(vault.options).toEqual({ protect: false, retainOnDelete: false });
    expect(ofType(plan, LOCK)).toHaveLength(0);
    expect(ofType(plan, DIAG)).toHaveLength(0);
  });

  it("turns on purge protection, protect/retainOnDelete and a CanNotDelete lock when protected", async () => {
    const plan = await evaluate(() => {
      new KeyVault("kv", base({ protect: true, publicNetworkAccess: "Disabled", networkDefaultAction: "Deny", softDeleteRetentionInDays: 30 }));
    });
    const vault = one(plan, VAULT);
    expect(vault.inputs.properties).toMatchObject({
      enablePurgeProtection: true,
      softDeleteRetentionInDays: 30,
      publicNetworkAccess: "Disabled",
      networkAcls: { bypass: "AzureServices", defaultAction: "Deny" },
    });
    expect(vault.options).toEqual({ protect: true, retainOnDelete: true });
    const lock = one(plan, LOCK);
    expect(lock.inputs).toEqual({ scope: vaultId(plan), level: "CanNotDelete", lockName: "protect-data", notes: LOCK_NOTES });
    expect(lock.propertyDependencies.scope).toEqual([vault.urn]);
  });

  it("stores a secret Output with an expiry, grants read on that secret only, and builds the Key Vault reference", async () => {
    const run = () =>
      evaluate(() => {
        const kv = new KeyVault("kv", base({ secretExpiresOn: "2027-01-31T00:00:00Z" }));
        kv.setSecret("webhook-key", pulumi.secret("s3cr3t"), { contentType: "text/plain" });
        kv.setSecret("other", pulumi.secret("x"), { expiresOn: "2026-12-01T00:00:00Z" });
        kv.grantSecretsRead({ name: "notify", principalId: PRINCIPAL }, "webhook-key");
        kv.grantSecretsRead({ name: "ops", principalId: PRINCIPAL });
        return { ref: kv.reference("webhook-key") };
      });
    const plan = await run();
    const secret = one(plan, SECRET, "kv-webhook-key");
    expect(secret.inputs).toEqual({
      vaultName: one(plan, VAULT).outputs.name,
      resourceGroupName: "rg",
      secretName: "webhook-key",
      tags: { owner: "team" },
      properties: { value: "[secret]", attributes: { enabled: true, expires: Date.UTC(2027, 0, 31) / 1000 }, contentType: "text/plain" },
    });
    expect(JSON.stringify(plan)).not.toContain("s3cr3t");
    expect(one(plan, SECRET, "kv-other").inputs.properties).toMatchObject({ attributes: { enabled: true, expires: Date.UTC(2026, 11, 1) / 1000 } });

    const secretScope = `${vaultId(plan)}/secrets/webhook-key`;
    expect(one(plan, RA, "kv-notify-secrets-read-webhook-key").inputs).toEqual({
      scope: secretScope,
      principalId: PRINCIPAL,
      principalType: "ServicePrincipal",
      roleDefinitionId: roleDef(BuiltInRole.keyVaultSecretsUser),
      roleAssignmentName: deterministicGuid(secretScope.toLowerCase(), PRINCIPAL, BuiltInRole.keyVaultSecretsUser),
    });
    expect(one(plan, RA, "kv-ops-secrets-read").inputs.scope).toBe(vaultId(plan));
    const vaultName = one(plan, VAULT).outputs.name as string;
    expect(plan.outputs.ref).toBe(`@Microsoft.KeyVault(SecretUri=https://${vaultName}.vault.azure.net/secrets/webhook-key)`);

    const again = await run();
    expect(ofType(again, RA).map((r) => r.inputs.roleAssignmentName)).toEqual(ofType(plan, RA).map((r) => r.inputs.roleAssignmentName));
  });

  it("stores a secret config value through setSecretFromConfig", async () => {
    const plan = await evaluateProgram({
      project: PROJECT,
      stack: "test",
      config: { [`${PROJECT}:webhookKey`]: "from-config" },
      secretKeys: [`${PROJECT}:webhookKey`],
      program: () => {
        new KeyVault("kv", base()).setSecretFromConfig("webhookKey", { expiresOn: "2027-01-31" });
        return {};
      },
    });
    expect(one(plan, SECRET).inputs).toMatchObject({ secretName: "webhookKey", properties: { value: "[secret]" } });
  });

  it("refuses a plain string, and an Output that is not secret", async () => {
    await evaluate(() => {
      const kv = new KeyVault("kv", base());
      const plain = "s3cr3t" as unknown as pulumi.Output<string>;
      expect(() => kv.setSecret("k", plain)).toThrow(/must be a secret Output .*not a plain string/);
      expect(() => kv.setSecret("bad name!", pulumi.secret("x"))).toThrow(/secret names are 1-127 letters/);
      expect(() => kv.setSecret("k", pulumi.secret("x"), { expiresOn: "next year" })).toThrow(/expiry "next year" is not an ISO 8601 date/);
      expect(() => kv.reference("missing")).toThrow(/no secret "missing" set here/);
      expect(() => kv.grantSecretsRead({ name: "x", principalId: PRINCIPAL }, "missing")).toThrow(/no secret "missing"/);
    });
    await expect(assertSecret("where", pulumi.output("clear"))).rejects.toThrow(/where: the value is not a secret Output/);
    await expect(assertSecret("where", pulumi.secret("hidden"))).resolves.toBeUndefined();
  });

  it.each<[string, Partial<KeyVaultArgs>, RegExp]>([
    ["a 6-day retention", { softDeleteRetentionInDays: 6 }, /softDeleteRetentionInDays must be 7-90/],
    ["an unparsable default expiry", { secretExpiresOn: "soon" }, /expiry "soon" is not an ISO 8601 date/],
  ])("refuses %s", (_what, over, message) => {
    expect(() => new KeyVault("kv", base(over))).toThrow(message);
  });

  it("sends audit logs and metrics to the workspace when given", async () => {
    const ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law";
    const plan = await evaluate(() => {
      new KeyVault("kv", base({ workspaceId: ws }));
    });
    expect(one(plan, DIAG).inputs).toMatchObject({ resourceUri: vaultId(plan), workspaceId: ws, logs: [{ categoryGroup: "allLogs", enabled: true }], metrics: [{ category: "AllMetrics", enabled: true }] });
  });
});
