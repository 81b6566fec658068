/**
 * Reads the running stack's configuration through the Pulumi runtime and validates it. A bad value
 * ends the program with a `RunError`: Pulumi prints its message alone, without a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, type StackConfig } from "./config";
import { gateReservedEndpoints } from "./endpoints";
import { describeFailure, isUserError } from "../components/core/user-error";

export function loadStackConfig(): StackConfig {
  const config = asRunError(() => parseStackConfig(pulumi.getStack(), pulumi.runtime.allConfig()));
  // Placeholder hosts (RFC 2606/6761): reported in previews, fatal in the update, before any resource.
  gateReservedEndpoints(config, pulumi.getStack(), {
    dryRun: pulumi.runtime.isDryRun(),
    warn: (message) => void pulumi.log.warn(message),
    fail: (message) => {
      throw new pulumi.RunError(message);
    },
  });
  return config;
}

const INTERNAL = Symbol.for("serverless-platform.internal-error");

/** A bug of ours surfaced as a RunError: its message carries the stack and the invitation to report it. */
export function isInternalRunError(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[INTERNAL] === true;
}

/**
 * Runs `fn` and turns what it throws into a `RunError`, which Pulumi prints without its own stack
 * trace: a user's mistake (see `UserError`) as its message alone, anything else as an internal error
 * with the original stack and an invitation to report it.
 */
export function asRunError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (pulumi.RunError.isInstance(e)) throw e;
    if (isUserError(e)) throw new pulumi.RunError(e.message);
    const error = new pulumi.RunError(describeFailure(e).text);
    Object.defineProperty(error, INTERNAL, { value: true });
    throw error;
  }
}
