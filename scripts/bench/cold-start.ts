/**
 * Cold start of a service (issue 17 item 3): a fresh `node` process that loads the app, registers its
 * functions with the host and answers its first real invocation, for the deployed bundle, the same code
 * unbundled (every npm package loaded file by file from node_modules) and bare `node -e 0`.
 *
 *   npx tsx scripts/bench/cold-start.ts [--runs 5]        (or `npm run bench -- cold-start`)
 *
 * How it measures (wall time of each process, spawn to exit, variants interleaved round by round after
 * a warm-up round, median of the rounds):
 * - load: the process loads the app with a stand-in for the host's `@azure/functions-core` (the module
 *   the Node worker provides; with it `@azure/functions` registers as on Azure) and exits on the next
 *   macrotask after registration, as soon as the worker would report the functions to the host.
 * - first invocation: the same, then one invocation through the programming model the way the worker
 *   does it (getInvocationModel → getArguments → invokeFunction → getResponse), then exit:
 *   an HTTP app's health route; a queue app one message of its queue, its SDK clients created and a
 *   token fetched from a local managed-identity endpoint (the App Service contract: IDENTITY_ENDPOINT,
 *   IDENTITY_HEADER; https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference).
 *   The app's data-plane calls (Cosmos DB, Storage) go to a local HTTPS stand-in that answers 403, so
 *   the message ends in the app's error path after its first request: what is timed is the cold path up
 *   to the first call leaving the process, not the business outcome. The table says what happened.
 * The app settings are the prod plan's, their Azure endpoints pointed at the local stand-ins.
 * Every process (bare included) runs on the Node major version the plan gives the app in Azure
 * (functionAppConfig.runtime.version), fetched when this machine has another (node-runtime.ts): bare
 * node's own start differs between majors, and it is the baseline of every ratio.
 * Next to wall time, each process's CPU time (user + system, from a two-line preload every variant gets,
 * bare included): on a machine shared with other work, wall time measures the queue for a core as much
 * as the app, CPU time much less so. MET/MISS are decided on wall time, the issue's measure.
 * Next to unbundled/bundled, the most any bundle could reach (unbundled / bare: a bundle cannot load
 * faster than bare node), so a MISS says whether bundling could ever meet the target. Next to the first
 * invocation, the least it could take: the app files that invocation loaded (recorded by module hooks in
 * one untimed run), imported by a fresh process that runs none of them; above the target, only loading
 * less code could meet it.
 *
 * To profile: COLD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/cold" npx tsx scripts/bench/cold-start.ts --runs 1
 * (each measured process gets those node options; --cpu-prof is not allowed in NODE_OPTIONS).
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { benchNode, type BenchNode } from "./node-runtime";
import { buildUnbundled } from "./unbundled";
import { bundleService } from "../../components/function-app/bundle";
import { FUNCTIONS_ROOT, loadManifest, serviceFolders } from "../../composition/services";
import { generateCertificate } from "../../engine/twin/emulators";

const ROOT = path.resolve(__dirname, "..", "..");
const WORK = path.join(ROOT, ".build", "bench", "cold-start");

/** Issue 17 item 3. */
export const COLD_START_TARGETS = { loadOverBare: 2, invocationOverBare: 3, unbundledOverBundled: 4 } as const;

/** What one service's first invocation is: its health route, or one message of a queue it consumes. */
interface Invocation {
  readonly function: string;
  readonly kind: "http" | "queue";
  readonly message?: unknown;
  /** A durable client input: its calls go to the Durable extension's local endpoint (a stand-in here), not to Azure. */
  readonly durableClient?: boolean;
}

