/**
 * Reads the running stack's configuration through the Pulumi runtime and validates it. A bad value
 * ends the program with a `RunError`: Pulumi prints its message alone, without a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig, type StackConfig } from "./config";

export function loadStackConfig(): StackConfig {
  try {
    return parseStackConfig(pulumi.getStack(), pulumi.runtime.allConfig());
  } catch (e) {
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}
