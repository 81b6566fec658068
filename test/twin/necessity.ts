/**
 * The necessary-and-sufficient check on a running twin: every role assignment the scenarios used is
 * revoked in turn (live: the authorizer decides per request), the system is exercised again (an order
 * through the gateway, a malformed message on each owned queue), and a request of the grant's principal
 * for one of the grant's data actions within its scope must be refused with 403. Returns the grants whose
 * removal changed nothing (should be none), and prints the granted data actions no scenario used.
 */
import type { Twin } from "../../engine/twin";
import type { RoleAssignmentModel } from "../../engine/twin/model";
import { actionMatches, roleActions, scopeContains } from "../../engine/twin/rbac";
import { createOrder, putRaw, waitFor } from "./support";

/** Does this denial fall under what `grant` would have allowed? */
const deniedBy = (grant: RoleAssignmentModel) => (d: { principalId: string; actions: readonly string[]; resource: string }) =>
  d.principalId.toLowerCase() === grant.principalId.toLowerCase() &&
  roleActions(grant).some((p) => d.actions.some((a) => actionMatches(p, a))) &&
  (scopeContains(grant.scope, d.resource) || scopeContains(d.resource, grant.scope));

export async function grantsWithoutEffect(twin: Twin): Promise<string[]> {
  const used = [...twin.authorizer.used.keys()].sort();
  if (used.length < 5) return [`only ${used.length} grants were used by the scenarios: run them first`];
  const queues = twin.model.queues.map((q) => q.name).filter((q) => !q.endsWith("-poison"));
  const failures: string[] = [];
  for (const name of used) {
    const grant = twin.model.roleAssignments.find((a) => a.name === name)!;
    const since = twin.authorizer.denials.length;
    twin.authorizer.revoke(name);
    try {
      // The product's rate limit (60 calls/min) applies to the scenarios too: wait it out when hit.
      let created = await createOrder(twin).catch(() => undefined);
      if (created?.status === 429) {
        await new Promise((r) => setTimeout(r, 1000 * Number(created?.headers.get("retry-after") ?? 5)));
        created = await createOrder(twin).catch(() => undefined);
      }
      for (const queue of queues) await putRaw(twin, queue, Buffer.from("{").toString("base64"));
      await waitFor(
        () => (twin.authorizer.denials.slice(since).some(deniedBy(grant)) ? true : undefined),
        () => `no 403 for ${name}`,
        20_000,
      ).catch(() => failures.push(`${name} (${grant.scope}): nothing failed without it`));
    } finally {
      twin.authorizer.restore(name);
    }
  }
  const unused = twin.authorizer.unusedGrants();
  console.log(
    `twin (${twin.model.stack}): granted data actions no scenario used (candidates to narrow):\n` +
      unused.map((u) => `  ${u.assignment} [${u.role}] ${u.unusedActions.map((a) => a.split("/").slice(-2).join("/")).join(", ")}`).join("\n"),
  );
  return failures;
}
