/**
 * The composition's own branches that the real services do not exercise: a change-feed consumer
 * that declares no lease container of its own.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadServices } from "../../composition/services";
import { composeSystem } from "../../composition/system";
import { PROJECT } from "../../lib/config";
import { CosmosDataRole } from "../../components/core/roles";
import { syntheticConfig } from "../../engine/synthetic";
import { evaluateProgram } from "../../engine/plan";

const manifestModule = path.resolve(__dirname, "../../functions-src/shared/manifest.ts");
// Inside the repo so the entries' npm imports resolve when they are bundled.
const root = path.resolve(__dirname, "../../.build/test-composition");

const TIMER_ENTRY = `import { app } from "@azure/functions";\napp.timer("tick", { schedule: "0 0 * * * *", handler: async () => undefined });\n`;
const CHANGE_FEED_ENTRY =
  `import { app } from "@azure/functions";\n` +
  `app.cosmosDB("audit", { connection: "COSMOS", databaseName: "stock-db", containerName: "items", handler: async () => undefined });\n`;

function service(name: string, manifest: string, entry = TIMER_ENTRY): void {
  mkdirSync(path.join(root, name, "src"), { recursive: true });
  writeFileSync(path.join(root, name, "service.ts"), `import { defineService } from ${JSON.stringify(manifestModule)};\nexport default defineService(${manifest});\n`);
  writeFileSync(path.join(root, name, "host.json"), JSON.stringify({ version: "2.0" }));
  writeFileSync(path.join(root, name, "src/index.ts"), entry);
}

describe("composeSystem", () => {
  it("gives a change-feed consumer without its own leases a lease container next to the watched one, and only the grants it needs", async () => {
    rmSync(root, { recursive: true, force: true });
    service("stock", `{ name: "stock", description: "s", entry: "src/index.ts", triggers: ["timer"],
      owns: { containers: [{ name: "items", partitionKeyPaths: ["/sku"] }] },
      uses: { containers: [{ service: "stock", container: "items", access: "readWrite" }] } }`);
    service("audit", `{ name: "audit", description: "a", entry: "src/index.ts", triggers: ["cosmosChangeFeed"],
      uses: { containers: [{ service: "stock", container: "items", access: "changeFeed" }] } }`, CHANGE_FEED_ENTRY);
    const config = syntheticConfig(["stock", "audit"]);
    const plan = await evaluateProgram({
      project: PROJECT,
      stack: "dev",
      program: () => {
        composeSystem(config, loadServices("dev", config, root));
        return {};
      },
    });

    const containers = plan.resources.filter((r) => r.type === "azure-native:cosmosdb:SqlResourceSqlContainer");
    const lease = containers.find((c) => c.inputs.containerName === "items-leases-audit");
    expect(lease?.inputs).toMatchObject({ databaseName: "stock-db", resource: { id: "items-leases-audit", partitionKey: { paths: ["/id"] } } });

    const auditPrincipal = plan.resources.find((r) => r.type === "azure-native:managedidentity:UserAssignedIdentity" && r.name === "audit-identity")!.outputs.principalId;
    const grants = plan.resources
      .filter((r) => r.type === "azure-native:cosmosdb:SqlResourceSqlRoleAssignment" && r.inputs.principalId === auditPrincipal)
      .map((r) => [String(r.inputs.roleDefinitionId).split("/").pop(), String(r.inputs.scope).split("/dbs/")[1]])
      .sort();
    // Reader on the watched container only (the change feed no longer reads the database: docs/RUNTIME-SAFETY.md), writer on its leases only.
    expect(grants).toEqual([
      [CosmosDataRole.reader, "stock-db/colls/items"],
      [CosmosDataRole.contributor, "stock-db/colls/items-leases-audit"],
    ].sort());
  });
});
