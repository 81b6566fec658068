import { describe, expect, it } from "vitest";
import { DIAGRAM_LEGEND, boxOrder, nodeId, renderDiagram } from "../../engine/diagram";
import { renderReport } from "../../engine/report";
import { estimateCost } from "../../engine/cost/estimate";
import { describeSystem } from "../../engine/cost/plan-model";
import type { Plan } from "../../engine/plan-format";
import { flexApp, loadPlan, resource } from "../fixtures/plans/builder";

const dev = loadPlan("delivery-dev");
const nodeLines = (text: string) => text.split("\n").filter((l) => /^ {2,4}\w+[[({>]/.test(l));
const edgeLines = (text: string) => text.split("\n").filter((l) => l.includes("-->"));
/** Every text a reader sees: node labels, edge labels. */
const labels = (text: string) => [...text.matchAll(/"([^"]*)"/g)].map((m) => m[1]!).filter((l) => !/^(flowchart|nodeSpacing|rankSpacing|padding|diagramPadding)$/.test(l));

/** The lines of one subgraph (`subgraph svc_<name>` … `end`). */
const subgraph = (text: string, service: string): string[] => {
  const lines = text.split("\n");
  const from = lines.findIndex((l) => l === `  subgraph svc_${service}[" "]`);
  if (from < 0) return [];
  const to = lines.findIndex((l, i) => i > from && l === "  end");
  return lines.slice(from + 1, to);
};

describe("renderDiagram", () => {
  const text = renderDiagram(dev);

  it("is a top-down Mermaid flowchart with tight spacing and sanitized node ids", () => {
    expect(text.split("\n").slice(0, 2)).toEqual(['%%{init: {"flowchart": {"nodeSpacing": 16, "rankSpacing": 32, "padding": 6, "diagramPadding": 4}}}%%', "flowchart TB"]);
    for (const l of [...nodeLines(text), ...edgeLines(text)]) {
      const ids = l.replace(/"[^"]*"/g, "").match(/\b[a-z]+_[A-Za-z0-9_]+\b|\bclients\b/g) ?? [];
      for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_]+$/);
    }
    expect(nodeId("queue", "st01_fulfillment-requests")).toBe("queue_st01_fulfillment_requests");
  });

  it("names nodes by logical names, never by physical names with their suffixes", () => {
    const physical = dev.resources.flatMap((r) => [r.outputs.name, r.inputs.name]).filter((n): n is string => typeof n === "string" && /^contoso-/.test(n));
    expect(physical.length).toBeGreaterThan(0);
    for (const name of physical) expect(text).not.toContain(name);
    expect(text).toContain('app_orders["orders<br/>Flex 512 MB"]');
    expect(text).toContain('apim_gateway{{"gateway<br/>APIM Consumption"}}');
    // No label carries a generated suffix: each line of each label is a logical name or a fixed word.
    const known = new Set([
      ...dev.resources.map((r) => r.name),
      "Clients", "HTTPS", "APIM Consumption", "Event Grid topic", "existing back end", "queue", "Flex 512 MB", "payments-dev",
      "calls", "publishes", "reads", "reads/writes", "sends", "triggers", " ",
    ]);
    const model = describeSystem(dev);
    for (const d of model.databases) known.add(d.name);
    for (const q of model.queues) known.add(q.name);
    for (const l of labels(text).flatMap((x) => x.split("<br/>")).flatMap((x) => x.split(", "))) {
      expect(known.has(l) || /^(orders|payments|health)$/.test(l), l).toBe(true);
    }
  });

  it("has one box per service, each holding its app, and a node count bounded by services, not resources", () => {
    const model = describeSystem(dev);
    const boxes = text.split("\n").filter((l) => l.startsWith("  subgraph "));
    expect(boxes).toHaveLength(model.apps.length);
    for (const box of boxes) {
      const service = /^ {2}subgraph svc_(\w+)\[/.exec(box)![1]!;
      expect(subgraph(text, service).filter((l) => l.trim().startsWith("app_"))).toEqual([expect.stringContaining(`app_${service}[`)]);
    }
    // One app and its databases per service, plus the shared pieces: the diagram does not grow with
    // the plan's resources (hundreds), so it stays readable at 800 px.
    const bound = model.apps.length + model.databases.length + model.gateways.length + model.topics.length + model.externals.length + 1;
    expect(nodeLines(text).filter((l) => !l.startsWith("  subgraph")).length).toBeLessThanOrEqual(bound);
    expect(bound).toBeLessThan(dev.resources.length / 5);
  });

  it("orders the boxes so services linked by arrows sit side by side, unlinked ones last", () => {
    const links = [["orders", "fulfillment"], ["fulfillment", "orders"], ["notifications", "orders"], ["catalog", "catalog"]] as const;
    expect(boxOrder(["catalog", "orders", "fulfillment", "notifications"], links)).toEqual(["fulfillment", "orders", "notifications", "catalog"]);
    // A chain a-b-c-d declared in any order comes out as a chain.
    const chain = [["a", "b"], ["b", "c"], ["c", "d"]] as const;
    const order = boxOrder(["c", "a", "d", "b"], chain);
    expect([order.join(""), [...order].reverse().join("")]).toContain("abcd");
    expect(boxOrder(["x", "y"], [])).toEqual(["x", "y"]);
  });

  it("puts each service in its own box with the databases only it writes", () => {
    expect(subgraph(text, "orders")).toEqual(['    app_orders["orders<br/>Flex 512 MB"]', '    db_orders_db[("orders-db")]']);
    // A box has no title: the app node names the service, and a title would sit under entering arrows.
    expect(text).toContain('  subgraph svc_orders[" "]');
    expect(subgraph(text, "fulfillment")).toEqual(['    app_fulfillment["fulfillment<br/>Flex 512 MB"]', '    db_fulfillment_db[("fulfillment-db")]']);
    expect(subgraph(text, "notifications")).toEqual(['    app_notifications["notifications<br/>Flex 512 MB"]']);
    // Shared pieces stay outside every box.
    // Shared pieces are declared before the boxes (drawn above them), existing back ends after (below).
    const outside = text.split("\n").filter((l) => /^ {2}\w+[[({>/]/.test(l) && !l.startsWith("  subgraph"));
    expect(outside.map((l) => l.trim().split(/[[({>]/)[0])).toEqual(["apim_gateway", "clients", "topic_order_events", "ext_payments_dev"]);
    const lines = text.split("\n");
    expect(lines.findIndex((l) => l.startsWith("  ext_"))).toBeGreaterThan(lines.lastIndexOf("  end"));
  });

  it("draws the gateway's routes to function apps and to the existing back end, one edge per target", () => {
    expect(text).toContain('  apim_gateway -->|"orders"| app_orders');
    expect(text).toContain('  apim_gateway -->|"payments"| ext_payments_dev');
    expect(text).toContain('  clients -->|"HTTPS"| apim_gateway');
    expect(text).toContain('ext_payments_dev[/"payments-dev<br/>existing back end"/]');
    const health = resource("apimanagement:Api", "gateway-health-orders", {
      serviceName: "contoso-apim-d",
      apiId: "health-orders",
      path: "health/orders",
      serviceUrl: dev.resources.find((r) => r.name === "gateway-orders-v1")?.inputs.serviceUrl ?? "https://contoso-func-orders-d.azurewebsites.net/api",
    });
    const two = renderDiagram({ ...dev, resources: [...dev.resources, health] });
    expect(edgeLines(two).filter((l) => l.startsWith("  apim_gateway") && l.endsWith("app_orders"))).toEqual(['  apim_gateway -->|"health, orders"| app_orders']);
  });

  it("draws a queue as the edge it carries, topics and deliveries, and databases from the role assignments", () => {
    const edges = edgeLines(text);
    expect(edges).toEqual([
      '  apim_gateway -->|"orders"| app_orders',
      '  apim_gateway -->|"payments"| ext_payments_dev',
      // A longer arrow: the back end sits two ranks below the app, not in the row of databases.
      '  app_fulfillment --->|"calls"| ext_payments_dev',
      // Its own database, in its own box: unlabelled (reads and writes).
      '  app_fulfillment --> db_fulfillment_db',
      '  app_fulfillment -->|"publishes"| topic_order_events',
      '  app_fulfillment -->|"reads"| db_orders_db',
      '  app_orders --> db_orders_db',
      '  app_orders -->|"fulfillment-requests"| app_fulfillment',
      '  clients -->|"HTTPS"| apim_gateway',
      '  topic_order_events -->|"notifications"| app_notifications',
    ]);
    // Poison queues are companions, not flows.
    expect(text).not.toContain("poison");
  });

  it("keeps a queue with no consumer in the plan as a node, so nothing is hidden", () => {
    const withoutConsumer = { ...dev, resources: dev.resources.filter((r) => r.name !== "messaging-fulfillment-requests-process-fulfillment") };
    const t = renderDiagram(withoutConsumer);
    expect(t).not.toContain('app_orders -->|"fulfillment-requests"| app_fulfillment');
    expect(t).toContain('  queue_fulfillment_requests[["fulfillment-requests<br/>queue"]]');
    expect(t).toContain('  app_orders -->|"sends"| queue_fulfillment_requests');
  });

  it("changes when a service is added to the plan", () => {
    const identity = resource("managedidentity:UserAssignedIdentity", "billing-identity", { resourceName: "contoso-id-billing-d" }, {
      outputs: { name: "contoso-id-billing-d", principalId: "11111111-2222-4333-a444-555555555555" },
    });
    const app = flexApp("contoso-func-billing-d", 2048, 1);
    const withIdentity = {
      ...app,
      inputs: { ...app.inputs, identity: { type: "UserAssigned", userAssignedIdentities: ["/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/contoso-id-billing-d"] } },
      outputs: { ...app.outputs, defaultHostName: "contoso-func-billing-d.azurewebsites.net" },
    };
    const queue = dev.resources.find((r) => r.type === "azure-native:storage:Queue" && r.inputs.queueName === "notifications")!;
    const grant = resource("authorization:RoleAssignment", "notifications-send-billing", {
      // No propertyDependencies: the queue is found from the ARM id alone.
      scope: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/contosostdmsg01/queueServices/default/queues/notifications",
      principalId: "11111111-2222-4333-a444-555555555555",
      roleDefinitionId: "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    });
    const api = resource("apimanagement:Api", "gateway-billing-v1", {
      serviceName: "contoso-apim-d",
      apiId: "billing-v1",
      path: "billing/v1",
      serviceUrl: "https://contoso-func-billing-d.azurewebsites.net/api",
    });
    const bigger: Plan = { ...dev, resources: [...dev.resources, identity, withIdentity, grant, api] };
    const after = renderDiagram(bigger);
    expect(after).not.toBe(text);
    // A top-level app (no component) is known by its own logical name.
    expect(after).toContain('    app_contoso_func_billing_d_app["contoso-func-billing-d-app<br/>Flex 2048 MB, 1 ready"]');
    expect(after).toContain('  apim_gateway -->|"billing"| app_contoso_func_billing_d_app');
    expect(after).toContain('  app_contoso_func_billing_d_app -->|"notifications"| app_notifications');
    expect(queue).toBeDefined();
  });

  it("is explained under the diagram in the pull-request report (boxes have no titles, own-data arrows no labels)", async () => {
    const md = await renderReport({ plan: dev, cost: estimateCost(dev, { ordersPerMonth: 1000 }) });
    expect(md).toContain(`${text.trimEnd()}\n\`\`\`\n\n${DIAGRAM_LEGEND}\n`);
  });

  it("escapes characters Mermaid would read as syntax", () => {
    const odd = flexApp('weird"name<x>', 512);
    const t = renderDiagram({ ...dev, resources: [odd] });
    expect(t).toContain('app_weird_name_x__app["weird#quot;name#lt;x#gt;-app<br/>Flex 512 MB"]');
  });
});
