/**
 * A service's declaration of what it needs: the one typed place, next to its code, that the
 * infrastructure reads to create the service's Function App, the data it owns, the grants and
 * settings for what it uses, its alerts and its gateway API.
 *
 * This module is plain data and types: service code imports it (to read its own names), and so does
 * the Pulumi program (to compose the system). It must never import `@pulumi/*` or `@azure/*`.
 */

/** The triggers a service's functions use; they decide the roles and settings the app needs. */
export type TriggerKind = "http" | "queue" | "durable" | "cosmosChangeFeed" | "timer";

/** A Cosmos DB container that a service owns (its data: no other service writes it). */
export interface ContainerDeclaration {
  /** Container id inside the service's own database. */
  readonly name: string;
  /** Partition key paths; more than one makes a hierarchical (MultiHash) key. */
  readonly partitionKeyPaths: readonly string[];
  /** Time to live for items, in seconds; -1 = on with no default expiry. @default off */
  readonly defaultTtlSeconds?: number;
  /** Unique key paths per unique key. @default none */
  readonly uniqueKeys?: readonly (readonly string[])[];
  /** Paths excluded from indexing, e.g. large payloads never queried. @default ["/\"_etag\"/?"] */
  readonly excludedIndexPaths?: readonly string[];
}

/** A queue a service owns: it is the only consumer; the `-poison` companion is created with it. */
export interface QueueDeclaration {
  readonly name: string;
  /** What a message on this queue means, for the docs and the diagram. */
  readonly description?: string;
}

/** How a service uses a queue owned by itself or another service. */
export interface QueueUse {
  readonly queue: string;
  /** send: enqueue only; process: the queue trigger (receive, update, delete, write poison). */
  readonly access: "send" | "process";
}

/** How a service uses a container owned by another service (or itself). */
export interface ContainerUse {
  /** The owning service's name. */
  readonly service: string;
  readonly container: string;
  /** read: queries and point reads; readWrite; changeFeed: the Cosmos trigger (needs leases). */
  readonly access: "read" | "readWrite" | "changeFeed";
  /**
   * For `changeFeed` only: where the trigger keeps its leases, when the consumer keeps them in its own
   * database (it then declares that container, partition key `/id`, in its `owns.containers`).
   * @default `leaseContainerFor(consumer, container)` next to the watched container
   */
  readonly leases?: { readonly service: string; readonly container: string };
}

/**
 * A non-secret value a service reads at run time, set in the service's own section of the stack
 * config (`services.<name>.settings.<configKey>`) and delivered as an app setting.
 */
export interface SettingUse {
  /** The key in `services.<name>.settings`, camelCase, e.g. `webhookUrl`. */
  readonly configKey: string;
  /** The app setting it becomes, e.g. `settingNames.notificationWebhookUrl`. */
  readonly setting: string;
  /** What the value must be. @default any non-empty text */
  readonly format?: "https-url";
  /** Whether the stack may leave it unset (the setting is then not written). @default false */
  readonly optional?: boolean;
}

/** An Event Grid topic the service publishes to, or subscribes a queue it owns to. */
export interface TopicUse {
  readonly topic: string;
  readonly access: "publish";
}

export interface TopicSubscription {
  readonly topic: string;
  /** A queue owned by this service that receives the events. */
  readonly queue: string;
  /** Event types delivered; @default all */
  readonly eventTypes?: readonly string[];
}

/** An HTTP API the service exposes through the gateway. */
export interface HttpApiDeclaration {
  /** Gateway path segment before the version: `/orders/v1/...`. */
  readonly path: string;
  /** Version segment. */
  readonly version: string;
  /** Display name in the gateway. */
  readonly displayName: string;
  /** Route prefix of the Function App's HTTP functions (host.json `extensions.http.routePrefix`). */
  readonly routePrefix: string;
  /** App roles the API defines (Entra ID), e.g. `Orders.Read`; operations reference them. */
  readonly roles: readonly { readonly value: string; readonly description: string }[];
  /** Anonymous health route (relative to the API), used by the availability test. */
  readonly healthPath?: string;
  /**
   * Module (relative to the service folder) whose `openApiDocument()` returns the API's OpenAPI
   * 3.0.x document, generated from the service's own schemas: the gateway imports it.
   */
  readonly openapi: string;
}

