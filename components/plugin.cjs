// The entry Pulumi's Node plugin host runs (PulumiPlugin.yaml): it require()s package.json `main`
// and serves every ComponentResource class the module exports (@pulumi/pulumi cmd/run-plugin/run.js,
// getPulumiComponents). The components are TypeScript; tsx's require hook compiles them, the same
// loader the root program uses (Pulumi.yaml `nodeargs: --import tsx`).
require("tsx/cjs");
module.exports = require("./index.ts");
