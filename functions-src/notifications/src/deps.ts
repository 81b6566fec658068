/**
 * What the delivery function needs, built in one place from settings. The publisher side is in
 * ./publisher-deps.ts: built separately so one missing setting does not stop the other function, and
 * in its own module so a delivery's first message does not load the Event Grid SDK (nor the relay's
 * first batch the Storage Queue one).
 */
import type { QueueClient } from "@azure/storage-queue";
import { cosmosClientFromSettings } from "../../shared/clients/cosmos";
import type { ClientOptions } from "../../shared/clients/credential";
import { queueServiceClientFromSettings } from "../../shared/clients/queues";
import { databaseFor, settingNames } from "../../shared/manifest";
import { type Settings, databaseSetting, urlSetting } from "../../shared/settings";
import manifest, { DELIVERIES_CONTAINER, NOTIFICATIONS_QUEUE } from "../service";
import { DeliveryLog, WebhookClient } from "./webhook";

export interface DeliveryDeps {
  readonly webhook: WebhookClient;
  readonly deliveries: DeliveryLog;
  /** `order-notifications-poison`. */
  readonly poison: QueueClient;
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
  const queues = queueServiceClientFromSettings(settings, options);
  return {
    webhook: new WebhookClient(urlSetting(settings, settingNames.notificationWebhookUrl), options.fetch),
    deliveries: new DeliveryLog(database.container(DELIVERIES_CONTAINER)),
    poison: queues.getQueueClient(`${options.queueName ?? NOTIFICATIONS_QUEUE}-poison`),
    clock: () => new Date(),
  };
}
