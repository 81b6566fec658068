/**
 * API Management: control-plane API versions, gateway protocols and ciphers, identity, and HTTPS
 * between clients, the gateway and backends.
 */
import * as apimanagement from "@pulumi/azure-native/apimanagement";
import { validateResourceOfType, type PolicyResource, type ReportViolation, type ResourceValidationArgs } from "@pulumi/policy";
import { allowListSchema, allowListed, UNKNOWN, peek, propString, resourcePolicy, show, stackPolicy, type PlatformPolicy } from "./common";
import {
  SECTIONS,
  parsePolicyDocument,
  sectionOf,
  structureProblems,
  walk,
  type ParsedDocument,
  type PolicyNode,
  type PolicyScope,
} from "./apim-xml";

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
      // ARM matches enum values without regard to case: "HTTP" is http.
      const plain = protocols.filter((p) => typeof p === "string" && ["http", "ws"].includes(p.trim().toLowerCase()));
      if (plain.length > 0 || protocols.length === 0) {
        report(`API "${args.name}" has protocols ${show(protocols)}: use ["https"] (or ["wss"] for WebSocket APIs) only.`);
      }
    }),
    validateResourceOfType(apimanagement.Api, (api, args, report) => {
      // Checkov CKV_AZURE_215 / PSRule Azure.APIM.HTTPBackend: the gateway calls its back end over TLS.
      const url = api.serviceUrl;
      if (typeof url === "string" && url.length > 0 && !/^(https|wss):\/\//i.test(url)) {
        report(`API "${args.name}" has serviceUrl ${show(url)}: the gateway would call its back end in clear text; use an https:// serviceUrl.`);
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


// ---------------------------------------------------------------------------------------------
// Policy documents (global, workspace, product, API, operation, fragment, resolver)
// ---------------------------------------------------------------------------------------------

const APIM_TYPE = /^azure-native:apimanagement(?:\/v[^:]+)?:(\w+)$/;

/**
 * The scope of an apimanagement type whose `value` is a policy document, or undefined for other
 * types. Covers every *Policy / *PolicyFragment resource of the typings (Policy, WorkspacePolicy,
 * ProductPolicy, WorkspaceProductPolicy, ApiPolicy, WorkspaceApiPolicy, ApiOperationPolicy,
 * WorkspaceApiOperationPolicy, PolicyFragment, WorkspacePolicyFragment, GraphQLApiResolverPolicy)
 * and versioned modules of them.
 */
export function policyScopeOf(type: string): PolicyScope | undefined {
  const name = APIM_TYPE.exec(type)?.[1];
  if (!name || !/(Policy|PolicyFragment)$/.test(name) || name === "PolicyRestriction" || name === "AuthorizationAccessPolicy") return undefined;
  if (name.endsWith("PolicyFragment")) return "fragment";
  if (name.includes("Resolver")) return "resolver";
  if (name.includes("Operation")) return "operation";
  if (name.includes("Api")) return "api";
  if (name.includes("Product")) return "product";
  if (name.startsWith("Workspace")) return "workspace";
  return "global";
}

const SCOPE_LABEL: Record<PolicyScope, string> = {
  global: "global policy",
  workspace: "workspace policy",
  product: "product policy",
  api: "API policy",
  operation: "operation policy",
  fragment: "policy fragment",
  resolver: "GraphQL resolver policy",
};

interface PolicyDoc {
  readonly scope: PolicyScope;
  readonly label: string;
  readonly parsed: ParsedDocument | undefined;
}

/**
 * Documents parsed in this process, by format and text: a dozen rules read each document, and parsing
 * was most of their time (--cpu-prof). A ParsedDocument is read-only. Bounded: cleared when full.
 */
const parsedDocuments = new Map<string, ParsedDocument>();

function parseOnce(value: string, format: string | undefined): ParsedDocument {
  const key = `${format ?? ""}\0${value}`;
  let parsed = parsedDocuments.get(key);
  if (!parsed) {
    if (parsedDocuments.size >= 512) parsedDocuments.clear();
    parsed = parsePolicyDocument(value, format);
    parsedDocuments.set(key, parsed);
  }
  return parsed;
}

/** Reads and parses a policy document resource (undefined: not a policy type; parsed undefined: value unknown). */
function readDoc(type: string, name: string, props: Record<string, unknown>): PolicyDoc | undefined {
  const scope = policyScopeOf(type);
  if (!scope) return undefined;
  const label = `${SCOPE_LABEL[scope]} "${name}"`;
  const value = peek(() => props["value"]);
  const format = peek(() => props["format"]);
  if (typeof value !== "string" || format === UNKNOWN) return { scope, label, parsed: undefined };
  return { scope, label, parsed: parseOnce(value, typeof format === "string" ? format : undefined) };
}

function forPolicyDocs(check: (doc: PolicyDoc, args: ResourceValidationArgs, report: ReportViolation) => void) {
  return (args: ResourceValidationArgs, report: ReportViolation): void => {
    const doc = readDoc(args.type, args.name, args.props);
    if (!doc) return args.notApplicable("not an API Management policy document");
    if (!doc.parsed) return;
    check(doc, args, report);
  };
}

export const apimPolicyDocument = resourcePolicy({
  name: "apim-policy-document",
  description:
    "Every API Management policy document (global, workspace, product, API, operation, fragment, resolver) is one API Management accepts: format consistent with the content (rawxml holds no XML entities in expressions, xml is well-formed), expressions balanced, root and sections valid, <base /> only directly in a section.",
  severity: "high",
  remediationSteps:
    'Render documents with an XML builder and send them as format "xml"; use "rawxml" only for a document whose expressions are written unescaped. Keep <policies> with at most one inbound, backend, outbound and on-error, and <base /> directly in a section.',
  validateResource: forPolicyDocs((doc, _args, report) => {
    const { parsed } = doc;
    for (const p of parsed!.problems) report(`${doc.label}: ${p}.`);
    if (parsed!.root) for (const p of structureProblems(parsed!.root, doc.scope)) report(`${doc.label}: ${p}.`);
  }),
});

/** Scopes whose sections inherit from a parent scope through <base />. */
const INHERITING: readonly PolicyScope[] = ["workspace", "product", "api", "operation"];

export const apimPolicyBase = resourcePolicy({
  name: "apim-policy-base",
  description:
    "Every section (inbound, backend, outbound, on-error) of every product, API, operation and workspace policy is present and keeps <base /> so the parent scope's controls still run; a waiver names the resource and section with a reason.",
  severity: "high",
  anchors: ["Azure.APIM.PolicyBase"],
  remediationSteps:
    'Write all four sections and put <base /> directly in each (first, unless the policy reference says otherwise). To drop the parent for one section on purpose, add { "name": "<resource>/<section>", "reason": "..." } to this rule\'s allow list.',
  configSchema: {
    properties: allowListSchema('Sections that may omit <base />: { "name": "<logical resource name>/<section>", "reason": "why the parent scope must not run" }.'),
  },
  validateResource: forPolicyDocs((doc, args, report) => {
    if (!INHERITING.includes(doc.scope)) return args.notApplicable(`a ${SCOPE_LABEL[doc.scope]} has no parent scope`);
    const root = doc.parsed!.root;
    if (!root || root.name !== "policies") return; // apim-policy-document reports it
    const config = args.getConfig<{ allow?: { name: string; reason: string }[] }>();
    for (const section of SECTIONS) {
      if (allowListed(config, `${args.name}/${section}`)) continue;
      const node = sectionOf(root, section);
      if (!node) {
        report(`${doc.label} has no <${section}> section: add <${section}><base /></${section}> so the parent scope's ${section} policies keep running.`);
      } else if (!node.children.some((c) => c.name === "base")) {
        report(`${doc.label} drops <base /> from <${section}>: the parent scope's ${section} policies (authentication, limits, CORS) no longer run; put <base /> directly in <${section}>.`);
      }
    }
  }),
});

/** CORS options that admit anything. */
function corsWildcards(root: PolicyNode): string[] {
  const found: string[] = [];
  for (const node of walk(root)) {
    if (node.name !== "cors") continue;
    for (const list of node.children) {
      for (const item of list.children) {
        if (item.text.trim() === "*") found.push(`<${list.name}><${item.name}>*</${item.name}>`);
      }
    }
  }
  return found;
}

export const apimCors = resourcePolicy({
  name: "apim-cors",
  description: "No API Management CORS policy allows every origin, method or header (\"*\").",
  severity: "medium",
  prodOnly: true,
  anchors: ["Azure.APIM.CORSPolicy"],
  remediationSteps: "List the exact origins (scheme, host, port), methods and headers in the <cors> policy.",
  validateResource: forPolicyDocs((doc, args, report) => {
    const root = doc.parsed!.root;
    if (!root || ![...walk(root)].some((n) => n.name === "cors")) return args.notApplicable("no <cors> policy");
    for (const w of corsWildcards(root)) {
      report(`${doc.label} allows ${w} in its <cors> policy: list the exact values instead (a wildcard lets any web site call the API from a browser).`);
    }
  }),
});

/** URLs a policy document sends requests to: set-backend-service base-url, send-request/set-url. */
function backendUrls(root: PolicyNode): string[] {
  const urls: string[] = [];
  for (const node of walk(root)) {
    if (node.name === "set-backend-service" && node.attrs["base-url"] !== undefined) urls.push(node.attrs["base-url"]);
    if (node.name === "send-request" || node.name === "send-one-way-request") {
      const set = node.children.find((c) => c.name === "set-url");
      if (set) urls.push(set.text);
    }
  }
  return urls;
}

export const apimBackendTls = resourcePolicy({
  name: "apim-backend-tls",
  description:
    "The gateway reaches back ends over TLS with certificate validation: backends keep tls.validateCertificateChain and validateCertificateName on, and policy documents send requests only to https:// URLs.",
  severity: "high",
  anchors: ["Azure.APIM.HTTPBackend", "CKV_AZURE_215"],
  remediationSteps: "Remove tls.validateCertificateChain/validateCertificateName: false from the backend (give the back end a valid certificate), and use https:// in set-backend-service base-url and send-request set-url.",
  validateResource: [
    validateResourceOfType(apimanagement.Backend, (backend, args, report) => {
      for (const key of ["validateCertificateChain", "validateCertificateName"] as const) {
        if (backend.tls?.[key] === false) {
          report(`API Management backend "${args.name}" has tls.${key}: false: the gateway would accept any certificate (a man in the middle); set it to true.`);
        }
      }
    }),
    forPolicyDocs((doc, args, report) => {
      const root = doc.parsed!.root;
      const urls = root ? backendUrls(root) : [];
      if (urls.length === 0) return args.notApplicable("the document sends no requests to a URL");
      for (const url of urls) {
        // Expressions and named values are resolved at run time: only literal URLs are judged.
        if (/^[@{]/.test(url.trim())) continue;
        if (!/^https:\/\//i.test(url.trim())) report(`${doc.label} sends requests to ${show(url)}: use an https:// URL so the call is encrypted and the certificate checked.`);
      }
    }),
  ],
});

export const apimProduct = resourcePolicy({
  name: "apim-product",
  description: "Published API Management products require a subscription and an administrator's approval of each subscription.",
  severity: "medium",
  anchors: ["Azure.APIM.ProductSubscription", "Azure.APIM.ProductApproval"],
  remediationSteps: "Set subscriptionRequired: true and approvalRequired: true on every published product.",
  validateResource: validateResourceOfType(apimanagement.Product, (product, args, report) => {
    // ARM: state defaults to notPublished; subscriptionRequired defaults to true (ProductContract).
    if (typeof product.state !== "string" || product.state.toLowerCase() !== "published") return args.notApplicable("not published");
    if (product.subscriptionRequired === false) {
      report(`product "${args.name}" is published with subscriptionRequired: false: anyone can call its APIs without a key; set subscriptionRequired: true.`);
      return;
    }
    if (product.approvalRequired !== true) {
      report(`product "${args.name}" is published with approvalRequired ${show(product.approvalRequired)}: any developer gets a working key by signing up; set approvalRequired: true.`);
    }
  }),
});

export const apimApiSubscription = resourcePolicy({
  name: "apim-api-subscription",
  description:
    "In prod every API Management API requires a subscription (subscriptionRequired is not false), so each caller is known to the gateway and held to a product's limits; an API meant to be called without a key is allow-listed with a reason.",
  severity: "medium",
  prodOnly: true,
  remediationSteps:
    'Remove subscriptionRequired: false from the API (callers then present a product subscription key), or add { "name": "<apiId or logical name>", "reason": "..." } to this rule\'s allow list for an API that must be keyless (e.g. health probes).',
  configSchema: { properties: allowListSchema('APIs callable without a subscription key: { "name": "<apiId or logical name>", "reason": "why no key is needed" }.') },
  validateResource: validateResourceOfType(apimanagement.Api, (api, args, report) => {
    // Api.subscriptionRequired: "whether an API or Product subscription is required for accessing the
    // API" (azure-native typings). With it, calls without a valid key are refused at the gateway and
    // never reach the back end; product-scoped policies (rate-limit, quota) apply only to calls made
    // with that product's subscription (Microsoft Learn, "Subscriptions in Azure API Management").
    if (api.subscriptionRequired !== false) return args.notApplicable("the API requires a subscription");
    if (allowListed(args.getConfig<AllowConfig>(), api.apiId, args.name)) return;
    report(
      `API "${args.name}" (apiId ${show(api.apiId)}) has subscriptionRequired: false: anyone can call it without a subscription key, outside every product's rate limit and quota. ` +
        "Remove subscriptionRequired: false, or allow-list the API with a reason (apim-api-subscription.allow) if it must be keyless.",
    );
  }),
});

// ---------------------------------------------------------------------------------------------
// Stack: authorization at the gateway, authenticated back-end calls
// ---------------------------------------------------------------------------------------------

interface ApiView {
  readonly api: PolicyResource;
  readonly apiId: string | undefined;
  /** Operation ids (ApiOperation resources and the imported OpenAPI/Swagger document). */
  readonly operations: readonly string[];
  readonly policy: PolicyNode | undefined;
  readonly operationPolicies: ReadonlyMap<string, PolicyNode>;
  /** Logical names of the API policy resource and of each operation's policy resource, for messages. */
  readonly policyName: string | undefined;
  readonly operationPolicyNames: ReadonlyMap<string, string>;
  /** The API's and its operations' policy resources (their documents may be unknown in a preview). */
  readonly policyResources: readonly PolicyResource[];
}

/**
 * Reads the documents a verdict was computed from without `peek`: a document unknown during a
 * preview (built in an apply over outputs of resources not created yet) then stops the policy the
 * way CrossGuard does ("can't run policy during preview"), instead of counting as a missing policy.
 */
function requireKnownDocuments(v: ApiView, global: PolicyResource | undefined): void {
  for (const r of [...v.policyResources, ...(global ? [global] : [])]) void r.props["value"];
}

const lower = (s: string | undefined): string | undefined => s?.toLowerCase();

/** The last segment of an ARM id, or the value itself. */
const lastSegment = (v: string): string => v.split("/").filter((x) => x.length > 0).pop() ?? v;

/** `apiId` of a child (policy, operation) resolved to an Api resource: dependency first, then the id. */
function apiOf(child: PolicyResource, apis: readonly PolicyResource[]): PolicyResource | undefined {
  const dep = (child.propertyDependencies["apiId"] ?? []).find((d) => APIM_TYPE.exec(d.type)?.[1] === "Api");
  if (dep) return dep;
  const id = propString(child, "apiId");
  if (!id) return undefined;
  const want = lastSegment(id).toLowerCase();
  return apis.find((a) => lower(propString(a, "apiId", "name")) === want);
}

/** Operation ids in an imported OpenAPI 3 / Swagger 2 JSON document. */
export function openApiOperationIds(value: unknown): string[] {
  if (typeof value !== "string") return [];
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    return [];
  }
  const paths = (doc as { paths?: Record<string, Record<string, { operationId?: unknown }>> } | null)?.paths ?? {};
  const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
  const ids: string[] = [];
  for (const [p, item] of Object.entries(paths)) {
    for (const m of methods) {
      const op = item?.[m];
      if (op) ids.push(typeof op.operationId === "string" ? op.operationId : `${m.toUpperCase()} ${p}`);
    }
  }
  return ids;
}

const parsedRoot = (r: PolicyResource): PolicyNode | undefined => {
  const doc = readDoc(r.type, r.name, r.props as Record<string, unknown>);
  return doc?.parsed?.root?.name === "policies" ? doc.parsed.root : undefined;
};

function apiViews(resources: readonly PolicyResource[]): ApiView[] {
  const apis = resources.filter((r) => APIM_TYPE.exec(r.type)?.[1] === "Api");
  return apis.map((api) => {
    const mine = (r: PolicyResource): boolean => apiOf(r, apis) === api;
    const ops = new Set<string>(openApiOperationIds(peek(() => api.props["value"])));
    for (const r of resources) {
      if (APIM_TYPE.exec(r.type)?.[1] === "ApiOperation" && mine(r)) {
        const id = propString(r, "operationId", "name");
        if (id) ops.add(id);
      }
    }
    const apiPolicy = resources.find((r) => policyScopeOf(r.type) === "api" && mine(r));
    const opPolicies = new Map<string, PolicyNode>();
    const opPolicyNames = new Map<string, string>();
    for (const r of resources) {
      if (policyScopeOf(r.type) !== "operation" || !mine(r)) continue;
      const op = propString(r, "operationId");
      const root = parsedRoot(r);
      if (op) opPolicyNames.set(lastSegment(op), r.name);
      if (op && root) opPolicies.set(lastSegment(op), root);
    }
    const policyResources = resources.filter((r) => (policyScopeOf(r.type) === "api" || policyScopeOf(r.type) === "operation") && mine(r));
    return {
      api,
      apiId: propString(api, "apiId", "name"),
      operations: [...ops],
      policy: apiPolicy ? parsedRoot(apiPolicy) : undefined,
      operationPolicies: opPolicies,
      policyName: apiPolicy?.name,
      operationPolicyNames: opPolicyNames,
      policyResources,
    };
  });
}

/**
 * The inbound statements that run for an operation, in order: the operation's policy with <base />
 * replaced by the API's, whose <base /> is replaced by the global policy's. A scope without a
 * policy behaves as <base />. Product policies are left out: a request may come through any
 * product (or none), so what the gateway must enforce for every caller lives at API scope or below.
 */
function effectiveSection(section: "inbound" | "backend", layers: readonly (PolicyNode | undefined)[]): PolicyNode[] {
  const expand = (i: number): PolicyNode[] => {
    if (i >= layers.length) return [];
    const node = sectionOf(layers[i], section);
    if (!layers[i] || !node) return expand(i + 1);
    return node.children.flatMap((c) => (c.name === "base" ? expand(i + 1) : [c]));
  };
  return expand(0);
}

const TOKEN_CHECKS = new Set(["validate-jwt", "validate-azure-ad-token"]);
const TERMINAL = new Set(["return-response", "mock-response"]);

/** Entra metadata shared by every tenant (login.microsoftonline.com or sts.windows.net, any cloud host). */
const MULTI_TENANT_METADATA = /^https:\/\/[^/]+\/(common|organizations|consumers)(\/|$)/i;

/** Why a token check is weak, or undefined when it validates a signed, unexpired token for an audience. */
function weakTokenCheck(node: PolicyNode): string | undefined {
  if (node.name === "validate-jwt") {
    if (node.attrs["require-signed-tokens"]?.toLowerCase() === "false") return 'require-signed-tokens="false" accepts unsigned tokens';
    if (node.attrs["require-expiration-time"]?.toLowerCase() === "false") return 'require-expiration-time="false" accepts tokens that never expire';
    const keys = node.children.some((c) => c.name === "openid-config" || c.name === "issuer-signing-keys" || c.name === "decryption-keys");
    if (!keys) return "it has no <openid-config> or <issuer-signing-keys>, so no signature can be checked";
    const openid = node.children.find((c) => c.name === "openid-config")?.attrs["url"];
    if (openid !== undefined && !/^https:\/\//i.test(openid)) return `its <openid-config url=${show(openid)}> is not https`;
    // Entra's common/organizations/consumers metadata serves every tenant's signing keys and an issuer
    // template ({tenantid}): the token's issuer is the caller's own tenant, so only an explicit issuer
    // list keeps other tenants out (Microsoft Learn, "Access tokens in the Microsoft identity
    // platform", validate the issuer; Q&A 1283131 on the common endpoint's keys and issuer).
    const issuers = node.children.find((c) => c.name === "issuers")?.children.filter((c) => c.name === "issuer" && c.text.length > 0) ?? [];
    if (openid !== undefined && MULTI_TENANT_METADATA.test(openid) && issuers.length === 0) {
      return `its <openid-config url=${show(openid)}> is Entra's multi-tenant metadata and no <issuers> names your tenant, so a token from any tenant is accepted`;
    }
  }
  if (node.name === "validate-jwt" || node.name === "validate-azure-ad-token") {
    const audiences = node.children.find((c) => c.name === "audiences" || c.name === "client-application-ids");
    if (!audiences || audiences.children.length === 0) return "it lists no <audiences>, so a token issued for any other API is accepted";
  }
  return undefined;
}

/** The app roles a token check requires (`<claim name="roles">` values). */
function requiredRoles(node: PolicyNode): string[] {
  const claims = node.children.find((c) => c.name === "required-claims")?.children ?? [];
  return claims.filter((c) => c.name === "claim" && c.attrs["name"] === "roles").flatMap((c) => c.children.filter((v) => v.name === "value" && v.text.length > 0).map((v) => v.text));
}

/** The statement always answers from the gateway (return-response/mock-response, or a <choose> whose every branch does). */
function alwaysAnswers(n: PolicyNode): boolean {
  if (TERMINAL.has(n.name)) return true;
  if (n.name !== "choose") return false;
  const branches = n.children.filter((c) => c.name === "when" || c.name === "otherwise");
  return branches.some((b) => b.name === "otherwise") && branches.every((b) => b.children.some(alwaysAnswers));
}

interface AuthzVerdict {
  readonly problem?: string;
}

function judgeAuthz(inbound: readonly PolicyNode[]): AuthzVerdict {
  const checks: PolicyNode[] = [];
  for (const statement of inbound) {
    if (TOKEN_CHECKS.has(statement.name)) {
      checks.push(statement);
      continue;
    }
    if (checks.length === 0 && [...walk(statement)].some((n) => TERMINAL.has(n.name))) {
      return { problem: `<${statement.name}> can answer before any token is validated` };
    }
  }
  if (checks.length === 0) {
    return { problem: "no <validate-jwt> or <validate-azure-ad-token> runs directly in inbound (one inside <choose> runs only sometimes)" };
  }
  for (const c of checks) {
    const weak = weakTokenCheck(c);
    if (weak) return { problem: `its <${c.name}> is weak: ${weak}` };
  }
  if (!checks.some((c) => requiredRoles(c).length > 0)) {
    return { problem: 'no token check requires an app role (<required-claims><claim name="roles"><value>…</value></claim>)' };
  }
  return {};
}

/** The global policy resource (apimanagement:Policy), when the stack has one. */
function globalPolicyResource(resources: readonly PolicyResource[]): PolicyResource | undefined {
  return resources.find((r) => policyScopeOf(r.type) === "global");
}

/** The global policy's document, when the stack has one. */
function globalPolicy(resources: readonly PolicyResource[]): PolicyNode | undefined {
  const g = globalPolicyResource(resources);
  return g ? parsedRoot(g) : undefined;
}

type AllowConfig = { allow?: { name: string; reason: string }[] };

/**
 * The policy documents an operation's verdict comes from, for messages, so a violation names the
 * resource to edit: ` (operation policy "x", API policy "y")`, or "" when neither exists.
 */
function documentsOf(v: ApiView, op: string): string {
  const names = [
    ...(v.operationPolicyNames.has(op) ? [`operation policy "${v.operationPolicyNames.get(op)}"`] : []),
    ...(v.policyName ? [`API policy "${v.policyName}"`] : []),
  ];
  return names.length > 0 ? ` (${names.join(", ")})` : "";
}

export const apimOperationAuthz = stackPolicy({
  name: "apim-operation-authz",
  description:
    "Every API Management operation that is not explicitly anonymous validates a token (signed, unexpired, for listed audiences) before anything can answer, and requires an app role; a waiver names the API with a reason.",
  severity: "high",
  remediationSteps:
    'Put <validate-jwt> (require-signed-tokens, <openid-config>, <audiences>) directly in the API\'s or operation\'s inbound with <required-claims><claim name="roles">, and keep <base /> in the operation policy. For a deliberately anonymous API add { "name": "<apiId>", "reason": "..." } to this rule\'s allow list.',
  configSchema: { properties: allowListSchema('APIs callable without a token: { "name": "<apiId or logical name>", "reason": "why anonymous callers are fine" }.') },
  validateStack: (args, report) => {
    const views = apiViews(args.resources);
    if (views.length === 0) return args.notApplicable("no API Management APIs");
    const config = args.getConfig<AllowConfig>();
    const global = globalPolicy(args.resources);
    for (const v of views) {
      if (allowListed(config, v.apiId, v.api.name)) continue;
      const ops = v.operations.length > 0 ? v.operations : ["(every operation)"];
      for (const op of ops) {
        const inbound = effectiveSection("inbound", [v.operationPolicies.get(op), v.policy, global]);
        const { problem } = judgeAuthz(inbound);
        if (problem) {
          requireKnownDocuments(v, globalPolicyResource(args.resources));
          report(
            `API "${v.api.name}" operation ${show(op)}${documentsOf(v, op)} is not protected by the gateway: ${problem}. Validate the caller's token and require its roles in the API or operation policy (inbound), ` +
              'or list the API in apim-operation-authz\'s allow list with a reason if it is meant to be anonymous.',
            v.api.urn,
          );
        }
      }
    }
  },
});

const AUTH_STATEMENTS = new Set(["authentication-managed-identity", "authentication-certificate"]);

/** The statement authenticates the gateway to the back end. */
function authenticates(n: PolicyNode): boolean {
  if (AUTH_STATEMENTS.has(n.name)) return true;
  return n.name === "set-header" && n.attrs["name"]?.toLowerCase() === "authorization" && n.attrs["exists-action"]?.toLowerCase() !== "delete";
}

/** Whether an apimanagement:Backend presents credentials (Authorization header, client certificate). */
function backendHasCredentials(backend: PolicyResource): boolean {
  const creds = peek(() => backend.props["credentials"]) as
    | { authorization?: { scheme?: unknown }; certificate?: unknown[]; certificateIds?: unknown[]; header?: Record<string, unknown> }
    | typeof UNKNOWN
    | undefined;
  if (creds === UNKNOWN) return true;
  if (!creds) return false;
  if (creds.authorization?.scheme) return true;
  if ((creds.certificate ?? []).length > 0 || (creds.certificateIds ?? []).length > 0) return true;
  return Object.keys(creds.header ?? {}).some((h) => h.toLowerCase() === "authorization");
}

export const apimBackendAuth = stackPolicy({
  name: "apim-backend-auth",
  description:
    "Every API Management operation that forwards to a back end authenticates the gateway to it (authentication-managed-identity, a client certificate, or a backend entity with credentials), and so does every send-request; a waiver names the API with a reason.",
  severity: "high",
  remediationSteps:
    'Add <authentication-managed-identity resource="<back end app id>" /> to the API or operation inbound (and grant the gateway the back end\'s app role), or give the apimanagement:Backend credentials. For a back end that must be called anonymously add { "name": "<apiId>", "reason": "..." } to this rule\'s allow list.',
  configSchema: { properties: allowListSchema('APIs whose back end is called without credentials: { "name": "<apiId or logical name>", "reason": "why the back end needs none" }.') },
  validateStack: (args, report) => {
    const views = apiViews(args.resources);
    if (views.length === 0) return args.notApplicable("no API Management APIs");
    const config = args.getConfig<AllowConfig>();
    const global = globalPolicy(args.resources);
    const backends = args.resources.filter((r) => APIM_TYPE.exec(r.type)?.[1] === "Backend");
    for (const v of views) {
      if (allowListed(config, v.apiId, v.api.name)) continue;
      const ops = v.operations.length > 0 ? v.operations : ["(every operation)"];
      for (const op of ops) {
        const layers = [v.operationPolicies.get(op), v.policy, global];
        const inbound = effectiveSection("inbound", layers);
        for (const n of inbound.flatMap((s) => [...walk(s)])) {
          if ((n.name === "send-request" || n.name === "send-one-way-request") && !n.children.some(authenticates)) {
            report(`API "${v.api.name}" operation ${show(op)}${documentsOf(v, op)} calls ${show(n.children.find((c) => c.name === "set-url")?.text)} with <${n.name}> without credentials: add <authentication-managed-identity resource="…" /> inside it.`, v.api.urn);
          }
        }
        // An operation that always answers from the gateway never reaches the back end.
        if (inbound.some(alwaysAnswers)) continue;
        if (inbound.some(authenticates)) continue;
        const target = [...inbound].reverse().find((s) => s.name === "set-backend-service");
        const backendId = target?.attrs["backend-id"];
        if (backendId) {
          const entity = backends.find((b) => lower(propString(b, "backendId", "name")) === backendId.toLowerCase());
          if (entity && backendHasCredentials(entity)) continue;
        }
        requireKnownDocuments(v, globalPolicyResource(args.resources));
        const where = backendId ? `backend ${show(backendId)}` : target?.attrs["base-url"] ? show(target.attrs["base-url"]) : `serviceUrl ${show(peek(() => v.api.props["serviceUrl"]))}`;
        report(
          `API "${v.api.name}" operation ${show(op)}${documentsOf(v, op)} forwards to ${where} without authenticating the gateway: anyone who reaches the back end directly is treated like the gateway. ` +
            'Add <authentication-managed-identity resource="<back end app id>" /> to the API or operation inbound (or credentials on the backend entity).',
          v.api.urn,
        );
      }
    }
  },
});

export const apimPolicies: PlatformPolicy[] = [
  apimMinApi,
  apimProtocols,
  apimCiphers,
  apimIdentity,
  apimHttps,
  apimPolicyDocument,
  apimPolicyBase,
  apimCors,
  apimBackendTls,
  apimProduct,
  apimApiSubscription,
  apimOperationAuthz,
  apimBackendAuth,
];
