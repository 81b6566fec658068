/**
 * At 20 services, every physical name is still unique and within its type's limits, and every
 * service got its own app, code package, grants and gateway API: growth needs no component edits.
 */
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateProgram } from "../../engine/plan";
import type { Plan } from "../../engine/plan-format";
import { SYNTHETIC_ROOT, syntheticConfig, writeSyntheticServices } from "../../engine/synthetic";
import { loadServices } from "../../composition/services";
import { composeSystem } from "../../composition/system";
import { PROJECT } from "../../lib/config";
import { validateName, type NameKind } from "../../components/core/naming";

let plan: Plan;
let names: string[];

beforeAll(async () => {
  const root = path.join(SYNTHETIC_ROOT, "test-20");
  names = writeSyntheticServices(root, 20);
  const config = syntheticConfig(names);
  plan = await evaluateProgram({
    project: PROJECT,
    stack: "dev",
    program: () => {
      composeSystem(config, loadServices("dev", config, root));
      return {};
    },
  });
}, 240_000);

/** Physical-name input per type, and the naming rule it must satisfy. */
const NAMED: Record<string, [NameKind, string]> = {
  "azure-native:storage:StorageAccount": ["storageAccount", "accountName"],
  "azure-native:web:WebApp": ["functionApp", "name"],
  "azure-native:web:AppServicePlan": ["appServicePlan", "name"],
  "azure-native:managedidentity:UserAssignedIdentity": ["userAssignedIdentity", "resourceName"],
  "azure-native:storage:Queue": ["queue", "queueName"],
  "azure-native:storage:BlobContainer": ["blobContainer", "containerName"],
  "azure-native:keyvault:Vault": ["keyVault", "vaultName"],
  "azure-native:cosmosdb:DatabaseAccount": ["cosmosAccount", "accountName"],
  "azure-native:apimanagement:ApiManagementService": ["apiManagement", "serviceName"],
};

describe("a stack of 20 services", () => {
  it("has one app, plan, identity, host storage and code package per service", () => {
    const count = (type: string): number => plan.resources.filter((r) => r.type === type).length;
    expect(count("serverless-platform:web:FunctionApp")).toBe(20);
    expect(count("azure-native:web:WebApp")).toBe(20);
    expect(count("pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment")).toBe(20);
    expect(count("serverless-platform:apimanagement:ServiceApi")).toBe(20);
  });

  it("keeps every physical name unique and valid", () => {
    for (const [type, [kind, key]] of Object.entries(NAMED)) {
      const values = plan.resources.filter((r) => r.type === type).map((r) => String(r.inputs[key]));
      expect(values.length, type).toBeGreaterThan(0);
      const invalid = values.map((v) => [v, validateName(kind, v)]).filter(([, reason]) => reason !== undefined);
      expect(invalid, type).toEqual([]);
      if (type === "azure-native:storage:BlobContainer") {
        // Container names are unique per storage account.
        const perAccount = plan.resources.filter((r) => r.type === type).map((r) => `${String(r.inputs.accountName)}/${String(r.inputs.containerName)}`);
        expect(new Set(perAccount).size, type).toBe(perAccount.length);
      } else {
        expect(new Set(values).size, `${type}: ${values.join(", ")}`).toBe(values.length);
      }
    }
  });

  it("gives every role assignment a distinct deterministic GUID name", () => {
    const guids = plan.resources.filter((r) => r.type === "azure-native:authorization:RoleAssignment").map((r) => String(r.inputs.roleAssignmentName));
    expect(guids.length).toBeGreaterThan(20 * 4);
    expect(new Set(guids).size).toBe(guids.length);
  });

  it("wires each service to the next one's queue through a queue-scoped grant", () => {
    const sends = plan.resources.filter((r) => r.type === "azure-native:authorization:RoleAssignment" && /queue-send|send/.test(r.name));
    expect(sends.length).toBeGreaterThanOrEqual(20);
    for (const s of sends) expect(String(s.inputs.scope)).toMatch(/\/queueServices\/default\/queues\/[a-z0-9-]+$/);
  });
});
