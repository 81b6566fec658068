/**
 * A local stand-in for the existing payment back end, implementing the contract src/payment.ts uses,
 * for `func start` runs: `npx tsx functions-src/fulfillment/scripts/payment-stub.ts [port=7200]`.
 * Amounts ending in 402 are declined; the same Idempotency-Key always gets the same answer.
 */
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";

const port = Number(process.argv[2] ?? 7200);
const answers = new Map<string, { status: number; body: unknown }>();
const charged = new Set<string>();

createServer((req, res) => {
  let text = "";
  req.on("data", (chunk: Buffer) => (text += chunk.toString()));
  req.on("end", () => {
    const key = String(req.headers["idempotency-key"] ?? "");
    const body = (text ? JSON.parse(text) : {}) as { orderId?: string; amountMinor?: number };
    let answer = answers.get(key);
    if (!answer) {
      if (req.method === "POST" && req.url?.endsWith("/payments/refunds")) {
        answer = charged.has(body.orderId ?? "") ? { status: 201, body: { refundId: randomUUID() } } : { status: 404, body: { detail: "no payment" } };
      } else if (req.method === "POST" && req.url?.endsWith("/payments")) {
        if (String(body.amountMinor).endsWith("402")) answer = { status: 402, body: { detail: "declined by the stub" } };
        else {
          charged.add(body.orderId ?? "");
          answer = { status: 201, body: { paymentId: randomUUID() } };
        }
      } else answer = { status: 404, body: { detail: "unknown route" } };
      if (key) answers.set(key, answer);
    }
    console.log(`${req.method} ${req.url} key=${key} -> ${answer.status}`);
    res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
  });
}).listen(port, "127.0.0.1", () => console.log(`payment stub on http://127.0.0.1:${port}/`));
