import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/config";
import { testConfig } from "../helpers/plan";

const messages = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error("expected a ConfigError");
};

describe("backends config (issue 18 items 6, 10)", () => {
  it("takes a real back end with its document, or a dev mock of it", () => {
    expect(testConfig({ backends: { payment: { url: "https://pay.fabrikam.com/api", openapi: "backends/payment.openapi.json" } } }).backends.payment).toMatchObject({ openapi: "backends/payment.openapi.json" });
    expect(testConfig({ backends: { payment: { mock: true, openapi: "backends/payment.openapi.json" } } }).backends.payment!.mock).toBe(true);
    expect(testConfig({ backends: { ledger: { url: "https://l.fabrikam.com", methods: ["GET", "POST"] } } }).backends.ledger!.methods).toEqual(["GET", "POST"]);
  });

  it("names the key and the fix for each inconsistent entry", () => {
    expect(messages(() => testConfig({ backends: { payment: { description: "x" } } }))).toMatch(/serverless-platform:backends\.payment\.url: missing; set the back end's https URL, or mock: true/);
    expect(messages(() => testConfig({ backends: { payment: { mock: true } } }))).toMatch(/backends\.payment\.openapi: required with mock: true/);
    expect(messages(() => testConfig({ backends: { payment: { mock: true, url: "https://p.fabrikam.com", openapi: "a.json" } } }))).toMatch(/backends\.payment\.url: url and mock: true exclude each other/);
    expect(messages(() => testConfig({ backends: { payment: { url: "https://p.fabrikam.com", openapi: "a.json", methods: ["GET"] } } }))).toMatch(/backends\.payment\.methods: applies only without openapi/);
    expect(messages(() => testConfig({ backends: { payment: { url: "https://p.fabrikam.com", methods: ["FETCH"] } } }))).toMatch(/backends\.payment\.methods\.0/);
  });

  it("refuses a mock in prod", () => {
    const prod = { environment: "prod", tags: { owner: "t", costCenter: "1" } };
    expect(messages(() => testConfig({ ...prod, backends: { payment: { mock: true, openapi: "backends/payment.openapi.json" } } }))).toMatch(
      /serverless-platform:backends\.payment\.mock: a mocked back end is for development; prod sets url to the real back end/,
    );
  });
});
