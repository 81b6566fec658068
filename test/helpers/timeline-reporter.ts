/**
 * A vitest reporter that prints when each test file was handed to a worker, when its first test
 * started and when it ended (seconds from the run's start), with vitest's own prepare and collect
 * durations, and the stretches where fewer files than workers were in hand:
 *
 *   npx vitest run --reporter=default --reporter=./test/helpers/timeline-reporter.ts
 *
 * A report that dates a file from its first test (vitest's JSON report does) shows its collection and
 * its beforeAll hooks as a time when the worker ran nothing; here that time is the "before" column,
 * and "in hand" says whether a worker truly had no file. Wall figures on a shared machine measure the
 * queue for a core: read them next to the load average.
 */
import { availableParallelism } from "node:os";
import * as path from "node:path";
import type { Reporter, TestModule } from "vitest/node";

interface Row {
  file: string;
  queued: number;
  firstTest?: number;
  end?: number;
  prepare?: number;
  collect?: number;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

export default class TimelineReporter implements Reporter {
  private started = Date.now();
  private readonly rows = new Map<string, Row>();

  onTestRunStart(): void {
    this.started = Date.now();
  }

  onTestModuleQueued(module: TestModule): void {
    this.rows.set(module.moduleId, { file: path.relative(process.cwd(), module.moduleId), queued: Date.now() - this.started });
  }

  onTestModuleEnd(module: TestModule): void {
    const row = this.rows.get(module.moduleId) ?? { file: path.relative(process.cwd(), module.moduleId), queued: Number.NaN };
    const starts = [...module.children.allTests()].map((t) => t.diagnostic()?.startTime).filter((t): t is number => t !== undefined);
    if (starts.length > 0) row.firstTest = Math.min(...starts) - this.started;
    row.end = Date.now() - this.started;
    const diagnostic = module.diagnostic();
    row.prepare = diagnostic.prepareDuration;
    row.collect = diagnostic.collectDuration;
    this.rows.set(module.moduleId, row);
  }

  onTestRunEnd(): void {
    const rows = [...this.rows.values()].sort((a, b) => a.queued - b.queued);
    const lines = ["queued  1st test  end     before  prepare collect  file"];
    for (const r of rows) {
      const before = r.firstTest === undefined ? "" : seconds(r.firstTest - r.queued);
      lines.push(
        [seconds(r.queued), r.firstTest === undefined ? "-" : seconds(r.firstTest), r.end === undefined ? "-" : seconds(r.end), before, seconds(r.prepare ?? 0), seconds(r.collect ?? 0)]
          .map((c) => c.padStart(7))
          .join(" ") + `  ${r.file}`,
      );
    }
    // Stretches longer than a second with fewer files in hand than workers.
    const workers = availableParallelism();
    const events = rows.flatMap((r) => [[r.queued, 1] as const, [r.end ?? r.queued, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let inHand = 0;
    let last = 0;
    const idle: string[] = [];
    for (const [at, change] of events) {
      if (inHand < workers && at - last > 1000) idle.push(`  ${seconds(last)} -> ${seconds(at)} s: ${inHand} file(s) in hand`);
      inHand += change;
      last = at;
    }
    lines.push(`stretches over 1 s with fewer than ${workers} files in hand:`, ...(idle.length > 0 ? idle : ["  none"]));
    process.stdout.write(`\n${lines.join("\n")}\n`);
  }
}
