/**
 * What the infrastructure and the Functions host rely on: each service's folder shape, host.json,
 * manifest, local settings, the functions its entry registers (loaded as the host's Node worker would,
 * with a stand-in for `@azure/functions-core`), and the orders OpenAPI document.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import SwaggerParser from "@apidevtools/swagger-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { type ServiceManifest, databaseFor, leaseContainerFor, settingNames } from "../../functions-src/shared/manifest";
import { cosmosConnection, queueConnection } from "../../functions-src/shared/settings";
import { loadManifest, serviceFolders } from "../../composition/services";
import orders from "../../functions-src/orders/service";
import fulfillment from "../../functions-src/fulfillment/service";
import notifications from "../../functions-src/notifications/service";
import { openApiDocument } from "../../functions-src/orders/src/openapi";
import { writeOpenApi } from "../../functions-src/orders/scripts/write-openapi";

const ROOT = resolve(__dirname, "../..");
// Every service folder, so a new service gets the whole contract without editing this file.
const SERVICES: readonly ServiceManifest[] = serviceFolders().map((name) => loadManifest(join(ROOT, "functions-src", name)));
const run = promisify(execFile);

interface Binding {
  readonly type: string;
  readonly direction: string;
  readonly [key: string]: unknown;
}
interface Registration {
  readonly name: string;
  readonly bindings: Readonly<Record<string, Binding>>;
  readonly retryOptions?: Record<string, unknown>;
}

/** Loads the entry in a fresh Node process whose `@azure/functions-core` records registrations. */
async function registrations(service: string): Promise<Registration[]> {
  const { stdout } = await run(
    process.execPath,
    ["--require", join(__dirname, "support/fake-functions-core.cjs"), "--require", "tsx/cjs", join(ROOT, "functions-src", service, "src/index.ts")],
    { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: "" }, timeout: 30_000 },
  );
  const marker = stdout.lastIndexOf("@@REGISTRATIONS@@");
  if (marker < 0) throw new Error(`no registrations printed by ${service}:\n${stdout}`);
  return JSON.parse(stdout.slice(marker + "@@REGISTRATIONS@@".length)) as Registration[];
}

function trigger(registration: Registration): Binding {
  const found = Object.values(registration.bindings).find((b) => /Trigger$/.test(b.type));
  if (!found) throw new Error(`${registration.name} has no trigger`);
  return found;
}

const registered = new Map<string, Registration[]>();
beforeAll(async () => {
  const loaded = await Promise.all(SERVICES.map(async (s) => [s.name, await registrations(s.name)] as const));
  for (const [name, list] of loaded) registered.set(name, list);
}, 60_000);

