/**
 * The gateway forwards the caller's *validated* identity and nothing a client sent under the same
 * names. The operation policy is parsed as XML and its inbound `set-header` steps are executed in
 * document order against a request carrying forged identity headers, with APIM's documented
 * semantics (Microsoft Learn, *Set header*: `delete` removes the header, `override` replaces its
 * value); the values must then be the validated token's claims, read from the variable the
 * preceding `validate-jwt` fills (`output-token-variable-name`).
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { CALLER_IDENTITY_HEADERS, operationPolicy } from "../../../components/api-management/policies";
import { CALLER_HEADERS } from "../../../functions-src/shared/caller";

const TENANT = "11111111-2222-3333-4444-555555555555";
const CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

interface Step {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly text: string;
}

/** The inbound section's elements, in document order (preserveOrder keeps repeated names apart). */
function inboundSteps(xml: string): Step[] {
  expect(XMLValidator.validate(xml)).toBe(true);
  type Node = Record<string, unknown> & { ":@"?: Record<string, string> };
  const tree = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml) as Node[];
  const children = (node: Node, name: string): Node[] => (node[name] as Node[] | undefined) ?? [];
  const policies = tree.find((n) => "policies" in n)!;
  const inbound = children(policies, "policies").find((n) => "inbound" in n)!;
  return children(inbound, "inbound").map((node) => {
    const name = Object.keys(node).find((k) => k !== ":@")!;
    const value = children(node, name).find((n) => "value" in n);
    const text = value ? String((children(value, "value")[0] as Record<string, unknown> | undefined)?.["#text"] ?? "") : "";
    return { name, attributes: node[":@"] ?? {}, text };
  });
}

/**
 * Evaluates the only expression shape the gateway may use for identity: a claim of the token stored
 * by validate-jwt. Anything else (e.g. reading a request header) is refused, so a change that
 * derives identity from client input fails here.
 */
function evaluate(expression: string, variables: Readonly<Record<string, Readonly<Record<string, string[]>>>>): string {
  const match = /^@\{ string\[\] values; return \(\(Jwt\)context\.Variables\["([^"]+)"\]\)\.Claims\.TryGetValue\("([a-z]+)", out values\) \? string\.Join\(",", values\) : ""; \}$/.exec(expression);
  if (!match) throw new Error(`identity header value is not a claim of the validated token: ${expression}`);
  const token = variables[match[1]!];
  if (!token) throw new Error(`variable ${match[1]} is not set by a preceding validate-jwt`);
  return (token[match[2]!] ?? []).join(",");
}

/** Runs the inbound steps over `headers` (names case-insensitive, as in HTTP) with `claims` as the caller's validated token. */
function runInbound(steps: readonly Step[], headers: readonly (readonly [string, string])[], claims: Record<string, string[]>): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const [name, value] of headers) result.set(name.toLowerCase(), [...(result.get(name.toLowerCase()) ?? []), value]);
  const variables: Record<string, Record<string, string[]>> = {};
  for (const step of steps) {
    if (step.name === "validate-jwt" && step.attributes["output-token-variable-name"]) {
      variables[step.attributes["output-token-variable-name"]] = claims;
    }
    if (step.name !== "set-header") continue;
    const name = step.attributes.name!.toLowerCase();
    const action = step.attributes["exists-action"] ?? "override";
    if (action === "delete") result.delete(name);
    else if (action === "override") result.set(name, [evaluate(step.text, variables)]);
    else throw new Error(`unexpected exists-action ${action} on ${name}`);
  }
  return result;
}

const doc = operationPolicy({ tenantId: TENANT, audiences: [CLIENT], roles: ["Orders.Read"], backendTokenResource: CLIENT });
const steps = inboundSteps(doc.xml);
const identityNames = Object.values(CALLER_IDENTITY_HEADERS).map((h) => h.toLowerCase());

describe("caller identity forwarding (operation policy)", () => {
  it("uses the header names the services read", () => {
    expect(identityNames.sort()).toEqual(Object.values(CALLER_HEADERS).map((h) => h.toLowerCase()).sort());
  });

  it("overrides forged identity headers with the validated token's oid and roles", () => {
    const forged: [string, string][] = [
      ["X-Caller-Object-Id", "victim-customer"],
      ["x-caller-object-id", "second-copy"],
      ["X-CALLER-ROLES", "Orders.Support"],
      ["Authorization", "Bearer caller-token"],
    ];
    const claims = { oid: ["0c3e5a4e-1111-2222-3333-444455556666"], roles: ["Orders.Read", "Orders.Write"] };
    const out = runInbound(steps, forged, claims);
    expect(out.get(CALLER_HEADERS.objectId)).toEqual(["0c3e5a4e-1111-2222-3333-444455556666"]);
    expect(out.get(CALLER_HEADERS.roles)).toEqual(["Orders.Read,Orders.Write"]);
  });

  it("forwards an empty identity (which the services refuse) when the token lacks the claims", () => {
    const out = runInbound(steps, [["X-Caller-Object-Id", "victim-customer"], ["X-Caller-Roles", "Orders.Support"]], {});
    expect(out.get(CALLER_HEADERS.objectId)).toEqual([""]);
    expect(out.get(CALLER_HEADERS.roles)).toEqual([""]);
  });

  it("sets identity only after the role check and before the gateway's own token replaces the caller's", () => {
    const names = steps.map((s) => s.name);
    const jwt = names.indexOf("validate-jwt");
    const swap = names.indexOf("authentication-managed-identity");
    const identity = steps.flatMap((s, i) => (s.name === "set-header" && identityNames.includes(s.attributes.name!.toLowerCase()) ? [i] : []));
    expect(identity).toHaveLength(4);
    expect(jwt).toBeGreaterThanOrEqual(0);
    expect(Math.min(...identity)).toBeGreaterThan(jwt);
    expect(Math.max(...identity)).toBeLessThan(swap);
    expect(steps[jwt]!.attributes["failed-validation-httpcode"]).toBe("403");
  });

  it("the evaluator refuses identity taken from the request", () => {
    expect(() => evaluate('@(context.Request.Headers.GetValueOrDefault("X-Caller-Object-Id",""))', {})).toThrow(/not a claim of the validated token/);
  });
});
