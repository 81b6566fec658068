/**
 * Local stand-ins for the two systems outside the platform, with failures a test or the user can switch
 * on (`twin.stubs.payment.mode = "decline"`):
 * - the existing payment back end, with the contract functions-src/fulfillment/src/payment.ts uses
 *   (`POST /payments` → 201 `{ paymentId }` or 402 `{ detail }`; `POST /payments/refunds` → 201 or 404;
 *   the same Idempotency-Key always gets the same answer);
 * - the subscriber webhook (records every POST; can answer 500 or 410 on demand, or 500 to each event's
 *   first N deliveries: a webhook that is down for a while, without a test racing the sender's retries).
 * Not emulated: anything else the real back ends may serve (404 with a message naming the route).
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type PaymentMode = "approve" | "decline" | "error" | "hang";
export type WebhookMode = "accept" | "error" | "gone";

export interface WebhookCall {
  readonly at: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export class PaymentStub {
  mode: PaymentMode = "approve";
  url = "";
  readonly calls: { path: string; key: string; status: number }[] = [];
  readonly #answers = new Map<string, { status: number; body: unknown }>();
  readonly #charged = new Set<string>();
  #server?: Server;

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => (text += c.toString()));
      req.on("end", () => {
        const key = String(req.headers["idempotency-key"] ?? "");
        const body = (text ? JSON.parse(text) : {}) as { orderId?: string };
        const path = new URL(req.url ?? "/", "http://x").pathname;
        if (this.mode === "hang") return; // never answers: the caller's timeout applies
        let answer = this.#answers.get(key);
        if (!answer) {
          if (this.mode === "error") answer = { status: 503, body: { detail: "payment stub switched to error" } };
          else if (req.method === "POST" && path.endsWith("/payments/refunds")) {
            answer = this.#charged.has(body.orderId ?? "") ? { status: 201, body: { refundId: randomUUID() } } : { status: 404, body: { detail: "no payment for this order" } };
          } else if (req.method === "POST" && path.endsWith("/payments")) {
            if (this.mode === "decline") answer = { status: 402, body: { detail: "card declined (twin stub)" } };
            else {
              this.#charged.add(body.orderId ?? "");
              answer = { status: 201, body: { paymentId: randomUUID() } };
            }
          } else answer = { status: 404, body: { detail: `payment stub: ${req.method} ${path} is not part of the emulated contract` } };
          if (key && answer.status !== 503) this.#answers.set(key, answer);
        }
        this.calls.push({ path, key, status: answer.status });
        res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
      });
    });
    this.url = `${await listen(this.#server)}/api`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? (this.#server.closeAllConnections(), this.#server.close(() => resolve())) : resolve()));
  }
}

export class WebhookStub {
  mode: WebhookMode = "accept";
  url = "";
  readonly calls: WebhookCall[] = [];
  /** Calls answered with a failure (mode "error" or "gone"), with the status sent. */
  readonly failures: (WebhookCall & { readonly status: number })[] = [];
  /** In mode "accept", answer 500 to this many deliveries of each event (by its `id`) before accepting it. */
  failEachEventTimes = 0;
  readonly #failedByEvent = new Map<string, number>();
  #server?: Server;

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => (text += c.toString()));
      req.on("end", () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* kept as text */
        }
        const status = this.mode === "accept" ? (this.#failsStill(body) ? 500 : 200) : this.mode === "gone" ? 410 : 500;
        if (status === 200) this.calls.push({ at: Date.now(), headers: req.headers, body });
        else this.failures.push({ at: Date.now(), headers: req.headers, body, status });
        res.writeHead(status).end();
      });
    });
    this.url = `${await listen(this.#server)}/hooks/orders`;
  }

  /** Counts this delivery against its event's failures still owed (`failEachEventTimes`). */
  #failsStill(body: unknown): boolean {
    if (this.failEachEventTimes <= 0) return false;
    const id = typeof body === "object" && body !== null && "id" in body ? String(body.id) : JSON.stringify(body);
    const failed = this.#failedByEvent.get(id) ?? 0;
    if (failed >= this.failEachEventTimes) return false;
    this.#failedByEvent.set(id, failed + 1);
    return true;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? (this.#server.closeAllConnections(), this.#server.close(() => resolve())) : resolve()));
  }
}
