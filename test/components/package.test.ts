/**
 * components/ is a package others install (@contoso/serverless-platform): its manifest, what it
 * imports, how this repository's program consumes it, and the entry Pulumi's plugin host runs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");
const PACKAGE_DIR = path.join(ROOT, "components");

interface Manifest {
  name: string;
  version: string;
  main?: string;
  exports?: Record<string, string>;
  files?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  workspaces?: string[];
}
const readJson = (file: string): Manifest => JSON.parse(readFileSync(file, "utf8")) as Manifest;
const manifest = readJson(path.join(PACKAGE_DIR, "package.json"));
const rootManifest = readJson(path.join(ROOT, "package.json"));

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (entry === "node_modules") return [];
    if (statSync(full).isDirectory()) return tsFiles(full);
    return full.endsWith(".ts") ? [full] : [];
  });
}
/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiers(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, "utf8"), true, false).importedFiles.map((f) => f.fileName);
}
/**
 * Modules a file loads at run time by a literal name: `require("x")`, `require.resolve("x")`,
 * `createRequire(...).resolve("x")`, also inside code strings (a worker's source).
 */
function runtimeRequires(file: string): string[] {
  return [...readFileSync(file, "utf8").matchAll(/\b(?:require|resolve)\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]!);
}
const inside = (dir: string, file: string): boolean => file === dir || file.startsWith(dir + path.sep);

/**
 * Imports from components/ allowed to reach outside the package (this repository's lib/ and
 * functions-src/): none. An installed copy of the package could not resolve one.
 */
const STILL_OUTSIDE: Readonly<Record<string, readonly string[]>> = {};

describe("components/package.json", () => {
  it("names a scoped package with a semver version", () => {
    expect(manifest.name).toMatch(/^@[a-z0-9-]+\/[a-z0-9-]+$/);
    // semver.org's core version, optionally with a pre-release.
    expect(manifest.version).toMatch(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/);
  });

  it("exports one entry point that exists, and a main the plugin host can run", () => {
    expect(Object.keys(manifest.exports ?? {}).sort()).toEqual([".", "./package.json"]);
    expect(existsSync(path.join(PACKAGE_DIR, manifest.exports!["."]!))).toBe(true);
    expect(manifest.main && existsSync(path.join(PACKAGE_DIR, manifest.main))).toBe(true);
  });

  it("takes @pulumi/pulumi, azure-native and azuread as peers, with the ranges the root program uses", () => {
    // Peers, so a consumer's program and the components share one @pulumi/pulumi (one resource registry).
    const peers = manifest.peerDependencies ?? {};
    expect(Object.keys(peers).sort()).toEqual(["@pulumi/azure-native", "@pulumi/azuread", "@pulumi/pulumi"]);
    for (const [name, range] of Object.entries(peers)) {
      expect(range, `${name}: the package's peer range vs the root's`).toBe(rootManifest.dependencies?.[name]);
    }
    for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
      expect(range, `${name}: the package's range vs the root's`).toBe(rootManifest.dependencies?.[name] ?? rootManifest.devDependencies?.[name]);
    }
  });

  it("has a CHANGELOG entry for its version", () => {
    const changelog = readFileSync(path.join(PACKAGE_DIR, "CHANGELOG.md"), "utf8");
    expect(changelog).toMatch(new RegExp(`^## \\[${manifest.version.replace(/\./g, "\\.")}\\] - \\d{4}-\\d{2}-\\d{2}$`, "m"));
  });

  it("is a workspace of the root, which depends on it by name and version", () => {
    expect(rootManifest.workspaces).toContain("components");
    expect(rootManifest.dependencies?.[manifest.name]).toBe(`^${manifest.version}`);
    const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string; link?: boolean; resolved?: string }> };
    expect(lock.packages[`node_modules/${manifest.name}`]).toEqual({ resolved: "components", link: true });
    expect(lock.packages.components?.version).toBe(manifest.version);
  });
});

describe("what the package imports", () => {
  const files = tsFiles(PACKAGE_DIR);

  it("every bare import is a Node built-in or a declared dependency or peer", () => {
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const undeclared: string[] = [];
    for (const file of files) {
      for (const spec of [...specifiers(file), ...runtimeRequires(file)]) {
        if (spec.startsWith(".")) continue;
        const bare = spec.replace(/^node:/, "");
        if (spec.startsWith("node:") || builtinModules.includes(bare)) continue;
        const pkgName = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        if (!declared.has(pkgName)) undeclared.push(`${path.relative(PACKAGE_DIR, file)} imports "${spec}"`);
      }
    }
    expect(undeclared, "add these to components/package.json dependencies (or peerDependencies)").toEqual([]);
  });

  it("no relative import leaves components/ (an installed copy could not resolve it)", () => {
    const outside: Record<string, string[]> = {};
    for (const file of files) {
      for (const spec of specifiers(file)) {
        if (!spec.startsWith(".") || inside(PACKAGE_DIR, path.resolve(path.dirname(file), spec))) continue;
        (outside[path.relative(PACKAGE_DIR, file).split(path.sep).join("/")] ??= []).push(spec);
      }
    }
    for (const [file, specs] of Object.entries(outside)) {
      const known = STILL_OUTSIDE[file] ?? [];
      const added = specs.filter((s) => !known.includes(s));
      expect(added, `components/${file} imports from outside the package: an installed copy cannot resolve it`).toEqual([]);
    }
    for (const [file, known] of Object.entries(STILL_OUTSIDE)) {
      const gone = known.filter((s) => !(outside[file] ?? []).includes(s));
      expect(gone, `components/${file} no longer imports these: remove them from STILL_OUTSIDE`).toEqual([]);
    }
  });
});

describe("this repository's program consumes the package by name", () => {
  it("index.ts and composition/ import nothing from components/ by path", () => {
    const program = [path.join(ROOT, "index.ts"), ...tsFiles(path.join(ROOT, "composition"))];
    const byPath: string[] = [];
    for (const file of program) {
      for (const spec of specifiers(file)) {
        if (spec.startsWith(".") && inside(PACKAGE_DIR, path.resolve(path.dirname(file), spec))) {
          byPath.push(`${path.relative(ROOT, file)} imports "${spec}": import from "${manifest.name}" instead`);
        }
      }
    }
    expect(byPath).toEqual([]);
    const byName = program.filter((file) => specifiers(file).includes(manifest.name));
    expect(byName.length).toBeGreaterThan(0);
  });

  it("the package name resolves to this folder's entry point (the workspace link)", () => {
    expect(require.resolve(manifest.name)).toBe(path.join(PACKAGE_DIR, manifest.exports!["."]!));
  });
});

describe("the plugin entry Pulumi's Node host runs", () => {
  it("require(<package folder>) loads the TypeScript components by itself and exports every component class", () => {
    // A fresh `node` with no loader flags, as the language host starts it (cmd/run-plugin requires the
    // program folder, i.e. package.json `main`).
    const script = [
      `const { getPulumiComponents } = require("@pulumi/pulumi/provider/experimental");`,
      `const m = require(${JSON.stringify(PACKAGE_DIR)});`,
      `process.stdout.write(JSON.stringify(getPulumiComponents(m).map((c) => c.name).sort()));`,
    ].join("\n");
    const out = execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    const names = JSON.parse(out) as string[];
    expect(names).toEqual(expect.arrayContaining(["CosmosDb", "EventTopic", "FunctionApp", "KeyVault", "Messaging"]));
  }, 60_000);
});
