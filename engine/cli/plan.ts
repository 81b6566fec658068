/**
 * `npm run plan -- --stack <name>`: evaluates the program offline and previews what `pulumi up` would
 * do against the stack's baseline (its last saved plan, `.plan/<stack>.baseline.json`, or
 * `--base-plan`), in `pulumi preview`'s words; then runs the policy pack on the plan. A mandatory
 * violation makes the command exit 1, after every requested file has been written. `--help` lists
 * the options.
 */
// First: it defers a module @pulumi/pulumi loads but the plan never uses (engine/lazy-modules.ts).
import "../lazy-modules";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { findReservedEndpoints } from "../../lib/endpoints";
import { didYouMean } from "../../lib/suggest";
import { describeFailure } from "../../components/core/user-error";
import { cachedPlan, type CachedPlan, type PlanCacheRequest } from "../plan-cache";
import { readStackFiles } from "../stack-files";
import type { Plan } from "../plan-format";
import { createProgress, type ProgressTarget } from "../preview-progress";
// Pulumi, the engine, the policy pack and the report load only once the arguments are parsed
// (./plan-engine.ts): --help and a mistyped option answer at once (test/scripts/help.test.ts).
import type * as PlanEngine from "./plan-engine";

let engine: typeof PlanEngine | undefined;
const loadEngine = async (): Promise<typeof PlanEngine> => (engine ??= await import("./plan-engine.js"));

export const PLAN_USAGE = `usage: npm run plan -- --stack <name> [options]

Previews what \`pulumi up\` would do to the stack, offline, then runs the policy pack on the plan.
The baseline is the stack's last saved plan, .plan/<stack>.baseline.json (gitignored): the first
plan of a stack is saved there; --save replaces it once you accept a plan (as \`pulumi up\` would).

  -s, --stack <name>       the stack (Pulumi.<name>.yaml)                               required
      --base-plan <file>   compare with this plan instead of the baseline (CI: the base branch's)
      --no-baseline        compare with nothing: the plan of a new stack, everything created
      --save               make this plan the stack's baseline (only when policy passes)
      --diff               show old → new values of each update and replacement (secrets masked)
      --tree               every resource under its parent (Type / Name / Plan), not the summary
      --dry-run            evaluate as the first \`pulumi preview\` of a new stack: outputs the
                           providers compute are unknown; policies that need them say so
      --json <file>        write the plan (the shape in engine/plan-format.ts)
      --report <file.md>   write the pull-request report (changes, cost, policy, diagram)
      --no-cache           evaluate the program even when no input changed since the last
                           plan (the evaluation is otherwise reused: engine/plan-cache.ts)
  -q, --quiet              only the summary line, the policy report and the files written
      --project-dir <dir>  the folder with Pulumi.yaml (default: the current directory); any
                           program built on the component package plans too, e.g.
                           examples/function-app-queue-cosmos (the cost estimate and --report
                           need this platform's project: its stack config prices the plan)
      --program <file>     the program (default: <project-dir>/index.ts)
  -h, --help               this help

Exit codes: 0 plan passes policy, 1 a mandatory policy violation, 2 a usage or input error.`;

function usage(): string {
  return "usage: npm run plan -- --stack <name> [--base-plan <file>] [--diff] [--tree] [--json <file>] [--report <file.md>] [--quiet] (--help for all)";
}

/** Where a stack's baseline is kept (gitignored: .plan/). */
export function baselineFile(projectDir: string, stack: string): string {
  return path.join(projectDir, ".plan", `${stack}.baseline.json`);
}

interface CliOptions {
  stack?: string;
  json?: string;
  quiet?: boolean;
  "project-dir"?: string;
  program?: string;
  report?: string;
  "base-plan"?: string;
  "no-baseline"?: boolean;
  save?: boolean;
  diff?: boolean;
  tree?: boolean;
  "dry-run"?: boolean;
  "no-cache"?: boolean;
  help?: boolean;
}

const OPTIONS = ["stack", "json", "quiet", "project-dir", "program", "report", "base-plan", "no-baseline", "save", "diff", "tree", "dry-run", "no-cache", "help"] as const;