export interface ColdStartRow {
  readonly service: string;
  readonly bareMs: number;
  readonly bundledLoadMs: number;
  readonly unbundledLoadMs: number;
  readonly bundledInvokeMs?: number;
  readonly unbundledInvokeMs?: number;
  /**
   * The files the bundled first invocation loaded, imported by a fresh process that runs nothing else:
   * the least a first invocation can take with that code. Undefined when not measurable (no module hooks).
   */
  readonly bundledInvokeCodeMs?: number;
  /** How many files that is (the entry and its chunks), and their size. */
  readonly invokeCodeFiles?: number;
  readonly invokeCodeBytes?: number;
  readonly invocation: string;
  readonly registered: number;
  readonly bundleBytes: number;
  /** Median CPU time (user + system) of the same processes, ms. */
  readonly cpu?: {
    readonly bare: number;
    readonly bundledLoad: number;
    readonly unbundledLoad: number;
    readonly bundledInvoke?: number;
    readonly unbundledInvoke?: number;
    readonly bundledInvokeCode?: number;
  };
  /** The 1-minute load average when this service's rounds started. */
  readonly loadAverage?: number;
  /** The `process.version` every process of this row ran on. */
  readonly node?: string;
  /** Which Node that is and what it means for the figures (node-runtime.ts). */
  readonly nodeNote?: string;
}

/** Preloaded into every measured process (bare included): writes its CPU time at exit. */
const CPU_PRELOAD = `"use strict";
process.on("exit", () => { const u = process.cpuUsage(); require("node:fs").writeFileSync(process.env.COLD_CPU, String((u.user + u.system) / 1000)); });
`;

/**
 * Preloaded into one untimed run of each app's first invocation: writes the files it loaded to
 * COLD_LOADED, one URL a line in load order. Synchronous module hooks see `import` and `require`
 * (module.registerHooks, Node >= 22.15); before that, asynchronous ones (module.register, a loader
 * thread) see `import`, which is how a bundle's own files load (https://nodejs.org/api/module.html#customization-hooks).
 */
export const LOADED_PRELOAD = `"use strict";
const mod = require("node:module");
const fs = require("node:fs");
const out = process.env.COLD_LOADED;
fs.writeFileSync(out, "");
if (typeof mod.registerHooks === "function") {
  mod.registerHooks({ load(url, context, next) { if (url.startsWith("file:")) fs.appendFileSync(out, url + "\\n"); return next(url, context); } });
} else {
  const hooks = 'import { appendFileSync } from "node:fs"; export async function load(url, context, next) { if (url.startsWith("file:")) appendFileSync(process.env.COLD_LOADED, url + "\\\\n"); return next(url, context); }';
  mod.register("data:text/javascript," + encodeURIComponent(hooks));
}
`;

/** The files a LOADED_PRELOAD run wrote, each once, in load order. */
export function loadedFiles(file: string): string[] {
  return existsSync(file) ? [...new Set(readFileSync(file, "utf8").split("\n").filter((l) => l !== ""))] : [];
}

/** Imports the files a first invocation loaded (COLD_CODE, file URLs in load order) and runs nothing else. */
export const CODE_LOADER = `"use strict";
const urls = JSON.parse(process.env.COLD_CODE);
(async () => {
  for (const url of urls) await import(url);
  require("node:fs").writeFileSync(process.env.COLD_REPORT, JSON.stringify({ functions: [], outcome: "loaded " + urls.length + " files" }));
  process.exit(0);
})().catch((error) => { console.error(error); process.exit(1); });
`;

/**
 * The host's `@azure/functions-core`, enough to register and to invoke one function (env COLD_*); with
 * COLD_HOLD it only registers, for CODE_LOADER's process.
 */
