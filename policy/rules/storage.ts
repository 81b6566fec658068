/**
 * Storage accounts, containers and blob service properties: transport, public access, shared
 * keys, network exposure and soft delete.
 */
import * as storage from "@pulumi/azure-native/storage";
import { validateResourceOfType } from "@pulumi/policy";
import { allowListSchema, allowListed, eqIgnoreCase, resourcePolicy, show, type PlatformPolicy } from "./common";
import { coversInternet } from "./ip-ranges";

/**
 * Tag that exempts an account from `st-shared-key`: only content-share accounts of Y1/EP plans
 * (Azure Files mounts need a key). Its value names the app that needs it, so the exemption is
 * reviewable.
 */
export const SHARED_KEY_EXEMPTION_TAG = "sharedKeyRequiredBy";

export const stHttps = resourcePolicy({
  name: "st-https",
  description: "Storage accounts accept HTTPS only (enableHttpsTrafficOnly, ARM supportsHttpsTrafficOnly).",
  severity: "high",
  anchors: ["Azure.Storage.SecureTransfer", "CKV_AZURE_3", "AVD-AZU-0008"],
  remediationSteps: "Remove enableHttpsTrafficOnly: false (the default is true) or set it to true.",
  validateResource: validateResourceOfType(storage.StorageAccount, (acct, args, report) => {
    if (acct.enableHttpsTrafficOnly === false) {
      report(`storage account "${args.name}" has enableHttpsTrafficOnly: false: set it to true so requests over plain HTTP are refused.`);
    }
  }),
});

export const stMinTls = resourcePolicy({
  name: "st-min-tls",
  description: "Storage accounts require TLS 1.2 (minimumTlsVersion TLS1_2).",
  severity: "high",
  anchors: ["Azure.Storage.MinTLS", "CKV_AZURE_44", "AVD-AZU-0011"],
  remediationSteps: 'Set minimumTlsVersion: "TLS1_2".',
  validateResource: validateResourceOfType(storage.StorageAccount, (acct, args, report) => {
    if (acct.minimumTlsVersion !== "TLS1_2") {
      report(`storage account "${args.name}" has minimumTlsVersion ${show(acct.minimumTlsVersion)}: set it to "TLS1_2" (unset means TLS 1.0).`);
    }
  }),
});

export const stBlobPublic = resourcePolicy({
  name: "st-blob-public",
  description: "Storage accounts forbid anonymous blob access (allowBlobPublicAccess: false).",
  severity: "high",
  anchors: ["Azure.Storage.BlobPublicAccess", "CKV2_AZURE_47", "CKV_AZURE_190"],
  remediationSteps: "Set allowBlobPublicAccess: false.",
  validateResource: validateResourceOfType(storage.StorageAccount, (acct, args, report) => {
    if (acct.allowBlobPublicAccess !== false) {
      report(`storage account "${args.name}" has allowBlobPublicAccess ${show(acct.allowBlobPublicAccess)}: set it to false so no container can be made public.`);
    }
  }),
});

export const stSharedKey = resourcePolicy({
  name: "st-shared-key",
  description: `Storage accounts use Entra ID only (allowSharedKeyAccess: false, defaultToOAuthAuthentication: true); Y1/EP content-share accounts may carry the ${SHARED_KEY_EXEMPTION_TAG} tag.`,
  severity: "medium",
  anchors: ["CKV2_AZURE_40"],
  remediationSteps: `Set allowSharedKeyAccess: false and defaultToOAuthAuthentication: true; grant data roles to identities instead. Only a Y1/EP content-share account may be tagged ${SHARED_KEY_EXEMPTION_TAG}=<app name>.`,
  validateResource: validateResourceOfType(storage.StorageAccount, (acct, args, report) => {
    const exemptBy = acct.tags?.[SHARED_KEY_EXEMPTION_TAG];
    if (typeof exemptBy === "string" && exemptBy.trim().length > 0) {
      return args.notApplicable(`exempted: content share of ${exemptBy}`);
    }
    if (acct.allowSharedKeyAccess !== false) {
      report(`storage account "${args.name}" has allowSharedKeyAccess ${show(acct.allowSharedKeyAccess)}: set it to false (account keys bypass RBAC and never expire).`);
    }
    if (acct.defaultToOAuthAuthentication !== true) {
      report(`storage account "${args.name}" has defaultToOAuthAuthentication ${show(acct.defaultToOAuthAuthentication)}: set it to true so the portal and tools use Entra ID.`);
    }
  }),
});

