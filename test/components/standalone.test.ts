/**
 * The components stand on their own: every module under components/ imports only other modules
 * under components/, Node's built-ins and npm packages its package.json declares. An import of the
 * application (functions-src/), the stack config (lib/), the engine or the composition would make
 * the folder impossible to ship alone, so it fails here, naming the file, the line and the import.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");
const COMPONENTS = path.join(ROOT, "components");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === "node_modules" ? [] : sourceFiles(full);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(d.name) && !d.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** The dependencies a consumer of the folder installs: its own package.json once it has one, else the root's. */
function declaredPackages(): Set<string> {
  const own = path.join(COMPONENTS, "package.json");
  const manifest = JSON.parse(readFileSync(existsSync(own) ? own : path.join(ROOT, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
  return new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

export interface ImportProblem {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly why: string;
}

/** Every import (static, `export … from`, `import()`, `require()`, `import("…")` types) of `file` that leaves the folder. */
export function importsLeaving(file: string, source: string, root: string, packages: ReadonlySet<string>): ImportProblem[] {
  const info = ts.preProcessFile(source, true, true);
  const problems: ImportProblem[] = [];
  for (const ref of info.importedFiles) {
    const specifier = ref.fileName;
    const line = ts.getLineAndCharacterOfPosition(ts.createSourceFile(file, source, ts.ScriptTarget.Latest), ref.pos).line + 1;
    const at = { file: path.relative(ROOT, file), line, specifier };
    if (specifier.startsWith(".") || path.isAbsolute(specifier)) {
      const target = path.resolve(path.dirname(file), specifier);
      const relative = path.relative(root, target);
      if (relative.startsWith("..") || path.isAbsolute(relative)) {
        problems.push({ ...at, why: `resolves to ${path.relative(ROOT, target)}, outside components/` });
      }
      continue;
    }
    const bare = specifier.replace(/^node:/, "");
    if (specifier.startsWith("node:") || builtinModules.includes(bare)) continue;
    if (!packages.has(packageOf(specifier))) {
      problems.push({ ...at, why: `package ${packageOf(specifier)} is not a declared dependency` });
    }
  }
  return problems;
}

describe("components/ stands on its own", () => {
  const packages = declaredPackages();

  it("imports nothing outside components/ but Node built-ins and declared npm packages", () => {
    const files = sourceFiles(COMPONENTS);
    expect(files.length).toBeGreaterThan(20);
    const problems = files.flatMap((f) => importsLeaving(f, readFileSync(f, "utf8"), COMPONENTS, packages));
    expect(problems.map((p) => `${p.file}:${p.line}: import "${p.specifier}" ${p.why}`)).toEqual([]);
  });

  it.each([
    ['import { settingNames } from "../../functions-src/shared/manifest";', "functions-src"],
    ['import type { StackConfig } from "../../lib/config";', "lib/config"],
    ['export { x } from "../../composition/system";', "composition"],
    ['const m = require("../../engine/plan");', "engine"],
    ['type T = typeof import("../../lib/naming");', "lib/naming"],
    ['const m = await import("../../functions-src/orders/service");', "functions-src"],
    ['import lodash from "lodash";', "lodash"],
  ])("catches %s", (line, what) => {
    const problems = importsLeaving(path.join(COMPONENTS, "function-app", "x.ts"), line, COMPONENTS, packages);
    expect(problems).toHaveLength(1);
    expect(`${problems[0]!.specifier} ${problems[0]!.why}`).toContain(what);
  });

  it.each([
    'import * as web from "@pulumi/azure-native/web";',
    'import { createHash } from "node:crypto";',
    'import * as path from "path";',
    'import { physicalName } from "../core/naming";',
  ])("accepts %s", (line) => {
    expect(importsLeaving(path.join(COMPONENTS, "function-app", "x.ts"), line, COMPONENTS, packages)).toEqual([]);
  });
});