export const CORE = `"use strict";
const fs = require("node:fs");
const registered = new Map();
let model;
let scheduled = false;
const finish = (result) => {
  if (process.env.COLD_REPORT) fs.writeFileSync(process.env.COLD_REPORT, JSON.stringify({ functions: [...registered.keys()], ...result }));
  process.exit(0);
};
async function invoke(name, kind) {
  const entry = registered.get(name);
  if (!entry) throw new Error("no function " + name + " registered (" + [...registered.keys()].join(", ") + ")");
  const bindings = entry.metadata.bindings;
  const trigger = Object.keys(bindings).find((k) => bindings[k].direction === "in" && /Trigger$/.test(bindings[k].type));
  const data = kind === "http"
    ? { http: { method: "GET", url: "http://localhost/api/health", headers: { host: "localhost" }, query: {}, params: {} } }
    : { string: process.env.COLD_MESSAGE };
  // Other input bindings the host fills (a durable client: the extension's local endpoint), by binding type.
  const extra = JSON.parse(process.env.COLD_EXTRA_INPUTS || "{}");
  const extraInputs = Object.keys(bindings).filter((k) => k !== trigger && bindings[k].direction === "in" && extra[bindings[k].type] !== undefined)
    .map((k) => ({ name: k, data: { string: extra[bindings[k].type] } }));
  const triggerMetadata = kind === "queue" ? { DequeueCount: { json: "1" }, Id: { string: "6c1f1e0a-3b52-4d7e-9a1e-2f4b8c9d0e17" } } : {};
  const coreCtx = {
    invocationId: "3d7a0b52-8e41-4c1f-b6a9-5e0f2c7d9a84",
    metadata: { name, bindings },
    request: { inputData: [{ name: trigger, data }, ...extraInputs], triggerMetadata },
    log() {},
  };
  const invocation = model.getInvocationModel(coreCtx);
  const { context, inputs } = await invocation.getArguments();
  const result = await invocation.invokeFunction(context, inputs, entry.callback);
  const response = await invocation.getResponse(context, result);
  const http = response.returnValue && response.returnValue.http;
  return http ? "HTTP " + http.statusCode : "completed";
}
function schedule() {
  if (scheduled || process.env.COLD_HOLD) return;
  scheduled = true;
  // The next macrotask: the main module (the app) has finished loading and registering.
  setImmediate(() => {
    const name = process.env.COLD_INVOKE;
    if (!name) return finish({});
    invoke(name, process.env.COLD_KIND).then(
      (outcome) => finish({ outcome }),
      (error) => finish({ outcome: "error: " + String((error && error.message) || error).split("\\n")[0] }),
    );
  });
}
module.exports = {
  version: "3.10.1-bench",
  hostVersion: "4.1000.0-bench",
  registerFunction(metadata, callback) { registered.set(metadata.name, { metadata, callback }); schedule(); return { dispose() {} }; },
  registerHook() { return { dispose() {} }; },
  setProgrammingModel(m) { model = m; },
  getProgrammingModel() { return model; },
  log() {},
};
`;

function invocationFor(service: string, functions: readonly string[]): Invocation | undefined {
  if (functions.includes("health")) return { function: "health", kind: "http" };
  if (functions.includes("deliverNotification")) {
    const now = new Date().toISOString();
    return {
      function: "deliverNotification",
      kind: "queue",
      message: {
        id: "ord-bench-1:v2",
        type: "OrderStatusChanged",
        source: "/orders",
        subject: "orders/ord-bench-1",
        time: now,
        specversion: "1.0",
        data: { orderId: "ord-bench-1", customerId: "cust-bench", status: "shipped", previousStatus: "confirmed", statusVersion: 2, changedAt: now },
      },
    };
  }
  if (functions.includes("startFulfillment")) {
    return {
      function: "startFulfillment",
      kind: "queue",
      durableClient: true,
      message: { type: "OrderCancelled", messageId: "out-bench-1", occurredAt: new Date().toISOString(), orderId: "6c1f1e0a-3b52-4d7e-9a1e-2f4b8c9d0e17", customerId: "cust-bench" },
    };
  }
  void service;
  return undefined;
}

interface Stubs {
  readonly identityUrl: string;
  readonly httpsUrl: string;
  readonly caFile: string;
  readonly counts: { tokens: number; requests: number };
  stop(): Promise<void>;
}