function parseCli(argv: readonly string[]): CliOptions {
  return parseArgs({
    args: [...argv],
    options: {
      stack: { type: "string", short: "s" },
      json: { type: "string" },
      quiet: { type: "boolean", short: "q", default: false },
      "project-dir": { type: "string" },
      program: { type: "string" },
      report: { type: "string" },
      "base-plan": { type: "string" },
      "no-baseline": { type: "boolean", default: false },
      save: { type: "boolean", default: false },
      diff: { type: "boolean", default: false },
      tree: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      "no-cache": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  }).values;
}

const seconds = (since: bigint): string => `${(Number(process.hrtime.bigint() - since) / 1e9).toFixed(2)} s`;

/**
 * Where the command writes: the process's streams, or a test's buffers (so a test can run the command
 * in its own process; test/engine/plan-cli.test.ts keeps child-process runs for the exit contract).
 */
export interface PlanCliIo {
  readonly stdout: ProgressTarget & { readonly columns?: number };
  readonly stderr: ProgressTarget;
}

const processIo: PlanCliIo = { stdout: process.stdout, stderr: process.stderr };

async function main(argv: readonly string[], io: PlanCliIo): Promise<number> {
  const log = (text: string): void => void io.stdout.write(`${text}\n`);
  const logError = (text: string): void => void io.stderr.write(`${text}\n`);
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (e) {
    const option = /'(--?[^']+)'/.exec((e as Error).message)?.[1];
    const hint = option ? didYouMean(option.replace(/^-+/, ""), OPTIONS, (o) => `--${o}`) : "";
    logError(`error: ${(e as Error).message}${hint}\n${usage()}`);
    return 2;
  }
  const args = parsed;
  if (args.help) {
    log(PLAN_USAGE);
    return 0;
  }
  if (!args.stack) {
    logError(`error: --stack is required\n${usage()}`);
    return 2;
  }
  const dryRun = args["dry-run"] === true;
  if (args["base-plan"] && (args["no-baseline"] || dryRun)) {
    logError(`error: --base-plan cannot be combined with ${args["no-baseline"] ? "--no-baseline" : "--dry-run"}\n${usage()}`);
    return 2;
  }
  const projectDir = path.resolve(args["project-dir"] ?? process.cwd());
  // The project and stack files first: a misspelt stack or a broken stack file is answered before
  // Pulumi and the engine load (seconds), with the error the evaluation would give.
  readStackFiles(projectDir, args.stack);
  const {
    PROJECT, parseStackConfig, planStack, evaluatePolicies, formatPolicyTable, readPlanFile, previewPlans, summaryLine,
    formatPolicyForTerminal, formatSecurity, formatSummary, formatTree, paint, terminalStyle, freshStackPass, costLine, priceStack, renderReport,
  } = await loadEngine();
  const program = args.program ? path.resolve(args.program) : undefined;
  const savedBaseline = baselineFile(projectDir, args.stack);
  // A dry run is the preview of a stack that does not exist yet: nothing to compare with.
  const baselinePath = args["base-plan"] ?? (args["no-baseline"] || dryRun || !existsSync(savedBaseline) ? undefined : savedBaseline);
  // Read the baseline first: a bad file should fail before a plan, not after.
  const basePlan: Plan | undefined = baselinePath ? readPlanFile(baselinePath) : undefined;
  const style = terminalStyle(io.stdout);
  const progress = createProgress(io.stderr, { silent: args.quiet === true });

  // The evaluation is reused while none of its inputs changed (engine/plan-cache.ts), unless --no-cache.
  const useCache = args["no-cache"] !== true;
  const evaluate = async (request: PlanCacheRequest, run: () => Promise<Plan>): Promise<CachedPlan> =>
    useCache ? cachedPlan(request, run) : { plan: await run(), hit: false };
  const cacheNote = (result: CachedPlan): string =>
    result.hit ? " (reused: no input changed since it was evaluated)" : useCache && result.reason ? ` (evaluated: ${result.reason})` : "";

  const started = process.hrtime.bigint();
  progress.phase(dryRun ? "evaluating the program as a new stack's preview" : "evaluating the program");
  const request = { stack: args.stack, projectDir, ...(program ? { program } : {}), ...(dryRun ? { dryRun: true } : {}) };
  const evaluated = await evaluate(request, () => planStack({ ...request, onRegister: (n) => progress.tick(`${n} resources registered`) })).catch((e: unknown) => {
    // An error gets a line of its own, not the end of the progress line.
    progress.end();
    throw e;
  });
  const plan = evaluated.plan;
  progress.done(`program evaluated: ${plan.resources.length} resources registered in ${seconds(started)}${cacheNote(evaluated)}`);
  const preview = await previewPlans(basePlan, plan);
  progress.end();

  const relative = (f: string): string => path.relative(process.cwd(), path.resolve(f)) || f;
  if (!args.quiet) {
    const against = basePlan
      ? `against ${relative(baselinePath!)}`
      : dryRun
        ? "as the first preview of a new stack (unknown outputs)"
        : args["no-baseline"]
          ? "as a new stack (--no-baseline)"
          : `as a new stack: no baseline yet (${relative(savedBaseline)})`;
    log(`Previewing stack "${plan.stack}" of project "${plan.project}" ${against}; offline, simulated providers\n`);
    log(args.tree ? formatTree(preview, style, { diff: args.diff === true }) : formatSummary(preview, plan, style, { diff: args.diff === true }));
    log(`\n${formatSecurity(preview.security, style, basePlan ? Infinity : 8)}`);
  }
  log(`\n${paint(style, "bold", summaryLine(preview.counts))}`);
  if (args.json) {
    mkdirSync(path.dirname(path.resolve(args.json)), { recursive: true });
    writeFileSync(args.json, JSON.stringify(plan, null, 2) + "\n");
    log(`plan written to ${args.json}`);
  }

  const policyStarted = process.hrtime.bigint();
  progress.phase("running policies");
  const policy = evaluatePolicies(plan, { stack: plan.stack });
  progress.done(`policies run: ${policy.policies.length} policies on ${policy.resourcesEvaluated} resources in ${seconds(policyStarted)}`);
  progress.end();
  log(`\n${formatPolicyForTerminal(policy, style, formatPolicyTable)}`);

  // Another program built on the components (examples/): no costAssumptions to price it with.
  const priceable = plan.project === PROJECT;
  if (!priceable && args.report) {
    logError(`error: --report needs the ${PROJECT} project (its stack config prices the plan); project "${plan.project}" has none`);
    return 2;
  }
  if (!priceable && !args.quiet) log(`\nCost: not estimated (project "${plan.project}" has no ${PROJECT} costAssumptions)`);
  if (priceable && (!args.quiet || args.report)) {
    const pricingStarted = process.hrtime.bigint();
    progress.phase("pricing");
    const assumptions = readStackFiles(projectDir, plan.stack);
    const prices = priceStack(plan, basePlan, assumptions.config);
    progress.done(`priced in ${seconds(pricingStarted)}`);
    progress.end();
    if (!args.quiet) log(`\n${costLine(prices)}`);
    if (args.report) {
      progress.phase("previewing the stack as new (unknown outputs) for the report");
      const freshStarted = process.hrtime.bigint();
      const freshRequest = { stack: plan.stack, projectDir, ...(program ? { program } : {}) };
      const freshPlan = await evaluate({ ...freshRequest, dryRun: true }, () => planStack({ ...freshRequest, dryRun: true, reloadProgram: true }));
      const fresh = await freshStackPass({ ...freshRequest, plan: freshPlan.plan });
      progress.done(`fresh-stack preview: ${fresh.plan.resources.length} resources registered in ${seconds(freshStarted)}${cacheNote(freshPlan)}`);
      progress.end();
      const markdown = await renderReport({
        plan,
        preview,
        policy,
        ...prices,
        setBeforeUp: findReservedEndpoints(parseStackConfig(plan.stack, assumptions.config)),
        freshStack: fresh,
        ...(basePlan ? { basePlan, baselineName: relative(baselinePath!) } : {}),
      });
      mkdirSync(path.dirname(path.resolve(args.report)), { recursive: true });
      writeFileSync(args.report, markdown);
      log(`report written to ${args.report}`);
    }
  }
  if (policy.mandatory > 0) {
    logError(`\n${policy.mandatory} mandatory policy violation(s): fix them before \`pulumi up\`.`);
    return 1;
  }
  // The first plan of a stack becomes its baseline; later ones only with --save.
  if (!dryRun && !args["base-plan"] && !args["no-baseline"] && (args.save || !existsSync(savedBaseline))) {
    mkdirSync(path.dirname(savedBaseline), { recursive: true });
    writeFileSync(savedBaseline, JSON.stringify(plan, null, 2) + "\n");
    log(`\nbaseline saved to ${relative(savedBaseline)}: the next plan of "${plan.stack}" previews against it (--save replaces it)`);
  }
  return 0;
}

