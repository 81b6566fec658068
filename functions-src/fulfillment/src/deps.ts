/**
 * Everything the fulfillment functions need from the outside world, built in one place from settings.
 * (The durable client is per invocation: it comes from the trigger's context, see starter.ts.)
 */
import type { QueueClient } from "@azure/storage-queue";
import { cosmosClientFromSettings } from "../../shared/clients/cosmos";
import type { ClientOptions } from "../../shared/clients/credential";
import { queueServiceClientFromSettings } from "../../shared/clients/queues";
import { FULFILLMENT_QUEUE } from "../../shared/contracts/fulfillment";
import { ORDER_STATUS_QUEUE } from "../../shared/contracts/order-status";
import { databaseFor, settingNames } from "../../shared/manifest";
import { type Settings, databaseSetting, urlSetting } from "../../shared/settings";
import manifest, { PAYMENT_BACKEND, SHIPMENTS_CONTAINER, STOCK_CONTAINER } from "../service";
import { PaymentClient } from "./payment";
import { ShipmentStore, StockStore } from "./stock";

export interface FulfillmentDeps {
  readonly stock: StockStore;
  readonly shipments: ShipmentStore;
  readonly payments: PaymentClient;
  /** Orders' status queue: progress reports go there (orders applies them). */
  readonly statusQueue: QueueClient;
  /** `order-fulfillment-poison`: messages that can never be processed. */
  readonly poison: QueueClient;
}

export interface FulfillmentDepsOptions extends ClientOptions {
  /** Queue names, overridable so parallel tests do not share queues. @default the contracts' */
  readonly queueNames?: { readonly inbound?: string; readonly status?: string };
  readonly fetch?: typeof fetch;
}

export function fulfillmentDeps(settings: Settings, options: FulfillmentDepsOptions = {}): FulfillmentDeps {
  const database = cosmosClientFromSettings(settings, options).database(
    databaseSetting(settings, databaseFor(manifest.name)),
  );
  const queues = queueServiceClientFromSettings(settings, options);
  return {
    stock: new StockStore(database.container(STOCK_CONTAINER)),
    shipments: new ShipmentStore(database.container(SHIPMENTS_CONTAINER)),
    payments: new PaymentClient(urlSetting(settings, settingNames.backendUrl(PAYMENT_BACKEND)), options.fetch),
    statusQueue: queues.getQueueClient(options.queueNames?.status ?? ORDER_STATUS_QUEUE),
    poison: queues.getQueueClient(`${options.queueNames?.inbound ?? FULFILLMENT_QUEUE}-poison`),
  };
}