export const stNetwork = resourcePolicy({
  name: "st-network",
  description: "Storage accounts are not open to every network: publicNetworkAccess Disabled, or networkRuleSet.defaultAction Deny with IP rules that do not add up to every address.",
  severity: "medium",
  prodOnly: true,
  anchors: ["Azure.Storage.Firewall", "CKV_AZURE_35", "AVD-AZU-0012"],
  remediationSteps:
    'Set networkRuleSet: { defaultAction: "Deny", bypass: "AzureServices", virtualNetworkRules/ipRules: [...] } or publicNetworkAccess: "Disabled" with private endpoints.',
  validateResource: validateResourceOfType(storage.StorageAccount, (acct, args, report) => {
    if (eqIgnoreCase(acct.publicNetworkAccess, "Disabled")) return;
    if (eqIgnoreCase(acct.networkRuleSet?.defaultAction, "Deny")) {
      // A default-deny firewall whose allow rules add up to every address admits the internet all the same
      // (networkRuleSet.ipRules[].iPAddressOrRange: an IPv4 address or CIDR range, action Allow by default;
      // azure-native storage IPRuleArgs typings).
      const ranges = (acct.networkRuleSet?.ipRules ?? [])
        .filter((r) => r.action === undefined || eqIgnoreCase(r.action, "Allow"))
        .map((r) => r.iPAddressOrRange)
        .filter((v): v is string => typeof v === "string");
      if (coversInternet(ranges)) {
        report(
          `storage account "${args.name}" has a default-deny firewall whose networkRuleSet.ipRules (${ranges.join(", ")}) cover every address: ` +
            'allow only the callers\' ranges, or set publicNetworkAccess: "Disabled" with private endpoints.',
        );
      }
      return;
    }
    report(
      `storage account "${args.name}" accepts traffic from any network (networkRuleSet.defaultAction ${show(acct.networkRuleSet?.defaultAction)}, ` +
        `publicNetworkAccess ${show(acct.publicNetworkAccess)}): set networkRuleSet.defaultAction: "Deny" with the allowed networks, or publicNetworkAccess: "Disabled".`,
    );
  }),
});

export const stContainerPrivate = resourcePolicy({
  name: "st-container-private",
  description: 'Blob containers are private (publicAccess absent or "None").',
  severity: "high",
  anchors: ["Azure.Storage.BlobAccessType", "CKV_AZURE_34", "AVD-AZU-0007"],
  remediationSteps: 'Remove publicAccess or set it to "None".',
  validateResource: validateResourceOfType(storage.BlobContainer, (container, args, report) => {
    if (container.publicAccess !== undefined && container.publicAccess !== "None") {
      report(`blob container "${args.name}" has publicAccess ${show(container.publicAccess)}: set it to "None" (anonymous reads leak data).`);
    }
  }),
});

export const stSoftDelete = resourcePolicy({
  name: "st-soft-delete",
  description: "Blob services keep deleted blobs and containers for a while (deleteRetentionPolicy, containerDeleteRetentionPolicy).",
  severity: "medium",
  anchors: ["Azure.Storage.SoftDelete", "Azure.Storage.ContainerSoftDelete", "AVD-AZU-0056"],
  remediationSteps: "Set deleteRetentionPolicy: { enabled: true, days: 7 } and containerDeleteRetentionPolicy: { enabled: true, days: 7 }.",
  validateResource: validateResourceOfType(storage.BlobServiceProperties, (svc, args, report) => {
    if (svc.deleteRetentionPolicy?.enabled !== true) {
      report(`blob service "${args.name}" has deleteRetentionPolicy.enabled ${show(svc.deleteRetentionPolicy?.enabled)}: enable blob soft delete (e.g. 7 days).`);
    }
    if (svc.containerDeleteRetentionPolicy?.enabled !== true) {
      report(`blob service "${args.name}" has containerDeleteRetentionPolicy.enabled ${show(svc.containerDeleteRetentionPolicy?.enabled)}: enable container soft delete (e.g. 7 days).`);
    }
  }),
});

/** SKUs that survive a zone outage (ZRS, GZRS, RA-GZRS) or a region outage (GRS, RA-GRS). */
const REDUNDANT_SKUS = ["Standard_ZRS", "Premium_ZRS", "Standard_GZRS", "Standard_RAGZRS", "Standard_GRS", "Standard_RAGRS"];

export const stReplication = resourcePolicy({
  name: "st-replication",
  description: "In prod, storage accounts are zone- or geo-redundant (ZRS, GZRS, GRS…); locally redundant storage is a visible choice: an allow-list entry with its reason.",
  severity: "medium",
  prodOnly: true,
  anchors: ["Azure.Storage.UseReplication", "CKV_AZURE_206"],
  remediationSteps: 'Set sku.name to "Standard_ZRS" (or GZRS/GRS); to keep LRS, add { "name": "<logical name>", "reason": "what is lost in a zone outage and why that is fine" } to st-replication.allow.',
  configSchema: { properties: allowListSchema('Accounts that may stay locally redundant: { "name": "<logical name>", "reason": "..." }.') },
  validateResource: validateResourceOfType(storage.StorageAccount, (acct, args, report) => {
    const sku = acct.sku?.name;
    if (typeof sku === "string" && REDUNDANT_SKUS.some((s) => eqIgnoreCase(sku, s))) return;
    if (allowListed(args.getConfig<{ allow?: { name: string; reason: string }[] }>(), args.name)) return;
    report(`storage account "${args.name}" has sku.name ${show(sku)}: one datacenter's outage loses its data (queued messages, dead letters). Use "Standard_ZRS", or record the choice with a reason in st-replication.allow.`);
  }),
});

export const storagePolicies: PlatformPolicy[] = [stHttps, stMinTls, stBlobPublic, stSharedKey, stNetwork, stContainerPrivate, stSoftDelete, stReplication];
