/**
 * The "unbundled" side of the bundle benchmarks: a service's entry with our own code compiled in and
 * every npm package external, so Node loads each package file by file from node_modules, as an app
 * deployed without a bundler would. The same code as the bundle, not a weaker variant: what the
 * service imports on first use (`import("./deps.js")`, its SDK clients) loads on first use here too.
 * Our own modules are in one file where a tsc build would have one per module, so this side loads
 * slightly less than a real unbundled deployment: the unbundled/bundled ratio errs low, never high.
 */
import { rmSync } from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";

/** Builds `entry` of `directory` into `outfile` (CommonJS, packages external) and returns `outfile`. */
export function buildUnbundled(outfile: string, directory: string, entry: string): string {
  rmSync(path.dirname(outfile), { recursive: true, force: true });
  buildSync({
    entryPoints: [path.resolve(directory, entry)],
    outfile,
    bundle: true,
    packages: "external",
    platform: "node",
    target: `node${process.versions.node.split(".")[0]}`,
    format: "cjs",
    banner: { js: 'var __bundle_import_meta_url=require("url").pathToFileURL(__filename).href;' },
    define: { "import.meta.url": "__bundle_import_meta_url" },
    logLevel: "error",
  });
  return outfile;
}