describe.each(SERVICES.map((s) => [s.name, s] as const))("service %s", (name, manifest) => {
  const folder = join(ROOT, "functions-src", name);
  const hostJson = JSON.parse(readFileSync(join(folder, "host.json"), "utf8")) as {
    version: string;
    extensionBundle: { id: string; version: string };
    logging: { applicationInsights: { samplingSettings: { isEnabled: boolean; excludedTypes: string } } };
    extensions: { queues?: { maxDequeueCount: number; messageEncoding: string }; http?: { routePrefix: string }; durableTask?: { hubName: string } };
  };

  it("has the files the build and local runs need", () => {
    for (const file of ["service.ts", "host.json", "local.settings.example.json", manifest.entry]) {
      expect(existsSync(join(folder, file)), file).toBe(true);
    }
  });

  it("has a host.json for Flex: v2, bundle [4,5), Request never sampled, poison after 5 dequeues", () => {
    expect(hostJson.version).toBe("2.0");
    expect(hostJson.extensionBundle).toEqual({ id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.0.0, 5.0.0)" });
    expect(hostJson.logging.applicationInsights.samplingSettings.excludedTypes.split(";")).toContain("Request");
    if (manifest.triggers.includes("queue")) {
      expect(hostJson.extensions.queues).toMatchObject({ maxDequeueCount: 5, messageEncoding: "base64" });
    }
    if (manifest.http) expect(hostJson.extensions.http?.routePrefix).toBe(manifest.http.routePrefix);
    if (manifest.triggers.includes("durable")) expect(hostJson.extensions.durableTask?.hubName).toMatch(/^[A-Za-z][A-Za-z0-9]{2,44}$/);
  });

  it("has local settings that point at the emulators only", () => {
    const local = JSON.parse(readFileSync(join(folder, "local.settings.example.json"), "utf8")) as { Values: Record<string, string> };
    expect(local.Values.AzureWebJobsStorage).toBe("UseDevelopmentStorage=true");
    // Each connection the manifest's uses need, and only against the local emulators.
    if ((manifest.uses?.queues ?? []).length > 0) expect(queueConnection(local.Values).kind).toBe("emulator");
    if ((manifest.uses?.containers ?? []).length > 0) {
      expect(cosmosConnection(local.Values)).toMatchObject({ kind: "emulator", endpoint: "https://localhost:8081/" });
      expect(local.Values[settingNames.cosmosDatabase]).toBe(databaseFor(name));
    }
  });

  it("registers a trigger for every queue it processes, on the QUEUES connection", () => {
    const functions = registered.get(name) ?? [];
    const queueTriggers = functions.map(trigger).filter((t) => t.type === "queueTrigger");
    const processed = (manifest.uses?.queues ?? []).filter((q) => q.access === "process").map((q) => q.queue);
    expect(queueTriggers.map((t) => t.queueName).sort()).toEqual([...processed].sort());
    for (const t of queueTriggers) expect(t.connection).toBe(settingNames.queuesConnection);
    for (const queue of processed) expect(manifest.owns?.queues?.map((q) => q.name)).toContain(queue);
  });

  it("declares only the trigger kinds it registers", () => {
    const kinds = new Set(
      (registered.get(name) ?? []).map((r) => {
        const type = trigger(r).type;
        return {
          httpTrigger: "http",
          queueTrigger: "queue",
          timerTrigger: "timer",
          cosmosDBTrigger: "cosmosChangeFeed",
          orchestrationTrigger: "durable",
          activityTrigger: "durable",
        }[type];
      }),
    );
    expect([...kinds].sort()).toEqual([...manifest.triggers].sort());
  });

  // Every HTTP service, so a new one (npm run new-service) is held to the gateway's contract unedited.
  it.runIf(manifest.http !== undefined)("describes exactly the routes it registers, in valid OpenAPI 3.0.3 with problem+json errors and a declared role per secured operation", async () => {
    type Operation = { operationId: string; security?: unknown[]; "x-required-role"?: string; responses: Record<string, { content?: Record<string, unknown> }> };
    const mod = (await import(join(folder, manifest.http!.openapi))) as { openApiDocument: () => { openapi: string; paths: Record<string, Record<string, Operation>> } };
    const document = mod.openApiDocument();
    expect(document.openapi).toBe("3.0.3");
    await SwaggerParser.validate(structuredClone(document) as never);
    const routes = (registered.get(name) ?? [])
      .map(trigger)
      .filter((t) => t.type === "httpTrigger")
      .flatMap((t) => (t.methods as string[]).map((m) => `${m} /${String(t.route)}`))
      .sort();
    const documented = Object.entries(document.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    expect(routes).toEqual(documented);
    const roles = manifest.http!.roles.map((r) => r.value);
    for (const [p, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) >= 400) expect(Object.keys(response.content ?? {}), `${method} ${p} ${status}`).toEqual(["application/problem+json"]);
        }
        if (p === manifest.http!.healthPath) expect(operation.security, `${method} ${p}`).toEqual([]);
        else expect(roles, `${method} ${p} x-required-role`).toContain(operation["x-required-role"]);
      }
    }
  });

  it("imports no @pulumi package", () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith(".ts")) files.push(path);
      }
    };
    walk(folder);
    walk(join(ROOT, "functions-src", "shared"));
    for (const file of files) expect(readFileSync(file, "utf8"), file).not.toMatch(/from\s+["']@pulumi\//);
  });
});

