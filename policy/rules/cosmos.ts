/**
 * Cosmos DB accounts (azure-native 3.x: `azure-native:cosmosdb:DatabaseAccount`; 2.x called the
 * module documentdb).
 */
import * as cosmosdb from "@pulumi/azure-native/cosmosdb";
import { validateResourceOfType } from "@pulumi/policy";
import { eqIgnoreCase, resourcePolicy, show, type PlatformPolicy } from "./common";

export const cosmosLocalAuth = resourcePolicy({
  name: "cosmos-local-auth",
  description: "Cosmos DB accounts accept Entra ID only (disableLocalAuth: true).",
  severity: "high",
  anchors: ["Azure.Cosmos.DisableLocalAuth", "CKV_AZURE_140"],
  remediationSteps: "Set disableLocalAuth: true and grant data-plane roles (sqlRoleAssignments) to identities.",
  validateResource: validateResourceOfType(cosmosdb.DatabaseAccount, (acct, args, report) => {
    if (acct.disableLocalAuth !== true) {
      report(`Cosmos DB account "${args.name}" has disableLocalAuth ${show(acct.disableLocalAuth)}: set it to true so account keys cannot read or write data.`);
    }
  }),
});

export const cosmosMetaWrite = resourcePolicy({
  name: "cosmos-meta-write",
  description: "Keys cannot change Cosmos DB metadata (disableKeyBasedMetadataWriteAccess: true).",
  severity: "medium",
  anchors: ["Azure.Cosmos.DisableMetadataWrite", "CKV_AZURE_132"],
  remediationSteps: "Set disableKeyBasedMetadataWriteAccess: true; manage databases and containers through ARM (Pulumi).",
  validateResource: validateResourceOfType(cosmosdb.DatabaseAccount, (acct, args, report) => {
    if (acct.disableKeyBasedMetadataWriteAccess !== true) {
      report(`Cosmos DB account "${args.name}" has disableKeyBasedMetadataWriteAccess ${show(acct.disableKeyBasedMetadataWriteAccess)}: set it to true.`);
    }
  }),
});

export const cosmosMinTls = resourcePolicy({
  name: "cosmos-min-tls",
  description: 'Cosmos DB accounts require TLS 1.2 (minimalTlsVersion "Tls12").',
  severity: "high",
  anchors: ["Azure.Cosmos.MinTLS"],
  remediationSteps: 'Set minimalTlsVersion: "Tls12".',
  validateResource: validateResourceOfType(cosmosdb.DatabaseAccount, (acct, args, report) => {
    if (acct.minimalTlsVersion !== "Tls12") {
      report(`Cosmos DB account "${args.name}" has minimalTlsVersion ${show(acct.minimalTlsVersion)}: set it to "Tls12".`);
    }
  }),
});

export const cosmosPublic = resourcePolicy({
  name: "cosmos-public",
  description:
    "Cosmos DB accounts are not open to the internet: publicNetworkAccess Disabled (where allowFirewallRules is configured, e.g. dev, IP rules or a VNet filter also pass).",
  severity: "medium",
  prodOnly: true,
  anchors: ["Azure.Cosmos.PublicAccess", "CKV_AZURE_101", "CKV_AZURE_99"],
  remediationSteps: 'Set publicNetworkAccess: "Disabled" and reach the account through a private endpoint.',
  configSchema: {
    properties: {
      allowFirewallRules: {
        type: "boolean",
        default: false,
        description: "Also accept a public endpoint restricted by ipRules or isVirtualNetworkFilterEnabled (dev stacks).",
      },
    },
  },
  validateResource: validateResourceOfType(cosmosdb.DatabaseAccount, (acct, args, report) => {
    if (eqIgnoreCase(acct.publicNetworkAccess, "Disabled")) return;
    const { allowFirewallRules = false } = args.getConfig<{ allowFirewallRules?: boolean }>();
    const firewalled = (acct.ipRules ?? []).length > 0 || acct.isVirtualNetworkFilterEnabled === true;
    if (allowFirewallRules && firewalled) return;
    report(
      `Cosmos DB account "${args.name}" has publicNetworkAccess ${show(acct.publicNetworkAccess)}: set it to "Disabled"` +
        (allowFirewallRules ? ", or restrict it with ipRules / isVirtualNetworkFilterEnabled." : " and use a private endpoint."),
    );
  }),
});

export const cosmosBackup = resourcePolicy({
  name: "cosmos-backup",
  description: "Cosmos DB accounts use continuous backup with a tier (point-in-time restore).",
  severity: "medium",
  prodOnly: true,
  anchors: ["Azure.Cosmos.ContinuousBackup"],
  remediationSteps: 'Set backupPolicy: { type: "Continuous", continuousModeProperties: { tier: "Continuous7Days" | "Continuous30Days" } }.',
  validateResource: validateResourceOfType(cosmosdb.DatabaseAccount, (acct, args, report) => {
    const policy = acct.backupPolicy;
    const tier = policy?.type === "Continuous" ? policy.continuousModeProperties?.tier : undefined;
    if (policy?.type !== "Continuous" || !tier) {
      report(
        `Cosmos DB account "${args.name}" has backupPolicy.type ${show(policy?.type)}${policy?.type === "Continuous" ? " without continuousModeProperties.tier" : ""}: ` +
          'set backupPolicy { type: "Continuous", continuousModeProperties: { tier: "Continuous7Days" or "Continuous30Days" } }.',
      );
    }
  }),
});

/** Serverless accounts (capability EnableServerless) cannot be zone redundant: the platform wins. */
function isServerless(acct: { capabilities?: { name?: string }[] }): boolean {
  return (acct.capabilities ?? []).some((c) => eqIgnoreCase(c.name, "EnableServerless"));
}

export const cosmosZr = resourcePolicy({
  name: "cosmos-zr",
  description: "Every Cosmos DB region is zone redundant (not applicable to serverless accounts, which cannot be).",
  severity: "medium",
  prodOnly: true,
  remediationSteps: "Set isZoneRedundant: true on every entry of locations (provisioned or autoscale throughput).",
  validateResource: validateResourceOfType(cosmosdb.DatabaseAccount, (acct, args, report) => {
    if (isServerless(acct)) return args.notApplicable("serverless accounts cannot be zone redundant");
    for (const loc of acct.locations ?? []) {
      if (loc.isZoneRedundant !== true) {
        report(`Cosmos DB account "${args.name}" region ${show(loc.locationName)} has isZoneRedundant ${show(loc.isZoneRedundant)}: set it to true.`);
      }
    }
  }),
});

export const cosmosSla = resourcePolicy({
  name: "cosmos-sla",
  description: "Production Cosmos DB accounts are not on the free tier (no SLA-backed capacity planning).",
  severity: "low",
  prodOnly: true,
  anchors: ["Azure.Cosmos.SLA"],
  remediationSteps: "Remove enableFreeTier (or set it to false).",
  validateResource: validateResourceOfType(cosmosdb.DatabaseAccount, (acct, args, report) => {
    if (acct.enableFreeTier === true) {
      report(`Cosmos DB account "${args.name}" has enableFreeTier: true: remove it for production workloads.`);
    }
  }),
});

export const cosmosPolicies: PlatformPolicy[] = [cosmosLocalAuth, cosmosMetaWrite, cosmosMinTls, cosmosPublic, cosmosBackup, cosmosZr, cosmosSla];
