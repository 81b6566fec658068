/**
 * The component package as other Pulumi languages see it: the schema Pulumi's Node component
 * provider host infers from the TypeScript (`@pulumi/pulumi/provider/experimental`), generated
 * offline here with the analyzer the host itself runs (cmd/run-plugin → ComponentProvider.getSchema
 * → Analyzer over <package>/tsconfig.json, entry from package.json `exports["."]`).
 *
 * Every ComponentResource class the package exports is either in the schema with its inputs and
 * outputs, or listed in PENDING_PLAIN_DATA with the reason the analyzer refuses it. The list is a
 * ratchet: a component that becomes inferrable fails here until it leaves the list, and then any arg
 * that stops being inferrable fails here too.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import ts from "typescript";
import { register } from "tsx/cjs/api";
import { afterAll, describe, expect, it } from "vitest";
import { ComponentProvider, getPulumiComponents, type ComponentResourceConstructor } from "@pulumi/pulumi/provider/experimental";
import { Analyzer, type AnalyzeResult } from "@pulumi/pulumi/provider/experimental/analyzer";
import * as pkg from "@contoso/serverless-platform";
import { evaluate } from "../helpers/plan";

const PACKAGE_DIR = path.resolve(__dirname, "..", "..", "components");
const PACKAGE_JSON = JSON.parse(readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8")) as { name: string };
/**
 * The provider name the plugin host derives from package.json `name`: the part after the scope
 * (@pulumi/pulumi cmd/run-plugin/run.js: `packageJSON.name.match(/(@.*?\/)?(.+)/)`).
 */
