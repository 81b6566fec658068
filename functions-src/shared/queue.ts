/**
 * Queue message handling shared by every queue-triggered function.
 *
 * Contract for a message's fate:
 * - processed: the handler returned; the host deletes the message.
 * - transient failure: the handler rethrows; the host makes the message visible again after the
 *   `visibilityTimeout` and, after `maxDequeueCount` (5) attempts, moves it to `<queue>-poison`.
 * - permanent failure (unparseable, invalid, or a {@link PermanentError} from the handler): retrying is
 *   pointless, so the original message is written to `<queue>-poison` at once and the reason logged at
 *   error level; if that write fails the error is rethrown, so the host's own path still applies.
 * Nothing is dropped silently. Duplicates are the handler's business (each one is idempotent).
 */
import type { InvocationContext } from "@azure/functions";
import type { z } from "zod";
import type { QueueSender } from "./clients/deferred-queues";
import { PermanentError, describeError } from "./errors";

/** Storage queue messages are base64 text: the Functions host's default `messageEncoding`. */
export function encodeQueueMessage(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64");
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function fromBase64(text: string): string | undefined {
  const compact = text.replace(/\s+/g, "");
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  const decoded = Buffer.from(compact, "base64");
  // Reject strings that merely look like base64: a valid encoding round-trips exactly.
  return decoded.toString("base64") === compact ? decoded.toString("utf8") : undefined;
}

/**
 * The JSON value a queue message carries, whatever layer delivered it: the host hands over parsed
 * JSON, a string (plain or base64, e.g. from an Event Grid subscription), or bytes.
 * @throws PermanentError when no JSON can be found.
 */
export function decodeQueuePayload(raw: unknown): unknown {
  let value: unknown = raw;
  for (let depth = 0; depth < 3; depth++) {
    if (value instanceof Uint8Array) value = Buffer.from(value).toString("utf8");
    if (typeof value !== "string") return value;
    const text = value.trim();
    const parsed = tryJson(text);
    if (parsed.ok) {
      // A JSON string literal may wrap the real payload once more (double-encoded senders).
      if (typeof parsed.value === "string") {
        value = parsed.value;
        continue;
      }
      return parsed.value;
    }
    const decoded = fromBase64(text);
    if (decoded === undefined) break;
    value = decoded;
  }
  throw new PermanentError("message is neither JSON nor base64-encoded JSON");
}

/**
 * JSON text for any value the host can hand over, without recursion: `JSON.stringify` recurses and
 * throws a RangeError on a message nested a few thousand levels deep (the V8 parser does not), and a
 * dead-letter must not fail on the very messages it exists for. Same output as `JSON.stringify` for
 * JSON values (objects, arrays, strings, finite numbers, booleans, null); anything else becomes null.
 */
export function jsonTextOf(value: unknown): string {
  const out: string[] = [];
  // Work items: a value to write, or literal text (closing brackets, separators).
  const stack: ({ readonly value: unknown } | string)[] = [{ value }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item === "string") {
      out.push(item);
      continue;
    }
    const v = item.value;
    if (v === null || typeof v === "number" || typeof v === "boolean" || typeof v === "string") {
      out.push(JSON.stringify(typeof v === "number" && !Number.isFinite(v) ? null : v));
    } else if (Array.isArray(v)) {
      const parts: ({ readonly value: unknown } | string)[] = ["["];
      v.forEach((element, i) => parts.push(...(i > 0 ? [","] : []), { value: element }));
      parts.push("]");
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]!);
    } else if (typeof v === "object") {
      const entries = Object.entries(v as Record<string, unknown>).filter(
        ([, e]) => e !== undefined && typeof e !== "function" && typeof e !== "symbol",
      );
      const parts: ({ readonly value: unknown } | string)[] = ["{"];
      entries.forEach(([key, element], i) => parts.push(`${i > 0 ? "," : ""}${JSON.stringify(key)}:`, { value: element }));
      parts.push("}");
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]!);
    } else {
      out.push("null");
    }
  }
  return out.join("");
}

/** The message as text, to write it unchanged (modulo JSON formatting) to the poison queue. Never throws. */
export function messageText(raw: unknown): string {
  if (typeof raw === "string") return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString("utf8");
  try {
    return JSON.stringify(raw) ?? String(raw);
  } catch {
    return jsonTextOf(raw);
  }
}

export interface QueueHandlerOptions<S extends z.ZodType> {
  /** The queue the trigger reads, for logs. */
  readonly queue: string;
  readonly schema: S;
  /** `<queue>-poison`: where permanently failing messages go. */
  readonly poison: QueueSender;
  readonly handle: (message: z.output<S>, context: InvocationContext) => Promise<void>;
  /**
   * Called before a message that does not match the contract is dead-lettered, with what could be
   * decoded of it: the place to tell its owner an outcome will not come (a refusal must not leave
   * anyone waiting). Throwing a transient error makes the host retry the message instead.
   */
  readonly onRefused?: (decoded: unknown, reason: string, context: InvocationContext) => Promise<void>;
}

function metadata(context: InvocationContext): { messageId: unknown; dequeueCount: unknown } {
  return { messageId: context.triggerMetadata?.id, dequeueCount: context.triggerMetadata?.dequeueCount };
}

/**
 * Writes the original message to the poison queue and logs why. Turning the message into text never
 * fails (see {@link messageText}); only a failing poison queue makes this rethrow `cause`, so the
 * host's retries and its own poison path still apply.
 */
export async function deadLetter(
  raw: unknown,
  reason: string,
  options: { readonly queue: string; readonly poison: QueueSender },
  context: InvocationContext,
  cause: unknown,
): Promise<void> {
  try {
    await options.poison.sendMessage(Buffer.from(messageText(raw), "utf8").toString("base64"));
  } catch (writeError) {
    context.error(`could not dead-letter a message from ${options.queue}; leaving it to the host's retries`, {
      reason,
      writeError: describeError(writeError),
      ...metadata(context),
    });
    throw cause;
  }
  context.error(`message from ${options.queue} moved to ${options.poison.name}: ${reason}`, {
    reason,
    ...metadata(context),
  });
}

/** Runs a queue message through decode → validate → handle with the contract above. */
export function queueHandler<S extends z.ZodType>(
  options: QueueHandlerOptions<S>,
): (raw: unknown, context: InvocationContext) => Promise<void> {
  return async (raw, context) => {
    let message: z.output<S>;
    let decoded: unknown;
    try {
      decoded = decodeQueuePayload(raw);
      const result = options.schema.safeParse(decoded);
      if (!result.success) {
        const issues = result.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
          .join("; ");
        throw new PermanentError(`message does not match the ${options.queue} contract: ${issues}`);
      }
      message = result.data;
    } catch (error) {
      await options.onRefused?.(decoded, describeError(error), context);
      await deadLetter(raw, describeError(error), options, context, error);
      return;
    }
    try {
      await options.handle(message, context);
    } catch (error) {
      if (error instanceof PermanentError) {
        await deadLetter(raw, error.message, options, context, error);
        return;
      }
      context.warn(`processing a message from ${options.queue} failed; the host will retry it`, {
        error: describeError(error),
        ...metadata(context),
      });
      throw error;
    }
  };
}
