/**
 * A service's HMAC key, kept in one of its own Cosmos DB containers (see continuation.ts for why
 * there and not in settings). Created on first use by whichever instance gets there first: the create
 * is atomic on the item id, a loser reads the winner's key, so every instance signs with the same key.
 */
import { randomBytes } from "node:crypto";
import type { Container } from "@azure/cosmos";
import { isConflict } from "./errors";

export interface SigningKeyDocument {
  readonly id: string;
  /** 32 random bytes, base64. */
  readonly key: string;
  readonly createdAt: string;
  /**
   * Never expires, whatever the container's default TTL: an item's `ttl` overrides the container's
   * `DefaultTimeToLive`, and -1 means never (Microsoft Learn, *Time to Live (TTL) in Azure Cosmos DB*,
   * https://learn.microsoft.com/azure/cosmos-db/time-to-live).
   */
  readonly ttl: -1;
}

/**
 * A loader for the key stored as item `id` in `container`, which must be partitioned by `/id` (the
 * item is its own partition). The key is read once per process; a failed load is retried next call.
 */
export function cosmosSigningKey(container: Container, id: string): () => Promise<Uint8Array> {
  let loading: Promise<Uint8Array> | undefined;
  const read = async (): Promise<Uint8Array | undefined> => {
    const response = await container.item(id, id).read<SigningKeyDocument>();
    const key = response.resource?.key;
    return typeof key === "string" ? Buffer.from(key, "base64") : undefined;
  };
  const load = async (): Promise<Uint8Array> => {
    const existing = await read();
    if (existing) return existing;
    const doc: SigningKeyDocument = { id, key: randomBytes(32).toString("base64"), createdAt: new Date().toISOString(), ttl: -1 };
    try {
      await container.items.create(doc);
      return Buffer.from(doc.key, "base64");
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    const winner = await read();
    if (!winner) throw new Error(`signing key ${id} was created concurrently but cannot be read`);
    return winner;
  };
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
