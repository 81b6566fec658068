/**
 * The architecture diagram, generated from a plan: a Mermaid `flowchart LR` of the gateway and the
 * APIs it routes, the Function Apps, the queues they send to and process, the Event Grid topics they
 * publish to (and the queues those deliver to), the Cosmos DB databases they read and write, and the
 * existing (non-serverless) back ends. Edges come from the plan's resources (APIM APIs, back ends and
 * policies; role assignments; event subscriptions; app settings), so the diagram changes with the plan.
 *
 * Made to be read in a pull request (about 800 px wide, where GitHub scales the SVG down): nodes carry
 * logical names (the service, the queue, the database, the back end's host — never a physical name
 * with its random suffix); each service is a box holding its app and the databases only it writes
 * (the box has no title: its app node carries the name, and a title would sit under the arrows that
 * enter the box); the arrow from an app to a database in its own box is unlabelled (it reads and
 * writes it) unless the app only reads it; a queue is the edge it carries (sender → consumer,
 * labelled with the queue's name), so the diagram has a node per service rather than per queue; the
 * gateway's routes to one app are one edge; shared pieces (gateway, topics) sit above the boxes and
 * existing back ends below them (a longer arrow puts them two ranks down, so the row of databases
 * stays narrow and a call never runs along a cross-service read). `npm run docs:diagram` renders it
 * with the Mermaid CLI at 800 px and prints the text size, to check it by eye.
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

/**
 * Tighter spacing than Mermaid's defaults (nodeSpacing 50, rankSpacing 50, padding 15, diagramPadding 8:
 * mermaid's config.schema.yaml, FlowchartDiagramConfig): the diagram is read in a ~800 px comment, and
 * every pixel of natural width shrinks the 16 px text when GitHub scales it down.
 */
const INIT = `%%{init: {"flowchart": {"nodeSpacing": 16, "rankSpacing": 32, "padding": 6, "diagramPadding": 4}}}%%`;

/**
 * The order to declare the service boxes in, which guides dagre's first ordering of each row: the
 * services linked by arrows as a chain (each next to the one it has most arrows with, starting from
 * an end: fewest neighbours, then most arrows), then those with no link to another service, so an
 * arrow between two services does not run behind a third one's box. Checked by eye on both stacks'
 * renderings (`npm run docs:diagram`); dagre's result also depends on the edges, so this guides, not
 * guarantees.
 */
export function boxOrder(services: readonly string[], links: readonly (readonly [string | undefined, string | undefined])[]): string[] {
  const weight = new Map<string, number>();
  const key = (a: string, b: string): string => (a < b ? `${a} ${b}` : `${b} ${a}`);
  for (const [a, b] of links) if (a && b && a !== b) weight.set(key(a, b), (weight.get(key(a, b)) ?? 0) + 1);
  const between = (a: string, b: string): number => weight.get(key(a, b)) ?? 0;
  const neighbours = (s: string): number => services.filter((o) => o !== s && between(s, o) > 0).length;
  const arrows = (s: string): number => services.reduce((n, o) => n + (o === s ? 0 : between(s, o)), 0);
  const order: string[] = [];
  const left = services.filter((s) => neighbours(s) > 0);
  const end = (a: string, b: string): string =>
    neighbours(a) !== neighbours(b) ? (neighbours(a) < neighbours(b) ? a : b) : arrows(b) > arrows(a) ? b : a;
  while (left.length > 0) {
    const last = order.at(-1);
    const next =
      last !== undefined && left.some((s) => between(last, s) > 0)
        ? left.reduce((best, s) => (between(last, s) > between(last, best) ? s : best))
        : left.reduce(end);
    order.push(next);
    left.splice(left.indexOf(next), 1);
  }
  return [...order, ...services.filter((s) => neighbours(s) === 0)];
}

/** What the diagram's conventions mean, printed under it (the boxes have no titles, some arrows no labels). */
export const DIAGRAM_LEGEND =
  "Each box is one service: its Function App and the databases only it writes (the unlabelled arrow: it reads and writes them). " +
  "An arrow between services carries the named queue; from the gateway, the routed APIs; existing back ends sit below.";

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
  const edges = new Map<string, { from: string; to: string; labels: Set<string>; arrow: string }>();
  const edge = (from: string, to: string, text: string, arrow = "-->"): void => {
    const k = `${from}>${to}`;
    const e = edges.get(k) ?? { from, to, labels: new Set<string>(), arrow };
    e.labels.add(text);
    edges.set(k, e);
  };
  const externals = new Set<string>();
  const external = (url: string): string => {
    const id = put(nodeId("ext", externalName(url)), `[/${label(externalName(url), "existing back end")}/]`);
    externals.add(id);
    return id;
  };

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
        // Two ranks down: the back end sits below the boxes, not in the row of databases.
        edge(app, external(u.target.url), u.kind, "--->");
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

  // Declaration order guides the layout: shared pieces first (drawn above), then one box per service,
  // then existing back ends (drawn below).
  const lines = [INIT, "flowchart TB"];
  const outside = [...shapes.keys()].filter((x) => !home.has(x));
  for (const id of outside.filter((x) => !externals.has(x))) lines.push(`  ${id}${shapes.get(id)}`);
  for (const s of boxOrder([...new Set(home.values())], [...edges.values()].map((e) => [home.get(e.from), home.get(e.to)] as const))) {
    lines.push(`  subgraph ${nodeId("svc", s)}[" "]`);
    for (const id of [...shapes.keys()].filter((x) => home.get(x) === s)) lines.push(`    ${id}${shapes.get(id)}`);
    lines.push("  end");
  }
  for (const id of outside.filter((x) => externals.has(x))) lines.push(`  ${id}${shapes.get(id)}`);
  const ownData = (e: { from: string; to: string; labels: Set<string> }): boolean =>
    e.to.startsWith("db_") && home.get(e.to) !== undefined && home.get(e.to) === home.get(e.from) && [...e.labels].every((l) => l === "reads/writes");
  const edgeLines = [...edges.values()].map((e) =>
    ownData(e) ? `  ${e.from} ${e.arrow} ${e.to}` : `  ${e.from} ${e.arrow}|${label([...e.labels].sort().join(", "))}| ${e.to}`,
  );
  return [...lines, ...edgeLines.sort()].join("\n") + "\n";
}
