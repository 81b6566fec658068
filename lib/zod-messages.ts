/**
 * zod issues in the words of the file a user edits: what was found and what was expected
 * (`got the string "forty"; expected a number`), never zod's own "Invalid input: expected number,
 * received string", and never "missing" for a value that is there but of the wrong type (zod 4
 * attaches the input to an issue only when asked: `reportInput`).
 */
import { z } from "zod";
import { closestMatch, didYouMean } from "./suggest";

/** How a found value reads in a message: `the string "forty"`, `the number -0.5`, `a list of 2 items`. */
export function describeValue(value: unknown): string {
  if (value === null) return "an empty value (null)";
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "boolean") return `${value}`;
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? "" : "s"}`;
  if (typeof value === "object") {
    const keys = Object.keys(value);
    return keys.length === 0 ? "an empty map" : `a map with ${keys.slice(0, 3).join(", ")}${keys.length > 3 ? ", ..." : ""}`;
  }
  return typeof value;
}

const EXPECTED_TYPE: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a map (key: value)",
  record: "a map (key: value)",
};

const quote = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

/**
 * The expectation of an issue no schema message covers, in the words of the config file. zod's own
 * texts ("Invalid input: expected number, received string") never reach the user.
 */
export function expectation(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${EXPECTED_TYPE[issue.expected] ?? issue.expected}`;
    case "invalid_value": {
      const values = issue.values.map(quote);
      const hint = typeof issue.input === "string" ? didYouMean(issue.input, issue.values.filter((v): v is string => typeof v === "string"), quote) : "";
      return `${values.length === 1 ? `expected ${values[0]}` : `expected one of ${values.join(", ")}`}${hint}`;
    }
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const word = issue.code === "too_small" ? (issue.inclusive === false ? "more than" : "at least") : issue.inclusive === false ? "less than" : "at most";
      if (issue.origin === "string") return `expected ${word} ${bound} characters`;
      if (issue.origin === "array" || issue.origin === "set") return `expected ${word} ${bound} item${Number(bound) === 1 ? "" : "s"}`;
      return `expected ${word} ${bound}`;
    }
    case "not_multiple_of":
      return `expected a multiple of ${issue.divisor}`;
    case "invalid_format":
      return issue.format === "regex" ? `expected text matching ${String(issue.pattern)}` : `expected ${issue.format === "email" ? "an e-mail address" : issue.format === "url" ? "a URL" : issue.format}`;
    case "invalid_union": {
      // A union of literals (e.g. 300 | 600 | 900) reads as one list of values.
      const values = issue.errors.flatMap((branch) => (branch.length === 1 && branch[0]!.code === "invalid_value" ? branch[0]!.values : [undefined]));
      if (values.length > 0 && values.every((v) => v !== undefined)) return `expected one of ${values.map(quote).join(", ")}`;
      const branches = [...new Set(issue.errors.map((branch) => branch.map((i) => i.message).join("; ")))];
      return `expected ${branches.map((b) => b.replace(/^expected /, "")).join(" or ")}`;
    }
    default:
      return issue.message ?? "invalid value";
  }
}

function isPrimitive(value: unknown): boolean {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

/**
 * One issue as problem lines (one per unknown key): its path, what was found (when there was
 * something) and what was expected. `fieldsAt` lists the fields the object at a path accepts, for
 * "did you mean" on unknown keys.
 */
export function issueProblems(
  issue: z.core.$ZodIssue,
  fieldsAt: (path: readonly PropertyKey[]) => readonly string[] = () => [],
  options: { readonly yamlHints?: boolean } = {},
): { path: PropertyKey[]; message: string }[] {
  if (issue.code === "unrecognized_keys") {
    const fields = fieldsAt(issue.path);
    return issue.keys.map((k) => ({
      path: [...issue.path, k],
      message: `unknown key${didYouMean(k, fields)}${fields.length > 0 ? ` (expected one of ${fields.join(", ")})` : ""}`,
    }));
  }
  if (issue.code === "invalid_key") {
    return [{ path: issue.path, message: `invalid name: ${issue.issues.map((i) => i.message).join("; ")}` }];
  }
  const input = (issue as { input?: unknown }).input;
  if (input === undefined && ["invalid_type", "invalid_value", "invalid_union"].includes(issue.code)) {
    return [{ path: issue.path, message: `missing; ${issue.message}` }];
  }
  let message = issue.message;
  const found = input !== undefined && (issue.code !== "custom" || isPrimitive(input));
  if (found && message.startsWith("expected")) message = `got ${describeValue(input)}; ${message}`;
  if (options.yamlHints && issue.code === "invalid_type" && issue.expected === "string" && (typeof input === "number" || typeof input === "boolean")) {
    message += ` (quote it in YAML: "${String(input)}")`;
  }
  return [{ path: issue.path, message }];
}

/**
 * Every issue as problem lines, with one mistake reported once: a misspelt field (`acess`) is
 * reported as the unknown key with its suggestion, not also as the field it meant being missing.
 */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  fieldsAt: (path: readonly PropertyKey[]) => readonly string[] = () => [],
  options: { readonly yamlHints?: boolean } = {},
): { path: PropertyKey[]; message: string }[] {
  const problems = issues.flatMap((issue) => issueProblems(issue, fieldsAt, options));
  const meant = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") continue;
    const fields = fieldsAt(issue.path);
    for (const k of issue.keys) {
      const match = closestMatch(k, fields);
      if (match !== undefined) meant.add(JSON.stringify([...issue.path, match]));
    }
  }
  return problems.filter((p) => !(p.message.startsWith("missing;") && meant.has(JSON.stringify(p.path))));
}

/** Parse options that make zod's issues carry the input and read as {@link expectation}s. */
export const PARSE_OPTIONS = { reportInput: true, error: (issue: z.core.$ZodRawIssue) => expectation(issue) } as const;

