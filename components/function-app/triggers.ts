/**
 * The trigger kinds a Functions app's code uses: they decide the host storage services the app needs
 * (queues and tables for queue triggers and Durable Functions), its roles and its private endpoints.
 */
export type TriggerKind = "http" | "queue" | "durable" | "cosmosChangeFeed" | "timer";
