/**
 * The Pulumi program: reads the stack's config, loads the services' manifests and composes the
 * system. Whatever goes wrong while composing ends as one `RunError`: a user's mistake (a config key,
 * a manifest field, a file at a line and column) as its message alone; a bug of ours with its stack
 * and an invitation to report it.
 */
import * as pulumi from "@pulumi/pulumi";
import { asRunError, loadStackConfig } from "../lib/stack";
import { FUNCTIONS_ROOT, loadServices } from "./services";
import { composeSystem } from "./system";

export interface ProgramOptions {
  /** The folder of the services. @default `functions-src/` of this project */
  readonly functionsRoot?: string;
}

/** Runs the program and returns the stack outputs. */
export function runProgram(options: ProgramOptions = {}) {
  const config = loadStackConfig();
  const system = asRunError(() => composeSystem(config, loadServices(pulumi.getStack(), config, options.functionsRoot ?? FUNCTIONS_ROOT)));
  return {
    resourceGroupName: system.resourceGroupName,
    gatewayUrl: system.gatewayUrl,
    functionApps: Object.fromEntries(Object.entries(system.apps).map(([name, app]) => [name, app.defaultHostName])),
    apiAudiences: system.apiAudiences,
  };
}
