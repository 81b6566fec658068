/**
 * Growth benchmark: plans synthetic stacks of 1, 5 and 20 services (each one discovered, bundled
 * and composed like a real service) and prints plan time and resource count for each, with the
 * growth ratios, and the wall time of the real prod plan. Prints figures; asserts nothing.
 *
 *   npx tsx scripts/bench/growth.ts [--runs 3]
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { evaluateProgram } from "../../engine/plan";
import { SYNTHETIC_ROOT, syntheticConfig, writeSyntheticServices } from "../../engine/synthetic";
import { loadServices } from "../../composition/services";
import { composeSystem } from "../../composition/system";
import { PROJECT } from "../../lib/config";

const SIZES = [1, 5, 20] as const;

async function planOnce(count: number): Promise<{ seconds: number; resources: number }> {
  const root = path.join(SYNTHETIC_ROOT, `n${count}`);
  const names = writeSyntheticServices(root, count);
  const config = syntheticConfig(names);
  const started = process.hrtime.bigint();
  const plan = await evaluateProgram({
    project: PROJECT,
    stack: "dev",
    program: () => {
      composeSystem(config, loadServices("dev", config, root));
      return {};
    },
  });
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, resources: plan.resources.length };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(runs = 3): Promise<void> {
  console.log(`\nGrowth: offline plan of synthetic stacks (median of ${runs} runs each, Node ${process.version})`);
  await planOnce(1); // warm-up: module loading is a one-time cost of the process, not of the stack
  const rows: { n: number; seconds: number; resources: number }[] = [];
  for (const n of SIZES) {
    const samples: number[] = [];
    let resources = 0;
    for (let i = 0; i < runs; i++) {
      const r = await planOnce(n);
      samples.push(r.seconds);
      resources = r.resources;
    }
    rows.push({ n, seconds: median(samples), resources });
  }
  const one = rows[0]!;
  console.log("services  resources  plan time  per service  time vs 1 service  resources vs 1 service");
  for (const r of rows) {
    console.log(
      `${String(r.n).padStart(8)}  ${String(r.resources).padStart(9)}  ${r.seconds.toFixed(2).padStart(7)} s  ${(r.seconds / r.n).toFixed(3).padStart(9)} s  ${(r.seconds / one.seconds).toFixed(2).padStart(16)}x  ${(r.resources / one.resources).toFixed(2).padStart(21)}x`,
    );
  }
  const twenty = rows.find((r) => r.n === 20)!;
  const five = rows.find((r) => r.n === 5)!;
  const marginal = (twenty.seconds - five.seconds) / 15;
  console.log(
    `target: 20 services <= 20x one service (+ a constant): ${(twenty.seconds / one.seconds).toFixed(2)}x; ` +
      `marginal cost per added service ${marginal.toFixed(3)} s, ${((twenty.resources - five.resources) / 15).toFixed(1)} resources`,
  );

  const root = path.resolve(__dirname, "../..");
  const started = process.hrtime.bigint();
  // The exit code says whether policy passed; the time is what this benchmark reports.
  const result = spawnSync(path.join(root, "node_modules/.bin/tsx"), [path.join(root, "engine/cli/plan.ts"), "--stack", "prod", "--quiet"], { cwd: root, stdio: "ignore" });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `real prod stack: \`npm run plan -- --stack prod\` wall time ${wall.toFixed(2)} s (target <= 10 s, including process start and policy; exit ${result.status})`,
  );
}

if (require.main === module) {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
  run(Number(values.runs)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
