/**
 * The preview in a terminal, in `pulumi preview`'s layout (a symbol, Type, Name, Plan, Info) and
 * words: by default one line per component plus each resource that is updated, replaced or deleted;
 * `--tree` for every resource under its parent; `--diff` for old → new values; then the
 * security-relevant changes and the summary line. Colour only when asked (a TTY without NO_COLOR),
 * lines fitted to the terminal's width when it has one.
 */
import type { Plan, PlannedResource } from "./plan-format";
import type { PolicyReport } from "./policy-runner";
import { SECRET_PLACEHOLDER } from "./plan-format";
import { SYMBOL, summaryLine, TOP_LEVEL, type Operation, type Preview, type PropertyChange, type ResourceStep, type SecurityChange } from "./preview";

export interface Style {
  readonly color: boolean;
  /** Columns to fit lines to; Infinity = never cut (CI logs). */
  readonly width: number;
}

/** Colour on a TTY only, and never with NO_COLOR set (https://no-color.org). */
export function terminalStyle(stream: { readonly isTTY?: boolean; readonly columns?: number } = process.stdout, env: NodeJS.ProcessEnv = process.env): Style {
  const tty = stream.isTTY === true;
  return { color: tty && !("NO_COLOR" in env && env.NO_COLOR !== ""), width: tty && stream.columns ? Math.max(60, stream.columns) : Infinity };
}

const CODES: Readonly<Record<string, readonly [number, number]>> = {
  green: [32, 39],
  yellow: [33, 39],
  magenta: [35, 39],
  red: [31, 39],
  dim: [2, 22],
  bold: [1, 22],
};

