import * as pulumi from "@pulumi/pulumi";
import * as apimanagement from "@pulumi/azure-native/apimanagement";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as storage from "@pulumi/azure-native/storage";
import * as web from "@pulumi/azure-native/web";
import { describe, expect, it } from "vitest";
import type { Plan } from "../../engine/plan-format";
import { diffValues, maskSensitive, previewPlans, renamedPart, summaryLine, type Preview, type ResourceStep } from "../../engine/preview";
import { BuiltInRole } from "../../components/core/roles";
import { evaluate } from "../helpers/plan";
import { plan, resource } from "../fixtures/plans/builder";

interface Shape {
  readonly memory?: number;
  readonly container?: string;
  /** Name the container's resource after its id (`files-<id>`), as the composition names Cosmos containers. */
  readonly containerNamed?: boolean;
  readonly extraContainer?: string;
  readonly location?: string;
  readonly kind?: string;
  readonly principal?: "orders" | "billing";
  readonly policy?: string;
  readonly publicNetworkAccess?: string;
  readonly extraQueue?: boolean;
  readonly insights?: string;
}

/** A small system: an app with settings, a container, a queue, a grant and a gateway policy. */
function system(shape: Shape = {}): Promise<Plan> {
  return evaluate(() => {
    const group = "rg-test";
    const identities = Object.fromEntries(
      (["orders", "billing"] as const).map((n) => [n, new managedidentity.UserAssignedIdentity(`${n}-identity`, { resourceGroupName: group, resourceName: `id-${n}`, location: "eastus" })]),
    );
    const account = new storage.StorageAccount("data", { resourceGroupName: group, accountName: "stdata01", location: "eastus", kind: "StorageV2", sku: { name: "Standard_LRS" } });
    const containerName = shape.container ?? "uploads";
    new storage.BlobContainer(shape.containerNamed ? `files-${containerName}` : "uploads", { resourceGroupName: group, accountName: account.name, containerName });
    if (shape.extraContainer) new storage.BlobContainer(`files-${shape.extraContainer}`, { resourceGroupName: group, accountName: account.name, containerName: shape.extraContainer });
    const queue = new storage.Queue("work", { resourceGroupName: group, accountName: account.name, queueName: "work" });
    if (shape.extraQueue) new storage.Queue("extra", { resourceGroupName: group, accountName: account.name, queueName: "extra" });
    new web.WebApp("orders-app", {
      resourceGroupName: group,
      name: "orders-site",
      location: shape.location ?? "eastus",
      kind: shape.kind ?? "functionapp,linux",
      publicNetworkAccess: shape.publicNetworkAccess ?? "Disabled",
      functionAppConfig: { scaleAndConcurrency: { instanceMemoryMB: shape.memory ?? 512, maximumInstanceCount: 40 } },
      siteConfig: {
        appSettings: [
          { name: "FUNCTIONS_EXTENSION_VERSION", value: "~4" },
          { name: "APPLICATIONINSIGHTS_CONNECTION_STRING", value: shape.insights ?? "InstrumentationKey=aaaa" },
        ],
      },
    });
    new authorization.RoleAssignment("work-send", {
      scope: queue.id,
      principalId: identities[shape.principal ?? "orders"]!.principalId,
      principalType: "ServicePrincipal",
      roleAssignmentName: "6f2b1a4e-0c1d-4b7e-9a6f-2d4c8e0b1a33",
      roleDefinitionId: pulumi.interpolate`/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRole.storageQueueDataMessageSender}`,
    });
    new apimanagement.ApiPolicy("orders-policy", {
      resourceGroupName: group,
      serviceName: "apim",
      apiId: "orders",
      policyId: "policy",
      format: "rawxml",
      value: shape.policy ?? "<policies>\n<inbound>\n<base />\n</inbound>\n</policies>",
    });
  });
}

const step = (p: Preview, name: string): ResourceStep => {
  const s = p.steps.find((x) => x.resource.name === name);
  if (!s) throw new Error(`no step for ${name}`);
  return s;
};

