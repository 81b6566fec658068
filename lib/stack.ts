/**
 * Reads the running stack's configuration through the Pulumi runtime and validates it. A bad value
 * ends the program with a `RunError`: Pulumi prints its message alone, without a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig, type StackConfig } from "./config";

export function loadStackConfig(): StackConfig {
  return asRunError(() => parseStackConfig(pulumi.getStack(), pulumi.runtime.allConfig()));
}

/** Runs `fn`; a ConfigError becomes a RunError, so the user sees its message and no stack trace. */
export function asRunError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}