export interface ServiceManifest {
  /** Lowercase letters and digits, 2-16 characters, starting with a letter: it ends up in physical Azure names. */
  readonly name: string;
  readonly description: string;
  /** Entry module of the Functions app, relative to the service folder. */
  readonly entry: string;
  readonly triggers: readonly TriggerKind[];
  /** Data and queues this service owns. */
  readonly owns?: {
    readonly containers?: readonly ContainerDeclaration[];
    readonly queues?: readonly QueueDeclaration[];
    readonly topics?: readonly string[];
  };
  /** Resources (its own or other services') this service uses, and how. */
  readonly uses?: {
    readonly queues?: readonly QueueUse[];
    readonly containers?: readonly ContainerUse[];
    readonly topics?: readonly TopicUse[];
    /** Existing back ends by their name in the stack config's `backends` map. */
    readonly backends?: readonly string[];
    /** Key Vault secrets by name (from the stack's secret config), delivered as Key Vault references. */
    readonly secrets?: readonly string[];
    /** Non-secret stack config values delivered as app settings. @default none */
    readonly settings?: readonly SettingUse[];
  };
  /** Event Grid subscriptions that deliver to queues this service owns. */
  readonly subscriptions?: readonly TopicSubscription[];
  readonly http?: HttpApiDeclaration;
}

/**
 * App setting names shared by the infrastructure (which writes them) and the service code (which
 * reads them). Identity-based connections follow the Functions convention `<CONNECTION>__<property>`.
 */
export const settingNames = {
  /** Cosmos DB connection prefix: `COSMOS__accountEndpoint`, `COSMOS__credential`, `COSMOS__clientId`. */
  cosmosConnection: "COSMOS",
  /** Storage queues connection prefix: `QUEUES__queueServiceUri`, `__credential`, `__clientId`. */
  queuesConnection: "QUEUES",
  /** The Cosmos database that holds a service's containers. */
  cosmosDatabase: "COSMOS_DATABASE",
  /** Event Grid topic endpoint for a topic, by topic name: `TOPIC_<NAME>_ENDPOINT`. */
  topicEndpoint: (topic: string): string => `TOPIC_${toSettingSegment(topic)}_ENDPOINT`,
  /** Base URL of an existing back end, by its config name: `BACKEND_<NAME>_URL`. */
  backendUrl: (backend: string): string => `BACKEND_${toSettingSegment(backend)}_URL`,
  /** A secret delivered as a Key Vault reference, by its name: `SECRET_<NAME>`. */
  secret: (name: string): string => `SECRET_${toSettingSegment(name)}`,
  /** Client id of the app's user-assigned identity, read by DefaultAzureCredential. */
  identityClientId: "AZURE_CLIENT_ID",
  /** Where notifications posts its webhooks (stack config `services.notifications.settings.webhookUrl`). */
  notificationWebhookUrl: "NOTIFICATION_WEBHOOK_URL",
} as const;

function toSettingSegment(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase();
}

/** The Cosmos database id a service's containers live in (data per service). */
export function databaseFor(service: string): string {
  return `${service}-db`;
}

/** The lease container a change-feed consumer owns, next to the container it watches. */
export function leaseContainerFor(consumer: string, watched: string): string {
  return `${watched}-leases-${consumer}`;
}

/** Identity for `defineService`: gives the manifest its type and checks it at load time. */
export function defineService<const M extends ServiceManifest>(manifest: M): M {
  if (!/^[a-z][a-z0-9]{1,15}$/.test(manifest.name)) {
    throw new Error(
      `service name "${manifest.name}" must be 2-16 lowercase letters or digits, starting with a letter`,
    );
  }
  return manifest;
}
