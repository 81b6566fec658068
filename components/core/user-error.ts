/**
 * The line between a user's mistake and a bug of ours. A `UserError` is something the user can fix
 * (a config key, a manifest field, a file at a line and column): the CLIs and the Pulumi program print
 * its message alone, without a stack trace. Anything else is a bug and keeps its stack, with an
 * invitation to report it (see {@link describeFailure}).
 */

const BRAND = Symbol.for("serverless-platform.user-error");

export class UserError extends Error {
  /** Survives duplicate module instances (tsx, vitest), where `instanceof` would not. */
  readonly [BRAND] = true;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export function isUserError(e: unknown): e is UserError {
  return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** Where bugs go: the invitation printed under an unexpected error's stack trace. */
export const REPORT_A_BUG =
  "This is a bug in the platform, not in your configuration or code: please report it to the platform team " +
  "(an issue in this repository) with the command you ran and the output above.";

/**
 * What to print for a failure: a user's mistake as its message alone; anything else as an internal
 * error with its stack and the invitation to report it.
 */
export function describeFailure(e: unknown): { readonly userMistake: boolean; readonly text: string } {
  if (isUserError(e)) return { userMistake: true, text: `error: ${e.message}` };
  const err = e instanceof Error ? e : new Error(String(e));
  return { userMistake: false, text: `internal error: ${err.stack ?? err.message}\n\n${REPORT_A_BUG}` };
}
