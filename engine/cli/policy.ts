/**
 * `npm run policy -- --plan <plan.json> [--stack <name>] [--config <file>] [--json]`: runs the
 * CrossGuard pack offline on a saved plan and prints a table of violations.
 *
 * Exit codes: 0 when no mandatory policy is violated, 1 when one is, 2 for usage errors and for a
 * plan or config file that is missing or malformed (the message names the file and the problem).
 */
import { parseArgs } from "node:util";
// The policy pack (and with it Pulumi) loads only once the arguments are parsed: --help and a
// mistyped option answer at once (test/scripts/help.test.ts).
import type { EvaluateOptions, PolicyConfig } from "../policy-runner";

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export interface CliOptions {
  /** The policies to run. @default the whole pack (tests pin the clock of the date rules) */
  readonly policies?: EvaluateOptions["policies"];
}

const USAGE = `usage: npm run policy -- --plan <plan.json> [--stack <name>] [--config <policy-config.json>] [--json]

  --plan, -p    a plan written by \`npm run plan -- --stack <name> --json <file>\`
  --stack, -s   the stack whose enforcement applies (policy/config.<stack>.json); default: the plan's stack
  --config, -c  a policy pack config file instead of policy/config.<stack>.json
  --json        print the report as JSON instead of a table`;

/** Runs the command with `argv` (without node and the script); resolves to the exit code. */
export async function runPolicyCli(
  argv: readonly string[],
  io: CliIo = { out: console.log, err: console.error },
  options: CliOptions = {},
): Promise<number> {
  let values: { plan?: string; stack?: string; config?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        plan: { type: "string", short: "p" },
        stack: { type: "string", short: "s" },
        config: { type: "string", short: "c" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    io.err(`error: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (!values.plan) {
    io.err(`error: --plan is required\n${USAGE}`);
    return 2;
  }
  const { PlanFileError, PolicyConfigError, evaluatePolicies, formatPolicyTable, readPlanFile, readPolicyConfigFile } = await import("../policy-runner.js");
  try {
    const plan = readPlanFile(values.plan);
    const stack = values.stack ?? plan.stack;
    if (stack !== plan.stack) {
      io.err(`error: plan file ${values.plan} is a plan of stack "${plan.stack}", not "${stack}": plan the stack you check, or drop --stack`);
      return 2;
    }
    const config: PolicyConfig | undefined = values.config ? readPolicyConfigFile(values.config) : undefined;
    const report = evaluatePolicies(plan, {
      stack,
      ...(config && values.config ? { config, configSource: values.config } : {}),
      ...(options.policies ? { policies: options.policies } : {}),
    });
    io.out(values.json ? JSON.stringify(report, null, 2) : formatPolicyTable(report));
    if (report.mandatory > 0) {
      if (!values.json) io.err(`\n${report.mandatory} mandatory policy violation${report.mandatory === 1 ? "" : "s"}: fix them before \`pulumi up\`.`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof PlanFileError || e instanceof PolicyConfigError) {
      io.err(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

// Run only as a script (tests import runPolicyCli).
if (typeof require !== "undefined" && require.main === module) {
  runPolicyCli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exitCode = 1;
    },
  );
}
