/**
 * Issue 18 item 6: a stack file still holding placeholder hosts (RFC 2606/6761) must stop `pulumi up`
 * before anything is created, naming each key, while `pulumi preview` and the offline plan report them;
 * and dev must work end to end without a payment system (the gateway's mock of the back end).
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { evaluateProgram, readStackFiles } from "../../engine/plan";
import { stackPlan, stackPlanStderr } from "../helpers/stack-plans";

const root = path.resolve(__dirname, "../..");
const program = path.join(root, "index.ts");
const NS = "serverless-platform";

/** The dev stack's config with every placeholder replaced by a real-looking value. */
function devWithRealValues(): Record<string, string> {
  const { config } = readStackFiles(root, "dev");
  const monitoring = JSON.parse(config[`${NS}:monitoring`]!) as { actionGroup: { emails: string[] } };
  monitoring.actionGroup.emails = ["oncall@fabrikam.com"];
  const apim = JSON.parse(config[`${NS}:apiManagement`]!) as { publisherEmail: string };
  apim.publisherEmail = "platform@fabrikam.com";
  const services = JSON.parse(config[`${NS}:services`]!) as { notifications: { settings: { webhookUrl: string } } };
  services.notifications.settings.webhookUrl = "https://hooks.fabrikam.com/orders";
  return {
    ...config,
    [`${NS}:monitoring`]: JSON.stringify(monitoring),
    [`${NS}:apiManagement`]: JSON.stringify(apim),
    [`${NS}:services`]: JSON.stringify(services),
  };
}

// The program module must run in each test, not come from the cache (a worker runs many files: isolate is off).
beforeAll(() => vi.resetModules());
afterEach(() => {
  vi.restoreAllMocks();
  vi.resetModules();
});

describe("placeholder hosts in the stack file", () => {
  it("stop the update (pulumi up) before any resource is registered, naming each key", async () => {
    const registered = vi.spyOn(MockMonitor.prototype, "registerResource");
    const { config, secretKeys } = readStackFiles(root, "dev");
    // The program's error is caught inside the stack so the runtime's own promises settle (in a real
    // `pulumi up` the language host reports it as the update's error).
    let failure: unknown;
    await evaluateProgram({
      project: NS,
      stack: "dev",
      config,
      secretKeys,
      preview: false,
      program: async () => {
        try {
          return { ...(await import(program)) };
        } catch (e) {
          failure = e;
          return {};
        }
      },
    });
    expect(pulumi.RunError.isInstance(failure)).toBe(true); // printed alone, without a stack trace
    expect(String((failure as Error).message)).toMatch(/stack "dev" configures 3 URL\(s\) or e-mail address\(es\) on reserved host names/);
    expect(String((failure as Error).message)).toMatch(/services\.notifications\.settings\.webhookUrl[\s\S]*monitoring\.actionGroup\.emails\[0\][\s\S]*apiManagement\.publisherEmail/);
    // Only the stack itself (pulumi:pulumi:Stack, which holds nothing) was registered.
    const types = registered.mock.calls.map((c) => (c[0] as { getType(): string }).getType());
    expect(types).toEqual(["pulumi:pulumi:Stack"]);
  }, 60_000);

  it("are reported, not fatal, in the offline plan (a preview)", async () => {
    // The run's shared dev plan: `planStack({ stack: "dev", projectDir: <repo> })` in a child, with
    // what it printed on stderr (console.warn and console.error).
    const plan = await stackPlan("dev");
    expect(plan.resources.length).toBeGreaterThan(100);
    const printed = await stackPlanStderr("dev");
    expect(printed).toMatch(/serverless-platform:apiManagement\.publisherEmail: "platform@contoso\.example" uses the reserved name "example"/);
  }, 180_000); // a whole-program evaluation: 20-75 s on a loaded 2-core machine

  it("once set, let the update run; dev's fulfillment then pays through the gateway's mock of the back end", async () => {
    const { secretKeys } = readStackFiles(root, "dev");
    const plan = await evaluateProgram({ project: NS, stack: "dev", config: devWithRealValues(), secretKeys, preview: false, program: async () => ({ ...(await import(program)) }) });
    const fulfillment = plan.resources.find((r) => r.type === "azure-native:web:WebApp" && r.name === "fulfillment-app")!;
    const settings = (fulfillment.inputs.siteConfig as { appSettings: { name: string; value: string }[] }).appSettings;
    const gatewayUrl = String(plan.outputs.gatewayUrl);
    expect(settings.find((s) => s.name === "BACKEND_PAYMENT_URL")?.value).toBe(`${gatewayUrl}/payment/v1`);
    // The mock answers both paths fulfillment calls, each with its 201 example.
    const mocks = plan.resources.filter((r) => r.type === "azure-native:apimanagement:ApiOperationPolicy" && r.inputs.apiId === "payment-v1");
    expect(mocks.map((m) => [m.inputs.operationId, /<mock-response status-code="201" content-type="application\/json" \/>/.test(String(m.inputs.value))])).toEqual([
      ["charge", true],
      ["refund", true],
    ]);
  }, 180_000);
});
