/**
 * Everything the fulfillment functions need from the outside world, built in one place from settings.
 * (The durable client is per invocation: it comes from the trigger's context, see starter.ts.)
 */
import { cosmosClientFromSettings } from "../../shared/clients/cosmos";
import { databaseFor, settingNames } from "../../shared/manifest";
import { type Settings, databaseSetting, urlSetting } from "../../shared/settings";
import manifest, { PAYMENT_BACKEND, SHIPMENTS_CONTAINER, STOCK_CONTAINER } from "../service";
import { PaymentClient } from "./payment";
import { type StarterDeps, type StarterDepsOptions, starterDeps } from "./starter-deps";
import { ShipmentStore, StockStore } from "./stock";

/** The activities' stores and payment client, and the starter's queues (./starter-deps.ts). */
export interface FulfillmentDeps extends StarterDeps {
  readonly stock: StockStore;
  readonly shipments: ShipmentStore;
  readonly payments: PaymentClient;
}

export interface FulfillmentDepsOptions extends StarterDepsOptions {
  readonly fetch?: typeof fetch;
}

export function fulfillmentDeps(settings: Settings, options: FulfillmentDepsOptions = {}): FulfillmentDeps {
  const database = cosmosClientFromSettings(settings, options).database(
    databaseSetting(settings, databaseFor(manifest.name)),
  );
  return {
    stock: new StockStore(database.container(STOCK_CONTAINER)),
    shipments: new ShipmentStore(database.container(SHIPMENTS_CONTAINER)),
    payments: new PaymentClient(urlSetting(settings, settingNames.backendUrl(PAYMENT_BACKEND)), options.fetch),
    ...starterDeps(settings, options),
  };
}
