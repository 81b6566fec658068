/**
 * Service discovery at deploy time: each entry of the stack's `services` config names a folder of
 * `functions-src/` whose `service.ts` manifest declares what the service owns and uses. This module
 * loads those manifests and checks that every reference resolves (a queue someone owns, a container
 * of a deployed service, a configured back end), so the system is composed from declarations, with
 * nothing about one service hard-coded in a component.
 */
import type { Message } from "esbuild";
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, PROJECT, type ServiceSizing, type StackConfig } from "../lib/config";
import { didYouMean } from "../lib/suggest";
import { PARSE_OPTIONS, issuesToProblems } from "../lib/zod-messages";
import type { ServiceManifest } from "../functions-src/shared/manifest";
import { formatCodeError } from "@contoso/serverless-platform";
import { OpenApiError, operationRolesByMethod, parseOpenApi, type OpenApiDocument } from "@contoso/serverless-platform";
import { loadTsModule } from "./load-module";
import { fieldPath, manifestFieldsAt, manifestSchema } from "./manifest-schema";

import { FUNCTIONS_ROOT, serviceFolders } from "./service-folders";

export { FUNCTIONS_ROOT, serviceFolders };

export interface DeployedService {
  readonly manifest: ServiceManifest;
  /** Absolute path of the service folder. */
  readonly directory: string;
  readonly sizing: ServiceSizing;
}

export interface ServiceCatalog {
  readonly services: readonly DeployedService[];
  /** Queue name → owning service. */
  readonly queueOwners: ReadonlyMap<string, string>;
  /** Topic name → owning service. */
  readonly topicOwners: ReadonlyMap<string, string>;
  /** Folders in functions-src with a manifest that this stack does not deploy. */
  readonly notDeployed: readonly string[];
}


/** A path as the user reads it: relative to the working directory when inside it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

/**
 * Loads a TypeScript module of a service (its manifest, its OpenAPI generator). A syntax or import
 * error is a user's mistake at a line and column; an exception while evaluating names the file.
 */
function loadServiceModule(file: string): Record<string, unknown> {
  try {
    return loadTsModule(file);
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    if (errors && errors.length > 0) {
      // loadTsModule builds from the working directory: esbuild's locations are relative to it.
      throw new ManifestProblem(file, `${errors.map((m) => formatCodeError(m, process.cwd())).join("\n")}\nFix the code at that place.`, true);
    }
    throw new ManifestProblem(file, `throws while loading: ${(e as Error).message}`);
  }
}

/** A problem with one file of a service, reported with the file's name in front. */
class ManifestProblem extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    /** The detail starts with its own `file:line:column`. */
    readonly located = false,
  ) {
    super(detail);
  }
  get problem(): { key: string; message: string } {
    if (this.located) {
      const [first, ...rest] = this.detail.split("\n");
      const at = /^(.*?:\d+:\d+): (.*)$/.exec(first!);
      return at ? { key: at[1]!, message: [at[2]!, ...rest].join("\n") } : { key: shown(this.file), message: this.detail };
    }
    return { key: shown(this.file), message: this.detail };
  }
}

/**
 * Loads one service's manifest (the default export of `service.ts`) and checks it against the
 * manifest schema; a problem is a ConfigError naming the file and the field.
 */
export function loadManifest(directory: string, stack = ""): ServiceManifest {
  const result = readManifest(directory);
  if ("problems" in result) throw new ConfigError(stack, result.problems);
  return result.manifest;
}

function readManifest(directory: string): { manifest: ServiceManifest } | { problems: { key: string; message: string }[] } {
  const file = path.join(directory, "service.ts");
  let mod: Record<string, unknown>;
  try {
    mod = loadServiceModule(file);
  } catch (e) {
    if (e instanceof ManifestProblem) return { problems: [e.problem] };
    throw e;
  }
  const exported = mod.default ?? mod.manifest;
  if (exported === null || typeof exported !== "object") {
    return { problems: [{ key: shown(file), message: "must export default defineService({...})" }] };
  }
  const parsed = manifestSchema.safeParse(exported, PARSE_OPTIONS);
  if (!parsed.success) {
    return {
      problems: issuesToProblems(parsed.error.issues, manifestFieldsAt).map((p) => ({
        key: `${shown(file)}: ${fieldPath(p.path) || "(manifest)"}`,
        message: p.message,
      })),
    };
  }
  // The manifest as written (not the parse result): services read their own names from it.
  return { manifest: exported as ServiceManifest };
}

