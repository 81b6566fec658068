/**
 * Bundles one service of `functions-src/` into the package OneDeploy uploads to a Flex Consumption
 * app: an ES module entry (esbuild, minified) and the chunks it loads on first use, the service's
 * `host.json` and a generated `package.json`, zipped deterministically so unchanged sources give a
 * byte-identical zip (and the same hash, which is what decides whether the code is redeployed).
 *
 * Synchronous on purpose: the Pulumi program calls it while composing resources, and the hash must be
 * a plain string then (an Output would make previews show a redeploy for every app).
 */
import { buildSync, version as esbuildVersion, type Message, type Metafile } from "esbuild";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { UserError } from "../core/user-error";
import type { TriggerKind } from "./triggers";
import { fingerprint, readCacheRecord, stillValid, type CacheRecord } from "./bundle-cache";

/**
 * Where bundles go by default: `.build/functions/<service>/` under the working directory (Pulumi runs a
 * program in its project directory). Callers that know their project root pass `outRoot` instead.
 */
export const DEFAULT_OUT_ROOT = path.resolve(".build", "functions");

/**
 * Provided by the Functions host's Node worker at run time. If it were bundled (or missing),
 * `@azure/functions` would silently switch to test mode and register no function on Azure.
 */
export const HOST_PROVIDED_MODULES: readonly string[] = ["@azure/functions-core"];

/** Names of the files inside the package (chunks go under `chunks/`, named by content hash). */
export const PACKAGE_FILES = { bundle: "index.js", host: "host.json", manifest: "package.json", chunks: "chunks" } as const;

export interface BundleServiceOptions {
  /** The service name (lowercase letters, digits, hyphens): names the output folder and the zip. */
  readonly name: string;
  /** The service folder, absolute or relative to the working directory, e.g. `functions-src/orders`. */
  readonly directory: string;
  /** The entry module, relative to `directory` (the manifest's `entry`). @default "src/index.ts" */
  readonly entry?: string;
  /** Parent of the per-service output folder. @default `.build/functions` under the working directory */
  readonly outRoot?: string;
  /** Node.js major version the Functions runtime runs (esbuild's target). @default "22" */
  readonly nodeVersion?: string;
  /**
   * The trigger kinds the service's manifest declares, and where: when given, the bundle is loaded
   * with a stand-in for the host's `@azure/functions-core` and must register functions of exactly
   * these kinds (the kinds decide the app's roles and settings). @default not checked
   */
  readonly declaredTriggers?: { readonly triggers: readonly TriggerKind[]; readonly manifestFile: string };
}

export interface BundledFile {
  /** Path inside the zip. */
  readonly name: string;
  readonly sizeBytes: number;
  readonly sha256: string;
}

export interface ServiceBundle {
  /** The deployment package. */
  readonly zipPath: string;
  /** Hex SHA-256 of the zip bytes: equal hashes mean an identical package. */
  readonly sha256: string;
  readonly sizeBytes: number;
  /** The files in the zip, in zip order. */
  readonly files: readonly BundledFile[];
  /** The same files unzipped (e.g. to load the bundle locally in a test or a benchmark). */
  readonly appDirectory: string;
  /** esbuild warnings that do not make the bundle unusable. */
  readonly warnings: readonly string[];
  /**
   * The npm packages loaded before the app registers its functions: those in `index.js` and in the
   * chunks it imports statically. Everything else loads on first use (`import()`). Sorted.
   */
  readonly loadedAtStart: readonly string[];
  /** Every npm package in the package, in any file. Sorted. */
  readonly packages: readonly string[];
}

/** A service that cannot be bundled; the message names the file (at a line and column) or setting to fix. */
export class BundleError extends UserError {}

