/**
 * Records one `npm run bench` run for the docs: copies its figures (.build/bench/speed/figures.json) with
 * the date, commit, Node version and core count into docs/bench/figures.json, and writes docs/BENCH.md
 * from it (scripts/bench/compare.ts, the same table pull requests get). `--page` writes the page again
 * from the recorded run; `--check` writes nothing and exits 1 when docs/BENCH.md is not its page.
 *
 *   npm run bench && npx tsx scripts/bench/record.ts
 *   npx tsx scripts/bench/record.ts --check
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parseRecord, readFigures, recordPage, type BenchRecord } from "./compare";

const ROOT = path.resolve(__dirname, "..", "..");
export const RECORD_FILE = path.join(ROOT, "docs", "bench", "figures.json");
export const RECORD_PAGE = path.join(ROOT, "docs", "BENCH.md");
const USAGE = "usage: npx tsx scripts/bench/record.ts [--figures <figures.json>] | --page | --check";

/** The recorded run: its date, commit, Node version and cores, and its figures by the schema the comparison reads. */
export function readRecord(file: string = RECORD_FILE): BenchRecord {
  return parseRecord(JSON.parse(readFileSync(file, "utf8")) as unknown, path.relative(ROOT, file));
}

/** True when docs/BENCH.md is the page of the recorded run. */
export function recordPageIsCurrent(): boolean {
  return readFileSync(RECORD_PAGE, "utf8") === recordPage(readRecord());
}

function main(argv: readonly string[]): number {
  let values: { figures?: string; check?: boolean; page?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { figures: { type: "string" }, check: { type: "boolean" }, page: { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.check) {
    if (recordPageIsCurrent()) return 0;
    console.error(`${path.relative(ROOT, RECORD_PAGE)} is not the page of ${path.relative(ROOT, RECORD_FILE)}: run \`npx tsx scripts/bench/record.ts --page\` (or record a new run)`);
    return 1;
  }
  if (values.page) {
    writeFileSync(RECORD_PAGE, recordPage(readRecord()));
    return 0;
  }
  const figures = readFigures(values.figures ?? path.join(ROOT, ".build", "bench", "speed", "figures.json"));
  const record: BenchRecord = {
    recordedAt: new Date().toISOString(),
    commit: execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim(),
    node: process.version,
    cores: availableParallelism(),
    figures,
  };
  mkdirSync(path.dirname(RECORD_FILE), { recursive: true });
  writeFileSync(RECORD_FILE, `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(RECORD_PAGE, recordPage(record));
  console.log(`recorded in ${path.relative(ROOT, RECORD_FILE)} and ${path.relative(ROOT, RECORD_PAGE)}`);
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
