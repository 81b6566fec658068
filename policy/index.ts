/**
 * The CrossGuard policy pack for this project: `pulumi preview --policy-pack policy
 * --policy-pack-config policy/config.<stack>.json`.
 *
 * This is the only module that constructs the PolicyPack: the constructor reads package.json and
 * starts the analyzer's gRPC server, which never exits. Tests and the offline runner import the
 * policies from ./rules instead.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("serverless-platform", {
  description: "Secure, Flex-aware defaults for the serverless platform on Azure (azure-native 3.x).",
  provider: "azure",
  // Each policy sets its own level; this is only the fallback for one that does not.
  enforcementLevel: "mandatory",
  policies: [...policies],
});
