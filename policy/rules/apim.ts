/**
 * API Management: control-plane API versions, gateway protocols and ciphers, identity, and HTTPS
 * between clients, the gateway and backends.
 */
import * as apimanagement from "@pulumi/azure-native/apimanagement";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy, show, type PlatformPolicy } from "./common";

export const APIM_MIN_API_VERSION = "2021-08-01";

const SECURITY = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security";
/** Protocol switches that must be absent or "False" (client side and backend side). */
export const APIM_WEAK_PROTOCOLS = ["Tls10", "Tls11", "Ssl30"].flatMap((p) => [`${SECURITY}.Protocols.${p}`, `${SECURITY}.Backend.Protocols.${p}`]);
const CIPHER_PREFIX = `${SECURITY}.Ciphers.`;

const isFalse = (v: unknown): boolean => typeof v === "string" && v.trim().toLowerCase() === "false";

export const apimMinApi = resourcePolicy({
  name: "apim-min-api",
  description: `API Management refuses control-plane API versions older than ${APIM_MIN_API_VERSION} (apiVersionConstraint.minApiVersion).`,
  severity: "high",
  anchors: ["Azure.APIM.MinAPIVersion"],
  remediationSteps: `Set apiVersionConstraint: { minApiVersion: "${APIM_MIN_API_VERSION}" } (or later).`,
  validateResource: validateResourceOfType(apimanagement.ApiManagementService, (svc, args, report) => {
    const v = svc.apiVersionConstraint?.minApiVersion;
    const date = typeof v === "string" ? /^\d{4}-\d{2}-\d{2}/.exec(v)?.[0] : undefined;
    if (!date || date < APIM_MIN_API_VERSION) {
      report(`API Management "${args.name}" has apiVersionConstraint.minApiVersion ${show(v)}: set it to "${APIM_MIN_API_VERSION}" or later so old, less secure management APIs are refused.`);
    }
  }),
});

export const apimProtocols = resourcePolicy({
  name: "apim-protocols",
  description: "API Management gateway and backend connections refuse SSL 3.0, TLS 1.0 and TLS 1.1.",
  severity: "high",
  anchors: ["Azure.APIM.Protocols", "CKV_AZURE_173"],
  remediationSteps: 'Remove the customProperties ...Security.{Backend.}Protocols.{Tls10,Tls11,Ssl30} or set them to "False".',
  validateResource: validateResourceOfType(apimanagement.ApiManagementService, (svc, args, report) => {
    const props = svc.customProperties ?? {};
    for (const key of APIM_WEAK_PROTOCOLS) {
      const v = props[key];
      if (v !== undefined && !isFalse(v)) {
        report(`API Management "${args.name}" enables a legacy protocol: customProperties["${key}"] is ${show(v)}; set it to "False".`);
      }
    }
  }),
});

export const apimCiphers = resourcePolicy({
  name: "apim-ciphers",
  description: "API Management does not enable 3DES or the weak CBC/RSA ciphers.",
  severity: "medium",
  anchors: ["Azure.APIM.Ciphers"],
  remediationSteps: `Remove customProperties["${CIPHER_PREFIX}*"] entries or set them to "False".`,
  validateResource: validateResourceOfType(apimanagement.ApiManagementService, (svc, args, report) => {
    const props = svc.customProperties ?? {};
    for (const [key, v] of Object.entries(props)) {
      // Only weak ciphers are switchable: every listed one must be off.
      if (key.startsWith(CIPHER_PREFIX) && !isFalse(v)) {
        report(`API Management "${args.name}" enables the weak cipher ${key.slice(CIPHER_PREFIX.length)}: set customProperties["${key}"] to "False".`);
      }
    }
  }),
});

export const apimIdentity = resourcePolicy({
  name: "apim-identity",
  description: "API Management has a managed identity (for Key Vault named values and backends).",
  severity: "medium",
  anchors: ["Azure.APIM.ManagedIdentity"],
  remediationSteps: 'Set identity: { type: "SystemAssigned" } (or UserAssigned).',
  validateResource: validateResourceOfType(apimanagement.ApiManagementService, (svc, args, report) => {
    const type = svc.identity?.type;
    if (typeof type !== "string" || !/assigned/i.test(type)) {
      report(`API Management "${args.name}" has identity.type ${show(type)}: give it a managed identity ("SystemAssigned" or "UserAssigned").`);
    }
  }),
});

export const apimHttps = resourcePolicy({
  name: "apim-https",
  description: "APIs are served over HTTPS only and backends are called over HTTPS.",
  severity: "medium",
  anchors: ["Azure.APIM.HTTPEndpoint", "Azure.APIM.HTTPBackend"],
  remediationSteps: 'Set protocols: ["https"] on each API (["wss"] for WebSocket APIs) and https:// backend urls.',
  validateResource: [
    validateResourceOfType(apimanagement.Api, (api, args, report) => {
      const protocols = api.protocols;
      if (protocols === undefined) {
        report(`API "${args.name}" does not set protocols: set protocols: ["https"] explicitly.`);
        return;
      }
      const plain = protocols.filter((p) => p === "http" || p === "ws");
      if (plain.length > 0 || protocols.length === 0) {
        report(`API "${args.name}" has protocols ${show(protocols)}: use ["https"] (or ["wss"] for WebSocket APIs) only.`);
      }
    }),
    validateResourceOfType(apimanagement.Backend, (backend, args, report) => {
      const url = backend.url;
      if (url === undefined) return args.notApplicable("no url (pool backend)");
      if (!/^https:\/\//i.test(url)) {
        report(`API Management backend "${args.name}" calls ${show(url)}: use an https:// url.`);
      }
    }),
  ],
});

export const apimPolicies: PlatformPolicy[] = [apimMinApi, apimProtocols, apimCiphers, apimIdentity, apimHttps];
