/**
 * The record of the last whole-suite test run, `.build/test-timing.json`, that `npm run bench` reports
 * as the test figure of issue 17 (the bench does not run the suite: it takes longer than the bench's
 * whole budget). `--run` runs `npm test` itself and records its wall time, the CPU time of its
 * processes and the CPU time the host stole meanwhile (.ci/run and the pull-request workflow do this;
 * arguments after `--` go to vitest; the exit status is npm test's). Without it, the figures measured
 * elsewhere are recorded (`npm run test:times`):
 *
 *   npx tsx scripts/bench/test-timing.ts --run [--vitest .build/vitest.json] [-- <vitest arguments>]
 *   npx tsx scripts/bench/test-timing.ts --wall-seconds <s> [--vitest .build/vitest.json] [--cpu-seconds <s>] [--steal-seconds <s>]
 *
 * With --run, --vitest also has vitest write its JSON report there (the passed and failed counts).
 * Without --wall-seconds the wall time is the span of vitest's JSON report (its start to the last test
 * file's end), which leaves out vitest's own start-up: the record says which it is.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { childrenCpuSeconds, hostStealSeconds } from "./proc";

const ROOT = path.resolve(__dirname, "..", "..");

/** Where the record is kept (gitignored: .build/). */
export const TEST_TIMING_FILE = path.join(ROOT, ".build", "test-timing.json");

export interface TestTiming {
  readonly wallSeconds: number;
  /** How the wall time was taken: "measured around npm test" or "vitest JSON report span". */
  readonly wallSource: string;
  readonly cpuSeconds?: number;
  /**
   * CPU time the hypervisor ran other guests on this machine's cores while the suite ran (Linux
   * /proc/stat `steal`, all cores; `man 5 proc`). The suite keeps both cores busy, so stolen time
   * lengthens its wall time: the same commit took 143 s with 6 s stolen and 221 s with 65 s.
   */
  readonly stealSeconds?: number;
  readonly finishedAt: string;
  /** The commit tested and whether the working tree had changes (then the commit is not the whole story). */
  readonly commit: string;
  readonly dirty: boolean;
  readonly passed?: number;
  readonly failed?: number;
  readonly cores: number;
  readonly loadAverage: readonly number[];
  /** The arguments the run gave vitest (`--run -- …`): a run with any is not the whole suite. */
  readonly vitestArgs?: readonly string[];
}

interface VitestReport {
  readonly startTime?: number;
  readonly numPassedTests?: number;
  readonly numFailedTests?: number;
  readonly testResults?: readonly { readonly endTime?: number }[];
}

/** The commit checked out in `root` and whether its tree has uncommitted changes; "unknown" outside git. */
export function currentCommit(root: string = ROOT): { readonly commit: string; readonly dirty: boolean } {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return { commit, dirty: status.trim() !== "" };
  } catch {
    return { commit: "unknown", dirty: false };
  }
}

/** The record for a finished run; the wall time measured by the caller, else vitest's report span. */
export function testTiming(options: {
  readonly wallSeconds?: number;
  readonly cpuSeconds?: number;
  readonly stealSeconds?: number;
  readonly vitestReport?: VitestReport;
  readonly vitestArgs?: readonly string[];
  readonly now?: Date;
  readonly root?: string;
}): TestTiming {
  const report = options.vitestReport;
  let wallSeconds = options.wallSeconds;
  let wallSource = "measured around npm test";
  if (wallSeconds === undefined) {
    const ends = (report?.testResults ?? []).map((r) => r.endTime ?? 0);
    if (report?.startTime === undefined || ends.length === 0) throw new Error("no --wall-seconds and no vitest report with a start and test file end times");
    wallSeconds = (Math.max(...ends) - report.startTime) / 1000;
    wallSource = "vitest JSON report span (vitest start-up not included)";
  }
  if (!Number.isFinite(wallSeconds) || wallSeconds <= 0) throw new Error(`the wall time must be a positive number of seconds, got ${wallSeconds}`);
  const steal = options.stealSeconds;
  if (steal !== undefined && !(Number.isFinite(steal) && steal >= 0)) throw new Error(`--steal-seconds: expected a number of seconds (0 or more), found ${steal}`);
  return {
    wallSeconds,
    wallSource,
    ...(options.cpuSeconds !== undefined ? { cpuSeconds: options.cpuSeconds } : {}),
    ...(steal !== undefined ? { stealSeconds: steal } : {}),
    finishedAt: (options.now ?? new Date()).toISOString(),
    ...currentCommit(options.root),
    ...(report?.numPassedTests !== undefined ? { passed: report.numPassedTests } : {}),
    ...(report?.numFailedTests !== undefined ? { failed: report.numFailedTests } : {}),
    cores: availableParallelism(),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    ...(options.vitestArgs?.length ? { vitestArgs: options.vitestArgs } : {}),
  };
}

