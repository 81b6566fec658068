import { describe, expect, it } from "vitest";
import { PRICES, REGIONAL_PRICES, unitPrice, type MeterPrice } from "../../../engine/cost/prices";

describe("the price table", () => {
  it("gives every meter a positive price, unit, region, currency, read date and source", () => {
    for (const [id, p] of Object.entries(PRICES) as [string, MeterPrice][]) {
      expect(p.price, id).toBeGreaterThan(0);
      expect(p.per, id).toBeGreaterThan(0);
      expect(p.unit.length, id).toBeGreaterThan(0);
      expect(p.region, id).toBe("eastus");
      expect(p.currency, id).toBe("USD");
      expect(p.read, id).toMatch(/^\d{4}-\d{2}$/);
      expect(p.source.length, id).toBeGreaterThan(10);
    }
  });

  it("carries the free grants the estimator applies", () => {
    expect(PRICES["flex.onDemandExecutionTime"].freeGrant).toEqual({ quantity: 100_000, scope: "subscription" });
    expect(PRICES["flex.onDemandExecutions"].freeGrant).toEqual({ quantity: 250_000, scope: "subscription" });
    expect(PRICES["apim.consumptionCalls"].freeGrant).toEqual({ quantity: 1_000_000, scope: "subscription" });
    expect(PRICES["monitor.logIngestion"].freeGrant).toEqual({ quantity: 5, scope: "billing account" });
    expect(PRICES["eventgrid.operations"].freeGrant).toEqual({ quantity: 100_000, scope: "subscription" });
    expect(PRICES["monitor.metricAlertSeries"].freeGrant).toEqual({ quantity: 10, scope: "subscription" });
  });

  it("converts to unit prices and applies a known regional difference", () => {
    expect(unitPrice("flex.onDemandExecutions")).toBeCloseTo(0.0000004, 15);
    expect(unitPrice("apim.consumptionCalls")).toBeCloseTo(0.0000035, 15);
    expect(unitPrice("monitor.logIngestion", "westeurope")).toBe(REGIONAL_PRICES.westeurope?.["monitor.logIngestion"]);
    expect(unitPrice("monitor.logIngestion", "eastus2")).toBe(2.3);
  });
});
