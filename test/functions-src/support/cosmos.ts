/** Creating a service's database the way the infrastructure does (vitest-free: the bench uses it too). */
import type { Agent } from "node:https";
import { PartitionKeyDefinitionVersion, PartitionKeyKind } from "@azure/cosmos";
import { cosmosClientFromSettings } from "../../../functions-src/shared/clients";
import type { ContainerDeclaration } from "../../../functions-src/shared/manifest";
import type { Settings } from "../../../functions-src/shared/settings";

/** Creates a database and the containers a manifest declares (partition keys and TTL as declared). */
export async function createDatabase(
  settings: Settings,
  databaseId: string,
  containers: readonly ContainerDeclaration[],
  cosmosAgent?: Agent,
): Promise<void> {
  const client = cosmosClientFromSettings(settings, cosmosAgent ? { cosmosAgent } : {});
  const { database } = await client.databases.createIfNotExists({ id: databaseId });
  for (const c of containers) {
    await database.containers.createIfNotExists({
      id: c.name,
      partitionKey: {
        paths: [...c.partitionKeyPaths],
        ...(c.partitionKeyPaths.length > 1
          ? { kind: PartitionKeyKind.MultiHash, version: PartitionKeyDefinitionVersion.V2 }
          : {}),
      },
      ...(c.defaultTtlSeconds !== undefined ? { defaultTtl: c.defaultTtlSeconds } : {}),
    });
  }
}
