/**
 * Physical Azure names: one helper that knows each resource type's length and charset rules, and
 * appends a deterministic suffix where the name must be globally unique (DNS names).
 *
 * Renaming a physical name replaces the resource: the suffix depends only on (prefix, environment,
 * logical name), never on anything that changes between deployments.
 */
import { createHash } from "node:crypto";

export interface NameRule {
  readonly min: number;
  readonly max: number;
  /** Characters allowed, as a regex character class body. */
  readonly charset: string;
  /** Lower-case everything (DNS-based names). */
  readonly lowercase: boolean;
  /** Whether hyphens may separate the parts. */
  readonly hyphens: boolean;
  /** Whether the name is part of a global DNS name (needs the uniqueness suffix). */
  readonly globallyUnique: boolean;
  /** Extra checks on the final name; returns a reason when it is invalid. */
  readonly check?: (name: string) => string | undefined;
  /** The Azure documentation's words, for error messages. */
  readonly describe: string;
}

const startsWithLetter = (n: string): string | undefined => (/^[a-zA-Z]/.test(n) ? undefined : "must start with a letter");
const noEdgeHyphen = (n: string): string | undefined =>
  n.startsWith("-") || n.endsWith("-") ? "must not start or end with a hyphen" : undefined;
const noDoubleHyphen = (n: string): string | undefined => (n.includes("--") ? "must not contain consecutive hyphens" : undefined);
const all =
  (...checks: ((n: string) => string | undefined)[]) =>
  (n: string): string | undefined =>
    checks.map((c) => c(n)).find((r) => r !== undefined);

/** Limits per resource kind (Azure "naming rules and restrictions for Azure resources"). */
export const NAME_RULES = {
  resourceGroup: { min: 1, max: 90, charset: "a-zA-Z0-9._()-", lowercase: true, hyphens: true, globallyUnique: false, describe: "1-90 letters, digits, ._()-" },
  storageAccount: { min: 3, max: 24, charset: "a-z0-9", lowercase: true, hyphens: false, globallyUnique: true, describe: "3-24 lowercase letters and digits, globally unique" },
  keyVault: { min: 3, max: 24, charset: "a-zA-Z0-9-", lowercase: true, hyphens: true, globallyUnique: true, check: all(startsWithLetter, noEdgeHyphen, noDoubleHyphen), describe: "3-24 letters, digits and hyphens, starting with a letter, globally unique" },
  cosmosAccount: { min: 3, max: 44, charset: "a-z0-9-", lowercase: true, hyphens: true, globallyUnique: true, check: noEdgeHyphen, describe: "3-44 lowercase letters, digits and hyphens, globally unique" },
  functionApp: { min: 2, max: 60, charset: "a-zA-Z0-9-", lowercase: true, hyphens: true, globallyUnique: true, check: noEdgeHyphen, describe: "2-60 letters, digits and hyphens, globally unique" },
  appServicePlan: { min: 1, max: 60, charset: "a-zA-Z0-9-", lowercase: true, hyphens: true, globallyUnique: false, describe: "1-60 letters, digits and hyphens" },
  userAssignedIdentity: { min: 3, max: 128, charset: "a-zA-Z0-9_-", lowercase: true, hyphens: true, globallyUnique: false, check: startsWithLetter, describe: "3-128 letters, digits, - and _, starting with a letter or digit" },
  apiManagement: { min: 1, max: 50, charset: "a-zA-Z0-9-", lowercase: true, hyphens: true, globallyUnique: true, check: all(startsWithLetter, noEdgeHyphen), describe: "1-50 letters, digits and hyphens, starting with a letter, globally unique" },
  logAnalytics: { min: 4, max: 63, charset: "a-zA-Z0-9-", lowercase: true, hyphens: true, globallyUnique: false, check: noEdgeHyphen, describe: "4-63 letters, digits and hyphens" },
  appInsights: { min: 1, max: 255, charset: "a-zA-Z0-9._()-", lowercase: true, hyphens: true, globallyUnique: false, describe: "1-255 characters" },
  eventGridTopic: { min: 3, max: 50, charset: "a-zA-Z0-9-", lowercase: true, hyphens: true, globallyUnique: false, describe: "3-50 letters, digits and hyphens" },
  queue: { min: 3, max: 63, charset: "a-z0-9-", lowercase: true, hyphens: true, globallyUnique: false, check: all(noEdgeHyphen, noDoubleHyphen), describe: "3-63 lowercase letters, digits and single hyphens" },
  blobContainer: { min: 3, max: 63, charset: "a-z0-9-", lowercase: true, hyphens: true, globallyUnique: false, check: all(noEdgeHyphen, noDoubleHyphen), describe: "3-63 lowercase letters, digits and single hyphens" },
  actionGroup: { min: 1, max: 260, charset: "a-zA-Z0-9_.-", lowercase: true, hyphens: true, globallyUnique: false, describe: "1-260 characters" },
  alert: { min: 1, max: 260, charset: "a-zA-Z0-9_.-", lowercase: true, hyphens: true, globallyUnique: false, describe: "1-260 characters" },
  actionGroupShort: { min: 1, max: 12, charset: "a-zA-Z0-9-", lowercase: true, hyphens: true, globallyUnique: false, describe: "1-12 characters (action group short name)" },
  webTest: { min: 1, max: 80, charset: "a-zA-Z0-9-", lowercase: true, hyphens: true, globallyUnique: false, check: noEdgeHyphen, describe: "1-80 letters, digits and hyphens (availability test)" },
  virtualNetwork: { min: 2, max: 64, charset: "a-zA-Z0-9._-", lowercase: true, hyphens: true, globallyUnique: false, check: noEdgeHyphen, describe: "2-64 letters, digits, . _ and -" },
  privateEndpoint: { min: 2, max: 80, charset: "a-zA-Z0-9._-", lowercase: true, hyphens: true, globallyUnique: false, check: noEdgeHyphen, describe: "2-80 letters, digits, . _ and -" },
} as const satisfies Record<string, NameRule>;

