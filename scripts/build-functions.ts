/**
 * `npm run build:functions [service...]`: what `pulumi up` builds, without Azure: each service's
 * bundle and deterministic zip (.build/functions/<service>/) and, for HTTP services, the OpenAPI
 * document the gateway imports (.build/openapi/<service>.json). `func start` runs in
 * .build/functions/<service>/app (see docs/LOCAL-DEVELOPMENT.md).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { FUNCTIONS_ROOT, serviceFolders } from "../composition/service-folders";
import { didYouMean } from "../lib/suggest";
import { describeFailure } from "../components/core/user-error";

const root = path.resolve(__dirname, "..");
const wanted = process.argv.slice(2);
const folders = serviceFolders();
if (wanted.some((w) => w === "--help" || w === "-h")) {
  console.log(`usage: npm run build:functions [-- <service>...]

Builds what \`pulumi up\` deploys, offline: each service's bundle and zip (.build/functions/<service>/)
and, for HTTP services, its OpenAPI document (.build/openapi/<service>.json). Default: every service.
Services: ${folders.join(", ")}`);
  process.exit(0);
}
const options = wanted.filter((w) => w.startsWith("-"));
if (options.length > 0) {
  console.error(`error: unknown option ${options.join(", ")}; usage: npm run build:functions [-- <service>...] (--help for more)`);
  process.exit(2);
}
const unknown = wanted.filter((w) => !folders.includes(w));
if (unknown.length > 0) {
  const hints = unknown.map((u) => didYouMean(u, folders, (f) => `${f} for ${u}`)).join("");
  console.error(`error: no service folder for ${unknown.join(", ")}${hints} (services: ${folders.join(", ")})`);
  process.exit(2);
}

// The bundler, the manifests and the program load only now: --help and a mistyped name answer without
// them (test/scripts/help.test.ts).
void (async () => {
  try {
    const engine = {
      ...(await import("../components/function-app/bundle.js")),
      ...(await import("../composition/services.js")),
      ...(await import("../composition/system.js")),
    };
    for (const name of wanted.length > 0 ? wanted : folders) build(engine, name);
  } catch (e) {
    // A mistake in a service is one message at its file (and line); a bug of ours keeps its stack.
    const failure = describeFailure(e);
    console.error(failure.text);
    process.exit(failure.userMistake ? 2 : 1);
  }
})();

interface BuildEngine {
  readonly bundleService: typeof import("../components/function-app/bundle.js").bundleService;
  readonly loadManifest: typeof import("../composition/services.js").loadManifest;
  readonly openApiDocumentOf: typeof import("../composition/system.js").openApiDocumentOf;
}

function build({ bundleService, loadManifest, openApiDocumentOf }: BuildEngine, name: string): void {
  const directory = path.join(FUNCTIONS_ROOT, name);
  const manifest = loadManifest(directory);
  const bundle = bundleService({ name, directory, entry: manifest.entry, outRoot: path.join(root, ".build", "functions") });
  const kb = (bundle.sizeBytes / 1024).toFixed(0);
  console.log(`${name.padEnd(16)} ${path.relative(root, bundle.zipPath)}  ${kb} KB  sha256 ${bundle.sha256.slice(0, 16)}…`);
  for (const w of bundle.warnings) console.log(`  warning: ${w}`);
  if (manifest.http) {
    const file = path.join(root, ".build", "openapi", `${name}.json`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(openApiDocumentOf({ manifest, directory }), null, 2) + "\n");
    console.log(`${"".padEnd(16)} ${path.relative(root, file)}`);
  }
}
