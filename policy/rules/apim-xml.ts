/**
 * Reading API Management policy documents the way the service does, with a real XML parser
 * (fast-xml-parser), never with regular expressions over the markup.
 *
 * Facts this module relies on:
 * - `format` is one of xml, xml-link, rawxml, rawxml-link; absent means "xml" (azure-rest-api-specs,
 *   apimanagement `PolicyContentFormat`, default "xml"). "rawxml" is "a non XML encoded policy
 *   document" (the enum's doc in the azure-native typings): its policy expressions hold C# as
 *   written (`<`, `"`, `&&`), while "xml" holds a well-formed XML document whose expressions are
 *   XML-escaped. An XML-escaped document sent as rawxml reaches the expression compiler with its
 *   entities left in (`&lt;` is not C#) and the PUT is refused
 *   (hashicorp/terraform-provider-azurerm#5426).
 * - A policy expression is `@( expression )` or `@{ statements }` (Microsoft Learn, "API Management
 *   policy expressions"); its parentheses/braces balance outside C# string and character literals.
 * - A policy document has the root `<policies>` with the sections inbound, backend, outbound and
 *   on-error, each at most once; `<base />` runs the parent scope's policies for that section and
 *   belongs directly in a section (Microsoft Learn, "Policies in Azure API Management" and the
 *   `base` policy reference). A policy fragment's root is `<fragment>`.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";

export const POLICY_FORMATS = ["xml", "xml-link", "rawxml", "rawxml-link"] as const;
export type PolicyFormat = (typeof POLICY_FORMATS)[number];
export const SECTIONS = ["inbound", "backend", "outbound", "on-error"] as const;
export type Section = (typeof SECTIONS)[number];

/** An element of a parsed policy document. */
export interface PolicyNode {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly PolicyNode[];
  /** The element's own text (concatenated text nodes, trimmed). */
  readonly text: string;
}

export interface ParsedDocument {
  /** The format as given (lower case), "xml" when absent. */
  readonly format: string;
  /** The root element, when the document could be parsed. */
  readonly root?: PolicyNode;
  /** What is wrong with the document; empty when nothing is. */
  readonly problems: readonly string[];
  /** The policy expressions found (as the service will compile them). */
  readonly expressions: readonly string[];
}

/** XML entities: in rawxml they are taken literally, so inside an expression they are a mistake. */
const ENTITY = /&(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/i;

interface ExpressionScan {
  /** Start index of `@`, end index (exclusive) after the closing `)`/`}`; end -1 when unbalanced. */
  readonly start: number;
  readonly end: number;
}

/**
 * The end (exclusive) of the policy expression starting at `text[start] === "@"` followed by `(` or
 * `{`, or -1 when its brackets never balance. C# string ("...", @"...") and character literals are
 * skipped, so a `)` inside a string does not close the expression.
 */
export function expressionEnd(text: string, start: number): number {
  const open = text[start + 1];
  if (open !== "(" && open !== "{") return -1;
  const stack: string[] = [];
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const verbatim = text[i - 1] === "@" && i - 1 > start + 1;
      i++;
      while (i < text.length) {
        if (verbatim && text[i] === '"' && text[i + 1] === '"') i += 2;
        else if (!verbatim && text[i] === "\\") i += 2;
        else if (text[i] === '"') break;
        else i++;
      }
      i++;
      continue;
    }
    if (c === "'") {
      // A character literal: 'x' or '\x'.
      const close = text[i + 1] === "\\" ? i + 3 : i + 2;
      if (text[close] === "'") {
        i = close + 1;
        continue;
      }
    }
    if (c === "(" || c === "{" || c === "[") stack.push(c);
    else if (c === ")" || c === "}" || c === "]") {
      const want = c === ")" ? "(" : c === "}" ? "{" : "[";
      if (stack.pop() !== want) return -1;
      if (stack.length === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/** Every `@(` / `@{` in `text` with where it ends (-1 when unbalanced). */
function scanExpressions(text: string): ExpressionScan[] {
  const found: ExpressionScan[] = [];
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf("@", i);
    if (at < 0) break;
    if (text[at + 1] === "(" || text[at + 1] === "{") {
      const end = expressionEnd(text, at);
      found.push({ start: at, end });
      if (end < 0) break;
      i = end;
    } else i = at + 1;
  }
  return found;
}

const escapeXml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");

const short = (s: string, max = 80): string => {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
};

type Ordered = Record<string, unknown>;

function toNodes(items: unknown): PolicyNode[] {
  if (!Array.isArray(items)) return [];
  const out: PolicyNode[] = [];
  for (const item of items as Ordered[]) {
    const name = Object.keys(item).find((k) => k !== ":@");
    if (!name || name === "#text" || name === "#comment") continue;
    const attrs = (item[":@"] as Record<string, unknown> | undefined) ?? {};
    const kids = item[name];
    const text = Array.isArray(kids)
      ? (kids as Ordered[])
          .filter((k) => "#text" in k)
          .map((k) => String(k["#text"]))
          .join("")
          .trim()
      : "";
    out.push({
      name,
      attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, String(v)])),
      children: toNodes(kids),
      text,
    });
  }
  return out;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  allowBooleanAttributes: true,
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  commentPropName: "#comment",
  processEntities: true,
  htmlEntities: false,
});

/** Attribute values and texts of every element, for the expression checks after parsing. */
function* valuesOf(node: PolicyNode): Generator<string> {
  yield* Object.values(node.attrs);
  if (node.text.length > 0) yield node.text;
  for (const c of node.children) yield* valuesOf(c);
}

/**
 * Parses a policy document as API Management would for `format`, and lists what is wrong with it:
 * a format outside the enum, rawxml holding XML entities inside expressions, a document that is not
 * well-formed XML, unbalanced expressions.
 */
