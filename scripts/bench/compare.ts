/**
 * The pull request's speed table: the figures `npm run bench` wrote for the base branch and for the pull
 * request (.build/bench/speed/figures.json), side by side, each with its target (issue 17) and the pull
 * request's MET or MISS. The pull-request workflow runs both benches on one runner, one after the other,
 * and posts this table as a sticky comment.
 *
 *   npx tsx scripts/bench/compare.ts --head <figures.json> [--base <figures.json>] [--out <file.md>]
 *
 * A base without figures (a branch older than the bench, or a bench that failed) leaves its column
 * empty and says why; a figure missing from either file is shown as "—", never guessed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { COLD_START_TARGETS } from "./cold-start";
import { SPEED_TARGETS } from "./speed";

export const COMPARE_USAGE = "usage: npx tsx scripts/bench/compare.ts --head <figures.json> [--base <figures.json>] [--out <file.md>]";

const planFigure = z.object({ wallS: z.number(), cpuS: z.number().optional() }).optional();

/** What this table reads of a figures file; older or newer files with more or fewer fields still parse. */
const figuresSchema = z.object({
  loadAverage: z.array(z.number()).optional(),
  loadAverageAtEnd: z.array(z.number()).optional(),
  requirePulumiS: z.number().optional(),
  // Every figures file the bench has written has these two: a file without them is not one.
  planWarm: z.object({ wallS: z.number(), cpuS: z.number().optional() }),
  planAfterEdit: planFigure,
  planFresh: planFigure,
  testS: z.number().optional(),
  /** CPU time the host gave other guests while `npm test` ran (test-timing.ts --run reads /proc/stat). */
  testStealS: z.number().optional(),
  coldStarts: z
    .array(
      z.object({
        service: z.string(),
        bareMs: z.number(),
        bundledLoadMs: z.number(),
        unbundledLoadMs: z.number().optional(),
        bundledInvokeMs: z.number().optional(),
        /** The files the bundled first invocation loaded, imported by a process that runs none of them (cold-start.ts). */
        bundledInvokeCodeMs: z.number().optional(),
        /** The Node.js every cold-start process ran on (bare node included). */
        node: z.string().optional(),
      }),
    )
    .optional(),
  benchS: z.number(),
  /** CPU time the host gave other guests while the bench ran (/proc/stat steal). */
  benchStealS: z.number().optional(),
});

export type BenchFigures = z.infer<typeof figuresSchema>;

/** Reads a figures file; throws one line naming the file and the first field that does not fit. */
export function readFigures(file: string): BenchFigures {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not a JSON figures file (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  return parseFigures(json, file);
}

/** Checks figures read from `source`; throws one line naming it and the first field that does not fit. */
export function parseFigures(json: unknown, source: string): BenchFigures {
  return parseOrExplain(figuresSchema, json, source);
}

/** `json` checked by `schema`; otherwise one line naming `source` and the first field that does not fit. */
function parseOrExplain<T>(schema: z.ZodType<T>, json: unknown, source: string): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${source}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return parsed.data;
}

interface Row {
  readonly figure: string;
  readonly target: string;
  readonly base?: number;
  readonly head?: number;
  /** How a value is shown: seconds, or a ratio ("2.41x"). */
  readonly unit: "s" | "x";
  /** True when the head's value meets the target. */
  readonly meets: (value: number) => boolean;
}

const atMost = (target: number) => (v: number) => v <= target;
const atLeast = (target: number) => (v: number) => v >= target;

