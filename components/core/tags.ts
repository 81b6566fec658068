/**
 * Tags: every taggable resource carries the stack's configured tags plus the few the platform
 * always sets, so cost reports and policy can group resources by environment and service.
 */
export type Tags = Readonly<Record<string, string>>;

/** The tags the platform sets on every resource; configured tags may not use these names. */
export function platformTags(environment: string): Record<string, string> {
  return { environment, managedBy: "pulumi" };
}

export const PLATFORM_TAG_NAMES: readonly string[] = Object.keys(platformTags("dev"));

/** The tags of a resource: configured tags, platform tags, then `extra` (e.g. `{ service: "orders" }`). */
export function resourceTags(config: { readonly tags: Tags; readonly environment: string }, extra: Tags = {}): Record<string, string> {
  return {
    ...config.tags,
    ...platformTags(config.environment),
    ...extra,
  };
}