describe("previewPlans", () => {
  it("creates everything when there is no baseline", async () => {
    const head = await system();
    const p = await previewPlans(undefined, head);
    expect(p.counts).toEqual({ create: head.resources.length, update: 0, replace: 0, delete: 0, same: 0 });
    expect(summaryLine(p.counts)).toBe(`Resources: + ${head.resources.length} to create, ~ 0 to update, +- 0 to replace, - 0 to delete, 0 unchanged`);
  });

  it("shows a memory change as one update with old → new", async () => {
    const p = await previewPlans(await system(), await system({ memory: 2048 }));
    expect(p.counts.update).toBe(1);
    expect(p.counts.replace + p.counts.create + p.counts.delete).toBe(0);
    const s = step(p, "orders-app");
    expect(s.op).toBe("update");
    expect(s.changes).toEqual([{ path: "functionAppConfig.scaleAndConcurrency.instanceMemoryMB", old: 512, new: 2048 }]);
  });

  it("replaces a renamed container, naming the property in its ARM id", async () => {
    const p = await previewPlans(await system(), await system({ container: "documents" }));
    expect(p.counts).toMatchObject({ replace: 1, update: 0 });
    expect(step(p, "uploads").changes).toEqual([{ path: "containerName", old: "uploads", new: "documents", replaces: "part of the resource's ARM id" }]);
  });

  it("shows a container renamed with its logical name as one replacement, not a create and a delete", async () => {
    const p = await previewPlans(await system({ containerNamed: true }), await system({ containerNamed: true, container: "documents" }));
    expect(p.counts).toMatchObject({ replace: 1, create: 0, delete: 0, update: 0 });
    const s = step(p, "files-documents");
    expect(s.renamedFrom?.name).toBe("files-uploads");
    expect(s.changes).toEqual([{ path: "containerName", old: "uploads", new: "documents", replaces: "part of the resource's ARM id" }]);
    expect(s.note).toMatch(/^renamed from files-uploads: .*deleted with its data; pulumi preview lists them as \+ create and - delete$/);
    // Two new containers that could each be the renamed one: left as pulumi preview shows them.
    const two = await previewPlans(await system({ containerNamed: true }), await system({ containerNamed: true, container: "documents", extraContainer: "pictures" }));
    expect(two.counts).toMatchObject({ replace: 0, create: 2, delete: 1 });
  });

  it("finds the renamed part of two names", () => {
    expect(renamedPart("data-catalog-products", "data-catalog-goods")).toEqual({ old: "products", new: "goods" });
    expect(renamedPart("data-a-items", "data-b-items")).toEqual({ old: "a", new: "b" });
    expect(renamedPart("queue", "queue-poison")).toBeUndefined();
  });

  it("replaces on azure-native's forceNew properties and on location, but not on its spelling", async () => {
    const kind = await previewPlans(await system(), await system({ kind: "functionapp" }));
    expect(step(kind, "orders-app")).toMatchObject({ op: "replace", changes: [{ path: "kind", replaces: "forceNew in azure-native" }] });
    const moved = await previewPlans(await system(), await system({ location: "westeurope" }));
    expect(step(moved, "orders-app")).toMatchObject({ op: "replace", changes: [{ path: "location", replaces: "forceNew in azure-native" }] });
    const spelled = await previewPlans(await system(), await system({ location: "East US" }));
    expect(step(spelled, "orders-app").op).toBe("same");
  });

  it("replaces a role assignment given to another principal (forceNew), and lists it as a security change", async () => {
    const p = await previewPlans(await system(), await system({ principal: "billing" }));
    expect(step(p, "work-send")).toMatchObject({ op: "replace", changes: [{ path: "principalId", replaces: "forceNew in azure-native" }] });
    expect(p.security).toEqual([
      expect.objectContaining({ category: "role assignments", op: "replace", summary: "storageQueueDataMessageSender for identity billing-identity on stdata01/queues/work" }),
    ]);
  });

  it("counts creates and deletes against the baseline", async () => {
    const p = await previewPlans(await system({ extraQueue: true }), await system());
    expect(p.counts).toMatchObject({ create: 0, delete: 1, update: 0, replace: 0 });
    expect(step(p, "extra").op).toBe("delete");
    const back = await previewPlans(await system(), await system({ extraQueue: true }));
    expect(back.counts).toMatchObject({ create: 1, delete: 0 });
  });

  it("masks credentials in old and new values, by secret marker or by name", async () => {
    const p = await previewPlans(await system(), await system({ insights: "InstrumentationKey=bbbb" }));
    expect(step(p, "orders-app").changes).toEqual([
      { path: "siteConfig.appSettings[name=APPLICATIONINSIGHTS_CONNECTION_STRING].value", old: "[secret]", new: "[secret]" },
    ]);
    expect(maskSensitive("properties.value", "[secret]")).toBe("[secret]");
    expect(maskSensitive("siteConfig", { appSettings: [{ name: "DB_PASSWORD", value: "x" }, { name: "MODE", value: "y" }] })).toEqual({
      appSettings: [{ name: "DB_PASSWORD", value: "[secret]" }, { name: "MODE", value: "y" }],
    });
  });

  it("lists gateway policy documents and network exposure changes as security-relevant", async () => {
    const p = await previewPlans(
      await system(),
      await system({ policy: "<policies>\n<inbound>\n<base />\n<validate-jwt />\n</inbound>\n</policies>", publicNetworkAccess: "Enabled" }),
    );
    expect(p.security.map((c) => [c.category, c.op, c.summary]).sort()).toEqual([
      ["gateway policy documents", "update", "orders-policy (+1 −0 lines)"],
      ["network exposure", "update", "WebApp orders-app: publicNetworkAccess"],
    ]);
  });

  it("asks the code deployment's own provider: a new package updates, another site replaces", async () => {
    const type = "pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment";
    const deployment = (inputs: Record<string, unknown>) => resource(type, "orders-code", { __provider: "serialized", ...inputs }, { custom: true });
    const base = plan([deployment({ siteId: "/s/a", packageSha256: "aa", packagePath: "/tmp/a.zip" })]);
    const pathOnly = await previewPlans(base, plan([deployment({ siteId: "/s/a", packageSha256: "aa", packagePath: "/tmp/b.zip" })]));
    expect(pathOnly.steps[0]!.op).toBe("same");
    const newCode = await previewPlans(base, plan([deployment({ siteId: "/s/a", packageSha256: "bb", packagePath: "/tmp/a.zip" })]));
    expect(newCode.steps[0]!.op).toBe("update");
    const moved = await previewPlans(base, plan([deployment({ siteId: "/s/b", packageSha256: "aa", packagePath: "/tmp/a.zip" })]));
    expect(moved.steps[0]).toMatchObject({ op: "replace", changes: [{ path: "siteId", replaces: "the provider's diff" }] });
  });

  it("shows azuread changes as updates and says replacement is not modelled", async () => {
    const app = (name: string) => resource("azuread:index/application:Application", "orders-api-app", { displayName: name }, { custom: true });
    const p = await previewPlans(plan([app("a")]), plan([app("b")]));
    expect(p.steps[0]).toMatchObject({ op: "update", note: "azuread replacement rules are not modelled offline" });
  });
});

describe("diffValues", () => {
  it("matches named array items by name and others by index", () => {
    expect(diffValues("", { a: [{ name: "x", v: 1 }, { name: "y", v: 2 }] }, { a: [{ name: "y", v: 3 }, { name: "x", v: 1 }] })).toEqual([{ path: "a[name=y].v", old: 2, new: 3 }]);
    expect(diffValues("", { a: [1, 2] }, { a: [1, 3] })).toEqual([{ path: "a[1]", old: 2, new: 3 }]);
    expect(diffValues("", { a: [1] }, { a: [1, 2] })).toEqual([{ path: "a", old: [1], new: [1, 2] }]);
    expect(diffValues("", { a: 1 }, { b: 1 })).toEqual([{ path: "a", old: 1 }, { path: "b", new: 1 }]);
  });
});
