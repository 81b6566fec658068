/**
 * How a Flex Consumption app scales: the component's own argument type (a stack's config schema
 * produces values of this shape; the component does not import it).
 */

import type { FlexInstanceMemory } from "./flex-facts";

/** Flex Consumption instance sizes, MB: the platform's fact, kept in flex-facts.ts. */
export { FLEX_INSTANCE_MEMORY } from "./flex-facts";

/**
 * The instance sizes of `FLEX_INSTANCE_MEMORY` as a named enum, so the package schema can publish
 * them (a number union from a tuple has no name there). Tied to the fact below: a size added to or
 * removed from flex-facts.ts without this enum fails the typecheck.
 */
export const FlexInstanceMemoryMB = {
  MB512: 512,
  MB2048: 2048,
  MB4096: 4096,
} as const;
export type FlexInstanceMemoryMB = (typeof FlexInstanceMemoryMB)[keyof typeof FlexInstanceMemoryMB];
/** `true` only when the enum and the fact list the same sizes. */
type SameSizes = [FlexInstanceMemoryMB] extends [FlexInstanceMemory] ? ([FlexInstanceMemory] extends [FlexInstanceMemoryMB] ? true : false) : false;
const SAME_SIZES: SameSizes = true;
void SAME_SIZES;

/** Always-ready instances of one scale group (`http`, `durable`, `blob`) or one function (`function:<name>`). */
export interface AlwaysReadyInstances {
  readonly name: string;
  readonly instanceCount: number;
}

export interface FunctionAppSizing {
  /** Instance memory in MB. */
  readonly instanceMemoryMB: FlexInstanceMemoryMB;
  /** Upper bound of the app's scale-out (Flex accepts 40-1000). */
  readonly maximumInstanceCount: number;
  /** Always-ready instances, each billed while idle. */
  readonly alwaysReady: AlwaysReadyInstances[];
  /** Per-instance HTTP concurrency. @default the platform's default */
  readonly httpPerInstanceConcurrency?: number;
  /** Zone-redundant plan (and ZRS host storage). @default false */
  readonly zoneRedundant?: boolean;
}
