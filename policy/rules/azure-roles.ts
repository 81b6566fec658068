/**
 * Azure built-in role definitions the platform grants or judges: id (the GUID at the end of a
 * `roleDefinitionId`) and display name, from Microsoft Learn, "Azure built-in roles"
 * (learn.microsoft.com/azure/role-based-access-control/built-in-roles), and the Cosmos DB data-plane
 * built-in roles from "Use data plane role-based access control with Azure Cosmos DB for NoSQL"
 * (learn.microsoft.com/azure/cosmos-db/nosql/security/how-to-grant-data-plane-role-based-access).
 *
 * One text, two copies: components/core/azure-roles.ts (the program, engine and bootstrap import it) and
 * policy/rules/azure-roles.ts (the policy pack is published alone and imports nothing outside policy/)
 * are byte-identical; test/one-fact-one-place.test.ts fails when they differ. Edit one, copy it over the
 * other. No imports here, so the copy stands alone.
 */

/** Control-plane and data-plane built-in roles, by the key the code uses. */
export const AZURE_ROLES = {
  owner: { id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", name: "Owner" },
  contributor: { id: "b24988ac-6180-42a0-ab88-20f7382dd24c", name: "Contributor" },
  userAccessAdministrator: { id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", name: "User Access Administrator" },
  rbacAdministrator: { id: "f58310d9-a9f6-439a-9e8d-f62e7b41a168", name: "Role Based Access Control Administrator" },
  reader: { id: "acdd72a7-3385-48ef-bd42-f606fba81ae7", name: "Reader" },
  storageAccountContributor: { id: "17d1049b-9a84-46fb-8f53-869881c3d3ab", name: "Storage Account Contributor" },
  storageBlobDataOwner: { id: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", name: "Storage Blob Data Owner" },
  storageBlobDataContributor: { id: "ba92f5b4-2d11-453d-a403-e96b0029c9fe", name: "Storage Blob Data Contributor" },
  storageBlobDataReader: { id: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", name: "Storage Blob Data Reader" },
  storageQueueDataContributor: { id: "974c5e8b-45b9-4653-ba55-5f855dd0fb88", name: "Storage Queue Data Contributor" },
  storageQueueDataMessageSender: { id: "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a", name: "Storage Queue Data Message Sender" },
  storageQueueDataMessageProcessor: { id: "8a0f0c08-91a1-4084-bc3d-661d67233fed", name: "Storage Queue Data Message Processor" },
  storageQueueDataReader: { id: "19e7f393-937e-4f77-808e-94535e297925", name: "Storage Queue Data Reader" },
  storageTableDataContributor: { id: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", name: "Storage Table Data Contributor" },
  storageTableDataReader: { id: "76199698-9eea-4c19-bc75-cec21354c6b6", name: "Storage Table Data Reader" },
  monitoringMetricsPublisher: { id: "3913510d-42f4-4e42-8a64-420c390055eb", name: "Monitoring Metrics Publisher" },
  keyVaultSecretsUser: { id: "4633458b-17de-408a-b874-0445c86b69e6", name: "Key Vault Secrets User" },
  eventGridDataSender: { id: "d5a91429-5739-47e2-a06b-3470a27159e7", name: "EventGrid Data Sender" },
  websiteContributor: { id: "de139f84-1756-47ae-9be6-808fbbe84772", name: "Website Contributor" },
  serviceBusDataSender: { id: "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39", name: "Azure Service Bus Data Sender" },
  serviceBusDataReceiver: { id: "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0", name: "Azure Service Bus Data Receiver" },
  eventHubsDataSender: { id: "2b629674-e913-4c01-ae53-ef4638d8f975", name: "Azure Event Hubs Data Sender" },
  eventHubsDataReceiver: { id: "a638d3c7-ab3a-418d-83e6-5f17a39d4fde", name: "Azure Event Hubs Data Receiver" },
} as const;

export type AzureRoleKey = keyof typeof AZURE_ROLES;

/** Cosmos DB for NoSQL data-plane built-in roles (sqlRoleDefinitions under every account). */
export const COSMOS_DATA_ROLES = {
  reader: { id: "00000000-0000-0000-0000-000000000001", name: "Cosmos DB Built-in Data Reader" },
  contributor: { id: "00000000-0000-0000-0000-000000000002", name: "Cosmos DB Built-in Data Contributor" },
} as const;

/** The role GUID at the end of a role definition id, lower case. */
export function roleGuidOf(roleDefinitionId: string): string {
  return (roleDefinitionId.split("/").filter((s) => s.length > 0).pop() ?? roleDefinitionId).toLowerCase();
}

/** The display name of a built-in role id, or `role <id>` for one this table does not know. */
export function azureRoleName(id: string): string {
  const guid = id.toLowerCase();
  for (const r of [...Object.values(AZURE_ROLES), ...Object.values(COSMOS_DATA_ROLES)]) if (r.id === guid) return r.name;
  return `role ${id}`;
}
