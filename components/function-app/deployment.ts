/**
 * `FunctionCodeDeployment`: publishes a service's package to its Flex Consumption app with OneDeploy
 * (no Pulumi provider does this today: pulumi-azure-native#3483). A dynamic resource, so it takes part
 * in the graph: it runs after the app and the role assignments it needs (`dependsOn`), and only when
 * the package's hash (or the app) changes.
 *
 * - preview: Pulumi never calls create/update; `check` and `diff` accept unknown inputs.
 * - create/update: OneDeploy (see onedeploy.ts); a change of `packagePath` alone is no change.
 * - delete: nothing to do; deleting the app removes its code.
 *
 * How the provider travels: Pulumi serializes the provider object with everything its methods
 * capture and runs it in a separate plain-Node process, which cannot load TypeScript. So the methods
 * capture no module of ours: the HTTP logic is compiled by esbuild into one CommonJS file under
 * `.build/deployer/` when the program runs (`pulumi preview` and `pulumi up` both run it), and the
 * provider `require`s that file by absolute path, lazily, inside create/update. Pulumi's serializer
 * never captures `require` itself, so the serialized provider is a few small functions and a path.
 * `delete` needs nothing, so `pulumi destroy` works even where that file is gone.
 */
import * as pulumi from "@pulumi/pulumi";
import { buildSync } from "esbuild";
import { existsSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "./bundle";
import type { DeploymentResult, PackageFileRequest } from "./onedeploy";

export interface FunctionCodeDeploymentArgs {
  /** ARM id of the Function App (Flex Consumption). Changing it deploys to the new app (a replacement). */
  readonly siteId: pulumi.Input<string>;
  /** Path of the package zip on the machine that runs `pulumi up` (from `bundleService`). */
  readonly packagePath: pulumi.Input<string>;
  /** Hex SHA-256 of the package: the code is (re)deployed exactly when this changes. */
  readonly packageSha256: pulumi.Input<string>;
  /** ARM endpoint of the cloud. @default "https://management.azure.com" */
  readonly armEndpoint?: pulumi.Input<string>;
  /**
   * Where the OneDeploy module the provider process loads is compiled to (on the machine that runs
   * `pulumi up`). @default `.build/deployer` under the working directory
   */
  readonly deployerDirectory?: string;
  /**
   * The functions the package registers (from `registeredFunctions`): confirmed through ARM when the
   * deployment's status record vanishes, and read by the cost estimate (scale groups, timers).
   */
  readonly functions: readonly DeployedFunction[];
  /** The data uses the service declares. @default none recorded */
  readonly uses?: readonly DeclaredUse[];
}

/** A function of the package: its name, trigger type and (timers) schedule. */
export interface DeployedFunction {
  readonly name: string;
  readonly trigger: string;
  readonly schedule?: string;
  /** The queue a queue trigger reads, from the code's registration (the policy pack's evidence of processing it). */
  readonly queue?: string;
  /** Queues its output bindings write to. */
  readonly sends?: readonly string[];
}

/**
 * A data use the service declares (its manifest), recorded with the code so the plan shows it: the
 * policy pack's `rbac-declared-use` matches each queue/container grant to one. Informational: changing
 * it deploys nothing.
 */
export interface DeclaredUse {
  /**
   * What the use is of: `"queue"` (the only kind recorded today). A string, not a one-member enum:
   * the package schema has no single-literal type; FunctionApp refuses any other value.
   */
  readonly kind: string;
  readonly name: string;
  readonly access: QueueAccess;
}

/** The kinds of `DeclaredUse` FunctionApp records. */
export const DECLARED_USE_KINDS: readonly string[] = ["queue"];

/** How a service uses a queue: `send` enqueues only; `process` is the queue trigger. */
export const QueueAccess = {
  Send: "send",
  Process: "process",
} as const;
export type QueueAccess = (typeof QueueAccess)[keyof typeof QueueAccess];

/** The inputs as the provider sees them (resolved). */
export interface CodeDeploymentInputs {
  readonly siteId: string;
  readonly packagePath: string;
  readonly packageSha256: string;
  readonly armEndpoint: string;
  readonly functions: readonly DeployedFunction[];
}

/** What the resource records after a deployment. */
export interface CodeDeploymentOutputs extends CodeDeploymentInputs {
  readonly deploymentId: string;
  readonly deployedAt: string;
  /** Always true (an unconfirmed deployment fails); see DeploymentResult.confirmedBy for how. */
  readonly confirmed: boolean;
}

/** Performs one deployment; the real one is `deployPackageFile` from onedeploy.ts. */
export type PackageDeployer = (request: PackageFileRequest) => Promise<DeploymentResult>;

/** Type token: `pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment` (renaming it replaces the resource). */
const TYPE_MODULE = "functionapp";
const TYPE_NAME = "FunctionCodeDeployment";
const ARM_PUBLIC = "https://management.azure.com";

// Everything below that the provider's methods use is plain data or self-contained functions: it is
// serialized into the state with the provider.

/** Pulumi's placeholder for a value not known yet (preview), as seen by check/diff (a string, serialized by value). */
const UNKNOWN: string = pulumi.runtime.unknownValue;

function checkCodeDeploymentInputs(news: Partial<Record<keyof CodeDeploymentInputs, unknown>>): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  const known = (v: unknown): boolean => v !== UNKNOWN && v !== undefined;
  if (known(news.siteId) && !(typeof news.siteId === "string" && /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Web\/sites\/[^/]+$/i.test(news.siteId))) {
    failures.push({ property: "siteId", reason: `must be the ARM id of a Function App (/subscriptions/…/providers/Microsoft.Web/sites/<name>), got ${JSON.stringify(news.siteId)}` });
  }
  if (news.siteId === undefined) failures.push({ property: "siteId", reason: "is required" });
  if (known(news.packageSha256) && !(typeof news.packageSha256 === "string" && /^[0-9a-f]{64}$/i.test(news.packageSha256))) {
    failures.push({ property: "packageSha256", reason: `must be a hex SHA-256 (64 characters), got ${JSON.stringify(news.packageSha256)}` });
  }
  if (news.packageSha256 === undefined) failures.push({ property: "packageSha256", reason: "is required" });
  if (news.packagePath === undefined || news.packagePath === "") failures.push({ property: "packagePath", reason: "is required" });
  if (known(news.functions) && !(Array.isArray(news.functions) && news.functions.length > 0 && news.functions.every((f) => typeof (f as { name?: unknown })?.name === "string"))) {
    failures.push({ property: "functions", reason: `must list the functions the package registers (at least one, each with a name): without them a deployment whose status vanished cannot be confirmed; got ${JSON.stringify(news.functions)}` });
  }
  if (news.functions === undefined) failures.push({ property: "functions", reason: "is required (the functions the package registers)" });
  if (known(news.armEndpoint) && !(typeof news.armEndpoint === "string" && /^https:\/\/[^/]+\/?$/.test(news.armEndpoint))) {
    failures.push({ property: "armEndpoint", reason: `must be an https origin such as https://management.azure.com, got ${JSON.stringify(news.armEndpoint)}` });
  }
  return failures;
}

