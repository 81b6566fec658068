import { describe, expect, it } from "vitest";
import {
  TIERS,
  TierError,
  assertPoliciesSupported,
  effectiveCapacity,
  securityCustomProperties,
} from "../../../components/api-management/tiers";

describe("tier table", () => {
  it.each([
    ["Consumption", "rate-limit-by-key", true],
    ["Consumption", "quota-by-key", true],
    ["Consumption", "cache-lookup", true],
    ["Consumption", "rate-limit", false],
    ["Consumption", "quota", false],
    ["Consumption", "validate-jwt", false],
    ["BasicV2", "rate-limit-by-key", false],
    ["BasicV2", "quota-by-key", true],
    ["StandardV2", "quota-by-key", true],
    ["StandardV2", "cache-lookup", false],
  ] as const)("%s refuses <%s>: %s", (sku, policy, refused) => {
    const check = () => assertPoliciesSupported(sku, [policy], "test");
    if (refused) expect(check).toThrow(TierError);
    else expect(check).not.toThrow();
  });

  it("names tier, document and alternative in the refusal", () => {
    expect(() => assertPoliciesSupported("Consumption", ["quota-by-key", "quota"], 'product "public"')).toThrow(
      'API Management Consumption: product "public" uses <quota-by-key> (use quota (per subscription, product scope)), which this tier does not support',
    );
  });

  it.each([
    ["Consumption", 0, 0],
    ["BasicV2", 0, 1],
    ["StandardV2", 3, 3],
  ] as const)("%s capacity %d deploys as %d", (sku, configured, expected) => {
    expect(effectiveCapacity(sku, configured)).toBe(expected);
  });

  it("refuses impossible capacities", () => {
    expect(() => effectiveCapacity("Consumption", 1)).toThrow(/capacity must be 0/);
    expect(() => effectiveCapacity("StandardV2", 11)).toThrow(/maximum of 10/);
  });

  it("sets protocol switches on every tier and cipher switches on none of ours", () => {
    for (const sku of ["Consumption", "BasicV2", "StandardV2"] as const) {
      const props = securityCustomProperties(sku);
      expect(Object.values(props).every((v) => v === "False")).toBe(true);
      expect(Object.keys(props).sort()).toEqual(
        ["Backend.Protocols.Ssl30", "Backend.Protocols.Tls10", "Backend.Protocols.Tls11", "Protocols.Tls10", "Protocols.Tls11"].map(
          (k) => `Microsoft.WindowsAzure.ApiManagement.Gateway.Security.${k}`,
        ),
      );
      expect(TIERS[sku].enableClientCertificate).toBe(false);
    }
    expect(TIERS.Consumption.circuitBreaker).toBe(false);
    expect(TIERS.StandardV2.circuitBreaker).toBe(true);
  });
});
