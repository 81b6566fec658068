import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readTestTiming, runAndRecord, testFigure, testTiming, writeTestTiming, type TestTiming } from "../../../scripts/bench/test-timing";

/** Issue 17's target for npm test (scripts/bench/speed.ts TARGET_S). */
const TARGET_S = 120;

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), "test-timing-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const head = { commit: "a".repeat(40), dirty: false };
const record = (over: Partial<TestTiming> = {}): TestTiming => ({
  wallSeconds: 100,
  wallSource: "measured around npm test",
  finishedAt: "2026-12-03T10:00:00.000Z",
  commit: head.commit,
  dirty: false,
  cores: 2,
  loadAverage: [1, 1, 1],
  ...over,
});
const now = new Date("2026-12-03T12:00:00.000Z");

describe("the test-suite record npm run bench reports (.build/test-timing.json)", () => {
  it("records the wall time measured around npm test, the commit and vitest's counts, and reads it back", () => {
    const file = path.join(temp(), "test-timing.json");
    const written = testTiming({ wallSeconds: 98.4, cpuSeconds: 170, vitestReport: { numPassedTests: 2287, numFailedTests: 0 }, now });
    writeTestTiming(written, file);
    const read = readTestTiming(file);
    expect(read).toMatchObject({ wallSeconds: 98.4, cpuSeconds: 170, wallSource: "measured around npm test", passed: 2287, failed: 0, finishedAt: now.toISOString() });
    expect(read?.commit).toMatch(/^([0-9a-f]{40}|unknown)$/);
  });

  it("without a measured wall time, takes the span of vitest's JSON report and says so", () => {
    const t = testTiming({ vitestReport: { startTime: 1_000_000, testResults: [{ endTime: 1_050_000 }, { endTime: 1_090_500 }] }, now });
    expect(t.wallSeconds).toBe(90.5);
    expect(t.wallSource).toMatch(/vitest JSON report span/);
    expect(() => testTiming({ now })).toThrow(/no --wall-seconds/);
    expect(() => testTiming({ wallSeconds: Number.NaN, now })).toThrow(/positive number/);
  });

  it("records the CPU time the host stole during the run, and refuses a value that is not seconds", () => {
    expect(testTiming({ wallSeconds: 140, stealSeconds: 21, now }).stealSeconds).toBe(21);
    expect(testTiming({ wallSeconds: 140, now })).not.toHaveProperty("stealSeconds");
    expect(() => testTiming({ wallSeconds: 140, stealSeconds: -1, now })).toThrow(/--steal-seconds: expected a number of seconds \(0 or more\), found -1/);
    expect(() => testTiming({ wallSeconds: 140, stealSeconds: Number.NaN, now })).toThrow(/--steal-seconds/);
  });

  it("reads nothing from a missing or malformed record", () => {
    const dir = temp();
    expect(readTestTiming(path.join(dir, "absent.json"))).toBeUndefined();
    writeFileSync(path.join(dir, "bad.json"), '{ "wallSeconds": "fast" }');
    expect(readTestTiming(path.join(dir, "bad.json"))).toBeUndefined();
  });
});

