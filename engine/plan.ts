/**
 * The offline plan: evaluates the real Pulumi program (`index.ts`) for one stack under
 * `pulumi.runtime.setMocks` with the simulated provider, and records what `pulumi preview` would
 * create: every resource with its parent, resolved inputs, dependencies and options.
 *
 * The same engine serves `npm run plan`, the policy runner, the report and the tests.
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { Simulator } from "./simulator";
import { readStackFiles } from "./stack-files";
import { SECRET_PLACEHOLDER, UNKNOWN_PLACEHOLDER, type Plan, type PlannedResource } from "./plan-format";

/** Pulumi's markers in serialized property values. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
const UNKNOWN = pulumi.runtime.unknownValue;

// The stack files are read by a module of their own (the plan command checks them before it loads
// Pulumi); re-exported: the engine's callers import them from here.
export { readStackFiles, StackFileError, type StackFiles } from "./stack-files";

/** Replaces Pulumi's serialized markers with plain JSON: secrets hidden, references as URNs. */
export function plainValue(value: unknown): unknown {
  if (value === UNKNOWN) return UNKNOWN_PLACEHOLDER;
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    switch (obj[SIG_KEY]) {
      case SECRET_SIG:
        return SECRET_PLACEHOLDER;
      case RESOURCE_SIG:
        return obj.urn;
      case ASSET_SIG:
      case ARCHIVE_SIG: {
        const { [SIG_KEY]: _sig, ...rest } = obj;
        return { asset: rest.path ?? rest.uri ?? (rest.text !== undefined ? "[text]" : "[assets]") };
      }
      default:
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, plainValue(v)]));
    }
  }
  return value;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}

