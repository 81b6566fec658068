/**
 * The fulfillment service's inbound queue name, without the message schemas (./fulfillment.ts): the
 * app's entry needs the name to register its trigger, and importing it must not load zod (cold start).
 */

/** Owned by fulfillment; orders has "send" access. */
export const FULFILLMENT_QUEUE = "order-fulfillment";