describe("the bench's test figure", () => {
  it("is MET or MISS against the target only for a record of the commit checked out", () => {
    expect(testFigure(record({ wallSeconds: TARGET_S }), head, TARGET_S, now).verdict).toBe("MET");
    const miss = testFigure(record({ wallSeconds: TARGET_S + 1 }), head, TARGET_S, now);
    expect(miss.verdict).toBe("MISS");
    expect(miss.line).toContain("2026-12-03T10:00:00.000Z (2.0 h ago)");
    expect(miss.line).toContain(`commit ${head.commit.slice(0, 12)}`);
    expect(miss.line).toContain("not measured in this run");
    expect(miss.line).not.toContain("stolen");
    expect(testFigure(record({ stealSeconds: 65.4 }), head, TARGET_S, now).line).toContain(", 65 s of CPU stolen by the host;");
    expect(testFigure(record({ stealSeconds: 65.4 }), head, TARGET_S, now).stealSeconds).toBe(65.4);
    expect(testFigure(record({}), head, TARGET_S, now)).not.toHaveProperty("stealSeconds");
  });

  it("is UNKNOWN, saying why, when the record is of another commit or there is none", () => {
    const stale = testFigure(record({ commit: "b".repeat(40), wallSeconds: 60 }), head, TARGET_S, now);
    expect(stale.verdict).toBe("UNKNOWN");
    expect(stale.line).toMatch(/stale: recorded for bbbbbbbbbbbb, checked out is aaaaaaaaaaaa/);
    const none = testFigure(undefined, head, TARGET_S, now);
    expect(none.verdict).toBe("UNKNOWN");
    expect(none.line).toMatch(/no record .*UNKNOWN/);
  });

  it("is UNKNOWN for a part of the suite or a suite with failures, and only a MET or MISS figure carries its seconds", () => {
    const partial = testFigure(record({ wallSeconds: 1, vitestArgs: ["test/zz/fail.test.ts"], passed: 0, failed: 1 }), head, TARGET_S, now);
    expect(partial).toMatchObject({ verdict: "UNKNOWN" });
    expect(partial.line).toMatch(/target ≤ 120 s: UNKNOWN \(not the whole suite: vitest was given test\/zz\/fail\.test\.ts\)$/);
    const failing = testFigure(record({ wallSeconds: 90, passed: 2600, failed: 2 }), head, TARGET_S, now);
    expect(failing.line).toMatch(/UNKNOWN \(2 tests failed: not a passing suite\)$/);
    for (const unknown of [partial, failing, testFigure(record({ commit: "b".repeat(40), stealSeconds: 3 }), head, TARGET_S, now)]) {
      expect(unknown).not.toHaveProperty("seconds");
      expect(unknown).not.toHaveProperty("stealSeconds");
    }
    expect(testFigure(record({ wallSeconds: 90, passed: 2600, failed: 0 }), head, TARGET_S, now)).toMatchObject({ verdict: "MET", seconds: 90 });
  });

  it("--run runs npm test with the reporters, records its wall, CPU and stolen time and vitest's counts, and exits with its status", () => {
    const dir = temp();
    const report = path.join(dir, "vitest.json");
    const recordFile = path.join(dir, "test-timing.json");
    const argsFile = path.join(dir, "args");
    // A stand-in for npm: keeps its arguments, burns a little CPU, writes the JSON report where it is asked to, exits 3.
    const npm = path.join(dir, "npm");
    writeFileSync(
      npm,
      `#!/bin/sh\nprintf '%s\\n' "$@" > ${JSON.stringify(argsFile)}\ni=0; while [ $i -lt 20000 ]; do i=$((i+1)); done\n` +
        `for a in "$@"; do case "$a" in --outputFile.json=*) echo '{"numPassedTests":7,"numFailedTests":1}' > "\${a#--outputFile.json=}";; esac; done\nexit 3\n`,
    );
    chmodSync(npm, 0o755);
    writeFileSync(report, '{"numPassedTests":999,"numFailedTests":0}'); // an earlier run's report: not this run's counts
    expect(runAndRecord(report, ["--project", "infra"], { npm, recordFile })).toBe(3);
    expect(readFileSync(argsFile, "utf8").trim().split("\n")).toEqual(["test", "--", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, "--project", "infra"]);
    const recorded = readTestTiming(recordFile)!;
    expect(recorded).toMatchObject({ wallSource: "measured around npm test", passed: 7, failed: 1, vitestArgs: ["--project", "infra"] });
    expect(recorded.wallSeconds).toBeGreaterThan(0);
    if (process.platform === "linux") {
      expect(recorded.cpuSeconds).toBeGreaterThanOrEqual(0);
      expect(recorded.stealSeconds).toBeGreaterThanOrEqual(0);
    }
    // Without a report file: no reporters added, no counts; a report that never appears gives none either.
    rmSync(report);
    expect(runAndRecord(undefined, [], { npm, recordFile })).toBe(3);
    expect(readFileSync(argsFile, "utf8").trim().split("\n")).toEqual(["test", "--"]);
    expect(readTestTiming(recordFile)).not.toHaveProperty("passed");
    expect(readTestTiming(recordFile)).not.toHaveProperty("vitestArgs");
    expect(existsSync(report)).toBe(false);
    // npm that cannot be started: 127, like a shell.
    expect(runAndRecord(undefined, [], { npm: path.join(dir, "no-such-npm"), recordFile })).toBe(127);
    // A record that cannot be written (its folder is a file) or a report cut short never changes the status.
    writeFileSync(path.join(dir, "blocker"), "");
    expect(runAndRecord(report, [], { npm, recordFile: path.join(dir, "blocker", "test-timing.json") })).toBe(3);
    const truncating = path.join(dir, "npm-truncating");
    writeFileSync(truncating, `#!/bin/sh\nfor a in "$@"; do case "$a" in --outputFile.json=*) printf '{"numPassed' > "\${a#--outputFile.json=}";; esac; done\nexit 0\n`);
    chmodSync(truncating, 0o755);
    expect(runAndRecord(report, [], { npm: truncating, recordFile })).toBe(0);
    expect(readTestTiming(recordFile)).not.toHaveProperty("passed");
  });
});
