/**
 * The outgoing webhook and the record of what was delivered.
 *
 * Idempotency: every POST carries the event id as `Idempotency-Key` (and `X-Event-Id`), stable across
 * retries and republishing, so the receiver can drop duplicates; and a delivery is recorded (by event
 * id) after a 2xx, so a redelivered event is not posted again at all.
 */
import type { Container } from "@azure/cosmos";
import { PermanentError, TransientError, describeError, isConflict } from "../../shared/errors";
import { sha256Hex } from "../../shared/util";

export interface Notification {
  readonly id: string;
  readonly type: string;
  readonly subject: string;
  readonly occurredAt: string;
  readonly data: unknown;
}

const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export class WebhookClient {
  constructor(
    private readonly url: URL,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Posts the notification; transient failures throw {@link TransientError}, refusals {@link PermanentError}. */
  async deliver(notification: Notification): Promise<number> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "Idempotency-Key": notification.id,
          "X-Event-Id": notification.id,
          "X-Event-Type": notification.type,
          "User-Agent": "platform-notifications/1",
        },
        body: JSON.stringify(notification),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new TransientError(`webhook unreachable: ${describeError(error)}`);
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return response.status;
    if (TRANSIENT_STATUS.has(response.status)) {
      throw new TransientError(`webhook answered ${response.status}`);
    }
    throw new PermanentError(`webhook refused event ${notification.id} with HTTP ${response.status}`);
  }
}

interface DeliveryRecord {
  readonly id: string;
  readonly eventId: string;
  readonly deliveredAt: string;
  readonly status: number;
}

export class DeliveryLog {
  constructor(private readonly deliveries: Container) {}

  private static key(eventId: string): string {
    // Event ids come from publishers: hash them into the id alphabet Cosmos accepts.
    return sha256Hex(eventId);
  }

  async delivered(eventId: string): Promise<boolean> {
    const key = DeliveryLog.key(eventId);
    const response = await this.deliveries.item(key, key).read<DeliveryRecord>();
    return response.statusCode !== 404 && response.resource !== undefined;
  }

  async record(eventId: string, status: number, at: Date): Promise<void> {
    const record: DeliveryRecord = { id: DeliveryLog.key(eventId), eventId, deliveredAt: at.toISOString(), status };
    try {
      await this.deliveries.items.create(record);
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
}