/** A path as the user reads it: relative to the working directory when inside it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

// ES module output with code splitting: what a function needs only when it runs (the SDK clients
// behind a service's `import("./deps")`: Cosmos DB, Storage, Event Grid, identity and MSAL) goes to
// chunks the entry does not import, so a cold start neither parses nor initializes it before the host
// has the app's registrations. The Node worker loads an ES module `main` with `import()` when
// package.json says `"type": "module"` (azure-functions-nodejs-worker src/loadScriptFile.ts, isESModule),
// and `main` is a glob of entry files, so the chunks beside it are never loaded as entries
// (src/startApp.ts, loadEntryPointFile).
// The host provides `@azure/functions-core` only to `require` (a Proxy on Module.prototype.require,
// src/setupCoreModule.ts); an ESM `import` of it fails on Azure (azure-functions-nodejs-worker
// issue #104). `@azure/functions` is CommonJS and requires it, so every file gets a real `require`
// (createRequire, which calls Module.prototype.require) and free `__filename`/`__dirname` of CommonJS
// dependencies keep their meaning through unique names; checkHostModuleRequired refuses an ESM import.
const BANNER =
  'import{createRequire as __bundle_createRequire}from"node:module";import{fileURLToPath as __bundle_fileURLToPath}from"node:url";' +
  'import{dirname as __bundle_dirnameOf}from"node:path";const require=__bundle_createRequire(import.meta.url),' +
  "__bundle_filename=__bundle_fileURLToPath(import.meta.url),__bundle_dirname=__bundle_dirnameOf(__bundle_filename);";
const COMMONJS_DEFINES: Record<string, string> = { __filename: "__bundle_filename", __dirname: "__bundle_dirname" };
// Minified: smaller packages and, for the former CommonJS output, a faster load (no effect measured on
// this ES module output's start path); keepNames is not needed, our error classes name themselves.
// Not taken: Node's module compile cache (module.enableCompileCache, Node >= 22.1). It keeps V8 code
// cache in NODE_COMPILE_CACHE or os.tmpdir()/node-compile-cache and "may slow down the first load of a
// module graph" (https://nodejs.org/api/module.html#module-compile-cache). A Flex Consumption app runs
// from its package, mounted read-only (https://learn.microsoft.com/azure/azure-functions/run-functions-from-deployment-package,
// https://learn.microsoft.com/azure/app-service/deploy-run-package), so a cache could only be written to
// an instance's temporary storage, which a new instance (a cold start) starts without. A cache built
// with the package cannot stand in: "compilation cache generated by one version of Node.js can not be
// reused by a different version of Node.js" (same page, "Limitations of the compile cache"), an app
// names only the major (functionAppConfig.runtime.version "22": NODE_RUNTIME) and the platform the
// release, and Node 22.23 has no portable cache (enableCompileCache takes only a directory there; the
// `portable` option came with nodejs/node PR #58797, measured with the bench's Node 22.23.5).
// Not taken either: turning the ES module imports of Node's built-ins in dependencies into `require`.
// On Node 22 `import … from "node:http"` costs about 18 ms against 2 ms for `require("node:http")`: the
// ES module facade reads every export, and http's WebSocket, CloseEvent and MessageEvent are getters
// that load Node's internal undici (nodejs/node issues #57649, #59686). But an Azure SDK request loads
// undici anyway (@typespec/ts-http-runtime formData.js tests `typeof FormData`, a lazy global), and so
// does importing axios (durable-functions; lib/adapters/fetch.js builds a Request at import), so a
// bundle with every built-in required left the queue apps' first invocation where it was (bench CPU
// time 6.2–6.7x bare node either way, 2026-12-04) for an esbuild plugin, which only the async API takes.

/**
 * Bundles `options.directory` into `<outRoot>/<name>/<name>.zip` (plus the unzipped files in
 * `<outRoot>/<name>/app/`) and returns the zip's path and hash.
 *
 * @throws BundleError when the folder, the entry or `host.json` is missing or invalid, or esbuild fails.
 */
