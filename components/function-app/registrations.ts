/**
 * The functions a bundle registers, read by loading it the way the Functions host's Node worker does:
 * in a fresh `node` with a stand-in for `@azure/functions-core` (the module the worker provides), so
 * `@azure/functions` leaves test mode and hands every registration to it.
 *
 * What the plan learns from it: each function's name and trigger (its Flex Consumption scale group,
 * and what OneDeploy confirms through ARM after a deployment), and each timer's schedule (what keeps
 * an app awake). Synchronous, like bundling: the program needs plain values while composing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT, writeFileAtomic } from "./bundle";

export { scaleGroupOf, scaleGroups } from "./scale-groups";

/** One registered function. */
export interface RegisteredFunction {
  readonly name: string;
  /** The trigger binding's type, e.g. `httpTrigger`, `timerTrigger`, `orchestrationTrigger`. */
  readonly trigger: string;
  /** NCRONTAB schedule of a timer trigger. */
  readonly schedule?: string;
}

export class RegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegistrationError";
  }
}

/** The stand-in worker module: records every registration and writes them as JSON at exit. */
const PROBE_CORE = `"use strict";
const fs = require("node:fs");
const functions = [];
let model;
module.exports = {
  version: "3.10.1-probe",
  hostVersion: "4.1000.0-probe",
  registerFunction(metadata) { functions.push({ name: metadata.name, bindings: metadata.bindings }); return { dispose() {} }; },
  registerHook() { return { dispose() {} }; },
  setProgrammingModel(m) { model = m; },
  getProgrammingModel() { return model; },
  log() {},
};
process.on("exit", () => { fs.writeFileSync(process.env.REGISTRATION_PROBE_REPORT, JSON.stringify({ model: model ? model.name : null, functions })); });
`;

const PROBE_TIMEOUT_MS = 30_000;

/** Loads `<appDirectory>/index.js` (a bundle from `bundleService`) and returns what it registers. */
export function registeredFunctions(appDirectory: string, probeRoot: string = path.join(PROJECT_ROOT, ".build", "registration-probe")): RegisteredFunction[] {
  const entry = path.join(appDirectory, "index.js");
  if (!existsSync(entry)) throw new RegistrationError(`${entry} does not exist: bundle the service first`);
  const coreDir = path.join(probeRoot, "node_modules", "@azure", "functions-core");
  mkdirSync(coreDir, { recursive: true });
  const corePath = path.join(coreDir, "index.js");
  if (!existsSync(corePath) || readFileSync(corePath, "utf8") !== PROBE_CORE) writeFileAtomic(corePath, Buffer.from(PROBE_CORE, "utf8"));
  const report = path.join(probeRoot, `report-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  try {
    // A clean environment: no loaders of the parent (tsx, vitest), no settings the services read.
    const run = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(entry)})`], {
      cwd: appDirectory,
      encoding: "utf8",
      timeout: PROBE_TIMEOUT_MS,
      env: { PATH: process.env.PATH ?? "", NODE_PATH: path.join(probeRoot, "node_modules"), REGISTRATION_PROBE_REPORT: report },
    });
    if (run.status !== 0 || !existsSync(report)) {
      throw new RegistrationError(`loading ${entry} failed (exit ${run.status}): ${(run.stderr || run.error?.message || "").trim().slice(0, 800)}`);
    }
    const parsed = JSON.parse(readFileSync(report, "utf8")) as {
      model: string | null;
      functions: { name: string; bindings: Record<string, { type?: string; direction?: string; schedule?: string }> }[];
    };
    return parsed.functions.map((f) => {
      const trigger = Object.values(f.bindings).find((b) => b.direction === "in" && /Trigger$/i.test(b.type ?? ""));
      return {
        name: f.name,
        trigger: trigger?.type ?? "unknown",
        ...(trigger?.schedule !== undefined ? { schedule: String(trigger.schedule) } : {}),
      };
    });
  } finally {
    rmSync(report, { force: true });
  }
}
