// Preloaded into a command's process (NODE_OPTIONS="--require <this file>") by test/scripts/help.test.ts:
// at exit, appends the npm packages the process loaded (from require.cache) to $LOADED_PACKAGES_FILE,
// one JSON array per process.
const { appendFileSync } = require("node:fs");

process.on("exit", () => {
  const packages = new Set();
  for (const file of Object.keys(require.cache)) {
    const match = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(file);
    if (match) packages.add(match[1].replace("\\", "/"));
  }
  appendFileSync(process.env.LOADED_PACKAGES_FILE, `${JSON.stringify([...packages].sort())}\n`);
});
