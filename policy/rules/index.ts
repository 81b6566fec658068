/**
 * Every policy of the pack, importable without starting the analyzer: `policy/index.ts` hands this
 * list to `new PolicyPack(...)`, the offline runner (`engine/policy-runner.ts`) and the tests use it
 * directly.
 */
import { PROD_ONLY_TAG, isStackPolicy, type PlatformPolicy } from "./common";
import { apimPolicies } from "./apim";
import { rbacPolicies } from "./rbac";
import { secretPolicies } from "./secrets";
import { networkPolicies } from "./network";
import { entraPolicies } from "./entra";
import { cosmosPolicies } from "./cosmos";
import { deploySafetyPolicies } from "./deploy-safety";
import { eventGridPolicies } from "./eventgrid";
import { flexPolicies } from "./flex";
import { governancePolicies } from "./governance";
import { identityPolicies } from "./identity";
import { keyVaultPolicies } from "./keyvault";
import { monitoringPolicies } from "./monitoring";
import { planPolicies } from "./plans";
import { serviceBusPolicies } from "./servicebus";
import { storagePolicies } from "./storage";
import { nodeVersionPolicies, webPolicies } from "./web";
import { runtimeSafetyPolicies } from "./runtime-safety";

export { PROD_ONLY_TAG, isStackPolicy, type PlatformPolicy } from "./common";

/** The pack's policies, by family. */
export const policyFamilies = {
  web: webPolicies,
  flex: flexPolicies,
  plans: planPolicies,
  storage: storagePolicies,
  cosmos: cosmosPolicies,
  keyvault: keyVaultPolicies,
  apim: apimPolicies,
  rbac: rbacPolicies,
  secrets: secretPolicies,
  network: networkPolicies,
  entra: entraPolicies,
  monitoring: monitoringPolicies,
  eventgrid: eventGridPolicies,
  servicebus: serviceBusPolicies,
  governance: governancePolicies,
  identity: identityPolicies,
  deploySafety: deploySafetyPolicies,
  runtimeSafety: runtimeSafetyPolicies,
} as const satisfies Record<string, readonly PlatformPolicy[]>;

export interface PolicyOptions {
  /**
   * The clock of the date-dependent rules (Node.js end of life). Tests pin it so a rule's verdict
   * does not change with the calendar. @default the system clock
   */
  readonly now?: () => Date;
}

/** The pack's policies, in a stable order; `options.now` pins the clock of the date rules. */
export function createPolicies(options: PolicyOptions = {}): PlatformPolicy[] {
  const all = Object.values(policyFamilies).flat();
  if (!options.now) return all;
  const pinned = new Map(nodeVersionPolicies(options.now).map((p) => [p.name, p]));
  return all.map((p) => pinned.get(p.name) ?? p);
}

/** Every policy of the pack, in a stable order (system clock). */
export const policies: readonly PlatformPolicy[] = createPolicies();

/** Names of the catalog's "(prod)" rules: mandatory in prod, advisory in dev. */
export const prodOnlyPolicyNames: readonly string[] = policies.filter((p) => p.tags?.includes(PROD_ONLY_TAG)).map((p) => p.name);

/** Names of the stack policies. */
export const stackPolicyNames: readonly string[] = policies.filter(isStackPolicy).map((p) => p.name);

const seen = new Set<string>();
for (const p of policies) {
  if (seen.has(p.name)) throw new Error(`policy name "${p.name}" is used twice`);
  seen.add(p.name);
}
