/**
 * Preload for registration tests: stands in for `@azure/functions-core`, the module the Functions
 * host's Node worker provides. With it present, `@azure/functions` leaves test mode and registers the
 * app's functions here; on exit they are printed as JSON after a marker line.
 */
const Module = require("node:module");

const registrations = [];
const disposable = { dispose() {} };
const core = {
  setProgrammingModel() {},
  registerFunction(metadata) {
    registrations.push(metadata);
    return disposable;
  },
  registerHook() {
    return disposable;
  },
  log() {},
};

const originalLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  if (request === "@azure/functions-core") return core;
  return originalLoad.call(this, request, parent, isMain);
};

process.on("exit", () => {
  process.stdout.write(`\n@@REGISTRATIONS@@${JSON.stringify(registrations)}\n`);
});
