/**
 * engine/lazy-modules.ts: @pulumi/pulumi loads without @npmcli/arborist, which loads on first use as
 * the same module. In a fresh Node process: a test worker may have loaded @pulumi/pulumi already.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");

/** Runs `body` (CommonJS) in a fresh `node --import tsx` at the repository root; what it prints, as JSON. */
function inFreshNode(body: string): Record<string, unknown> {
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", body], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
}

const ARBORIST_LOADED = `Object.keys(require.cache).some((f) => /[\\\\/]@npmcli[\\\\/]arborist[\\\\/]lib[\\\\/]index\\.js$/.test(f))`;

describe("deferring @npmcli/arborist", () => {
  it("without it, loading @pulumi/pulumi loads arborist (the cost deferred: the test would pass for nothing otherwise)", () => {
    expect(inFreshNode(`require("@pulumi/pulumi"); console.log(JSON.stringify({ loaded: ${ARBORIST_LOADED} }));`)).toEqual({ loaded: true });
  });

  it("with it, @pulumi/pulumi loads without arborist, and the stand-in that codePaths.js gets loads the real module on first use", () => {
    const result = inFreshNode(`
      require("./engine/lazy-modules");
      require("@pulumi/pulumi");
      const before = ${ARBORIST_LOADED};
      const parent = require.cache[require.resolve("@pulumi/pulumi/runtime/closure/codePaths")];
      // What codePaths.js's require("@npmcli/arborist") returns.
      const standIn = require("node:module")._load("@npmcli/arborist", parent, false);
      const untouched = ${ARBORIST_LOADED};
      const real = require(require.resolve("@npmcli/arborist", { paths: [require("node:path").dirname(parent.filename)] }));
      console.log(JSON.stringify({ before, untouched, esModule: standIn.__esModule, same: standIn.Arborist === real.Arborist && typeof real.Arborist === "function" }));
    `);
    expect(result).toEqual({ before: false, untouched: false, esModule: true, same: true });
  });
});
