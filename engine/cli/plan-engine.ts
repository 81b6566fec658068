/**
 * What `npm run plan` uses once its arguments are parsed: Pulumi, the engine, the policy pack, the
 * preview's formatting and the report. ./plan.ts loads this module only then, so `--help` and a
 * mistyped option answer without loading them (test/scripts/help.test.ts checks that no Pulumi package
 * is loaded for those).
 */
export { RunError } from "@pulumi/pulumi";
export { PROJECT, parseStackConfig } from "../../lib/config";
export { isInternalRunError } from "../../lib/stack";
export { planStack } from "../plan";
export { evaluatePolicies, formatPolicyTable, readPlanFile } from "../policy-runner";
export { previewPlans, summaryLine } from "../preview";
export { formatPolicyForTerminal, formatSecurity, formatSummary, formatTree, paint, terminalStyle } from "../preview-format";
export { freshStackPass } from "../preview-fresh";
export { costLine, priceStack, renderReport } from "../report";
