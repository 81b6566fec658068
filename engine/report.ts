/**
 * The pull-request report of one stack, in the CLI's words: first what changes against the baseline
 * (the base branch's plan) — updates, replacements with the property that forces them, deletions,
 * additions grouped by component, the security-relevant changes — and the cost delta; then policy,
 * the rules only the offline plan can judge, the itemised estimate, and the architecture diagram.
 * Markdown, for a sticky PR comment or `$GITHUB_STEP_SUMMARY`: nothing in it changes from one day
 * to the next unless the plan does, so an unchanged pull request gets an identical comment.
 */
import type { Plan, PlannedResource } from "./plan-format";
import { estimateCost, type CostEstimate, type CostLine } from "./cost/estimate";
import { DIAGRAM_LEGEND, renderDiagram } from "./diagram";
import { parseStackConfig } from "../lib/config";
import { previewPlans, resourceKey, stableJson, summaryLine, SYMBOL, TOP_LEVEL, type Preview, type ResourceStep } from "./preview";
import { showValue, shortType } from "./preview-format";
import { offlineOnlyRules, type FreshStackResult } from "./preview-fresh";

/** One policy violation, as `engine/policy-runner.ts` reports it (defined structurally on purpose). */
export interface PolicyViolation {
  readonly policy: string;
  readonly enforcementLevel: string;
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly message: string;
}

export interface PolicyReport {
  readonly violations: readonly PolicyViolation[];
}

export interface ReportInput {
  readonly plan: Plan;
  /** The policy runner's report; absent = policy was not evaluated. */
  readonly policy?: PolicyReport;
  readonly cost: CostEstimate;
  /** The baseline (`--base-plan` or the stack's saved plan); absent = a new stack, everything created. */
  readonly basePlan?: Plan;
  /** How the baseline is named in the report (a file); @default "the base plan" */
  readonly baselineName?: string;
  /** The baseline's estimate, for the cost delta. */
  readonly baseCost?: CostEstimate;
  /**
   * Configured values `pulumi up` refuses until they are set (placeholder hosts, lib/endpoints.ts).
   * @default none
   */
  readonly setBeforeUp?: readonly { readonly key: string; readonly value: string; readonly reserved: string; readonly source: string }[];
  /** The preview of plan against basePlan; computed when absent. */
  readonly preview?: Preview;
  /** The fresh-stack pass (`--dry-run` in a child process), for the rules only the offline plan judges. */
  readonly freshStack?: FreshStackResult;
}

export interface StackPrices {
  readonly cost: CostEstimate;
  readonly baseCost?: CostEstimate;
}

/** The plan (and baseline) priced with the stack's `costAssumptions` (raw config as in the stack file). */
export function priceStack(plan: Plan, basePlan: Plan | undefined, rawConfig: Readonly<Record<string, string>>): StackPrices {
  const assumptions = parseStackConfig(plan.stack, rawConfig).costAssumptions;
  return { cost: estimateCost(plan, assumptions), ...(basePlan ? { baseCost: estimateCost(basePlan, assumptions) } : {}) };
}

/** "Cost: idle $4.19/month (+$0.50), $0.25 per 1,000 orders (marginal, ±$0.00)" — the CLI's and the report's words. */
export function costLine(p: StackPrices): string {
  const delta = (now: number, before: number | undefined): string => (before === undefined ? "" : ` (${signedUsd(now - before)})`);
  return (
    `Cost: idle ${usd(p.cost.idle.total)}/month${delta(p.cost.idle.total, p.baseCost?.idle.total)}, ` +
    `${usd(p.cost.perThousandOrders.marginal)} per 1,000 orders (marginal${p.baseCost ? `, ${signedUsd(p.cost.perThousandOrders.marginal - p.baseCost.perThousandOrders.marginal)}` : ""})`
  );
}

/** Countdowns ("(in 148 days)") change every day without a change: the report states the date only. */
export function withoutCountdowns(message: string): string {
  return message.replace(/\s*\((?:in|within) \d+ (?:days?|hours?|weeks?|months?)\)/g, "");
}

