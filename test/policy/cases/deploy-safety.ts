/** Cases of the deploy-safety resource rules (policy/rules/deploy-safety.ts); more in ../deploy-safety.test.ts. */
import type { RuleCase } from "./types";

const API = "azure-native:apimanagement:Api";
const OP = "azure-native:apimanagement:ApiOperation";
const doc = (paths: Record<string, unknown>) => JSON.stringify({ openapi: "3.0.3", info: { title: "x", version: "1" }, paths });
const op = { responses: { default: { description: "x" } } };

export const deploySafetyCases: RuleCase[] = [
  {
    rule: "apim-template-one-segment",
    compliant: [
      { type: API, note: "an imported API with one-segment parameters", props: { format: "openapi+json", value: doc({ "/orders/{orderId}": { get: op } }) } },
      { type: OP, note: "a wildcard operation", props: { method: "GET", urlTemplate: "/*" } },
    ],
    violating: [
      {
        type: API,
        note: "the hybrid API's pass-through /{path}",
        props: { format: "openapi+json", value: doc({ "/{path}": { post: op } }) },
        expect: /imports POST \/\{path\}: \{path\} reads as "the rest of the path".*matches exactly one segment/,
      },
      { type: OP, note: "an operation template with catch-all syntax", props: { method: "GET", urlTemplate: "/files/{rest*}" }, expect: /\{rest\*\} uses catch-all syntax/ },
    ],
    notApplicable: [
      { type: "azure-native:apimanagement:Backend", note: "a backend", props: { url: "https://x.fabrikam.com" } },
      { type: API, note: "an API without an inline document", props: { path: "ledger" } },
    ],
  },
];