export type NameKind = keyof typeof NAME_RULES;

export interface NameContext {
  /** The stack's `namePrefix` (2-8 lowercase alphanumerics). */
  readonly prefix: string;
  /** `dev` or `prod`. */
  readonly environment: string;
}

/** Short environment codes keep names inside the tight limits (storage: 24). */
const ENV_CODE: Record<string, string> = { dev: "d", prod: "p" };
const SUFFIX_LENGTH = 5;

/** A deterministic, lowercase base-36 suffix from the name's identity. */
export function uniqueSuffix(ctx: NameContext, logical: string, length = SUFFIX_LENGTH): string {
  const digest = createHash("sha256").update(`${ctx.prefix}/${ctx.environment}/${logical}`).digest();
  let n = digest.readBigUInt64BE(0);
  let out = "";
  for (let i = 0; i < length; i++) {
    out += (n % 36n).toString(36);
    n /= 36n;
  }
  return out;
}

export class NameError extends Error {
  constructor(kind: NameKind, name: string, reason: string) {
    super(`invalid ${kind} name "${name}": ${reason} (${NAME_RULES[kind].describe})`);
    this.name = "NameError";
  }
}

/** Checks a final name against its kind's rules; returns the reason it is invalid, if it is. */
export function validateName(kind: NameKind, name: string): string | undefined {
  const rule: NameRule = NAME_RULES[kind];
  if (name.length < rule.min || name.length > rule.max) return `length ${name.length} is outside ${rule.min}-${rule.max}`;
  if (!new RegExp(`^[${rule.charset}]+$`).test(name)) return `contains characters outside [${rule.charset}]`;
  return rule.check?.(name);
}

/**
 * The physical name of a resource of `kind` for the logical name `parts` (e.g. `["orders"]`,
 * `["orders", "deploy"]`).
 *
 * Layout: `<prefix>-<parts>-<env>[-<suffix>]`, without hyphens where the kind forbids them. When the
 * result is too long, the parts are shortened (never the prefix, environment or suffix), so names
 * stay readable and unique.
 */
export function physicalName(kind: NameKind, ctx: NameContext, ...parts: string[]): string {
  const rule: NameRule = NAME_RULES[kind];
  const sep = rule.hyphens ? "-" : "";
  const clean = (s: string): string => {
    const lowered = rule.lowercase ? s.toLowerCase() : s;
    const allowed = lowered.replace(new RegExp(`[^${rule.charset}]`, "g"), rule.hyphens ? "-" : "");
    return rule.hyphens ? allowed.replace(/-+/g, "-").replace(/^-|-$/g, "") : allowed;
  };
  const logical = parts.join("-");
  const env = ENV_CODE[ctx.environment] ?? ctx.environment.slice(0, 1);
  const suffix = rule.globallyUnique ? uniqueSuffix(ctx, `${kind}/${logical}`) : "";
  const head = clean(ctx.prefix);
  const tail = [env, suffix].filter((s) => s.length > 0).map(clean);
  const fixedLength = head.length + tail.reduce((n, s) => n + s.length, 0) + sep.length * (1 + tail.length);
  let body = clean(parts.map(clean).filter((p) => p.length > 0).join(sep));
  const room = rule.max - fixedLength;
  if (room < 1) throw new NameError(kind, `${head}${sep}${tail.join(sep)}`, "the prefix leaves no room for the name");
  if (body.length > room) {
    // Keep a hash of the full body so two long names that share a start stay distinct.
    const keep = uniqueSuffix(ctx, `${kind}/${logical}/body`, 3);
    body = rule.hyphens && room > 4 ? `${clean(body.slice(0, room - 4))}${sep}${keep}` : `${body.slice(0, Math.max(1, room - 3))}${keep}`.slice(0, room);
  }
  const name = [head, body, ...tail].filter((s) => s.length > 0).join(sep);
  const reason = validateName(kind, name);
  if (reason) throw new NameError(kind, name, reason);
  return name;
}