interface RegisterResponse {
  getUrn(): string;
  getId(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

/** A mock monitor that also records what the engine would see: parents, dependencies, options. */
class RecordingMonitor extends MockMonitor {
  readonly planned: PlannedResource[] = [];

  constructor(
    mocks: pulumi.runtime.Mocks,
    private readonly onRegister?: (count: number) => void,
  ) {
    super(mocks);
  }

  override async registerResource(req: unknown, callback: (err: unknown, resp: unknown) => void): Promise<void> {
    const r = req as RegisterRequest;
    await super.registerResource(req, (err: unknown, resp: unknown) => {
      if (!err && resp) {
        const response = resp as RegisterResponse;
        const propertyDependencies: Record<string, string[]> = {};
        r.getPropertydependenciesMap().forEach((v, k) => {
          const urns = v.getUrnsList();
          if (urns.length > 0) propertyDependencies[k] = [...urns];
        });
        const timeouts = r.getCustomtimeouts();
        const customTimeouts =
          timeouts && (timeouts.getCreate() || timeouts.getUpdate() || timeouts.getDelete())
            ? {
                ...(timeouts.getCreate() ? { create: timeouts.getCreate() } : {}),
                ...(timeouts.getUpdate() ? { update: timeouts.getUpdate() } : {}),
                ...(timeouts.getDelete() ? { delete: timeouts.getDelete() } : {}),
              }
            : undefined;
        this.planned.push({
          urn: response.getUrn(),
          type: r.getType(),
          name: r.getName(),
          ...(response.getId() ? { id: response.getId() } : {}),
          ...(r.getParent() ? { parent: r.getParent() } : {}),
          custom: r.getCustom(),
          inputs: plainValue(r.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
          dependencies: [...new Set(r.getDependenciesList())],
          propertyDependencies,
          options: {
            protect: r.getProtect() === true,
            retainOnDelete: r.getRetainondelete() === true,
            ...(customTimeouts ? { customTimeouts } : {}),
          },
          outputs: plainValue(response.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
        });
        this.onRegister?.(this.planned.length);
      }
      callback(err, resp);
    });
  }
}

export interface PlanOptions {
  readonly stack: string;
  /** Folder with Pulumi.yaml and the stack files. @default the current directory */
  readonly projectDir?: string;
  /** The program module. @default `<projectDir>/index.ts` */
  readonly program?: string;
  /** Config values that replace the stack file's (`namespace:key` → raw string), for tests. */
  readonly configOverrides?: Readonly<Record<string, string | undefined>>;
  /** Evaluate as a first `pulumi preview` of a new stack: see EvaluateOptions.dryRun. @default false */
  readonly dryRun?: boolean;
  /** Called after each registration with the count so far (progress). */
  readonly onRegister?: (count: number) => void;
  /**
   * Run the program again although this process already evaluated it: the project's own modules
   * (everything outside node_modules) are loaded afresh, as `vi.resetModules()` does in the tests,
   * so a second evaluation (the report's fresh-stack pass) needs no second process. @default false
   */
  readonly reloadProgram?: boolean;
}

/** Forgets the project's own modules (not the npm packages: @pulumi/pulumi keeps its one runtime). */
function forgetProjectModules(): void {
  const cache = (require as NodeRequire | undefined)?.cache;
  if (!cache) return;
  for (const file of Object.keys(cache)) if (!file.split(path.sep).includes("node_modules")) delete cache[file];
}

let reloads = 0;

/**
 * Evaluates the program for one stack and returns its plan. Call once per process, or with
 * `reloadProgram` (or reset modules between calls): the program registers its resources when loaded.
 */
export async function planStack(options: PlanOptions): Promise<Plan> {
  const projectDir = path.resolve(options.projectDir ?? process.cwd());
  const files = readStackFiles(projectDir, options.stack);
  const config: Record<string, string> = { ...files.config };
  for (const [k, v] of Object.entries(options.configOverrides ?? {})) {
    if (v === undefined) delete config[k];
    else config[k] = v;
  }
  const program = options.program ?? path.join(projectDir, "index.ts");
  let specifier = program;
  if (options.reloadProgram) {
    forgetProjectModules();
    // A new URL, so the ESM loader's cache does not answer with the first evaluation's module.
    specifier = `${pathToFileURL(program).href}?reload=${++reloads}`;
  }
  return evaluateProgram({
    project: files.project,
    stack: options.stack,
    config,
    secretKeys: files.secretKeys,
    program: async () => ({ ...((await import(specifier)) as Record<string, unknown>) }),
    // What `pulumi preview` would do: the plan is a preview.
    preview: true,
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.onRegister ? { onRegister: options.onRegister } : {}),
  });
}

export interface EvaluateOptions {
  readonly project: string;
  readonly stack: string;
  /** Raw config, `namespace:key` → string (structured values JSON-encoded). */
  readonly config?: Readonly<Record<string, string>>;
  readonly secretKeys?: readonly string[];
  /** Creates the resources; what it returns becomes the stack outputs. */
  readonly program: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  /**
   * Run as a preview (`pulumi.runtime.isDryRun()` true), as `pulumi preview` and the preview phase of
   * `pulumi up` do: the program then reports what only the update refuses (reserved hosts, lib/endpoints.ts).
   * @default false
   */
  readonly preview?: boolean;
  /**
   * Evaluate as the real engine previews a stack that does not exist yet (`pulumi preview` of a new
   * stack, or a pull request's first preview): every resource is a create, so no provider returns
   * real outputs. azure-native answers with the inputs mapped to the output shape and every other
   * output property, nested ones included, unknown (pulumi-azure-native provider/pkg/convert
   * previewOutputs.go `PreviewOutputs`); a created resource's id is unknown; dynamic providers and
   * components echo their inputs. Unknown values are recorded as "[unknown]". @default false
   */
  readonly dryRun?: boolean;
  /** Called after each registration with the count so far (progress). */
  readonly onRegister?: (count: number) => void;
}

/**
 * The first closure serialization in a process opens @pulumi/pulumi's inspector session
 * (runtime/closure/v8Hooks.js `createInspectorSessionAsync`: a few more awaits than every later one), and a
 * dynamic resource (the code deployment) serializes its provider while the program registers. So the
 * first evaluation in a process registered its code deployments later than any second one: the same stack
 * gave two resource orders, by what the process had done before. Opening the session before every
 * evaluation gives one order (test/engine/plan-cli.test.ts compares a plan of its own process with the
 * shared one evaluated second in another).
 */
let closureSerializerReady: Promise<unknown> | undefined;

/**
 * Runs `program` as a Pulumi stack under the simulated provider and returns what it registered.
 * Tests use it to evaluate one component; `planStack` uses it for the whole program.
 */
export async function evaluateProgram(options: EvaluateOptions): Promise<Plan> {
  await (closureSerializerReady ??= pulumi.runtime.serializeFunction(() => undefined));
  const config = options.config ?? {};
  const simulator = new Simulator({ stack: options.stack, defaultLocation: config[`${options.project}:location`] ?? "eastus" });
  const dryRun = options.dryRun === true;
  const monitor = new RecordingMonitor(dryRun ? new FreshStackPreview(simulator) : simulator, options.onRegister);

  pulumi.runtime.setAllConfig({ ...config }, [...(options.secretKeys ?? [])]);
  pulumi.runtime.setMockOptions(monitor, options.project, options.stack, dryRun || (options.preview ?? false));

  // @pulumi/pulumi formats `new Error().stack` for every resource and promise it creates (source
  // positions, leak debugging); under a TypeScript loader each format maps every frame through source
  // maps, which was the largest single cost of a plan (--cpu-prof). Nothing recorded in the plan reads
  // those stacks. An error's stack is formatted when first read, after this: it is still mapped.
  // A host that maps stacks itself (vitest's Error.prepareStackTrace: the tests' in-process plans)
  // is set aside for the same reason.
  const sourceMaps = process.sourceMapsEnabled;
  const prepareStackTrace = Object.getOwnPropertyDescriptor(Error, "prepareStackTrace");
  if (sourceMaps) process.setSourceMapsEnabled(false);
  if (prepareStackTrace) Reflect.deleteProperty(Error, "prepareStackTrace");
  const restorePromiseStacks = withoutPromiseStacks();
  const restoreSourcePositions = withoutSourcePositions();
  let outputs: unknown;
  try {
    outputs = await pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation(withoutProviderVersionAliases);
      return options.program();
    });
    await waitForRegistrations();
  } finally {
    restoreSourcePositions();
    restorePromiseStacks();
    if (sourceMaps) process.setSourceMapsEnabled(true);
    if (prepareStackTrace) Object.defineProperty(Error, "prepareStackTrace", prepareStackTrace);
  }

  const stackOutputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((outputs ?? {}) as Record<string, unknown>)) {
    if (k === "default" || k === "__esModule") continue;
    stackOutputs[k] = plainValue(await resolveOutput(v));
  }
  return { project: options.project, stack: options.stack, resources: monitor.planned, outputs: stackOutputs };
}

