import { describe, expect, it } from "vitest";
import { checkStack, rule, type StackRes } from "../harness";

const policy = rule("flex-zone-redundant-always-ready");
const plan = (zoneRedundant: boolean): StackRes => ({
  type: "azure-native:web:AppServicePlan",
  name: "orders-plan",
  props: { name: "contoso-plan-orders", sku: { name: "FC1", tier: "FlexConsumption" }, reserved: true, zoneRedundant },
});
const app = (alwaysReady: { name: string; instanceCount: number }[], linked = true): StackRes => ({
  type: "azure-native:web:WebApp",
  name: "orders-app",
  props: {
    kind: "functionapp,linux",
    serverFarmId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/serverfarms/contoso-plan-orders",
    functionAppConfig: { scaleAndConcurrency: { instanceMemoryMB: 2048, maximumInstanceCount: 100, alwaysReady } },
  },
  ...(linked ? { deps: { serverFarmId: ["orders-plan"] } } : {}),
});

describe("flex-zone-redundant-always-ready", () => {
  it("passes 2 always-ready instances per group on a zone-redundant plan", () => {
    expect(checkStack(policy, [plan(true), app([{ name: "http", instanceCount: 2 }])]).violations).toEqual([]);
  });

  it("flags 1 always-ready instance on a zone-redundant plan, found through the dependency or the plan's name", () => {
    for (const linked of [true, false]) {
      const { violations } = checkStack(policy, [plan(true), app([{ name: "http", instanceCount: 2 }, { name: "function:relayOutbox", instanceCount: 1 }], linked)]);
      expect(violations).toEqual([
        {
          name: "orders-app",
          message: expect.stringMatching(/\[flex-zone-redundant-always-ready\] Flex Consumption app "orders-app" on zone-redundant plan "orders-plan": alwaysReady "function:relayOutbox" has instanceCount 1.*Fix: set instanceCount to 2 or more/),
        },
      ]);
    }
  });

  it("accepts 1 always-ready instance without zone redundancy", () => {
    expect(checkStack(policy, [plan(false), app([{ name: "http", instanceCount: 1 }])]).violations).toEqual([]);
  });
});
