import { availableParallelism } from "node:os";
import * as path from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that take longest (whole-program plans, child processes, a type-check), longest first.
 * Only an order: a file missing here still runs, later. Two workers finish together when the long
 * files start first (vitest's own order, by file size on a clean clone, started some of the longest
 * last); `npm run test:times` shows the figures.
 */
const LONGEST_FIRST = [
  "test/engine/plan-cli.test.ts",
  "test/scripts/new-service.test.ts",
  "test/docs/figures.test.ts",
  "test/policy/mutations.test.ts",
  "test/policy/independent-mutations.test.ts",
  "test/policy/edited-plans.test.ts",
  "test/components/package-schema.test.ts",
  "test/scripts/help.test.ts",
  "test/engine/cli-errors.test.ts",
  "test/components/package-api.test.ts",
  "test/engine/cost/estimate.test.ts",
  "test/stack/reserved-endpoints.test.ts",
  "test/components/function-app/bundle-services.test.ts",
];

/**
 * The twin first (one long file whose apps run as child processes), then the infrastructure tests
 * (LONGEST_FIRST, then vitest's order), then the services' short files. Projects stay contiguous: a
 * worker of the infra project (isolate off) is reused only while the next file is the same project's.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      if (spec.project.name === "twin") return 0;
      if (spec.project.name === "services") return 2000;
      const listed = LONGEST_FIRST.indexOf(path.relative(spec.project.config.root, spec.moduleId).split(path.sep).join("/"));
      return listed >= 0 ? 1 + listed : 1000;
    };
    // Array.prototype.sort is stable: within a rank, vitest's order is kept.
    return ordered.sort((a, b) => rank(a) - rank(b));
  }
}

// Three projects: the infrastructure (Pulumi under mocks, pure helpers, policy) needs nothing running;
// the services' tests start real emulators (Azurite, a Cosmos DB emulator) once for their project;
// the twin runs the whole system.
export default defineConfig({
  test: {
    // vitest's default is one worker fewer than the cores: a single worker on a 2-core machine, leaving a
    // core idle while in-process tests run (the main process only schedules and reports).
    maxWorkers: availableParallelism(),
    sequence: { sequencer: LongestFirst },
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
          // One module cache per worker (the SDKs and the services' code load once, not once per file: ~20
          // import phases). Safe here: no file mocks modules or changes process.env, each uses its own
          // databases and queues, and the services' module-level state is keyed caches (credentials by
          // client id); the files pass in one worker in shuffled orders.
          isolate: false,
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
          // The run's shared stack plans (test/helpers/stack-plans.ts): the twin starts from the same dev
          // and prod plans the infra tests read, evaluated once per run.
          globalSetup: ["test/helpers/stack-plans.setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
