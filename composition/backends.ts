/**
 * The hybrid part of the system: each existing (non-serverless) back end of the stack's `backends`
 * config behind the gateway, with the same products, token validation and monitoring as the
 * services, or (dev) a mock the gateway answers itself.
 *
 * What the gateway exposes is what the back end serves: its OpenAPI document's real paths when the
 * config names one (`openapi`), otherwise one `/*` operation per configured method, which forwards
 * any path (an APIM `{parameter}` matches one segment only, so `/{path}` would 404 on nested paths).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../lib/config";
import { type Gateway, type HttpMethod, type OpenApiDocument, parseOpenApi, wildcardOperations } from "@contoso/serverless-platform";
import { EntraApiApp } from "@contoso/serverless-platform";
// `openapi` paths in the stack config are relative to the project root.
import { PROJECT_ROOT } from "./paths";

/** Forwarded methods when a back end has neither a document nor `methods`. */
export const DEFAULT_BACKEND_METHODS: readonly HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** Reads a back end's OpenAPI document; the message names the config key when it cannot. */
export function loadBackendDocument(name: string, file: string, root = PROJECT_ROOT): OpenApiDocument {
  const full = path.resolve(root, file);
  try {
    return JSON.parse(readFileSync(full, "utf8")) as OpenApiDocument;
  } catch (e) {
    throw new pulumi.RunError(
      `Invalid configuration: serverless-platform:backends.${name}.openapi: cannot read "${file}" as JSON (${(e as Error).message.split("\n")[0]})`,
    );
  }
}

/**
 * Puts every configured back end behind the gateway and returns, by name, the base URL the services
 * that use it get (`BACKEND_<NAME>_URL`): the back end's own URL, or for a mock the gateway's API.
 */
export function addBackendApis(gateway: Gateway, config: Pick<StackConfig, "backends" | "namePrefix" | "environment">, tenantId: pulumi.Input<string>, root = PROJECT_ROOT): Record<string, pulumi.Input<string>> {
  const urls: Record<string, pulumi.Input<string>> = {};
  for (const [name, backend] of Object.entries(config.backends)) {
    const openapi = backend.openapi !== undefined ? loadBackendDocument(name, backend.openapi, root) : undefined;
    const common = {
      path: name,
      version: "v1",
      displayName: `${name} (existing back end)`,
      description: backend.description,
      ...(openapi !== undefined ? { openapi } : { wildcardMethods: backend.methods ?? DEFAULT_BACKEND_METHODS }),
    };
    if (backend.mock) {
      urls[name] = gateway.addMockBackendApi(name, { ...common, displayName: `${name} (mock of the existing back end)` }).url;
      continue;
    }
    const role = `${name[0]!.toUpperCase()}${name.slice(1)}.Invoke`;
    const backendApp = new EntraApiApp(`${name}-backend-api`, {
      displayName: `${config.namePrefix} ${name} back end (${config.environment})`,
      appName: `${config.namePrefix}-${name}-backend-${config.environment}`,
      roles: [{ value: role, description: `Call the existing ${name} back end through the gateway.`, allowedMemberTypes: ["Application"] }],
    });
    const operations = openapi !== undefined ? parseOpenApi(openapi, `backends.${name}.openapi`).operations : wildcardOperations(backend.methods ?? DEFAULT_BACKEND_METHODS);
    gateway.addBackendApi(name, {
      ...common,
      roles: [{ value: role }],
      operationRoles: Object.fromEntries(operations.map((o) => [o.operationId, [role]])),
      callers: { tenantId, audiences: [backendApp.identifierUri, backendApp.clientId] },
      products: ["internal"],
      // The gateway authenticates to the back end with its own identity (policy apim-backend-auth).
      backend: { url: backend.url!, description: backend.description, tokenResource: backendApp.clientId },
    });
    backendApp.grantAppRole({ name: "gateway", principalId: gateway.identity.principalId });
    urls[name] = backend.url!;
  }
  return urls;
}