export function bundleService(options: BundleServiceOptions): ServiceBundle {
  const name = options.name;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new BundleError(`service name "${name}" must be lowercase letters, digits and hyphens (it names the output folder)`);
  }
  const directory = path.resolve(options.directory);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new BundleError(`service "${name}": folder ${shown(directory)} does not exist`);
  }
  const entry = path.resolve(directory, options.entry ?? "src/index.ts");
  if (!existsSync(entry) || !statSync(entry).isFile()) {
    throw new BundleError(`service "${name}": entry ${shown(entry)} does not exist (the manifest's "entry" is relative to ${shown(directory)})`);
  }
  const hostJsonPath = path.join(directory, PACKAGE_FILES.host);
  if (!existsSync(hostJsonPath)) {
    throw new BundleError(`service "${name}": ${shown(hostJsonPath)} is missing; every Functions app needs its host.json`);
  }
  const hostJson = readFileSync(hostJsonPath);
  try {
    JSON.parse(hostJson.toString("utf8"));
  } catch (error) {
    throw new BundleError(`${shown(hostJsonPath)} is not valid JSON (${(error as Error).message}); fix the file`);
  }

  const nodeVersion = options.nodeVersion ?? "22";
  const outDir = path.join(path.resolve(options.outRoot ?? DEFAULT_OUT_ROOT), name);
  const appDirectory = path.join(outDir, "app");
  const zipPath = path.join(outDir, `${name}.zip`);
  const cacheFile = path.join(outDir, "bundle-cache.json");
  // Everything but the source files that decides the bytes; the sources are fingerprinted (bundle-cache.ts).
  const key = sha256(
    JSON.stringify({ name, entry, directory, nodeVersion, esbuild: esbuildVersion, hostJson: sha256(hostJson), bundler: sha256(readFileSync(__filename)) }),
  );
  const reused = reuseCachedBundle(cacheFile, key, zipPath, appDirectory);
  const bundle = reused ?? buildBundle();
  if (options.declaredTriggers) {
    checkDeclaredTriggers(options.declaredTriggers, registeredFunctions(bundle), path.relative(directory, entry));
  }
  return bundle;

  function buildBundle(): ServiceBundle {
    const result = runEsbuild(name, directory, entry, nodeVersion);
    const files: readonly { name: string; data: Buffer }[] = [
      { name: PACKAGE_FILES.host, data: hostJson },
      ...result.code,
      { name: PACKAGE_FILES.manifest, data: generatedPackageJson(name) },
    ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    mkdirSync(appDirectory, { recursive: true });
    // Chunks of an earlier build (other hashes) would linger beside the new ones. Only finished chunk
    // files go: another process building the same service at once (the dev and prod plans) may have
    // temporary files here (writeFileAtomic), and its chunks have the same names as these.
    const chunkDirectory = path.join(appDirectory, PACKAGE_FILES.chunks);
    if (existsSync(chunkDirectory)) {
      const current = new Set(files.map((f) => f.name));
      for (const old of readdirSync(chunkDirectory)) {
        if (old.endsWith(".js") && !current.has(`${PACKAGE_FILES.chunks}/${old}`)) rmSync(path.join(chunkDirectory, old), { force: true });
      }
    }
    for (const file of files) {
      mkdirSync(path.dirname(path.join(appDirectory, file.name)), { recursive: true });
      writeFileAtomic(path.join(appDirectory, file.name), file.data);
    }

    // The zip is built from memory, never from the folder: nothing else on disk can slip into it.
    const zip = zipDeterministicSync(files);
    writeFileAtomic(zipPath, zip);

    const built: ServiceBundle = {
      zipPath,
      sha256: sha256(zip),
      sizeBytes: zip.length,
      files: files.map((f) => ({ name: f.name, sizeBytes: f.data.length, sha256: sha256(f.data) })),
      appDirectory,
      warnings: result.warnings,
      loadedAtStart: result.loadedAtStart,
      packages: result.packages,
    };
    const record: CacheRecord = {
      key,
      inputs: fingerprint(result.inputs),
      zipSha256: built.sha256,
      files: built.files,
      warnings: built.warnings,
      loadedAtStart: built.loadedAtStart,
      packages: built.packages,
    };
    writeFileAtomic(cacheFile, Buffer.from(`${JSON.stringify(record)}
`));
    return built;
  }
}

