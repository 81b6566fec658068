/**
 * `npm run bench`: the speed figures of issue 17, each with its target and MET/MISS, in one run of at
 * most 90 s (scripts/bench/speed.ts), so it can run on every pull request. `npm run bench -- <name>...`
 * runs the named benchmarks instead (speed, cold-start, bundle, orders, growth, twin), `-- all` every one.
 * Nothing here asserts: the figures go into the pull-request report and reviews.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { formatColdStarts, measureColdStarts } from "./bench/cold-start";
import { run as speed } from "./bench/speed";
import { run as bundle } from "./bench/bundle";
import { run as orders } from "./bench/orders";
import { run as growth } from "./bench/growth";
import { run as twin } from "./bench/twin";

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const only = new Set(requested.length === 0 ? ["speed"] : requested.includes("all") ? [] : requested);
  const all: [string, () => Promise<void>][] = [
    ["speed", async () => void (await speed())],
    [
      "cold-start",
      async () => {
        const planFile = path.resolve(__dirname, "..", ".build", "bench", "speed", "prod-plan.json");
        const plan = JSON.parse(readFileSync(planFile, "utf8")) as Parameters<typeof measureColdStarts>[0];
        for (const line of formatColdStarts(await measureColdStarts(plan))) console.log(line);
      },
    ],
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