/** The configured values `pulumi up` refuses, as a section; empty when there are none. */
function setBeforeUpSection(items: ReportInput["setBeforeUp"]): string[] {
  if (!items || items.length === 0) return [];
  return [
    "## Set before `pulumi up`",
    "",
    "`pulumi up` stops before creating anything while these configured URLs or e-mail addresses use host names reserved for documentation and testing (they never reach anyone):",
    "",
    table(["Key", "Value", "Reserved name"], items.map((i) => [`\`${i.key}\``, `\`${i.value}\``, `\`${i.reserved}\` (${i.source})`])),
    "",
  ];
}

/** Money: cents, or 4 decimals below a cent so small meters do not read as free. */
export function usd(n: number): string {
  const sign = n < 0 ? "-" : "";
  const a = Math.abs(n);
  if (a === 0) return "$0.00";
  return `${sign}$${a < 0.01 ? a.toFixed(4) : a.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function signedUsd(n: number): string {
  return Math.abs(n) < 0.00005 ? "±$0.00" : `${n > 0 ? "+" : ""}${usd(n)}`;
}

function num(n: number): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: n < 10 ? 4 : 2 });
}

function unitPrice(n: number): string {
  // Fixed notation (no 4e-7): up to 10 decimals, trailing zeros dropped.
  return `$${Number(n.toPrecision(4)).toFixed(10).replace(/0+$/, "").replace(/\.$/, "")}`;
}

/** A Markdown table cell: pipes escaped, one line. */
function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

const isComponent = (r: PlannedResource): boolean => !r.custom && r.type !== "pulumi:pulumi:Stack";

/** Cloud resources counted by their nearest enclosing component (`type name`), or "(top level)". */
export function countByComponent(plan: Plan): Map<string, number> {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const counts = new Map<string, number>();
  for (const r of plan.resources.filter((x) => x.custom)) {
    let p = r.parent ? byUrn.get(r.parent) : undefined;
    while (p && !isComponent(p)) p = p.parent ? byUrn.get(p.parent) : undefined;
    const key = p ? `${p.type} ${p.name}` : TOP_LEVEL;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return new Map([...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

function countByType(plan: Plan): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of plan.resources.filter((x) => x.custom)) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return new Map([...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

const ENFORCEMENT_ORDER = ["mandatory", "remediate", "advisory", "disabled"];

function policySection(policy: PolicyReport | undefined): string {
  if (!policy) return "## Policy\n\nPolicy was not evaluated for this report.";
  const v = [...policy.violations].sort(
    (a, b) =>
      (ENFORCEMENT_ORDER.indexOf(a.enforcementLevel) + 1 || 99) - (ENFORCEMENT_ORDER.indexOf(b.enforcementLevel) + 1 || 99) ||
      a.policy.localeCompare(b.policy) ||
      a.name.localeCompare(b.name),
  );
  if (v.length === 0) return "## Policy\n\n✅ No violations.";
  const mandatory = v.filter((x) => x.enforcementLevel === "mandatory").length;
  return [
    "## Policy",
    "",
    `${mandatory > 0 ? "❌" : "⚠️"} ${mandatory} mandatory, ${v.length - mandatory} other violation(s).`,
    "",
    table(
      ["Enforcement", "Policy", "Resource", "Message"],
      v.map((x) => [x.enforcementLevel, `\`${x.policy}\``, `\`${shortType(x.type)}\` ${x.name}`, withoutCountdowns(x.message)]),
    ),
  ].join("\n");
}

function costLines(lines: readonly CostLine[]): string {
  return table(
    ["Meter", "For", "Quantity", "Free", "Unit price", "Amount", "Note"],
    lines.map((l) => [
      `${l.description}${l.kind === "idle" ? " (idle)" : ""}`,
      l.item,
      `${num(l.quantity)} ${l.unit}`,
      l.free > 0 ? num(l.free) : "",
      `${unitPrice(l.unitPrice)} / ${l.unit}`,
      usd(l.amount),
      l.note,
    ]),
  );
}

