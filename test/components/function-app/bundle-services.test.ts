/**
 * What each service's deployed package loads on a cold start (issue 17 item 3): the entry and the
 * chunks it imports statically are parsed and run before the host gets the app's registrations;
 * everything else waits for the first `import()`. These tests fail if a change puts an SDK client,
 * identity/MSAL or durable-functions back on that path, or breaks a chunk on its own.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { buildSync } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { BundleError, bundleService, packageOf, type ServiceBundle } from "../../../components/function-app/bundle";
import { FUNCTIONS_ROOT, loadManifest, serviceFolders } from "../../../composition/services";

const FAKE_CORE = path.resolve(__dirname, "fake-functions-core.cjs");
const temp = mkdtempSync(path.join(tmpdir(), "bundle-services-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Needed only when a function first runs: the SDK clients' packages, identity and MSAL under them. */
const FIRST_USE_ONLY = ["@azure/cosmos", "@azure/storage-queue", "@azure/storage-common", "@azure/eventgrid", "@azure/identity", "@azure/msal-node", "@azure/core-rest-pipeline"];
/** durable-functions and what it alone brings (durable-functions 3's dependencies). */
const DURABLE_ONLY = ["durable-functions", "axios", "moment", "validator"];

const services = serviceFolders().map((folder) => {
  const directory = path.join(FUNCTIONS_ROOT, folder);
  const manifest = loadManifest(directory);
  return { name: manifest.name, triggers: manifest.triggers, bundle: (): ServiceBundle => bundleService({ name: manifest.name, directory, entry: manifest.entry }) };
});

