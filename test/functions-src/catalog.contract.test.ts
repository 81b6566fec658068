/**
 * What the infrastructure, the gateway and the Functions host rely on from the catalog folder: its
 * shape, host.json, local settings, the functions its entry registers (loaded as the host's Node
 * worker would, with a stand-in for `@azure/functions-core`), and its OpenAPI document.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import SwaggerParser from "@apidevtools/swagger-parser";
import { beforeAll, describe, expect, it } from "vitest";
import manifest from "../../functions-src/catalog/service";
import { OPERATION_IDS, openApiDocument } from "../../functions-src/catalog/src/openapi";
import { databaseFor, settingNames } from "../../functions-src/shared/manifest";
import { cosmosConnection } from "../../functions-src/shared/settings";

const ROOT = resolve(__dirname, "../..");
const FOLDER = join(ROOT, "functions-src", "catalog");
const run = promisify(execFile);

interface Binding {
  readonly type: string;
  readonly direction: string;
  readonly [key: string]: unknown;
}
interface Registration {
  readonly name: string;
  readonly bindings: Readonly<Record<string, Binding>>;
}
type Operation = {
  operationId: string;
  security?: unknown[];
  "x-required-role"?: string;
  responses: Record<string, { content?: Record<string, unknown> }>;
};

let registered: Registration[] = [];
beforeAll(async () => {
  const { stdout } = await run(
    process.execPath,
    ["--require", join(__dirname, "support/fake-functions-core.cjs"), "--require", "tsx/cjs", join(FOLDER, manifest.entry)],
    { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: "" }, timeout: 30_000 },
  );
  const marker = stdout.lastIndexOf("@@REGISTRATIONS@@");
  if (marker < 0) throw new Error(`no registrations printed:\n${stdout}`);
  registered = JSON.parse(stdout.slice(marker + "@@REGISTRATIONS@@".length)) as Registration[];
}, 60_000);

function httpTriggers(): Binding[] {
  return registered.map((r) => Object.values(r.bindings).find((b) => /Trigger$/.test(b.type))!);
}

describe("the catalog folder", () => {
  it("has the files the build and local runs need, and a manifest named after it", () => {
    for (const file of ["service.ts", "host.json", "local.settings.example.json", manifest.entry, manifest.http.openapi]) {
      expect(existsSync(join(FOLDER, file)), file).toBe(true);
    }
    expect(manifest.name).toBe("catalog");
  });

  it("has a host.json for Flex: v2, bundle [4,5), Request never sampled, the manifest's route prefix", () => {
    const host = JSON.parse(readFileSync(join(FOLDER, "host.json"), "utf8")) as {
      version: string;
      extensionBundle: unknown;
      logging: { applicationInsights: { samplingSettings: { excludedTypes: string } } };
      extensions: { http?: { routePrefix: string } };
    };
    expect(host.version).toBe("2.0");
    expect(host.extensionBundle).toEqual({ id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.0.0, 5.0.0)" });
    expect(host.logging.applicationInsights.samplingSettings.excludedTypes.split(";")).toContain("Request");
    expect(host.extensions.http?.routePrefix).toBe(manifest.http.routePrefix);
  });

  it("has local settings that point at the emulators only, and its own database", () => {
    const local = JSON.parse(readFileSync(join(FOLDER, "local.settings.example.json"), "utf8")) as { Values: Record<string, string> };
    expect(local.Values.AzureWebJobsStorage).toBe("UseDevelopmentStorage=true");
    expect(cosmosConnection(local.Values)).toMatchObject({ kind: "emulator", endpoint: "https://localhost:8081/" });
    expect(local.Values[settingNames.cosmosDatabase]).toBe(databaseFor("catalog"));
  });

  it("registers exactly the HTTP functions it declares, all anonymous (the gateway authenticates)", () => {
    expect(manifest.triggers).toEqual(["http"]);
    const triggers = httpTriggers();
    expect(triggers.every((t) => t.type === "httpTrigger" && t.authLevel === "anonymous")).toBe(true);
    expect(registered.map((r) => r.name).sort()).toEqual(["getProduct", "health", "listProducts", "putProduct"]);
  });

  it("exposes exactly the routes its OpenAPI document describes", () => {
    const routes = httpTriggers()
      .flatMap((t) => (t.methods as string[]).map((m) => `${m} /${String(t.route)}`))
      .sort();
    const documented = Object.entries(openApiDocument().paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(routes).toEqual(documented);
    expect(routes).toContain(`GET ${manifest.http.healthPath}`);
  });

  it("imports no @pulumi package", () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((entry) => {
        const path = join(dir, entry);
        return statSync(path).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : [];
      });
    for (const file of walk(FOLDER)) expect(readFileSync(file, "utf8"), file).not.toMatch(/from\s+["']@pulumi\//);
  });
});

describe("catalog OpenAPI document", () => {
  it("is valid OpenAPI 3.0.3 (swagger-parser) with the stable operationIds", async () => {
    const document = openApiDocument();
    expect(document.openapi).toBe("3.0.3");
    expect(document.info).toMatchObject({ title: "Catalog API", version: "v1" });
    await SwaggerParser.validate(structuredClone(document) as never);
    const ids = Object.values(document.paths as Record<string, Record<string, Operation>>).flatMap((ops) =>
      Object.values(ops).map((op) => op.operationId),
    );
    expect(ids.sort()).toEqual([...OPERATION_IDS].sort());
    expect(ids.sort()).toEqual(["getHealth", "getProduct", "listProducts", "putProduct"]);
  });

  it("is generated identically each time", () => {
    expect(JSON.stringify(openApiDocument())).toBe(JSON.stringify(openApiDocument()));
  });

  it("describes every error as problem+json, secures everything but health, reads with Catalog.Read and writes with Catalog.Write", () => {
    const paths = openApiDocument().paths as Record<string, Record<string, Operation>>;
    const roles: string[] = [];
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) >= 400) expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toEqual(["application/problem+json"]);
        }
        if (path === manifest.http.healthPath) {
          expect(operation.security, `${method} ${path}`).toEqual([]);
          continue;
        }
        expect(operation.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
        expect(operation["x-required-role"], `${method} ${path}`).toBe(method === "get" ? "Catalog.Read" : "Catalog.Write");
        roles.push(operation["x-required-role"]!);
      }
    }
    expect(new Set(roles)).toEqual(new Set(manifest.http.roles.map((r) => r.value)));
  });

  it("documents the statuses the handlers return", () => {
    const paths = openApiDocument().paths as Record<string, Record<string, Operation>>;
    expect(Object.keys(paths["/products/{sku}"]!.put!.responses).sort()).toEqual(["200", "201", "400", "401", "403", "412", "413", "415", "503"]);
    expect(Object.keys(paths["/products/{sku}"]!.get!.responses).sort()).toEqual(["200", "304", "400", "401", "403", "404", "503"]);
    expect(Object.keys(paths["/products"]!.get!.responses).sort()).toEqual(["200", "400", "401", "403", "503"]);
  });
});
