/**
 * The pull-request report of one stack: what the plan creates (by component and by type), the policy
 * violations, the itemised cost estimate (idle month, cost per 1,000 orders), the difference against
 * the base branch's plan, and the architecture diagram. Markdown, for a sticky PR comment or
 * `$GITHUB_STEP_SUMMARY`.
 */
import type { Plan, PlannedResource } from "./plan-format";
import type { CostEstimate, CostLine } from "./cost/estimate";
import { renderDiagram } from "./diagram";

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
  /** The base branch's plan (`--base-plan`), for the resource diff. */
  readonly basePlan?: Plan;
  /** The base branch's estimate, for the cost diff. */
  readonly baseCost?: CostEstimate;
  /**
   * Configured values `pulumi up` refuses until they are set (placeholder hosts, lib/endpoints.ts).
   * @default none
   */
  readonly setBeforeUp?: readonly { readonly key: string; readonly value: string; readonly reserved: string; readonly source: string }[];
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
    const key = p ? `${p.type} ${p.name}` : "(top level)";
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
      v.map((x) => [x.enforcementLevel, `\`${x.policy}\``, `\`${x.type}\` ${x.name}`, x.message]),
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

/** Stable JSON (sorted keys) to compare inputs. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** URNs carry the stack name; compare plans of the same stack across branches by the rest. */
function key(r: PlannedResource): string {
  return r.urn.replace(/^urn:pulumi:[^:]+::/, "");
}

export interface PlanDiff {
  readonly added: readonly PlannedResource[];
  readonly removed: readonly PlannedResource[];
  readonly changed: readonly { readonly resource: PlannedResource; readonly properties: readonly string[] }[];
}

/** Resources added, removed, and changed (top-level input properties that differ) against the base plan. */
export function diffPlans(base: Plan, head: Plan): PlanDiff {
  const before = new Map(base.resources.map((r) => [key(r), r]));
  const after = new Map(head.resources.map((r) => [key(r), r]));
  const added = head.resources.filter((r) => !before.has(key(r)));
  const removed = base.resources.filter((r) => !after.has(key(r)));
  const changed: { resource: PlannedResource; properties: string[] }[] = [];
  for (const r of head.resources) {
    const b = before.get(key(r));
    if (!b) continue;
    const props = [...new Set([...Object.keys(b.inputs), ...Object.keys(r.inputs)])]
      .filter((p) => stable(b.inputs[p]) !== stable(r.inputs[p]))
      .sort();
    if (props.length > 0) changed.push({ resource: r, properties: props });
  }
  return { added, removed, changed };
}

const LIST_LIMIT = 40;

function listResources(title: string, items: readonly string[]): string[] {
  if (items.length === 0) return [];
  const shown = items.slice(0, LIST_LIMIT).map((s) => `  - ${s}`);
  if (items.length > LIST_LIMIT) shown.push(`  - … and ${items.length - LIST_LIMIT} more`);
  return [`- ${title} (${items.length}):`, ...shown];
}

function diffSection(input: ReportInput): string | undefined {
  if (!input.basePlan && !input.baseCost) return undefined;
  const out = ["## Against the base branch", ""];
  if (input.basePlan) {
    const d = diffPlans(input.basePlan, input.plan);
    if (d.added.length + d.removed.length + d.changed.length === 0) out.push("No resource changes.");
    else {
      out.push(
        ...listResources("➕ added", d.added.filter((r) => r.custom).map((r) => `\`${r.type}\` ${r.name}`)),
        ...listResources("➖ removed", d.removed.filter((r) => r.custom).map((r) => `\`${r.type}\` ${r.name}`)),
        ...listResources("✏️ changed", d.changed.filter((c) => c.resource.custom).map((c) => `\`${c.resource.type}\` ${c.resource.name}: ${c.properties.join(", ")}`)),
      );
    }
    out.push("");
  }
  if (input.baseCost) {
    const b = input.baseCost;
    const c = input.cost;
    out.push(
      table(
        ["", "Base", "This branch", "Change"],
        [
          ["Idle monthly", usd(b.idle.total), usd(c.idle.total), signedUsd(c.idle.total - b.idle.total)],
          [`At configured volume`, usd(b.atVolume.total), usd(c.atVolume.total), signedUsd(c.atVolume.total - b.atVolume.total)],
          ["Per 1,000 orders, marginal", usd(b.perThousandOrders.marginal), usd(c.perThousandOrders.marginal), signedUsd(c.perThousandOrders.marginal - b.perThousandOrders.marginal)],
        ],
      ),
    );
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
      .sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]));
    if (moved.length > 0) {
      out.push("", "Meters that moved (at configured volume):", "", table(["Meter", "Change"], moved.map(([m, d]) => [m, signedUsd(d)])));
    }
  }
  return out.join("\n");
}

/** The whole report as Markdown. */
export function renderReport(input: ReportInput): string {
  const { plan, cost } = input;
  const custom = plan.resources.filter((r) => r.custom).length;
  const components = plan.resources.filter(isComponent).length;
  const mandatory = input.policy?.violations.filter((v) => v.enforcementLevel === "mandatory").length;
  const policySummary =
    mandatory === undefined ? "policy not evaluated" : mandatory > 0 ? `❌ ${mandatory} mandatory policy violation(s)` : "✅ policy passes";
  const diff = diffSection(input);
  return [
    `# Plan: stack \`${plan.stack}\``,
    "",
    `${custom} cloud resources in ${components} components · idle **${usd(cost.idle.total)}/month** · ` +
      `**${usd(cost.perThousandOrders.marginal)}** per 1,000 orders (marginal) · ${policySummary}` +
      (input.setBeforeUp && input.setBeforeUp.length > 0 ? ` · ⚠️ ${input.setBeforeUp.length} placeholder value(s) to set before \`pulumi up\`` : ""),
    "",
    ...setBeforeUpSection(input.setBeforeUp),
    "## Resources",
    "",
    "<details><summary>By component and by type</summary>",
    "",
    table(["Component", "Cloud resources"], [...countByComponent(plan).entries()].map(([k, n]) => [`\`${k}\``, String(n)])),
    "",
    table(["Type", "Count"], [...countByType(plan).entries()].map(([k, n]) => [`\`${k}\``, String(n)])),
    "",
    "</details>",
    "",
    policySection(input.policy),
    "",
    costSection(cost),
    "",
    ...(diff ? [diff, ""] : []),
    "## Architecture",
    "",
    "```mermaid",
    renderDiagram(plan).trimEnd(),
    "```",
    "",
  ].join("\n");
}
