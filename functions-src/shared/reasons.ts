/**
 * Why an order is where it is, as customers and subscribers see it: a stable code from this
 * catalogue with a message written for them. Internal reasons (a dependency's error text, an IP and
 * port, a stack frame, a support agent's note) stay in the order's internal history, in logs and in
 * traces; they never reach an HTTP body or a published event, because both are built with
 * {@link publicReason}, whose output can only be a catalogue entry, whatever text it is given.
 *
 * Producers should report a code from this catalogue (the code is then kept as is); free text from
 * older producers is classified by the known prefixes below, and anything unrecognised gets the
 * status's generic code.
 */
import * as z from "zod";

/** The catalogue. Codes are part of the API and event contracts: add, never rename or remove. */
export const STATUS_REASONS = {
  "cancelled-on-request": "The order was cancelled on request.",
  "cancellation-requested": "Cancellation was requested; the order is being cancelled.",
  "out-of-stock": "An item in the order is out of stock.",
  "unknown-sku": "An item in the order is not in the catalogue.",
  "payment-declined": "The payment was declined.",
  "payment-failed": "The payment could not be completed.",
  "fulfillment-failed": "The order could not be fulfilled.",
} as const;

export type StatusReasonCode = keyof typeof STATUS_REASONS;
export const STATUS_REASON_CODES = Object.keys(STATUS_REASONS) as [StatusReasonCode, ...StatusReasonCode[]];
export const statusReasonCodeSchema = z
  .enum(STATUS_REASON_CODES)
  .meta({ id: "StatusReason", description: "Why the order has its status: a stable code (see statusMessage for text)." });

export interface PublicReason {
  readonly code: StatusReasonCode;
  readonly message: string;
}

/** Known prefixes of internal reason texts (fulfillment's), first match wins. */
const CLASSIFIERS: readonly (readonly [RegExp, StatusReasonCode])[] = [
  [/^out of stock\b/i, "out-of-stock"],
  [/^unknown sku\b/i, "unknown-sku"],
  [/^payment declined\b/i, "payment-declined"],
  [/^payment\b/i, "payment-failed"],
];

/** The generic code of each status that carries a reason; other statuses show none. */
const DEFAULT_BY_STATUS: Readonly<Record<string, StatusReasonCode>> = {
  cancelling: "cancellation-requested",
  cancelled: "cancelled-on-request",
  failed: "fulfillment-failed",
};

function isCode(value: string): value is StatusReasonCode {
  return Object.hasOwn(STATUS_REASONS, value);
}

/**
 * The customer-facing reason for an order in `status` whose internal reason is `internal`: always a
 * catalogue entry, or undefined for statuses that carry no reason. Never returns `internal` itself.
 */
export function publicReason(status: string, internal: string | undefined): PublicReason | undefined {
  let code: StatusReasonCode | undefined;
  if (internal !== undefined && isCode(internal)) code = internal;
  else {
    const fallback = DEFAULT_BY_STATUS[status];
    if (fallback === undefined) return undefined;
    code = fallback;
    if (status === "failed" && internal !== undefined) code = CLASSIFIERS.find(([pattern]) => pattern.test(internal))?.[1] ?? fallback;
  }
  return { code, message: STATUS_REASONS[code] };
}
