/**
 * Everything the catalog functions need from the outside world, built in one place from app settings.
 * Handlers receive a `() => CatalogDeps` so tests can pass their own (emulators, failing clients).
 */
import type { Container } from "@azure/cosmos";
import { cosmosClientFromSettings } from "../../shared/clients/cosmos";
import type { ClientOptions } from "../../shared/clients/credential";
import { databaseFor } from "../../shared/manifest";
import { type Settings, databaseSetting } from "../../shared/settings";
import manifest, { PRODUCTS_CONTAINER } from "../service";
import { ProductsStore } from "./store";

export interface CatalogDeps {
  readonly store: ProductsStore;
  readonly clock: () => Date;
}

export function productsContainer(settings: Settings, options: ClientOptions = {}): Container {
  return cosmosClientFromSettings(settings, options)
    .database(databaseSetting(settings, databaseFor(manifest.name)))
    .container(PRODUCTS_CONTAINER);
}

export function catalogDeps(settings: Settings, options: ClientOptions = {}): CatalogDeps {
  return { store: new ProductsStore(productsContainer(settings, options)), clock: () => new Date() };
}