export function paint(style: Style, color: keyof typeof CODES, text: string): string {
  if (!style.color || text === "") return text;
  const [open, close] = CODES[color]!;
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

const OP_COLOR: Readonly<Record<Operation, keyof typeof CODES>> = { create: "green", update: "yellow", replace: "magenta", delete: "red", same: "dim" };

/** `text` cut to `width` characters with an ellipsis. */
export function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(1, width - 1))}…`;
}

/** `text` wrapped at spaces to `width`, continuation lines indented by `indent`. */
export function wrap(text: string, width: number, indent: string): string[] {
  if (!Number.isFinite(width) || text.length <= width) return [text];
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const room = width - (lines.length === 0 ? 0 : indent.length);
    if (line !== "" && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l));
}

/** `azure-native:web:WebApp` → `web:WebApp`; `<project>:web:FunctionApp` → `web:FunctionApp`. */
export function shortType(type: string, project?: string): string {
  if (type.startsWith("azure-native:")) return type.slice("azure-native:".length);
  if (project && type.startsWith(`${project}:`)) return type.slice(project.length + 1);
  return type;
}

/** A value as one line: strings quoted, long ones cut. */
export function showValue(v: unknown, max = 80): string {
  if (v === undefined) return "(unset)";
  if (v === SECRET_PLACEHOLDER) return "[secret]";
  const s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return fit(s, max);
}

function opWord(step: ResourceStep): string {
  return step.op === "same" ? "" : step.op;
}

/** Info column: the changed properties, the replacing ones marked. */
function info(step: ResourceStep): string {
  if (step.op !== "update" && step.op !== "replace") return "";
  const top = new Map<string, boolean>();
  for (const c of step.changes) {
    const k = c.path.split(/[.[]/)[0]!;
    top.set(k, (top.get(k) ?? false) || c.replaces !== undefined);
  }
  const parts = [...top.entries()].map(([k, r]) => (r ? `${k} (forces replacement)` : k));
  return `[diff: ${parts.join(", ")}]${step.note ? ` (${step.note})` : ""}`;
}

/** The old → new lines of one resource (`--diff`). */
export function diffLines(step: ResourceStep, style: Style, indent: string): string[] {
  const width = Number.isFinite(style.width) ? style.width - indent.length - 4 : 200;
  return step.changes.map((c: PropertyChange) => {
    const sym = !("old" in c) ? "+" : !("new" in c) ? "-" : "~";
    const values = !("old" in c) ? showValue(c.new, width) : !("new" in c) ? showValue(c.old, width) : `${showValue(c.old, width / 2)} → ${showValue(c.new, width / 2)}`;
    const why = c.replaces ? paint(style, "magenta", `  (forces replacement: ${c.replaces})`) : "";
    return `${indent}${paint(style, sym === "+" ? "green" : sym === "-" ? "red" : "yellow", sym)} ${c.path}: ${values}${why}`;
  });
}

interface Row {
  readonly op: Operation;
  readonly type: string;
  readonly name: string;
  readonly plan: string;
  readonly info: string;
  readonly details: readonly string[];
}

function table(rows: readonly Row[], style: Style): string[] {
  const typeWidth = Math.min(Math.max(4, ...rows.map((r) => r.type.length)), 60);
  const nameWidth = Math.min(Math.max(4, ...rows.map((r) => r.name.length)), 40);
  const lines = [paint(style, "bold", `     ${"Type".padEnd(typeWidth)}  ${"Name".padEnd(nameWidth)}  Plan`)];
  for (const r of rows) {
    const sym = SYMBOL[r.op].padEnd(2);
    const body = `${fit(r.type, typeWidth).padEnd(typeWidth)}  ${fit(r.name, nameWidth).padEnd(nameWidth)}  ${r.plan}${r.info ? `  ${r.info}` : ""}`;
    const line = ` ${sym}  ${Number.isFinite(style.width) ? fit(body, style.width - 5) : body}`;
    lines.push(paint(style, OP_COLOR[r.op], line.trimEnd()));
    lines.push(...r.details);
  }
  return lines;
}

/** Component → its steps, in plan order. */
function byComponent(preview: Preview): Map<string, ResourceStep[]> {
  const groups = new Map<string, ResourceStep[]>();
  for (const s of preview.steps) {
    if (!s.resource.custom) continue;
    const list = groups.get(s.component) ?? [];
    list.push(s);
    groups.set(s.component, list);
  }
  return groups;
}

/** "+ 19 to create" / "~ 1 to update, 18 unchanged" for a group of steps. */
export function countsPhrase(steps: readonly ResourceStep[]): string {
  const n = (op: Operation): number => steps.filter((s) => s.op === op).length;
  const parts = [
    n("create") ? `+ ${n("create")} to create` : "",
    n("update") ? `~ ${n("update")} to update` : "",
    n("replace") ? `+- ${n("replace")} to replace` : "",
    n("delete") ? `- ${n("delete")} to delete` : "",
    n("same") ? `${n("same")} unchanged` : "",
  ].filter(Boolean);
  return parts.join(", ");
}

/** The dominant operation of a group, for its symbol: replace > delete > update > create > same. */
function groupOp(steps: readonly ResourceStep[]): Operation {
  for (const op of ["replace", "delete", "update", "create"] as const) if (steps.some((s) => s.op === op)) return op;
  return "same";
}

/** The default view: a line per component, then each updated, replaced or deleted resource under it. */
export function formatSummary(preview: Preview, plan: Plan, style: Style, options: { readonly diff?: boolean } = {}): string {
  const rows: Row[] = [];
  let unchanged = 0;
  let unchangedResources = 0;
  for (const [component, steps] of byComponent(preview)) {
    const op = groupOp(steps);
    if (op === "same") {
      unchanged += 1;
      unchangedResources += steps.length;
      continue;
    }
    if (component === TOP_LEVEL) {
      // No component to summarise them: each changed resource directly under the stack is its own row.
      for (const s of steps.filter((x) => x.op !== "same")) {
        rows.push({ op: s.op, type: shortType(s.resource.type, plan.project), name: s.resource.name, plan: opWord(s), info: info(s), details: options.diff ? diffLines(s, style, "          ") : [] });
      }
      continue;
    }
    const [type, ...name] = component.split(" ");
    rows.push({ op, type: type ?? component, name: name.join(" "), plan: countsPhrase(steps), info: "", details: [] });
    for (const s of steps.filter((x) => x.op === "update" || x.op === "replace" || x.op === "delete")) {
      rows.push({
        op: s.op,
        type: `├─ ${shortType(s.resource.type, plan.project)}`,
        name: s.resource.name,
        plan: opWord(s),
        info: info(s),
        details: options.diff ? diffLines(s, style, "          ") : [],
      });
    }
  }
  const lines = rows.length > 0 ? table(rows, style) : ["     (no changes)"];
  if (unchanged > 0) lines.push(paint(style, "dim", `     ${unchanged} component${unchanged === 1 ? "" : "s"} unchanged (${unchangedResources} resources)`));
  return lines.join("\n");
}

/** `--tree`: every resource under its parent, as `pulumi preview --show-sames` prints it. */
export function formatTree(preview: Preview, style: Style, options: { readonly diff?: boolean } = {}): string {
  const steps = new Map(preview.steps.map((s) => [s.resource.urn, s]));
  const children = new Map<string, PlannedResource[]>();
  const roots: PlannedResource[] = [];
  const all = preview.steps.map((s) => s.resource);
  const urns = new Set(all.map((r) => r.urn));
  for (const r of all) {
    if (r.parent && urns.has(r.parent)) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    else roots.push(r);
  }
  const rows: Row[] = [];
  const walk = (r: PlannedResource, prefix: string, last: boolean, root: boolean): void => {
    const s = steps.get(r.urn)!;
    const branch = root ? "" : last ? "└─ " : "├─ ";
    rows.push({
      op: s.op,
      type: `${prefix}${branch}${r.type}`,
      name: r.name,
      plan: opWord(s),
      info: info(s),
      details: options.diff ? diffLines(s, style, `          ${prefix}   `) : [],
    });
    const kids = children.get(r.urn) ?? [];
    kids.forEach((k, i) => walk(k, root ? prefix : prefix + (last ? "   " : "│  "), i === kids.length - 1, false));
  };
  roots.forEach((r) => walk(r, "", true, true));
  // The tree keeps full type tokens: no column cut except the terminal's.
  const typeWidth = Math.max(...rows.map((r) => r.type.length));
  const nameWidth = Math.max(...rows.map((r) => r.name.length));
  const lines = [paint(style, "bold", `     ${"Type".padEnd(typeWidth)}  ${"Name".padEnd(nameWidth)}  Plan`)];
  for (const r of rows) {
    const body = `${r.type.padEnd(typeWidth)}  ${r.name.padEnd(nameWidth)}  ${r.plan}${r.info ? `  ${r.info}` : ""}`.trimEnd();
    lines.push(paint(style, OP_COLOR[r.op], ` ${SYMBOL[r.op].padEnd(2)}  ${Number.isFinite(style.width) ? fit(body, style.width - 5) : body}`.trimEnd()));
    lines.push(...r.details);
  }
  return lines.join("\n");
}

const CATEGORY_ORDER = ["role assignments", "network exposure", "authentication", "gateway policy documents"] as const;

/** The security-relevant changes, by category; `limit` items per category (the rest counted). */
export function formatSecurity(changes: readonly SecurityChange[], style: Style, limit = Infinity): string {
  if (changes.length === 0) return "Security-relevant changes: none";
  const lines = ["Security-relevant changes:"];
  for (const category of CATEGORY_ORDER) {
    const items = changes.filter((c) => c.category === category);
    if (items.length === 0) continue;
    lines.push(`  ${category} (${items.length}):`);
    for (const c of items.slice(0, limit)) {
      const line = `    ${SYMBOL[c.op].padEnd(2)} ${c.summary}`;
      lines.push(paint(style, OP_COLOR[c.op], Number.isFinite(style.width) ? fit(line, style.width) : line));
    }
    if (items.length > limit) lines.push(`    … and ${items.length - limit} more (all of them in --report)`);
  }
  return lines.join("\n");
}

export { summaryLine };

/**
 * The policy report for a terminal: one line per violation (level, policy, resource), the message
 * wrapped under it to the terminal's width; in CI (no width), the runner's table unchanged.
 */
export function formatPolicyForTerminal(report: PolicyReport, style: Style, table: (r: PolicyReport) => string): string {
  if (!Number.isFinite(style.width) || report.violations.length === 0) {
    const text = table(report);
    return style.color ? text.replace(/^mandatory\b/gm, (m) => paint(style, "red", m)) : text;
  }
  const header = table({ ...report, violations: [] }).split("\n")[0]!;
  const lines = wrap(header, style.width, "  ");
  lines.push("");
  for (const v of report.violations) {
    const level = v.enforcementLevel === "mandatory" ? paint(style, "red", "mandatory") : paint(style, "yellow", "advisory ");
    lines.push(`${level}  ${v.policy}  ${fit(`${shortType(v.type)} ${v.name}`, style.width - 24)}`);
    lines.push(...wrap(v.message, style.width - 4, "    ").map((l, i) => (i === 0 ? `    ${l}` : l)));
  }
  lines.push("", `${report.mandatory} mandatory, ${report.advisory} advisory`);
  return lines.join("\n");
}
