import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadServices, serviceFolders } from "../../composition/services";
import { ConfigError } from "../../lib/config";
import type { ServiceManifest } from "../../functions-src/shared/manifest";

const manifestModule = path.resolve(__dirname, "../../functions-src/shared/manifest.ts");

/** A functions-src folder with the given manifests, written as real `service.ts` files. */
function functionsRoot(manifests: ServiceManifest[]): string {
  const root = mkdtempSync(path.join(tmpdir(), "functions-src-"));
  for (const m of manifests) {
    mkdirSync(path.join(root, m.name));
    writeFileSync(
      path.join(root, m.name, "service.ts"),
      `import { defineService } from ${JSON.stringify(manifestModule)};\nexport default defineService(${JSON.stringify(m)});\n`,
    );
  }
  return root;
}

const sizing = { instanceMemoryMB: 2048 as const, maximumInstanceCount: 10, alwaysReady: [] };
const base = (name: string, extra: Partial<ServiceManifest> = {}): ServiceManifest => ({
  name,
  description: name,
  entry: "src/index.ts",
  triggers: ["http"],
  ...extra,
});

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => `${p.key}: ${p.message}`);
  }
  throw new Error("expected a ConfigError");
}

describe("service discovery", () => {
  const shop = [
    base("orders", { owns: { containers: [{ name: "orders", partitionKeyPaths: ["/customerId"] }] }, uses: { queues: [{ queue: "order-created", access: "send" }] } }),
    base("ship", { triggers: ["queue"], owns: { queues: [{ name: "order-created" }] }, uses: { queues: [{ queue: "order-created", access: "process" }], backends: ["payment"] } }),
  ];

  it("loads the deployed services and who owns what", () => {
    const root = functionsRoot([...shop, base("extra")]);
    const catalog = loadServices("dev", { services: { orders: sizing, ship: sizing }, backends: { payment: { url: "https://p.example", description: "" } } }, root);
    expect(catalog.services.map((s) => s.manifest.name)).toEqual(["orders", "ship"]);
    expect(catalog.services[0]!.directory).toBe(path.join(root, "orders"));
    expect(catalog.queueOwners.get("order-created")).toBe("ship");
    expect(catalog.notDeployed).toEqual(["extra"]);
    expect(serviceFolders(root)).toEqual(["extra", "orders", "ship"]);
  });

  it("names the config key of a service without a folder", () => {
    const root = functionsRoot(shop);
    expect(problems(() => loadServices("dev", { services: { orders: sizing, ship: sizing, billing: sizing }, backends: { payment: { url: "https://p.example", description: "" } } }, root))).toEqual([
      expect.stringMatching(/^serverless-platform:services.billing: no service folder: expected .*billing\/service.ts$/),
    ]);
  });

  it("reports unresolved references together", () => {
    const root = functionsRoot(shop);
    expect(problems(() => loadServices("dev", { services: { orders: sizing, ship: sizing }, backends: {} }, root))).toEqual([
      "serverless-platform:backends.payment: missing; ship calls the back end \"payment\": set its url",
    ]);
    expect(problems(() => loadServices("dev", { services: { orders: sizing }, backends: {} }, root))).toEqual([
      'functions-src/orders/service.ts: uses queue "order-created", which no deployed service owns',
    ]);
  });

  it("keeps data per service: only the owner writes a container, only the owner consumes a queue", () => {
    const root = functionsRoot([
      ...shop,
      base("rogue", { uses: { containers: [{ service: "orders", container: "orders", access: "readWrite" }], queues: [{ queue: "order-created", access: "process" }] } }),
    ]);
    const found = problems(() => loadServices("dev", { services: { orders: sizing, ship: sizing, rogue: sizing }, backends: { payment: { url: "https://p.example", description: "" } } }, root));
    expect(found).toEqual([
      'functions-src/rogue/service.ts: processes queue "order-created" owned by ship: a queue has one consumer, its owner',
      "functions-src/rogue/service.ts: writes orders/orders: only the owner writes its data (read it, or send the owner a message)",
    ]);
  });

  it("refuses a manifest whose name differs from its folder", () => {
    const root = functionsRoot([base("orders")]);
    mkdirSync(path.join(root, "billing"));
    writeFileSync(path.join(root, "billing", "service.ts"), `import { defineService } from ${JSON.stringify(manifestModule)};\nexport default defineService(${JSON.stringify(base("invoices"))});\n`);
    expect(problems(() => loadServices("dev", { services: { billing: sizing }, backends: {} }, root))).toEqual([
      'serverless-platform:services.billing: functions-src/billing/service.ts declares name "invoices"; it must match its folder',
    ]);
  });
});
