/**
 * Key Vault vaults and secrets. The vault's settings live under `properties` in azure-native.
 */
import * as keyvault from "@pulumi/azure-native/keyvault";
import { validateResourceOfType } from "@pulumi/policy";
import { eqIgnoreCase, resourcePolicy, show, type PlatformPolicy } from "./common";
import { coversInternet } from "./ip-ranges";

export const kvSoftDelete = resourcePolicy({
  name: "kv-soft-delete",
  description: "Key Vaults keep deleted objects (properties.enableSoftDelete is not false).",
  severity: "high",
  anchors: ["Azure.KeyVault.SoftDelete", "CKV_AZURE_42"],
  remediationSteps: "Remove properties.enableSoftDelete: false (soft delete is on by default).",
  validateResource: validateResourceOfType(keyvault.Vault, (vault, args, report) => {
    if (vault.properties?.enableSoftDelete === false) {
      report(`Key Vault "${args.name}" has properties.enableSoftDelete: false: remove it (deleted secrets must stay recoverable).`);
    }
  }),
});

export const kvPurge = resourcePolicy({
  name: "kv-purge",
  description: "Key Vaults have purge protection (properties.enablePurgeProtection: true).",
  severity: "high",
  anchors: ["Azure.KeyVault.PurgeProtect", "CKV_AZURE_110", "AVD-AZU-0016"],
  remediationSteps: "Set properties.enablePurgeProtection: true (it cannot be turned off again).",
  validateResource: validateResourceOfType(keyvault.Vault, (vault, args, report) => {
    if (vault.properties?.enablePurgeProtection !== true) {
      report(`Key Vault "${args.name}" has properties.enablePurgeProtection ${show(vault.properties?.enablePurgeProtection)}: set it to true so deleted secrets cannot be purged before retention ends.`);
    }
  }),
});

export const kvRbac = resourcePolicy({
  name: "kv-rbac",
  description: "Key Vaults authorize with Azure RBAC, not access policies (properties.enableRbacAuthorization: true).",
  severity: "high",
  anchors: ["Azure.KeyVault.RBAC"],
  remediationSteps: "Set properties.enableRbacAuthorization: true and grant Key Vault Secrets User on the vault or secret.",
  validateResource: validateResourceOfType(keyvault.Vault, (vault, args, report) => {
    if (vault.properties?.enableRbacAuthorization !== true) {
      report(`Key Vault "${args.name}" has properties.enableRbacAuthorization ${show(vault.properties?.enableRbacAuthorization)}: set it to true and replace access policies with role assignments.`);
    }
  }),
});

export const kvNetwork = resourcePolicy({
  name: "kv-network",
  description: "Key Vaults are not open to every network: publicNetworkAccess Disabled, or networkAcls.defaultAction Deny with IP rules that do not add up to every address.",
  severity: "medium",
  prodOnly: true,
  anchors: ["Azure.KeyVault.Firewall", "CKV_AZURE_109", "CKV_AZURE_189", "AVD-AZU-0013"],
  remediationSteps: 'Set properties.networkAcls: { defaultAction: "Deny", bypass: "AzureServices" } or properties.publicNetworkAccess: "Disabled".',
  validateResource: validateResourceOfType(keyvault.Vault, (vault, args, report) => {
    const p = vault.properties;
    if (eqIgnoreCase(p?.publicNetworkAccess, "Disabled")) return;
    if (eqIgnoreCase(p?.networkAcls?.defaultAction, "Deny")) {
      // A default-deny firewall whose IP rules add up to every address admits the internet all the same
      // (networkAcls.ipRules[].value: an IPv4 address or CIDR range, azure-native IPRuleArgs typings).
      const ranges = (p?.networkAcls?.ipRules ?? []).map((r) => r.value).filter((v): v is string => typeof v === "string");
      if (coversInternet(ranges)) {
        report(
          `Key Vault "${args.name}" has a default-deny firewall whose properties.networkAcls.ipRules (${ranges.join(", ")}) cover every address: ` +
            'allow only the callers\' ranges, or set publicNetworkAccess: "Disabled" and use the private endpoint.',
        );
      }
      return;
    }
    report(
      `Key Vault "${args.name}" accepts traffic from any network (properties.networkAcls.defaultAction ${show(p?.networkAcls?.defaultAction)}, ` +
        `properties.publicNetworkAccess ${show(p?.publicNetworkAccess)}): set networkAcls.defaultAction: "Deny" (bypass AzureServices) or publicNetworkAccess: "Disabled".`,
    );
  }),
});

export const kvSecretExpiry = resourcePolicy({
  name: "kv-secret-expiry",
  description: "Key Vault secrets carry an expiry date (properties.attributes.expires): mandatory in prod.",
  severity: "medium",
  prodOnly: true,
  anchors: ["CKV_AZURE_41", "AVD-AZU-0017"],
  remediationSteps: "Set properties.attributes.expires (seconds since 1970) and rotate before it.",
  validateResource: validateResourceOfType(keyvault.Secret, (secret, args, report) => {
    if (secret.properties?.attributes?.expires === undefined) {
      report(`Key Vault secret "${args.name}" has no properties.attributes.expires: set an expiry (seconds since 1970) and rotate the secret before it; without one a leaked copy stays valid forever.`);
    }
  }),
});

export const keyVaultPolicies: PlatformPolicy[] = [kvSoftDelete, kvPurge, kvRbac, kvNetwork, kvSecretExpiry];
