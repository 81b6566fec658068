/**
 * `npm run new-service -- <name>`: scaffolds an HTTP service the platform deploys as it is.
 *
 *   functions-src/<name>/service.ts                  the manifest: owns one container, uses it, exposes /<name>/v1
 *   functions-src/<name>/host.json                   Flex-ready host settings (route prefix "api")
 *   functions-src/<name>/local.settings.example.json emulator-only settings, on the next free port
 *   functions-src/<name>/src/{index,access,deps,handlers,schemas,openapi}.ts
 *   test/functions-src/<name>/http.test.ts           the handlers against the emulators
 *   Pulumi.dev.yaml, Pulumi.prod.yaml                 one entry under serverless-platform:services
 *
 * The name follows the manifest's rule (composition/service-name.ts `serviceName`) and must be new:
 * not a folder under functions-src/, not an entry in a stack file, not a back end's or the health
 * API's gateway path. Every mistake is one line and nothing is written. test/scripts/new-service.test.ts
 * scaffolds into a copy of the repository, plans both stacks offline and typechecks the result.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { isMap, isScalar, parseDocument, type Document } from "yaml";
import { serviceName } from "../composition/service-name";
import { PROJECT } from "../lib/config";
import { UserError, describeFailure } from "../components/core/user-error";

const STACKS = ["dev", "prod"] as const;

export const USAGE = `usage: npm run new-service -- <name> [--root <repository>]

Scaffolds functions-src/<name>/ (manifest, host.json, local settings, HTTP handlers, OpenAPI),
test/functions-src/<name>/http.test.ts and the <name> entry in Pulumi.dev.yaml and Pulumi.prod.yaml.
<name>: 2-16 lowercase letters or digits, starting with a letter; not an existing service.`;

/**
 * A copy of the repository at `root` in `target` (without its git, build output and coverage),
 * sharing `node_modules` through a link: somewhere to scaffold and plan without touching the original.
 */
export function copyRepository(root: string, target: string): void {
  const skip = new Set(["node_modules", ".git", ".build", "coverage"]);
  cpSync(root, target, { recursive: true, filter: (src) => !skip.has(path.relative(root, src).split(path.sep)[0] ?? "") });
  linkDependencies(root, target);
}

/**
 * The copy's node_modules: a link to each of the repository's installed packages, except the
 * workspace packages (the components package, the examples), which link to the copy's own folders.
 * One link to the whole node_modules would resolve `@contoso/serverless-platform` to the original
 * repository's components/, and the copy would run two sets of components at once.
 */
function linkDependencies(root: string, target: string): void {
  const workspaces = new Map<string, string>();
  const rootManifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { workspaces?: string[] };
  for (const pattern of rootManifest.workspaces ?? []) {
    const dirs = pattern.endsWith("/*")
      ? readdirSync(path.join(target, pattern.slice(0, -2)), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(pattern.slice(0, -2), d.name))
      : [pattern];
    for (const dir of dirs) {
      const manifest = path.join(target, dir, "package.json");
      if (existsSync(manifest)) workspaces.set((JSON.parse(readFileSync(manifest, "utf8")) as { name: string }).name, path.join(target, dir));
    }
  }
  const modules = path.join(target, "node_modules");
  mkdirSync(modules);
  for (const entry of readdirSync(path.join(root, "node_modules"))) {
    if (!entry.startsWith("@")) {
      if (!workspaces.has(entry)) symlinkSync(path.join(root, "node_modules", entry), path.join(modules, entry), "dir");
      continue;
    }
    mkdirSync(path.join(modules, entry));
    for (const scoped of readdirSync(path.join(root, "node_modules", entry))) {
      if (!workspaces.has(`${entry}/${scoped}`)) symlinkSync(path.join(root, "node_modules", entry, scoped), path.join(modules, entry, scoped), "dir");
    }
  }
  for (const [name, dir] of workspaces) {
    mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
    symlinkSync(dir, path.join(modules, name), "dir");
  }
}

