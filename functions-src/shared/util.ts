/** Small helpers shared by the services: no dependencies beyond Node. */
import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level: equal values give equal text (for request hashes). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** A value computed on first use and reused: SDK clients are built once per process, not at import. */
export function lazy<T>(factory: () => T): () => T {
  let created: { value: T } | undefined;
  return () => {
    created ??= { value: factory() };
    return created.value;
  };
}

/**
 * `lazy` for a value whose code is loaded on first use (`() => import("./deps").then(...)`): the SDKs
 * behind it are neither parsed nor initialized while the host waits for the app to register its
 * functions (a cold start), only when a function first needs them. A failed attempt (a missing
 * setting) is not remembered: the next call tries again, as `lazy` does when its factory throws.
 */
export function lazyAsync<T>(factory: () => Promise<T>): () => Promise<T> {
  let created: Promise<T> | undefined;
  return () => {
    created ??= factory().catch((error: unknown) => {
      created = undefined;
      throw error;
    });
    return created;
  };
}
