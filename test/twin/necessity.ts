/**
 * The necessary-and-sufficient check on a running twin, over EVERY data-plane role assignment in the plan
 * (not only those the scenarios happened to use): each assignment is revoked (live: the authorizer decides
 * per request), the system is driven again by the drills below, and the assignment's principal must be
 * refused with 403 for one of the assignment's data actions within its scope (the denial names the identity,
 * the action and the scope). An assignment whose removal changes nothing is reported.
 *
 * Speed without losing the "one at a time" meaning: authorization is decided per principal, so assignments
 * of different principals are revoked together (a batch never holds two of the same principal), and a 403
 * of principal P is attributable to P's one revoked assignment. An assignment whose batch showed no 403
 * (its path may have been cut upstream by another principal's removal) is tried again alone.
 */
import type { Twin } from "../../engine/twin";
import type { RoleAssignmentModel } from "../../engine/twin/model";
import { actionMatches, roleActions, roleName, scopeContains } from "../../engine/twin/rbac";
import { callGateway, createOrder, putRaw, waitFor } from "./support";

/**
 * Assignments the twin cannot show necessary, each with the reason (the test asserts this exact list, so a
 * new unexercised grant, or one of these becoming exercised, fails it). Keyed by assignment name suffix.
 */
export const NOT_EXERCISED: Readonly<Record<string, string>> = {};

const isNotExercised = (name: string): boolean => Object.keys(NOT_EXERCISED).some((k) => name === k || name.endsWith(`-${k}`));

/** Does this denial fall under what `grant` would have allowed? */
export const deniedBy = (grant: RoleAssignmentModel) => (d: { principalId: string; actions: readonly string[]; resource: string }) =>
  d.principalId.toLowerCase() === grant.principalId.toLowerCase() &&
  roleActions(grant).some((p) => d.actions.some((a) => actionMatches(p, a))) &&
  (scopeContains(grant.scope, d.resource) || scopeContains(d.resource, grant.scope));

/** Every data-plane assignment (control-plane roles grant no data action). */
export function dataPlaneAssignments(twin: Twin): RoleAssignmentModel[] {
  return twin.model.roleAssignments.filter((a) => roleActions(a).length > 0);
}

let drillCounter = 0;

/**
 * Drives every path the plan's grants serve: an order through the gateway (orders → fulfillment → status →
 * change feed → topic → subscription → notifications → webhook), a catalog write and read, a malformed
 * message on each queue (receive, retry, poison), an event the subscription cannot deliver (retries, then
 * dead-lettering as its dead-letter identity), and the hosts' own background work (lock renewal,
 * telemetry), which runs by itself.
 */
export async function drill(twin: Twin): Promise<void> {
  drillCounter++;
  let created = await createOrder(twin).catch(() => undefined);
  if (created?.status === 429) {
    await new Promise((r) => setTimeout(r, 1000 * Number(created?.headers.get("retry-after") ?? 5)));
    created = await createOrder(twin).catch(() => undefined);
  }
  const sku = `SKU-DRILL-${drillCounter}`;
  await callGateway(twin, "PUT", `/catalog/v1/products/${sku}`, { api: "catalog", roles: ["Catalog.Write"], body: { name: "Drill cup", currency: "EUR", priceMinor: 100 } }).catch(() => undefined);
  await callGateway(twin, "GET", `/catalog/v1/products/${sku}`, { api: "catalog", roles: ["Catalog.Read"] }).catch(() => undefined);
  for (const queue of twin.model.queues.map((q) => q.name).filter((q) => !q.endsWith("-poison"))) {
    await putRaw(twin, queue, Buffer.from("{").toString("base64"));
  }
  await undeliverableEvent(twin);
}

/**
 * Publishes one event as the topic's publisher while the subscription's delivery identity cannot write its
 * queue (its grants there revoked for the duration): Event Grid retries, then dead-letters. With the
 * schedule scaled by `timeScale` so the 30 attempts take well under a second.
 */
export async function undeliverableEvent(twin: Twin, timeScale = 0.000_001): Promise<string> {
  const sub = twin.model.subscriptions[0];
  if (!sub?.deliveryIdentity) throw new Error("the plan has no subscription with a delivery identity");
  const topic = twin.model.topics.find((t) => t.name === sub.topic)!;
  const queue = twin.model.queues.find((q) => q.name === sub.destination.queue && q.account === sub.destination.account)!;
  const blocking = twin.model.roleAssignments.filter(
    (a) => a.principalId === sub.deliveryIdentity!.principalId && scopeContains(a.scope, queue.resourceId) && !twin.authorizer.isRevoked(a.name),
  );
  const publisher = twin.model.roleAssignments.find((a) => roleName(a.roleDefinitionGuid) === "EventGrid Data Sender" && scopeContains(a.scope, topic.resourceId));
  if (!publisher) throw new Error(`no EventGrid Data Sender on ${topic.name} in the plan`);
  const id = `drill-${Date.now()}-${drillCounter}`;
  const scale = twin.eventGrid!.timeScale;
  for (const a of blocking) twin.authorizer.revoke(a.name);
  twin.eventGrid!.timeScale = timeScale;
  try {
    const token = twin.identityEndpoint.tokenFor({ principalId: publisher.principalId }, "https://eventgrid.azure.net");
    const r = await twin.call(twin.eventGrid!.endpointFor(topic), {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/cloudevents-batch+json; charset=utf-8" },
      body: JSON.stringify([{ specversion: "1.0", id, source: "/twin/drill", type: sub.includedEventTypes?.[0] ?? "Drill", subject: "/drill", data: {} }]),
    });
    if (r.status === 200) {
      await waitFor(() => (twin.eventGrid!.deliveries.some((d) => d.eventId === id) ? true : undefined), () => `event ${id} neither delivered nor dead-lettered`, 10_000, 50);
    }
  } finally {
    for (const a of blocking) twin.authorizer.restore(a.name);
    twin.eventGrid!.timeScale = scale;
  }
  return id;
}

