/**
 * The Pulumi program: reads the stack's config, loads the services' manifests and composes the
 * system. Whatever goes wrong while composing ends as one `RunError`: a user's mistake (a config key,
 * a manifest field, a file at a line and column) as its message alone; a bug of ours with its stack
 * and an invitation to report it.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, PROJECT, type StackConfig } from "../lib/config";
import { asRunError, loadStackConfig } from "../lib/stack";
import { addressPlan } from "@contoso/serverless-platform";
import { FUNCTIONS_ROOT, loadServices } from "./services";
import { composeSystem } from "./system";

export interface ProgramOptions {
  /** The folder of the services. @default `functions-src/` of this project */
  readonly functionsRoot?: string;
}

/** Runs the program and returns the stack outputs. */
export function runProgram(options: ProgramOptions = {}) {
  const config = loadStackConfig();
  asRunError(() => checkAddressPlan(pulumi.getStack(), config));
  const system = asRunError(() => composeSystem(config, loadServices(pulumi.getStack(), config, options.functionsRoot ?? FUNCTIONS_ROOT)));
  return {
    resourceGroupName: system.resourceGroupName,
    gatewayUrl: system.gatewayUrl,
    functionApps: Object.fromEntries(Object.entries(system.apps).map(([name, app]) => [name, app.defaultHostName])),
    apiAudiences: system.apiAudiences,
  };
}

/**
 * The private network's address plan (subnets inside the space, apart, large enough) is arithmetic
 * the network component owns; run it on the config first, so a bad prefix is a config error.
 */
export function checkAddressPlan(stack: string, config: Pick<StackConfig, "network">): void {
  if (config.network.mode !== "private") return;
  try {
    addressPlan(config.network);
  } catch (e) {
    const message = (e as Error).message;
    const field = /^(addressSpace|appsSubnetPrefix|endpointsSubnetPrefix)\b/.exec(message)?.[1];
    throw new ConfigError(stack, [{ key: `${PROJECT}:network${field ? `.${field}` : ""}`, message: field ? message.slice(field.length).replace(/^:\s*/, "") : message }]);
  }
}
