/**
 * Every figure of issue 17 from one run, each with its target and MET or MISS, ratios measured side by
 * side (the two commands of a ratio run in turn, in the same minute, so a busy machine slows both):
 * 1. the prod plan, policy and report included (`npm run plan -- --stack prod --report`), warm (the
 *    bundle cache under .build/ and tsx's transform cache filled) and as from a fresh clone (both empty),
 *    next to `node -e 'require("@pulumi/pulumi")'`;
 * 2. `npm test` wall time: read from the last run's record when there is one, else "not measured";
 * 3. cold start of every service (scripts/bench/cold-start.ts);
 * 4. this benchmark's own run time.
 *
 *   npx tsx scripts/bench/speed.ts        (the default of `npm run bench`)
 *
 * The machine's load average is printed first: on a shared 2-core machine absolute seconds move with
 * it, the ratios much less.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import { DEFAULT_OUT_ROOT } from "../../components/function-app/bundle";
import { formatColdStarts, measureColdStarts, COLD_START_TARGETS, type ColdStartRow } from "./cold-start";

const ROOT = path.resolve(__dirname, "..", "..");
const WORK = path.join(ROOT, ".build", "bench", "speed");
/** The prod plan the runs write: its app settings are what the cold-start processes get. */
const PLAN_FILE = path.join(WORK, "prod-plan.json");

/** Issue 17's targets. */
export const SPEED_TARGETS = { planWarmS: 3, planFreshS: 10, testS: 120, benchS: 90 } as const;

/** Where a test run may leave its wall time (`{ "wallSeconds": n, "finishedAt": iso }`) for this report. */
export const TEST_TIMING_FILE = path.join(ROOT, ".build", "test-timing.json");

const verdict = (ok: boolean): string => (ok ? "MET" : "MISS");

async function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ seconds: number; code: number | null; stderr: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, code, stderr };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface SpeedFigures {
  readonly loadAverage: readonly number[];
  readonly requirePulumiS: number;
  readonly planWarmS: number;
  readonly planFreshS: number;
  readonly coldStarts: readonly ColdStartRow[];
  readonly testS?: number;
  readonly benchS: number;
}

/** The plan command as `npm run plan` runs it, with the report (as CI does). */
function planArgs(report: string): string[] {
  return ["--import", "tsx", path.join(ROOT, "engine/cli/plan.ts"), "--stack", "prod", "--quiet", "--no-baseline", "--report", report, "--json", PLAN_FILE];
}