/**
 * The package recorded in `cacheFile` when it was built with the same key from inputs that all still
 * hash the same, and the zip and app files on disk are byte for byte what was built; else undefined.
 */
function reuseCachedBundle(cacheFile: string, key: string, zipPath: string, appDirectory: string): ServiceBundle | undefined {
  const record = readCacheRecord(cacheFile);
  if (!record || record.key !== key || !existsSync(zipPath)) return undefined;
  const zip = readFileSync(zipPath);
  if (sha256(zip) !== record.zipSha256) return undefined;
  for (const file of record.files) {
    const onDisk = path.join(appDirectory, file.name);
    if (!existsSync(onDisk) || sha256(readFileSync(onDisk)) !== file.sha256) return undefined;
  }
  if (!stillValid(record.inputs)) return undefined;
  return {
    zipPath,
    sha256: record.zipSha256,
    sizeBytes: zip.length,
    files: record.files,
    appDirectory,
    warnings: record.warnings,
    loadedAtStart: record.loadedAtStart,
    packages: record.packages,
  };
}

interface EsbuildResult {
  /** The entry (`index.js`) and its chunks, by path inside the package. */
  readonly code: { name: string; data: Buffer }[];
  readonly warnings: string[];
  readonly inputs: string[];
  readonly loadedAtStart: string[];
  readonly packages: string[];
}

function runEsbuild(name: string, directory: string, entry: string, nodeVersion: string): EsbuildResult {
  let build: ReturnType<typeof buildSync>;
  try {
    build = buildSync({
      entryPoints: [entry],
      // Paths esbuild might embed are relative to this: the output does not depend on the checkout's location.
      absWorkingDir: directory,
      outdir: directory,
      entryNames: path.basename(PACKAGE_FILES.bundle, ".js"),
      // Content-hashed names: the same sources give the same names and bytes (a deterministic zip).
      chunkNames: `${PACKAGE_FILES.chunks}/[name]-[hash]`,
      write: false,
      bundle: true,
      platform: "node",
      target: `node${nodeVersion}`,
      format: "esm",
      splitting: true,
      minify: true,
      sourcemap: false,
      // Licences stay in node_modules and the lockfile; the package is deployed, not redistributed.
      legalComments: "none",
      charset: "utf8",
      external: [...HOST_PROVIDED_MODULES],
      banner: { js: BANNER },
      define: { ...COMMONJS_DEFINES, "process.env.NODE_ENV": '"production"' },
      logLevel: "silent",
      // The files it read (the cache's fingerprint) and what each output holds (loadedAtStart).
      metafile: true,
    });
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors ?? [];
    if (errors.length === 0) throw error; // not a problem in the code: esbuild itself failed (a bug to report)
    throw new BundleError(
      `${errors.map((m) => formatCodeError(m, directory)).join("\n")}\n` +
        `Service "${name}" does not compile: fix the code at that place (npm run typecheck lists type errors too).`,
    );
  }
  const metafile = build.metafile!;
  checkHostModuleRequired(name, metafile, directory);
  const code = locationFreeChunkNames((build.outputFiles ?? []).map((f) => ({ name: path.relative(directory, f.path).split(path.sep).join("/"), text: f.text })));
  if (!code.some((f) => f.name === PACKAGE_FILES.bundle)) throw new BundleError(`service "${name}": esbuild produced no ${PACKAGE_FILES.bundle}`);
  const inputs = Object.keys(metafile.inputs).map((f) => path.resolve(directory, f));
  const entryInput = path.relative(directory, entry).split(path.sep).join("/");
  return { code, warnings: build.warnings.map(formatMessage), inputs, ...packagesByLoadTime(metafile, entryInput) };
}

/**
 * esbuild's chunk hashes cover the input files' paths, so the same sources in another folder (a copy
 * whose node_modules are links: the scaffold's figures) would give other names, hence other bytes and
 * another hash. Each chunk is renamed after a hash of its own code (references to chunks left out), and
 * every reference is rewritten: the names, and so the package, depend on the code only.
 */