function costSection(cost: CostEstimate): string {
  const a = cost.assumptions;
  return [
    "## Cost estimate",
    "",
    table(
      ["", "Monthly (USD)"],
      [
        ["**Idle** (no orders)", `**${usd(cost.idle.total)}**`],
        [`At ${num(cost.atVolume.orders)} orders/month`, usd(cost.atVolume.total)],
        ["Per 1,000 orders at that volume (after free grants, excl. idle)", usd(cost.perThousandOrders.atConfiguredVolume)],
        ["**Per 1,000 orders, marginal** (beyond free grants)", `**${usd(cost.perThousandOrders.marginal)}**`],
      ],
    ),
    "",
    "What keeps each app awake with no orders (billed while idle):",
    "",
    table(
      ["App", "Awake because"],
      (cost.awake ?? []).map((w) => [w.app, w.reasons.length > 0 ? w.reasons.join("; ") : "nothing: scales to zero"]),
    ),
    "",
    "<details><summary>Itemised idle month</summary>",
    "",
    costLines(cost.idle.lines),
    "",
    "</details>",
    "",
    `<details><summary>Itemised at ${num(cost.atVolume.orders)} orders/month</summary>`,
    "",
    costLines(cost.atVolume.lines),
    "",
    "Marginal cost of 1,000 orders (no free grants, no ingestion cap):",
    "",
    costLines(cost.perThousandOrders.marginalLines),
    "",
    `Assumptions (\`costAssumptions\`): ${num(a.gatewayCallsPerOrder)} gateway calls, ${num(a.executionsPerOrder)} executions of ${num(a.averageExecutionMs)} ms, ` +
      `${num(a.requestUnitsPerOrder)} RU, ${num(a.queueMessagesPerOrder)} queue messages, ${num(a.eventsPerOrder)} events and ` +
      `${num(a.telemetryKbPerExecution)} KB telemetry per execution per order; ${num(a.cosmosStorageGb)} GB in Cosmos DB; ` +
      `${num(a.baselineTelemetryGbPerMonth)} GB/month baseline telemetry; ${num(a.requestUnitsPerTimerRun ?? 0)} RU per timer run in an app that uses Cosmos DB.`,
    "",
    `Prices: ${cost.prices}.`,
    ...cost.notes.map((n) => `- ${n}`),
    "",
    "</details>",
  ].join("\n");
}

export interface PlanDiff {
  readonly added: readonly PlannedResource[];
  readonly removed: readonly PlannedResource[];
  readonly changed: readonly { readonly resource: PlannedResource; readonly properties: readonly string[] }[];
}

/** Resources added, removed, and changed (top-level input properties that differ) against the base plan. */
export function diffPlans(base: Plan, head: Plan): PlanDiff {
  const before = new Map(base.resources.map((r) => [resourceKey(r), r]));
  const after = new Map(head.resources.map((r) => [resourceKey(r), r]));
  const added = head.resources.filter((r) => !before.has(resourceKey(r)));
  const removed = base.resources.filter((r) => !after.has(resourceKey(r)));
  const changed: { resource: PlannedResource; properties: string[] }[] = [];
  for (const r of head.resources) {
    const b = before.get(resourceKey(r));
    if (!b) continue;
    const props = [...new Set([...Object.keys(b.inputs), ...Object.keys(r.inputs)])]
      .filter((p) => stableJson(b.inputs[p]) !== stableJson(r.inputs[p]))
      .sort();
    if (props.length > 0) changed.push({ resource: r, properties: props });
  }
  return { added, removed, changed };
}

/** A list that folds into <details> when long, so the comment stays readable. */
function foldable(summary: string, lines: readonly string[], fold = 12): string[] {
  if (lines.length <= fold) return lines.length ? [summary, "", ...lines] : [];
  return [`<details><summary>${summary}</summary>`, "", ...lines, "", "</details>"];
}

function changeRow(s: ResourceStep): string[] {
  const props = s.changes.map((c) => `${c.path}${c.replaces ? ` (forces replacement: ${c.replaces})` : ""}`);
  return [`${SYMBOL[s.op]} ${s.op}`, `\`${shortType(s.resource.type)}\``, s.resource.name, s.component, props.join(", ") + (s.note ? ` (${s.note})` : "")];
}