/** `billing2` → `Billing2`: the prefix of the API's app roles and of type names. */
const pascal = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

/** Why `name` cannot be a new service in `root`, or undefined. One sentence, naming what clashes. */
export function refusal(name: string, root: string): string | undefined {
  const parsed = serviceName.safeParse(name);
  if (!parsed.success) return `service name "${name}": ${parsed.error.issues[0]?.message ?? "invalid"}`;
  const folder = path.join(root, "functions-src", name);
  if (existsSync(folder)) return `service name "${name}": functions-src/${name}/ already exists; pick another name or edit that service`;
  for (const stack of STACKS) {
    const doc = stackFile(root, stack);
    if (doc.hasIn(["config", `${PROJECT}:services`, name])) return `service name "${name}": Pulumi.${stack}.yaml already has ${PROJECT}:services.${name}; remove it or pick another name`;
    // The gateway publishes a back end under its name and the health aggregate under "health".
    if (name === "health" || doc.hasIn(["config", `${PROJECT}:backends`, name])) {
      return `service name "${name}": the gateway path /${name} is taken by ${name === "health" ? "the health API" : `the back end ${PROJECT}:backends.${name} in Pulumi.${stack}.yaml`}; pick another name`;
    }
  }
  return undefined;
}

function stackFile(root: string, stack: string): Document {
  return parseDocument(readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8"));
}

/** The next local HTTP port after the ones the services' local settings use, so `func start`s do not clash. */
function nextLocalPort(root: string): number {
  const functions = path.join(root, "functions-src");
  const ports = readdirSync(functions, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(functions, d.name, "local.settings.example.json")))
    .map((d) => (JSON.parse(readFileSync(path.join(functions, d.name, "local.settings.example.json"), "utf8")) as { Host?: { LocalHttpPort?: number } }).Host?.LocalHttpPort ?? 7071);
  return Math.max(7070, ...ports) + 1;
}