function locationFreeChunkNames(files: readonly { name: string; text: string }[]): { name: string; data: Buffer }[] {
  const hashed = /^(.*-)([A-Z0-9]{8})\.js$/;
  const chunks = files.flatMap((f) => {
    const match = f.name.startsWith(`${PACKAGE_FILES.chunks}/`) ? hashed.exec(path.posix.basename(f.name)) : null;
    return match ? [{ file: f, prefix: match[1]!, hash: match[2]! }] : [];
  });
  const withoutHashes = (text: string): string => chunks.reduce((t, c) => t.split(`${c.prefix}${c.hash}.js`).join(`${c.prefix}.js`), text);
  const renamed = new Map<string, string>();
  for (const c of chunks) {
    let name = `${c.prefix}${sha256(withoutHashes(c.file.text)).slice(0, 8)}.js`;
    for (let n = 2; [...renamed.values()].includes(name); n++) name = `${c.prefix}${sha256(`${n}:${withoutHashes(c.file.text)}`).slice(0, 8)}.js`;
    renamed.set(`${c.prefix}${c.hash}.js`, name);
  }
  const rewrite = (text: string): string => [...renamed].reduce((t, [from, to]) => t.split(from).join(to), text);
  return files.map((f) => {
    const base = path.posix.basename(f.name);
    const name = renamed.has(base) ? `${path.posix.dirname(f.name)}/${renamed.get(base)!}` : f.name;
    return { name, data: Buffer.from(rewrite(f.text), "utf8") };
  });
}

/** The npm package a bundled input belongs to (`@scope/name` or `name`), or undefined for the service's own files. */
export function packageOf(input: string): string | undefined {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(input);
  return match?.[1];
}

/** Which packages the entry and its static imports hold (loaded at start) and which any output holds. */
function packagesByLoadTime(metafile: Metafile, entryInput: string): { loadedAtStart: string[]; packages: string[] } {
  const outputs = metafile.outputs;
  // The entry's own output: a module behind an `import()` is an entry point of its chunk too.
  const entry = Object.keys(outputs).find((o) => outputs[o]!.entryPoint === entryInput);
  const atStart = new Set<string>();
  const visit = (output: string): void => {
    if (atStart.has(output) || !outputs[output]) return;
    atStart.add(output);
    for (const i of outputs[output]!.imports) if (i.kind === "import-statement" && !i.external) visit(i.path);
  };
  if (entry) visit(entry);
  const packagesIn = (names: Iterable<string>): string[] =>
    [...new Set([...names].flatMap((o) => Object.keys(outputs[o]!.inputs).map(packageOf).filter((p): p is string => p !== undefined)))].sort();
  return { loadedAtStart: packagesIn(atStart), packages: packagesIn(Object.keys(outputs)) };
}

/**
 * The host's module must be reached with `require`: an ES `import` of it compiles, loads under a
 * test's NODE_PATH stand-in, and fails on Azure, where only `require` is intercepted (see BANNER).
 */
function checkHostModuleRequired(name: string, metafile: Metafile, directory: string): void {
  const offenders = Object.entries(metafile.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => HOST_PROVIDED_MODULES.includes(i.path) && i.kind !== "require-call").map((i) => `${shown(path.resolve(directory, file))} (${i.kind})`),
  );
  if (offenders.length > 0) {
    throw new BundleError(
      `service "${name}": ${HOST_PROVIDED_MODULES.join(", ")} is imported as an ES module by ${offenders.join(", ")}; ` +
        "the Functions worker provides it to require() only (azure-functions-nodejs-worker src/setupCoreModule.ts), so the import would fail on Azure: use @azure/functions instead",
    );
  }
}

/**
 * An esbuild error as an editor reads it: `functions-src/orders/src/index.ts:60:10: Unexpected ";"`,
 * then the line with a caret under the column and esbuild's notes (e.g. how to resolve an import).
 */
