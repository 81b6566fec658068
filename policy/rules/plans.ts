/**
 * App Service plans.
 */
import * as web from "@pulumi/azure-native/web";
import { validateResourceOfType } from "@pulumi/policy";
import { eqIgnoreCase, resourcePolicy, show, type PlatformPolicy } from "./common";

export const planZr = resourcePolicy({
  name: "plan-zr",
  description: "App Service plans (other than Y1 Consumption) are zone redundant.",
  severity: "medium",
  prodOnly: true,
  anchors: ["CKV_AZURE_225"],
  remediationSteps: "Set zoneRedundant: true on the plan (in a region with availability zones).",
  validateResource: validateResourceOfType(web.AppServicePlan, (plan, args, report) => {
    if (eqIgnoreCase(plan.sku?.name, "Y1") || eqIgnoreCase(plan.sku?.tier, "Dynamic")) {
      return args.notApplicable("Y1 (Linux Consumption) has no zone redundancy");
    }
    if (plan.zoneRedundant !== true) {
      report(`App Service plan "${args.name}" (sku ${show(plan.sku?.name)}) has zoneRedundant ${show(plan.zoneRedundant)}: set it to true.`);
    }
  }),
});

export const planPolicies: PlatformPolicy[] = [planZr];
