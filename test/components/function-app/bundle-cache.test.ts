/**
 * The bundle cache (components/function-app/bundle-cache.ts) can never serve a stale package: a
 * second bundle of unchanged sources is reused, and any change to what decides the bytes (a source
 * file, a new file that changes how an import resolves, host.json, the package on disk) rebuilds.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundleService, type ServiceBundle } from "../../../components/function-app/bundle";

const FIXTURE = path.resolve(__dirname, "../../fixtures/services/hello");
// Inside the repo, so the fixture's npm imports resolve when bundled.
const temp = path.resolve(__dirname, "../../../.build/test-bundle-cache", String(process.pid));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

let copies = 0;
function freshCopy(): { dir: string; bundle: () => ServiceBundle } {
  const dir = path.join(temp, `hello-${++copies}`);
  cpSync(FIXTURE, dir, { recursive: true });
  const outRoot = path.join(temp, `out-${copies}`);
  return { dir, bundle: () => bundleService({ name: "hello", directory: dir, outRoot }) };
}

const bundleText = (b: ServiceBundle): string => readFileSync(path.join(b.appDirectory, "index.js"), "utf8");
// The record is rewritten by every build and only then: a mark put in it survives a reuse, not a rebuild.
const rebuilt = (b: ServiceBundle): boolean =>
  (JSON.parse(readFileSync(path.join(b.appDirectory, "..", "bundle-cache.json"), "utf8")) as { marked?: boolean }).marked !== true;
function mark(b: ServiceBundle): void {
  const file = path.join(b.appDirectory, "..", "bundle-cache.json");
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), marked: true }));
}

describe("the bundle cache", () => {
  it("reuses the package when nothing changed (same bytes, not rebuilt)", () => {
    const { bundle } = freshCopy();
    const first = bundle();
    mark(first);
    const second = bundle();
    expect(second.sha256).toBe(first.sha256);
    expect(second.files).toEqual(first.files);
    expect(rebuilt(second)).toBe(false);
  }, 60_000);

  it("rebuilds when a source file changes", () => {
    const { dir, bundle } = freshCopy();
    const first = bundle();
    mark(first);
    const greeting = path.join(dir, "src", "greeting.ts");
    writeFileSync(greeting, readFileSync(greeting, "utf8").replace("Hello, ", "Howdy, "));
    const second = bundle();
    expect(second.sha256).not.toBe(first.sha256);
    expect(bundleText(second)).toContain("Howdy, ");
    expect(rebuilt(second)).toBe(true);
  }, 60_000);

  it("rebuilds when a new file changes what an import resolves to, every input file unchanged", () => {
    const { dir, bundle } = freshCopy();
    const first = bundle();
    mark(first);
    // esbuild tries .tsx before .ts for "./greeting" (its default resolveExtensions): the new file wins.
    writeFileSync(path.join(dir, "src", "greeting.tsx"), 'export function greeting(name: string): string { return "Shadowed " + name; }\n');
    const second = bundle();
    expect(bundleText(second)).toContain("Shadowed ");
    expect(rebuilt(second)).toBe(true);
  }, 60_000);

  it("rebuilds when host.json changes", () => {
    const { dir, bundle } = freshCopy();
    const first = bundle();
    mark(first);
    writeFileSync(path.join(dir, "host.json"), JSON.stringify({ version: "2.0", logging: { logLevel: { default: "Warning" } } }));
    const second = bundle();
    expect(second.sha256).not.toBe(first.sha256);
    expect(second.files.find((f) => f.name === "host.json")!.sha256).not.toBe(first.files.find((f) => f.name === "host.json")!.sha256);
  }, 60_000);

  it("rebuilds when the package on disk was altered after the build", () => {
    const { bundle } = freshCopy();
    const first = bundle();
    mark(first);
    writeFileSync(path.join(first.appDirectory, "index.js"), "/* tampered */");
    const second = bundle();
    expect(second.sha256).toBe(first.sha256);
    expect(bundleText(second)).not.toContain("tampered");
    expect(rebuilt(second)).toBe(true);
  }, 60_000);
});
