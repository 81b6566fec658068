/**
 * The outgoing webhook and the record of what was delivered.
 *
 * Idempotency: every POST carries the event id as `Idempotency-Key` (and `X-Event-Id`), stable across
 * retries and republishing, so the receiver can drop duplicates. On our side, a delivery first *claims*
 * the event in the deliveries container (a create on the event's id: Cosmos DB creates an id once, so of
 * two concurrent deliveries exactly one gets the claim), posts, then marks it delivered. A concurrent
 * delivery that finds a live claim does not post: it is retried later and then finds "delivered".
 * A second POST happens only if a claimant dies between posting and marking and its claim lapses; the
 * Idempotency-Key covers that window.
 *
 * Failures: 408, 429 and 5xx answers and network errors are transient (retried); any other 4xx, and an
 * event that cannot even be put into an HTTP request (e.g. control characters in its id), are permanent:
 * retrying cannot change them, so they are refused at once (RFC 9110 §15.5: 4xx is a client error; 408
 * and 429 invite a retry, https://www.rfc-editor.org/rfc/rfc9110#section-15.5.9 and RFC 6585 §4).
 */
import type { Container } from "@azure/cosmos";
import { PermanentError, TransientError, describeError, isConflict, isPreconditionFailed } from "../../shared/errors";
import { sha256Hex } from "../../shared/util";

export interface Notification {
  readonly id: string;
  readonly type: string;
  readonly subject: string;
  readonly occurredAt: string;
  readonly data: unknown;
}

/** 4xx answers worth retrying; every 5xx is too. */
const TRANSIENT_CLIENT_STATUS = new Set([408, 429]);

export function isTransientWebhookStatus(status: number): boolean {
  return TRANSIENT_CLIENT_STATUS.has(status) || (status >= 500 && status <= 599);
}

export class WebhookClient {
  constructor(
    private readonly url: URL,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Posts the notification; transient failures throw {@link TransientError}, refusals {@link PermanentError}. */
  async deliver(notification: Notification): Promise<number> {
    let headers: Headers;
    try {
      // Built (and so validated, by the runtime's own rules) before sending: fetch would report an
      // invalid header value as the same TypeError as a network failure, i.e. as transient.
      headers = new Headers({
        "Content-Type": "application/json",
        "Idempotency-Key": notification.id,
        "X-Event-Id": notification.id,
        "X-Event-Type": notification.type,
        "User-Agent": "platform-notifications/1",
      });
    } catch (error) {
      throw new PermanentError(`event ${JSON.stringify(notification.id.slice(0, 100))} cannot be sent as HTTP headers: ${describeError(error)}`);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: "POST",
        headers,
        body: JSON.stringify(notification),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new TransientError(`webhook unreachable: ${describeError(error)}`);
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return response.status;
    if (isTransientWebhookStatus(response.status)) {
      throw new TransientError(`webhook answered ${response.status}`);
    }
    throw new PermanentError(`webhook refused event ${notification.id} with HTTP ${response.status}`);
  }
}

interface DeliveryRecord {
  readonly id: string;
  readonly eventId: string;
  /** Absent on records written before claims existed: those were delivered. */
  readonly state?: "posting" | "delivered" | "refused";
  /** While posting: until when the claimant holds the event. */
  readonly claimedUntil?: string;
  readonly deliveredAt?: string;
  readonly status?: number;
  readonly reason?: string;
  readonly _etag?: string;
}

export type Claim =
  | { readonly kind: "claimed" }
  /** Already delivered or refused: nothing to do. */
  | { readonly kind: "done"; readonly state: "delivered" | "refused" }
  /** Another delivery holds a live claim: do not post now. */
  | { readonly kind: "busy"; readonly until: string };

/**
 * How long a claim protects a POST in flight: longer than the webhook's 10 s timeout, with margin, and
 * shorter than the host's retries of a message told "busy" (maxDequeueCount 5 × visibilityTimeout 30 s
 * in host.json), so a claim left by a crashed delivery lapses before the message would be poisoned.
 */
export const DELIVERY_CLAIM_MS = 60_000;

export class DeliveryLog {
  constructor(private readonly deliveries: Container) {}

  private static key(eventId: string): string {
    // Event ids come from publishers: hash them into the id alphabet Cosmos accepts.
    return sha256Hex(eventId);
  }

  private async read(eventId: string): Promise<DeliveryRecord | undefined> {
    const key = DeliveryLog.key(eventId);
    const response = await this.deliveries.item(key, key).read<DeliveryRecord>();
    return response.statusCode === 404 ? undefined : response.resource;
  }

  async delivered(eventId: string): Promise<boolean> {
    const record = await this.read(eventId);
    return record !== undefined && (record.state === undefined || record.state === "delivered");
  }

  /** Claims the event for one POST; exactly one of concurrent claimants gets it (create, then If-Match). */
  async claim(eventId: string, now: Date): Promise<Claim> {
    const key = DeliveryLog.key(eventId);
    const claimedUntil = new Date(now.getTime() + DELIVERY_CLAIM_MS).toISOString();
    const fresh: DeliveryRecord = { id: key, eventId, state: "posting", claimedUntil };
    try {
      await this.deliveries.items.create(fresh);
      return { kind: "claimed" };
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    const existing = await this.read(eventId);
    if (!existing) throw new TransientError(`delivery record of event ${eventId} conflicted but could not be read`);
    if (existing.state !== "posting") return { kind: "done", state: existing.state ?? "delivered" };
    if (existing.claimedUntil && Date.parse(existing.claimedUntil) > now.getTime()) {
      return { kind: "busy", until: existing.claimedUntil };
    }
    // The claimant died or gave up: take over, unless someone else does first.
    try {
      const { _etag: etag, ...body } = existing;
      await this.deliveries
        .item(key, key)
        .replace({ ...body, claimedUntil }, { accessCondition: { type: "IfMatch", condition: etag ?? "" } });
      return { kind: "claimed" };
    } catch (error) {
      if (isPreconditionFailed(error)) return { kind: "busy", until: claimedUntil };
      throw error;
    }
  }

  /** Ends a claim: delivered (with the receiver's status), refused (with why), or released for a retry. */
  async settle(eventId: string, outcome: { delivered: number } | { refused: string } | "release", at: Date): Promise<void> {
    const key = DeliveryLog.key(eventId);
    const record: DeliveryRecord =
      outcome === "release"
        ? { id: key, eventId, state: "posting", claimedUntil: at.toISOString() }
        : "delivered" in outcome
          ? { id: key, eventId, state: "delivered", deliveredAt: at.toISOString(), status: outcome.delivered }
          : { id: key, eventId, state: "refused", deliveredAt: at.toISOString(), reason: outcome.refused.slice(0, 1_000) };
    await this.deliveries.items.upsert(record);
  }

  /** Records a delivery made without a claim (kept for callers of the earlier API). */
  async record(eventId: string, status: number, at: Date): Promise<void> {
    await this.settle(eventId, { delivered: status }, at);
  }
}
