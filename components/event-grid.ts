/**
 * An Event Grid custom topic with Entra-only publishing, delivering to storage queues with its own
 * user-assigned identity (no SAS, no keys), and dead-lettering to the queues' storage account. When
 * that account's firewall denies by default, only the topic's SYSTEM-assigned identity passes (the
 * trusted-services exception; a user-assigned identity never does): `deliveryIdentityType`.
 *
 * Schema: CloudEvents v1.0 by default. It is the open, vendor-neutral envelope Event Grid
 * recommends for new topics, `EventGridPublisherClient` publishes it (`"CloudEvent"` input schema),
 * and the delivered message carries the same envelope the publisher sent. Publishers must use the
 * schema the topic declares (`inputSchema`): Event Grid rejects the other one.
 */
import * as pulumi from "@pulumi/pulumi";
import * as eventgrid from "@pulumi/azure-native/eventgrid";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import type * as authorization from "@pulumi/azure-native/authorization";
import type { NameContext } from "./core/naming";
import { type StandardArgs, applyDiagnostics, applyLock, applyRoleAssignments, effectiveDiagnostics, resourceName } from "./core/standard";
import type { Link } from "./core/link";
import { type Grantee, grantRole } from "./core/roles";
import type { Messaging } from "./messaging";
import type { PublicNetworkAccess } from "./core/network-access";

/**
 * ARM `inputSchema` names this component delivers to queues unchanged (`eventDeliverySchema` = the
 * input schema): CloudEvents 1.0 or the Event Grid schema (azure-native `eventgrid.InputSchema`).
 */
export const EventSchema = {
  /** CloudEvents 1.0. */
  CloudEventSchemaV1_0: "CloudEventSchemaV1_0",
  /** The Event Grid schema. */
  EventGridSchema: "EventGridSchema",
} as const;
export type EventSchema = (typeof EventSchema)[keyof typeof EventSchema];

/**
 * The identity Event Grid delivers and dead-letters with: a user-assigned identity the topic gets,
 * or the topic's own system-assigned identity (the only one a storage firewall's trusted-services
 * exception admits).
 */
export const DeliveryIdentityType = {
  UserAssigned: "UserAssigned",
  SystemAssigned: "SystemAssigned",
} as const;
export type DeliveryIdentityType = (typeof DeliveryIdentityType)[keyof typeof DeliveryIdentityType];

/** Explicit physical names of an EventTopic's resources. */
export interface EventTopicPhysicalNames {
  /** The topic (3-50 letters, digits and hyphens). @default from the naming helper */
  readonly topic?: string;
  /** The user-assigned delivery identity (with `deliveryIdentityType` "UserAssigned"). @default from the naming helper */
  readonly deliveryIdentity?: string;
}

/** The identity Event Grid delivers with: `id` is the user-assigned identity's ARM id, or the topic's own for a system-assigned one. */
export interface EventTopicDeliveryIdentity {
  readonly id: pulumi.Output<string>;
  readonly principalId: pulumi.Output<string>;
}

/**
 * CloudEvents 1.0: the open envelope Event Grid recommends for new topics (Microsoft Learn, "CloudEvents
 * v1.0 schema with Azure Event Grid").
 */
export const DEFAULT_EVENT_SCHEMA: EventSchema = "CloudEventSchemaV1_0";

export interface EventTopicArgs extends StandardArgs {
  /** The naming helper's prefix and environment. Required unless `physicalNames` names every resource. @default none */
  readonly names?: NameContext;
  /** Explicit physical names. @default from the naming helper */
  readonly physicalNames?: EventTopicPhysicalNames;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  /**
   * Envelope publishers send (and subscribers receive). Event Grid refuses events in another schema,
   * so it must be the schema the publishers speak. @default "CloudEventSchemaV1_0" (CloudEvents 1.0)
   */
  readonly inputSchema?: EventSchema;
  /** @default "Enabled" (publishers on Flex Consumption without a VNet reach the topic publicly, with Entra auth) */
  readonly publicNetworkAccess?: PublicNetworkAccess;
  /** Log Analytics workspace for diagnostics. @default no diagnostics */
  readonly workspaceId?: pulumi.Input<string>;
  /**
   * The identity Event Grid delivers and dead-letters with. `SystemAssigned` is required when the
   * destination storage account's firewall denies by default (`Messaging.networkRestricted`): Event
   * Grid passes it only with the topic's system identity and the trusted-services exception.
   * @default "UserAssigned" (a user-assigned identity created here)
   */
  readonly deliveryIdentityType?: DeliveryIdentityType;
}

