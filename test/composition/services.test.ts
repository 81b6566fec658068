import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifest, loadServices, serviceFolders } from "../../composition/services";
import { ConfigError } from "../../lib/config";
import type { ServiceManifest } from "../../functions-src/shared/manifest";

const manifestModule = path.resolve(__dirname, "../../functions-src/shared/manifest.ts");

/** A functions-src folder with the given manifests, written as real `service.ts` files. */
function functionsRoot(manifests: ServiceManifest[]): string {
  const root = mkdtempSync(path.join(tmpdir(), "functions-src-"));
  for (const m of manifests) {
    mkdirSync(path.join(root, m.name, "src"), { recursive: true });
    writeFileSync(
      path.join(root, m.name, "service.ts"),
      `import { defineService } from ${JSON.stringify(manifestModule)};\nexport default defineService(${JSON.stringify(m)});\n`,
    );
    writeFileSync(path.join(root, m.name, "host.json"), JSON.stringify({ version: "2.0" }));
    writeFileSync(path.join(root, m.name, "src/index.ts"), "export {};\n");
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

/** A functions-src folder with one service written as text: a manifest TypeScript would not check. */
function rawService(name: string, manifest: string, files: Record<string, string> = {}): { root: string; file: string } {
  const root = mkdtempSync(path.join(tmpdir(), "functions-src-"));
  mkdirSync(path.join(root, name, "src"), { recursive: true });
  const file = path.join(root, name, "service.ts");
  writeFileSync(file, `import { defineService } from ${JSON.stringify(manifestModule)};\nexport default defineService(${manifest});\n`);
  writeFileSync(path.join(root, name, "host.json"), JSON.stringify({ version: "2.0" }));
  writeFileSync(path.join(root, name, "src/index.ts"), "export {};\n");
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(root, name, f), text);
  return { root, file };
}

const load = (root: string, services: string[] = ["shop"], backends: Record<string, { url: string; description: string }> = {}): unknown =>
  loadServices("dev", { services: Object.fromEntries(services.map((s) => [s, sizing])), backends }, root);

const HTTP = (openapi = "src/openapi.ts", roles = '[{ value: "Shop.Read", description: "r" }, { value: "Shop.Write", description: "w" }]'): string =>
  `http: { path: "shop", version: "v1", displayName: "Shop", routePrefix: "api", roles: ${roles}, healthPath: "/health", openapi: ${JSON.stringify(openapi)} }`;

const OPENAPI = `export function openApiDocument() {
  return { openapi: "3.0.3", info: { title: "shop", version: "v1" }, paths: {
    "/items": { get: { operationId: "listItems", responses: { 200: { description: "ok" } } }, post: { operationId: "addItem", responses: { 201: { description: "ok" } } } },
  } };
}
`;

describe("manifests are validated at run time (issue 19)", () => {
  it("names the file and field of a bad access value, instead of blaming a missing lease container", () => {
    const { root, file } = rawService(
      "shop",
      `{ name: "shop", description: "s", entry: "src/index.ts", triggers: ["cosmosChangeFeed"], owns: { containers: [{ name: "items", partitionKeyPaths: ["/id"] }] },
         uses: { containers: [{ service: "shop", container: "items", access: "changefeed" }] } }`,
    );
    expect(problems(() => load(root))).toEqual([
      `${file}: uses.containers[0].access: got the string "changefeed"; expected one of "read", "readWrite", "changeFeed"; did you mean "changeFeed"?`,
    ]);
  });

  it.each([
    ['triggers: ["queues"]', 'triggers[0]: got the string "queues"; expected one of "http", "queue", "durable", "cosmosChangeFeed", "timer"; did you mean "queue"?'],
    ["triggers: []", "triggers: got a list of 0 items; expected at least one trigger kind"],
    ['triggers: ["http"], trigers: ["http"]', "trigers: unknown key; did you mean triggers? (expected one of name, description, entry, triggers, owns, uses, subscriptions, http)"],
    ['triggers: ["queue"], owns: { queues: [{ name: "Work_Items" }] }', 'owns.queues[0].name: got the string "Work_Items"; expected 3-56 lowercase letters, digits and single hyphens (the name plus "-poison" must be a valid queue name of at most 63)'],
    ['triggers: ["queue"], uses: { queues: [{ queue: "work", acess: "send" }] }', "uses.queues[0].acess: unknown key; did you mean access? (expected one of queue, access)"],
    ['triggers: ["http"], uses: { containers: [{ service: "shop", container: "c", access: "read", leases: { service: "shop", container: "l" } }] }', 'uses.containers[0].leases: leases apply to access "changeFeed" only; remove leases or set access: "changeFeed"'],
    ['triggers: ["http"], owns: { containers: [{ name: "items", partitionKeyPaths: ["customerId"] }] }', 'owns.containers[0].partitionKeyPaths[0]: got the string "customerId"; expected a path starting with "/", such as "/customerId"'],
    [`triggers: ["http"], ${HTTP().replace('version: "v1"', "version: 1")}`, "http.version: got the number 1; expected a string"],
    ['triggers: ["http"], owns: { containers: [{ name: "items", partitionKeyPaths: ["/id"] }, { name: "items", partitionKeyPaths: ["/sku"] }] }', "owns.containers: expected each container name once"],
    ['triggers: ["queue"], owns: { queues: [{ name: "work" }, { name: "work" }] }', "owns.queues: expected each queue name once"],
    [`triggers: ["http"], ${HTTP("src/openapi.ts", '[{ value: "Api.Invoke", description: "x" }]')}`, 'http.roles: expected no "Api.Invoke" role: the platform adds it for the gateway'],
    [`triggers: ["http"], ${HTTP("src/openapi.ts", '[{ value: "Shop Read", description: "r" }]')}`, 'http.roles[0].value: got the string "Shop Read"; expected a role value of letters, digits, ".", "_" or "-" (no spaces), such as "Orders.Read"'],
  ])("refuses %s with the field and what was found", (fields, message) => {
    const { root, file } = rawService("shop", `{ name: "shop", description: "s", entry: "src/index.ts", ${fields} }`);
    expect(problems(() => load(root))).toEqual([`${file}: ${message}`]);
  });

  it("names a missing entry and suggests the file that exists", () => {
    const { root, file } = rawService("shop", `{ name: "shop", description: "s", entry: "src/indx.ts", triggers: ["http"] }`);
    expect(problems(() => load(root))).toEqual([`${file}: entry: "src/indx.ts" does not exist in ${path.join(root, "shop")}; did you mean "src/index.ts"?`]);
  });

  it("names a wrong openapi path and suggests the file that exists (no raw esbuild error)", () => {
    const { root, file } = rawService("shop", `{ name: "shop", description: "s", entry: "src/index.ts", triggers: ["http"], ${HTTP("src/open-api.ts")} }`, { "src/openapi.ts": OPENAPI });
    expect(problems(() => load(root))).toEqual([`${file}: http.openapi: "src/open-api.ts" does not exist in ${path.join(root, "shop")}; did you mean "src/openapi.ts"?`]);
  });

  it("points a syntax error in the OpenAPI module at its line and column", () => {
    const { root } = rawService("shop", `{ name: "shop", description: "s", entry: "src/index.ts", triggers: ["http"], ${HTTP()} }`, {
      "src/openapi.ts": "export function openApiDocument() {\n  return { openapi: ;\n}\n",
    });
    const [line] = problems(() => load(root));
    expect(line).toBe(
      `${path.join(root, "shop", "src/openapi.ts")}:2:21: Unexpected ";"\n  2 |   return { openapi: ;\n                          ^\nFix the code at that place.`,
    );
  });

  it("requires openApiDocument() and a document the gateway can import", () => {
    const manifest = `{ name: "shop", description: "s", entry: "src/index.ts", triggers: ["http"], ${HTTP()} }`;
    const noExport = rawService("shop", manifest, { "src/openapi.ts": "export function openApiDocumnet() { return {}; }\n" });
    expect(problems(() => load(noExport.root))).toEqual([
      `${path.join(noExport.root, "shop", "src/openapi.ts")}: must export a function openApiDocument() (http.openapi in ${noExport.file} points here); did you mean openApiDocumnet?`,
    ]);
    const v31 = rawService("shop", manifest, { "src/openapi.ts": OPENAPI.replace('"3.0.3"', '"3.1.0"') });
    expect(problems(() => load(v31.root))).toEqual([
      `${path.join(v31.root, "shop", "src/openapi.ts")}: OpenAPI 3.1.0 is refused: the gateway imports OpenAPI 3.0.x (3.1 features such as type arrays and JSON Schema 2020-12 keywords are not supported on import); generate 3.0.3`,
    ]);
  });

  it("requires a role for every operation (reads: .Read, writes: .Write)", () => {
    const { root, file } = rawService("shop", `{ name: "shop", description: "s", entry: "src/index.ts", triggers: ["http"], ${HTTP("src/openapi.ts", '[{ value: "Shop.Read", description: "r" }]')} }`, {
      "src/openapi.ts": OPENAPI,
    });
    expect(problems(() => load(root))).toEqual([
      `${file}: http.roles: no role ending in ".Write" for the write operation(s) addItem (POST /items); declare one such as { value: "Shop.Write", description: "..." }`,
    ]);
  });

  it("points a syntax error in the manifest at its line and column", () => {
    const { root, file } = rawService("shop", `{ name: "shop", description: "s" entry: "src/index.ts", triggers: ["http"] }`);
    const [line] = problems(() => load(root));
    expect(line).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2:63: Expected "}" but found "entry"\n`));
  });

  it("suggests the service folder a config entry meant", () => {
    const { root } = rawService("shop", `{ name: "shop", description: "s", entry: "src/index.ts", triggers: ["http"] }`);
    expect(problems(() => load(root, ["shpo"]))).toEqual([
      `serverless-platform:services.shpo: no service folder: expected ${path.join(root, "shpo", "service.ts")}; did you mean shop?`,
    ]);
  });

  it("reads the backends map by own keys only, and suggests a near name", () => {
    const ctor = rawService("shop", `{ name: "shop", description: "s", entry: "src/index.ts", triggers: ["http"], uses: { backends: ["constructor", "paymnt"] } }`);
    expect(problems(() => load(ctor.root, ["shop"], { payment: { url: "https://p.example", description: "" } }))).toEqual([
      'serverless-platform:backends.constructor: missing; shop calls the back end "constructor": set its url',
      `serverless-platform:backends.paymnt: missing; shop calls the back end "paymnt": set its url; did you mean "payment" (functions-src/shop/service.ts uses.backends)?`,
    ]);
  });

  it("requires every secret a service reads to be listed in secretNames", () => {
    const { root } = rawService("shop", `{ name: "shop", description: "s", entry: "src/index.ts", triggers: ["http"], uses: { secrets: ["paymentApiKey"] } }`);
    expect(problems(() => loadServices("dev", { services: { shop: sizing }, backends: {}, secretNames: ["paymentApikey"] }, root))).toEqual([
      'serverless-platform:secretNames: shop reads the secret "paymentApiKey" (functions-src/shop/service.ts uses.secrets), which secretNames does not list; did you mean "paymentApikey"?; add it and run: pulumi config set --secret paymentApiKey <value>',
    ]);
    expect(() => loadServices("dev", { services: { shop: sizing }, backends: {}, secretNames: ["paymentApiKey"] }, root)).not.toThrow();
  });

  it("suggests the queue, container and setting key a reference meant", () => {
    const { root } = rawService(
      "shop",
      `{ name: "shop", description: "s", entry: "src/index.ts", triggers: ["queue"], owns: { queues: [{ name: "work-items" }], containers: [{ name: "items", partitionKeyPaths: ["/id"] }] },
         uses: { queues: [{ queue: "work-item", access: "process" }], containers: [{ service: "shop", container: "itens", access: "read" }], settings: [{ configKey: "webhookUrI", setting: "X" }] } }`,
    );
    const withSettings = (settings: Record<string, string>): unknown => loadServices("dev", { services: { shop: { ...sizing, settings } }, backends: {} }, root);
    expect(problems(() => withSettings({ webhookUrl: "https://hooks.contoso.com/x" }))).toEqual([
      'functions-src/shop/service.ts: uses queue "work-item", which no deployed service owns; did you mean "work-items"?',
      "functions-src/shop/service.ts: uses container shop/itens, which shop does not declare; did you mean shop/items?",
      `serverless-platform:services.shop.settings.webhookUrI: missing; shop reads it (functions-src/shop/service.ts uses.settings); did you mean "webhookUrl"?: pulumi config set --path 'services.shop.settings.webhookUrI' <value>`,
      'serverless-platform:services.shop.settings.webhookUrl: unknown key: shop declares "webhookUrI" (functions-src/shop/service.ts uses.settings); did you mean "webhookUrI"?',
    ]);
  });

  it("checks a service's own settings against what its manifest declares: format, optional, unknown keys", () => {
    const manifest = (settings: string) =>
      rawService("shop", `{ name: "shop", description: "s", entry: "src/index.ts", triggers: ["timer"], uses: { settings: [${settings}] } }`).root;
    const run = (root: string, settings: Record<string, string>): unknown => loadServices("dev", { services: { shop: { ...sizing, settings } }, backends: {} }, root);
    const url = manifest('{ configKey: "hookUrl", setting: "HOOK_URL", format: "https-url" }');
    expect(problems(() => run(url, { hookUrl: "http://hooks.contoso.com" }))).toEqual([
      'serverless-platform:services.shop.settings.hookUrl: got "http://hooks.contoso.com"; expected an https:// URL (functions-src/shop/service.ts uses.settings)',
    ]);
    expect(() => run(url, { hookUrl: "https://hooks.contoso.com" })).not.toThrow();
    expect(() => run(manifest('{ configKey: "hookUrl", setting: "HOOK_URL", optional: true }'), {})).not.toThrow();
    expect(problems(() => run(manifest(""), { stray: "x" }))).toEqual([
      "serverless-platform:services.shop.settings.stray: unknown key: shop declares no settings (functions-src/shop/service.ts uses.settings)",
    ]);
  });

  it("accepts every real manifest", () => {
    for (const name of serviceFolders()) expect(() => loadManifest(path.resolve(__dirname, "../../functions-src", name)), name).not.toThrow();
  });
});