/** The files of the service, by path relative to the repository. */
export function serviceFiles(name: string, port: number): Record<string, string> {
  const Name = pascal(name);
  // The access table's constant (ORDERS_ACCESS, CATALOG_ACCESS): a name is lowercase letters and digits.
  const NAME = name.toUpperCase();
  const dir = `functions-src/${name}`;
  return {
    [`${dir}/service.ts`]: `/**
 * The ${name} service: an HTTP API for items, the only writer of its data. Scaffolded by
 * \`npm run new-service -- ${name}\`: rename the container, the roles and the routes to what the service is.
 */
import { defineService } from "../shared/manifest";

/** Container id; renaming it creates a new, empty container in every environment. */
export const ITEMS_CONTAINER = "items";

export default defineService({
  name: "${name}",
  description: "${Name} API: read and write items; owns its item data.",
  entry: "src/index.ts",
  triggers: ["http"],
  owns: {
    // One item per logical partition: point reads and writes by id.
    containers: [{ name: ITEMS_CONTAINER, partitionKeyPaths: ["/id"] }],
  },
  uses: {
    // Owning a container does not grant access to it: the service's own use is declared too.
    containers: [{ service: "${name}", container: ITEMS_CONTAINER, access: "readWrite" }],
  },
  http: {
    path: "${name}",
    version: "v1",
    displayName: "${Name}",
    routePrefix: "api",
    roles: [
      { value: "${Name}.Read", description: "Read items." },
      { value: "${Name}.Write", description: "Create and replace items." },
    ],
    healthPath: "/health",
    openapi: "src/openapi.ts",
  },
});
`,
    [`${dir}/host.json`]: `${JSON.stringify(
      {
        version: "2.0",
        extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.0.0, 5.0.0)" },
        logging: {
          logLevel: { default: "Information", "Host.Results": "Information", Function: "Information" },
          applicationInsights: { samplingSettings: { isEnabled: true, maxTelemetryItemsPerSecond: 20, excludedTypes: "Request;Exception" } },
        },
        extensions: { http: { routePrefix: "api" } },
        functionTimeout: "00:01:00",
      },
      null,
      2,
    )}\n`,
    [`${dir}/local.settings.example.json`]: `${JSON.stringify(
      {
        IsEncrypted: false,
        Values: {
          FUNCTIONS_WORKER_RUNTIME: "node",
          AzureWebJobsStorage: "UseDevelopmentStorage=true",
          // The Cosmos DB emulator's published well-known key: local only, never a real account's.
          COSMOS: "AccountEndpoint=https://localhost:8081/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==;",
          COSMOS_DATABASE: `${name}-db`,
        },
        Host: { LocalHttpPort: port },
      },
      null,
      2,
    )}\n`,
    [`${dir}/src/index.ts`]: `/**
 * Entry of the ${name} Function App: registers its functions (v4 programming model) at module load.
 *
 * Only names and access load here: the host waits for the registrations on every cold start. The
 * handlers (zod, the schemas) load on the first request that needs them, the SDKs (Cosmos DB,
 * identity) with ./deps; the health route needs neither.
 */
import type { HttpHandler } from "@azure/functions";
import { deferredHttp, registerHttp } from "../../shared/caller";
import { healthHandler } from "../../shared/health";
import { lazyAsync } from "../../shared/util";
import manifest from "../service";
import { ${NAME}_ACCESS } from "./access";
import type { ${Name}Handlers } from "./handlers";

const deps = lazyAsync(async () => (await import("./deps.js")).${name}Deps(process.env));
const handlers = lazyAsync(async () => (await import("./handlers.js")).${name}Handlers(deps));
const deferred = (name: Exclude<keyof ${Name}Handlers, "health">): HttpHandler => deferredHttp(${NAME}_ACCESS[name], async () => (await handlers())[name]);

// Anonymous at the function level: callers come through the gateway, which validates their token,
// and the app accepts only the gateway's identity. Each handler declares its role (shared/caller.ts).
const route = (name: string, options: Parameters<typeof registerHttp>[2]): void => registerHttp(manifest.http.roles, name, options);
route("getItem", { methods: ["GET"], route: "items/{id}", authLevel: "anonymous", handler: deferred("getItem") });
route("putItem", { methods: ["PUT"], route: "items/{id}", authLevel: "anonymous", handler: deferred("putItem") });
route("health", { methods: ["GET"], route: "health", authLevel: "anonymous", handler: healthHandler(manifest.name) });
`,
    [`${dir}/src/access.ts`]: `/**
 * Who may call each HTTP function of ${name}: one table for the registration (index.ts declares it at
 * start-up, before the handlers load) and for the handlers' own checks (handlers.ts).
 */
import type { HttpAccess } from "../../shared/caller";
import type { ${Name}Handlers } from "./handlers";

export const ${NAME}_ACCESS = {
  getItem: { kind: "secured", role: "${Name}.Read" },
  putItem: { kind: "secured", role: "${Name}.Write" },
  health: { kind: "anonymous" },
} as const satisfies Record<keyof ${Name}Handlers, HttpAccess>;
`,
    [`${dir}/src/deps.ts`]: `/**
 * Everything the ${name} functions need from the outside world, built in one place from app settings.
 * Handlers receive a \`() => ${Name}Deps\` so tests can pass their own.
 */
import type { Container } from "@azure/cosmos";
import { cosmosClientFromSettings } from "../../shared/clients/cosmos";
import type { ClientOptions } from "../../shared/clients/credential";
import { databaseFor } from "../../shared/manifest";
import { type Settings, databaseSetting } from "../../shared/settings";
import manifest, { ITEMS_CONTAINER } from "../service";

export interface ${Name}Deps {
  readonly items: Container;
  readonly clock: () => Date;
}

export function itemsContainer(settings: Settings, options: ClientOptions = {}): Container {
  return cosmosClientFromSettings(settings, options).database(databaseSetting(settings, databaseFor(manifest.name))).container(ITEMS_CONTAINER);
}

export function ${name}Deps(settings: Settings, options: ClientOptions = {}): ${Name}Deps {
  return { items: itemsContainer(settings, options), clock: () => new Date() };
}
`,
    [`${dir}/src/schemas.ts`]: `/**
 * The ${name} API's schemas, defined once: the handlers validate with them and openapi.ts describes
 * the API from them. Requests are strict: an unknown field is an error, never ignored.
 */
import * as z from "zod";
import { safeText } from "../../shared/schemas";

export const itemIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, { error: "1-64 letters, digits or hyphens" });

export const itemParamsSchema = z.object({ id: itemIdSchema.meta({ example: "item-1" }) });

export const itemInputSchema = z
  .strictObject({ name: safeText(z.string().trim().min(1).max(200)).meta({ example: "First item" }) })
  .meta({ id: "${Name}ItemInput", description: "An item's fields; the id is the path's." });
export type ItemInput = z.infer<typeof itemInputSchema>;

export const itemViewSchema = z
  .object({ id: itemIdSchema, name: z.string(), updatedAt: z.iso.datetime({ offset: true }) })
  .meta({ id: "${Name}Item" });
export type ItemView = z.infer<typeof itemViewSchema>;
`,
    [`${dir}/src/handlers.ts`]: `/**
 * The ${name} HTTP handlers, created from a deps getter (lazy SDK clients in index.ts, the
 * emulators in tests). Bad input is a problem+json 4xx, never a 500.
 */
import type { HttpHandler } from "@azure/functions";
import { type CallerHandler, secured } from "../../shared/caller";
import { healthHandler } from "../../shared/health";
import { jsonResponse, readJsonBody, validate } from "../../shared/http";
import { ProblemError } from "../../shared/problem";
import manifest from "../service";
import { ${NAME}_ACCESS } from "./access";
import type { ${Name}Deps } from "./deps";
import { type ItemView, itemInputSchema, itemParamsSchema } from "./schemas";

export interface ${Name}Handlers {
  readonly getItem: HttpHandler;
  readonly putItem: HttpHandler;
  readonly health: HttpHandler;
}

export function ${name}Handlers(getDeps: () => ${Name}Deps | Promise<${Name}Deps>): ${Name}Handlers {
  const getItem: CallerHandler = async (request) => {
    const { id } = validate(itemParamsSchema, { ...request.params }, "path parameters", "/path");
    const { resource } = await (await getDeps()).items.item(id, id).read<ItemView>();
    if (!resource) throw new ProblemError("notFound", \`there is no item \${id}\`);
    return jsonResponse(200, { id: resource.id, name: resource.name, updatedAt: resource.updatedAt }, { "Cache-Control": "no-store" });
  };

  const putItem: CallerHandler = async (request) => {
    const { id } = validate(itemParamsSchema, { ...request.params }, "path parameters", "/path");
    const input = validate(itemInputSchema, await readJsonBody(request), "item");
    const deps = await getDeps();
    const item: ItemView = { id, name: input.name, updatedAt: deps.clock().toISOString() };
    const response = await deps.items.items.upsert(item);
    return jsonResponse(response.statusCode === 201 ? 201 : 200, item, { "Cache-Control": "no-store" });
  };

  return {
    getItem: secured(${NAME}_ACCESS.getItem.role, getItem),
    putItem: secured(${NAME}_ACCESS.putItem.role, putItem),
    health: healthHandler(manifest.name),
  };
}
`,
    [`${dir}/src/openapi.ts`]: `/**
 * The ${name} API description (OpenAPI 3.0.3), generated from the schemas the handlers validate with.
 * The gateway imports it (manifest \`http.openapi\`) and keys a policy on each operationId: never rename one.
 */
import { DEFAULT_MAX_BODY_BYTES } from "../../shared/http";
import {
  apiRegistry,
  bodyTooLargeProblem,
  generateOpenApiDocument,
  notJsonProblem,
  type OpenApiDocument,
  problemResponse,
  registerHealthPath,
  unavailableProblem,
  validationProblem,
} from "../../shared/openapi";
import manifest from "../service";
import { itemInputSchema, itemParamsSchema, itemViewSchema } from "./schemas";

export type { OpenApiDocument } from "../../shared/openapi";

const item = (description: string) => ({ description, content: { "application/json": { schema: itemViewSchema } } });

export function openApiDocument(): OpenApiDocument {
  const { registry, secured } = apiRegistry(manifest.http);
  registry.registerPath({
    method: "get",
    path: "/items/{id}",
    operationId: "getItem",
    summary: "Get an item",
    tags: ["items"],
    ...secured("${Name}.Read"),
    request: { params: itemParamsSchema },
    responses: { 200: item("The item."), 400: validationProblem("bad id"), 404: problemResponse("There is no item with this id."), 503: unavailableProblem },
  });
  registry.registerPath({
    method: "put",
    path: "/items/{id}",
    operationId: "putItem",
    summary: "Create or replace an item",
    description: \`Creates (201) or replaces (200) the item. Bodies above \${DEFAULT_MAX_BODY_BYTES} bytes are rejected with 413.\`,
    tags: ["items"],
    ...secured("${Name}.Write"),
    request: { params: itemParamsSchema, body: { required: true, content: { "application/json": { schema: itemInputSchema } } } },
    responses: {
      200: item("Replaced."),
      201: item("Created."),
      400: validationProblem("bad id"),
      413: bodyTooLargeProblem,
      415: notJsonProblem,
      503: unavailableProblem,
    },
  });
  registerHealthPath(registry);
  return generateOpenApiDocument(registry, manifest.http, ["items", "health"]);
}
`,
    [`test/functions-src/${name}/http.test.ts`]: `/**
 * The ${name} HTTP handlers against the Cosmos DB emulator (the services project starts it). The
 * folder's shape, host.json, registrations and OpenAPI document are checked for every service by
 * test/functions-src/services.contract.test.ts.
 */
import type { HttpHandler, HttpResponseInit } from "@azure/functions";
import { beforeAll, describe, expect, it } from "vitest";
import manifest from "../../../functions-src/${name}/service";
import { ${name}Deps } from "../../../functions-src/${name}/src/deps";
import { type ${Name}Handlers, ${name}Handlers } from "../../../functions-src/${name}/src/handlers";
import { type TestCaller, createDatabase, emulatorSettings, header, request, responseJson, testContext, unique } from "../support/services";

const database = unique("${name}-http");
const settings = emulatorSettings({ COSMOS_DATABASE: database });
const NOW = new Date("2026-03-01T12:00:00.000Z");
const caller: TestCaller = { id: "${name}-tests", roles: manifest.http.roles.map((r) => r.value) };
let api: ${Name}Handlers;

async function call(handler: HttpHandler, init: Parameters<typeof request>[0]): Promise<HttpResponseInit> {
  return (await handler(request({ caller, ...init }), testContext().context)) as HttpResponseInit;
}
const put = (id: string, body: unknown) => call(api.putItem, { method: "PUT", path: \`/items/\${id}\`, params: { id }, body: body as object });
const get = (id: string) => call(api.getItem, { method: "GET", path: \`/items/\${id}\`, params: { id } });

beforeAll(async () => {
  await createDatabase(settings, database, manifest.owns.containers);
  const deps = { ...${name}Deps(settings), clock: () => NOW };
  api = ${name}Handlers(() => deps);
});

describe("${name} items", () => {
  it("creates (201), replaces (200) and reads an item", async () => {
    expect((await put("item-1", { name: "First" })).status).toBe(201);
    expect((await put("item-1", { name: "Renamed" })).status).toBe(200);
    const read = await get("item-1");
    expect(read.status).toBe(200);
    expect(responseJson(read)).toEqual({ id: "item-1", name: "Renamed", updatedAt: NOW.toISOString() });
  });

  it("answers problems for a missing item, bad input and a caller without the role", async () => {
    const missing = await get("nothing-here");
    expect(missing.status).toBe(404);
    expect(header(missing, "content-type")).toBe("application/problem+json");
    expect((await put("item-2", { name: "x", extra: true })).status).toBe(400);
    expect((await put("bad id!", { name: "x" })).status).toBe(400);
    const readOnly = await api.putItem(request({ method: "PUT", path: "/items/item-3", params: { id: "item-3" }, body: { name: "x" }, caller: { id: "reader", roles: ["${Name}.Read"] } }), testContext().context);
    expect((readOnly as HttpResponseInit).status).toBe(403);
  });

  it("answers health anonymously", async () => {
    const health = await call(api.health, { method: "GET", path: "/health", caller: null });
    expect(responseJson(health)).toMatchObject({ status: "ok", service: "${name}" });
  });
});
`,
  };
}

