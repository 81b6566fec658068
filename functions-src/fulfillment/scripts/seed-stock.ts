/**
 * Seeds fulfillment's stock container for local runs (the emulator starts empty):
 * `npx tsx functions-src/fulfillment/scripts/seed-stock.ts SKU-1=100 SKU-2=5` with the same settings as
 * the app (COSMOS, COSMOS_DATABASE in the environment, e.g. exported from local.settings.json).
 */
import { cosmosClientFromSettings } from "../../shared/clients";
import { databaseFor } from "../../shared/manifest";
import { databaseSetting } from "../../shared/settings";
import manifest, { STOCK_CONTAINER } from "../service";
import type { StockItem } from "../src/stock";

async function main(): Promise<void> {
  const pairs = process.argv.slice(2).map((arg) => arg.split("="));
  if (pairs.length === 0 || pairs.some(([sku, n]) => !sku || !Number.isInteger(Number(n)))) {
    throw new Error("usage: seed-stock.ts SKU=quantity [SKU=quantity ...]");
  }
  const container = cosmosClientFromSettings(process.env)
    .database(databaseSetting(process.env, databaseFor(manifest.name)))
    .container(STOCK_CONTAINER);
  for (const [sku, quantity] of pairs as [string, string][]) {
    const item: StockItem = { id: sku, sku, available: Number(quantity), reservations: {}, updatedAt: new Date().toISOString() };
    await container.items.upsert(item);
    console.log(`${sku}: ${quantity} available`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
