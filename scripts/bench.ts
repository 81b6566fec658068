/**
 * `npm run bench`: the speed figures of issue 17, each with its target and MET/MISS, in one run of at
 * most 90 s (scripts/bench/speed.ts), so it can run on every pull request. `npm run bench -- <name>...`
 * runs the named benchmarks instead (speed, cold-start, bundle, orders, growth, twin, plan-profile), `-- all`
 * every one.
 * Nothing here asserts: the figures go into the pull-request report and reviews.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
// Each benchmark is loaded when it runs: --help and a mistyped name answer without loading them all.
/* eslint-disable @typescript-eslint/no-require-imports */
const load = {
  coldStart: () => require("./bench/cold-start") as typeof import("./bench/cold-start"),
  speed: () => (require("./bench/speed") as typeof import("./bench/speed")).run,
  bundle: () => (require("./bench/bundle") as typeof import("./bench/bundle")).run,
  orders: () => (require("./bench/orders") as typeof import("./bench/orders")).run,
  growth: () => (require("./bench/growth") as typeof import("./bench/growth")).run,
  twin: () => (require("./bench/twin") as typeof import("./bench/twin")).run,
  planProfile: () => (require("./bench/plan-profile") as typeof import("./bench/plan-profile")).run,
};
/* eslint-enable @typescript-eslint/no-require-imports */

const NAMES = ["speed", "cold-start", "bundle", "orders", "growth", "twin", "plan-profile"] as const;

export const USAGE = `usage: npm run bench [-- <name>... | all]

Prints the speed figures of issue 17, each with its target and MET or MISS, in one run (speed).
Named benchmarks instead: ${NAMES.join(", ")}; "all" runs every one. Nothing asserts: the figures
go into the pull-request report.`;

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  if (requested.includes("--help") || requested.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const unknown = requested.filter((r) => r !== "all" && !(NAMES as readonly string[]).includes(r));
  if (unknown.length > 0) {
    console.error(`error: unknown benchmark ${unknown.join(" ")}\n\n${USAGE}`);
    process.exit(2);
  }
  const only = new Set(requested.length === 0 ? ["speed"] : requested.includes("all") ? [] : requested);
  const all: [string, () => Promise<void>][] = [
    ["speed", async () => void (await load.speed()())],
    [
      "cold-start",
      async () => {
        const planFile = path.resolve(__dirname, "..", ".build", "bench", "speed", "prod-plan.json");
        const { formatColdStarts, measureColdStarts } = load.coldStart();
        const plan = JSON.parse(readFileSync(planFile, "utf8")) as Parameters<typeof measureColdStarts>[0];
        for (const line of formatColdStarts(await measureColdStarts(plan))) console.log(line);
      },
    ],
    ["bundle", () => load.bundle()()],
    ["orders", () => load.orders()()],
    ["growth", () => load.growth()()],
    ["twin", () => load.twin()()],
    // Where the prod plan's CPU time goes, by kind of work (--cpu-prof).
    ["plan-profile", async () => load.planProfile()()],
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