/**
 * A user's mistake (a config key, a manifest field, a file at a line and column, a stack or plan file)
 * is printed alone and exits 2; anything else is a bug of ours: its stack, an invitation to report it,
 * exit 1.
 */
function reportFailure(e: unknown): { readonly code: number; readonly text: string } {
  // A RunError comes from the program, which runs only after the engine is loaded.
  if (engine?.RunError.isInstance(e)) {
    const message = (e as Error).message;
    return engine.isInternalRunError(e) ? { code: 1, text: message } : { code: 2, text: `error: ${message}` };
  }
  const named = e instanceof Error && ["PlanFileError", "PolicyConfigError"].includes(e.name);
  if (named) return { code: 2, text: `error: ${(e as Error).message}` };
  const failure = describeFailure(e);
  return { code: failure.userMistake ? 2 : 1, text: failure.text };
}

function report(e: unknown, io: PlanCliIo): number {
  const { code, text } = reportFailure(e);
  io.stderr.write(`${text}\n`);
  return code;
}

/** `npm run plan -- <argv>`: its exit code, its output written to `io`. */
export async function runPlanCli(argv: readonly string[], io: PlanCliIo = processIo): Promise<number> {
  try {
    return await main(argv, io);
  } catch (e) {
    return report(e, io);
  }
}

if (typeof require !== "undefined" && require.main === module) {
  process.on("unhandledRejection", (e) => process.exit(report(e, processIo)));
  void runPlanCli(process.argv.slice(2)).then((code) => process.exit(code));
}
