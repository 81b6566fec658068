/**
 * The architecture diagram, generated from a plan: a Mermaid `flowchart LR` of the gateway and the
 * APIs it routes, the Function Apps, the queues they send to and process, the Event Grid topics they
 * publish to (and the queues those deliver to), the Cosmos DB databases they read and write, and the
 * existing (non-serverless) back ends. Edges come from the plan's resources (APIM APIs, back ends and
 * policies; role assignments; event subscriptions; app settings), so the diagram changes with the plan.
 */
import type { Plan } from "./plan-format";
import { describeSystem, type FunctionAppModel } from "./cost/plan-model";

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

function appLabel(app: FunctionAppModel): string {
  const ready = app.alwaysReady.reduce((n, r) => n + r.instanceCount, 0);
  const size = app.flex ? `Flex ${app.instanceMemoryMB} MB${ready > 0 ? `, ${ready} always ready` : ""}` : "Function App";
  return label(app.name, size);
}

/** Renders the plan's architecture as Mermaid `flowchart LR` text (without the code fence). */
export function renderDiagram(plan: Plan): string {
  const model = describeSystem(plan);
  const nodes = new Map<string, string>();
  const edges = new Set<string>();
  const node = (id: string, shape: string): string => {
    if (!nodes.has(id)) nodes.set(id, `  ${id}${shape}`);
    return id;
  };
  const edge = (from: string, to: string, text?: string): void => {
    edges.add(`  ${from} -->${text ? `|${label(text)}|` : ""} ${to}`);
  };
  const appNode = (app: FunctionAppModel): string => node(nodeId("app", app.name), `[${appLabel(app)}]`);
  const externalNode = (url: string): string => node(nodeId("ext", hostAndPath(url)), `[/${label(hostAndPath(url), "existing back end")}/]`);

  for (const g of model.gateways) {
    const gw = node(nodeId("apim", g.name), `{{${label(g.name, `API Management ${g.sku}`)}}}`);
    const clients = node("clients", `([${label("Clients")}])`);
    edge(clients, gw, "HTTPS");
    for (const r of g.routes) edge(gw, r.app ? appNode(r.app) : externalNode(r.url), r.label);
  }
  for (const app of model.apps) appNode(app);
  for (const u of model.uses) {
    const app = appNode(u.app);
    switch (u.target.type) {
      case "queue": {
        const q = node(nodeId("queue", `${u.target.queue.account}_${u.target.queue.name}`), `[[${label(u.target.queue.name, "Storage queue")}]]`);
        // A processed queue triggers the app: draw the message flow, queue → app.
        if (u.kind === "processes") edge(q, app, "triggers");
        else edge(app, q, u.kind);
        break;
      }
      case "topic": {
        const t = node(nodeId("topic", u.target.topic.name), `>${label(u.target.topic.name, "Event Grid topic")}]`);
        edge(app, t, u.kind);
        break;
      }
      case "database": {
        const d = node(nodeId("db", `${u.target.database.account}_${u.target.database.name}`), `[(${label(u.target.database.name, "Cosmos DB")})]`);
        edge(app, d, u.kind);
        break;
      }
      case "external":
        edge(app, externalNode(u.target.url), u.kind);
        break;
    }
  }
  for (const t of model.topics) {
    const tn = node(nodeId("topic", t.name), `>${label(t.name, "Event Grid topic")}]`);
    for (const s of t.subscriptions) {
      if (!s.queue) continue;
      const q = node(nodeId("queue", `${s.queue.account}_${s.queue.name}`), `[[${label(s.queue.name, "Storage queue")}]]`);
      edge(tn, q, "delivers");
    }
  }
  return ["flowchart LR", ...nodes.values(), ...[...edges].sort()].join("\n") + "\n";
}
