import { describe, expect, it } from "vitest";
import { checkResource, rule } from "./harness";

// The stack rule diag-categories-offered (issue 18 item 9) is tested in ./stack/diag-categories-offered.test.ts,
// where the pack keeps one file per stack policy; the resource rule's pack-wide cases are in ./cases/deploy-safety.ts.

/** Issue 18 item 10, as a class: a URL template parameter meant to match several segments. */
describe("apim-template-one-segment", () => {
  const policy = rule("apim-template-one-segment");
  const api = (paths: Record<string, unknown>) => ({ format: "openapi+json", value: JSON.stringify({ openapi: "3.0.3", info: { title: "x", version: "1" }, paths }) });
  const op = { responses: { default: { description: "x" } } };
  const param = (name: string, extra: Record<string, unknown> = {}) => ({ name, in: "path", required: true, schema: { type: "string" }, ...extra });

  it("flags an imported pass-through /{path} (the hybrid API before the fix) and its variants", () => {
    const legacy = checkResource(policy, "azure-native:apimanagement:Api", api({ "/{path}": { parameters: [param("path")], post: op } }), { name: "gateway-payment-api" });
    expect(legacy.violations).toEqual([
      expect.stringMatching(/^API "gateway-payment-api" imports POST \/\{path\}: \{path\} reads as "the rest of the path", but an API Management URL template parameter matches exactly one segment.*Fix: .*urlTemplate "\/\*"/),
    ]);
    for (const [path, p] of [
      ["/{proxy+}", param("proxy+")],
      ["/files/{key}", param("key", { schema: { type: "string", pattern: ".+" } })],
      ["/files/{key}", param("key", { allowReserved: true })],
    ] as const) {
      expect(checkResource(policy, "azure-native:apimanagement:Api", api({ [path]: { get: { ...op, parameters: [p] } } })).violations, path).toHaveLength(1);
    }
  });

  it("flags an operation's own url template", () => {
    const r = checkResource(policy, "azure-native:apimanagement:ApiOperation", { method: "GET", urlTemplate: "/{*rest}", templateParameters: [{ name: "*rest", type: "string", required: true }] }, { name: "any" });
    expect(r.violations[0]).toMatch(/API operation "any" \(GET \/\{\*rest\}\): \{\*rest\} uses catch-all syntax/);
  });

  it("passes one-segment parameters and the wildcard /*", () => {
    expect(checkResource(policy, "azure-native:apimanagement:Api", api({ "/orders/{orderId}": { get: { ...op, parameters: [param("orderId", { schema: { type: "string", pattern: "^[a-z0-9-]+$" } })] } } })).violations).toEqual([]);
    expect(checkResource(policy, "azure-native:apimanagement:ApiOperation", { method: "POST", urlTemplate: "/*" }).violations).toEqual([]);
    expect(checkResource(policy, "azure-native:apimanagement:ApiOperation", { method: "GET", urlTemplate: "/customers/{customerId}/orders?status={status}" }).violations).toEqual([]);
  });
});
