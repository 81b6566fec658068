/**
 * vitest globalSetup of the `services` project: starts Azurite and the Cosmos DB emulator once, hands
 * their endpoints to the test workers with `provide`, stops them after the run.
 *
 * NODE_EXTRA_CA_CERTS is read once when a Node process starts, so it is set here, in the main process,
 * before vitest forks the workers (which inherit the environment): their SDK clients then trust the
 * generated certificate without a custom agent.
 */
import type { TestProject } from "vitest/node";
import { type EmulatorInfo, startEmulators } from "./support/emulators";

declare module "vitest" {
  export interface ProvidedContext {
    emulators: EmulatorInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulators = await startEmulators();
  process.env.NODE_EXTRA_CA_CERTS = emulators.certFile;
  const { stop, ...info } = emulators;
  project.provide("emulators", info);
  return stop;
}