describe("service packages on a cold start", () => {
  it.each(services.map((s) => [s.name, s] as const))("%s: its entry and static imports hold no SDK client, identity or MSAL", (_name, service) => {
    const bundle = service.bundle();
    expect(bundle.loadedAtStart).toContain("@azure/functions"); // the lists are read from the real outputs
    expect(bundle.packages).toContain("@azure/cosmos"); // every service uses Cosmos DB: it is in the package, in a chunk
    expect(bundle.loadedAtStart.filter((p) => FIRST_USE_ONLY.includes(p))).toEqual([]);
  });

  it("keeps durable-functions and its dependencies out of every service that registers no Durable function", () => {
    const durable = services.filter((s) => s.triggers.includes("durable"));
    expect(durable.map((s) => s.name)).toEqual(["fulfillment"]);
    expect(durable[0]!.bundle().packages).toEqual(expect.arrayContaining(DURABLE_ONLY));
    for (const service of services.filter((s) => !s.triggers.includes("durable"))) {
      expect({ service: service.name, durable: service.bundle().packages.filter((p) => DURABLE_ONLY.includes(p)) }).toEqual({ service: service.name, durable: [] });
    }
  });

  it.each(services.map((s) => [s.name, s] as const))("%s registers with @azure/functions alone: zod, the schemas and the handlers load on each function's first call", (_name, service) => {
    const bundle = service.bundle();
    expect(bundle.packages).toContain("zod");
    // Read from the entry's own output: chunks behind an import() are entry points in esbuild's metafile too.
    expect(bundle.loadedAtStart).toEqual(["@azure/functions", "@azure/functions-extensions-base", "cookie"]);
  });

  it("fulfillment's durable-functions, its dependencies and zod load on first use", () => {
    const fulfillment = services.find((s) => s.name === "fulfillment")!.bundle();
    expect(fulfillment.packages).toEqual(expect.arrayContaining([...DURABLE_ONLY, "zod"]));
    expect(fulfillment.loadedAtStart.filter((p) => [...DURABLE_ONLY, "zod", "lodash", "mime-db"].includes(p))).toEqual([]);
  });

  it("a queue message's first invocation loads what its function runs: fulfillment's starter, the durable client without the orchestration runtime; no Storage SDK before a send", () => {
    /** The packages `entries` load before their first `import()` (statically imported or required). */
    const staticPackages = (directory: string, entries: readonly string[]): string[] => {
      const { metafile } = buildSync({ entryPoints: entries.map((e) => path.join(directory, e)), absWorkingDir: directory, bundle: true, write: false, outdir: path.join(temp, "graph"), platform: "node", format: "esm", external: ["@azure/functions-core"], metafile: true, logLevel: "silent" });
      const reached = new Set<string>();
      const visit = (input: string): void => {
        if (reached.has(input)) return;
        reached.add(input);
        for (const i of metafile.inputs[input]?.imports ?? []) if (i.kind !== "dynamic-import" && !i.external) visit(i.path);
      };
      for (const entry of entries) visit(entry);
      return [...new Set([...reached].map(packageOf).filter((p): p is string => p !== undefined))].sort();
    };
    const starter = staticPackages(path.join(FUNCTIONS_ROOT, "fulfillment"), ["src/starter.ts", "src/starter-deps.ts"]);
    expect(starter).toEqual(expect.arrayContaining(["durable-functions", "axios", "validator", "zod"])); // its client and its contract
    expect(starter.filter((p) => ["moment", "uuid", "@azure/storage-queue", "@azure/cosmos"].includes(p))).toEqual([]);
    const delivery = staticPackages(path.join(FUNCTIONS_ROOT, "notifications"), ["src/deps.ts"]);
    expect(delivery).toContain("@azure/cosmos"); // its first call reads the deliveries container
    expect(delivery).not.toContain("@azure/storage-queue"); // the poison queue's SDK loads on the first dead-letter
  });

  it("every file of every package loads in a fresh node (the entry registers; each chunk evaluates on its own)", () => {
    const nodePath = path.join(temp, "core", "node_modules");
    mkdirSync(path.join(nodePath, "@azure", "functions-core"), { recursive: true });
    copyFileSync(FAKE_CORE, path.join(nodePath, "@azure", "functions-core", "index.js"));
    for (const service of services) {
      const bundle = service.bundle();
      const files = bundle.files.filter((f) => f.name.endsWith(".js")).map((f) => pathToFileURL(path.join(bundle.appDirectory, f.name)).href);
      expect(files.length).toBeGreaterThan(1);
      const report = path.join(temp, `${service.name}.json`);
      const run = spawnSync(process.execPath, ["-e", `(async () => { for (const f of ${JSON.stringify(files)}) await import(f); })().then(() => setImmediate(() => process.exit(0)), (e) => { console.error(e); process.exit(1); })`], {
        cwd: bundle.appDirectory,
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", NODE_PATH: nodePath, FAKE_FUNCTIONS_CORE_REPORT: report },
        timeout: 30_000,
      });
      expect({ service: service.name, status: run.status, stderr: run.stderr }).toEqual({ service: service.name, status: 0, stderr: "" });
    }
  });

  it("builds a package with chunks byte for byte the same twice (content-hashed chunk names, a deterministic zip)", () => {
    const catalog = path.join(FUNCTIONS_ROOT, "catalog");
    const [first, second] = ["a", "b"].map((out) => bundleService({ name: "catalog", directory: catalog, outRoot: path.join(temp, `twice-${out}`) }));
    expect(first!.files.filter((f) => f.name.startsWith("chunks/")).length).toBeGreaterThan(1);
    expect(second!.files).toEqual(first!.files);
    expect(second!.sha256).toBe(first!.sha256);
  });

  it("names chunks after their code: the same sources in another folder give the same package", () => {
    const repository = path.resolve(FUNCTIONS_ROOT, "..");
    const copy = path.join(temp, "elsewhere", "repo");
    cpSync(FUNCTIONS_ROOT, path.join(copy, "functions-src"), { recursive: true });
    for (const file of ["package.json", "tsconfig.json"]) copyFileSync(path.join(repository, file), path.join(copy, file));
    // Linked, as a scaffolded copy's are: esbuild sees the packages at their real path, from another folder.
    symlinkSync(path.join(repository, "node_modules"), path.join(copy, "node_modules"), "dir");
    const here = bundleService({ name: "catalog", directory: path.join(FUNCTIONS_ROOT, "catalog"), outRoot: path.join(temp, "here") });
    const there = bundleService({ name: "catalog", directory: path.join(copy, "functions-src", "catalog"), outRoot: path.join(temp, "there") });
    expect(there.files).toEqual(here.files);
    expect(there.sha256).toBe(here.sha256);
  });

  it("removes an earlier build's chunks but never another process's file in flight (two plans bundle the same service at once)", () => {
    const outRoot = path.join(temp, "concurrent");
    const build = (): ServiceBundle => bundleService({ name: "catalog", directory: path.join(FUNCTIONS_ROOT, "catalog"), outRoot });
    const chunks = path.join(build().appDirectory, "chunks");
    const stale = path.join(chunks, "deps-OLDHASH1.js");
    const inFlight = path.join(chunks, "deps-OLDHASH1.js.4242.abc123.tmp");
    writeFileSync(stale, "export {};\n");
    writeFileSync(inFlight, "export {};\n");
    rmSync(path.join(outRoot, "catalog", "bundle-cache.json")); // build again, not reuse
    build();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(inFlight)).toBe(true);
  });

  it("refuses an ES import of the host's module, which only require() receives on Azure", () => {
    const directory = path.join(temp, "esm-core");
    mkdirSync(path.join(directory, "src"), { recursive: true });
    writeFileSync(path.join(directory, "host.json"), '{ "version": "2.0" }\n');
    writeFileSync(path.join(directory, "src", "index.ts"), 'import * as core from "@azure/functions-core";\nconsole.log(core);\n');
    const build = (): unknown => bundleService({ name: "esm-core", directory, outRoot: path.join(temp, "out") });
    expect(build).toThrow(BundleError);
    expect(build).toThrow(/@azure\/functions-core is imported as an ES module by .*src\/index\.ts \(import-statement\).*require\(\) only/);
  });
});
