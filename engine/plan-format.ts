/**
 * The machine-readable plan (`npm run plan -- --stack <s> --json <file>`). Policy, cost and the
 * architecture diagram consume this shape: extend it, never change or remove a field.
 *
 * The interfaces document the shape; `planSchema` below validates a plan file against the same shape
 * (it is typed `z.ZodType<Plan>`, so the two cannot drift apart without a compile error).
 */
import { z } from "zod";

export interface PlannedResource {
  /** Pulumi URN, as `pulumi preview` would show it. */
  readonly urn: string;
  /** Type token, e.g. `azure-native:web:WebApp`; components carry their own (`platform:...`). */
  readonly type: string;
  /** Logical (Pulumi) name. */
  readonly name: string;
  /** The provider id after creation (an ARM id for azure-native resources); absent for components. */
  readonly id?: string;
  /** The parent's URN (the stack for top-level resources). */
  readonly parent?: string;
  /** True for provider-backed resources, false for component resources. */
  readonly custom: boolean;
  /** The resolved inputs the provider would receive; secret values are replaced by "[secret]". */
  readonly inputs: Record<string, unknown>;
  /** URNs this resource depends on (explicit `dependsOn` and through inputs). */
  readonly dependencies: readonly string[];
  /** For each input property, the URNs its value came from (e.g. a diagnostic setting's `resourceUri`). */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** Resource options that matter for review: protect, retainOnDelete, custom timeouts. */
  readonly options: {
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly customTimeouts?: { readonly create?: string; readonly update?: string; readonly delete?: string };
  };
  /** The simulated provider's outputs (ids, endpoints), as after `pulumi up`. */
  readonly outputs: Record<string, unknown>;
}

export interface Plan {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly PlannedResource[];
  /** Stack outputs. */
  readonly outputs: Record<string, unknown>;
}

export const SECRET_PLACEHOLDER = "[secret]";

/**
 * How a plan records a value the providers compute during `pulumi up` and a preview does not know
 * (Pulumi's own marker, `pulumi.runtime.unknownValue`, is turned into this readable text).
 */
export const UNKNOWN_PLACEHOLDER = "[unknown]";

const plannedResourceSchema = z.looseObject({
  urn: z.string().min(1),
  type: z.string().min(1),
  name: z.string(),
  id: z.string().optional(),
  parent: z.string().optional(),
  custom: z.boolean(),
  inputs: z.record(z.string(), z.unknown()),
  dependencies: z.array(z.string()),
  propertyDependencies: z.record(z.string(), z.array(z.string())),
  options: z.looseObject({
    protect: z.boolean(),
    retainOnDelete: z.boolean(),
    customTimeouts: z
      .object({ create: z.string().optional(), update: z.string().optional(), delete: z.string().optional() })
      .optional(),
  }),
  outputs: z.record(z.string(), z.unknown()),
});

/** A plan file's shape, for reading one back (extra fields are kept: the format only grows). */
export const planSchema: z.ZodType<Plan> = z.looseObject({
  project: z.string().min(1),
  stack: z.string().min(1),
  resources: z.array(plannedResourceSchema),
  outputs: z.record(z.string(), z.unknown()),
});