/**
 * The provider, over an injectable deployer (tests pass a stub; `FunctionCodeDeployment` passes a
 * loader of the compiled onedeploy module).
 */
export function createDeploymentProvider(
  loadDeployer: () => PackageDeployer,
): pulumi.dynamic.ResourceProvider<CodeDeploymentInputs, CodeDeploymentOutputs> {
  const deploy = async (inputs: CodeDeploymentInputs): Promise<CodeDeploymentOutputs> => {
    const result = await loadDeployer()({
      siteId: inputs.siteId,
      packagePath: inputs.packagePath,
      packageSha256: inputs.packageSha256,
      armEndpoint: inputs.armEndpoint,
      expectedFunctions: inputs.functions.map((f) => f.name),
    });
    return { ...inputs, deploymentId: result.deploymentId, deployedAt: new Date().toISOString(), confirmed: result.confirmed };
  };
  return {
    async check(_olds, news) {
      const failures = checkCodeDeploymentInputs(news);
      return failures.length > 0 ? { inputs: news, failures } : { inputs: news };
    },
    async diff(_id, olds, news) {
      // Unknown values (preview) differ from any old value: reported as a change, never as "same".
      const replaces = olds.siteId !== news.siteId ? ["siteId"] : [];
      const changes = replaces.length > 0 || olds.packageSha256 !== news.packageSha256;
      return { changes, replaces, deleteBeforeReplace: false };
    },
    async create(inputs) {
      const outs = await deploy(inputs);
      return { id: `${inputs.siteId}/codeDeployment`, outs };
    },
    async update(_id, _olds, news) {
      return { outs: await deploy(news) };
    },
    async delete() {
      // Nothing to undo: the code lives in the app's deployment container and goes with the app.
    },
  };
}

