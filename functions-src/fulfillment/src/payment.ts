/**
 * Client of the existing payment back end (not serverless: a long-lived HTTP service reached at the
 * app setting BACKEND_PAYMENT_URL). Its contract, as this client uses it:
 *
 * - `POST {base}/payments` `{ orderId, customerId, amountMinor, currency }` with `Idempotency-Key:
 *   order-<id>-charge` → 200/201 `{ paymentId }`; 402 `{ detail }` when declined. The same key always
 *   refers to the same charge, so a retried activity never charges twice.
 * - `POST {base}/payments/refunds` `{ orderId, amountMinor, currency, reason }` with `Idempotency-Key:
 *   order-<id>-refund` → 200/201 `{ refundId }`; 404 when the order was never charged. The back end must
 *   refuse a late charge for an order it has refunded (the charge call can outlive our timeout).
 *
 * Outcomes a retry cannot change (declined, rejected) are returned; transient failures (network,
 * timeout, 408/429/5xx) are thrown so the orchestration's retry policy applies.
 */
import * as z from "zod";
import { TransientError, describeError } from "../../shared/errors";

export type ChargeResult =
  | { readonly ok: true; readonly paymentId: string }
  | { readonly ok: false; readonly reason: "declined" | "rejected"; readonly detail: string };

export type RefundResult = { readonly refunded: true; readonly refundId: string } | { readonly refunded: false };

export interface ChargeRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly amountMinor: number;
  readonly currency: string;
}

export interface RefundRequest {
  readonly orderId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly reason: string;
}

const chargeResponse = z.object({ paymentId: z.string().min(1) });
const refundResponse = z.object({ refundId: z.string().min(1) });
const problemResponse = z.object({ detail: z.string().optional(), title: z.string().optional() }).partial();

const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export class PaymentClient {
  constructor(
    private readonly baseUrl: URL,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs = 10_000,
  ) {}

  private async post(path: string, idempotencyKey: string, body: unknown): Promise<{ status: number; json: unknown }> {
    const url = new URL(path, this.baseUrl.href.endsWith("/") ? this.baseUrl : `${this.baseUrl.href}/`);
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": idempotencyKey },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new TransientError(`payment back end unreachable (${url.pathname}): ${describeError(error)}`);
    }
    const text = await response.text().catch(() => "");
    let json: unknown;
    try {
      json = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      json = undefined;
    }
    if (TRANSIENT_STATUS.has(response.status)) {
      throw new TransientError(`payment back end answered ${response.status} on ${url.pathname}`);
    }
    return { status: response.status, json };
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const { status, json } = await this.post("payments", `order-${request.orderId}-charge`, request);
    if (status === 200 || status === 201) {
      const parsed = chargeResponse.safeParse(json);
      if (!parsed.success) throw new TransientError(`payment back end returned an unexpected charge body (${status})`);
      return { ok: true, paymentId: parsed.data.paymentId };
    }
    const detail = problemResponse.safeParse(json).data?.detail ?? `HTTP ${status}`;
    return { ok: false, reason: status === 402 ? "declined" : "rejected", detail };
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const { status, json } = await this.post("payments/refunds", `order-${request.orderId}-refund`, request);
    if (status === 404) return { refunded: false };
    if (status === 200 || status === 201) {
      const parsed = refundResponse.safeParse(json);
      if (!parsed.success) throw new TransientError(`payment back end returned an unexpected refund body (${status})`);
      return { refunded: true, refundId: parsed.data.refundId };
    }
    // A refund we cannot make is not something to give up on silently: fail the activity (retried, then
    // the orchestration fails visibly for an operator).
    throw new Error(`refund for order ${request.orderId} refused by the payment back end: HTTP ${status}`);
  }
}
