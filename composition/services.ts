/**
 * Service discovery at deploy time: each entry of the stack's `services` config names a folder of
 * `functions-src/` whose `service.ts` manifest declares what the service owns and uses. This module
 * loads those manifests and checks that every reference resolves (a queue someone owns, a container
 * of a deployed service, a configured back end), so the system is composed from declarations, with
 * nothing about one service hard-coded in a component.
 */
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, PROJECT, type ServiceSizing, type StackConfig } from "../lib/config";
import type { ServiceManifest } from "../functions-src/shared/manifest";
import { loadTsModule } from "./load-module";

export const FUNCTIONS_ROOT = path.resolve(__dirname, "..", "functions-src");

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

/** Every folder of `functions-src/` that holds a `service.ts` manifest. */
export function serviceFolders(root: string = FUNCTIONS_ROOT): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, "service.ts")))
    .map((d) => d.name)
    .sort();
}

/** Loads one service's manifest (the default export of `service.ts`). */
export function loadManifest(directory: string): ServiceManifest {
  const file = path.join(directory, "service.ts");
  const mod = loadTsModule(file);
  const manifest = (mod.default ?? mod.manifest) as ServiceManifest | undefined;
  if (!manifest || typeof manifest.name !== "string") {
    throw new Error(`${file} must export default defineService({...})`);
  }
  return manifest;
}

/**
 * The services this stack deploys, with every cross-service reference checked. Problems are reported
 * together, each naming the config key or the manifest that must change.
 */
export function loadServices(
  stack: string,
  config: Pick<StackConfig, "services" | "backends">,
  root: string = FUNCTIONS_ROOT,
): ServiceCatalog {
  const problems: { key: string; message: string }[] = [];
  const services: DeployedService[] = [];
  for (const [name, sizing] of Object.entries(config.services)) {
    const directory = path.join(root, name);
    if (!existsSync(path.join(directory, "service.ts"))) {
      problems.push({
        key: `${PROJECT}:services.${name}`,
        message: `no service folder: expected ${path.relative(process.cwd(), path.join(directory, "service.ts"))}`,
      });
      continue;
    }
    const manifest = loadManifest(directory);
    if (manifest.name !== name) {
      problems.push({ key: `${PROJECT}:services.${name}`, message: `functions-src/${name}/service.ts declares name "${manifest.name}"; it must match its folder` });
      continue;
    }
    services.push({ manifest, directory, sizing });
  }

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
      if (!queueOwners.has(use.queue)) problems.push({ key: where, message: `uses queue "${use.queue}", which no deployed service owns` });
      else if (use.access === "process" && queueOwners.get(use.queue) !== manifest.name) {
        problems.push({ key: where, message: `processes queue "${use.queue}" owned by ${queueOwners.get(use.queue)}: a queue has one consumer, its owner` });
      }
    }
    for (const use of manifest.uses?.containers ?? []) {
      const owner = deployed.get(use.service);
      if (!owner) problems.push({ key: where, message: `uses container ${use.service}/${use.container}, but service "${use.service}" is not deployed in this stack` });
      else if (!(owner.owns?.containers ?? []).some((c) => c.name === use.container)) {
        problems.push({ key: where, message: `uses container ${use.service}/${use.container}, which ${use.service} does not declare` });
      } else if (use.access === "readWrite" && use.service !== manifest.name) {
        problems.push({ key: where, message: `writes ${use.service}/${use.container}: only the owner writes its data (read it, or send the owner a message)` });
      }
    }
    for (const use of manifest.uses?.topics ?? []) {
      if (!topicOwners.has(use.topic)) problems.push({ key: where, message: `publishes to topic "${use.topic}", which no deployed service owns` });
    }
    for (const sub of manifest.subscriptions ?? []) {
      if (!topicOwners.has(sub.topic)) problems.push({ key: where, message: `subscribes to topic "${sub.topic}", which no deployed service owns` });
      if (queueOwners.get(sub.queue) !== manifest.name) problems.push({ key: where, message: `subscription queue "${sub.queue}" must be a queue ${manifest.name} owns` });
    }
    for (const backend of manifest.uses?.backends ?? []) {
      if (!(backend in config.backends)) {
        problems.push({ key: `${PROJECT}:backends.${backend}`, message: `missing; ${manifest.name} calls the back end "${backend}": set its url` });
      }
    }
  }

  if (problems.length > 0) throw new ConfigError(stack, problems);
  const notDeployed = serviceFolders(root).filter((f) => !deployed.has(f));
  return { services, queueOwners, topicOwners, notDeployed };
}