export function writeTestTiming(record: TestTiming, file: string = TEST_TIMING_FILE): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** The record, or undefined when there is none or it cannot be read. */
export function readTestTiming(file: string = TEST_TIMING_FILE): TestTiming | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, "utf8")) as Partial<TestTiming>;
    return typeof record.wallSeconds === "number" && typeof record.finishedAt === "string" && typeof record.commit === "string" ? (record as TestTiming) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bench's test figure: its line and verdict. MET or MISS only for a record of the whole suite
 * passing at the commit checked out now; UNKNOWN, saying why, when there is no record, it is of another
 * commit, of a run given vitest arguments (a part of the suite) or of a run with failed tests. Only a
 * MET or MISS figure carries its seconds (what the pull-request table and docs/BENCH.md show).
 */
export function testFigure(
  record: TestTiming | undefined,
  head: { readonly commit: string; readonly dirty: boolean },
  targetSeconds: number,
  now: Date = new Date(),
): { readonly line: string; readonly verdict: "MET" | "MISS" | "UNKNOWN"; readonly seconds?: number; readonly stealSeconds?: number } {
  const file = path.relative(ROOT, TEST_TIMING_FILE);
  const target = `target ≤ ${targetSeconds} s`;
  if (!record) return { line: `no record (${file} is written by .ci/run and \`npm run test:times\`): ${target}: UNKNOWN`, verdict: "UNKNOWN" };
  const ageHours = (now.getTime() - Date.parse(record.finishedAt)) / 3.6e6;
  const of = `${record.finishedAt} (${ageHours < 48 ? `${ageHours.toFixed(1)} h` : `${(ageHours / 24).toFixed(0)} days`} ago), commit ${record.commit.slice(0, 12)}${record.dirty ? " with uncommitted changes" : ""}`;
  const tests = record.passed !== undefined ? `, ${record.passed} passed, ${record.failed ?? 0} failed` : "";
  const figure = `${record.wallSeconds.toFixed(0)} s wall${record.cpuSeconds !== undefined ? ` (${record.cpuSeconds.toFixed(0)} s CPU)` : ""}${tests}, load ${record.loadAverage.map((l) => l.toFixed(2)).join(" ")}${record.stealSeconds !== undefined ? `, ${record.stealSeconds.toFixed(0)} s of CPU stolen by the host` : ""}`;
  const why =
    record.commit !== head.commit
      ? `stale: recorded for ${record.commit.slice(0, 12)}, checked out is ${head.commit.slice(0, 12)}`
      : record.vitestArgs?.length
        ? `not the whole suite: vitest was given ${record.vitestArgs.join(" ")}`
        : (record.failed ?? 0) > 0
          ? `${record.failed} test${record.failed === 1 ? "" : "s"} failed: not a passing suite`
          : undefined;
  const verdict = why !== undefined ? "UNKNOWN" : record.wallSeconds <= targetSeconds ? "MET" : "MISS";
  return {
    line: `${figure}; last run ${of}, read from ${file}, not measured in this run (${record.wallSource}): ${target}: ${verdict}${why ? ` (${why})` : ""}`,
    verdict,
    ...(why === undefined ? { seconds: record.wallSeconds, ...(record.stealSeconds !== undefined ? { stealSeconds: record.stealSeconds } : {}) } : {}),
  };
}

export const TEST_TIMING_USAGE =
  "usage: npx tsx scripts/bench/test-timing.ts --run [--vitest <report.json>] [-- <vitest arguments>]\n" +
  "       npx tsx scripts/bench/test-timing.ts [--wall-seconds <s>] [--cpu-seconds <s>] [--steal-seconds <s>] [--vitest <report.json>]";

/**
 * Runs `npm test` (its output on this terminal) and records it: wall time around it, the CPU time of
 * its processes (the children this process waited for), the host's stolen time, and with `reportFile`
 * vitest's JSON report (written there) for the counts. Returns npm test's exit status.
 */
