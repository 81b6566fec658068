/**
 * Where the prod plan's CPU time goes (issue 17 item 1): runs `npm run plan -- --stack prod --report`
 * under `node --cpu-prof`, evaluated (--no-cache) unless `--cached` (the plan cache answers) or `--edit`
 * (the case `npm run bench` times as "after one edit": the cache filled, then the same comment appended
 * to composition/system.ts, so both evaluations run with every other cache warm and the plan cache
 * checks and records its inputs; the file is restored), and sorts every sample of the main thread into
 * one bucket, by the first rule that matches its stack:
 *
 *   garbage collection · policy evaluation · pricing · report · plan cache (hashing inputs, reading the
 *   entry) · TypeScript transform (tsx, esbuild) · module loading (Node's loader and its file reads) ·
 *   Pulumi's closure serializer (loading it, with TypeScript; serializing the dynamic provider) ·
 *   Pulumi runtime (registrations under mocks, outputs, RPC serialization) · program and simulator
 *   (components, composition, lib, engine) · other
 *
 *   npx tsx scripts/bench/plan-profile.ts [--cached | --edit]      (or `npm run bench -- plan-profile`)
 *
 * Samples are the profiler's, on the main thread only: worker threads and child processes (esbuild, the
 * bundle probes) are not in them. Each sample counts the wall time since the previous one, so on a
 * loaded machine the buckets add up to more than the CPU time; their proportions are the figure.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import { childrenCpuSeconds } from "./proc";
import { EDITED_FILE, oneEdit } from "./speed";

const ROOT = path.resolve(__dirname, "..", "..");

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A frame as the rules see it: `function url`. */
type Frame = string;

/** The buckets, in the order the rules are tried. Each rule looks at the whole stack (leaf first). */
const RULES: readonly { readonly bucket: string; readonly matches: (stack: readonly Frame[]) => boolean }[] = [
  { bucket: "garbage collection", matches: (s) => s[0] === "(garbage collector) " },
  { bucket: "policy evaluation", matches: (s) => s.some((f) => f.startsWith("evaluatePolicies ")) },
  { bucket: "pricing", matches: (s) => s.some((f) => f.startsWith("priceStack ")) },
  { bucket: "report", matches: (s) => s.some((f) => f.startsWith("renderReport ")) },
  { bucket: "plan cache (hashing inputs, reading the entry)", matches: (s) => s.some((f) => f.includes("engine/plan-cache.ts")) && !s.some((f) => f.startsWith("planStack ")) },
  { bucket: "TypeScript transform (tsx, esbuild)", matches: (s) => /node_modules\/(tsx|esbuild)\/|node:internal\/modules\/esm\/hooks/.test(s[0] ?? "") },
  {
    bucket: "module loading (Node's loader, file reads, compiling)",
    matches: (s) => /node:internal\/modules\/|^\((native )?(readFileUtf8|internalModuleStat|stat|lstat|open|read|compileFunction)\b/.test(s[0] ?? "") || s[0]?.startsWith("wrapSafe ") === true,
  },
  { bucket: "Pulumi's closure serializer (loading it, with TypeScript; serializing the dynamic provider)", matches: (s) => s.some((f) => f.includes("runtime/closure/")) },
  { bucket: "Pulumi runtime (registrations under mocks, outputs, RPC)", matches: (s) => /node_modules\/(@pulumi\/pulumi|google-protobuf|@grpc)\//.test(s[0] ?? "") },
  {
    bucket: "program and simulator (components, composition, lib, engine)",
    matches: (s) => {
      const leaf = s[0] ?? "";
      return leaf.includes(ROOT) && !leaf.includes("/node_modules/");
    },
  },
];

/** Milliseconds of CPU per bucket (idle and the profiler's "(program)" left out), largest first. */
export function bucketProfile(profile: CpuProfile): { readonly bucket: string; readonly ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totals = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const stack: Frame[] = [];
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const n = byId.get(x)!;
      stack.push(`${n.callFrame.functionName} ${n.callFrame.url}`);
    }
    if (stack[0] === "(idle) " || stack[0] === "(program) " || stack[0] === "(root) ") continue;
    const bucket = RULES.find((r) => r.matches(stack))?.bucket ?? "other";
    totals.set(bucket, (totals.get(bucket) ?? 0) + us / 1000);
  }
  return [...totals.entries()].map(([bucket, ms]) => ({ bucket, ms })).sort((a, b) => b.ms - a.ms);
}

export function run(options: { readonly cached?: boolean; readonly edit?: boolean } = {}): void {
  // One folder for every run: the plan cache's key includes Node's flags, --cpu-prof-dir among them.
  const dir = path.join(tmpdir(), "plan-profile");
  const clear = (): void => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  };
  clear();
  try {
    const load = loadavg().map((l) => l.toFixed(2)).join(" ");
    const args = ["--cpu-prof", "--cpu-prof-dir", dir, "--import", "tsx", path.join(ROOT, "engine/cli/plan.ts"), "--stack", "prod", "--no-baseline", "--report", path.join(dir, "report.md")];
    const withCache = options.cached === true || options.edit === true;
    if (!withCache) args.push("--no-cache");
    // With the cache: a first run (same flags and environment: both are in its key) fills it; the second is the one profiled.
    if (withCache) {
      spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
      clear();
    }
    const original = options.edit ? readFileSync(EDITED_FILE) : undefined;
    const started = process.hrtime.bigint();
    const cpuBefore = childrenCpuSeconds();
    let r: SpawnSyncReturns<string>;
    try {
      if (original) writeFileSync(EDITED_FILE, oneEdit(original));
      r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
    } finally {
      if (original) writeFileSync(EDITED_FILE, original);
    }
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuAfter = childrenCpuSeconds();
    const cpu = cpuBefore !== undefined && cpuAfter !== undefined ? `, ${(cpuAfter - cpuBefore).toFixed(1)} s CPU (user + system, every thread)` : "";
    if (r.status !== 0) throw new Error(`the plan failed (exit ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join("\n")}`);
    // The main thread's profile is the busiest (tsx's loader thread writes one that is mostly idle).
    const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
    const sum = (buckets: readonly { readonly ms: number }[]): number => buckets.reduce((total, x) => total + x.ms, 0);
    const [buckets] = files.map((f) => bucketProfile(JSON.parse(readFileSync(path.join(dir, f), "utf8")) as CpuProfile)).sort((a, b) => sum(b) - sum(a));
    if (!buckets) throw new Error("the plan wrote no CPU profile");
    const total = sum(buckets);
    const mode = options.edit ? `after one edit of ${path.relative(ROOT, EDITED_FILE)} (evaluated, other caches warm)` : options.cached ? "plan cache used" : "evaluated (--no-cache)";
    console.log(`prod plan with report, ${mode}, under --cpu-prof: ${wall.toFixed(1)} s wall${cpu}, load average ${load}`);
    for (const line of r.stderr.split(/[\r\n]+/).filter((l) => / in [\d.]+ s/.test(l))) console.log(`  ${line.trim()}`);
    console.log(`main thread CPU by where it went (${(total / 1000).toFixed(2)} s sampled):`);
    for (const b of buckets) console.log(`  ${(b.ms / 1000).toFixed(2).padStart(6)} s  ${((100 * b.ms) / total).toFixed(0).padStart(3)} %  ${b.bucket}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    run({ cached: process.argv.includes("--cached"), edit: process.argv.includes("--edit") });
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
}