export function formatCodeError(m: Message, directory: string): string {
  const loc = m.location;
  if (!loc) return m.text;
  const file = shown(path.resolve(directory, loc.file));
  // esbuild columns are 0-based; editors and compilers print them 1-based.
  const lines = [`${file}:${loc.line}:${loc.column + 1}: ${m.text}`];
  if (loc.lineText) {
    const gutter = `${loc.line} | `;
    lines.push(`  ${gutter}${loc.lineText}`, `  ${" ".repeat(gutter.length + loc.column)}^`);
  }
  for (const note of m.notes) if (note.text) lines.push(`  ${note.text}`);
  return lines.join("\n");
}

function formatMessage(m: Message): string {
  const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : "";
  return `${where}${m.text}`;
}

/** A function the bundle registers with the host, and the binding type of its trigger. */
export interface RegisteredFunction {
  readonly name: string;
  /** e.g. `httpTrigger`, `queueTrigger`, `orchestrationTrigger`. */
  readonly trigger: string;
  /** Non-trigger binding types (a durable client makes an HTTP or queue function a Durable one too). */
  readonly bindings: readonly string[];
  /** NCRONTAB schedule of a timer trigger (what keeps an app awake, priced by the cost estimate). */
  readonly schedule?: string;
  /** The queue a queue trigger reads (its binding's `queueName`): the code's own evidence of processing it. */
  readonly queue?: string;
  /** Queues its output bindings write to. */
  readonly sends?: readonly string[];
}

/**
 * Loads the bundle in a fresh Node process with a stand-in for `@azure/functions-core` (the module
 * the host's Node worker provides; with it present, `@azure/functions` registers through it as on
 * Azure) and returns what it registered. The result is cached next to the zip by the zip's hash.
 */
const REGISTRATION_PROBE = `
const Module = require("node:module");
const registrations = [];
const disposable = { dispose() {} };
const core = {
  setProgrammingModel() {},
  registerFunction(metadata) { registrations.push(metadata); return disposable; },
  registerHook() { return disposable; },
  log() {},
};
const load = Module._load;
Module._load = function (request, parent, isMain) {
  return request === "@azure/functions-core" ? core : load.call(this, request, parent, isMain);
};
const done = (result) => { process.stdout.write("\\n@@REGISTRATIONS@@" + JSON.stringify(result) + "\\n"); process.exit(0); };
// As the worker loads an ES module main (src/loadScriptFile.ts); registration happens while it evaluates.
import(require("node:url").pathToFileURL(process.argv[1]).href).then(() => setImmediate(report), (error) => done({ error: String((error && error.stack) || error) }));
const report = () => done({ functions: registrations.map((r) => {
  const bindings = Object.values(r.bindings || {});
  const trigger = bindings.find((b) => /Trigger$/.test(b.type));
  const schedule = trigger && trigger.schedule !== undefined ? { schedule: String(trigger.schedule) } : {};
  const queue = trigger && trigger.type === "queueTrigger" && typeof trigger.queueName === "string" ? { queue: trigger.queueName } : {};
  const sends = bindings.filter((b) => b.type === "queue" && b.direction === "out" && typeof b.queueName === "string").map((b) => b.queueName);
  return { name: r.name, trigger: trigger ? trigger.type : "none", bindings: bindings.filter((b) => b !== trigger).map((b) => b.type), ...schedule, ...queue, ...(sends.length > 0 ? { sends } : {}) };
}) });
`;

/** Bumped when the probe records more: a cache written by an older probe is read again. */
const PROBE_VERSION = "3";