/**
 * azure-native gives every resource one alias per API version its type has had (24 for web:WebApp:
 * `aliases: [{ type: "azure-native:web/v20150801:WebApp" }, ...]`, node_modules/@pulumi/azure-native/web/webApp.js),
 * so that `pulumi up` finds state written under an older type. @pulumi/pulumi turns each alias into a URN
 * output in the Resource constructor (resource.js `collapseAliasToUrn`) and serializes them again for the
 * registration (runtime/resource.js `mapAliasesForRequest`): half the CPU of an evaluation (--cpu-prof,
 * scripts/bench/plan-profile.ts). The mock monitor reads no alias (runtime/mocks.js `registerResource`)
 * and the plan records none, so under the simulator those are dropped before the constructor sees them.
 * Aliases a program writes itself (a rename, a new parent) are kept and still checked by Pulumi.
 */
export const withoutProviderVersionAliases: pulumi.ResourceTransformation = ({ type, props, opts }) => {
  if (!opts.aliases || opts.aliases.length === 0) return undefined;
  const aliases = opts.aliases.filter((alias) => !isProviderVersionAlias(alias, type));
  return aliases.length === opts.aliases.length ? undefined : { props, opts: { ...opts, aliases } };
};

/** `{ type: "<package>:<module>/<version>:<Name>" }` for a resource of type `<package>:<module>:<Name>`, nothing else. */
function isProviderVersionAlias(alias: unknown, type: string): boolean {
  if (alias === null || typeof alias !== "object" || pulumi.Output.isInstance(alias)) return false;
  const keys = Object.keys(alias);
  const aliasType = (alias as { type?: unknown }).type;
  if (keys.length !== 1 || typeof aliasType !== "string") return false;
  const [pkg, module, name] = type.split(":");
  const [aliasPkg, aliasModule, aliasName] = aliasType.split(":");
  return aliasPkg === pkg && aliasName === name && aliasModule !== undefined && aliasModule.startsWith(`${module}/v`);
}

