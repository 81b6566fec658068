/**
 * How a Flex Consumption app scales: the component's own argument type (a stack's config schema
 * produces values of this shape; the component does not import it).
 */

import type { FlexInstanceMemory } from "./flex-facts";

/** Flex Consumption instance sizes, MB: the platform's fact, kept in flex-facts.ts. */
export { FLEX_INSTANCE_MEMORY } from "./flex-facts";

export type FlexInstanceMemoryMB = FlexInstanceMemory;

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
  readonly alwaysReady: readonly AlwaysReadyInstances[];
  /** Per-instance HTTP concurrency. @default the platform's default */
  readonly httpPerInstanceConcurrency?: number;
  /** Zone-redundant plan (and ZRS host storage). @default false */
  readonly zoneRedundant?: boolean;
}
