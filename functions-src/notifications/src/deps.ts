/**
 * What the delivery function needs, built in one place from settings. The publisher side is in
 * ./publisher-deps.ts: built separately so one missing setting does not stop the other function, and
 * in its own module so a delivery's first message does not load the Event Grid SDK (nor the relay's
 * first batch the Storage Queue one).
 */
import { cosmosClientFromSettings } from "../../shared/clients/cosmos";
import type { ClientOptions } from "../../shared/clients/credential";
import { type QueueSender, deferredQueueSenders } from "../../shared/clients/deferred-queues";
import { databaseFor, settingNames } from "../../shared/manifest";
import { type Settings, databaseSetting, urlSetting } from "../../shared/settings";
import manifest, { DELIVERIES_CONTAINER, NOTIFICATIONS_QUEUE } from "../service";
import { DeliveryLog, WebhookClient } from "./webhook";

export interface DeliveryDeps {
  readonly webhook: WebhookClient;
  readonly deliveries: DeliveryLog;
  /** `order-notifications-poison` (its Storage SDK loads on the first dead-letter, not with the first message). */
  readonly poison: QueueSender;
  readonly clock: () => Date;
}

export interface DeliveryDepsOptions extends ClientOptions {
  readonly queueName?: string;
  readonly fetch?: typeof fetch;
}

export function deliveryDeps(settings: Settings, options: DeliveryDepsOptions = {}): DeliveryDeps {
  const database = cosmosClientFromSettings(settings, options).database(
    databaseSetting(settings, databaseFor(manifest.name)),
  );
  const poison = deferredQueueSenders(settings, options);
  return {
    webhook: new WebhookClient(urlSetting(settings, settingNames.notificationWebhookUrl), options.fetch),
    deliveries: new DeliveryLog(database.container(DELIVERIES_CONTAINER)),
    poison: poison(`${options.queueName ?? NOTIFICATIONS_QUEUE}-poison`),
    clock: () => new Date(),
  };
}