function valueRows(steps: readonly ResourceStep[]): string[] {
  const rows: string[] = [];
  for (const s of steps) {
    for (const c of s.changes) {
      const value = !("old" in c) ? `+ ${showValue(c.new, 120)}` : !("new" in c) ? `- ${showValue(c.old, 120)}` : `${showValue(c.old, 120)} → ${showValue(c.new, 120)}`;
      rows.push(`${s.resource.name}: ${c.path}: ${value}`);
    }
  }
  return rows;
}

const SECURITY_TITLES: Readonly<Record<string, string>> = {
  "role assignments": "🔑 Role assignments",
  "network exposure": "🌐 Network exposure",
  authentication: "🔐 Authentication",
  "gateway policy documents": "📜 Gateway policy documents",
};

function changesSection(input: ReportInput, preview: Preview): string {
  const out = ["## Changes", ""];
  out.push(input.basePlan ? `Against ${input.baselineName ? `\`${input.baselineName}\`` : "the base plan"}.` : "No baseline: the plan of a new stack, everything is created.", "");
  const custom = preview.steps.filter((s) => s.resource.custom);
  const changed = custom
    .filter((s) => s.op === "update" || s.op === "replace" || s.op === "delete")
    .sort((a, b) => a.component.localeCompare(b.component) || a.resource.name.localeCompare(b.resource.name));
  if (changed.length > 0) {
    out.push(table(["Plan", "Type", "Name", "Component", "Properties"], changed.map(changeRow)), "");
    const values = valueRows(changed.filter((s) => s.op !== "delete"));
    if (values.length > 0) out.push(...foldable("Old → new values (secrets masked)", ["```", ...values, "```"], 0), "");
  }
  const created = custom.filter((s) => s.op === "create");
  if (created.length > 0) {
    const groups = new Map<string, ResourceStep[]>();
    for (const s of created) groups.set(s.component, [...(groups.get(s.component) ?? []), s]);
    // Sorted, so the comment is the same text for the same plan whatever the registration order.
    const rows = [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([component, steps]) => {
      const types = new Map<string, number>();
      for (const s of steps) types.set(shortType(s.resource.type), (types.get(shortType(s.resource.type)) ?? 0) + 1);
      const list = [...types.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t, n]) => `${n} ${t}`);
      return [`\`${component}\``, `+ ${steps.length}`, list.join(", ")];
    });
    out.push(...foldable(`Added cloud resources, by component (${created.length})`, [table(["Component", "Created", "Types"], rows)], groups.size > 6 ? 0 : 12), "");
  }
  if (changed.length === 0 && created.length === 0) out.push("No resource changes.", "");
  out.push("### Security-relevant changes", "");
  if (preview.security.length === 0) out.push("None.");
  for (const [category, title] of Object.entries(SECURITY_TITLES)) {
    const items = preview.security.filter((c) => c.category === category).sort((a, b) => a.op.localeCompare(b.op) || a.summary.localeCompare(b.summary));
    if (items.length === 0) continue;
    const lines = items.map((c) => `- **${SYMBOL[c.op]} ${c.op}** ${c.summary}`);
    out.push(...foldable(`${title} (${items.length})`, lines), "");
  }
  return out.join("\n").trimEnd();
}

function costDeltaSection(input: ReportInput): string[] {
  if (!input.baseCost) return [];
  const b = input.baseCost;
  const c = input.cost;
  const out = [
    table(
      ["", "Baseline", "This plan", "Change"],
      [
        ["Idle monthly", usd(b.idle.total), usd(c.idle.total), signedUsd(c.idle.total - b.idle.total)],
        [`At configured volume`, usd(b.atVolume.total), usd(c.atVolume.total), signedUsd(c.atVolume.total - b.atVolume.total)],
        ["Per 1,000 orders, marginal", usd(b.perThousandOrders.marginal), usd(c.perThousandOrders.marginal), signedUsd(c.perThousandOrders.marginal - b.perThousandOrders.marginal)],
      ],
    ),
  ];
  const byMeter = (lines: readonly CostLine[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const l of lines) m.set(l.description, (m.get(l.description) ?? 0) + l.amount);
    return m;
  };
  const before = byMeter(b.atVolume.lines);
  const after = byMeter(c.atVolume.lines);
  const moved = [...new Set([...before.keys(), ...after.keys()])]
    .map((m) => [m, (after.get(m) ?? 0) - (before.get(m) ?? 0)] as const)
    .filter(([, d]) => Math.abs(d) >= 0.005)
    .sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]) || x[0].localeCompare(y[0]));
  if (moved.length > 0) out.push("", "Meters that moved (at configured volume):", "", table(["Meter", "Change"], moved.map(([m, d]) => [m, signedUsd(d)])));
  return out;
}

