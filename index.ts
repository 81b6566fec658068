/**
 * The system, composed from the stack's configuration and the services' manifests
 * (functions-src/<service>/service.ts). Components own every resource; see composition/.
 */
import * as pulumi from "@pulumi/pulumi";
import { asRunError, loadStackConfig } from "./lib/stack";
import { loadServices } from "./composition/services";
import { composeSystem } from "./composition/system";

const config = loadStackConfig();
const catalog = asRunError(() => loadServices(pulumi.getStack(), config));
const system = composeSystem(config, catalog);

export const resourceGroupName = system.resourceGroupName;
export const gatewayUrl = system.gatewayUrl;
export const functionApps = Object.fromEntries(Object.entries(system.apps).map(([name, app]) => [name, app.defaultHostName]));
export const apiAudiences = system.apiAudiences;
