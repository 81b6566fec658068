/**
 * The transactional outbox: how a created or cancelled order is announced to fulfillment once.
 *
 * Why: writing the order and sending a queue message are two systems with no shared transaction. If
 * the handler sent first, a failed write would announce an order that does not exist; if it wrote
 * first and crashed before sending, the order would never be fulfilled. So the message is recorded *in
 * the order item itself* (the same atomic write that creates or cancels the order), then sent:
 *
 * 1. The write that changes the order appends an outbox entry `pending`, claimed by the writer for
 *    {@link OUTBOX_CLAIM_MS}. Only that writer sends it in that window, so a replayed request or the
 *    relay never sends a second copy while the first send is in flight.
 * 2. The writer sends the message, then marks the entry `sent` (an If-Match write; on contention it
 *    re-reads and marks again: marking is idempotent).
 * 3. If the writer dies or the send fails, the claim lapses and the relay (a timer) or a replay of the
 *    request claims the entry with an If-Match write: exactly one claimant wins, then sends and marks.
 *
 * What is guaranteed: every committed change is announced (at least once), and a second copy is only
 * possible when a sender crashes between sending and marking. For that window the consumer is
 * idempotent: fulfillment derives the orchestration id from the order id and starts nothing twice, and
 * a repeated cancellation is a no-op. Retried HTTP requests never add a message (Idempotency-Key).
 */
import type { InvocationContext } from "@azure/functions";
import type { QueueSender } from "../../shared/clients/deferred-queues";
import { describeError } from "../../shared/errors";
import { encodeQueueMessage } from "../../shared/queue";
import { OUTBOX_CLAIM_MS, type OrderDocument, type OutboxEntry, outboxMessage } from "./model";
import { ConcurrentUpdateError, type OrdersStore, type Stored } from "./store";

export interface OutboxDeps {
  readonly store: OrdersStore;
  readonly fulfillmentQueue: QueueSender;
  readonly clock: () => Date;
}

const MAX_CONTENTION_RETRIES = 5;

function replaceEntry(doc: OrderDocument, entry: OutboxEntry): OrderDocument {
  const outbox = doc.outbox.map((e) => (e.id === entry.id ? entry : e));
  return { ...doc, outbox, outboxPending: outbox.some((e) => e.state === "pending") };
}

/** Applies `change` to the latest version of the order, re-reading on ETag contention. */
async function update(
  deps: OutboxDeps,
  current: Stored<OrderDocument>,
  change: (doc: OrderDocument) => OrderDocument | undefined,
): Promise<Stored<OrderDocument> | undefined> {
  let latest: Stored<OrderDocument> | undefined = current;
  for (let attempt = 0; attempt < MAX_CONTENTION_RETRIES && latest; attempt++) {
    const next = change(latest.doc);
    if (!next) return undefined;
    try {
      return await deps.store.replace(next, latest.etag);
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      latest = await deps.store.read(current.doc.customerId, current.doc.id);
    }
  }
  throw new ConcurrentUpdateError(`order ${current.doc.id}: outbox update lost ${MAX_CONTENTION_RETRIES} races`);
}

async function send(deps: OutboxDeps, doc: OrderDocument, entry: OutboxEntry): Promise<void> {
  await deps.fulfillmentQueue.sendMessage(encodeQueueMessage(outboxMessage(doc, entry)));
}

/**
 * Sends the order's pending outbox entries. Entries in `owned` were written (and so claimed) by the
 * caller; any other pending entry is sent only if its claim has lapsed and this caller wins the claim.
 * Returns the latest stored order. Send failures are logged and left for the relay (never thrown):
 * the change itself is committed, and announcing it is the outbox's job from here on.
 */
export async function dispatchOutbox(
  deps: OutboxDeps,
  start: Stored<OrderDocument>,
  context: InvocationContext,
  owned: ReadonlySet<string> = new Set(),
): Promise<Stored<OrderDocument>> {
  let current = start;
  for (const candidate of start.doc.outbox) {
    if (candidate.state !== "pending") continue;
    let entry = candidate;
    if (!owned.has(entry.id)) {
      const now = deps.clock();
      if (Date.parse(entry.claimedUntil) > now.getTime()) continue; // another sender holds it
      const claim: OutboxEntry = {
        ...entry,
        claimedUntil: new Date(now.getTime() + OUTBOX_CLAIM_MS).toISOString(),
        attempts: entry.attempts + 1,
      };
      try {
        // Claiming must not retry on contention: losing the race means another sender has it.
        current = await deps.store.replace(replaceEntry(current.doc, claim), current.etag);
        entry = claim;
      } catch (error) {
        if (error instanceof ConcurrentUpdateError) {
          context.info(`outbox entry ${entry.id} of order ${start.doc.id} claimed by another sender`);
          const reread = await deps.store.read(start.doc.customerId, start.doc.id);
          if (!reread) return current;
          current = reread;
          continue;
        }
        throw error;
      }
    }
    try {
      await send(deps, current.doc, entry);
    } catch (error) {
      context.warn(`sending ${entry.type} for order ${start.doc.id} failed; the outbox relay will retry`, {
        error: describeError(error),
      });
      continue;
    }
    const sentAt = deps.clock().toISOString();
    try {
      const marked = await update(deps, current, (doc) => {
        const found = doc.outbox.find((e) => e.id === entry.id);
        if (!found || found.state === "sent") return undefined;
        return replaceEntry(doc, { ...found, state: "sent", sentAt });
      });
      if (marked) current = marked;
    } catch (error) {
      // The one window for a second copy: sent, not marked. The relay resends after the claim lapses
      // and the consumer drops the duplicate (same message id, same orchestration id).
      context.warn(`${entry.type} for order ${start.doc.id} sent but not marked; it may be sent again`, {
        error: describeError(error),
      });
    }
  }
  return current;
}

/**
 * The relay (timer): sweeps orders whose outbox still has pending entries with a lapsed claim and
 * dispatches them. Each order is independent: a failure is logged and the next one is tried; the
 * entry stays pending for the next sweep.
 */
export async function relayOutbox(
  deps: OutboxDeps,
  context: InvocationContext,
  batchSize = 100,
): Promise<{ readonly examined: number; readonly sent: number }> {
  const docs = await deps.store.withPendingOutbox(batchSize);
  let sent = 0;
  for (const doc of docs) {
    if (!doc._etag) continue;
    try {
      const result = await dispatchOutbox(deps, { doc, etag: doc._etag }, context);
      sent += result.doc.outbox.filter(
        (e) => e.state === "sent" && doc.outbox.some((before) => before.id === e.id && before.state === "pending"),
      ).length;
    } catch (error) {
      context.error(`outbox relay: order ${doc.id} failed; retried on the next sweep`, describeError(error));
    }
  }
  if (docs.length > 0) context.info(`outbox relay: ${docs.length} order(s) examined, ${sent} message(s) sent`);
  return { examined: docs.length, sent };
}
