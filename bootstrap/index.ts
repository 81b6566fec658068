/**
 * One-time bootstrap (run by an administrator, not by CI): the identities GitHub Actions uses to
 * preview and deploy the platform. `cd bootstrap && pulumi stack init ci && pulumi config set repository
 * <owner>/<repo> && pulumi up`; then copy the outputs into the repository's variables (docs/DELIVERY.md).
 * Before it, once per subscription: `npx tsx bootstrap/register-providers.ts --subscription <id>`
 * (azure-native registers no resource provider; see resource-providers.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { createCiIdentity } from "./ci-identity";

const config = new pulumi.Config();
const client = authorization.getClientConfigOutput();
const graph = config.get("msGraphServicePrincipalObjectId");

const ci = createCiIdentity("ci", {
  repository: config.require("repository"),
  subscriptionId: client.subscriptionId,
  ...(graph ? { msGraphServicePrincipalObjectId: graph } : {}),
});

export const AZURE_CLIENT_ID = ci.deployer.clientId;
export const AZURE_PREVIEW_CLIENT_ID = ci.previewer.clientId;
export const AZURE_TENANT_ID = client.tenantId;
export const AZURE_SUBSCRIPTION_ID = client.subscriptionId;