export async function run(options: { readonly planRuns?: number; readonly coldRuns?: number } = {}): Promise<SpeedFigures> {
  const started = process.hrtime.bigint();
  const planRuns = options.planRuns ?? 2;
  mkdirSync(WORK, { recursive: true });
  const load = loadavg();
  console.log(`issue 17 figures, Node ${process.version}, load average ${load.map((l) => l.toFixed(2)).join(" ")} (1/5/15 min)\n`);

  const report = path.join(WORK, "report.md");
  const node = process.execPath;
  const requirePulumi = ["-e", 'require("@pulumi/pulumi")'];

  // Fresh clone: no bundles under .build/functions and an empty tsx transform cache (tsx keeps it under
  // the temp directory). The bundles are moved aside and put back, so the warm runs find them.
  const aside = `${DEFAULT_OUT_ROOT}.bench-aside`;
  rmSync(aside, { recursive: true, force: true });
  const hadBundles = existsSync(DEFAULT_OUT_ROOT);
  if (hadBundles) renameSync(DEFAULT_OUT_ROOT, aside);
  const freshTmp = mkdtempSync(path.join(tmpdir(), "bench-fresh-"));
  let fresh: Awaited<ReturnType<typeof timed>>;
  let freshPulumi: Awaited<ReturnType<typeof timed>>;
  try {
    freshPulumi = await timed(node, requirePulumi);
    fresh = await timed(node, planArgs(report), { ...process.env, TMPDIR: freshTmp });
  } finally {
    rmSync(freshTmp, { recursive: true, force: true });
    if (existsSync(aside)) {
      rmSync(DEFAULT_OUT_ROOT, { recursive: true, force: true });
      renameSync(aside, DEFAULT_OUT_ROOT);
    }
  }
  if (fresh.code !== 0) throw new Error(`the prod plan failed (exit ${fresh.code}):\n${fresh.stderr.trim().split("\n").slice(-5).join("\n")}`);

  // Warm: the caches as a developer's second plan finds them; interleaved with the yardstick.
  const warm: number[] = [];
  const pulumi: number[] = [freshPulumi.seconds];
  // Without earlier bundles the fresh run's are the cache; tsx's cache (outside TMPDIR's override) may be cold.
  if (!hadBundles) await timed(node, planArgs(report));
  for (let i = 0; i < planRuns; i++) {
    pulumi.push((await timed(node, requirePulumi)).seconds);
    warm.push((await timed(node, planArgs(report))).seconds);
  }
  const requirePulumiS = median(pulumi);
  const planWarmS = median(warm);
  const ratio = (s: number): string => `${(s / requirePulumiS).toFixed(1)}x require("@pulumi/pulumi")`;
  console.log("1. plan: `npm run plan -- --stack prod --report` (evaluation, policy, pricing, fresh-stack pass, report)");
  console.log(`   node -e 'require("@pulumi/pulumi")'      ${requirePulumiS.toFixed(2)} s (median of ${pulumi.length})`);
  console.log(`   warm cache                               ${planWarmS.toFixed(2)} s = ${ratio(planWarmS)}   target ≤ ${SPEED_TARGETS.planWarmS} s: ${verdict(planWarmS <= SPEED_TARGETS.planWarmS)} (median of ${warm.length})`);
  console.log(`   fresh clone (no .build, no tsx cache)    ${fresh.seconds.toFixed(2)} s = ${ratio(fresh.seconds)}   target ≤ ${SPEED_TARGETS.planFreshS} s: ${verdict(fresh.seconds <= SPEED_TARGETS.planFreshS)} (1 run)`);

  console.log("\n2. tests: `npm test` wall time");
  let testS: number | undefined;
  try {
    const record = JSON.parse(readFileSync(TEST_TIMING_FILE, "utf8")) as { wallSeconds?: number; finishedAt?: string };
    if (typeof record.wallSeconds === "number") {
      testS = record.wallSeconds;
      console.log(`   last run ${record.finishedAt ?? "(time unknown)"}: ${testS.toFixed(0)} s   target ≤ ${SPEED_TARGETS.testS} s: ${verdict(testS <= SPEED_TARGETS.testS)} (read from ${path.relative(ROOT, TEST_TIMING_FILE)}, not measured in this run)`);
    }
  } catch {
    /* no record */
  }
  if (testS === undefined) console.log(`   not measured in this run (no ${path.relative(ROOT, TEST_TIMING_FILE)} from a previous \`npm test\`); target ≤ ${SPEED_TARGETS.testS} s`);

  console.log("\n3. cold start of each service: fresh node, load + register, first invocation; bundled vs unbundled vs bare `node -e 0`");
  const plan = JSON.parse(readFileSync(PLAN_FILE, "utf8")) as Parameters<typeof measureColdStarts>[0];
  const coldStarts = await measureColdStarts(plan, options.coldRuns ?? 3);
  for (const line of formatColdStarts(coldStarts)) console.log(`   ${line}`);
  const t = COLD_START_TARGETS;
  console.log(`   targets: load + registration ≤ ${t.loadOverBare}x bare; first invocation ≤ ${t.invocationOverBare}x bare; unbundled ≥ ${t.unbundledOverBundled}x bundled (load)`);

  const benchS = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`\n4. this benchmark: ${benchS.toFixed(1)} s   target ≤ ${SPEED_TARGETS.benchS} s: ${verdict(benchS <= SPEED_TARGETS.benchS)}`);
  const figures: SpeedFigures = { loadAverage: load, requirePulumiS, planWarmS, planFreshS: fresh.seconds, coldStarts, ...(testS !== undefined ? { testS } : {}), benchS };
  writeFileSync(path.join(WORK, "figures.json"), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`figures also in ${path.relative(ROOT, path.join(WORK, "figures.json"))}`);
  return figures;
}

if (require.main === module) {
  run().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
