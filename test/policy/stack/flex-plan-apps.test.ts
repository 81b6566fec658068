import { describe, expect, it } from "vitest";
import { checkStack, rule, set, with_, type StackRes } from "../harness";
import { T, classicApp, flexApp, flexPlan } from "../resources";

const policy = rule("flex-plan-apps");
const plan: StackRes = { type: T.plan, name: "orders-plan", props: flexPlan };
const app: StackRes = { type: T.app, name: "orders-app", props: flexApp, deps: { serverFarmId: ["orders-plan"] } };
const settings = (properties: Record<string, string>): StackRes => ({
  type: T.appSettings,
  name: "orders-settings",
  props: { name: "contoso-func-orders-p", resourceGroupName: "contoso-platform-p", properties },
  deps: { name: ["orders-app"] },
});

describe("flex-plan-apps", () => {
  it("passes one Flex app with functionAppConfig on a reserved FC1 plan", () => {
    expect(checkStack(policy, [plan, app, settings({ CUSTOM_SETTING: "x" })])).toEqual({ violations: [], applicable: true });
  });

  it("flags an app on an FC1 plan without functionAppConfig, and what it carries that Flex rejects", () => {
    const legacy: StackRes = { type: T.app, name: "orders-app", props: set(classicApp, "serverFarmId", flexApp.serverFarmId) };
    const messages = checkStack(policy, [plan, legacy]).violations.map((v) => v.message);
    expect(messages).toEqual([
      expect.stringMatching(/app "orders-app" is on FC1 plan "orders-plan" but has no functionAppConfig/),
      expect.stringMatching(/remove app setting FUNCTIONS_EXTENSION_VERSION/),
      expect.stringMatching(/remove app setting FUNCTIONS_WORKER_RUNTIME/),
      expect.stringMatching(/remove siteConfig\.linuxFxVersion/),
      expect.stringMatching(/remove siteConfig\.ftpsState/),
    ]);
  });

  it("finds the plan through serverFarmId when there is no dependency", () => {
    const legacy: StackRes = { type: T.app, name: "orders-app", props: with_(classicApp, { serverFarmId: flexApp.serverFarmId, siteConfig: {} }) };
    expect(checkStack(policy, [plan, legacy]).violations).toHaveLength(1);
  });

  it("flags two apps on one FC1 plan", () => {
    const second: StackRes = { type: T.app, name: "second-app", props: set(flexApp, "name", "contoso-func-second-p"), deps: { serverFarmId: ["orders-plan"] } };
    const { violations } = checkStack(policy, [plan, app, second]);
    expect(violations).toEqual([{ name: "orders-plan", message: expect.stringMatching(/hosts 2 apps \(orders-app, second-app\): Flex Consumption allows one app per plan/) }]);
  });

  it("flags an FC1 plan that is not reserved (Linux)", () => {
    const { violations } = checkStack(policy, [{ ...plan, props: set(flexPlan, "reserved", undefined) }, app]);
    expect(violations).toEqual([{ name: "orders-plan", message: expect.stringMatching(/has reserved unset: set reserved: true/) }]);
  });

  it("flags Flex-rejected settings in a separate WebAppApplicationSettings", () => {
    const { violations } = checkStack(policy, [plan, app, settings({ WEBSITE_RUN_FROM_PACKAGE: "1", SCM_DO_BUILD_DURING_DEPLOYMENT: "false" })]);
    expect(violations.map((v) => [v.name, v.message])).toEqual([
      ["orders-settings", expect.stringMatching(/app settings "orders-settings" of Flex Consumption app "orders-app": remove app setting WEBSITE_RUN_FROM_PACKAGE/)],
      ["orders-settings", expect.stringMatching(/SCM_DO_BUILD_DURING_DEPLOYMENT/)],
    ]);
  });

  it("checks separate settings of a Flex app even without an FC1 plan in the stack", () => {
    const { violations } = checkStack(policy, [{ ...app, deps: {} }, settings({ FUNCTIONS_WORKER_RUNTIME: "node" })]);
    expect(violations).toHaveLength(1);
  });

  it("does not apply without Flex plans or apps", () => {
    const dedicated: StackRes = { type: T.plan, name: "p", props: set(flexPlan, "sku", { name: "P1v3", tier: "PremiumV3" }) };
    expect(checkStack(policy, [dedicated, { type: T.app, name: "a", props: classicApp }]).applicable).toBe(false);
  });
});