export interface NecessityResult {
  /** assignment → the 403 that its removal caused (identity, action, scope). */
  readonly proven: ReadonlyMap<string, string>;
  /** Assignments whose removal made nothing fail (and are not in NOT_EXERCISED). */
  readonly withoutEffect: readonly string[];
  /** NOT_EXERCISED entries of this plan that did turn out necessary (the list must then shrink). */
  readonly unexpectedlyProven: readonly string[];
}

async function tryBatch(twin: Twin, batch: readonly RoleAssignmentModel[], timeoutMs: number, proven: Map<string, string>): Promise<void> {
  const since = twin.authorizer.denials.length;
  for (const g of batch) twin.authorizer.revoke(g.name);
  try {
    const driving = drill(twin).catch(() => undefined);
    await waitFor(
      () => {
        for (const g of batch) {
          if (proven.has(g.name)) continue;
          const d = twin.authorizer.denials.slice(since).find(deniedBy(g));
          if (d) proven.set(g.name, d.message);
        }
        // Grants listed in NOT_EXERCISED are revoked too (a 403 would show the list is stale) but not waited for.
        return batch.every((g) => proven.has(g.name) || isNotExercised(g.name)) ? true : undefined;
      },
      () => "",
      timeoutMs,
      100,
    ).catch(() => undefined);
    await driving;
  } finally {
    for (const g of batch) twin.authorizer.restore(g.name);
  }
}

/**
 * The grants the drill itself publishes with (undeliverableEvent sends as the topic's EventGrid Data Sender):
 * revoked in a batch, they would stop the dead-letter path that proves other principals' grants.
 */
function drillPublishers(twin: Twin): Set<string> {
  const topics = twin.model.topics.map((t) => t.resourceId);
  return new Set(twin.model.roleAssignments.filter((a) => roleName(a.roleDefinitionGuid) === "EventGrid Data Sender" && topics.some((t) => scopeContains(a.scope, t))).map((a) => a.name));
}

export async function checkNecessity(twin: Twin, only?: (a: RoleAssignmentModel) => boolean): Promise<NecessityResult> {
  const grants = dataPlaneAssignments(twin).filter((a) => !only || only(a));
  const publishers = drillPublishers(twin);
  const byPrincipal = new Map<string, RoleAssignmentModel[]>();
  // The drill's publishing grants come last in their principal's list: batched with the first grants of
  // the other principals, they would cut the paths that prove them (the batch then waits out its timeout).
  for (const g of [...grants.filter((x) => !publishers.has(x.name)), ...grants.filter((x) => publishers.has(x.name))]) {
    byPrincipal.set(g.principalId, [...(byPrincipal.get(g.principalId) ?? []), g]);
  }
  const rounds = Math.max(0, ...[...byPrincipal.values()].map((l) => l.length));
  const proven = new Map<string, string>();
  for (let i = 0; i < rounds; i++) {
    const batch = [...byPrincipal.values()].flatMap((l) => (l[i] ? [l[i]!] : []));
    await tryBatch(twin, batch, 8_000, proven);
  }
  // Alone, with more time: only what the batches did not settle.
  for (const g of grants.filter((x) => !proven.has(x.name) && !isNotExercised(x.name))) await tryBatch(twin, [g], 15_000, proven);
  return {
    proven,
    withoutEffect: grants.filter((g) => !proven.has(g.name) && !isNotExercised(g.name)).map((g) => `${g.name} [${roleName(g.roleDefinitionGuid)}] on ${g.scope}: nothing failed without it`),
    unexpectedlyProven: grants.filter((g) => proven.has(g.name) && isNotExercised(g.name)).map((g) => g.name),
  };
}

/**
 * A grant's shape, independent of the stack: its logical name, role, the principal's logical name and its
 * scope with the physical names (which differ per stack) replaced by their kind. Two grants of the same
 * shape are exercised by the same requests.
 */
export function grantShape(twin: Twin, g: RoleAssignmentModel): string {
  const principal =
    twin.model.identities.find((i) => i.principalId === g.principalId)?.name ??
    (twin.model.gateway?.principalId === g.principalId ? "gateway (system-assigned)" : undefined) ??
    (twin.model.topics.some((t) => t.systemIdentity?.principalId === g.principalId) ? "topic (system-assigned)" : g.principalId);
  const scope = g.scope
    .replace(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\//i, "")
    .replace(/(storageAccounts|databaseAccounts|components|topics)\/[^/]+/g, "$1/*");
  return `${g.name} | ${roleName(g.roleDefinitionGuid)} | ${principal} | ${scope}`;
}
