/**
 * Service Bus namespaces: Entra-only access and TLS 1.2.
 */
import * as servicebus from "@pulumi/azure-native/servicebus";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy, show, tlsAtLeast12, type PlatformPolicy } from "./common";

export const sbLocalAuth = resourcePolicy({
  name: "sb-local-auth",
  description: "Service Bus namespaces accept Entra ID only (disableLocalAuth: true).",
  severity: "high",
  anchors: ["Azure.ServiceBus.DisableLocalAuth", "CKV_AZURE_203"],
  remediationSteps: "Set disableLocalAuth: true and connect with <CONN>__fullyQualifiedNamespace and a managed identity.",
  validateResource: validateResourceOfType(servicebus.Namespace, (ns, args, report) => {
    if (ns.disableLocalAuth !== true) {
      report(`Service Bus namespace "${args.name}" has disableLocalAuth ${show(ns.disableLocalAuth)}: set it to true so SAS keys cannot send or receive.`);
    }
  }),
});

export const sbMinTls = resourcePolicy({
  name: "sb-min-tls",
  description: 'Service Bus namespaces require TLS 1.2 (minimumTlsVersion "1.2").',
  severity: "high",
  anchors: ["Azure.ServiceBus.MinTLS", "CKV_AZURE_205"],
  remediationSteps: 'Set minimumTlsVersion: "1.2".',
  validateResource: validateResourceOfType(servicebus.Namespace, (ns, args, report) => {
    if (!tlsAtLeast12(ns.minimumTlsVersion)) {
      report(`Service Bus namespace "${args.name}" has minimumTlsVersion ${show(ns.minimumTlsVersion)}: set it to "1.2".`);
    }
  }),
});
export const serviceBusPolicies: PlatformPolicy[] = [sbLocalAuth, sbMinTls];