/** Adds the service's entry to `doc`'s services map, in the shape of the stack's other HTTP services. */
function addStackEntry(doc: Document, stack: string, name: string): void {
  const at = ["config", `${PROJECT}:services`];
  const services = doc.getIn(at);
  if (!isMap(services)) throw new UserError(`Pulumi.${stack}.yaml has no ${PROJECT}:services map to add "${name}" to`);
  // Flex Consumption: 512 MB instances, at most 40 (the platform's default for a small API); prod adds
  // zone redundancy like every prod app (composition checks it).
  const entry = doc.createNode(stack === "prod" ? { instanceMemoryMB: 512, maximumInstanceCount: 40, zoneRedundant: true } : { instanceMemoryMB: 512, maximumInstanceCount: 40 });
  services.set(doc.createNode(name), entry);
  const key = services.items.at(-1)?.key;
  if (isScalar(key)) key.commentBefore = ` Scaffolded by npm run new-service -- ${name}.`;
}

/** Writes the service into `root`; returns the files written (relative paths). Throws UserError on a bad name. */
export function scaffold(name: string, root: string): string[] {
  const problem = refusal(name, root);
  if (problem) throw new UserError(problem);
  const files = serviceFiles(name, nextLocalPort(root));
  // Parse both stack files before writing anything: a failure leaves the repository as it was.
  const stacks = STACKS.map((stack) => {
    const doc = stackFile(root, stack);
    addStackEntry(doc, stack, name);
    return [stack, doc] as const;
  });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text, { flag: "wx" });
  }
  // Keep the file as written: flow lists unpadded, long lines unfolded; only the new entry differs.
  for (const [stack, doc] of stacks) writeFileSync(path.join(root, `Pulumi.${stack}.yaml`), doc.toString({ flowCollectionPadding: false, lineWidth: 0 }));
  return [...Object.keys(files), ...STACKS.map((s) => `Pulumi.${s}.yaml`)];
}

