/**
 * What every service's OpenAPI description shares: the gateway-validated bearer scheme and the
 * per-operation role, the problem+json error responses, the anonymous health route and the document's
 * header. Each service's `openapi.ts` registers only its own operations between these.
 */
import { OpenAPIRegistry, OpenApiGeneratorV3, type ResponseConfig } from "@asteasolutions/zod-to-openapi";
import type { HttpApiDeclaration } from "./manifest";
import { PROBLEM_CONTENT_TYPE, problemTypes } from "./problem";
import { healthSchema, problemSchema } from "./schemas";

/** An OpenAPI 3.0.3 document as plain JSON data (what the gateway component accepts). */
export type OpenApiDocument = Readonly<Record<string, unknown>> & {
  readonly openapi: "3.0.3";
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Readonly<Record<string, unknown>>;
};

/** Spread into an operation: bearer auth plus the app role the gateway requires (`x-required-role`). */
export interface SecuredOperation {
  readonly security: { bearerAuth: string[] }[];
  readonly "x-required-role": string;
}

/** An error response whose body is a problem document. */
export function problemResponse(description: string): ResponseConfig {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } };
}

/** 400 for bad input; `alsoInvalid` names what else the service rejects (e.g. "bad SKU"). */
export function validationProblem(...alsoInvalid: string[]): ResponseConfig {
  const what = ["bad JSON", "wrong types", "missing or unknown fields", ...alsoInvalid].join(", ");
  return problemResponse(`Malformed or invalid input (${what}); \`errors\` lists each field.`);
}

export const unavailableProblem = problemResponse("A dependency is temporarily unavailable; retry after `Retry-After`.");
export const bodyTooLargeProblem = problemResponse("The body exceeds the size limit.");
export const notJsonProblem = problemResponse("The body is not application/json.");

/**
 * A registry with the `bearerAuth` scheme (described with the API's roles) and `secured(role)` for
 * its operations. `secured` refuses a role the manifest does not declare: the gateway and the Entra ID
 * app registration know only those.
 */
export function apiRegistry(http: HttpApiDeclaration): { registry: OpenAPIRegistry; secured: (role: string) => SecuredOperation } {
  const roles = http.roles.map((r) => r.value);
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      `Entra ID access token with ${/^[aeiou]/i.test(roles[0] ?? "") ? "an" : "a"} ${roles.join(" / ")} role; validated by the gateway, ` +
      "which forwards the token's `oid` (the caller's identity, and its customer id) and `roles` to the service; client-sent copies are discarded.",
  });
  const secured = (role: string): SecuredOperation => {
    if (!roles.includes(role)) throw new Error(`${http.displayName} API: role ${role} is not one of the manifest's http.roles (${roles.join(", ")})`);
    return { security: [{ bearerAuth: [] }], "x-required-role": role };
  };
  return { registry, secured };
}

/** The anonymous liveness route every service answers (registered last: it ends the document's paths). */
export function registerHealthPath(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: "get",
    path: "/health",
    operationId: "getHealth",
    summary: "Liveness probe (anonymous; calls no dependency)",
    tags: ["health"],
    security: [],
    responses: { 200: { description: "The app is up.", content: { "application/json": { schema: healthSchema } } } },
  });
}

const PROBLEM_REF = { $ref: "#/components/schemas/Problem" };

/**
 * Every secured operation answers 401 (no caller identity: not called through the gateway) and 403
 * (the token lacks the operation's role): added here once, so no operation can forget them.
 */
function withAuthResponses(paths: Record<string, unknown>): Record<string, unknown> {
  const auth = {
    401: { description: "No valid token (at the gateway), or no caller identity forwarded by it.", content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_REF } } },
    403: { description: "The token lacks the app role this operation requires.", content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_REF } } },
  };
  return Object.fromEntries(
    Object.entries(paths).map(([path, item]) => [
      path,
      Object.fromEntries(
        Object.entries(item as Record<string, Record<string, unknown>>).map(([method, op]) => {
          const security = op.security as unknown[] | undefined;
          if (!security || security.length === 0 || typeof op.responses !== "object") return [method, op];
          return [method, { ...op, responses: { ...auth, ...(op.responses as Record<string, unknown>) } }];
        }),
      ),
    ]),
  );
}

/** The document: title and version from the manifest, the problem types listed in the description. */
export function generateOpenApiDocument(registry: OpenAPIRegistry, http: HttpApiDeclaration, tags: readonly string[]): OpenApiDocument {
  const generated = new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: "3.0.3",
    info: {
      title: `${http.displayName} API`,
      version: http.version,
      description:
        "Errors are RFC 9457 problem details (`application/problem+json`) with these types: " +
        Object.values(problemTypes)
          .map((p) => `/problems/${p.slug} (${p.status})`)
          .join(", ") +
        ".",
    },
    tags: tags.map((name) => ({ name })),
  });
  return { ...generated, openapi: "3.0.3", info: generated.info, paths: withAuthResponses(generated.paths ?? {}) };
}
