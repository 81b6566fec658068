/**
 * Loads `@npmcli/arborist` when @pulumi/pulumi first uses it instead of when @pulumi/pulumi loads.
 *
 * @pulumi/pulumi requires it at load time for one function, `runtime.computeCodePaths` (the code paths
 * of a serialized function's package: runtime/closure/codePaths.js, `new arborist.Arborist(...)`), which
 * the offline plan never calls: the dynamic provider is serialized without it. Loading arborist (npm's
 * tree reader, with pacote and its registry client) was a third of `require("@pulumi/pulumi")`'s CPU
 * (0.3 s of 0.8 s, `node -e`, Node 20). Only that request from that file is deferred: the module is the
 * same one, loaded on first use, so `computeCodePaths` works as before.
 *
 * Imported first by the plan command (engine/cli/plan.ts), before anything loads @pulumi/pulumi.
 */
import Module from "node:module";

/** The request deferred, and the file whose `require` of it is deferred. */
const DEFERRED = { request: "@npmcli/arborist", from: /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]closure[\\/]codePaths\.js$/ } as const;

/** Set once per process (a second import finds it). */
const INSTALLED = Symbol.for("serverless-platform.lazy-modules");

type Load = (request: string, parent: { filename?: string | null } | undefined, isMain: boolean) => unknown;

/**
 * A stand-in that loads the real module on first use. `__esModule` is true so TypeScript's
 * `__importStar` (how codePaths.js imports it) keeps the stand-in instead of copying its keys.
 */
function deferred(load: () => object): object {
  let real: object | undefined;
  const target = (): object => (real ??= load());
  return new Proxy(
    {},
    {
      get: (_, key) => (key === "__esModule" ? true : Reflect.get(target(), key)),
      has: (_, key) => key in target(),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

/** Installs the deferral (idempotent). Exported for the test; importing this module installs it. */
export function deferArborist(): void {
  const host = globalThis as Record<symbol, unknown>;
  if (host[INSTALLED]) return;
  host[INSTALLED] = true;
  const loader = Module as unknown as { _load: Load };
  const load = loader._load;
  loader._load = function (this: unknown, request, parent, isMain) {
    if (request === DEFERRED.request && parent?.filename && DEFERRED.from.test(parent.filename)) {
      return deferred(() => load.call(this, request, parent, isMain) as object);
    }
    return load.call(this, request, parent, isMain);
  };
}

deferArborist();