function rows(base: BenchFigures | undefined, head: BenchFigures): Row[] {
  const s = SPEED_TARGETS;
  const t = COLD_START_TARGETS;
  const out: Row[] = [
    { figure: "prod plan + report, warm, no input changed", target: `≤ ${s.planWarmS} s`, base: base?.planWarm?.wallS, head: head.planWarm.wallS, unit: "s", meets: atMost(s.planWarmS) },
    { figure: "prod plan + report, warm, after one edit", target: `≤ ${s.planWarmS} s`, base: base?.planAfterEdit?.wallS, head: head.planAfterEdit?.wallS, unit: "s", meets: atMost(s.planWarmS) },
    { figure: "prod plan + report, fresh clone", target: `≤ ${s.planFreshS} s`, base: base?.planFresh?.wallS, head: head.planFresh?.wallS, unit: "s", meets: atMost(s.planFreshS) },
    { figure: "`npm test` wall", target: `≤ ${s.testS} s`, base: base?.testS, head: head.testS, unit: "s", meets: atMost(s.testS) },
  ];
  const services = [...new Set([...(head.coldStarts ?? []), ...(base?.coldStarts ?? [])].map((c) => c.service))].sort();
  for (const service of services) {
    const h = head.coldStarts?.find((c) => c.service === service);
    const b = base?.coldStarts?.find((c) => c.service === service);
    const ratio = (c: typeof h, of: (x: NonNullable<typeof h>) => number | undefined): number | undefined => (c ? of(c) : undefined);
    out.push(
      {
        figure: `${service}: load + register / bare node`,
        target: `≤ ${t.loadOverBare}x`,
        base: ratio(b, (c) => c.bundledLoadMs / c.bareMs),
        head: ratio(h, (c) => c.bundledLoadMs / c.bareMs),
        unit: "x",
        meets: atMost(t.loadOverBare),
      },
      {
        figure: `${service}: first invocation / bare node`,
        target: `≤ ${t.invocationOverBare}x`,
        base: ratio(b, (c) => (c.bundledInvokeMs === undefined ? undefined : c.bundledInvokeMs / c.bareMs)),
        head: ratio(h, (c) => (c.bundledInvokeMs === undefined ? undefined : c.bundledInvokeMs / c.bareMs)),
        unit: "x",
        meets: atMost(t.invocationOverBare),
      },
      {
        figure: `${service}: unbundled / bundled load`,
        target: `≥ ${t.unbundledOverBundled}x`,
        base: ratio(b, (c) => (c.unbundledLoadMs === undefined ? undefined : c.unbundledLoadMs / c.bundledLoadMs)),
        head: ratio(h, (c) => (c.unbundledLoadMs === undefined ? undefined : c.unbundledLoadMs / c.bundledLoadMs)),
        unit: "x",
        meets: atLeast(t.unbundledOverBundled),
      },
    );
  }
  out.push({ figure: "`npm run bench` run time", target: `≤ ${s.benchS} s`, base: base?.benchS, head: head.benchS, unit: "s", meets: atMost(s.benchS) });
  return out;
}

/**
 * Why a MISS of "unbundled / bundled load ≥ 4x" can be out of any bundle's reach: a bundle cannot load
 * in less than bare node's time, so the ratio is at most unbundled / bare. Lines for the services whose
 * ceiling is under the target (none when every ceiling allows it).
 */
export function bundlingCeilings(head: BenchFigures): string[] {
  const target = COLD_START_TARGETS.unbundledOverBundled;
  const capped = (head.coldStarts ?? []).filter((c) => c.unbundledLoadMs !== undefined && c.unbundledLoadMs / c.bareMs < target);
  if (capped.length === 0) return [];
  const list = capped.map((c) => `${c.service} ${(c.unbundledLoadMs! / c.bareMs).toFixed(2)}x`).join(", ");
  return [
    `Unbundled / bundled load cannot exceed unbundled / bare node (a bundle that cost nothing would still load in bare node's time): ${list}. ` +
      `Below ${target}x, the ${target}x target is out of any bundle's reach: the unbundled app itself already loads in under ${target}x bare node's time.`,
  ];
}

/**
 * Why a MISS of "first invocation ≤ 3x" can be out of reach of how the app runs its code: the invocation
 * cannot take less than loading the code it runs (measured: its files imported by a fresh process that
 * runs none of them). Lines for the services that miss the target and have that figure (none otherwise).
 */
