/**
 * `npm run plan -- --stack <dev|prod> [--json <file>] [--report <file.md>] [--base-plan <file>]`:
 * evaluates the program offline and prints what `pulumi preview` would create (a tree by parent and
 * counts by type), then evaluates the policy pack on that plan. A mandatory violation makes the
 * command exit 1, after every requested file has been written.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../lib/config";
import { findReservedEndpoints } from "../../lib/endpoints";
import { estimateCost } from "../cost/estimate";
import { isInternalRunError } from "../../lib/stack";
import { didYouMean } from "../../lib/suggest";
import { describeFailure } from "../../lib/user-error";
import { planStack, countByType, readStackFiles } from "../plan";
import type { Plan, PlannedResource } from "../plan-format";
import { evaluatePolicies, formatPolicyTable, readPlanFile } from "../policy-runner";
import { renderReport } from "../report";

function usage(): string {
  return (
    "usage: npm run plan -- --stack <name> [--json <file>] [--report <file.md>] [--base-plan <plan.json>] [--quiet]\n" +
    "                      [--project-dir <dir>] [--program <file>]"
  );
}

/** The tree of resources by parent, as `pulumi preview` prints it. */
export function formatTree(plan: Plan): string {
  const children = new Map<string, PlannedResource[]>();
  const roots: PlannedResource[] = [];
  const urns = new Set(plan.resources.map((r) => r.urn));
  for (const r of plan.resources) {
    if (r.parent && urns.has(r.parent)) {
      const list = children.get(r.parent) ?? [];
      list.push(r);
      children.set(r.parent, list);
    } else roots.push(r);
  }
  const lines: string[] = [];
  const walk = (r: PlannedResource, indent: string, last: boolean, isRoot: boolean): void => {
    const branch = isRoot ? "" : last ? "└─ " : "├─ ";
    const physical = r.outputs.name && r.outputs.name !== r.name ? `  (${String(r.outputs.name)})` : "";
    lines.push(`${indent}${branch}${r.type}  ${r.name}${physical}`);
    const kids = children.get(r.urn) ?? [];
    const next = isRoot ? indent : indent + (last ? "   " : "│  ");
    kids.forEach((k, i) => walk(k, next, i === kids.length - 1, false));
  };
  roots.forEach((r) => walk(r, "", true, true));
  return lines.join("\n");
}

export function formatCounts(plan: Plan): string {
  const counts = countByType(plan);
  const width = Math.max(...[...counts.keys()].map((k) => k.length), 4);
  return [...counts.entries()].map(([t, n]) => `  ${t.padEnd(width)}  ${String(n).padStart(4)}`).join("\n");
}

interface CliOptions {
  stack?: string;
  json?: string;
  quiet?: boolean;
  "project-dir"?: string;
  program?: string;
  report?: string;
  "base-plan"?: string;
}

const OPTIONS = ["stack", "json", "quiet", "project-dir", "program", "report", "base-plan"] as const;

function parseCli(): CliOptions {
  return parseArgs({
    options: {
      stack: { type: "string", short: "s" },
      json: { type: "string" },
      quiet: { type: "boolean", default: false },
      "project-dir": { type: "string" },
      program: { type: "string" },
      report: { type: "string" },
      "base-plan": { type: "string" },
    },
    strict: true,
  }).values;
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli();
  } catch (e) {
    const option = /'(--?[^']+)'/.exec((e as Error).message)?.[1];
    const hint = option ? didYouMean(option.replace(/^-+/, ""), OPTIONS, (o) => `--${o}`) : "";
    console.error(`error: ${(e as Error).message}${hint}\n${usage()}`);
    return 2;
  }
  const args = parsed;
  if (!args.stack) {
    console.error(`error: --stack is required\n${usage()}`);
    return 2;
  }
  const projectDir = path.resolve(args["project-dir"] ?? process.cwd());
  // Read the base plan first: a bad file should fail before a 3-second plan, not after.
  const basePlan = args["base-plan"] ? readPlanFile(args["base-plan"]) : undefined;
  const started = process.hrtime.bigint();
  const plan = await planStack({
    stack: args.stack,
    projectDir,
    ...(args.program ? { program: path.resolve(args.program) } : {}),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const custom = plan.resources.filter((r) => r.custom).length;
  if (!args.quiet) {
    console.log(`Previewing stack "${plan.stack}" of project "${plan.project}" (offline, simulated azure-native provider)\n`);
    console.log(formatTree(plan));
    console.log(`\nResources by type:\n${formatCounts(plan)}`);
  }
  console.log(`\n${plan.resources.length} resources to create (${custom} cloud resources, ${plan.resources.length - custom} components) in ${seconds.toFixed(2)} s`);
  if (args.json) {
    mkdirSync(path.dirname(path.resolve(args.json)), { recursive: true });
    writeFileSync(args.json, JSON.stringify(plan, null, 2) + "\n");
    console.log(`plan written to ${args.json}`);
  }

  const policy = evaluatePolicies(plan, { stack: plan.stack });
  console.log(`\n${formatPolicyTable(policy)}`);

  if (args.report) {
    const config = parseStackConfig(plan.stack, readStackFiles(projectDir, plan.stack).config);
    const assumptions = config.costAssumptions;
    const cost = estimateCost(plan, assumptions);
    const baseCost = basePlan ? estimateCost(basePlan, assumptions) : undefined;
    const setBeforeUp = findReservedEndpoints(config);
    const markdown = renderReport({ plan, policy, cost, setBeforeUp, ...(basePlan ? { basePlan } : {}), ...(baseCost ? { baseCost } : {}) });
    mkdirSync(path.dirname(path.resolve(args.report)), { recursive: true });
    writeFileSync(args.report, markdown);
    console.log(`report written to ${args.report}`);
  }
  if (policy.mandatory > 0) {
    console.error(`\n${policy.mandatory} mandatory policy violation(s): fix them before \`pulumi up\`.`);
    return 1;
  }
  return 0;
}

/**
 * A user's mistake (a config key, a manifest field, a file at a line and column, a stack or plan file)
 * is printed alone and exits 2; anything else is a bug of ours: its stack, an invitation to report it,
 * exit 1.
 */
function reportFailure(e: unknown): { readonly code: number; readonly text: string } {
  if (pulumi.RunError.isInstance(e)) {
    const message = (e as Error).message;
    return isInternalRunError(e) ? { code: 1, text: message } : { code: 2, text: `error: ${message}` };
  }
  const named = e instanceof Error && ["PlanFileError", "PolicyConfigError"].includes(e.name);
  if (named) return { code: 2, text: `error: ${(e as Error).message}` };
  const failure = describeFailure(e);
  return { code: failure.userMistake ? 2 : 1, text: failure.text };
}

function report(e: unknown): number {
  const { code, text } = reportFailure(e);
  console.error(text);
  return code;
}

process.on("unhandledRejection", (e) => process.exit(report(e)));
main().then((code) => process.exit(code), (e) => process.exit(report(e)));
