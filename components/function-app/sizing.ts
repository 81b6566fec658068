/**
 * How a Flex Consumption app scales: the component's own argument type (a stack's config schema
 * produces values of this shape; the component does not import it).
 */

/**
 * Flex Consumption instance sizes, MB (Microsoft Learn, "Azure Functions Flex Consumption plan
 * hosting": instance memory 512, 2048 or 4096 MB).
 */
export const FLEX_INSTANCE_MEMORY = [512, 2048, 4096] as const;

export type FlexInstanceMemoryMB = (typeof FLEX_INSTANCE_MEMORY)[number];

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
