/**
 * Bundle benchmark: for each service of functions-src (a folder with a `service.ts` manifest; the
 * test fixture `hello` when there is none yet), the deployment package's size and how long a fresh
 * `node` takes to load the app, bundled vs unbundled vs bare node. It prints figures and the targets
 * next to them; it asserts nothing.
 *
 *   npx tsx scripts/bench/bundle.ts [service...]      (BENCH_RUNS=15 by default)
 *
 * How it measures:
 * - bundled: `node <bundle>/index.js`, the zip's own entry (esbuild, minified ES module; the chunks it imports
 *   statically load with it, the others on first use).
 * - unbundled: the same entry compiled by esbuild with every npm package left external
 *   (`packages: "external"`), written under .build/ inside the project, so node loads each package
 *   file by file from node_modules as an unbundled deployment would. Compiling our own TypeScript
 *   ahead (rather than running it through tsx) keeps a TypeScript loader out of the measurement.
 * - bare: `node -e 0`, the floor.
 * Both app variants run with a recording stand-in for the host's `@azure/functions-core` (on
 * NODE_PATH), so the functions really register, and the number registered is printed as a check.
 * Wall time of each process from spawn to exit, variants interleaved round by round after a warm-up
 * round (file cache warm, as on a warm disk), median of the rounds.
 * - first invocation: the stand-in invokes one HTTP function right after load through the programming
 *   model (getInvocationModel → getArguments → invokeFunction → getResponse, as the worker does) and
 *   times it in-process. A health route is preferred: other handlers may call Azure, which is not here.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { buildUnbundled } from "./unbundled";
import { bundleService } from "../../components/function-app/bundle";
import { FUNCTIONS_ROOT, loadManifest, serviceFolders } from "../../composition/services";

const ROOT = path.resolve(__dirname, "..", "..");
const WORK = path.join(ROOT, ".build", "bench", "bundle");
const FAKE_CORE_SOURCE = path.join(ROOT, "test", "components", "function-app", "fake-functions-core.cjs");
const FIXTURE = { name: "hello", directory: path.join(ROOT, "test", "fixtures", "services", "hello"), entry: "src/index.ts" };

const TARGETS = { zipBytes: 1024 * 1024, speedup: 4, overBare: 2 } as const;

interface Service {
  readonly name: string;
  readonly directory: string;
  readonly entry: string;
}

interface CoreReport {
  readonly functions: readonly { readonly name: string; readonly bindings: Record<string, { readonly type: string; readonly route?: string }> }[];
  readonly invocation: { readonly durationMs?: number; readonly status?: number; readonly error?: string } | null;
}

interface Measured {
  readonly service: string;
  readonly zipBytes: number;
  readonly bundleBytes: number;
  readonly bundledMs: number;
  readonly unbundledMs: number;
  readonly bareMs: number;
  readonly registered: { readonly bundled: number; readonly unbundled: number };
  readonly firstInvocation: string;
}

/** Runs the benchmark for `services` (all service folders, or the fixture, when empty). */
export async function run(services: readonly string[] = []): Promise<void> {
  const runs = Math.max(3, Number(process.env.BENCH_RUNS ?? 15));
  const fakeNodePath = installFakeCore();
  const targets = pickServices(services);
  console.log(`bundle benchmark: ${targets.map((s) => s.name).join(", ")}; ${runs} runs each, node ${process.version}\n`);

  const results: Measured[] = [];
  for (const service of targets) {
    try {
      results.push(measure(service, runs, fakeNodePath));
    } catch (error) {
      console.log(`${service.name}: skipped: ${(error as Error).message.split("\n").slice(0, 4).join(" | ")}`);
    }
  }
  printTable(results);
}

function pickServices(requested: readonly string[]): Service[] {
  const available = existsSync(FUNCTIONS_ROOT) ? serviceFolders() : [];
  const names = requested.length > 0 ? requested : available;
  const services: Service[] = [];
  for (const name of names) {
    if (name === FIXTURE.name && !available.includes(name)) {
      services.push(FIXTURE);
      continue;
    }
    const directory = path.join(FUNCTIONS_ROOT, name);
    try {
      const manifest = loadManifest(directory);
      services.push({ name: manifest.name, directory, entry: manifest.entry });
    } catch (error) {
      console.log(`${name}: no usable manifest (${(error as Error).message.split("\n")[0]}); skipped`);
    }
  }
  if (services.length === 0) {
    console.log("no service with a manifest in functions-src yet: measuring the test fixture 'hello'");
    services.push(FIXTURE);
  }
  return services;
}

function installFakeCore(): string {
  const nodePath = path.join(WORK, "fake-core", "node_modules");
  const target = path.join(nodePath, "@azure", "functions-core");
  mkdirSync(target, { recursive: true });
  copyFileSync(FAKE_CORE_SOURCE, path.join(target, "index.js"));
  return nodePath;
}