export function registeredFunctions(bundle: Pick<ServiceBundle, "appDirectory" | "sha256">): RegisteredFunction[] {
  const cacheFile = path.join(bundle.appDirectory, "..", "registrations.json");
  if (existsSync(cacheFile)) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as { probe?: string; sha256?: string; functions?: RegisteredFunction[] };
      if (cached.probe === PROBE_VERSION && cached.sha256 === bundle.sha256 && Array.isArray(cached.functions)) return cached.functions;
    } catch {
      /* rewritten below */
    }
  }
  const run = spawnSync(process.execPath, ["-e", REGISTRATION_PROBE, path.join(bundle.appDirectory, PACKAGE_FILES.bundle)], {
    cwd: bundle.appDirectory,
    encoding: "utf8",
    timeout: 30_000,
    // No loaders (tsx, ts-node, vitest) and no app settings: the bundle loads as on a fresh worker.
    env: { PATH: process.env.PATH ?? "", NODE_OPTIONS: "" },
  });
  const stdout = run.stdout ?? "";
  const marker = stdout.lastIndexOf("@@REGISTRATIONS@@");
  if (marker < 0) {
    throw new Error(`loading the bundle ${bundle.appDirectory} to list its functions failed (exit ${run.status}): ${run.stderr || run.error?.message || "no output"}`);
  }
  const result = JSON.parse(stdout.slice(marker + "@@REGISTRATIONS@@".length)) as { functions?: RegisteredFunction[]; error?: string };
  if (result.error !== undefined) {
    throw new BundleError(`${shown(bundle.appDirectory)}: the service's code throws while loading, as it would on Azure (no function would register):\n${result.error}`);
  }
  const functions = result.functions ?? [];
  writeFileAtomic(cacheFile, Buffer.from(`${JSON.stringify({ probe: PROBE_VERSION, sha256: bundle.sha256, functions }, null, 2)}\n`));
  return functions;
}

/** The manifest's trigger kind of each binding type the platform supports. */
export const TRIGGER_KIND_OF_BINDING: Readonly<Record<string, TriggerKind>> = {
  httpTrigger: "http",
  queueTrigger: "queue",
  orchestrationTrigger: "durable",
  activityTrigger: "durable",
  entityTrigger: "durable",
  durableClient: "durable",
  cosmosDBTrigger: "cosmosChangeFeed",
  timerTrigger: "timer",
};

/**
 * Declared triggers must be what the code registers: a kind declared but unused grants roles for
 * nothing; a kind used but undeclared lacks its roles and settings and fails on Azure.
 */
export function checkDeclaredTriggers(
  declared: { readonly triggers: readonly TriggerKind[]; readonly manifestFile: string },
  functions: readonly RegisteredFunction[],
  entry: string,
): void {
  const byKind = new Map<TriggerKind, string[]>();
  const unsupported: string[] = [];
  for (const f of functions) {
    for (const type of [f.trigger, ...f.bindings]) {
      const kind = TRIGGER_KIND_OF_BINDING[type];
      if (kind) byKind.set(kind, [...new Set([...(byKind.get(kind) ?? []), f.name])]);
      else if (type === f.trigger) unsupported.push(`${f.name} (${type})`);
    }
  }
  const where = shown(declared.manifestFile);
  const registered = [...byKind.entries()].map(([k, names]) => `${k}: ${names.join(", ")}`).join("; ") || "none";
  if (functions.length === 0) {
    throw new BundleError(`${where}: ${entry} registers no function; register them with app.http(...), app.storageQueue(...) etc. at module load`);
  }
  if (unsupported.length > 0) {
    throw new BundleError(
      `${where}: ${entry} registers functions with trigger(s) the platform does not provision: ${unsupported.join(", ")}; ` +
        `supported: ${[...new Set(Object.values(TRIGGER_KIND_OF_BINDING))].join(", ")}`,
    );
  }
  const used = [...byKind.keys()];
  const missing = used.filter((k) => !declared.triggers.includes(k));
  const unused = declared.triggers.filter((k) => !byKind.has(k));
  if (missing.length > 0 || unused.length > 0) {
    const parts = [
      ...(missing.length > 0 ? [`${entry} registers ${missing.map((k) => `${k} (${byKind.get(k)!.join(", ")})`).join(", ")} but triggers does not declare ${missing.length === 1 ? "it" : "them"}`] : []),
      ...(unused.length > 0 ? [`triggers declares ${unused.map((k) => `"${k}"`).join(", ")} but ${entry} registers no such function`] : []),
    ];
    const order = Object.values(TRIGGER_KIND_OF_BINDING).filter((k, i, all) => all.indexOf(k) === i && used.includes(k));
    throw new BundleError(`${where}: ${parts.join("; ")} (registered: ${registered}). Fix: triggers: ${JSON.stringify(order)}`);
  }
}

