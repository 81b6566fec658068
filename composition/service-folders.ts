/**
 * Where the services live and which folders are services: read by the program (composition/services.ts)
 * and by commands that must answer --help or a mistyped name before loading the platform's components
 * (scripts/build-functions.ts). Only node: modules here.
 */
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";

export const FUNCTIONS_ROOT = path.resolve(__dirname, "..", "functions-src");

/** The service folders under `root`: each directory with a service.ts manifest, sorted. */
export function serviceFolders(root: string = FUNCTIONS_ROOT): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, "service.ts")))
    .map((d) => d.name)
    .sort();
}
