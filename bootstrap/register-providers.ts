/**
 * Registers (or, with `--check`, only checks) the resource providers the platform needs on a
 * subscription: see resource-providers.ts for the list and why.
 *
 *   npx tsx bootstrap/register-providers.ts --subscription <id>           # an administrator, once
 *   npx tsx bootstrap/register-providers.ts --subscription <id> --check   # deploy.yml, before `up`
 *
 * Signs in with DefaultAzureCredential (the Azure CLI session, or the workflow's OIDC login).
 * Exit codes: 0 all registered, 1 some missing (the message says which and how to fix), 2 usage or
 * ARM error.
 */
import { parseArgs } from "node:util";
import { armProviderApi, checkProviders, missingProvidersMessage, registerProviders } from "./resource-providers";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { subscription: { type: "string" }, check: { type: "boolean", default: false } },
    strict: true,
  });
  const subscription = values.subscription ?? process.env.ARM_SUBSCRIPTION_ID ?? process.env.AZURE_SUBSCRIPTION_ID;
  if (!subscription) {
    console.error("error: --subscription <id> is required (or ARM_SUBSCRIPTION_ID)");
    return 2;
  }
  const { DefaultAzureCredential } = await import("@azure/identity");
  const credential = new DefaultAzureCredential();
  const api = armProviderApi(subscription, async () => {
    const token = await credential.getToken("https://management.azure.com/.default");
    if (!token) throw new Error("no ARM token: sign in with `az login` (or the workflow's azure/login step)");
    return token.token;
  });
  const statuses = values.check ? await checkProviders(api) : await registerProviders(api);
  const message = missingProvidersMessage(statuses, subscription);
  if (message) {
    console.error(`error: ${message}`);
    return 1;
  }
  console.log(`all ${statuses.length} resource providers the platform needs are registered on ${subscription}: ${statuses.map((s) => s.namespace).join(", ")}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