/**
 * The package manifest the Node worker reads: `main` is the bundle, an ES module (`"type": "module"`:
 * the worker `import()`s it, src/loadScriptFile.ts); no dependencies (all bundled).
 */
function generatedPackageJson(name: string): Buffer {
  const manifest = { name, version: "1.0.0", private: true, type: "module", main: PACKAGE_FILES.bundle };
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, "utf8");
}

/**
 * Write then rename: two programs bundling the same service at once (parallel test workers, a plan
 * next to a deployment) never see a half-written file; identical sources give identical bytes anyway.
 */
export function writeFileAtomic(file: string, data: Uint8Array): void {
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}

function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** How long the zip worker may take before bundling gives up (it normally takes tens of ms). */
const ZIP_TIMEOUT_MS = 60_000;

/**
 * yazl writes through streams and `setImmediate`, so it cannot finish inside one synchronous call.
 * It runs in a worker thread (its own event loop) while this thread blocks on `Atomics.wait`; the
 * result is then read with `receiveMessageOnPort`, which is synchronous (the pattern of `synckit`).
 * Every entry gets the same fixed metadata, so the bytes depend on the contents only:
 * - mtime 1980-01-01 00:00 built in local time and DOS timestamps only: yazl converts dates to DOS
 *   fields in local time, and its extra UTC timestamp field would differ between time zones;
 * - mode 0100644; deflate level 9 (zlib is deterministic for a given level and zlib version).
 */
const ZIP_WORKER = `
const { workerData } = require("node:worker_threads");
const { port, signal, yazlPath, entries } = workerData;
const done = (message) => { port.postMessage(message); Atomics.store(signal, 0, 1); Atomics.notify(signal, 0); };
try {
  const yazl = require(yazlPath);
  const zip = new yazl.ZipFile();
  const mtime = new Date(1980, 0, 1, 0, 0, 0);
  for (const e of entries) {
    zip.addBuffer(Buffer.from(e.data), e.name, { mtime, mode: 0o100644, compressionLevel: 9, forceDosTimestamp: true });
  }
  const chunks = [];
  zip.on("error", (err) => done({ error: String(err && err.stack || err) }));
  zip.outputStream.on("data", (c) => chunks.push(c));
  zip.outputStream.on("end", () => done({ zip: Buffer.concat(chunks) }));
  zip.end();
} catch (err) {
  done({ error: String(err && err.stack || err) });
}
`;

/** Zips `entries` in the given order with yazl, synchronously (see ZIP_WORKER). */
export function zipDeterministicSync(entries: readonly { name: string; data: Uint8Array }[]): Buffer {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const yazlPath = createRequire(__filename).resolve("yazl");
  const worker = new Worker(ZIP_WORKER, {
    eval: true,
    // No loaders (tsx, ts-node, vitest) in the worker: it runs plain JavaScript.
    execArgv: [],
    workerData: { port: port2, signal, yazlPath, entries: entries.map((e) => ({ name: e.name, data: e.data })) },
    transferList: [port2],
  });
  worker.unref();
  try {
    const waited = Atomics.wait(signal, 0, 0, ZIP_TIMEOUT_MS);
    const received = receiveMessageOnPort(port1) as { message: { zip?: Uint8Array; error?: string } } | undefined;
    if (!received) {
      throw new BundleError(waited === "timed-out" ? `zipping timed out after ${ZIP_TIMEOUT_MS} ms` : "the zip worker exited without a result");
    }
    if (received.message.error !== undefined || !received.message.zip) {
      throw new BundleError(`zipping failed: ${received.message.error ?? "no data"}`);
    }
    const zip = received.message.zip;
    return Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  } finally {
    port1.close();
    void worker.terminate();
  }
}