function freshStackSection(fresh: FreshStackResult | undefined, plan: Plan): string[] {
  if (!fresh) return [];
  const rules = offlineOnlyRules(fresh.policy);
  const planned = new Set(plan.resources.map(resourceKey));
  const registered = new Set(fresh.plan.resources.map(resourceKey));
  const same = planned.size === registered.size && [...planned].every((k) => registered.has(k));
  const out = [
    "### Rules only the offline plan can judge",
    "",
    `A new stack's first \`pulumi preview\` (and this pull request's real preview job) sees unknown values wherever a provider computes an output. ` +
      `Evaluated that way, the program registers ${fresh.plan.resources.length} resources (${same ? "the same as this plan" : `⚠️ this plan has ${plan.resources.length}`}) ` +
      `with ${fresh.policy.mandatory} mandatory violation(s).`,
    "",
  ];
  if (rules.length === 0) out.push("Every rule can run in that preview.");
  else {
    out.push(
      `${rules.length} rule(s) read a value that is unknown there; CrossGuard reports "can't run policy during preview" for them, so this offline plan is their gate:`,
      "",
      table(["Rule", "Resources it cannot judge in a real preview"], rules.map((r) => [`\`${r.policy}\``, r.resources.join(", ")])),
    );
  }
  return [...out, ""];
}

/** The whole report as Markdown. */
export async function renderReport(input: ReportInput): Promise<string> {
  const { plan, cost } = input;
  const preview = input.preview ?? (await previewPlans(input.basePlan, plan));
  const mandatory = input.policy?.violations.filter((v) => v.enforcementLevel === "mandatory").length;
  const policySummary =
    mandatory === undefined ? "policy not evaluated" : mandatory > 0 ? `❌ ${mandatory} mandatory policy violation(s)` : "✅ policy passes";
  const custom = plan.resources.filter((r) => r.custom).length;
  const components = plan.resources.filter(isComponent).length;
  return [
    `# Plan: stack \`${plan.stack}\``,
    "",
    `**${summaryLine(preview.counts)}**`,
    "",
    `${costLine({ cost, ...(input.baseCost ? { baseCost: input.baseCost } : {}) })} · ${policySummary}` +
      (input.setBeforeUp && input.setBeforeUp.length > 0 ? ` · ⚠️ ${input.setBeforeUp.length} placeholder value(s) to set before \`pulumi up\`` : ""),
    "",
    ...setBeforeUpSection(input.setBeforeUp),
    changesSection(input, preview),
    "",
    ...(input.baseCost ? ["## Cost change", "", ...costDeltaSection(input), ""] : []),
    policySection(input.policy),
    "",
    ...freshStackSection(input.freshStack, plan),
    costSection(cost),
    "",
    "## Resources",
    "",
    `<details><summary>${custom} cloud resources in ${components} components, by component and by type</summary>`,
    "",
    table(["Component", "Cloud resources"], [...countByComponent(plan).entries()].map(([k, n]) => [`\`${k}\``, String(n)])),
    "",
    table(["Type", "Count"], [...countByType(plan).entries()].map(([k, n]) => [`\`${k}\``, String(n)])),
    "",
    "</details>",
    "",
    "## Architecture",
    "",
    "```mermaid",
    renderDiagram(plan).trimEnd(),
    "```",
    "",
    DIAGRAM_LEGEND,
    "",
  ].join("\n");
}