function measure(service: Service, runs: number, fakeNodePath: string): Measured {
  const bundle = bundleService({ name: service.name, directory: service.directory, entry: service.entry, outRoot: path.join(WORK, "bundled") });
  const bundled = path.join(bundle.appDirectory, "index.js");
  const unbundled = unbundledEntry(service);

  const reportFile = path.join(WORK, `${service.name}-report.json`);
  const env = { PATH: process.env.PATH ?? "", NODE_PATH: fakeNodePath };
  const variants = {
    bare: ["-e", "0"],
    bundled: [bundled],
    unbundled: [unbundled],
  } as const;
  const times: Record<keyof typeof variants, number[]> = { bare: [], bundled: [], unbundled: [] };

  // Registration check (and warm-up of the file cache): both variants must do the same work.
  const registered = {
    bundled: registeredCount(bundled, env, reportFile),
    unbundled: registeredCount(unbundled, env, reportFile),
  };
  spawnSync(process.execPath, variants.bare, { env });

  for (let round = 0; round < runs; round++) {
    for (const [variant, args] of Object.entries(variants) as [keyof typeof variants, readonly string[]][]) {
      const started = process.hrtime.bigint();
      const result = spawnSync(process.execPath, args, { env, cwd: WORK, stdio: "ignore" });
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (result.status !== 0) throw new Error(`${variant} run exited with ${result.status}`);
      times[variant].push(elapsed);
    }
  }

  return {
    service: service.name,
    zipBytes: bundle.sizeBytes,
    bundleBytes: bundle.files.find((f) => f.name === "index.js")?.sizeBytes ?? 0,
    bundledMs: median(times.bundled),
    unbundledMs: median(times.unbundled),
    bareMs: median(times.bare),
    registered,
    firstInvocation: firstInvocation(bundled, env, reportFile, Math.min(runs, 7)),
  };
}

/** The entry with our code compiled in and every npm package external (loaded from node_modules). */
function unbundledEntry(service: Service): string {
  return buildUnbundled(path.join(WORK, "unbundled", service.name, "index.cjs"), service.directory, service.entry);
}

function registeredCount(file: string, env: Record<string, string>, reportFile: string): number {
  rmSync(reportFile, { force: true });
  const result = spawnSync(process.execPath, [file], { env: { ...env, FAKE_FUNCTIONS_CORE_REPORT: reportFile }, cwd: WORK, encoding: "utf8", timeout: 30_000 });
  if (result.status !== 0) throw new Error(`${path.relative(ROOT, file)} failed to load: ${result.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  return readReport(reportFile)?.functions.length ?? 0;
}

function firstInvocation(file: string, env: Record<string, string>, reportFile: string, runs: number): string {
  rmSync(reportFile, { force: true });
  spawnSync(process.execPath, [file], { env: { ...env, FAKE_FUNCTIONS_CORE_REPORT: reportFile }, cwd: WORK, timeout: 30_000 });
  const functions = readReport(reportFile)?.functions ?? [];
  const http = functions.filter((f) => Object.values(f.bindings).some((b) => b.type === "httpTrigger"));
  const target = http.find((f) => /health|ping|hello/i.test(f.name + JSON.stringify(f.bindings))) ?? http[0];
  if (!target) return "n/a (no HTTP function)";
  const durations: number[] = [];
  let problem = "";
  for (let i = 0; i < runs; i++) {
    rmSync(reportFile, { force: true });
    spawnSync(process.execPath, [file], {
      env: { ...env, FAKE_FUNCTIONS_CORE_REPORT: reportFile, FAKE_FUNCTIONS_CORE_INVOKE: target.name },
      cwd: WORK,
      timeout: 15_000,
    });
    const invocation = readReport(reportFile)?.invocation;
    if (invocation?.durationMs !== undefined) durations.push(invocation.durationMs);
    else problem = invocation?.error?.split("\n")[0] ?? "no result (timed out?)";
  }
  return durations.length > 0 ? `${fmtMs(median(durations))} (${target.name})` : `n/a (${target.name}: ${problem})`;
}

function readReport(file: string): CoreReport | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as CoreReport;
  } catch {
    return undefined;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function fmtMs(ms: number): string {
  return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

function fmtBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

function printTable(results: readonly Measured[]): void {
  if (results.length === 0) return;
  const rows = results.map((r) => {
    const speedup = r.unbundledMs / r.bundledMs;
    const overBare = r.bundledMs / r.bareMs;
    return [
      r.service,
      `${fmtBytes(r.zipBytes)} ${r.zipBytes <= TARGETS.zipBytes ? "ok" : "OVER"}`,
      fmtBytes(r.bundleBytes),
      fmtMs(r.bundledMs),
      fmtMs(r.unbundledMs),
      fmtMs(r.bareMs),
      `${speedup.toFixed(1)}x ${speedup >= TARGETS.speedup ? "ok" : "MISS"} (${((r.unbundledMs - r.bareMs) / Math.max(1, r.bundledMs - r.bareMs)).toFixed(1)}x w/o boot)`,
      `${overBare.toFixed(2)}x ${overBare <= TARGETS.overBare ? "ok" : "MISS"}`,
      `${r.registered.bundled}/${r.registered.unbundled}`,
      r.firstInvocation,
    ];
  });
  const header = ["service", "zip (≤ 1 MB)", "index.js", "bundled", "unbundled", "bare node", "unbundled/bundled (≥ 4x)", "bundled/bare (≤ 2x)", "registered b/u", "first HTTP invocation"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) console.log(line(row));
  console.log("\nload times: median wall time of a fresh `node` process (spawn to exit); \"w/o boot\" subtracts bare node from both.");
  console.log("targets: zip ≤ 1 MB; bundled ≥ 4x faster than unbundled; bundled within 2x of bare node.");
  const outFile = path.join(WORK, "results.json");
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`figures also in ${path.relative(ROOT, outFile)}`);
}

if (require.main === module) {
  run(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