export interface QueueSubscriptionArgs {
  /** The storage account holding the queue and the dead-letter container. */
  readonly messaging: Messaging;
  /** A queue declared in `messaging`. */
  readonly queue: string;
  /** Event types delivered. @default all */
  readonly eventTypes?: readonly string[];
  /** Delivery attempts before the event is dead-lettered (1-30). @default 30 */
  readonly maxDeliveryAttempts?: number;
  /** Minutes an undelivered event is retried before dead-lettering (1-1440). @default 1440 */
  readonly eventTimeToLiveInMinutes?: number;
  /** Time to live of the queue message (seconds; -1 = never expires). @default -1 (the consumer's poison queue handles failures) */
  readonly queueMessageTimeToLiveInSeconds?: number;
}

/** Event subscription names: 3-64 letters, digits and hyphens. */
const SUBSCRIPTION_NAME = /^[A-Za-z0-9-]{3,64}$/;

/**
 * An EventTopic's state its methods use. Kept off the class: the package schema publishes every class
 * field (private ones too) as an output in every language.
 */
interface EventTopicInternals {
  readonly name: string;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly subscriptions: Set<string>;
}
const internals = new WeakMap<EventTopic, EventTopicInternals>();

/** An Event Grid custom topic whose subscriptions deliver to storage queues with the topic's identity. */
export class EventTopic extends pulumi.ComponentResource {
  readonly topicId: pulumi.Output<string>;
  readonly topicName: pulumi.Output<string>;
  /** Publishing endpoint (`https://<topic>.<region>-1.eventgrid.azure.net/api/events`). */
  readonly endpoint: pulumi.Output<string>;
  /** The envelope the topic accepts: publishers must send it. */
  readonly inputSchema: EventSchema;
  /**
   * The identity Event Grid delivers and dead-letters with: the user-assigned identity, or (with
   * `deliveryIdentityType` "SystemAssigned") the topic's own identity, whose `id` is the topic's id.
   */
  readonly deliveryIdentity: EventTopicDeliveryIdentity;
  /** Which kind of identity delivers. */
  readonly deliveryIdentityType: DeliveryIdentityType;

  /** What the methods need; an accessor, so the package schema does not publish it as an output. */
  private get internal(): EventTopicInternals {
    return internals.get(this)!;
  }

  constructor(name: string, args: EventTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("serverless-platform:eventgrid:EventTopic", name, {}, opts);
    internals.set(this, { name, resourceGroupName: args.resourceGroupName, subscriptions: new Set() });
    this.inputSchema = args.inputSchema ?? DEFAULT_EVENT_SCHEMA;
    this.deliveryIdentityType = args.deliveryIdentityType ?? "UserAssigned";
    const systemAssigned = this.deliveryIdentityType === "SystemAssigned";

    const identity = systemAssigned
      ? undefined
      : new managedidentity.UserAssignedIdentity(
          `${name}-identity`,
          {
            resourceName: resourceName(`EventTopic "${name}"`, "physicalNames.deliveryIdentity", "userAssignedIdentity", args.physicalNames?.deliveryIdentity, args.names, name, "delivery"),
            resourceGroupName: args.resourceGroupName,
            location: args.location,
            tags: args.tags,
          },
          { parent: this },
        );

    const topic = new eventgrid.Topic(
      `${name}-topic`,
      {
        topicName: resourceName(`EventTopic "${name}"`, "physicalNames.topic", "eventGridTopic", args.physicalNames?.topic, args.names, name),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        inputSchema: this.inputSchema,
        // Publishers authenticate with Entra ID (EventGrid Data Sender); no access keys or SAS.
        disableLocalAuth: true,
        minimumTlsVersionAllowed: eventgrid.TlsVersion.TlsVersion_1_2,
        publicNetworkAccess: args.publicNetworkAccess ?? "Enabled",
        // The identity must be attached to the topic before a subscription may deliver with it.
        identity: identity
          ? { type: eventgrid.IdentityType.UserAssigned, userAssignedIdentities: identity.id.apply((id) => ({ [id]: {} })) }
          : { type: eventgrid.IdentityType.SystemAssigned },
      },
      { parent: this },
    );

    applyLock(`${name}-topic`, topic.id, args.lock, { parent: this });
    applyRoleAssignments(`${name}-topic`, topic.id, args.roleAssignments, { parent: this });
    applyDiagnostics(`${name}-topic`, topic.id, effectiveDiagnostics(`EventTopic "${name}"`, args.workspaceId, args.diagnosticSettings), { parent: this });

    this.topicId = topic.id;
    this.topicName = topic.name;
    this.endpoint = topic.endpoint;
    this.deliveryIdentity = identity
      ? { id: identity.id, principalId: identity.principalId }
      : {
          id: topic.id,
          principalId: topic.identity.apply((i) => {
            if (!i?.principalId) throw new Error(`EventTopic "${name}": Azure returned no principal id for the topic's system-assigned identity`);
            return i.principalId;
          }),
        };
    this.registerOutputs({ topicId: this.topicId, endpoint: this.endpoint });
  }

