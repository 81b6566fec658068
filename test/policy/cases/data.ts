/** Storage, Cosmos DB and Key Vault rules. */
import { set, with_ } from "../harness";
import { T, blobContainer, blobService, cosmosAccount, flexApp, secret, storageAccount, vault } from "../resources";
import type { RuleCase } from "./types";

const app = { type: T.app, props: flexApp, note: "a web app" };
const storage = { type: T.storage, props: storageAccount, note: "a storage account" };

export const dataCases: RuleCase[] = [
  // ---------------------------------------------------------------- storage
  {
    rule: "st-https",
    compliant: [
      { type: T.storage, props: storageAccount, note: "enableHttpsTrafficOnly unset (default true)" },
      { type: T.storage, props: set(storageAccount, "enableHttpsTrafficOnly", true), note: "enableHttpsTrafficOnly: true" },
    ],
    violating: [{ type: T.storage, props: set(storageAccount, "enableHttpsTrafficOnly", false), note: "enableHttpsTrafficOnly: false", expect: /enableHttpsTrafficOnly: false: set it to true/ }],
    notApplicable: [{ type: T.container, props: blobContainer, note: "a blob container" }],
  },
  {
    rule: "st-min-tls",
    compliant: [{ type: T.storage, props: storageAccount, note: 'minimumTlsVersion "TLS1_2"' }],
    violating: [
      { type: T.storage, props: set(storageAccount, "minimumTlsVersion", "TLS1_0"), note: '"TLS1_0"', expect: /minimumTlsVersion "TLS1_0": set it to "TLS1_2"/ },
      { type: T.storage, props: set(storageAccount, "minimumTlsVersion", undefined), note: "unset", expect: /unset means TLS 1\.0/ },
    ],
    notApplicable: [app],
  },
  {
    rule: "st-blob-public",
    compliant: [{ type: T.storage, props: storageAccount, note: "allowBlobPublicAccess: false" }],
    violating: [
      { type: T.storage, props: set(storageAccount, "allowBlobPublicAccess", true), note: "allowBlobPublicAccess: true", expect: /allowBlobPublicAccess true: set it to false/ },
      { type: T.storage, props: set(storageAccount, "allowBlobPublicAccess", undefined), note: "allowBlobPublicAccess unset", expect: /allowBlobPublicAccess unset/ },
    ],
    notApplicable: [app],
  },
  {
    rule: "st-shared-key",
    compliant: [{ type: T.storage, props: storageAccount, note: "shared keys off, OAuth by default" }],
    violating: [
      { type: T.storage, props: set(storageAccount, "allowSharedKeyAccess", true), note: "allowSharedKeyAccess: true", expect: /allowSharedKeyAccess true: set it to false/ },
      { type: T.storage, props: set(storageAccount, "allowSharedKeyAccess", undefined), note: "allowSharedKeyAccess unset", expect: /allowSharedKeyAccess unset/ },
      { type: T.storage, props: set(storageAccount, "defaultToOAuthAuthentication", undefined), note: "defaultToOAuthAuthentication unset", expect: /defaultToOAuthAuthentication unset: set it to true/ },
    ],
    notApplicable: [
      {
        type: T.storage,
        props: with_(storageAccount, { allowSharedKeyAccess: true, "tags.sharedKeyRequiredBy": "contoso-func-legacy-p" }),
        note: "a Y1/EP content-share account tagged sharedKeyRequiredBy",
      },
      app,
    ],
  },
  {
    rule: "st-network",
    compliant: [
      { type: T.storage, props: storageAccount, note: 'networkRuleSet.defaultAction "Deny"' },
      { type: T.storage, props: with_(storageAccount, { networkRuleSet: undefined, publicNetworkAccess: "Disabled" }), note: 'publicNetworkAccess "Disabled"' },
      {
        type: T.storage,
        props: set(storageAccount, "networkRuleSet.ipRules", [{ iPAddressOrRange: "203.0.113.0/24", action: "Allow" }, { iPAddressOrRange: "0.0.0.0/1", action: "Deny" }]),
        note: "default deny with one partner range allowed",
      },
    ],
    violating: [
      { type: T.storage, props: set(storageAccount, "networkRuleSet.defaultAction", "Allow"), note: 'defaultAction "Allow"', expect: /defaultAction "Allow".*"Deny"/ },
      {
        type: T.storage,
        props: set(storageAccount, "networkRuleSet.ipRules", [{ iPAddressOrRange: "0.0.0.0/1", action: "Allow" }, { iPAddressOrRange: "128.0.0.0/1" }]),
        note: "default deny whose IP rules add up to every address",
        expect: /default-deny firewall whose networkRuleSet\.ipRules \(0\.0\.0\.0\/1, 128\.0\.0\.0\/1\) cover every address/,
      },
      { type: T.storage, props: set(storageAccount, "networkRuleSet", undefined), note: "no network rules", expect: /accepts traffic from any network/ },
    ],
    notApplicable: [app],
  },
  {
    rule: "st-container-private",
    compliant: [
      { type: T.container, props: blobContainer, note: 'publicAccess "None"' },
      { type: T.container, props: set(blobContainer, "publicAccess", undefined), note: "publicAccess unset" },
    ],
    violating: [
      { type: T.container, props: set(blobContainer, "publicAccess", "Blob"), note: 'publicAccess "Blob"', expect: /publicAccess "Blob": set it to "None"/ },
      { type: T.container, props: set(blobContainer, "publicAccess", "Container"), note: 'publicAccess "Container"', expect: /"Container"/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "st-soft-delete",
    compliant: [{ type: T.blobService, props: blobService, note: "blob and container soft delete" }],
    violating: [
      { type: T.blobService, props: set(blobService, "deleteRetentionPolicy.enabled", false), note: "blob soft delete off", expect: /deleteRetentionPolicy\.enabled false: enable blob soft delete/ },
      { type: T.blobService, props: set(blobService, "containerDeleteRetentionPolicy", undefined), note: "no container soft delete", expect: /containerDeleteRetentionPolicy\.enabled unset/ },
    ],
    notApplicable: [storage],
  },
  // ---------------------------------------------------------------- cosmos
  {
    rule: "cosmos-local-auth",
    compliant: [{ type: T.cosmos, props: cosmosAccount, note: "disableLocalAuth: true" }],
    violating: [
      { type: T.cosmos, props: set(cosmosAccount, "disableLocalAuth", false), note: "disableLocalAuth: false", expect: /disableLocalAuth false: set it to true/ },
      { type: T.cosmos, props: set(cosmosAccount, "disableLocalAuth", undefined), note: "disableLocalAuth unset", expect: /disableLocalAuth unset/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "cosmos-meta-write",
    compliant: [{ type: T.cosmos, props: cosmosAccount, note: "disableKeyBasedMetadataWriteAccess: true" }],
    violating: [{ type: T.cosmos, props: set(cosmosAccount, "disableKeyBasedMetadataWriteAccess", undefined), note: "unset", expect: /disableKeyBasedMetadataWriteAccess unset: set it to true/ }],
    notApplicable: [storage],
  },
  {
    rule: "cosmos-min-tls",
    compliant: [{ type: T.cosmos, props: cosmosAccount, note: '"Tls12"' }],
    violating: [
      { type: T.cosmos, props: set(cosmosAccount, "minimalTlsVersion", "Tls11"), note: '"Tls11"', expect: /minimalTlsVersion "Tls11": set it to "Tls12"/ },
      { type: T.cosmos, props: set(cosmosAccount, "minimalTlsVersion", undefined), note: "unset", expect: /minimalTlsVersion unset/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "cosmos-public",
    compliant: [
      { type: T.cosmos, props: cosmosAccount, note: 'publicNetworkAccess "Disabled"' },
      {
        type: T.cosmos,
        props: with_(cosmosAccount, { publicNetworkAccess: "Enabled", ipRules: [{ ipAddressOrRange: "203.0.113.0/24" }] }),
        config: { allowFirewallRules: true },
        note: "IP rules where allowFirewallRules is configured (dev)",
      },
    ],
    violating: [
      { type: T.cosmos, props: set(cosmosAccount, "publicNetworkAccess", "Enabled"), note: 'publicNetworkAccess "Enabled"', expect: /publicNetworkAccess "Enabled": set it to "Disabled" and use a private endpoint/ },
      {
        type: T.cosmos,
        props: with_(cosmosAccount, { publicNetworkAccess: "Enabled", ipRules: [{ ipAddressOrRange: "203.0.113.0/24" }] }),
        note: "IP rules without allowFirewallRules (prod)",
        expect: /"Disabled"/,
      },
      {
        type: T.cosmos,
        props: set(cosmosAccount, "publicNetworkAccess", undefined),
        config: { allowFirewallRules: true },
        note: "open to all with allowFirewallRules",
        expect: /restrict it with ipRules/,
      },
    ],
    notApplicable: [storage],
  },
  {
    rule: "cosmos-backup",
    compliant: [{ type: T.cosmos, props: cosmosAccount, note: "continuous backup, 30 days" }],
    violating: [
      {
        type: T.cosmos,
        props: set(cosmosAccount, "backupPolicy", { type: "Periodic", periodicModeProperties: { backupIntervalInMinutes: 240 } }),
        note: "periodic backup",
        expect: /backupPolicy\.type "Periodic": set backupPolicy \{ type: "Continuous"/,
      },
      { type: T.cosmos, props: set(cosmosAccount, "backupPolicy", { type: "Continuous" }), note: "continuous without a tier", expect: /without continuousModeProperties\.tier/ },
      { type: T.cosmos, props: set(cosmosAccount, "backupPolicy", undefined), note: "no backup policy", expect: /backupPolicy\.type unset/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "cosmos-zr",
    compliant: [{ type: T.cosmos, props: cosmosAccount, note: "every region zone redundant" }],
    violating: [
      {
        type: T.cosmos,
        props: set(cosmosAccount, "locations", [
          { locationName: "eastus2", failoverPriority: 0, isZoneRedundant: true },
          { locationName: "centralus", failoverPriority: 1 },
        ]),
        note: "a second region without zone redundancy",
        expect: /region "centralus" has isZoneRedundant unset: set it to true/,
      },
    ],
    notApplicable: [
      { type: T.cosmos, props: with_(cosmosAccount, { capabilities: [{ name: "EnableServerless" }], "locations.0.isZoneRedundant": false }), note: "a serverless account (cannot be zone redundant)" },
      storage,
    ],
  },
  {
    rule: "cosmos-sla",
    compliant: [
      { type: T.cosmos, props: cosmosAccount, note: "enableFreeTier unset" },
      { type: T.cosmos, props: set(cosmosAccount, "enableFreeTier", false), note: "enableFreeTier: false" },
    ],
    violating: [{ type: T.cosmos, props: set(cosmosAccount, "enableFreeTier", true), note: "enableFreeTier: true", expect: /enableFreeTier: true: remove it/ }],
    notApplicable: [storage],
  },
  // ---------------------------------------------------------------- key vault
  {
    rule: "kv-soft-delete",
    compliant: [
      { type: T.vault, props: vault, note: "enableSoftDelete: true" },
      { type: T.vault, props: set(vault, "properties.enableSoftDelete", undefined), note: "enableSoftDelete unset (default on)" },
    ],
    violating: [{ type: T.vault, props: set(vault, "properties.enableSoftDelete", false), note: "enableSoftDelete: false", expect: /properties\.enableSoftDelete: false: remove it/ }],
    notApplicable: [{ type: T.secret, props: secret, note: "a secret" }],
  },
  {
    rule: "kv-purge",
    compliant: [{ type: T.vault, props: vault, note: "enablePurgeProtection: true" }],
    violating: [{ type: T.vault, props: set(vault, "properties.enablePurgeProtection", undefined), note: "unset", expect: /enablePurgeProtection unset: set it to true/ }],
    notApplicable: [storage],
  },
  {
    rule: "kv-rbac",
    compliant: [{ type: T.vault, props: vault, note: "enableRbacAuthorization: true" }],
    violating: [{ type: T.vault, props: set(vault, "properties.enableRbacAuthorization", false), note: "access policies", expect: /enableRbacAuthorization false: set it to true/ }],
    notApplicable: [storage],
  },
  {
    rule: "kv-network",
    compliant: [
      { type: T.vault, props: vault, note: 'networkAcls.defaultAction "Deny"' },
      { type: T.vault, props: with_(vault, { "properties.networkAcls": undefined, "properties.publicNetworkAccess": "Disabled" }), note: 'publicNetworkAccess "Disabled"' },
      { type: T.vault, props: set(vault, "properties.networkAcls.ipRules", [{ value: "203.0.113.7" }]), note: "default deny with one address allowed" },
    ],
    violating: [
      {
        type: T.vault,
        props: set(vault, "properties.networkAcls.ipRules", [{ value: "0.0.0.0/0" }]),
        note: "default deny that allows 0.0.0.0/0",
        expect: /default-deny firewall whose properties\.networkAcls\.ipRules \(0\.0\.0\.0\/0\) cover every address/,
      },
      { type: T.vault, props: set(vault, "properties.networkAcls.defaultAction", "Allow"), note: 'defaultAction "Allow"', expect: /networkAcls\.defaultAction "Allow".*"Deny"/ },
      { type: T.vault, props: set(vault, "properties.networkAcls", undefined), note: "no network ACLs", expect: /accepts traffic from any network/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "kv-secret-expiry",
    compliant: [{ type: T.secret, props: secret, note: "attributes.expires set" }],
    violating: [{ type: T.secret, props: set(secret, "properties.attributes.expires", undefined), note: "no expiry", expect: /no properties\.attributes\.expires: set an expiry/ }],
    notApplicable: [{ type: T.vault, props: vault, note: "a vault" }],
  },
];
