import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { inflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleError, bundleService, type ServiceBundle } from "../../../components/function-app/bundle";

const FIXTURE = path.resolve(__dirname, "../../fixtures/services/hello");
const FAKE_CORE = path.resolve(__dirname, "fake-functions-core.cjs");

const temp = mkdtempSync(path.join(tmpdir(), "bundle-test-"));
/** A NODE_PATH under which `@azure/functions-core` is the recording fake. */
const fakeNodePath = path.join(temp, "fake-core", "node_modules");

beforeAll(() => {
  mkdirSync(path.join(fakeNodePath, "@azure", "functions-core"), { recursive: true });
  copyFileSync(FAKE_CORE, path.join(fakeNodePath, "@azure", "functions-core", "index.js"));
});
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function build(outName: string, options: Partial<Parameters<typeof bundleService>[0]> = {}): ServiceBundle {
  return bundleService({ name: "hello", directory: FIXTURE, entry: "src/index.ts", outRoot: path.join(temp, outName), ...options });
}

interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly dosTime: number;
  readonly dosDate: number;
  readonly mode: number;
  readonly extraLength: number;
  readonly data: Buffer;
}

/** A minimal reader of the central directory, enough to check what yazl wrote. */
function readZip(zip: Buffer): ZipEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(offset)).toBe(0x02014b50);
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.toString("utf8", offset + 46, offset + 46 + nameLength);
    const localData = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(localData, localData + compressedSize);
    entries.push({
      name,
      method,
      dosTime: zip.readUInt16LE(offset + 12),
      dosDate: zip.readUInt16LE(offset + 14),
      mode: zip.readUInt32LE(offset + 38) >>> 16,
      extraLength,
      data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

interface CoreReport {
  programmingModel: { name: string; version: string } | null;
  functions: { name: string; bindings: Record<string, { type: string; direction: string; queueName?: string; connection?: string; route?: string; methods?: string[] }> }[];
  invocation: { name: string; status?: number; body?: string; error?: string } | null;
}

/**
 * Loads the bundle as the worker would in a fresh node, with the fake core: `import()` for an ES module
 * `main` (`.mjs`, or `.js` under `"type": "module"`), else `require` (azure-functions-nodejs-worker
 * src/loadScriptFile.ts, isESModule).
 */
function loadInFreshNode(appDirectory: string, options: { fakeCore: boolean; invoke?: string }): { report: CoreReport | undefined; stdout: string; stderr: string; status: number | null } {
  const reportFile = path.join(temp, `report-${Math.random().toString(36).slice(2)}.json`);
  const manifest = JSON.parse(readFileSync(path.join(appDirectory, "package.json"), "utf8")) as { main: string; type?: string };
  const file = path.join(appDirectory, manifest.main);
  const esm = file.endsWith(".mjs") || (!file.endsWith(".cjs") && manifest.type === "module");
  const load = esm ? `import(${JSON.stringify(pathToFileURL(file).href)})` : `require(${JSON.stringify(file)})`;
  const run = spawnSync(process.execPath, ["-e", load], {
    cwd: appDirectory,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "",
      ...(options.fakeCore ? { NODE_PATH: fakeNodePath, FAKE_FUNCTIONS_CORE_REPORT: reportFile } : {}),
      ...(options.invoke ? { FAKE_FUNCTIONS_CORE_INVOKE: options.invoke } : {}),
    },
  });
  let report: CoreReport | undefined;
  try {
    report = JSON.parse(readFileSync(reportFile, "utf8")) as CoreReport;
  } catch {
    report = undefined;
  }
  return { report, stdout: run.stdout, stderr: run.stderr, status: run.status };
}

describe("bundleService", () => {
  it("gives byte-identical zips and equal hashes for the same sources", () => {
    const first = build("first");
    const second = build("second");

    expect(second.sha256).toBe(first.sha256);
    expect(readFileSync(second.zipPath).equals(readFileSync(first.zipPath))).toBe(true);
    expect(first.zipPath).toBe(path.join(temp, "first", "hello", "hello.zip"));
    expect(first.sizeBytes).toBe(readFileSync(first.zipPath).length);
    expect(first.files.map((f) => f.name)).toEqual(["host.json", "index.js", "package.json"]);
  });

  it("does not depend on the time zone (DOS timestamps only, fixed date)", () => {
    const reference = build("tz-utc");
    const saved = process.env.TZ;
    process.env.TZ = "Pacific/Kiritimati"; // UTC+14: any local-time leak changes the bytes
    try {
      expect(build("tz-kiritimati").sha256).toBe(reference.sha256);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it("zips three sorted entries with fixed metadata, holding exactly the app files", () => {
    const bundle = build("layout");
    const entries = readZip(readFileSync(bundle.zipPath));

    expect(entries.map((e) => e.name)).toEqual(["host.json", "index.js", "package.json"]);
    for (const entry of entries) {
      expect(entry.method).toBe(8);
      expect(entry.mode).toBe(0o100644);
      expect(entry.extraLength).toBe(0);
      // 1980-01-01 00:00 in DOS format.
      expect(entry.dosDate).toBe((0 << 9) | (1 << 5) | 1);
      expect(entry.dosTime).toBe(0);
      expect(entry.data.equals(readFileSync(path.join(bundle.appDirectory, entry.name)))).toBe(true);
    }
    expect(entries[0]!.data.equals(readFileSync(path.join(FIXTURE, "host.json")))).toBe(true);
    expect(JSON.parse(entries[2]!.data.toString("utf8"))).toEqual({ name: "hello", version: "1.0.0", private: true, type: "module", main: "index.js" });
  });

  it("keeps @azure/functions-core external: the bundle registers both functions through it in a fresh node", () => {
    const bundle = build("load");
    const code = readFileSync(path.join(bundle.appDirectory, "index.js"), "utf8");
    // Through a require call (the banner's createRequire), never an ES import: the worker intercepts require only.
    expect(code).toMatch(/[\w$]+\("@azure\/functions-core"\)/);
    expect(code).not.toMatch(/(?:\bfrom|\bimport)\s*\(?\s*"@azure\/functions-core"/);

    const { report, status, stderr } = loadInFreshNode(bundle.appDirectory, { fakeCore: true });

    expect(status, stderr).toBe(0);
    expect(report?.programmingModel?.name).toBe("@azure/functions");
    const summary = report!.functions.map((f) => ({
      name: f.name,
      triggers: Object.values(f.bindings).filter((b) => b.direction === "in").map((b) => ({ type: b.type, queueName: b.queueName, connection: b.connection, route: b.route })),
    }));
    expect(summary).toEqual([
      { name: "hello", triggers: [{ type: "httpTrigger", queueName: undefined, connection: undefined, route: "hello/{name?}" }] },
      { name: "helloQueue", triggers: [{ type: "queueTrigger", queueName: "hello-items", connection: "QUEUES", route: undefined }] },
    ]);
  });

  it("serves a first HTTP invocation through the programming model after load", () => {
    const bundle = build("invoke");
    const { report } = loadInFreshNode(bundle.appDirectory, { fakeCore: true, invoke: "hello" });
    expect(report?.invocation).toMatchObject({ name: "hello", status: 200, body: JSON.stringify({ message: "Hello, bench!" }) });
  });

  it("without the host's module, @azure/functions falls into test mode (what a bundled or missing core would do on Azure)", () => {
    const bundle = build("nocore");
    const { stdout, stderr, status } = loadInFreshNode(bundle.appDirectory, { fakeCore: false });
    expect(status).toBe(0);
    expect(`${stdout}${stderr}`).toMatch(/Failed to detect the Azure Functions runtime/);
  });

  it("keeps import.meta.url the bundle's own file URL", () => {
    const service = path.join(temp, "meta-service");
    mkdirSync(path.join(service, "src"), { recursive: true });
    writeFileSync(path.join(service, "host.json"), '{ "version": "2.0" }\n');
    writeFileSync(path.join(service, "src", "index.mjs"), 'console.log(JSON.stringify({ url: import.meta.url, dir: import.meta.dirname }));\n');

    const bundle = bundleService({ name: "meta", directory: service, entry: "src/index.mjs", outRoot: path.join(temp, "meta-out") });
    const run = spawnSync(process.execPath, [path.join(bundle.appDirectory, "index.js")], { encoding: "utf8" });

    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ url: `file://${path.join(bundle.appDirectory, "index.js")}`, dir: bundle.appDirectory });
  });

  it("names the missing folder, entry or host.json", () => {
    expect(() => bundleService({ name: "ghost", directory: path.join(temp, "no-such-service") })).toThrow(BundleError);
    expect(() => bundleService({ name: "ghost", directory: path.join(temp, "no-such-service") })).toThrow(/folder .*no-such-service does not exist/);
    expect(() => build("x", { entry: "src/main.ts" })).toThrow(/entry .*src\/main\.ts does not exist/);

    const noHost = path.join(temp, "no-host");
    mkdirSync(path.join(noHost, "src"), { recursive: true });
    writeFileSync(path.join(noHost, "src", "index.ts"), "export {};\n");
    expect(() => bundleService({ name: "nohost", directory: noHost, outRoot: path.join(temp, "y") })).toThrow(/no-host\/host\.json is missing/);

    writeFileSync(path.join(noHost, "host.json"), "{ version: 2.0 ");
    expect(() => bundleService({ name: "nohost", directory: noHost, outRoot: path.join(temp, "y") })).toThrow(/host\.json is not valid JSON/);
  });

  it("reports esbuild errors with their location", () => {
    const broken = path.join(temp, "broken");
    mkdirSync(path.join(broken, "src"), { recursive: true });
    writeFileSync(path.join(broken, "host.json"), '{ "version": "2.0" }');
    writeFileSync(path.join(broken, "src", "index.ts"), 'import { x } from "./missing";\nconsole.log(x);\n');
    expect(() => bundleService({ name: "broken", directory: broken, outRoot: path.join(temp, "z") })).toThrow(/src\/index\.ts:1:\d+: Could not resolve "\.\/missing"/);
  });
});
