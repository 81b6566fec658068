import { describe, expect, it } from "vitest";
import { checkAddressPlan } from "../../composition/program";
import { ConfigError } from "../../lib/config";

function problems(network: { mode: "public" | "private"; addressSpace: string; appsSubnetPrefix?: string }): { key: string; message: string }[] {
  try {
    checkAddressPlan("dev", { network });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).problems];
  }
  return [];
}

describe("the private network's address plan is checked as config (issue 13 item 9)", () => {
  it("names the key of an address space too small for two subnets", () => {
    expect(problems({ mode: "private", addressSpace: "10.40.0.0/25" })).toEqual([
      { key: "serverless-platform:network.addressSpace", message: '"10.40.0.0/25" must be /8 to /24 (room for two subnets)' },
    ]);
  });

  it("names the key of a subnet outside the space", () => {
    expect(problems({ mode: "private", addressSpace: "10.40.0.0/16", appsSubnetPrefix: "10.50.0.0/24" })).toEqual([
      { key: "serverless-platform:network.appsSubnetPrefix", message: '"10.50.0.0/24" is not inside addressSpace "10.40.0.0/16"' },
    ]);
  });

  it("accepts the default plan and ignores public mode", () => {
    expect(problems({ mode: "private", addressSpace: "10.40.0.0/16" })).toEqual([]);
    expect(problems({ mode: "public", addressSpace: "10.40.0.0/25" })).toEqual([]);
  });
});
