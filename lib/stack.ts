/**
 * Reads the running stack's configuration through the Pulumi runtime and validates it. A bad value
 * ends the program with a `RunError`: Pulumi prints its message alone, without a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig, type StackConfig } from "./config";
import { gateReservedEndpoints } from "./endpoints";

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

/** Runs `fn`; a ConfigError becomes a RunError, so the user sees its message and no stack trace. */
export function asRunError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}