export function invocationFloors(head: BenchFigures): string[] {
  const target = COLD_START_TARGETS.invocationOverBare;
  const missed = (head.coldStarts ?? []).filter((c) => c.bundledInvokeMs !== undefined && c.bundledInvokeMs / c.bareMs > target && c.bundledInvokeCodeMs !== undefined);
  if (missed.length === 0) return [];
  const floor = (c: (typeof missed)[number]): number => c.bundledInvokeCodeMs! / c.bareMs;
  const list = (cs: typeof missed): string => cs.map((c) => `${c.service} ${floor(c).toFixed(2)}x`).join(", ");
  const above = missed.filter((c) => floor(c) > target);
  const below = missed.filter((c) => floor(c) <= target);
  const lines = [
    `A first invocation cannot take less than loading the code it runs (the files it loaded, imported by a fresh process that runs none of them): ${list(missed)} bare node's time.`,
  ];
  if (above.length > 0) {
    lines[0] +=
      ` Above ${target}x (${above.map((c) => c.service).join(", ")}), no change to how that code runs can meet the ${target}x target: only loading less code can (lighter libraries, or chunks that hold only what the invocation needs).`;
  }
  if (below.length > 0) lines[0] += ` Under ${target}x (${below.map((c) => c.service).join(", ")}), running that code faster could still meet it.`;
  return lines;
}

/** The notes saying which MISSes are out of reach and why, each a paragraph of its own. */
const reachNotes = (f: BenchFigures): string[] => [...bundlingCeilings(f), ...invocationFloors(f)].flatMap((note) => ["", note]);

/** The Node.js versions a run's cold starts ran on, e.g. "v22.23.5"; "—" when not recorded. */
const coldStartNodes = (f: BenchFigures | undefined): string => [...new Set((f?.coldStarts ?? []).map((c) => c.node ?? "—"))].join(", ") || "—";

const stolenDuringTests = (f: BenchFigures | undefined, which: string): string => (f?.testStealS !== undefined ? ` ${which} ${f.testStealS.toFixed(1)} s;` : "");
const stolenDuringBench = (f: BenchFigures | undefined, which: string): string => (f?.benchStealS !== undefined ? ` ${which} ${f.benchStealS.toFixed(1)} s;` : "");

const show = (v: number | undefined, unit: "s" | "x"): string => (v === undefined ? "—" : unit === "s" ? `${v.toFixed(2)} s` : `${v.toFixed(2)}x`);
const load = (f: BenchFigures | undefined): string => (f?.loadAverage ? f.loadAverage.map((l) => l.toFixed(2)).join(" ") : "—");

/** The markdown table; `baseMissing` says why the base column is empty. */
export function compareFigures(base: BenchFigures | undefined, head: BenchFigures, options: { readonly baseMissing?: string } = {}): string {
  const lines = [
    "## Speed (issue 17 figures: `npm run bench`)",
    "",
    base
      ? "Base branch and this pull request, benched on the same runner one after the other; wall times move with the runner's load, the verdict is this pull request's."
      : `No figures for the base branch${options.baseMissing ? ` (${options.baseMissing})` : ""}: this pull request's figures only.`,
    "",
    "| figure | target | base | this PR | change | verdict |",
    "|---|---|---:|---:|---:|---|",
  ];
  for (const r of rows(base, head)) {
    const change = r.base !== undefined && r.head !== undefined && r.base > 0 ? `${(((r.head - r.base) / r.base) * 100).toFixed(0).replace(/^(?!-)/, "+")}%` : "—";
    const verdict = r.head === undefined ? "UNKNOWN" : r.meets(r.head) ? "MET" : "**MISS**";
    lines.push(`| ${r.figure} | ${r.target} | ${show(r.base, r.unit)} | ${show(r.head, r.unit)} | ${change} | ${verdict} |`);
  }
  lines.push(...reachNotes(head));
  lines.push("", `Cold starts ran on Node ${coldStartNodes(head)}${base ? ` (base: ${coldStartNodes(base)})` : ""}: bare node's start, the baseline of each ratio, differs between majors.`);
  const steal = stolenDuringTests(base, "base") + stolenDuringTests(head, "this PR");
  if (steal) lines.push("", `CPU time the host stole while \`npm test\` ran (it lengthens the wall time):${steal.replace(/;$/, ".")}`);
  const benchSteal = stolenDuringBench(base, "base") + stolenDuringBench(head, "this PR");
  if (benchSteal) lines.push("", `CPU time the host stole while each bench ran:${benchSteal.replace(/;$/, ".")}`);
  lines.push("", `Load average (1/5/15 min) at each bench's start: base ${load(base)}; this PR ${load(head)}.`);
  if (head.requirePulumiS !== undefined) lines.push(`\`node -e 'require("@pulumi/pulumi")'\` in this PR's run: ${head.requirePulumiS.toFixed(2)} s.`);
  return `${lines.join("\n")}\n`;
}

