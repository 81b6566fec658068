/**
 * The names of the queues, topics and event types the services share, without their message schemas
 * (the contract modules next to this one re-export each): an app's entry and the manifests (service.ts)
 * need the names to register triggers and declare access, and importing them must not load zod while
 * the host waits for the registrations on a cold start (test/components/function-app/bundle-services.test.ts).
 */

/** Fulfillment's inbound queue (./fulfillment.ts). Owned by fulfillment; orders has "send" access. */
export const FULFILLMENT_QUEUE = "order-fulfillment";

/** The orders service's status queue (./order-status.ts). Owned by orders; fulfillment has "send" access. */
export const ORDER_STATUS_QUEUE = "order-status";

/** The Event Grid topic of order events (./order-events.ts). Owned by notifications (it publishes and subscribes its delivery queue). */
export const ORDER_EVENTS_TOPIC = "order-events";
/** The event type of a status change on ORDER_EVENTS_TOPIC. */
export const ORDER_STATUS_CHANGED = "OrderStatusChanged";
