/**
 * vitest globalSetup: a folder, new for each test run, where the real stacks' plans are evaluated once
 * and shared by every test file of every project that lists this setup (see ./stack-plans.ts). Before
 * this, about twenty test files each evaluated the whole program again for the same stacks.
 *
 * Nothing is kept across runs (the folder is removed at the end), so a shared plan is never stale.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where ./stack-plans.ts evaluates and finds the shared plans. */
    stackPlansDir: string;
  }
}

// Each project imports this module on its own: the run's one folder is kept on globalThis.
const SHARED = Symbol.for("serverless-platform.test.stack-plans");
const registry = globalThis as { [SHARED]?: { directory: string; users: number } };

export default function setup(project: TestProject): () => void {
  const shared = (registry[SHARED] ??= { directory: mkdtempSync(path.join(tmpdir(), "stack-plans-")), users: 0 });
  shared.users++;
  project.provide("stackPlansDir", shared.directory);
  return () => {
    if (--shared.users > 0) return;
    rmSync(shared.directory, { recursive: true, force: true });
    delete registry[SHARED];
  };
}
