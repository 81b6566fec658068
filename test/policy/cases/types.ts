import type { PlatformPolicy } from "../../../policy/rules";
import type { Props } from "../harness";

export interface Sample {
  readonly type: string;
  readonly props: Props;
  /** What the sample shows (the test title). */
  readonly note: string;
  /** The policy's config for this sample (over the schema defaults). */
  readonly config?: Props;
}

export interface Violating extends Sample {
  /** Each violation message must match; at least one violation must be reported. */
  readonly expect: RegExp;
}

/** The tests of one resource policy. */
export interface RuleCase {
  /** The policy name in the pack. */
  readonly rule: string;
  /** A policy instance to test instead of the pack's (e.g. with a pinned clock). */
  readonly policy?: PlatformPolicy;
  /** Applicable and no violation. */
  readonly compliant: readonly Sample[];
  /** At least one violation, every message matching `expect`. */
  readonly violating: readonly Violating[];
  /** The policy does not apply (wrong type, exempt, not configured). */
  readonly notApplicable: readonly Sample[];
}