/** The onedeploy module compiled to plain CommonJS for the provider process, once per output folder and run. */
const compiledDeployers = new Map<string, string>();

/** Where the compiled deployer goes by default: `.build/deployer/` under the working directory. */
export const DEFAULT_DEPLOYER_DIRECTORY = path.resolve(".build", "deployer");

/**
 * Compiles onedeploy.ts (with no dependency bundled: `@azure/identity` loads from the project's
 * node_modules) to `<outDir>/onedeploy.cjs` and returns its absolute path.
 */
export function ensureDeployerModule(outDir: string = DEFAULT_DEPLOYER_DIRECTORY): string {
  const cached = compiledDeployers.get(outDir);
  if (cached && existsSync(cached)) return cached;
  const source = ["onedeploy.ts", "onedeploy.js"].map((f) => path.join(__dirname, f)).find((f) => existsSync(f));
  if (!source) throw new Error(`onedeploy.ts not found next to ${__filename}`);
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, "onedeploy.cjs");
  const result = buildSync({
    entryPoints: [source],
    outfile,
    write: false,
    bundle: true,
    packages: "external",
    platform: "node",
    // The Node that runs Pulumi (engines: >= 20.19), not the Functions runtime.
    target: "node20",
    format: "cjs",
    logLevel: "error",
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${source}`);
  writeFileAtomic(outfile, output.contents);
  compiledDeployers.set(outDir, outfile);
  return outfile;
}

/** A loader that `require`s the compiled module at call time; it captures only `modulePath`. */
export function deployerLoader(modulePath: string): () => PackageDeployer {
  return () => {
    // Resolved in the provider process, by absolute path: see the module comment.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(modulePath) as typeof import("./onedeploy");
    return (request) => mod.deployPackageFile(request);
  };
}

/** One provider object per deployer folder and process: Pulumi caches its serialization by identity. */
const providers = new Map<string, pulumi.dynamic.ResourceProvider<CodeDeploymentInputs, CodeDeploymentOutputs>>();

/**
 * Deploys a package to a Flex Consumption Function App with OneDeploy, when its hash changes.
 * Pass the role assignments the deployment needs (the app identity's blob role on the deployment
 * container, the deployer's publish permission) with `dependsOn`.
 */
export class FunctionCodeDeployment extends pulumi.dynamic.Resource {
  declare readonly siteId: pulumi.Output<string>;
  declare readonly packagePath: pulumi.Output<string>;
  declare readonly packageSha256: pulumi.Output<string>;
  declare readonly armEndpoint: pulumi.Output<string>;
  declare readonly functions: pulumi.Output<DeployedFunction[]>;
  /** The platform's id of the last deployment. */
  declare readonly deploymentId: pulumi.Output<string>;
  declare readonly deployedAt: pulumi.Output<string>;
  declare readonly confirmed: pulumi.Output<boolean>;

  constructor(name: string, args: FunctionCodeDeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    const deployerDirectory = path.resolve(args.deployerDirectory ?? DEFAULT_DEPLOYER_DIRECTORY);
    let provider = providers.get(deployerDirectory);
    if (!provider) {
      provider = createDeploymentProvider(deployerLoader(ensureDeployerModule(deployerDirectory)));
      providers.set(deployerDirectory, provider);
    }
    super(
      provider,
      name,
      {
        siteId: args.siteId,
        packagePath: args.packagePath,
        packageSha256: args.packageSha256,
        armEndpoint: args.armEndpoint ?? ARM_PUBLIC,
        functions: args.functions.map((f) => ({
          name: f.name,
          trigger: f.trigger,
          ...(f.schedule !== undefined ? { schedule: f.schedule } : {}),
          ...(f.queue !== undefined ? { queue: f.queue } : {}),
          ...(f.sends !== undefined ? { sends: [...f.sends] } : {}),
        })),
        ...(args.uses !== undefined ? { uses: args.uses.map((u) => ({ ...u })) } : {}),
        deploymentId: undefined,
        deployedAt: undefined,
        confirmed: undefined,
      },
      opts,
      TYPE_MODULE,
      TYPE_NAME,
    );
  }
}
