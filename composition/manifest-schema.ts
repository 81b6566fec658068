/**
 * The run-time schema of a service manifest (`functions-src/<service>/service.ts`). TypeScript checks
 * a manifest only where it is type-checked; this schema checks what the program actually loads, so a
 * bad value (an `access` of "write", a trigger of "queues", an unknown field) is refused with the file
 * and the field, instead of falling through to a misleading error further on.
 */
import * as path from "node:path";
import { z } from "zod";
import { poisonQueueFor, validateName } from "@contoso/serverless-platform";
import type { ServiceManifest, TriggerKind } from "../functions-src/shared/manifest";
import { serviceName } from "./service-name";

/** True when `key` gives each item of a list a different value. */
const unique =
  <T>(key: (item: T) => string) =>
  (items: readonly T[]): boolean =>
    new Set(items.map(key)).size === items.length;

const TRIGGER_KINDS = ["http", "queue", "durable", "cosmosChangeFeed", "timer"] as const satisfies readonly TriggerKind[];

/** A module or file inside the service folder, e.g. `src/index.ts`. */
const modulePath = z
  .string()
  .min(1)
  .refine((p) => !path.isAbsolute(p) && !p.split(/[\\/]/).includes(".."), {
    error: 'expected a path inside the service folder, such as "src/index.ts"',
  });

const text = z.string().min(1, { error: "expected a non-empty text" });

/** A queue and its "-poison" companion must both be valid Azure queue names. */
const queueName = z.string().refine((n) => validateName("queue", n) === undefined && validateName("queue", poisonQueueFor(n)) === undefined, {
  error: 'expected 3-56 lowercase letters, digits and single hyphens (the name plus "-poison" must be a valid queue name of at most 63)',
});

/** Cosmos DB container ids: up to 255 characters, none of / \ # ? and no trailing space (the rule components/cosmos.ts enforces). */
const containerName = z.string().refine((n) => n.length >= 1 && n.length <= 255 && !/[/\\#?]/.test(n) && !n.endsWith(" "), {
  error: "expected 1-255 characters without / \\ # ? or a trailing space",
});

const documentPath = z.string().regex(/^\/.+/, { error: 'expected a path starting with "/", such as "/customerId"' });

export { serviceName };

export const manifestSchema = z
  .object({
    name: serviceName,
    description: text,
    entry: modulePath,
    triggers: z
      .array(z.enum(TRIGGER_KINDS))
      .min(1, { error: "expected at least one trigger kind" })
      .refine((t) => new Set(t).size === t.length, { error: "expected each trigger kind once" }),
    owns: z
      .object({
        containers: z
          .array(
            z
              .object({
                name: containerName,
                partitionKeyPaths: z.array(documentPath).min(1).max(3),
                defaultTtlSeconds: z
                  .int()
                  .refine((s) => s === -1 || s > 0, { error: "expected -1 (on, no default expiry) or a positive number of seconds" })
                  .optional(),
                uniqueKeys: z.array(z.array(documentPath).min(1)).optional(),
                excludedIndexPaths: z.array(documentPath).optional(),
              })
              .strict(),
          )
          .refine(unique((c: { name: string }) => c.name), { error: "expected each container name once" })
          .optional(),
        queues: z
          .array(z.object({ name: queueName, description: z.string().optional() }).strict())
          .refine(unique((q: { name: string }) => q.name), { error: "expected each queue name once" })
          .optional(),
        topics: z.array(text).optional(),
      })
      .strict()
      .optional(),
    uses: z
      .object({
        queues: z.array(z.object({ queue: text, access: z.enum(["send", "process"]) }).strict()).optional(),
        containers: z
          .array(
            z
              .object({
                service: serviceName,
                container: text,
                access: z.enum(["read", "readWrite", "changeFeed"]),
                leases: z.object({ service: serviceName, container: text }).strict().optional(),
              })
              .strict()
              .refine((u) => u.leases === undefined || u.access === "changeFeed", {
                error: 'leases apply to access "changeFeed" only; remove leases or set access: "changeFeed"',
                path: ["leases"],
              }),
          )
          .optional(),
        topics: z.array(z.object({ topic: text, access: z.literal("publish") }).strict()).optional(),
        backends: z.array(text).optional(),
        secrets: z.array(text).optional(),
        settings: z
          .array(
            z
              .object({
                configKey: z.string().regex(/^[a-z][A-Za-z0-9]*$/, { error: "expected a camelCase key of services.<name>.settings" }),
                setting: text,
                format: z.literal("https-url").optional(),
                optional: z.boolean().optional(),
              })
              .strict(),
          )
          .optional(),
      })
      .strict()
      .optional(),
    subscriptions: z
      .array(z.object({ topic: text, queue: text, eventTypes: z.array(text).min(1).optional() }).strict())
      .optional(),
    http: z
      .object({
        path: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'expected lowercase letters, digits and "-", starting with a letter' }),
        version: z.string().regex(/^v[0-9]{1,3}$/, { error: 'expected a version such as "v1"' }),
        displayName: text,
        routePrefix: z.string(),
        roles: z
          .array(
            z
              .object({
                value: z.string().regex(/^[A-Za-z][A-Za-z0-9._-]{0,119}$/, {
                  error: 'expected a role value of letters, digits, ".", "_" or "-" (no spaces), such as "Orders.Read"',
                }),
                description: text,
              })
              .strict(),
          )
          .min(1, { error: "expected at least one app role" })
          .refine(unique((r: { value: string }) => r.value), { error: "expected each role value once" })
          // The platform adds this role to every API app for the gateway (components/entra-api-app.ts).
          .refine((roles) => roles.every((r) => r.value !== "Api.Invoke"), { error: 'expected no "Api.Invoke" role: the platform adds it for the gateway' }),
        healthPath: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, { error: 'expected an absolute path such as "/health"' }).optional(),
        openapi: modulePath,
      })
      .strict()
      .optional(),
  })
  .strict();

// The schema accepts nothing the type does not (the reverse is covered by loading the real manifests).
type Assignable<T extends ServiceManifest> = T;
export type ParsedManifest = Assignable<z.infer<typeof manifestSchema>>;

/** The fields an object at `path` of a manifest accepts, for "did you mean" on unknown fields. */
export function manifestFieldsAt(at: readonly PropertyKey[]): string[] {
  let type: z.ZodType | undefined = manifestSchema;
  for (const segment of at) {
    while (type instanceof z.ZodOptional) type = type.def.innerType as z.ZodType;
    if (type instanceof z.ZodObject) type = (type.shape as Record<string, z.ZodType>)[String(segment)];
    else if (type instanceof z.ZodArray) type = type.def.element as z.ZodType;
    else return [];
  }
  while (type instanceof z.ZodOptional) type = type.def.innerType as z.ZodType;
  return type instanceof z.ZodObject ? Object.keys(type.shape) : [];
}

/** A manifest path as written in TypeScript: `uses.containers[0].access`. */
export function fieldPath(at: readonly PropertyKey[]): string {
  return at.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`)).join("");
}
