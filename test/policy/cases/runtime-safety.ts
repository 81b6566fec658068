/** Resource-rule cases of policy/rules/runtime-safety.ts (its stack rules have files in ../stack). */
import type { RuleCase } from "./types";

const ACCOUNT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/acct";
const grant = (scope: string) => ({
  accountName: "acct",
  resourceGroupName: "rg",
  principalId: "p",
  roleDefinitionId: `${ACCOUNT}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000001`,
  scope,
});
const topic = { topicName: "t", resourceGroupName: "rg", disableLocalAuth: true };

export const runtimeSafetyCases: RuleCase[] = [
  {
    rule: "eventgrid-topic-input-schema",
    compliant: [{ type: "azure-native:eventgrid:Topic", props: { ...topic, inputSchema: "CloudEventSchemaV1_0" }, note: "a CloudEvents 1.0 topic" }],
    violating: [
      { type: "azure-native:eventgrid:Topic", props: { ...topic, inputSchema: "EventGridSchema" }, note: "an EventGrid-schema topic", expect: /\[eventgrid-topic-input-schema\] Event Grid topic "res": inputSchema is "EventGridSchema".*Fix: set inputSchema: "CloudEventSchemaV1_0"/ },
      { type: "azure-native:eventgrid:Topic", props: topic, note: "a topic that leaves the schema to ARM's default", expect: /unset \(ARM's default EventGridSchema\)/ },
    ],
    notApplicable: [{ type: "azure-native:eventgrid:Domain", props: topic, note: "another type" }],
  },
  {
    rule: "cosmos-data-role-container-scope",
    compliant: [{ type: "azure-native:cosmosdb:SqlResourceSqlRoleAssignment", props: grant(`${ACCOUNT}/dbs/orders-db/colls/orders`), note: "a container-scoped grant" }],
    violating: [
      { type: "azure-native:cosmosdb:SqlResourceSqlRoleAssignment", props: grant(`${ACCOUNT}/dbs/orders-db`), note: "a database-scoped grant", expect: /covers a whole database.*Fix: scope it to the container/ },
      { type: "azure-native:cosmosdb:SqlResourceSqlRoleAssignment", props: grant(ACCOUNT), note: "an account-scoped grant", expect: /covers the whole account/ },
    ],
    notApplicable: [{ type: "azure-native:authorization:RoleAssignment", props: { scope: ACCOUNT }, note: "an ARM role assignment" }],
  },
];
