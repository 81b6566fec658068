"use strict";
/**
 * A stand-in for `@azure/functions-core`, the module the Functions host's Node worker provides at run
 * time. With it resolvable, `@azure/functions` leaves test mode and registers through it, as on Azure.
 *
 * Used by the bundle tests and the bundle benchmark: it is copied to
 * `<dir>/node_modules/@azure/functions-core/index.js` and found through NODE_PATH.
 *
 * Environment:
 * - FAKE_FUNCTIONS_CORE_REPORT=<file>: at exit, writes what was registered as JSON
 *   `{ programmingModel, functions: [{ name, bindings }], hooks, logs, invocation? }`.
 * - FAKE_FUNCTIONS_CORE_INVOKE=<function name>: right after the app has loaded (next macrotask),
 *   invokes that HTTP function once through the programming model, the way the worker does
 *   (getInvocationModel → getArguments → invokeFunction → getResponse), and records the response
 *   and the time it took.
 */
const fs = require("node:fs");
const { performance } = require("node:perf_hooks");

const report = { programmingModel: null, functions: [], hooks: [], logs: [], loadedAtMs: null, invocation: null };
const callbacks = new Map();
let programmingModel;
let invokeScheduled = false;

function scheduleInvocation() {
  const target = process.env.FAKE_FUNCTIONS_CORE_INVOKE;
  if (!target || invokeScheduled) return;
  invokeScheduled = true;
  // setImmediate runs once the main module (the bundle) has finished loading.
  setImmediate(() => {
    report.loadedAtMs = performance.now();
    invoke(target).catch((error) => {
      report.invocation = { error: String((error && error.stack) || error) };
    });
  });
}

async function invoke(name) {
  const fn = report.functions.find((f) => f.name === name);
  if (!fn) throw new Error(`no function named ${name} was registered`);
  const triggerName = Object.keys(fn.bindings).find((k) => fn.bindings[k].direction === "in");
  const started = performance.now();
  const coreCtx = {
    invocationId: "00000000-0000-0000-0000-000000000001",
    metadata: { name, bindings: fn.bindings },
    request: {
      inputData: [
        {
          name: triggerName,
          data: {
            http: {
              method: "GET",
              url: `http://localhost/api/${name}?name=bench`,
              headers: { host: "localhost" },
              query: { name: "bench" },
              params: {},
            },
          },
        },
      ],
      triggerMetadata: {},
    },
    log: (level, category, message) => report.logs.push({ level, category, message }),
  };
  const model = programmingModel.getInvocationModel(coreCtx);
  const { context, inputs } = await model.getArguments();
  const result = await model.invokeFunction(context, inputs, callbacks.get(name));
  const response = await model.getResponse(context, result);
  const http = response.returnValue && response.returnValue.http;
  const bytes = http && http.body && http.body.bytes;
  report.invocation = {
    name,
    durationMs: performance.now() - started,
    status: http ? Number(http.statusCode) : undefined,
    body: bytes ? Buffer.from(Object.values(bytes)).toString("utf8") : undefined,
  };
}

module.exports = {
  version: "3.10.1-fake",
  hostVersion: "4.1000.0-fake",
  registerFunction(metadata, callback) {
    report.functions.push({ name: metadata.name, bindings: metadata.bindings });
    callbacks.set(metadata.name, callback);
    scheduleInvocation();
    return { dispose() {} };
  },
  registerHook(hookName) {
    report.hooks.push(hookName);
    return { dispose() {} };
  },
  setProgrammingModel(model) {
    programmingModel = model;
    report.programmingModel = { name: model.name, version: model.version };
  },
  getProgrammingModel() {
    return programmingModel;
  },
  log(level, category, message) {
    report.logs.push({ level, category, message });
  },
};

process.on("exit", () => {
  const file = process.env.FAKE_FUNCTIONS_CORE_REPORT;
  if (file) fs.writeFileSync(file, JSON.stringify(report));
});