/**
 * @pulumi/pulumi also keeps `new Error().stack` on every promise it makes (runtime/debuggable.js
 * `debuggablePromise`: several per resource), read only by its report of leaked promises when
 * PULUMI_DEBUG_PROMISE_LEAKS is set; formatting those stacks was the largest cost left in an evaluation
 * (--cpu-prof: a quarter of the CPU of the report's fresh-stack pass). While the program runs they are
 * captured with no frames; every other error keeps its stack. Returns the function that undoes it.
 */
function withoutPromiseStacks(): () => void {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return () => undefined;
  // The module's own exports object (an import would give a copy): Pulumi's modules call it through it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise?: (...args: unknown[]) => unknown };
  const original = debuggable.debuggablePromise;
  if (typeof original !== "function") return () => undefined;
  debuggable.debuggablePromise = function (this: unknown, ...args: unknown[]): unknown {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return original.apply(this, args);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  return () => {
    debuggable.debuggablePromise = original;
  };
}

/**
 * @pulumi/pulumi gives each resource's registration the stack of the code that created it (resource.js
 * `Resource.stackTrace`: a `new Error().stack` with no frame limit, every frame parsed and turned into a
 * file URL), for the engine to show where a resource was declared. The mock monitor reads neither
 * field (runtime/mocks.js `registerResource`) and the plan records neither: while the program runs, the
 * trace is the empty one Pulumi itself sends when the stack is too short (no source position).
 * Returns the function that undoes it.
 */
function withoutSourcePositions(): () => void {
  const resource = pulumi.Resource as unknown as { stackTrace?: (skip: number) => unknown[] };
  const original = resource.stackTrace;
  if (typeof original !== "function") return () => undefined;
  resource.stackTrace = () => [];
  return () => {
    resource.stackTrace = original;
  };
}

async function resolveOutput(v: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(v)) {
    // An unknown output's apply never runs during a preview: ask first (a public field at runtime).
    const known = (v as unknown as { isKnown?: Promise<boolean> }).isKnown;
    if (known && !(await known)) return UNKNOWN;
    return new Promise((resolve) => (v as pulumi.Output<unknown>).apply((x) => resolve(x)));
  }
  return v;
}

/**
 * The providers as they answer a preview of resources that do not exist yet (see
 * EvaluateOptions.dryRun). The simulator still computes the full post-creation state, to know the
 * output shape; every output property that is not an input becomes unknown, recursively.
 */
class FreshStackPreview implements pulumi.runtime.Mocks {
  constructor(private readonly simulator: Simulator) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    if (args.custom === false) return this.simulator.newResource(args);
    // The simulator needs names to build ids: give unknown inputs a stand-in, then drop what it computed.
    const standIn = (v: unknown): unknown =>
      pulumi.isUnknown(v) ? "unknown" : Array.isArray(v) ? v.map(standIn) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, standIn(x)])) : v;
    const full = this.simulator.newResource({ ...args, inputs: standIn(args.inputs) as Record<string, unknown> }).state;
    if (!args.type.startsWith("azure-native:") && !args.type.startsWith("azuread:")) {
      // Dynamic providers: the engine shows the inputs as the outputs of a resource to be created.
      return { id: undefined, state: { ...(args.inputs as Record<string, unknown>) } };
    }
    return { id: undefined, state: previewOutputs(args.inputs as Record<string, unknown>, full) };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    // Invokes (client config, an existing resource group) run for real during a preview.
    return this.simulator.call(args);
  }
}

/** The inputs in the output shape; every other output property (nested too) unknown. */
function previewOutputs(inputs: Record<string, unknown>, outputs: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, out] of Object.entries(outputs)) {
    if (!(key in inputs)) {
      result[key] = pulumi.unknown;
      continue;
    }
    const input = inputs[key];
    const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v) && !pulumi.isUnknown(v);
    result[key] = isObj(input) && isObj(out) ? previewOutputs(input, out) : input;
  }
  return result;
}

/** Waits until the runtime has no registration in flight (the RPC queue has drained). */
async function waitForRegistrations(): Promise<void> {
  // Internal in the typings, public at runtime (runtime/settings): the same call `pulumi up` makes.
  const settings = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (typeof settings.waitForRPCs !== "function") {
    throw new Error("this @pulumi/pulumi has no runtime.waitForRPCs; pin the version in package.json");
  }
  await settings.waitForRPCs();
}

/** Resources by type, for the summary table. */
export function countByType(plan: Plan): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return new Map([...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}