const PROVIDER = PACKAGE_JSON.name.replace(/^@[^/]+\//, "");

/**
 * Components whose args the analyzer cannot infer yet, with its first refusal (it stops at the first).
 * The analyzer accepts strings, numbers, booleans, `T[]`, `Record<string, T>`, interfaces of those,
 * `Input`/`Output` of those and named string-literal enums; it refuses `readonly T[]`, inline unions
 * (`"a" | "b"`, `A | B`), intersections, functions and class instances (pulumi/pulumi
 * sdk/nodejs/provider/experimental/analyzer.ts, analyzeType). Making these args plain data is the
 * components' own work (issue 15, "args as plain data so the schema can be inferred").
 */
const PENDING_PLAIN_DATA: Readonly<Record<string, string>> = {};

/**
 * Components whose runtime type token (what `super()` registers, so what every URN of theirs and of
 * their children contains) predates the package and differs from the schema's `<provider>:index:<Class>`.
 * Changing one would change the URN of the component and every child in existing stacks (a
 * replacement of everything under it), so they stay, listed here exactly. A consumer's `construct`
 * still works (checked below): the host picks the class by the schema token's last segment
 * (@pulumi/pulumi provider/experimental/provider.js, `construct`: `type.split(":")[2]`) and the
 * engine records the URN the construct returns without comparing its type with the requested one
 * (pulumi/pulumi pkg/resource/deploy/source_eval.go, `RegisterResource`, remote branch:
 * `RegisterResult{State: &resource.State{URN: constructResult.URN, ...}}`). What differs for a
 * consumer: state, `pulumi stack --show-urns` and policies see this token, not the schema's.
 */
const RUNTIME_TYPE_TOKENS: Readonly<Record<string, string>> = {
  CosmosDb: "serverless-platform:cosmosdb:CosmosDb",
  EntraApiApp: "serverless-platform:azuread:EntraApiApp",
  EventTopic: "serverless-platform:eventgrid:EventTopic",
  FunctionApp: "serverless-platform:web:FunctionApp",
  Gateway: "serverless-platform:apimanagement:Gateway",
  KeyVault: "serverless-platform:keyvault:KeyVault",
  Messaging: "serverless-platform:storage:Messaging",
  Observability: "serverless-platform:monitoring:Observability",
  PrivateNetwork: "serverless-platform:network:PrivateNetwork",
  ServiceApi: "serverless-platform:apimanagement:ServiceApi",
};

/** A network another program owns: the ids a consumer in another language would pass. */
const REMOTE_VNET = "/subscriptions/0/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/hub";
const REMOTE_ZONES = "/subscriptions/0/resourceGroups/rg-net/providers/Microsoft.Network/privateDnsZones";
/** Where the FunctionApp construct bundles (a scratch folder, removed after the run). */
const REMOTE_BUILD = mkdtempSync(path.join(tmpdir(), "package-schema-"));
afterAll(() => rmSync(REMOTE_BUILD, { recursive: true, force: true }));

/**
 * For each ready component, inputs as the engine delivers them to the host's construct: plain data
 * (what a Python, Go or YAML program can write), no Outputs and no class instances.
 */
const CONSTRUCT_INPUTS: Readonly<Record<string, Record<string, unknown>>> = {
  Gateway: {
    names: { prefix: "contoso", environment: "dev" },
    resourceGroupName: "rg-contoso-dev",
    location: "eastus",
    environment: "dev",
    config: {
      sku: "BasicV2",
      capacity: 1,
      publisherName: "Contoso",
      publisherEmail: "api@contoso.example",
      corsOrigins: ["https://app.contoso.example"],
      rateLimit: { calls: 100, renewalPeriodSeconds: 60 },
      quota: { calls: 10000, renewalPeriodSeconds: 86400 },
      rateLimitKey: "clientIp",
      samplingPercentage: 10,
    },
    appInsights: { resourceId: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Insights/components/ai", connectionString: "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://eastus-8.in.applicationinsights.azure.com/" },
  },
  Observability: {
    names: { prefix: "contoso", environment: "dev" },
    resourceGroupName: "rg-contoso-dev",
    location: "eastus",
    monitoring: {
      retentionDays: 30,
      dailyQuotaGb: 1,
      samplingPercentage: 20,
      availabilityTest: { enabled: true, locations: ["us-va-ash-azr"], frequencySeconds: 300 },
      actionGroup: { emails: ["ops@contoso.example"], webhooks: [] },
      logAlertFrequency: "PT5M",
      severity: { failure: 1, degradation: 2 },
    },
    diagnosticSettings: [{ workspaceResourceId: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/central", logCategoryGroups: ["audit"] }],
  },
  PrivateNetwork: {
    names: { prefix: "contoso", environment: "dev" },
    resourceGroupName: "rg-contoso-dev",
    location: "eastus",
    roleAssignments: [{ principalId: "11111111-1111-4111-a111-111111111111", role: "websiteContributor", principalType: "Group", key: "ops" }],
    lock: { kind: "CanNotDelete" },
  },
  // A network another program owns, as plain ids: the components create their private endpoints themselves.
  CosmosDb: {
    names: { prefix: "contoso", environment: "dev" },
    resourceGroupName: "rg-contoso-dev",
    location: "eastus",
    databases: [
      {
        service: "orders",
        containers: [{ name: "orders", partitionKeyPaths: ["/customerId"], uniqueKeys: [["/orderNumber"]] }],
        changeFeedConsumers: [{ consumer: "fulfillment", container: "orders", leaseContainer: "orders-leases" }],
      },
    ],
    capacityMode: "serverless",
    backupTier: "Continuous7Days",
    privateNetwork: { endpointsSubnetId: `${REMOTE_VNET}/subnets/endpoints`, dnsZoneIds: { Sql: `${REMOTE_ZONES}/privatelink.documents.azure.com` } },
    protect: false,
  },
  EventTopic: {
    names: { prefix: "contoso", environment: "dev" },
    resourceGroupName: "rg-contoso-dev",
    location: "eastus",
    inputSchema: "CloudEventSchemaV1_0",
    deliveryIdentityType: "UserAssigned",
  },
  KeyVault: {
    names: { prefix: "contoso", environment: "dev" },
    resourceGroupName: "rg-contoso-dev",
    location: "eastus",
    tenantId: "00000000-0000-0000-0000-000000000001",
    softDeleteRetentionInDays: 7,
    privateNetwork: { endpointsSubnetId: `${REMOTE_VNET}/subnets/endpoints`, dnsZoneIds: { vault: `${REMOTE_ZONES}/privatelink.vaultcore.azure.net` } },
    protect: false,
  },
  Messaging: {
    names: { prefix: "contoso", environment: "dev" },
    resourceGroupName: "rg-contoso-dev",
    location: "eastus",
    queues: [{ name: "orders", description: "orders to fulfil" }],
    skuName: "Standard_ZRS",
    privateNetwork: {
      endpointsSubnetId: `${REMOTE_VNET}/subnets/endpoints`,
      dnsZoneIds: { queue: `${REMOTE_ZONES}/privatelink.queue.core.windows.net`, blob: `${REMOTE_ZONES}/privatelink.blob.core.windows.net` },
    },
    protect: false,
  },
  // An external back end: the one kind that sets every output (backendResource is its Backend entity).
  ServiceApi: {
    wildcardMethods: ["GET", "POST"],
    path: "legacy",
    version: "v1",
    displayName: "Legacy",
    roles: [{ value: "Legacy.Read" }, { value: "Legacy.Write" }],
    operationRoles: { "any-get": ["Legacy.Read"], "any-post": ["Legacy.Write"] },
    callers: { tenantId: "00000000-0000-0000-0000-000000000001", audiences: ["api://legacy"] },
    products: ["internal"],
    backend: { kind: "external", url: "https://legacy.contoso.example/api", tokenResource: "api://legacy-backend" },
    resourceGroupName: "rg-contoso-dev",
    serviceName: "apim-contoso-dev",
    sku: "BasicV2",
    corsOrigins: ["https://app.contoso.example"],
    productIds: { public: "public", internal: "internal" },
    gatewayUrl: "https://apim-contoso-dev.azure-api.net",
  },
  // deploy (the default): the code is bundled, so packageHash is set like every other output.
  FunctionApp: {
    names: { prefix: "contoso", environment: "dev" },
    resourceGroupName: "rg-contoso-dev",
    location: "eastus",
    service: { name: "remotefn", directory: "test/fixtures/services/hello", entry: "src/index.ts" },
    build: { outRoot: path.join(REMOTE_BUILD, "functions"), deployerDirectory: path.join(REMOTE_BUILD, "deployer") },
    triggers: ["queue"],
    declaredUses: [{ kind: "queue", name: "orders", access: "process" }],
    sizing: { instanceMemoryMB: 2048, maximumInstanceCount: 40, alwaysReady: [] },
    links: [{ description: "queue orders (process)", connections: { QUEUES: { queueServiceUri: "https://contosoq.queue.core.windows.net/" } } }],
    hostStorageSku: "Standard_LRS",
    network: {
      privateNetwork: {
        endpointsSubnetId: `${REMOTE_VNET}/subnets/endpoints`,
        appsSubnetId: `${REMOTE_VNET}/subnets/apps`,
        dnsZoneIds: {
          blob: `${REMOTE_ZONES}/privatelink.blob.core.windows.net`,
          queue: `${REMOTE_ZONES}/privatelink.queue.core.windows.net`,
          table: `${REMOTE_ZONES}/privatelink.table.core.windows.net`,
        },
      },
      inbound: "deny",
    },
  },
  EntraApiApp: {
    displayName: "contoso-orders-api-dev",
    appName: "orders-api-dev",
    roles: [{ value: "Orders.Read", description: "Read orders", allowedMemberTypes: ["Application"] }],
    invokerRole: { value: "Api.Invoke", description: "Call the API back end directly" },
    smokeTestClient: { issuer: "https://token.actions.githubusercontent.com", subject: "repo:contoso/platform:environment:dev", roles: ["Orders.Read"] },
  },
};

/**
 * One analyzer per package: building its TypeScript program (azure-native's typings included) takes
 * most of the time, and analysing one component after another on it gives the same answer as one
 * `ComponentProvider` per component. Resetting its per-run state reaches into fields the typings mark
 * private; a Pulumi upgrade that renames them fails the "per-run state" test below.
 */
interface AnalyzerState {
  componentNames: Set<string>;
  components: AnalyzeResult["components"];
  typeDefinitions: AnalyzeResult["typeDefinitions"];
  dependencies: AnalyzeResult["dependencies"];
  docStrings: Record<string, string>;
  program: ts.Program;
  analyze(): AnalyzeResult;
}
class PackageAnalysis {
  private analyzer: AnalyzerState | undefined;
  constructor(
    readonly dir: string,
    readonly provider: string,
    private readonly names: readonly string[],
  ) {}

  get packageJson(): Record<string, unknown> {
    return JSON.parse(readFileSync(path.join(this.dir, "package.json"), "utf8")) as Record<string, unknown>;
  }

  get state(): AnalyzerState {
    this.analyzer ??= new Analyzer(this.dir, this.provider, this.packageJson, new Set(this.names)) as unknown as AnalyzerState;
    return this.analyzer;
  }

  /** The analyzer with its per-run state reset, as a new one for `names` would start. */
  fresh(names: ReadonlySet<string>): AnalyzerState {
    const a = this.state;
    a.componentNames = new Set(names);
    a.components = {};
    a.typeDefinitions = {};
    a.dependencies = [];
    a.docStrings = {};
    return a;
  }

  /** What the analyzer infers for one component; throws its refusal. */
  analyze(name: string): AnalyzeResult {
    return this.fresh(new Set([name])).analyze();
  }

  /**
   * Property names of the class's args interface, and of its public instance fields (what a consumer
   * reads; the host returns each field it finds in the schema). A private field the analyzer lists
   * as an output would leak the component's internals into every language's SDK.
   */
  declaredShape(className: string): { inputs: string[]; outputs: string[] } {
    const node = this.classNode(className);
    const checker = this.state.program.getTypeChecker();
    const ctor = node.members.find(ts.isConstructorDeclaration);
    const argsParam = ctor?.parameters.find((p) => ts.isIdentifier(p.name) && p.name.text === "args");
    const inputs = argsParam?.type ? checker.getTypeAtLocation(argsParam.type).getProperties().map((p) => p.name) : [];
    const outputs = node.members
      .filter(ts.isPropertyDeclaration)
      .filter((m) => !m.modifiers?.some((mod) => [ts.SyntaxKind.PrivateKeyword, ts.SyntaxKind.ProtectedKeyword, ts.SyntaxKind.StaticKeyword].includes(mod.kind)))
      .filter((m) => !ts.isPrivateIdentifier(m.name))
      .map((m) => m.name.getText());
    return { inputs: inputs.sort(), outputs: outputs.sort() };
  }

  /** The type token the class passes to `super(...)`. */
  typeToken(className: string): string | undefined {
    let token: string | undefined;
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword) {
        const first = n.arguments[0];
        if (first && ts.isStringLiteralLike(first)) token = first.text;
      }
      if (token === undefined) ts.forEachChild(n, visit);
    };
    visit(this.classNode(className));
    return token;
  }

  private classNode(className: string): ts.ClassDeclaration {
    for (const file of this.state.program.getSourceFiles()) {
      if (!file.fileName.startsWith(this.dir + "/")) continue;
      const found = file.statements.find((n): n is ts.ClassDeclaration => ts.isClassDeclaration(n) && n.name?.text === className);
      if (found) return found;
    }
    throw new Error(`class ${className} not found under ${this.dir}`);
  }
}

/** The checks every exported component gets: in the schema with its inputs and outputs, under the host's token. */
function expectInSchema(analysis: PackageAnalysis, name: string, runtimeTokens: Readonly<Record<string, string>> = {}): void {
  const definition = analysis.analyze(name).components[name];
  expect(definition, `${name} missing from the analyzer's result`).toBeDefined();
  const shape = analysis.declaredShape(name);
  expect(Object.keys(definition!.inputs).sort(), `${name}: schema inputs vs its args interface`).toEqual(shape.inputs);
  expect(Object.keys(definition!.outputs).sort(), `${name}: schema outputs vs its public fields`).toEqual(shape.outputs);
  // The host constructs `<provider>:index:<Class>`; the class must register that same token
  // (pulumi/pulumi sdk/nodejs/provider/experimental/README.md: "module must be index. The type must match the class name").
  // A component listed in `runtimeTokens` keeps the token listed there (see RUNTIME_TYPE_TOKENS).
  expect(analysis.typeToken(name), `${name}: type token passed to super()`).toBe(runtimeTokens[name] ?? `${analysis.provider}:index:${name}`);
}

/**
 * Runs `work` (ComponentProvider.getSchema) with the provider's `new Analyzer(dir, name, packageJSON,
 * names)` (provider.js, getSchema) answered by `analysis`'s analyzer with its per-run state reset,
 * when the arguments are the ones that analyzer was built from: the same program, not a second build
 * of it (what the per-component analyses above already rely on). Other arguments get a new analyzer.
 */
async function withSharedAnalyzer<T>(analysis: PackageAnalysis, work: () => Promise<T>): Promise<T> {
  // The module object provider.js reads `Analyzer` from at each `new` (CommonJS exports, writable).
  const analyzerModule = createRequire(__filename)("@pulumi/pulumi/provider/experimental/analyzer") as { Analyzer: typeof Analyzer };
  const original = analyzerModule.Analyzer;
  analyzerModule.Analyzer = new Proxy(original, {
    construct(target, args: ConstructorParameters<typeof Analyzer>, newTarget) {
      const [dir, name, packageJson, names] = args;
      if (dir !== analysis.dir || name !== analysis.provider || !isDeepStrictEqual(packageJson, analysis.packageJson)) return Reflect.construct(target, args, newTarget) as object;
      return analysis.fresh(names);
    },
  });
  try {
    return await work();
  } finally {
    analyzerModule.Analyzer = original;
  }
}

// The analyzer require()s the module of a class an arg names (to read its `__pulumiType`); the host
// can because plugin.cjs registers tsx's require hook. The same hook here, so a refusal reads the same.
const unregisterTsx = register();
afterAll(() => unregisterTsx());

const components: ComponentResourceConstructor[] = getPulumiComponents(pkg);
const names = components.map((c) => c.name);
const ready = names.filter((n) => !(n in PENDING_PLAIN_DATA));
const analysis = new PackageAnalysis(PACKAGE_DIR, PROVIDER, names);

describe("component package schema (Pulumi component provider analyzer, offline)", () => {
  it("the package exports its components from its entry point", () => {
    // The host serves what `require(main)` exports; the analyzer starts at exports["."]: both reach index.ts.
    expect(names).toEqual(expect.arrayContaining(["FunctionApp", "CosmosDb", "Messaging", "EventTopic", "KeyVault"]));
    for (const pending of Object.keys(PENDING_PLAIN_DATA)) {
      expect(names, `${pending} is listed as pending but the package does not export it: remove it from PENDING_PLAIN_DATA`).toContain(pending);
    }
  });

  it("the analyzer's per-run state is where this test resets it", () => {
    for (const field of ["componentNames", "components", "typeDefinitions", "dependencies", "docStrings", "program"] as const) {
      expect(analysis.state[field], `Analyzer.${field}`).toBeDefined();
    }
  }, 120_000);

  describe.each(names)("%s", (name) => {
    if (name in PENDING_PLAIN_DATA) {
      it(`is not inferrable yet (${PENDING_PLAIN_DATA[name]}): when it becomes inferrable, remove it from PENDING_PLAIN_DATA`, () => {
        expect(() => analysis.analyze(name)).toThrow(new RegExp(`component '${name}'`));
      }, 120_000);
    } else {
      it(`is in the schema as ${PROVIDER}:index:${name}, with every arg as an input and every Output field as an output`, () => {
        expectInSchema(analysis, name, RUNTIME_TYPE_TOKENS);
      }, 120_000);
    }
  });

  it("lists each runtime type token of a component the package exports", () => {
    for (const listed of Object.keys(RUNTIME_TYPE_TOKENS)) expect(names, `${listed} in RUNTIME_TYPE_TOKENS`).toContain(listed);
  });

  // One host for the schema and the constructs below: getSchema caches the component definitions construct needs.
  const provider = new ComponentProvider({ components: components.filter((c) => ready.includes(c.name)), dirname: PACKAGE_DIR, name: PROVIDER });

  it.skipIf(ready.length === 0)("the plugin's schema (ComponentProvider.getSchema, what `pulumi package get-schema` asks) lists every ready component", async () => {
    const schema = JSON.parse(await withSharedAnalyzer(analysis, () => provider.getSchema())) as { name: string; resources: Record<string, unknown> };
    expect(schema.name).toBe(PROVIDER);
    expect(Object.keys(schema.resources).sort()).toEqual(ready.map((n) => `${PROVIDER}:index:${n}`).sort());
  }, 180_000);

  it("every ready component has plain-data inputs for the construct check", () => {
    expect(Object.keys(CONSTRUCT_INPUTS).sort()).toEqual([...ready].sort());
  });

  // What `pulumi up` of a Python/Go/YAML program does: the engine sends the schema token and plain
  // inputs to the host's construct (ComponentProvider.construct), which builds the class and returns
  // its URN and every schema output.
  it.each(ready)("%s: a consumer's construct (schema token, plain inputs) builds the component and returns its outputs", async (name) => {
    const plan = await evaluate(async () => {
      const result = await provider.construct(`${name.toLowerCase()}-remote`, `${PROVIDER}:index:${name}`, CONSTRUCT_INPUTS[name]!, {});
      // The host reads each schema output off the instance: one the class never sets comes back undefined.
      const unset = Object.entries(result.state).filter(([, value]) => value === undefined).map(([key]) => key);
      return { constructedUrn: result.urn, outputs: Object.keys(result.state).length, unset };
    });
    const token = RUNTIME_TYPE_TOKENS[name] ?? `${PROVIDER}:index:${name}`;
    // The URN's type (after its parents' types) is the class's own token, not the requested one.
    expect(String(plan.outputs.constructedUrn).split("::")[2]?.split("$").at(-1)).toBe(token);
    expect(String(plan.outputs.constructedUrn).endsWith(`::${name.toLowerCase()}-remote`)).toBe(true);
    const component = plan.resources.filter((r) => r.type === token);
    expect(component.map((r) => r.name)).toEqual([`${name.toLowerCase()}-remote`]);
    // Its children are there too: the construct built the whole component, not an empty shell.
    expect(plan.resources.some((r) => r.urn.includes(`${token}$`))).toBe(true);
    expect(plan.outputs.outputs).toBeGreaterThan(0);
    expect(plan.outputs.unset, `${name}: schema outputs the constructed instance does not set`).toEqual([]);
  }, 180_000);
});

// The checks above, proven on a package small enough to read: a plain-data component passes them,
// and each kind of un-inferrable arg or a wrong type token fails them, naming the component.
describe("the schema checks themselves (fixture package)", () => {
  const FIXTURE = path.resolve(__dirname, "fixtures", "component-package");
  const fixture = new PackageAnalysis(FIXTURE, "fixture", ["Greeter", "ReadonlyList", "InlineUnion", "WrongToken", "PrivateField"]);

  it("a component with a private field fails: the analyzer would publish it as an output", () => {
    expect(() => expectInSchema(fixture, "PrivateField")).toThrow(/PrivateField: schema outputs vs its public fields/);
  }, 60_000);

  it("a plain-data component is in the schema with its inputs and outputs", () => {
    expectInSchema(fixture, "Greeter");
    const greeter = fixture.analyze("Greeter").components.Greeter!;
    expect(Object.keys(greeter.inputs).sort()).toEqual(["count", "greeting", "labels", "names"]);
    expect(Object.keys(greeter.outputs)).toEqual(["message"]);
  }, 60_000);

  it.each(["ReadonlyList", "InlineUnion"])("%s (an un-inferrable arg) fails, naming the component", (name) => {
    expect(() => expectInSchema(fixture, name)).toThrow(new RegExp(`component '${name}'`));
  }, 60_000);

  it("a component whose type token is not <provider>:index:<Class> fails", () => {
    expect(() => expectInSchema(fixture, "WrongToken")).toThrow(/type token passed to super\(\)/);
  }, 60_000);
});