async function startStubs(): Promise<Stubs> {
  const certDir = path.join(WORK, "cert");
  mkdirSync(certDir, { recursive: true });
  const cert = generateCertificate(certDir);
  const counts = { tokens: 0, requests: 0 };
  const identity: Server = createHttpServer((req, res) => {
    counts.tokens++;
    if (process.env.COLD_DEBUG) console.error(`identity: ${req.url}`);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        access_token: "bench-token",
        expires_on: String(Math.floor(Date.now() / 1000) + 3600),
        resource: url.searchParams.get("resource") ?? "",
        token_type: "Bearer",
        client_id: url.searchParams.get("client_id") ?? "",
      }),
    );
  });
  const azure = createHttpsServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    counts.requests++;
    if (process.env.COLD_DEBUG) console.error(`stub: ${req.method} ${req.url} auth=${String(req.headers.authorization).slice(0, 20)}`);
    req.resume();
    res.writeHead(403, { "content-type": "application/json", "x-ms-error-code": "AuthorizationPermissionMismatch" });
    res.end(JSON.stringify({ code: "Forbidden", message: "cold-start benchmark stand-in" }));
  });
  await Promise.all([identity, azure].map((s) => new Promise<void>((resolve) => s.listen(0, "127.0.0.1", () => resolve()))));
  return {
    identityUrl: `http://127.0.0.1:${(identity.address() as AddressInfo).port}/msi/token`,
    httpsUrl: `https://127.0.0.1:${(azure.address() as AddressInfo).port}`,
    caFile: cert.certFile,
    counts,
    stop: async () => {
      await Promise.all([identity, azure].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** The prod plan's app settings of `<service>-app`, every https endpoint pointed at the local stand-in. */
function appSettings(plan: PlanFile, service: string, stubs: Stubs): Record<string, string> {
  const app = plan.resources.find((r) => r.type === "azure-native:web:WebApp" && r.name === `${service}-app`);
  const settings = (app?.inputs as { siteConfig?: { appSettings?: { name: string; value: unknown }[] } } | undefined)?.siteConfig?.appSettings ?? [];
  const env: Record<string, string> = {};
  for (const { name, value } of settings) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    // Storage SDKs read the account from the first path segment when the host is an IP address.
    env[name] = text
      .replace(/^https:\/\/([^.]+)\.(?:queue|blob|table)\.core\.windows\.net/, `${stubs.httpsUrl}/$1`)
      .replace(/^https:\/\/[^/]+/, stubs.httpsUrl);
  }
  return env;
}

interface PlanFile {
  readonly resources: readonly { readonly type: string; readonly name: string; readonly inputs: unknown }[];
}

/** The Node major version `<service>-app` runs on in Azure: its functionAppConfig.runtime in the plan. */
export function runtimeMajor(plan: PlanFile, service: string): string {
  const app = plan.resources.find((r) => r.type === "azure-native:web:WebApp" && r.name === `${service}-app`);
  const runtime = (app?.inputs as { functionAppConfig?: { runtime?: { name?: string; version?: string } } } | undefined)?.functionAppConfig?.runtime;
  if (runtime?.name !== "node" || !runtime.version) throw new Error(`the plan's ${service}-app has no Node runtime (functionAppConfig.runtime is ${JSON.stringify(runtime)})`);
  return runtime.version.split(".")[0]!;
}

function unbundledEntry(name: string, directory: string, entry: string): string {
  return buildUnbundled(path.join(WORK, "unbundled", name, "index.cjs"), directory, entry);
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Measures every service; `plan` is the prod plan (its app settings). Returns one row per service.
 * @param runs rounds after the warm-up round
 */
export async function measureColdStarts(plan: PlanFile, runs = 5): Promise<ColdStartRow[]> {
  const nodes = new Map<string, BenchNode>();
  const nodeFor = (service: string): BenchNode => {
    const wanted = runtimeMajor(plan, service);
    let node = nodes.get(wanted);
    if (!node) nodes.set(wanted, (node = benchNode(wanted, { cacheDirectory: path.join(ROOT, ".build", "bench", "node") })));
    return node;
  };
  const corePath = path.join(WORK, "core", "node_modules", "@azure", "functions-core");
  mkdirSync(corePath, { recursive: true });
  writeFileSync(path.join(corePath, "index.js"), CORE);
  const nodePath = path.join(WORK, "core", "node_modules");
  const report = path.join(WORK, "report.json");
  const cpuPreload = path.join(WORK, "cpu-preload.cjs");
  writeFileSync(cpuPreload, CPU_PRELOAD);
  const cpuFile = path.join(WORK, "cpu.txt");
  const loadedPreload = path.join(WORK, "loaded-preload.cjs");
  writeFileSync(loadedPreload, LOADED_PRELOAD);
  const codeLoader = path.join(WORK, "load-code.cjs");
  writeFileSync(codeLoader, CODE_LOADER);
  const loadedFile = path.join(WORK, "loaded.txt");
  const stubs = await startStubs();
  const rows: ColdStartRow[] = [];
  try {
    const services = serviceFolders().map((name) => {
      const directory = path.join(FUNCTIONS_ROOT, name);
      const manifest = loadManifest(directory);
      const bundle = bundleService({ name: manifest.name, directory, entry: manifest.entry });
      return {
        name: manifest.name,
        bundled: path.join(bundle.appDirectory, "index.js"),
        bundleBytes: bundle.files.find((f) => f.name === "index.js")?.sizeBytes ?? 0,
        unbundled: unbundledEntry(manifest.name, directory, manifest.entry),
      };
    });
    // Asynchronous: the stand-in servers live in this process and must answer while the app runs.
    const spawnOnce = async (
      node: BenchNode,
      args: readonly string[],
      env: Record<string, string>,
    ): Promise<{ ms: number; cpuMs: number; result?: { functions: string[]; outcome?: string } }> => {
      rmSync(report, { force: true });
      rmSync(cpuFile, { force: true });
      const started = process.hrtime.bigint();
      const nodeArgs = process.env.COLD_NODE_ARGS ? process.env.COLD_NODE_ARGS.split(" ") : [];
      const child = spawn(node.execPath, [...nodeArgs, "-r", cpuPreload, ...args], { env: { ...env, COLD_REPORT: report, COLD_CPU: cpuFile }, cwd: WORK, stdio: process.env.COLD_DEBUG ? "inherit" : "ignore" });
      const timer = setTimeout(() => child.kill(), 30_000);
      const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const cpuMs = existsSync(cpuFile) ? Number(readFileSync(cpuFile, "utf8")) : Number.NaN;
      if (status !== 0) return { ms, cpuMs };
      try {
        return { ms, cpuMs, result: JSON.parse(readFileSync(report, "utf8")) as { functions: string[]; outcome?: string } };
      } catch {
        return { ms, cpuMs };
      }
    };
    for (const service of services) {
      const node = nodeFor(service.name);
      const base = {
        PATH: process.env.PATH ?? "",
        NODE_PATH: nodePath,
        NODE_EXTRA_CA_CERTS: stubs.caFile,
        ...appSettings(plan, service.name, stubs),
        IDENTITY_ENDPOINT: stubs.identityUrl,
        IDENTITY_HEADER: "bench",
      };
      const probe = await spawnOnce(node, [service.bundled], base);
      const functions = probe.result?.functions ?? [];
      const invocation = invocationFor(service.name, functions);
      // What the host passes a durable client binding (the twin's DurableHost.clientData): the extension's webhook base.
      const durableClient = JSON.stringify({
        taskHubName: "bench",
        creationUrls: {},
        managementUrls: {},
        baseUrl: `${stubs.httpsUrl}/runtime/webhooks/durabletask/`,
        requiredQueryStringParameters: "",
        rpcBaseUrl: `${stubs.httpsUrl}/runtime/webhooks/durabletask/`,
      });
      const invokeEnv = invocation
        ? {
            ...base,
            COLD_INVOKE: invocation.function,
            COLD_KIND: invocation.kind,
            ...(invocation.message ? { COLD_MESSAGE: JSON.stringify(invocation.message) } : {}),
            ...(invocation.durableClient ? { COLD_EXTRA_INPUTS: JSON.stringify({ durableClient }) } : {}),
          }
        : undefined;
      // The app's files its first invocation loads (untimed run), for the "its code alone" process.
      let codeUrls: string[] = [];
      if (invokeEnv) {
        rmSync(loadedFile, { force: true });
        await spawnOnce(node, ["-r", loadedPreload, service.bundled], { ...invokeEnv, COLD_LOADED: loadedFile });
        const appUrl = pathToFileURL(path.dirname(service.bundled)).href + "/";
        codeUrls = loadedFiles(loadedFile).filter((u) => u.startsWith(appUrl));
      }
      const codeEnv = invokeEnv && codeUrls.length > 0 ? { ...invokeEnv, COLD_HOLD: "1", COLD_CODE: JSON.stringify(codeUrls) } : undefined;
      const series = () => ({ bare: [] as number[], bundledLoad: [] as number[], unbundledLoad: [] as number[], bundledInvoke: [] as number[], unbundledInvoke: [] as number[], bundledInvokeCode: [] as number[] });
      const times = series();
      const cpu = series();
      let codeFailed = false;
      const loadAverage = loadavg()[0]!;
      let outcome = "";
      const tokensBefore = stubs.counts.tokens;
      for (let round = 0; round <= runs; round++) {
        const sample: Partial<Record<keyof typeof times, { ms: number; cpuMs: number }>> = {
          bare: await spawnOnce(node, ["-e", "0"], base),
          bundledLoad: await spawnOnce(node, [service.bundled], base),
          unbundledLoad: await spawnOnce(node, [service.unbundled], base),
        };
        if (invokeEnv) {
          const bundled = await spawnOnce(node, [service.bundled], invokeEnv);
          outcome = bundled.result?.outcome ?? "no result (killed after 30 s?)";
          sample.bundledInvoke = bundled;
          sample.unbundledInvoke = await spawnOnce(node, [service.unbundled], invokeEnv);
        }
        if (codeEnv) {
          const code = await spawnOnce(node, [codeLoader], codeEnv);
          // Only a run that imported every file counts (not one the host stand-in ended at registration).
          if (code.result?.outcome !== `loaded ${codeUrls.length} files`) codeFailed = true;
          sample.bundledInvokeCode = code;
        }
        if (round === 0) continue; // warm-up: file cache
        for (const [k, v] of Object.entries(sample)) {
          times[k as keyof typeof times].push(v.ms);
          cpu[k as keyof typeof cpu].push(v.cpuMs);
        }
      }
      const tokens = stubs.counts.tokens - tokensBefore;
      rows.push({
        service: service.name,
        bareMs: median(times.bare),
        bundledLoadMs: median(times.bundledLoad),
        unbundledLoadMs: median(times.unbundledLoad),
        ...(invocation ? { bundledInvokeMs: median(times.bundledInvoke), unbundledInvokeMs: median(times.unbundledInvoke) } : {}),
        ...(codeEnv && !codeFailed
          ? {
              bundledInvokeCodeMs: median(times.bundledInvokeCode),
              invokeCodeFiles: codeUrls.length,
              invokeCodeBytes: codeUrls.reduce((sum, u) => sum + statSync(fileURLToPath(u)).size, 0),
            }
          : {}),
        invocation: invocation
          ? `${invocation.kind === "http" ? "GET health" : `1 message to ${invocation.function}`}: ${outcome}${invocation.kind === "queue" ? `; ${tokens > 0 ? "token fetched" : "NO token fetched"} from the identity endpoint${invocation.durableClient ? " (its first call goes to the Durable extension)" : ""}` : ""}`
          : "n/a: no health route or emulated queue message",
        registered: functions.length,
        bundleBytes: service.bundleBytes,
        cpu: {
          bare: median(cpu.bare),
          bundledLoad: median(cpu.bundledLoad),
          unbundledLoad: median(cpu.unbundledLoad),
          ...(invocation ? { bundledInvoke: median(cpu.bundledInvoke), unbundledInvoke: median(cpu.unbundledInvoke) } : {}),
          ...(codeEnv && !codeFailed ? { bundledInvokeCode: median(cpu.bundledInvokeCode) } : {}),
        },
        loadAverage,
        node: node.version,
        nodeNote: node.note,
      });
    }
  } finally {
    await stubs.stop();
  }
  return rows;
}

const verdict = (ok: boolean): string => (ok ? "MET" : "MISS");

/** The table of rows with each ratio, its target and MET/MISS (on wall time), then each service's CPU times. */
export function formatColdStarts(rows: readonly ColdStartRow[]): string[] {
  const t = COLD_START_TARGETS;
  const lines = ["service        bare     bundled load (≤2x bare)     unbundled load  unbundled/bundled (≥4x; most reachable)  first invocation bundled (≤3x bare; least reachable)  unbundled  what was invoked"];
  for (const r of rows) {
    const load = r.bundledLoadMs / r.bareMs;
    const speedup = r.unbundledLoadMs / r.bundledLoadMs;
    const invoke = r.bundledInvokeMs !== undefined ? r.bundledInvokeMs / r.bareMs : undefined;
    lines.push(
      [
        r.service.padEnd(13),
        `${r.bareMs.toFixed(0).padStart(4)} ms`,
        `${r.bundledLoadMs.toFixed(0).padStart(5)} ms ${load.toFixed(2)}x ${verdict(load <= t.loadOverBare)}`.padEnd(27),
        `${r.unbundledLoadMs.toFixed(0).padStart(6)} ms`.padEnd(15),
        // The most any bundle could reach: one that cost nothing would still load in bare node's time.
        `${speedup.toFixed(2)}x ${verdict(speedup >= t.unbundledOverBundled)} (≤${(r.unbundledLoadMs / r.bareMs).toFixed(2)}x)`.padEnd(39),
        // The least it could take: loading the code it runs, running none of it.
        (invoke !== undefined
          ? `${r.bundledInvokeMs!.toFixed(0).padStart(5)} ms ${invoke.toFixed(2)}x ${verdict(invoke <= t.invocationOverBare)}` +
            (r.bundledInvokeCodeMs !== undefined ? ` (≥${(r.bundledInvokeCodeMs / r.bareMs).toFixed(2)}x)` : "")
          : "n/a"
        ).padEnd(52),
        (r.unbundledInvokeMs !== undefined ? `${r.unbundledInvokeMs.toFixed(0)} ms` : "n/a").padEnd(10),
        r.invocation,
      ].join("  "),
    );
  }
  for (const note of new Set(rows.map((r) => r.nodeNote).filter((n) => n !== undefined))) lines.push(`every process on ${note}`);
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
  for (const r of rows) {
    if (!r.cpu) continue;
    const c = r.cpu;
    lines.push(
      `  cpu ${r.service.padEnd(13)} bare ${c.bare.toFixed(0)} ms; bundled load ${c.bundledLoad.toFixed(0)} ms (${ratio(c.bundledLoad, c.bare)} bare); ` +
        `unbundled load ${c.unbundledLoad.toFixed(0)} ms (${ratio(c.unbundledLoad, c.bundledLoad)} bundled)` +
        (c.bundledInvoke !== undefined ? `; first invocation ${c.bundledInvoke.toFixed(0)} ms (${ratio(c.bundledInvoke, c.bare)} bare), unbundled ${c.unbundledInvoke!.toFixed(0)} ms` : "") +
        (c.bundledInvokeCode !== undefined
          ? `; its code alone ${c.bundledInvokeCode.toFixed(0)} ms (${ratio(c.bundledInvokeCode, c.bare)} bare` +
            (r.invokeCodeFiles !== undefined && r.invokeCodeBytes !== undefined ? `; ${r.invokeCodeFiles} files, ${Math.round(r.invokeCodeBytes / 1024)} KB)` : ")")
          : "") +
        (r.loadAverage !== undefined ? `; load average ${r.loadAverage.toFixed(2)}` : ""),
    );
  }
  return lines;
}

if (require.main === module) {
  const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 5;
  // The prod plan `npm run bench` writes, else the stack's saved baseline.
  const written = path.join(ROOT, ".build", "bench", "speed", "prod-plan.json");
  const planFile = existsSync(written) ? written : path.join(ROOT, ".plan", "prod.baseline.json");
  const plan = JSON.parse(readFileSync(planFile, "utf8")) as PlanFile;
  measureColdStarts(plan, runs).then(
    (rows) => {
      for (const line of formatColdStarts(rows)) console.log(line);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
