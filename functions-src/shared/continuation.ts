/**
 * Continuation tokens a client cannot forge or reuse elsewhere.
 *
 * A token wraps the store's own position (for Cosmos DB, the SDK's continuation token) and is
 * authenticated with HMAC-SHA-256 over the wrapped value *and* what it was issued for: the listing
 * (which query) and the subject (whose data, e.g. the customer). A token the API did not issue, one
 * altered by a byte, or one issued for another customer or query is a 400 before the store sees it,
 * so crafted input never reaches the SDK's token parser (which answered such input with a 500).
 *
 * Why a key, and where it lives: binding by an unkeyed hash would catch mix-ups but not forgery, and
 * the wrapped Cosmos token's format is the SDK's, not ours to validate. A key in app settings would be
 * a secret in configuration (refused by this platform), and a per-process random key would break
 * paging across instances and restarts. So the key is a random 256-bit value stored once in the
 * service's own Cosmos container (see `cosmosSigningKey`): every instance reads the same key with the
 * identity it already uses for its data, nothing secret is configured or deployed, and whoever could
 * read the key could read the data the tokens page through anyway. Rotating it (delete the item)
 * invalidates outstanding tokens: clients get 400 and list again from the start.
 *
 * The token never grants anything: the handler derives the partition and filter from the authorized
 * request on every page; the token only says where to resume.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { ProblemError } from "./problem";

const VERSION = "c1";
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** base64url of a 32-byte HMAC-SHA-256, without padding. */
const MAC = /^[A-Za-z0-9_-]{43}$/;

/** What a token is valid for. Neither part may contain a line break (they are framed by them). */
export interface ContinuationBinding {
  /** The listing and its query's version, e.g. `orders.list.v1`: change it when the query changes. */
  readonly listing: string;
  /** Whose data: the customer id, or "" for a listing that belongs to no one. */
  readonly subject: string;
}

export function invalidContinuationToken(): ProblemError {
  return new ProblemError(
    "validation",
    "continuationToken is not a token this API issued for this listing (it was altered, belongs to another customer or query, or predates a key rotation); list again without it",
    { errors: [{ pointer: "/query/continuationToken", message: "not issued by this API for this listing" }] },
  );
}

export class ContinuationTokens {
  /** @param key the HMAC key (at least 32 bytes), loaded on first use. */
  constructor(private readonly key: () => Promise<Uint8Array>) {}

  /** A token for `position` (the store's own continuation), valid only for `binding`. */
  async issue(binding: ContinuationBinding, position: string): Promise<string> {
    const payload = Buffer.from(position, "utf8").toString("base64url");
    return `${VERSION}.${payload}.${await this.mac(binding, payload)}`;
  }

  /** The position inside `token`, or a 400 problem if the token was not issued for `binding`. */
  async open(binding: ContinuationBinding, token: string): Promise<string> {
    const [version, payload, mac, ...rest] = token.split(".");
    if (version !== VERSION || payload === undefined || mac === undefined || rest.length > 0 || !BASE64URL.test(payload) || !MAC.test(mac)) {
      throw invalidContinuationToken();
    }
    const expected = Buffer.from(await this.mac(binding, payload), "ascii");
    if (!timingSafeEqual(expected, Buffer.from(mac, "ascii"))) throw invalidContinuationToken();
    return Buffer.from(payload, "base64url").toString("utf8");
  }

  private async mac(binding: ContinuationBinding, payload: string): Promise<string> {
    if (/[\r\n]/.test(binding.listing + binding.subject)) throw new Error("continuation binding parts must be single-line");
    const key = await this.key();
    if (key.byteLength < 32) throw new Error("continuation signing key must be at least 32 bytes");
    return createHmac("sha256", key).update(`${VERSION}\n${binding.listing}\n${binding.subject}\n${payload}`, "utf8").digest("base64url");
  }
}