export function parsePolicyDocument(value: string, format: string | undefined): ParsedDocument {
  const fmt = (format ?? "xml").toLowerCase();
  const problems: string[] = [];
  if (!(POLICY_FORMATS as readonly string[]).includes(fmt)) {
    return { format: fmt, problems: [`format ${JSON.stringify(format)} is not one of ${POLICY_FORMATS.join(", ")}`], expressions: [] };
  }
  if (fmt.endsWith("-link")) {
    if (!/^https:\/\/\S+$/i.test(value.trim())) problems.push(`format "${fmt}" needs value to be an https:// URL of the document, got ${JSON.stringify(short(value))}`);
    return { format: fmt, problems, expressions: [] };
  }
  let xml = value;
  const expressions: string[] = [];
  if (fmt === "rawxml") {
    // Expressions are C# as written: find each, check it, and escape it so the rest parses as XML.
    const scans = scanExpressions(value);
    let rebuilt = "";
    let last = 0;
    for (const s of scans) {
      if (s.end < 0) {
        problems.push(`the policy expression starting ${JSON.stringify(short(value.slice(s.start), 60))} never closes: its brackets are unbalanced`);
        break;
      }
      const expr = value.slice(s.start, s.end);
      expressions.push(expr);
      const entity = ENTITY.exec(expr);
      if (entity) {
        problems.push(
          `format "rawxml" holds an XML-escaped policy expression (${entity[0]} in ${JSON.stringify(short(expr, 70))}): rawxml is not XML-decoded, so the ` +
            'expression compiler sees the entity itself. Send the escaped document as format "xml", or unescape the expressions and keep "rawxml"',
        );
      }
      rebuilt += value.slice(last, s.start) + escapeXml(expr);
      last = s.end;
    }
    xml = rebuilt + value.slice(last);
    if (problems.length > 0) return { format: fmt, problems, expressions };
  }
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: true });
  if (valid !== true) {
    const hint =
      fmt === "xml" && /@[({]/.test(value) ? ' (an "xml" document must XML-escape its policy expressions: &lt; &quot; &amp;; or send raw expressions as format "rawxml")' : "";
    problems.push(`the document is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})${hint}`);
    return { format: fmt, problems, expressions };
  }
  const roots = toNodes(parser.parse(xml) as unknown);
  if (roots.length !== 1) {
    problems.push(`the document has ${roots.length} root elements: it needs exactly one (<policies>)`);
    return { format: fmt, problems, expressions };
  }
  const root = roots[0]!;
  if (fmt === "xml") {
    for (const v of valuesOf(root)) {
      for (const s of scanExpressions(v)) {
        if (s.end < 0) problems.push(`the policy expression ${JSON.stringify(short(v.slice(s.start), 60))} never closes: its brackets are unbalanced`);
        else expressions.push(v.slice(s.start, s.end));
      }
    }
  }
  return { format: fmt, root, problems, expressions };
}

/** Where a policy document applies: decides the root element and whether `<base />` has a parent. */
export type PolicyScope = "global" | "workspace" | "product" | "api" | "operation" | "fragment" | "resolver";

/** Structural problems: root element, known sections at most once, `<base />` placement. */
export function structureProblems(root: PolicyNode, scope: PolicyScope): string[] {
  const problems: string[] = [];
  if (scope === "resolver") return problems;
  const expectedRoot = scope === "fragment" ? "fragment" : "policies";
  if (root.name !== expectedRoot) {
    problems.push(`the root element is <${root.name}>: a ${scope === "fragment" ? "policy fragment" : "policy document"} starts with <${expectedRoot}>`);
    return problems;
  }
  const misplacedBase = (node: PolicyNode, path: string): void => {
    for (const c of node.children) {
      if (c.name === "base") problems.push(`<base /> inside <${path}> is misplaced: it belongs directly in a section (inbound, backend, outbound, on-error)`);
      misplacedBase(c, `${path}/${c.name}`);
    }
  };
  if (scope === "fragment") {
    misplacedBase(root, "fragment");
    return problems;
  }
  if (root.text.length > 0) problems.push(`<policies> holds text ${JSON.stringify(short(root.text, 40))}: only the sections belong there`);
  const seen = new Map<string, number>();
  for (const section of root.children) {
    if (!(SECTIONS as readonly string[]).includes(section.name)) {
      problems.push(`<policies> holds <${section.name}>: only the sections ${SECTIONS.join(", ")} are allowed there`);
      continue;
    }
    seen.set(section.name, (seen.get(section.name) ?? 0) + 1);
    const bases = section.children.filter((c) => c.name === "base");
    if (bases.length > 1) problems.push(`<${section.name}> has <base /> ${bases.length} times: the parent scope's policies would run more than once`);
    for (const b of bases) {
      if (b.children.length > 0 || b.text.length > 0 || Object.keys(b.attrs).length > 0) problems.push(`<base /> in <${section.name}> has content or attributes: it takes none`);
    }
    for (const c of section.children) if (c.name !== "base") misplacedBase(c, `${section.name}/${c.name}`);
  }
  for (const [name, n] of seen) if (n > 1) problems.push(`<${name}> appears ${n} times: each section appears at most once`);
  return problems;
}

/** The section element of a parsed `<policies>` document. */
export function sectionOf(root: PolicyNode | undefined, section: Section): PolicyNode | undefined {
  return root?.name === "policies" ? root.children.find((c) => c.name === section) : undefined;
}

/** Every element under `node` (depth-first), with the node itself first. */
export function* walk(node: PolicyNode): Generator<PolicyNode> {
  yield node;
  for (const c of node.children) yield* walk(c);
}
