/**
 * The project and stack files (`Pulumi.yaml`, `Pulumi.<stack>.yaml`) read the way the Pulumi CLI reads
 * them. No Pulumi here: `npm run plan` checks the stack before it loads the engine, so a misspelt stack
 * or a broken stack file is answered in a fraction of a second (test/engine/cli-errors.test.ts).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { didYouMean } from "../lib/suggest";
import { UserError } from "../components/core/user-error";
import { SECRET_PLACEHOLDER } from "./plan-format";

export interface StackFiles {
  readonly project: string;
  /** Raw config as the Pulumi engine passes it to the program: `namespace:key` → string. */
  readonly config: Record<string, string>;
  /** Keys whose values are secrets (`secure:` in the stack file). */
  readonly secretKeys: readonly string[];
}

/** A problem with the project or stack files themselves (not with the values: see ConfigError). */
export class StackFileError extends UserError {}

/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI does: keys without a
 * namespace belong to the project, structured values are JSON-encoded, `secure:` values are secrets
 * (they cannot be decrypted offline, so they become a placeholder).
 */
export function readStackFiles(projectDir: string, stack: string): StackFiles {
  const projectFile = path.join(projectDir, "Pulumi.yaml");
  if (!existsSync(projectFile)) throw new StackFileError(`${projectFile} not found: run from the project root`);
  const project = parseYaml(readFileSync(projectFile, "utf8")) as { name?: unknown; config?: Record<string, unknown> };
  if (typeof project?.name !== "string") throw new StackFileError(`${projectFile}: "name" is missing`);
  const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!existsSync(stackFile)) {
    const stacks = readdirSync(projectDir).flatMap((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1] ?? []).sort();
    throw new StackFileError(
      `no stack "${stack}": ${stackFile} not found${didYouMean(stack, stacks, (s) => `--stack ${s}`)} (stacks are the Pulumi.<stack>.yaml files: ${stacks.join(", ") || "none"})`,
    );
  }
  let stackDoc: { config?: Record<string, unknown> } | null;
  try {
    stackDoc = parseYaml(readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> } | null;
  } catch (e) {
    throw new StackFileError(`${stackFile} is not valid YAML: ${(e as Error).message}`);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const qualify = (key: string): string => (key.includes(":") ? key : `${project.name as string}:${key}`);
  const put = (key: string, value: unknown): void => {
    const k = qualify(key);
    if (value !== null && typeof value === "object" && "secure" in (value as object)) {
      config[k] = SECRET_PLACEHOLDER;
      secretKeys.push(k);
    } else {
      config[k] = typeof value === "string" ? value : JSON.stringify(value);
    }
  };
  // Project-level defaults first (Pulumi.yaml `config:`: `key: value` or `key: { type, default }`).
  for (const [key, spec] of Object.entries(project.config ?? {})) {
    const isSpec = spec !== null && typeof spec === "object" && !Array.isArray(spec) && ("type" in spec || "default" in spec);
    if (!isSpec) put(key, spec);
    else if ("default" in (spec as object)) put(key, (spec as { default: unknown }).default);
  }
  for (const [key, value] of Object.entries(stackDoc?.config ?? {})) put(key, value);
  return { project: project.name, config, secretKeys };
}
