/**
 * The architecture diagram, generated from a plan: a Mermaid `flowchart LR` of the gateway and the
 * APIs it routes, the Function Apps, the queues they send to and process, the Event Grid topics they
 * publish to (and the queues those deliver to), the Cosmos DB databases they read and write, and the
 * existing (non-serverless) back ends. Edges come from the plan's resources (APIM APIs, back ends and
 * policies; role assignments; event subscriptions; app settings), so the diagram changes with the plan.
 *
 * Made to be read in a pull request (about 800 px wide): nodes carry logical names (the service, the
 * queue, the database, the back end's host — never a physical name with its random suffix); each
 * service is a subgraph holding its app and the databases only it writes; a queue is the edge it
 * carries (sender → consumer, labelled with the queue's name), so the diagram has a node per service
 * rather than per queue; the gateway's routes to one app are one edge; shared pieces (gateway,
 * topics, existing back ends) sit outside. `scripts/render-diagram.ts` renders it with the Mermaid
 * CLI at 800 px to check it by eye.
 */
import type { Plan, PlannedResource } from "./plan-format";
import { describeSystem, type FunctionAppModel, type QueueModel, type CosmosDatabaseModel } from "./cost/plan-model";

/** A Mermaid-safe node id: letters, digits and underscores, prefixed by the node's kind. */
export function nodeId(kind: string, name: string): string {
  return `${kind}_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/** A label inside `"..."`: Mermaid reads `#quot;` etc. as entities; `<br/>` breaks the line. */
function label(...lines: string[]): string {
  const escape = (s: string): string =>
    s.replace(/&/g, "#amp;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
  return `"${lines.map(escape).join("<br/>")}"`;
}

function hostAndPath(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return url;
  }
}

/** The logical name a reader knows a resource by: its component's name when it is the component's main resource. */
function logicalName(r: PlannedResource, byUrn: ReadonlyMap<string, PlannedResource>): string {
  const parent = r.parent ? byUrn.get(r.parent) : undefined;
  return parent && !parent.custom && parent.type !== "pulumi:pulumi:Stack" ? parent.name : r.name;
}

/** An existing back end by its host's first label ("payments-dev"): short and stable. */
function externalName(url: string): string {
  const host = hostAndPath(url).split("/")[0]!;
  return host.split(".")[0] || host;
}

/** Tighter spacing than Mermaid's defaults (50/50): the diagram is read in a ~800 px comment. */
const INIT = `%%{init: {"flowchart": {"nodeSpacing": 24, "rankSpacing": 44}}}%%`;

/** Renders the plan's architecture as Mermaid flowchart text (without the code fence). */
export function renderDiagram(plan: Plan): string {
  const model = describeSystem(plan);
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const service = (app: FunctionAppModel): string => logicalName(app.resource, byUrn);
  const appId = (app: FunctionAppModel): string => nodeId("app", service(app));
  const dbId = (d: CosmosDatabaseModel): string => nodeId("db", d.name);
  const queueKey = (q: QueueModel): string => `${q.account}/${q.name}`;

  // Where each node lives: a service's subgraph, or outside (shared).
  const home = new Map<string, string>();
  const shapes = new Map<string, string>();
  const put = (id: string, shape: string): string => {
    if (!shapes.has(id)) shapes.set(id, shape);
    return id;
  };
  const edges = new Map<string, { from: string; to: string; labels: Set<string> }>();
  const edge = (from: string, to: string, text: string): void => {
    const k = `${from}>${to}`;
    const e = edges.get(k) ?? { from, to, labels: new Set<string>() };
    e.labels.add(text);
    edges.set(k, e);
  };
  const external = (url: string): string => put(nodeId("ext", externalName(url)), `[/${label(externalName(url), "existing back end")}/]`);

  for (const app of model.apps) {
    const ready = app.alwaysReady.reduce((n, r) => n + r.instanceCount, 0);
    const size = app.flex ? `Flex ${app.instanceMemoryMB} MB${ready > 0 ? `, ${ready} ready` : ""}` : "Function App";
    home.set(put(appId(app), `[${label(service(app), size)}]`), service(app));
  }
  for (const g of model.gateways) {
    const name = logicalName(g.resource, byUrn);
    const gw = put(nodeId("apim", name), `{{${label(name, `APIM ${g.sku}`)}}}`);
    edge(put("clients", `([${label("Clients")}])`), gw, "HTTPS");
    // One edge per target: "orders, health" rather than two parallel arrows.
    for (const r of g.routes) edge(gw, r.app ? appId(r.app) : external(r.url), r.label.split("/")[0]!);
  }

  // A queue is drawn as the edge it carries (sender → consumer, labelled with its name); a queue
  // without both ends stays a node so nothing is hidden.
  const senders = new Map<string, string[]>();
  const consumers = new Map<string, string[]>();
  const queues = new Map<string, QueueModel>();
  const add = (m: Map<string, string[]>, k: string, v: string): void => void m.set(k, [...(m.get(k) ?? []), v]);
  const writers = new Map<string, Set<string>>();
  for (const u of model.uses) {
    const app = appId(u.app);
    switch (u.target.type) {
      case "queue":
        queues.set(queueKey(u.target.queue), u.target.queue);
        add(u.kind === "processes" ? consumers : senders, queueKey(u.target.queue), app);
        break;
      case "topic": {
        const name = logicalName(u.target.topic.resource, byUrn);
        edge(app, put(nodeId("topic", name), `>${label(name, "Event Grid topic")}]`), u.kind);
        break;
      }
      case "database": {
        const db = put(dbId(u.target.database), `[(${label(u.target.database.name)})]`);
        edge(app, db, u.kind);
        if (u.kind === "reads/writes") writers.set(db, new Set([...(writers.get(db) ?? []), service(u.app)]));
        break;
      }
      case "external":
        edge(app, external(u.target.url), u.kind);
        break;
    }
  }
  // A database sits in the box of the one service that writes it.
  for (const [db, set] of writers) if (set.size === 1) home.set(db, [...set][0]!);
  for (const t of model.topics) {
    const name = logicalName(t.resource, byUrn);
    const tn = put(nodeId("topic", name), `>${label(name, "Event Grid topic")}]`);
    for (const s of t.subscriptions) {
      if (!s.queue) continue;
      queues.set(queueKey(s.queue), s.queue);
      add(senders, queueKey(s.queue), tn);
    }
  }
  for (const [k, q] of queues) {
    const from = senders.get(k) ?? [];
    const to = consumers.get(k) ?? [];
    if (from.length > 0 && to.length > 0) {
      for (const f of from) for (const t of to) edge(f, t, q.name);
      continue;
    }
    const node = put(nodeId("queue", q.name), `[[${label(q.name, "queue")}]]`);
    for (const f of from) edge(f, node, "sends");
    for (const t of to) edge(node, t, "triggers");
  }

  const lines = [INIT, "flowchart TB"];
  for (const id of [...shapes.keys()].filter((x) => !home.has(x))) lines.push(`  ${id}${shapes.get(id)}`);
  for (const s of [...new Set(home.values())]) {
    lines.push(`  subgraph ${nodeId("svc", s)}[${label(s)}]`);
    for (const id of [...shapes.keys()].filter((x) => home.get(x) === s)) lines.push(`    ${id}${shapes.get(id)}`);
    lines.push("  end");
  }
  const edgeLines = [...edges.values()].map((e) => `  ${e.from} -->|${label([...e.labels].sort().join(", "))}| ${e.to}`);
  return [...lines, ...edgeLines.sort()].join("\n") + "\n";
}
