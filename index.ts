/**
 * The system, composed from the stack's configuration and the services' manifests
 * (functions-src/<service>/service.ts). Components own every resource; see composition/.
 */
import { runProgram } from "./composition/program";

const outputs = runProgram();

export const resourceGroupName = outputs.resourceGroupName;
export const gatewayUrl = outputs.gatewayUrl;
export const functionApps = outputs.functionApps;
export const apiAudiences = outputs.apiAudiences;
