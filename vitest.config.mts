import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Two projects: the infrastructure (Pulumi under mocks, pure helpers, policy) needs nothing running;
// the services' tests start real emulators (Azurite, a Cosmos DB emulator) once for their project.
export default defineConfig({
  test: {
    // vitest's default is one worker fewer than the cores: a single worker on a 2-core machine, leaving a
    // core idle while in-process tests run (the main process only schedules and reports).
    maxWorkers: availableParallelism(),
    projects: [
      {
        test: {
          name: "infra",
          include: ["test/**/*.test.ts"],
          exclude: ["test/functions-src/**", "test/twin/**"],
          environment: "node",
          pool: "forks",
          // One module cache per worker, not per file: @pulumi/pulumi and the azure-native submodules load
          // once per worker instead of once per file (about half of this project's CPU time). Safe here:
          // every evaluation sets the Pulumi runtime's mocks and config afresh (engine/plan.ts), and tests
          // restore what they change (spies, process.env).
          isolate: false,
          globalSetup: ["test/helpers/stack-plans.setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "services",
          include: ["test/functions-src/**/*.test.ts"],
          environment: "node",
          pool: "forks",
          globalSetup: ["test/helpers/stack-plans.setup.ts", "test/functions-src/emulators.setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The local twin (engine/twin): the whole system from the dev plan; starts its own emulators.
        test: {
          name: "twin",
          include: ["test/twin/**/*.test.ts"],
          environment: "node",
          pool: "forks",
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
