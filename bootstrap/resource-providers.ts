/**
 * The Azure resource providers the platform needs registered on its subscription, and the ARM calls
 * that check and register them.
 *
 * A fresh subscription has only a few providers registered. azure-native PUTs resources directly and
 * never registers a namespace (pulumi-azure-native#3479), so `pulumi up` fails on the first resource of
 * an unregistered one with `MissingSubscriptionRegistration`; Flex Consumption VNet integration fails
 * with a generic "An error has occurred" when `Microsoft.App` is missing (the integration subnet is
 * delegated to `Microsoft.App/environments`: Microsoft Learn, "Azure Functions networking options",
 * Flex Consumption virtual network integration).
 *
 * Registration is an administrator's decision ("Register a resource provider only when you're ready to
 * use it": Microsoft Learn, "Azure resource providers and types"), so the bootstrap registers them
 * (`npx tsx bootstrap/register-providers.ts`) and the deploy workflow only checks them before `up`
 * (`--check`). `test/bootstrap/resource-providers.test.ts` fails when a stack's plan uses a namespace
 * this list does not name.
 */

/** A namespace and why the platform needs it (shown by the check). */
export interface RequiredProvider {
  readonly namespace: string;
  readonly why: string;
}

export const REQUIRED_RESOURCE_PROVIDERS: readonly RequiredProvider[] = [
  { namespace: "Microsoft.Web", why: "Flex Consumption plans and Function Apps" },
  { namespace: "Microsoft.App", why: "Flex Consumption VNet integration (subnet delegated to Microsoft.App/environments)" },
  { namespace: "Microsoft.Storage", why: "host storage and the messaging account (queues)" },
  { namespace: "Microsoft.DocumentDB", why: "Cosmos DB" },
  { namespace: "Microsoft.EventGrid", why: "Event Grid topics and subscriptions" },
  { namespace: "Microsoft.ApiManagement", why: "the API gateway" },
  { namespace: "Microsoft.KeyVault", why: "Key Vault" },
  { namespace: "Microsoft.ManagedIdentity", why: "the apps' user-assigned identities" },
  { namespace: "Microsoft.Insights", why: "Application Insights, diagnostic settings, alerts, action groups" },
  { namespace: "Microsoft.OperationalInsights", why: "the Log Analytics workspace" },
  { namespace: "Microsoft.Network", why: "VNet, private endpoints and private DNS zones (network.mode private)" },
];

/**
 * Registered on every subscription from the start (Microsoft Learn, "Azure resource providers and
 * types": Microsoft.Resources and Microsoft.Authorization are among the providers registered by
 * default): never checked.
 */
export const DEFAULT_REGISTERED_PROVIDERS: readonly string[] = ["Microsoft.Resources", "Microsoft.Authorization"];

/** ARM `registrationState` values (Providers - Get, api-version 2021-04-01). */
export type RegistrationState = "Registered" | "NotRegistered" | "Registering" | "Unregistering" | string;

/** The two ARM calls this module needs; tests pass a fake. */
export interface ProviderApi {
  /** `GET /subscriptions/{id}/providers/{namespace}` → its `registrationState`. */
  state(namespace: string): Promise<RegistrationState>;
  /** `POST /subscriptions/{id}/providers/{namespace}/register`. */
  register(namespace: string): Promise<void>;
}

export interface ProviderStatus {
  readonly namespace: string;
  readonly state: RegistrationState;
  readonly why: string;
}

/** The state of every required provider. */
export async function checkProviders(api: ProviderApi, required = REQUIRED_RESOURCE_PROVIDERS): Promise<ProviderStatus[]> {
  return Promise.all(required.map(async (p) => ({ namespace: p.namespace, why: p.why, state: await api.state(p.namespace) })));
}

/** The message the deploy workflow prints when a provider is missing; undefined when all are registered. */
export function missingProvidersMessage(statuses: readonly ProviderStatus[], subscriptionId: string): string | undefined {
  const missing = statuses.filter((s) => s.state !== "Registered");
  if (missing.length === 0) return undefined;
  return [
    `${missing.length} resource provider(s) are not registered on subscription ${subscriptionId}; \`pulumi up\` would fail on the first resource of each (MissingSubscriptionRegistration):`,
    ...missing.map((s) => `  - ${s.namespace} (${s.state}): ${s.why}`),
    "Fix (an administrator, once per subscription): npx tsx bootstrap/register-providers.ts --subscription " + subscriptionId,
    `or: ${missing.map((s) => `az provider register --namespace ${s.namespace}`).join(" && ")}`,
  ].join("\n");
}

export interface RegisterOptions {
  /** How long to wait for every provider to reach Registered. @default 600 000 ms */
  readonly timeoutMs?: number;
  /** @default 10 000 ms */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/**
 * Registers every required provider that is not registered, then waits (bounded) until all are
 * Registered. Registration is idempotent; nothing is ever unregistered (other workloads may use them).
 */
export async function registerProviders(api: ProviderApi, options: RegisterOptions = {}, required = REQUIRED_RESOURCE_PROVIDERS): Promise<ProviderStatus[]> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + (options.timeoutMs ?? 600_000);
  let statuses = await checkProviders(api, required);
  for (const s of statuses) if (s.state === "NotRegistered" || s.state === "Unregistering") await api.register(s.namespace);
  for (;;) {
    statuses = await checkProviders(api, required);
    const pending = statuses.filter((s) => s.state !== "Registered");
    if (pending.length === 0) return statuses;
    if (now() >= deadline) {
      throw new Error(`resource provider registration did not finish in time: ${pending.map((s) => `${s.namespace} (${s.state})`).join(", ")}; run again later`);
    }
    await sleep(options.pollMs ?? 10_000);
  }
}

/** Providers API version (Microsoft.Resources "Providers - Get" / "Providers - Register"). */
export const PROVIDERS_API_VERSION = "2021-04-01";

/** The ARM REST implementation over `fetch` and a bearer token for `https://management.azure.com/.default`. */
export function armProviderApi(
  subscriptionId: string,
  getToken: () => Promise<string>,
  fetchImpl: typeof fetch = fetch,
  armEndpoint = "https://management.azure.com",
): ProviderApi {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(subscriptionId)) {
    throw new Error(`subscription id must be a GUID, got "${subscriptionId}"`);
  }
  const url = (namespace: string, suffix = ""): string =>
    `${armEndpoint}/subscriptions/${subscriptionId}/providers/${encodeURIComponent(namespace)}${suffix}?api-version=${PROVIDERS_API_VERSION}`;
  const call = async (method: "GET" | "POST", target: string): Promise<Record<string, unknown>> => {
    const response = await fetchImpl(target, { method, headers: { Authorization: `Bearer ${await getToken()}`, Accept: "application/json" } });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${target.replace(/\?.*$/, "")} answered ${response.status}: ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  return {
    async state(namespace) {
      const body = await call("GET", url(namespace));
      return typeof body.registrationState === "string" ? body.registrationState : "Unknown";
    },
    async register(namespace) {
      await call("POST", url(namespace, "/register"));
    },
  };
}
