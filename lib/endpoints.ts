/**
 * Configured URLs and e-mail addresses that can never be reached: host names reserved by the IETF
 * for documentation, testing and local use. A stack file that still holds a template's placeholder
 * (`payments.contoso.example`, `oncall@contoso.example`) would deploy a system that fails every
 * payment, poisons every notification and alerts nobody, so `pulumi up` stops before creating
 * anything while one is configured, naming each key; `pulumi preview` and the offline plan report
 * them (see {@link gateReservedEndpoints}).
 *
 * The check walks the whole validated config, so a key added later is covered without a change here.
 */
import type { StackConfig } from "./config";

/** A reserved name: the configured host is this name or one of its subdomains. */
interface ReservedName {
  readonly name: string;
  readonly source: string;
}

/** Names that never resolve to a reachable public service, with the document that reserves them. */
export const RESERVED_NAMES: readonly ReservedName[] = [
  { name: "example", source: "RFC 2606 §2, RFC 6761 §6.5" },
  { name: "example.com", source: "RFC 2606 §3, RFC 6761 §6.5" },
  { name: "example.net", source: "RFC 2606 §3, RFC 6761 §6.5" },
  { name: "example.org", source: "RFC 2606 §3, RFC 6761 §6.5" },
  { name: "test", source: "RFC 2606 §2, RFC 6761 §6.2" },
  { name: "invalid", source: "RFC 2606 §2, RFC 6761 §6.4" },
  { name: "localhost", source: "RFC 2606 §2, RFC 6761 §6.3" },
  { name: "local", source: "RFC 6762 (multicast DNS)" },
  { name: "home.arpa", source: "RFC 8375" },
  { name: "onion", source: "RFC 7686" },
  { name: "alt", source: "RFC 9476" },
];

/** The reserved name `host` falls under, if any (case-insensitive, trailing dot ignored). */
export function reservedNameOf(host: string): ReservedName | undefined {
  const h = host.toLowerCase().replace(/\.$/, "");
  if (/^127\.\d+\.\d+\.\d+$/.test(h) || h === "[::1]" || h === "::1" || h === "0.0.0.0") return { name: h, source: "loopback address (RFC 6761 §6.3, RFC 1122)" };
  return RESERVED_NAMES.find((r) => h === r.name || h.endsWith(`.${r.name}`));
}

/** One configured value that uses a reserved name. */
export interface ReservedEndpoint {
  /** The config key, e.g. `serverless-platform:monitoring.actionGroup.emails[0]`. */
  readonly key: string;
  readonly value: string;
  readonly host: string;
  readonly reserved: string;
  readonly source: string;
}

/**
 * Where a reserved name is the right value: the browser origin of a developer's machine is
 * `http://localhost:<port>` (prod already refuses http origins).
 */
const LOCAL_ORIGINS_ALLOWED = /^apiManagement\.corsOrigins\[\d+\]$/;

function hostOf(value: string): string | undefined {
  const email = /^[^\s@]+@([^\s@]+)$/.exec(value);
  if (email) return email[1];
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  try {
    return new URL(value).hostname;
  } catch {
    return undefined;
  }
}

/** Every URL or e-mail address in `config` whose host is reserved, in key order. */
export function findReservedEndpoints(config: StackConfig, namespace = "serverless-platform"): ReservedEndpoint[] {
  const found: ReservedEndpoint[] = [];
  const visit = (value: unknown, key: string): void => {
    if (typeof value === "string") {
      const host = hostOf(value);
      const reserved = host === undefined ? undefined : reservedNameOf(host);
      if (host === undefined || reserved === undefined) return;
      if (LOCAL_ORIGINS_ALLOWED.test(key) && (reserved.name === "localhost" || reserved.source.startsWith("loopback"))) return;
      found.push({ key: `${namespace}:${key}`, value, host, reserved: reserved.name, source: reserved.source });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${key}[${i}]`));
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) visit(v, key ? `${key}.${k}` : k);
    }
  };
  visit(config, "");
  return found;
}

/** The message naming every key, the reserved name and what to do. */
export function reservedEndpointsMessage(found: readonly ReservedEndpoint[], stack: string): string {
  return [
    `stack "${stack}" configures ${found.length} URL(s) or e-mail address(es) on reserved host names that never reach anyone; set real values before \`pulumi up\`:`,
    ...found.map((f) => `  - ${f.key}: "${f.value}" (${f.host} is under the reserved name "${f.reserved}", ${f.source})`),
    "Fix: pulumi config set --path '<key>' <real value> (e.g. pulumi config set --path 'monitoring.actionGroup.emails[0]' oncall@your-company.com).",
  ].join("\n");
}

/**
 * The gate the program runs before creating anything: during a preview (`pulumi preview`, the preview
 * phase of `pulumi up`, the offline plan) each reserved value is reported with `warn`; in the update
 * itself, `fail` is called with the full message, so nothing is created.
 */
export function gateReservedEndpoints(
  config: StackConfig,
  stack: string,
  phase: { readonly dryRun: boolean; readonly warn: (message: string) => void; readonly fail: (message: string) => never },
): readonly ReservedEndpoint[] {
  const found = findReservedEndpoints(config);
  if (found.length === 0) return found;
  if (!phase.dryRun) phase.fail(reservedEndpointsMessage(found, stack));
  for (const f of found) phase.warn(`${f.key}: "${f.value}" uses the reserved name "${f.reserved}" (${f.source}); \`pulumi up\` will stop until it is set to a real value`);
  return found;
}
