/**
 * Synthetic services for scale checks: N small but realistic services (an HTTP API with roles, an
 * owned container and queue, a send to the next service's queue), written as real folders that the
 * platform discovers, bundles and composes exactly like functions-src/. Used by the growth
 * benchmark and by the test that every physical name stays unique and valid at 20 services.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { PROJECT, parseStackConfig, type StackConfig } from "../lib/config";

const ROOT = path.resolve(__dirname, "..");
const MANIFEST = path.join(ROOT, "functions-src/shared/manifest.ts");

/** Service names that look like real ones and grow to the 16-character limit. */
export function syntheticName(i: number): string {
  return `svc${String(i).padStart(2, "0")}inventory`.slice(0, 16);
}

/** Writes `count` service folders under `root` (replacing it) and returns their names. */
export function writeSyntheticServices(root: string, count: number): string[] {
  rmSync(root, { recursive: true, force: true });
  const names = Array.from({ length: count }, (_, i) => syntheticName(i + 1));
  names.forEach((name, i) => {
    const dir = path.join(root, name);
    mkdirSync(path.join(dir, "src"), { recursive: true });
    const next = names[(i + 1) % names.length]!;
    const sends = count > 1 ? `{ queue: "${next}-work", access: "send" },` : "";
    writeFileSync(
      path.join(dir, "service.ts"),
      `import { defineService } from ${JSON.stringify(MANIFEST)};
export default defineService({
  name: "${name}",
  description: "Synthetic service ${i + 1}",
  entry: "src/index.ts",
  triggers: ["http", "queue"],
  owns: { containers: [{ name: "items", partitionKeyPaths: ["/tenantId"] }], queues: [{ name: "${name}-work" }] },
  uses: {
    containers: [{ service: "${name}", container: "items", access: "readWrite" }],
    queues: [{ queue: "${name}-work", access: "process" }, ${sends}],
  },
  http: {
    path: "${name}", version: "v1", displayName: "${name}", routePrefix: "api",
    roles: [{ value: "Items.Read", description: "read" }, { value: "Items.Write", description: "write" }],
    healthPath: "/health", openapi: "src/openapi.ts",
  },
});
`,
    );
    writeFileSync(path.join(dir, "host.json"), JSON.stringify({ version: "2.0", extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.0.0, 5.0.0)" } }, null, 2));
    writeFileSync(
      path.join(dir, "src/index.ts"),
      `import { app } from "@azure/functions";
app.http("health", { route: "health", methods: ["GET"], authLevel: "anonymous", handler: async () => ({ status: 200 }) });
app.http("getItem", { route: "items/{id}", methods: ["GET"], authLevel: "anonymous", handler: async (req) => ({ jsonBody: { id: req.params.id } }) });
app.storageQueue("work", { queueName: "${name}-work", connection: "QUEUES", handler: async () => undefined });
`,
    );
    writeFileSync(
      path.join(dir, "src/openapi.ts"),
      `export function openApiDocument() {
  return {
    openapi: "3.0.3",
    info: { title: "${name}", version: "v1" },
    paths: {
      "/items/{id}": {
        get: {
          operationId: "getItem",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": { description: "The item." } },
        },
      },
    },
  };
}
`,
    );
  });
  return names;
}

/** A dev-like stack config deploying exactly `services`. */
export function syntheticConfig(services: readonly string[]): StackConfig {
  const raw: Record<string, unknown> = {
    environment: "dev",
    location: "eastus",
    allowedLocations: ["eastus"],
    namePrefix: "contoso",
    tags: { owner: "platform-team", costCenter: "4711" },
    services: Object.fromEntries(services.map((s) => [s, { instanceMemoryMB: 512 }])),
    apiManagement: { publisherName: "Platform", publisherEmail: "platform@contoso.example" },
  };
  return parseStackConfig(
    "dev",
    Object.fromEntries(Object.entries(raw).map(([k, v]) => [`${PROJECT}:${k}`, typeof v === "string" ? v : JSON.stringify(v)])),
  );
}

/** Where synthetic services are written (gitignored build output, inside the repo so npm packages resolve). */
export const SYNTHETIC_ROOT = path.join(ROOT, ".build", "synthetic");