describe("cross-service wiring", () => {
  it("every queue a service uses is owned by exactly one service", () => {
    const owners = new Map<string, string>();
    for (const s of SERVICES) for (const q of s.owns?.queues ?? []) {
      expect(owners.has(q.name), q.name).toBe(false);
      owners.set(q.name, s.name);
    }
    for (const s of SERVICES) for (const use of s.uses?.queues ?? []) expect(owners.has(use.queue), `${s.name} → ${use.queue}`).toBe(true);
  });

  it("fulfillment reports to orders through orders' queue and never writes orders' data", () => {
    expect(fulfillment.uses?.queues).toContainEqual({ queue: "order-status", access: "send" });
    expect(fulfillment.uses?.containers?.every((c) => c.service === "fulfillment")).toBe(true);
    expect(fulfillment.uses?.backends).toEqual(["payment"]);
  });

  it("notifications watches orders' container with leases in its own database, created by IaC", () => {
    const trig = trigger(registered.get("notifications")!.find((r) => r.name === "publishOrderStatusChanges")!);
    const lease = leaseContainerFor("notifications", "orders");
    expect(trig).toMatchObject({
      type: "cosmosDBTrigger",
      connection: settingNames.cosmosConnection,
      databaseName: databaseFor("orders"),
      containerName: "orders",
      leaseDatabaseName: databaseFor("notifications"),
      leaseContainerName: lease,
      createLeaseContainerIfNotExists: false,
    });
    expect(notifications.owns?.containers).toContainEqual({ name: lease, partitionKeyPaths: ["/id"] });
    expect(notifications.uses?.containers).toContainEqual(
      expect.objectContaining({ service: "orders", container: "orders", access: "changeFeed", leases: { service: "notifications", container: lease } }),
    );
    expect(notifications.subscriptions).toEqual([{ topic: "order-events", queue: "order-notifications", eventTypes: ["OrderStatusChanged"] }]);
    // The change-feed batch is retried (not skipped) when publishing fails.
    expect(registered.get("notifications")!.find((r) => r.name === "publishOrderStatusChanges")!.retryOptions).toMatchObject({ maxRetryCount: -1 });
  });

  it("fulfillment's starter gets a durable client and the orchestration has its activities", () => {
    const functions = registered.get("fulfillment")!;
    const starter = functions.find((r) => r.name === "startFulfillment")!;
    expect(Object.values(starter.bindings).map((b) => b.type).sort()).toEqual(["durableClient", "queueTrigger"]);
    expect(functions.filter((r) => trigger(r).type === "activityTrigger").map((r) => r.name).sort()).toEqual(
      ["blockShipment", "refundPayment", "releaseStock", "reportStatus", "reserveStock", "shipOrder", "takePayment"],
    );
  });

  it("orders exposes the routes its OpenAPI document describes", () => {
    const routes = registered
      .get("orders")!
      .map(trigger)
      .filter((t) => t.type === "httpTrigger")
      .flatMap((t) => (t.methods as string[]).map((m) => `${m} /${String(t.route)}`))
      .sort();
    const documented = Object.entries(openApiDocument().paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(routes).toEqual(documented);
  });
});

describe("orders OpenAPI document", () => {
  it("is valid OpenAPI 3.0.3 with stable operationIds", async () => {
    const document = openApiDocument();
    expect(document.openapi).toBe("3.0.3");
    await SwaggerParser.validate(structuredClone(document) as never);
    const ids = Object.values(document.paths as Record<string, Record<string, { operationId: string }>>).flatMap((ops) =>
      Object.values(ops).map((op) => op.operationId),
    );
    expect(ids.sort()).toEqual(["cancelOrder", "createOrder", "deleteOrder", "getHealth", "getOrder", "listOrders"]);
  });

  it("describes every error response as problem+json and secures everything but health", () => {
    const paths = openApiDocument().paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }>; security?: unknown[] }>>;
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) >= 400) expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toEqual(["application/problem+json"]);
        }
        expect(operation.security, `${method} ${path}`).toEqual(path === "/health" ? [] : [{ bearerAuth: [] }]);
      }
    }
  });

  it("is written by the build script, identically each time", () => {
    const dir = mkdtempSync(join(tmpdir(), "openapi-"));
    try {
      const a = readFileSync(writeOpenApi(join(dir, "a.json")), "utf8");
      const b = readFileSync(writeOpenApi(join(dir, "b.json")), "utf8");
      expect(a).toBe(b);
      expect(JSON.parse(a)).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is referenced by the manifest", () => {
    expect(existsSync(join(ROOT, "functions-src/orders", orders.http!.openapi))).toBe(true);
  });
});
