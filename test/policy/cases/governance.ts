/** Tags, locations, versioned modules and physical names. */
import { set } from "../harness";
import {
  T,
  TAGS,
  apim,
  blobContainer,
  component,
  cosmosAccount,
  flexApp,
  flexPlan,
  queue,
  resourceGroup,
  sbNamespace,
  storageAccount,
  topic,
  uami,
  vault,
  workspace,
} from "../resources";
import type { RuleCase, Sample, Violating } from "./types";

const REQUIRED = { requiredTags: ["owner", "costCenter", "dataClassification"] };
const ALLOWED = { allowedLocations: ["eastus2", "centralus"] };

const name = (type: string, props: Record<string, unknown>, key: string, value: string | undefined, note: string): Sample => ({
  type,
  props: set(props, key, value),
  note,
});
const badName = (type: string, props: Record<string, unknown>, key: string, value: string, expect: RegExp): Violating => ({
  type,
  props: set(props, key, value),
  note: `${key} ${JSON.stringify(value)}`,
  expect,
});

export const governanceCases: RuleCase[] = [
  {
    rule: "tags-required",
    compliant: [
      { type: T.storage, props: storageAccount, config: REQUIRED, note: "every required tag" },
      { type: T.rg, props: set(resourceGroup, "tags", { OWNER: "a", CostCenter: "1", dataclassification: "internal" }), config: REQUIRED, note: "tag keys in another case" },
    ],
    violating: [
      {
        type: T.storage,
        props: set(storageAccount, "tags", { owner: "platform-team", costCenter: "4711" }),
        config: REQUIRED,
        note: "a missing tag",
        expect: /StorageAccount "res" is missing the required tag\(s\) dataClassification: add them to tags/,
      },
      { type: T.app, props: set(flexApp, "tags", undefined), config: REQUIRED, note: "no tags on a taggable type", expect: /owner, costCenter, dataClassification/ },
      { type: T.uami, props: set(uami, "tags.owner", " "), config: REQUIRED, note: "an empty tag value", expect: /tag\(s\) owner:/ },
    ],
    notApplicable: [
      { type: T.storage, props: set(storageAccount, "tags", {}), note: "no requiredTags configured" },
      { type: T.container, props: blobContainer, config: REQUIRED, note: "a type without tags" },
      { type: "serverless-platform:functions:FunctionApp", props: {}, config: REQUIRED, note: "a component resource" },
    ],
  },
  {
    rule: "locations-allowed",
    compliant: [
      { type: T.storage, props: storageAccount, config: ALLOWED, note: '"eastus2"' },
      { type: T.rg, props: set(resourceGroup, "location", "Central US"), config: ALLOWED, note: '"Central US" (display name)' },
      { type: T.actionGroup, props: { resourceGroupName: "rg", location: "Global", groupShortName: "oncall", enabled: true, tags: TAGS }, config: ALLOWED, note: 'an action group in "Global"' },
    ],
    violating: [{ type: T.storage, props: set(storageAccount, "location", "westeurope"), config: ALLOWED, note: '"westeurope"', expect: /is in "westeurope": use one of the allowed regions \(eastus2, centralus\)/ }],
    notApplicable: [
      { type: T.container, props: blobContainer, config: ALLOWED, note: "no location (inherits)" },
      { type: T.storage, props: storageAccount, note: "no allowedLocations configured" },
    ],
  },
  {
    rule: "no-versioned-modules",
    compliant: [
      { type: T.app, props: flexApp, note: "the default module" },
      {
        type: "azure-native:web/v20240401:WebApp",
        props: flexApp,
        config: { allow: [{ name: "res", reason: "needs a property only this API version has (checked by hand)" }] },
        note: "a versioned module allow-listed with a reason",
      },
    ],
    violating: [
      { type: "azure-native:web/v20240401:WebApp", props: flexApp, note: "web/v20240401", expect: /versioned module web\/v20240401 .*use the default module "web"/ },
      { type: "azure-native:authorization/v20220401:RoleAssignment", props: {}, note: "a role assignment the rbac rules would not read", expect: /policy rules for its type read the default module's token and would not check it/ },
    ],
    notApplicable: [{ type: "pulumi:providers:azure-native", props: {}, note: "a provider resource" }],
  },
  {
    rule: "physical-name-limits",
    compliant: [
      { type: T.storage, props: storageAccount, note: "storage contosostorders" },
      { type: T.vault, props: vault, note: "Key Vault contoso-kv-p" },
      { type: T.cosmos, props: cosmosAccount, note: "Cosmos contoso-cosmos-p" },
      { type: T.app, props: flexApp, note: "site contoso-func-orders-p" },
      { type: T.plan, props: flexPlan, note: "plan contoso-plan-orders-p" },
      { type: T.apim, props: apim, note: "APIM contoso-apim-p" },
      { type: T.uami, props: uami, note: "identity contoso-id-orders-p" },
      { type: T.workspace, props: workspace, note: "workspace contoso-log-p" },
      { type: T.topic, props: topic, note: "topic contoso-evgt-orders-p" },
      { type: T.queue, props: queue, note: "queue fulfillment-requests" },
      { type: T.container, props: blobContainer, note: "container deploy-orders" },
      name(T.container, blobContainer, "containerName", "$web", "the reserved container $web"),
      { type: T.sb, props: sbNamespace, note: "Service Bus contoso-sb-p" },
      { type: T.rg, props: resourceGroup, note: "resource group contoso-platform-p" },
      name(T.storage, storageAccount, "accountName", "a".repeat(24), "a 24-character storage account"),
      name(T.cosmos, cosmosAccount, "accountName", "c".repeat(44), "a 44-character Cosmos account"),
    ],
    violating: [
      badName(T.storage, storageAccount, "accountName", "Contoso_Orders", /storage account name "Contoso_Orders" \(accountName\) uses characters.*3-24 lowercase letters and digits\. Change accountName/),
      badName(T.storage, storageAccount, "accountName", "a".repeat(25), /is 25 characters long/),
      badName(T.vault, vault, "vaultName", "1-vault", /must be 3-24 letters, digits and single hyphens, starting with a letter/),
      badName(T.vault, vault, "vaultName", "kv--double", /Key Vault name "kv--double"/),
      badName(T.cosmos, cosmosAccount, "accountName", "Contoso-Cosmos", /3-44 lowercase/),
      badName(T.app, flexApp, "name", "f".repeat(61), /is 61 characters long: a function app \/ site name must be 2-60/),
      badName(T.app, flexApp, "name", "orders-", /not starting or ending with a hyphen/),
      badName(T.apim, apim, "serviceName", "1apim", /API Management service name "1apim"/),
      badName(T.uami, uami, "resourceName", "id", /user-assigned identity name "id" \(resourceName\) is 2 characters long/),
      badName(T.workspace, workspace, "workspaceName", "log", /Log Analytics workspace name "log"/),
      badName(T.topic, topic, "topicName", "ev", /Event Grid topic name "ev"/),
      badName(T.queue, queue, "queueName", "orders--poison", /storage queue name "orders--poison"/),
      badName(T.queue, queue, "queueName", "Orders", /lowercase/),
      badName(T.container, blobContainer, "containerName", "ab", /blob container name "ab" \(containerName\) is 2 characters long/),
      badName(T.sb, sbNamespace, "namespaceName", "sb-p", /Service Bus namespace name "sb-p"/),
      badName(T.rg, resourceGroup, "resourceGroupName", "platform.", /not ending with a period/),
    ],
    notApplicable: [
      name(T.storage, storageAccount, "accountName", undefined, "an auto-named storage account"),
      { type: T.component, props: component, note: "a type without name limits here" },
    ],
  },
];
