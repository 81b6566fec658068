/**
 * The trigger kinds a Functions app's code uses: they decide the host storage services the app needs
 * (queues and tables for queue triggers and Durable Functions), its roles and its private endpoints.
 */
export const TriggerKind = {
  Http: "http",
  /** Storage queue triggers: the host needs its storage's queues (and tables). */
  Queue: "queue",
  /** Durable Functions: its task hub lives in the host storage's queues and tables. */
  Durable: "durable",
  CosmosChangeFeed: "cosmosChangeFeed",
  Timer: "timer",
} as const;
export type TriggerKind = (typeof TriggerKind)[keyof typeof TriggerKind];
