/**
 * Loads a TypeScript module (a service manifest, an OpenAPI generator) synchronously, whatever runs
 * the program: Pulumi's ts-node, tsx or vitest. esbuild compiles it to CommonJS in memory with the
 * npm packages left external (they load from node_modules as usual).
 */
import { buildSync } from "esbuild";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as vm from "node:vm";

const cache = new Map<string, Record<string, unknown>>();

export function loadTsModule(file: string): Record<string, unknown> {
  const absolute = path.resolve(file);
  const cached = cache.get(absolute);
  if (cached) return cached;
  const result = buildSync({
    entryPoints: [absolute],
    bundle: true,
    packages: "external",
    platform: "node",
    format: "cjs",
    target: "node20",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.text;
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${code}\n})`, {
    filename: absolute,
  }) as (e: unknown, r: NodeRequire, m: unknown, f: string, d: string) => void;
  wrapper(module.exports, createRequire(absolute), module, absolute, path.dirname(absolute));
  cache.set(absolute, module.exports);
  return module.exports;
}
