/** Step 5: the report as text. */
import type { PolicyReport } from "./types";

/** `azure-native:web:WebApp` → `web:WebApp`. */
function shortType(type: string): string {
  return type.startsWith("azure-native:") ? type.slice("azure-native:".length) : type;
}

/** The report as a plain-text table, one violation per line, with a summary. */
export function formatPolicyTable(report: PolicyReport): string {
  const header = `Policy report for stack "${report.stack}" of project "${report.project}": ${report.policies.length} policies on ${report.resourcesEvaluated} resources (config: ${report.configSource})`;
  if (report.violations.length === 0) return `${header}\n\nNo policy violations.`;
  const rows = report.violations.map((v) => [v.enforcementLevel, v.policy, `${shortType(v.type)} ${v.name}`, v.message]);
  const titles = ["LEVEL", "POLICY", "RESOURCE", "MESSAGE"];
  const widths = [0, 1, 2].map((i) => Math.max(titles[i]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join("  ").trimEnd();
  const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  const resources = new Set(report.violations.map((v) => v.urn)).size;
  const policies = new Set(report.violations.map((v) => v.policy)).size;
  const summary =
    `${report.mandatory} mandatory, ${count(report.advisory, "advisory violation", "advisory violations")} ` +
    `(${count(resources, "resource", "resources")}, ${count(policies, "policy", "policies")})`;
  return [header, "", line(titles), line(widths.map((w) => "-".repeat(w)).concat("-".repeat(7))), ...rows.map(line), "", summary].join("\n");
}