export function runAndRecord(
  reportFile: string | undefined,
  vitestArgs: readonly string[],
  options: { readonly npm?: string; readonly recordFile?: string } = {},
): number {
  const npm = options.npm ?? "npm";
  const reporters = reportFile ? ["--reporter=default", "--reporter=json", `--outputFile.json=${reportFile}`] : [];
  // A report left by an earlier run would lend this one its counts.
  if (reportFile) rmSync(reportFile, { force: true });
  const cpuBefore = childrenCpuSeconds();
  const stealBefore = hostStealSeconds();
  const started = process.hrtime.bigint();
  const run = spawnSync(npm, ["test", "--", ...reporters, ...vitestArgs], { stdio: "inherit" });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = childrenCpuSeconds();
  const stealAfter = hostStealSeconds();
  const status = run.error ? 127 : (run.status ?? 1);
  if (run.error) console.error(`error: could not run ${npm} test: ${run.error.message}`);
  // The record serves the bench; whatever goes wrong writing it, the exit status stays npm test's.
  try {
    let vitestReport: VitestReport | undefined;
    try {
      vitestReport = reportFile && existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, "utf8")) as VitestReport) : undefined;
    } catch {
      vitestReport = undefined; // a report cut short (vitest killed): no counts
    }
    const record = testTiming({
      wallSeconds,
      ...(cpuBefore !== undefined && cpuAfter !== undefined ? { cpuSeconds: cpuAfter - cpuBefore } : {}),
      ...(stealBefore !== undefined && stealAfter !== undefined ? { stealSeconds: stealAfter - stealBefore } : {}),
      ...(vitestReport ? { vitestReport } : {}),
      ...(vitestArgs.length > 0 ? { vitestArgs } : {}),
    });
    writeTestTiming(record, options.recordFile);
    console.log(recordedLine(record, options.recordFile));
  } catch (e) {
    console.error(`warning: the test timing was not recorded: ${(e as Error).message}`);
  }
  return status;
}

function recordedLine(record: TestTiming, file: string = TEST_TIMING_FILE): string {
  const cpu = record.cpuSeconds !== undefined ? `, ${record.cpuSeconds.toFixed(1)} s CPU` : "";
  const steal = record.stealSeconds !== undefined ? `, ${record.stealSeconds.toFixed(1)} s stolen by the host` : "";
  return `test timing recorded in ${path.relative(process.cwd(), file)}: ${record.wallSeconds.toFixed(1)} s wall (${record.wallSource})${cpu}${steal}, commit ${record.commit.slice(0, 12)}${record.dirty ? " + changes" : ""}`;
}

function main(argv: readonly string[]): number {
  // After `--`: vitest's arguments (with --run).
  const dashes = argv.indexOf("--");
  const own = dashes >= 0 ? argv.slice(0, dashes) : argv;
  const vitestArgs = dashes >= 0 ? argv.slice(dashes + 1) : [];
  let values: { run?: boolean; "wall-seconds"?: string; "cpu-seconds"?: string; "steal-seconds"?: string; vitest?: string; help?: boolean };
  try {
    values = parseArgs({
      args: [...own],
      options: {
        run: { type: "boolean" },
        "wall-seconds": { type: "string" },
        "cpu-seconds": { type: "string" },
        "steal-seconds": { type: "string" },
        vitest: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
    if (values.run && (values["wall-seconds"] ?? values["cpu-seconds"] ?? values["steal-seconds"]) !== undefined) {
      throw new Error("--run measures the run itself: --wall-seconds, --cpu-seconds and --steal-seconds do not go with it");
    }
    if (!values.run && vitestArgs.length > 0) throw new Error(`arguments after -- go to vitest and need --run (found ${vitestArgs.join(" ")})`);
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n${TEST_TIMING_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(TEST_TIMING_USAGE);
    return 0;
  }
  if (values.run) return runAndRecord(values.vitest, vitestArgs);
  const seconds = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const reportFile = values.vitest;
  try {
    const vitestReport = reportFile && existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, "utf8")) as VitestReport) : undefined;
    const wall = seconds(values["wall-seconds"]);
    const cpu = seconds(values["cpu-seconds"]);
    // .ci/run passes an empty value where /proc/stat does not exist (not Linux): nothing is recorded then.
    const stealText = values["steal-seconds"];
    const steal = stealText ? seconds(stealText) : undefined;
    if (stealText && !Number.isFinite(steal)) throw new Error(`--steal-seconds: expected a number of seconds (0 or more), found "${stealText}"`);
    const record = testTiming({ ...(wall !== undefined ? { wallSeconds: wall } : {}), ...(cpu !== undefined ? { cpuSeconds: cpu } : {}), ...(steal !== undefined ? { stealSeconds: steal } : {}), ...(vitestReport ? { vitestReport } : {}) });
    writeTestTiming(record);
    console.log(recordedLine(record));
    return 0;
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n${TEST_TIMING_USAGE}`);
    return 2;
  }
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