const recordSchema = z.object({
  recordedAt: z.string().datetime(),
  commit: z.string().regex(/^[0-9a-f]{40}$/, "expected a full 40-character git commit id"),
  node: z.string().regex(/^v\d+\.\d+\.\d+$/, "expected a Node.js version such as v20.20.2"),
  cores: z.number().int().positive(),
  figures: figuresSchema,
});

/** Where a run is recorded for the docs (`scripts/bench/record.ts`), and the page made from it. */
export type BenchRecord = z.infer<typeof recordSchema>;

/** Checks a recorded run read from `source` (its own fields and its figures); one line naming the first field that does not fit. */
export function parseRecord(json: unknown, source: string): BenchRecord {
  return parseOrExplain(recordSchema, json, source);
}

/** The docs' page of one recorded run: every figure with its target and verdict, and where it came from. */
export function recordPage(record: BenchRecord): string {
  const f = record.figures;
  const lines = [
    "# Speed figures (issue 17)",
    "",
    "<!-- Generated by `npx tsx scripts/bench/record.ts` from docs/bench/figures.json: do not edit; test/scripts/bench/record.test.ts fails when it drifts. -->",
    "",
    `One run of \`npm run bench\` recorded ${record.recordedAt.slice(0, 10)} at commit ${record.commit.slice(0, 12)}, Node ${record.node}, ${record.cores} cores, ` +
      `load average ${load(f)} at its start. Pull requests get the same table with the base branch's figures next to theirs (.github/workflows/pull-request.yml, job bench).`,
    "",
    "| figure | target | value | verdict |",
    "|---|---|---:|---|",
  ];
  for (const r of rows(undefined, f)) {
    lines.push(`| ${r.figure} | ${r.target} | ${show(r.head, r.unit)} | ${r.head === undefined ? "UNKNOWN" : r.meets(r.head) ? "MET" : "**MISS**"} |`);
  }
  lines.push(...reachNotes(f));
  lines.push("", `Cold starts ran on Node ${coldStartNodes(f)}: bare node's start, the baseline of each ratio, differs between majors.`);
  if (f.testStealS !== undefined) lines.push("", `CPU time the host stole while \`npm test\` ran (it lengthens the wall time): ${f.testStealS.toFixed(1)} s.`);
  if (f.benchStealS !== undefined) lines.push("", `CPU time the host stole while the bench ran: ${f.benchStealS.toFixed(1)} s.`);
  if (f.requirePulumiS !== undefined) lines.push("", `\`node -e 'require("@pulumi/pulumi")'\` in the same run: ${f.requirePulumiS.toFixed(2)} s.`);
  return `${lines.join("\n")}\n`;
}

/**
 * The table from the figures files: the head's must read; the base's may be missing or of a shape this
 * table cannot read (an older branch), and then the table says why and shows the head's only.
 */
export function compareFiles(headFile: string, baseFile: string | undefined): string {
  const head = readFigures(headFile);
  let baseMissing = !baseFile ? "no --base given" : !existsSync(baseFile) ? `${baseFile} does not exist: the base branch predates the bench or its bench failed` : undefined;
  let base: BenchFigures | undefined;
  if (baseMissing === undefined && baseFile) {
    try {
      base = readFigures(baseFile);
    } catch (e) {
      baseMissing = `unreadable: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return compareFigures(base, head, baseMissing ? { baseMissing } : {});
}

function main(argv: readonly string[]): number {
  let values: { head?: string; base?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { head: { type: "string" }, base: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}\n${COMPARE_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(COMPARE_USAGE);
    return 0;
  }
  if (!values.head) {
    console.error(`error: --head is required\n${COMPARE_USAGE}`);
    return 2;
  }
  try {
    const markdown = compareFiles(values.head, values.base);
    if (values.out) {
      mkdirSync(path.dirname(values.out), { recursive: true });
      writeFileSync(values.out, markdown);
    }
    process.stdout.write(markdown);
    return 0;
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
