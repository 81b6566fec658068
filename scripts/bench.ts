/**
 * `npm run bench`: every benchmark of the project in one run, each printing its figures and
 * ratios side by side. Nothing here asserts: the figures go into issue notes and reviews.
 */
import { run as bundle } from "./bench/bundle";
import { run as orders } from "./bench/orders";
import { run as growth } from "./bench/growth";
import { run as twin } from "./bench/twin";

async function main(): Promise<void> {
  const only = new Set(process.argv.slice(2));
  const all: [string, () => Promise<void>][] = [
    ["bundle", () => bundle()],
    ["orders", () => orders()],
    ["growth", () => growth()],
    ["twin", () => twin()],
  ];
  for (const [name, bench] of all) {
    if (only.size > 0 && !only.has(name)) continue;
    console.log(`\n=== ${name} ===`);
    await bench();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