  /**
   * Subscribes `queue` of `args.messaging`: an event subscription on this topic delivering with the
   * topic's identity, dead-lettering to the messaging account's container, plus the two grants that
   * identity needs (Queue Data Message Sender on the queue, Blob Data Contributor on the container).
   * The subscription waits for both grants.
   */
  subscribeQueue(name: string, args: QueueSubscriptionArgs): eventgrid.TopicEventSubscription {
    const where = `EventTopic "${this.internal.name}".subscribeQueue("${name}")`;
    if (!SUBSCRIPTION_NAME.test(name)) throw new Error(`${where}: the name must be 3-64 letters, digits and hyphens`);
    if (this.internal.subscriptions.has(name)) throw new Error(`${where}: this topic already has a subscription "${name}"`);
    if (!args.messaging.queueNames.includes(args.queue)) {
      throw new Error(`${where}: queue "${args.queue}" is not declared in the messaging account (declared: ${args.messaging.queueNames.join(", ") || "none"})`);
    }
    const attempts = args.maxDeliveryAttempts ?? 30;
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > 30) {
      throw new Error(`${where}: maxDeliveryAttempts must be 1-30, got ${attempts}`);
    }
    const ttl = args.eventTimeToLiveInMinutes ?? 1440;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 1440) {
      throw new Error(`${where}: eventTimeToLiveInMinutes must be 1-1440 minutes, got ${ttl}`);
    }
    const messageTtl = args.queueMessageTimeToLiveInSeconds ?? -1;
    if (!Number.isInteger(messageTtl) || (messageTtl !== -1 && messageTtl < 1)) {
      throw new Error(`${where}: queueMessageTimeToLiveInSeconds must be -1 (never expires) or a positive number of seconds, got ${messageTtl}`);
    }
    if (args.eventTypes !== undefined && args.eventTypes.length === 0) {
      throw new Error(`${where}: eventTypes is empty (no event would be delivered); omit it to deliver every type`);
    }
    if (args.messaging.networkRestricted && this.deliveryIdentityType === "UserAssigned") {
      throw new Error(
        `${where}: the messaging account's firewall denies by default, and Event Grid cannot pass it with a user-assigned identity; ` +
          'create the topic with deliveryIdentityType "SystemAssigned" (delivery through the trusted-services exception)',
      );
    }
    this.internal.subscriptions.add(name);

    const grantee: Grantee = { name: this.internal.name, principalId: this.deliveryIdentity.principalId };
    const grants: authorization.RoleAssignment[] = [
      args.messaging.grantSend(grantee, args.queue),
      args.messaging.grantDeadLetterWrite(grantee),
    ];
    const identity =
      this.deliveryIdentityType === "SystemAssigned"
        ? { type: eventgrid.EventSubscriptionIdentityType.SystemAssigned }
        : { type: eventgrid.EventSubscriptionIdentityType.UserAssigned, userAssignedIdentity: this.deliveryIdentity.id };

    return new eventgrid.TopicEventSubscription(
      `${this.internal.name}-${name}`,
      {
        eventSubscriptionName: name,
        resourceGroupName: this.internal.resourceGroupName,
        topicName: this.topicName,
        eventDeliverySchema: this.inputSchema,
        deliveryWithResourceIdentity: {
          identity,
          destination: {
            endpointType: "StorageQueue",
            resourceId: args.messaging.accountId,
            queueName: args.queue,
            queueMessageTimeToLiveInSeconds: messageTtl,
          },
        },
        deadLetterWithResourceIdentity: {
          identity,
          deadLetterDestination: {
            endpointType: "StorageBlob",
            resourceId: args.messaging.accountId,
            blobContainerName: args.messaging.deadLetterContainerName,
          },
        },
        retryPolicy: { maxDeliveryAttempts: attempts, eventTimeToLiveInMinutes: ttl },
        ...(args.eventTypes !== undefined ? { filter: { includedEventTypes: [...args.eventTypes] } } : {}),
      },
      // Without the grants in place the first deliveries fail (and dead-lettering too).
      { parent: this, dependsOn: grants },
    );
  }

  /**
   * The use "publish to this topic": the app setting `setting` holds the topic's endpoint, and the
   * consumer's identity gets EventGrid Data Sender on this topic only.
   */
  publishLink(setting: string): Link {
    return {
      description: `publish to EventTopic "${this.internal.name}"`,
      settings: { [setting]: this.endpoint },
      grant: (grantee) => [this.grantPublish(grantee)],
    };
  }

  /** EventGrid Data Sender on this topic only (publish events with Entra ID). */
  grantPublish(grantee: Grantee): authorization.RoleAssignment {
    return grantRole(
      `${this.internal.name}-${grantee.name}-publish`,
      { scope: this.topicId, principalId: grantee.principalId, role: "eventGridDataSender" },
      { parent: this },
    );
  }
}