/** Resolves a module path the way esbuild does for an entry point: as written, or with a TS/JS extension. */
function resolveModule(directory: string, relative: string): string | undefined {
  const base = path.resolve(directory, relative);
  for (const candidate of [base, `${base}.ts`, `${base}.js`, path.join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Files under `directory` (relative, up to `depth` folders deep), for "did you mean" on a path. */
function filesUnder(directory: string, depth = 2): string[] {
  if (!existsSync(directory)) return [];
  const out: string[] = [];
  const walk = (dir: string, level: number): void => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (d.name === "node_modules" || d.name.startsWith(".")) continue;
      const full = path.join(dir, d.name);
      if (d.isDirectory() && level < depth) walk(full, level + 1);
      else if (d.isFile()) out.push(path.relative(directory, full).split(path.sep).join("/"));
    }
  };
  walk(directory, 0);
  return out;
}

/** App roles of the composition's usual map: reads (GET, HEAD, OPTIONS) need a ".Read" role, writes a ".Write" role. */
const READ_ROLE = /\.Read$/;
const WRITE_ROLE = /\.Write$/;

/**
 * The files a manifest points at: the entry and host.json exist; the OpenAPI module loads, exports
 * `openApiDocument()`, returns a document the gateway can import, and every operation has a role.
 */
function checkServiceFiles(directory: string, manifest: ServiceManifest): { key: string; message: string }[] {
  const file = shown(path.join(directory, "service.ts"));
  const problems: { key: string; message: string }[] = [];
  const files = filesUnder(directory);
  if (!resolveModule(directory, manifest.entry)) {
    problems.push({
      key: `${file}: entry`,
      message: `"${manifest.entry}" does not exist in ${shown(directory)}${didYouMean(manifest.entry, files, (f) => `"${f}"`)}`,
    });
  }
  if (!existsSync(path.join(directory, "host.json"))) {
    problems.push({ key: shown(path.join(directory, "host.json")), message: "missing; every Functions app needs its host.json (copy one from another service)" });
  }
  const http = manifest.http;
  if (!http) return problems;
  const openapiFile = resolveModule(directory, http.openapi);
  if (!openapiFile) {
    problems.push({
      key: `${file}: http.openapi`,
      message: `"${http.openapi}" does not exist in ${shown(directory)}${didYouMean(http.openapi, files, (f) => `"${f}"`)}`,
    });
    return problems;
  }
  let document: OpenApiDocument;
  try {
    const mod = loadServiceModule(openapiFile);
    if (typeof mod.openApiDocument !== "function") {
      const exported = Object.keys(mod).filter((k) => typeof mod[k] === "function");
      problems.push({
        key: shown(openapiFile),
        message: `must export a function openApiDocument() (http.openapi in ${file} points here)${didYouMean("openApiDocument", exported)}`,
      });
      return problems;
    }
    try {
      document = (mod.openApiDocument as () => OpenApiDocument)();
    } catch (e) {
      problems.push({ key: shown(openapiFile), message: `openApiDocument() throws: ${(e as Error).message}` });
      return problems;
    }
  } catch (e) {
    if (e instanceof ManifestProblem) {
      problems.push(e.problem);
      return problems;
    }
    throw e;
  }
  try {
    parseOpenApi(document, shown(openapiFile));
  } catch (e) {
    if (!(e instanceof OpenApiError)) throw e;
    problems.push({ key: shown(openapiFile), message: e.message.slice(shown(openapiFile).length + 2) });
    return problems;
  }
  const byOperation = operationRolesByMethod(document, {
    read: http.roles.filter((r) => READ_ROLE.test(r.value)).map((r) => r.value),
    write: http.roles.filter((r) => WRITE_ROLE.test(r.value)).map((r) => r.value),
  });
  const { operations } = parseOpenApi(document, shown(openapiFile));
  const uncovered = operations.filter((o) => (byOperation[o.operationId] ?? []).length === 0);
  for (const [kind, suffix] of [["read", ".Read"], ["write", ".Write"]] as const) {
    const ops = uncovered.filter((o) => (["GET", "HEAD", "OPTIONS"].includes(o.method) ? "read" : "write") === kind);
    if (ops.length === 0) continue;
    const apiName = http.displayName.replace(/[^A-Za-z0-9]/g, "") || "Api";
    problems.push({
      key: `${file}: http.roles`,
      message:
        `no role ending in "${suffix}" for the ${kind} operation(s) ${ops.map((o) => `${o.operationId} (${o.method} ${o.path})`).join(", ")}; ` +
        `declare one such as { value: "${apiName}${suffix}", description: "..." }`,
    });
  }
  return problems;
}

/**
 * The service's own config section (`services.<name>.settings`) against what its manifest declares
 * (`uses.settings`): every declared key set (unless optional) and well-formed, no key it does not read.
 */
function serviceSettingProblems(manifest: ServiceManifest, given: Readonly<Record<string, string>>, where: string): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  const declared = manifest.uses?.settings ?? [];
  const keyOf = (k: string): string => `${PROJECT}:services.${manifest.name}.settings.${k}`;
  for (const s of declared) {
    const value = given[s.configKey];
    if (value === undefined || value.length === 0) {
      if (s.optional) continue;
      const hint = didYouMean(s.configKey, Object.keys(given), (k) => `"${k}"`);
      problems.push({
        key: keyOf(s.configKey),
        message: `missing; ${manifest.name} reads it (${where} uses.settings)${hint}: pulumi config set --path 'services.${manifest.name}.settings.${s.configKey}' <value>`,
      });
    } else if (s.format === "https-url" && !isHttpsUrl(value)) {
      problems.push({ key: keyOf(s.configKey), message: `got ${JSON.stringify(value)}; expected an https:// URL (${where} uses.settings)` });
    }
  }
  const keys = declared.map((s) => s.configKey);
  for (const k of Object.keys(given)) {
    if (!keys.includes(k)) {
      problems.push({
        key: keyOf(k),
        message: `unknown key: ${manifest.name} declares ${keys.length > 0 ? keys.map((d) => `"${d}"`).join(", ") : "no settings"} (${where} uses.settings)${didYouMean(k, keys, (d) => `"${d}"`)}`,
      });
    }
  }
  return problems;
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

/**
 * The services this stack deploys, with every cross-service reference checked. Problems are reported
 * together, each naming the config key or the manifest that must change.
 */
export function loadServices(
  stack: string,
  config: {
    readonly services: Readonly<Record<string, ServiceSizing & { readonly settings?: Readonly<Record<string, string>> }>>;
    readonly backends: StackConfig["backends"];
    readonly secretNames?: StackConfig["secretNames"];
  },
  root: string = FUNCTIONS_ROOT,
): ServiceCatalog {
  const problems: { key: string; message: string }[] = [];
  const services: DeployedService[] = [];
  for (const [name, sizing] of Object.entries(config.services)) {
    const directory = path.join(root, name);
    if (!existsSync(path.join(directory, "service.ts"))) {
      problems.push({
        key: `${PROJECT}:services.${name}`,
        message: `no service folder: expected ${shown(path.join(directory, "service.ts"))}${didYouMean(name, serviceFolders(root))}`,
      });
      continue;
    }
    const read = readManifest(directory);
    if ("problems" in read) {
      problems.push(...read.problems);
      continue;
    }
    const manifest = read.manifest;
    if (manifest.name !== name) {
      problems.push({ key: `${PROJECT}:services.${name}`, message: `functions-src/${name}/service.ts declares name "${manifest.name}"; it must match its folder` });
      continue;
    }
    // A valid manifest whose files are wrong still takes part in the reference checks below.
    problems.push(...checkServiceFiles(directory, manifest));
    services.push({ manifest, directory, sizing });
  }
  // References cannot be judged without every manifest: a missing one would only echo as
  // "not deployed" or "no one owns" elsewhere.
  if (services.length < Object.keys(config.services).length) throw new ConfigError(stack, problems);

  const deployed = new Map(services.map((s) => [s.manifest.name, s.manifest]));
  const queueOwners = new Map<string, string>();
  const topicOwners = new Map<string, string>();
  for (const { manifest } of services) {
    for (const q of manifest.owns?.queues ?? []) {
      const other = queueOwners.get(q.name);
      if (other) problems.push({ key: `functions-src/${manifest.name}/service.ts`, message: `queue "${q.name}" is already owned by ${other}` });
      queueOwners.set(q.name, manifest.name);
    }
    for (const t of manifest.owns?.topics ?? []) {
      const other = topicOwners.get(t);
      if (other) problems.push({ key: `functions-src/${manifest.name}/service.ts`, message: `topic "${t}" is already owned by ${other}` });
      topicOwners.set(t, manifest.name);
    }
  }

  for (const { manifest } of services) {
    const where = `functions-src/${manifest.name}/service.ts`;
    for (const use of manifest.uses?.queues ?? []) {
      if (!queueOwners.has(use.queue)) {
        problems.push({ key: where, message: `uses queue "${use.queue}", which no deployed service owns${didYouMean(use.queue, queueOwners.keys(), (q) => `"${q}"`)}` });
      }
      else if (use.access === "process" && queueOwners.get(use.queue) !== manifest.name) {
        problems.push({ key: where, message: `processes queue "${use.queue}" owned by ${queueOwners.get(use.queue)}: a queue has one consumer, its owner` });
      }
    }
    for (const use of manifest.uses?.containers ?? []) {
      const owner = deployed.get(use.service);
      if (!owner) {
        problems.push({
          key: where,
          message: `uses container ${use.service}/${use.container}, but service "${use.service}" is not deployed in this stack${didYouMean(use.service, deployed.keys(), (n) => `"${n}"`)}`,
        });
      } else if (!(owner.owns?.containers ?? []).some((c) => c.name === use.container)) {
        const declared = (owner.owns?.containers ?? []).map((c) => c.name);
        problems.push({
          key: where,
          message: `uses container ${use.service}/${use.container}, which ${use.service} does not declare${didYouMean(use.container, declared, (c) => `${use.service}/${c}`)}`,
        });
      } else if (use.access === "readWrite" && use.service !== manifest.name) {
        problems.push({ key: where, message: `writes ${use.service}/${use.container}: only the owner writes its data (read it, or send the owner a message)` });
      }
    }
    for (const use of manifest.uses?.topics ?? []) {
      if (!topicOwners.has(use.topic)) {
        problems.push({ key: where, message: `publishes to topic "${use.topic}", which no deployed service owns${didYouMean(use.topic, topicOwners.keys(), (t) => `"${t}"`)}` });
      }
    }
    for (const sub of manifest.subscriptions ?? []) {
      if (!topicOwners.has(sub.topic)) {
        problems.push({ key: where, message: `subscribes to topic "${sub.topic}", which no deployed service owns${didYouMean(sub.topic, topicOwners.keys(), (t) => `"${t}"`)}` });
      }
      if (queueOwners.get(sub.queue) !== manifest.name) problems.push({ key: where, message: `subscription queue "${sub.queue}" must be a queue ${manifest.name} owns` });
    }
    for (const backend of manifest.uses?.backends ?? []) {
      // Own keys only: `"constructor" in backends` is true for every object.
      if (!Object.hasOwn(config.backends, backend)) {
        const hint = didYouMean(backend, Object.keys(config.backends), (b) => `"${b}" (${where} uses.backends)`);
        problems.push({ key: `${PROJECT}:backends.${backend}`, message: `missing; ${manifest.name} calls the back end "${backend}": set its url${hint}` });
      }
    }
    for (const secret of manifest.uses?.secrets ?? []) {
      // A Key Vault reference to a secret the stack never stores would fail only on Azure, at run time.
      if (config.secretNames && !config.secretNames.includes(secret)) {
        problems.push({
          key: `${PROJECT}:secretNames`,
          message: `${manifest.name} reads the secret "${secret}" (${where} uses.secrets), which secretNames does not list${didYouMean(secret, config.secretNames, (n) => `"${n}"`)}; add it and run: pulumi config set --secret ${secret} <value>`,
        });
      }
    }
    problems.push(...serviceSettingProblems(manifest, config.services[manifest.name]?.settings ?? {}, where));
  }

  if (problems.length > 0) throw new ConfigError(stack, problems);
  const notDeployed = serviceFolders(root).filter((f) => !deployed.has(f));
  return { services, queueOwners, topicOwners, notDeployed };
}