/** Where the command writes: the process's console, or a test's buffers. */
export interface NewServiceIo {
  readonly log: (text: string) => void;
  readonly error: (text: string) => void;
}

/** `npm run new-service -- <argv>`: its exit code (0 scaffolded or --help, 2 a usage or naming mistake, 1 a bug of ours). */
export function runNewService(argv: readonly string[], io: NewServiceIo = { log: console.log, error: console.error }): number {
  try {
    return main(argv, io);
  } catch (e) {
    const failure = describeFailure(e);
    io.error(failure.text);
    return failure.userMistake ? 2 : 1;
  }
}

function main(argv: readonly string[], io: NewServiceIo): number {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { root: { type: "string" }, help: { type: "boolean", short: "h" } } });
  } catch (e) {
    io.error(`error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    io.log(USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    io.error(`error: expected one service name, found ${parsed.positionals.length}\n\n${USAGE}`);
    return 2;
  }
  const name = parsed.positionals[0]!;
  const root = path.resolve(parsed.values.root ?? path.join(__dirname, ".."));
  const written = scaffold(name, root);
  io.log(`created service "${name}":\n${written.map((f) => `  ${f}`).join("\n")}`);
  io.log(`next: npm run plan -- --stack dev   (see docs/ADDING-A-SERVICE.md)`);
  return 0;
}

if (require.main === module) process.exitCode = runNewService(process.argv.slice(2));
