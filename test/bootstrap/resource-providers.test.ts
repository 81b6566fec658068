import { beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_REGISTERED_PROVIDERS,
  REQUIRED_RESOURCE_PROVIDERS,
  armProviderApi,
  checkProviders,
  missingProvidersMessage,
  registerProviders,
  type ProviderApi,
} from "../../bootstrap/resource-providers";
import type { Plan } from "../../engine/plan-format";
import { stackPlan } from "../helpers/stack-plans";

const SUB = "11111111-2222-4333-8444-555555555555";

/** A subscription whose providers register after `delay` polls. */
function fakeSubscription(initial: Record<string, string>, delay = 1): ProviderApi & { registered: string[] } {
  const states = new Map(Object.entries(initial));
  const polls = new Map<string, number>();
  const registered: string[] = [];
  return {
    registered,
    async state(ns) {
      const s = states.get(ns) ?? "NotRegistered";
      if (s === "Registering") {
        const n = (polls.get(ns) ?? 0) + 1;
        polls.set(ns, n);
        if (n > delay) states.set(ns, "Registered");
      }
      return s;
    },
    async register(ns) {
      registered.push(ns);
      states.set(ns, "Registering");
    },
  };
}

const all = (state: string): Record<string, string> => Object.fromEntries(REQUIRED_RESOURCE_PROVIDERS.map((p) => [p.namespace, state]));

describe("resource provider check", () => {
  it("names each missing provider, why it is needed and the fix", async () => {
    const api = fakeSubscription({ ...all("Registered"), "Microsoft.App": "NotRegistered", "Microsoft.ApiManagement": "Registering" }, 99);
    const message = missingProvidersMessage(await checkProviders(api), SUB);
    expect(message).toMatch(/2 resource provider\(s\) are not registered on subscription 11111111/);
    expect(message).toMatch(/Microsoft\.App \(NotRegistered\): Flex Consumption VNet integration/);
    expect(message).toMatch(/Microsoft\.ApiManagement \(Registering\)/);
    expect(message).toContain(`npx tsx bootstrap/register-providers.ts --subscription ${SUB}`);
    expect(message).toContain("az provider register --namespace Microsoft.App");
    expect(api.registered).toEqual([]); // the check never registers
  });

  it("is silent when everything is registered", async () => {
    expect(missingProvidersMessage(await checkProviders(fakeSubscription(all("Registered"))), SUB)).toBeUndefined();
  });

  it("registers only what is missing and waits until all are registered", async () => {
    const api = fakeSubscription({ ...all("Registered"), "Microsoft.App": "NotRegistered", "Microsoft.Network": "NotRegistered" }, 2);
    const statuses = await registerProviders(api, { sleep: async () => {}, pollMs: 1 });
    expect(api.registered.sort()).toEqual(["Microsoft.App", "Microsoft.Network"]);
    expect(statuses.every((s) => s.state === "Registered")).toBe(true);
  });

  it("gives up after the timeout with the pending providers", async () => {
    let t = 0;
    const api = fakeSubscription({ ...all("Registered"), "Microsoft.App": "NotRegistered" }, 1_000);
    await expect(registerProviders(api, { sleep: async () => void (t += 10), now: () => t, timeoutMs: 30, pollMs: 10 })).rejects.toThrow(
      /did not finish in time: Microsoft\.App \(Registering\)/,
    );
  });

  it("calls ARM's Providers API with a bearer token", async () => {
    const calls: { url: string; method: string; auth: string }[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      calls.push({ url, method: String(init.method), auth: String((init.headers as Record<string, string>).Authorization) });
      return new Response(init.method === "GET" ? JSON.stringify({ namespace: "Microsoft.App", registrationState: "NotRegistered" }) : "", { status: 200 });
    }) as unknown as typeof fetch;
    const api = armProviderApi(SUB, async () => "tok", fetchImpl);
    expect(await api.state("Microsoft.App")).toBe("NotRegistered");
    await api.register("Microsoft.App");
    expect(calls).toEqual([
      { url: `https://management.azure.com/subscriptions/${SUB}/providers/Microsoft.App?api-version=2021-04-01`, method: "GET", auth: "Bearer tok" },
      { url: `https://management.azure.com/subscriptions/${SUB}/providers/Microsoft.App/register?api-version=2021-04-01`, method: "POST", auth: "Bearer tok" },
    ]);
    const denied = armProviderApi(SUB, async () => "tok", (async () => new Response('{"error":{"code":"AuthorizationFailed"}}', { status: 403 })) as unknown as typeof fetch);
    await expect(denied.register("Microsoft.App")).rejects.toThrow(/POST .*\/providers\/Microsoft\.App\/register answered 403: .*AuthorizationFailed/);
    expect(() => armProviderApi("not-a-guid", async () => "t")).toThrow(/GUID/);
  });
});

/**
 * The class: any resource type a stack plans, from any namespace (including the namespace a subnet is
 * delegated to, as Flex VNet integration's Microsoft.App/environments), must be in the bootstrap's list.
 */
describe("the bootstrap's list covers every namespace the stacks use", () => {
  const plans: Record<string, Plan> = {};
  beforeAll(async () => {
    [plans.dev, plans.prod] = await Promise.all([stackPlan("dev"), stackPlan("prod")]);
  }, 120_000);

  /** Namespaces in ARM ids (`/providers/<Namespace>/`) and in `serviceName` of subnet delegations. */
  function namespacesOf(plan: Plan): Map<string, string> {
    const found = new Map<string, string>();
    const visit = (value: unknown, type: string): void => {
      if (typeof value === "string") {
        for (const m of value.matchAll(/\/providers\/([A-Za-z]+\.[A-Za-z]+)\//g)) found.set(m[1]!.toLowerCase(), type);
      } else if (Array.isArray(value)) value.forEach((v) => visit(v, type));
      else if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (typeof o.serviceName === "string" && /^[A-Za-z]+\.[A-Za-z]+\//.test(o.serviceName)) found.set(o.serviceName.split("/")[0]!.toLowerCase(), `${type} (delegation)`);
        Object.values(o).forEach((v) => visit(v, type));
      }
    };
    for (const r of plan.resources.filter((x) => x.custom && x.type.startsWith("azure-native:"))) {
      visit(r.id, r.type);
      visit(r.inputs, r.type);
    }
    return found;
  }

  it.each(["dev", "prod"])("%s", (stack) => {
    const known = new Set([...REQUIRED_RESOURCE_PROVIDERS.map((p) => p.namespace), ...DEFAULT_REGISTERED_PROVIDERS].map((n) => n.toLowerCase()));
    const used = namespacesOf(plans[stack]!);
    const missing = [...used].filter(([ns]) => !known.has(ns)).map(([ns, type]) => `${ns} (used by ${type})`);
    expect(missing, "add these to REQUIRED_RESOURCE_PROVIDERS in bootstrap/resource-providers.ts").toEqual([]);
    expect(used.size).toBeGreaterThan(5);
  });

  it("includes Microsoft.App because prod's integration subnet is delegated to it", () => {
    expect([...namespacesOf(plans.prod!).keys()]).toContain("microsoft.app");
  });
});
