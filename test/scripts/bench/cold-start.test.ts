import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as nodeModule from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { CODE_LOADER, CORE, LOADED_PRELOAD, formatColdStarts, loadedFiles } from "../../../scripts/bench/cold-start";

/** An ES module app: an entry, a static import, a dynamic one, and a file nothing loads. */
function app(): { dir: string; url: (file: string) => string } {
  const dir = mkdtempSync(path.join(tmpdir(), "cold-start-"));
  mkdirSync(path.join(dir, "chunks"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(path.join(dir, "index.js"), 'import "./chunks/static.js";\nawait import("./chunks/lazy.js");\n');
  writeFileSync(path.join(dir, "chunks", "static.js"), "globalThis.staticLoaded = true;\n");
  writeFileSync(path.join(dir, "chunks", "lazy.js"), "globalThis.lazyLoaded = true;\n");
  writeFileSync(path.join(dir, "chunks", "unused.js"), "throw new Error('never loaded');\n");
  writeFileSync(path.join(dir, "loaded-preload.cjs"), LOADED_PRELOAD);
  writeFileSync(path.join(dir, "load-code.cjs"), CODE_LOADER);
  return { dir, url: (file) => pathToFileURL(path.join(dir, file)).href };
}

describe("cold-start bench: the first invocation's code alone (the least its time can be)", () => {
  const hooks = typeof (nodeModule as { registerHooks?: unknown }).registerHooks === "function" ? "synchronous" : "asynchronous";

  it(`records the files a run loads, static and dynamic imports, in load order, nothing else (${hooks} module hooks on ${process.version})`, () => {
    const { dir, url } = app();
    const out = path.join(dir, "loaded.txt");
    const run = spawnSync(process.execPath, ["-r", path.join(dir, "loaded-preload.cjs"), path.join(dir, "index.js")], { env: { ...process.env, COLD_LOADED: out }, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const files = loadedFiles(out).filter((u) => u.startsWith(url("")));
    expect(files).toEqual([url("index.js"), url("chunks/static.js"), url("chunks/lazy.js")]);
    expect(loadedFiles(path.join(dir, "absent.txt"))).toEqual([]);
  });

  it("imports exactly the recorded files and reports how many; a file that fails to load gives no report, so no figure", () => {
    const { dir, url } = app();
    const report = path.join(dir, "report.json");
    const load = (urls: string[]) =>
      spawnSync(process.execPath, [path.join(dir, "load-code.cjs")], { env: { ...process.env, COLD_CODE: JSON.stringify(urls), COLD_REPORT: report }, encoding: "utf8" });
    const ok = load([url("index.js"), url("chunks/static.js"), url("chunks/lazy.js")]);
    expect(ok.status).toBe(0);
    expect(JSON.parse(readFileSync(report, "utf8"))).toEqual({ functions: [], outcome: "loaded 3 files" });
    const dir2 = app();
    const report2 = path.join(dir2.dir, "report.json");
    const broken = spawnSync(process.execPath, [path.join(dir2.dir, "load-code.cjs")], {
      env: { ...process.env, COLD_CODE: JSON.stringify([dir2.url("index.js"), dir2.url("chunks/unused.js")]), COLD_REPORT: report2 },
      encoding: "utf8",
    });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain("never loaded");
    expect(existsSync(report2)).toBe(false);
  });

  it("with COLD_HOLD the host stand-in lets an app register and the loader finish its files (without it, it ends the process at registration)", () => {
    const { dir, url } = app();
    const core = path.join(dir, "core", "node_modules", "@azure", "functions-core");
    mkdirSync(core, { recursive: true });
    writeFileSync(path.join(core, "index.js"), CORE);
    // Registers the way @azure/functions does (require, from an ES module), then loads more on a later turn.
    writeFileSync(
      path.join(dir, "index.js"),
      'import { createRequire } from "node:module";\n' +
        'createRequire(import.meta.url)("@azure/functions-core").registerFunction({ name: "f", bindings: {} }, () => {});\n' +
        "await new Promise((resolve) => setTimeout(resolve, 50));\n",
    );
    const report = path.join(dir, "report.json");
    const load = (hold: boolean) =>
      spawnSync(process.execPath, [path.join(dir, "load-code.cjs")], {
        env: { ...process.env, NODE_PATH: path.join(dir, "core", "node_modules"), COLD_CODE: JSON.stringify([url("index.js"), url("chunks/lazy.js")]), COLD_REPORT: report, ...(hold ? { COLD_HOLD: "1" } : {}) },
        encoding: "utf8",
      });
    const held = load(true);
    expect(held.stderr).toBe("");
    expect(JSON.parse(readFileSync(report, "utf8"))).toEqual({ functions: [], outcome: "loaded 2 files" });
    // Without it the stand-in reports at registration: the bench sees no "loaded 2 files" and records no figure.
    load(false);
    expect(JSON.parse(readFileSync(report, "utf8"))).toEqual({ functions: ["f"] });
  });

  it("prints the least reachable next to the first invocation's ratio, and the CPU time of the code alone", () => {
    const lines = formatColdStarts([
      {
        service: "notifications",
        bareMs: 20,
        bundledLoadMs: 34,
        unbundledLoadMs: 31,
        bundledInvokeMs: 100,
        unbundledInvokeMs: 300,
        bundledInvokeCodeMs: 82,
        invokeCodeFiles: 12,
        invokeCodeBytes: 947_000,
        invocation: "1 message to deliverNotification",
        registered: 2,
        bundleBytes: 1,
        cpu: { bare: 16, bundledLoad: 30, unbundledLoad: 28, bundledInvoke: 104, unbundledInvoke: 350, bundledInvokeCode: 88 },
      },
      { service: "catalog", bareMs: 20, bundledLoadMs: 34, unbundledLoadMs: 31, bundledInvokeMs: 50, invocation: "GET health: HTTP 200", registered: 5, bundleBytes: 1 },
    ]);
    expect(lines[0]).toContain("first invocation bundled (≤3x bare; least reachable)");
    expect(lines[1]).toContain("100 ms 5.00x MISS (≥4.10x)");
    // Not measured: no bound printed, never a guessed one.
    expect(lines[2]).toContain("50 ms 2.50x MET ");
    expect(lines[2]).not.toContain("≥");
    expect(lines.find((l) => l.includes("cpu notifications"))).toContain("; its code alone 88 ms (5.50x bare; 12 files, 925 KB)");
  });
});
