/**
 * Everything the notifications functions need, built in one place from settings. The publisher side
 * and the delivery side are built separately so one missing setting does not stop the other function.
 */
import type { SendCloudEventInput } from "@azure/eventgrid";
import type { QueueClient } from "@azure/storage-queue";
import { cosmosClientFromSettings } from "../../shared/clients/cosmos";
import type { ClientOptions } from "../../shared/clients/credential";
import { createEventGridPublisher } from "../../shared/clients/eventgrid";
import { queueServiceClientFromSettings } from "../../shared/clients/queues";
import { ORDER_EVENTS_TOPIC } from "../../shared/contracts/order-events";
import { databaseFor, settingNames } from "../../shared/manifest";
import { type Settings, databaseSetting, requireSetting, urlSetting } from "../../shared/settings";
import manifest, { DELIVERIES_CONTAINER, NOTIFICATIONS_QUEUE } from "../service";
import { DeliveryLog, WebhookClient } from "./webhook";

/** The part of the platform's publisher (CloudEvents, shared/clients/eventgrid.ts) the relay uses. */
export interface EventPublisher {
  send(events: SendCloudEventInput<unknown>[]): Promise<void>;
}

export interface PublisherDeps {
  readonly publisher: EventPublisher;
}

export interface DeliveryDeps {
  readonly webhook: WebhookClient;
  readonly deliveries: DeliveryLog;
  /** `order-notifications-poison`. */
  readonly poison: QueueClient;
  readonly clock: () => Date;
}

export function publisherDeps(settings: Settings, options: ClientOptions = {}): PublisherDeps {
  const endpoint = requireSetting(settings, settingNames.topicEndpoint(ORDER_EVENTS_TOPIC));
  return { publisher: createEventGridPublisher(endpoint, settings, options) };
}

export interface DeliveryDepsOptions extends ClientOptions {
  readonly queueName?: string;
  readonly fetch?: typeof fetch;
}

export function deliveryDeps(settings: Settings, options: DeliveryDepsOptions = {}): DeliveryDeps {
  const database = cosmosClientFromSettings(settings, options).database(
    databaseSetting(settings, databaseFor(manifest.name)),
  );
  const queues = queueServiceClientFromSettings(settings, options);
  return {
    webhook: new WebhookClient(urlSetting(settings, settingNames.notificationWebhookUrl), options.fetch),
    deliveries: new DeliveryLog(database.container(DELIVERIES_CONTAINER)),
    poison: queues.getQueueClient(`${options.queueName ?? NOTIFICATIONS_QUEUE}-poison`),
    clock: () => new Date(),
  };
}
