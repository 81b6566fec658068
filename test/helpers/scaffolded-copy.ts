/**
 * A copy of the repository with docs/ADDING-A-SERVICE.md's example service scaffolded
 * (`npm run new-service -- billing`) and both stacks planned in it by its own `npm run plan`, made once
 * per test run (../../scripts/doc-figures.ts `scaffoldedCopy` and `planProject`, the runs
 * `npm run docs:figures` makes) and shared by the files that check it: test/scripts/new-service.test.ts
 * (the scaffold plans, typechecks and is refused a second time), test/docs/figures.test.ts (the
 * page quotes what it adds) and test/engine/plan-cache.cli.test.ts (the copy's first dev plan is
 * evaluated, the same command again is answered from its plan cache). The copy is the run's: a test
 * may add files to it, never change one.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Plan } from "../../engine/plan-format";
import { planProject, readProjectPlan, scaffoldedCopy, type ProjectPlanRun } from "../../scripts/doc-figures";
import { onceInRun } from "./stack-plans";

const STACKS = ["dev", "prod"] as const;
const planFileIn = (work: string, key: string): string => path.join(work, `plan-${key}.json`);

export interface ScaffoldedCopy {
  /** The copy's root folder. */
  readonly root: string;
  /** The files the scaffold wrote, relative to the root. */
  readonly written: readonly string[];
  /**
   * Each stack's `npm run plan` in the copy, the copy's first: exit code, stderr and the plan it wrote
   * (paths as in the copy; `planFile` holds it as written). dev's runs without `--quiet`, so its stderr
   * has the progress lines (how the plan cache answered); prod's is `--quiet`, as docs:figures runs it.
   */
  readonly runs: Readonly<Record<(typeof STACKS)[number], ProjectPlanRun & { readonly plan?: Plan; readonly planFile: string }>>;
  /** The dev run again, the same command once the first had finished and before any test could add a file to the copy. */
  readonly devAgain: ProjectPlanRun & { readonly planFile: string };
  /** The plan of `stack` read as the repository's (doc-figures `readProjectPlan`); throws, as doc-figures does, unless the run exited 0 or 1. */
  repositoryPlan(stack: (typeof STACKS)[number]): Plan;
}

export async function scaffoldedRepository(): Promise<ScaffoldedCopy> {
  const directory = await onceInRun("scaffolded-copy", async (dir) => {
    const work = path.join(dir, "scaffolded");
    mkdirSync(work);
    const written = scaffoldedCopy(path.join(work, "repo"));
    writeFileSync(path.join(work, "written.json"), JSON.stringify(written));
    const plan = async (stack: (typeof STACKS)[number], key: string, quiet: boolean): Promise<void> => {
      const run = await planProject(path.join(work, "repo"), stack, planFileIn(work, key), { quiet });
      writeFileSync(path.join(work, `run-${key}.json`), JSON.stringify(run));
    };
    // dev first, alone: the copy's first plan, so also plan-cache.cli.test.ts's cold evaluation. Then prod
    // and the same dev command again at once: prod finds the copy's TypeScript compiled (tsx's cache) and
    // its services bundled, and dev again must find the plan cache, before a test may add a file (an input).
    // `npm test` is CPU-bound on 2 cores, so CPU counts more than this file's wall time: new-service.test.ts
    // took 27.9-29.3 s of CPU this way, 42.1-42.8 s with both stacks planned cold at once (two esbuild-heavy
    // processes on 2 cores), and 18 s of wall alone, against 32 s.
    await plan("dev", "dev", false);
    await Promise.all([plan("dev", "dev-again", false), plan("prod", "prod", true)]);
    return undefined;
  });
  const work = path.join(directory, "scaffolded");
  const root = path.join(work, "repo");
  const planFile = (key: string): string => planFileIn(work, key);
  const run = (key: string): ProjectPlanRun => JSON.parse(readFileSync(path.join(work, `run-${key}.json`), "utf8")) as ProjectPlanRun;
  const runs = Object.fromEntries(
    STACKS.map((stack) => [
      stack,
      { ...run(stack), planFile: planFile(stack), ...(existsSync(planFile(stack)) ? { plan: JSON.parse(readFileSync(planFile(stack), "utf8")) as Plan } : {}) },
    ]),
  ) as ScaffoldedCopy["runs"];
  return {
    root,
    written: JSON.parse(readFileSync(path.join(work, "written.json"), "utf8")) as string[],
    runs,
    devAgain: { ...run("dev-again"), planFile: planFile("dev-again") },
    repositoryPlan(stack) {
      const { code, stderr } = runs[stack];
      // Exit 1 (a mandatory violation) still writes the plan; the policy result is part of the figures.
      if (code !== 0 && code !== 1) throw new Error(`planning ${stack} in ${root} failed (exit ${code}):\n${stderr}`);
      return readProjectPlan(planFile(stack), root);
    },
  };
}
