/**
 * Single, realistic mistakes a careless developer (or an attacker with commit rights) could make to
 * the real prod plan, one per mutation, across every class issue 14 and issue 18 item 1 name. Each
 * mutation names the resource it changes; the harness expects the pack to report a new mandatory
 * violation that names that resource or its owner.
 */
import type { Plan, PlannedResource } from "../../../engine/plan-format";
import { AZURE_ROLES } from "../../../policy/rules/azure-roles";

export type MutationClass = "apim-documents" | "apim-authz" | "rbac" | "secrets" | "network" | "logging" | "reliability" | "entra";

export interface Mutation {
  readonly id: string;
  readonly class: MutationClass;
  /** The logical name of the resource changed or added. */
  readonly target: string;
  /** Changes the plan in place (it is a private copy). */
  readonly apply: (plan: MutablePlan) => void;
}

type Json = Record<string, unknown>;
export interface MutableResource extends Omit<PlannedResource, "inputs" | "outputs" | "propertyDependencies"> {
  inputs: Json;
  outputs: Json;
  propertyDependencies: Record<string, string[]>;
}
export interface MutablePlan extends Omit<Plan, "resources"> {
  resources: MutableResource[];
}

export function find(plan: MutablePlan, name: string): MutableResource {
  const r = plan.resources.find((x) => x.name === name);
  if (!r) throw new Error(`mutation target "${name}" is not in the plan`);
  return r;
}

/** Applies `change` to a resource's inputs and outputs (what resource and stack policies read). */
function edit(plan: MutablePlan, name: string, change: (props: Json) => void): void {
  const r = find(plan, name);
  change(r.inputs);
  change(r.outputs);
}

/** Replaces text in a string property (a policy document, a URL). */
function replaceIn(plan: MutablePlan, name: string, key: string, from: string | RegExp, to: string): void {
  edit(plan, name, (p) => {
    const v = p[key];
    if (typeof v !== "string") return;
    const next = v.replace(from, to);
    if (next === v) throw new Error(`mutation of "${name}".${key} changed nothing (${String(from)})`);
    p[key] = next;
  });
}

function setPath(obj: Json, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof node[k] !== "object" || node[k] === null) node[k] = {};
    node = node[k] as Json;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = structuredClone(value);
}

const set = (plan: MutablePlan, name: string, path: string, value: unknown): void => edit(plan, name, (p) => setPath(p, path, value));

/** Adds a resource next to `like` (same stack, project and parent). */
function add(plan: MutablePlan, like: string, type: string, name: string, inputs: Json, deps: Record<string, string[]> = {}): void {
  const model = find(plan, like);
  const depUrns = Object.fromEntries(Object.entries(deps).map(([k, names]) => [k, names.map((n) => find(plan, n).urn)]));
  plan.resources.push({
    urn: `urn:pulumi:${plan.stack}::${plan.project}::${type}::${name}`,
    type,
    name,
    ...(model.parent ? { parent: model.parent } : {}),
    custom: true,
    inputs: structuredClone(inputs),
    outputs: structuredClone(inputs),
    dependencies: Object.values(depUrns).flat(),
    propertyDependencies: depUrns,
    options: { protect: false, retainOnDelete: false },
  });
}

function remove(plan: MutablePlan, name: string): void {
  const r = find(plan, name);
  plan.resources.splice(plan.resources.indexOf(r), 1);
}

/** Changes one app setting of a site (inline siteConfig.appSettings), adding it when absent. */
function setting(plan: MutablePlan, app: string, name: string, value: string): void {
  edit(plan, app, (p) => {
    const site = p["siteConfig"] as { appSettings?: { name: string; value: string }[] } | undefined;
    if (!site?.appSettings) return;
    const existing = site.appSettings.find((s) => s.name === name);
    if (existing) existing.value = value;
    else site.appSettings.push({ name, value });
  });
}

/** Mutations run one evaluation each (~1 s). */
export const MUTATION_TIMEOUT_MS = 600_000;

const RG = "contoso-platform-p";
const SUB = "/subscriptions/08126f89-f7b8-4fab-a326-a09d5fc66473";
const ROLE_DEF = (guid: string): string => `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const MESSAGING = `${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/contosomessagingpmmw1j`;
const COSMOS = `${SUB}/resourceGroups/${RG}/providers/Microsoft.DocumentDB/databaseAccounts/contoso-data-p-9tvkm`;

const OP = "gateway-orders-op-createOrder";
const API_POLICY = "gateway-orders-policy";
const HEALTH_ALL = "gateway-health-all-policy";

/** The XML-escaped document of the health aggregate, as the component renders it (format xml). */
const escapedHealth = (plan: MutablePlan): string => String(find(plan, HEALTH_ALL).inputs["value"]);

export const MUTATIONS: readonly Mutation[] = [
  // ------------------------------------------------------------------ APIM documents (issue 18 item 1)
  { id: "escaped document sent as rawxml", class: "apim-documents", target: HEALTH_ALL, apply: (p) => set(p, HEALTH_ALL, "format", "rawxml") },
  {
    id: "raw expression in an xml document",
    class: "apim-documents",
    target: OP,
    apply: (p) => replaceIn(p, OP, "value", "<inbound>", '<inbound>\n    <set-variable name="caller" value="@(context.Request.Headers.GetValueOrDefault("X-Caller", ""))" />'),
  },
  {
    id: "unbalanced expression",
    class: "apim-documents",
    target: OP,
    apply: (p) => replaceIn(p, OP, "value", "<inbound>", '<inbound>\n    <set-variable name="n" value="@(context.Request.Url.Path.Length" />'),
  },
  {
    id: "unbalanced expression in rawxml",
    class: "apim-documents",
    target: HEALTH_ALL,
    apply: (p) => {
      set(p, HEALTH_ALL, "format", "rawxml");
      set(p, HEALTH_ALL, "value", '<policies><inbound><base /><set-body>@{ return "x"; </set-body></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>');
    },
  },
  { id: "section twice", class: "apim-documents", target: OP, apply: (p) => replaceIn(p, OP, "value", "</policies>", "<outbound><base /></outbound></policies>") },
  { id: "unknown section", class: "apim-documents", target: OP, apply: (p) => replaceIn(p, OP, "value", "<on-error>", "<on-eror><base /></on-eror><on-error>") },
  { id: "base inside choose", class: "apim-documents", target: OP, apply: (p) => replaceIn(p, OP, "value", /<outbound>\s*<base \/>/, '<outbound><choose><when condition="@(true)"><base /></when></choose>') },
  { id: "unclosed element", class: "apim-documents", target: API_POLICY, apply: (p) => replaceIn(p, API_POLICY, "value", "</cors>", "") },
  { id: "wrong root element", class: "apim-documents", target: OP, apply: (p) => replaceIn(p, OP, "value", /<(\/?)policies>/g, "<$1policy>") },
  { id: "format outside the enum", class: "apim-documents", target: OP, apply: (p) => set(p, OP, "format", "xml-raw") },
  { id: "link format with inline xml", class: "apim-documents", target: OP, apply: (p) => set(p, OP, "format", "rawxml-link") },
  { id: "base dropped from operation inbound", class: "apim-documents", target: OP, apply: (p) => replaceIn(p, OP, "value", /<inbound>\s*<base \/>/, "<inbound>") },
  { id: "base dropped from backend", class: "apim-documents", target: API_POLICY, apply: (p) => replaceIn(p, API_POLICY, "value", /<backend>\s*<base \/>\s*<\/backend>/, "<backend><forward-request /></backend>") },
  { id: "on-error section removed", class: "apim-documents", target: API_POLICY, apply: (p) => replaceIn(p, API_POLICY, "value", /<on-error>[\s\S]*<\/on-error>/, "") },
  { id: "base dropped from product policy", class: "apim-documents", target: "gateway-product-public-policy", apply: (p) => replaceIn(p, "gateway-product-public-policy", "value", /<inbound>\s*<base \/>/, "<inbound>") },
  {
    id: "escaped health document keeps entities under rawxml (variant: one entity)",
    class: "apim-documents",
    target: HEALTH_ALL,
    apply: (p) => {
      set(p, HEALTH_ALL, "format", "rawxml");
      set(p, HEALTH_ALL, "value", escapedHealth(p).replace(/&quot;/g, '"').replace(/&amp;&amp;/g, "&&"));
    },
  },

  // ------------------------------------------------------------------ APIM authorization, CORS, products, back ends
  { id: "validate-jwt removed from an operation", class: "apim-authz", target: OP, apply: (p) => replaceIn(p, OP, "value", /<validate-jwt[\s\S]*<\/validate-jwt>/, "") },
  { id: "role requirement removed", class: "apim-authz", target: OP, apply: (p) => replaceIn(p, OP, "value", /<required-claims>[\s\S]*<\/required-claims>/, "") },
  { id: "roles claim renamed", class: "apim-authz", target: OP, apply: (p) => replaceIn(p, OP, "value", 'claim name="roles"', 'claim name="scp"') },
  {
    id: "token check made conditional",
    class: "apim-authz",
    target: OP,
    apply: (p) => replaceIn(p, OP, "value", /(<validate-jwt[\s\S]*<\/validate-jwt>)/, '<choose><when condition="@(context.Request.Headers.ContainsKey(&quot;Authorization&quot;))">$1</when></choose>'),
  },
  {
    id: "mock answer before the token check",
    class: "apim-authz",
    target: OP,
    apply: (p) => replaceIn(p, OP, "value", /<inbound>\s*<base \/>/, '<inbound><return-response><set-status code="200" reason="OK" /></return-response><base />'),
  },
  { id: "unsigned tokens accepted", class: "apim-authz", target: OP, apply: (p) => replaceIn(p, OP, "value", 'require-signed-tokens="true"', 'require-signed-tokens="false"') },
  { id: "expiry not required", class: "apim-authz", target: API_POLICY, apply: (p) => replaceIn(p, API_POLICY, "value", 'require-expiration-time="true"', 'require-expiration-time="false"') },
  {
    id: "audiences removed",
    class: "apim-authz",
    target: OP,
    apply: (p) => replaceIn(p, OP, "value", /<audiences>[\s\S]*?<\/audiences>/, ""),
  },
  { id: "openid-config removed", class: "apim-authz", target: OP, apply: (p) => replaceIn(p, OP, "value", /<openid-config[^>]*\/>/, "") },
  {
    id: "operation policy deleted and API policy has no roles",
    class: "apim-authz",
    target: "gateway-catalog-op-putProduct",
    apply: (p) => remove(p, "gateway-catalog-op-putProduct"),
  },
  {
    id: "new API without any policy",
    class: "apim-authz",
    target: "gateway-admin-api",
    apply: (p) =>
      add(p, "gateway-orders-api", "azure-native:apimanagement:Api", "gateway-admin-api", {
        ...structuredClone(find(p, "gateway-orders-api").inputs),
        apiId: "admin-v1",
        path: "admin",
        displayName: "Admin",
      }),
  },
  { id: "CORS any origin", class: "apim-authz", target: API_POLICY, apply: (p) => replaceIn(p, API_POLICY, "value", "<origin>https://shop.contoso.example</origin>", "<origin>*</origin>") },
  { id: "CORS any header", class: "apim-authz", target: API_POLICY, apply: (p) => replaceIn(p, API_POLICY, "value", "<header>Authorization</header>", "<header>*</header>") },
  { id: "CORS any method", class: "apim-authz", target: "gateway-catalog-policy", apply: (p) => replaceIn(p, "gateway-catalog-policy", "value", "<method>GET</method>", "<method>*</method>") },
  { id: "product without approval", class: "apim-authz", target: "gateway-product-public", apply: (p) => set(p, "gateway-product-public", "approvalRequired", false) },
  { id: "product without subscription", class: "apim-authz", target: "gateway-product-internal", apply: (p) => set(p, "gateway-product-internal", "subscriptionRequired", false) },
  { id: "backend certificate chain not validated", class: "apim-authz", target: "gateway-payment-backend", apply: (p) => set(p, "gateway-payment-backend", "tls.validateCertificateChain", false) },
  { id: "backend certificate name not validated", class: "apim-authz", target: "gateway-payment-backend", apply: (p) => set(p, "gateway-payment-backend", "tls.validateCertificateName", false) },
  { id: "serviceUrl over http", class: "apim-authz", target: "gateway-orders-api", apply: (p) => replaceIn(p, "gateway-orders-api", "serviceUrl", "https://", "http://") },
  { id: "backend over http", class: "apim-authz", target: "gateway-payment-backend", apply: (p) => replaceIn(p, "gateway-payment-backend", "url", "https://", "http://") },
  { id: "set-backend-service over http", class: "apim-authz", target: API_POLICY, apply: (p) => replaceIn(p, API_POLICY, "value", 'base-url="https://', 'base-url="http://') },
  { id: "gateway identity token removed", class: "apim-authz", target: OP, apply: (p) => replaceIn(p, OP, "value", /<authentication-managed-identity[^>]*\/>/, "") },
  { id: "payment back end called anonymously", class: "apim-authz", target: "gateway-payment-op-charge", apply: (p) => replaceIn(p, "gateway-payment-op-charge", "value", /<authentication-managed-identity[^>]*\/>/, "") },

  // ------------------------------------------------------------------ role assignments, every principal
  { id: "Owner on host storage", class: "rbac", target: "orders-host-blob-owner", apply: (p) => set(p, "orders-host-blob-owner", "roleDefinitionId", ROLE_DEF("8e3af657-a8ff-443c-a75c-2fe8c4bcb635")) },
  { id: "Contributor for the gateway", class: "rbac", target: "gateway-appi-publisher", apply: (p) => set(p, "gateway-appi-publisher", "roleDefinitionId", ROLE_DEF("b24988ac-6180-42a0-ab88-20f7382dd24c")) },
  { id: "gateway grant at resource-group scope", class: "rbac", target: "gateway-appi-publisher", apply: (p) => edit(p, "gateway-appi-publisher", (x) => { x["scope"] = `${SUB}/resourceGroups/${RG}`; }) },
  { id: "topic grant at subscription scope", class: "rbac", target: "messaging-order-events-deadletter", apply: (p) => edit(p, "messaging-order-events-deadletter", (x) => { x["scope"] = SUB; }) },
  {
    id: "CI user made User Access Administrator",
    class: "rbac",
    target: "ci-uaa",
    apply: (p) =>
      add(p, "gateway-appi-publisher", "azure-native:authorization:RoleAssignment", "ci-uaa", {
        principalId: "11111111-2222-3333-4444-555555555555",
        principalType: "User",
        roleDefinitionId: ROLE_DEF("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"),
        scope: `${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/contosomessagingpmmw1j`,
      }),
  },
  {
    id: "group made RBAC Administrator on the vault",
    class: "rbac",
    target: "ops-rbac-admin",
    apply: (p) =>
      add(p, "gateway-appi-publisher", "azure-native:authorization:RoleAssignment", "ops-rbac-admin", {
        principalId: "66666666-2222-3333-4444-555555555555",
        principalType: "Group",
        roleDefinitionId: ROLE_DEF("f58310d9-a9f6-439a-9e8d-f62e7b41a168"),
        scope: `${SUB}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/contoso-secrets-p-sx3ek`,
      }),
  },
  { id: "queue sender widened to the account", class: "rbac", target: "messaging-fulfillment-send-order-status", apply: (p) => edit(p, "messaging-fulfillment-send-order-status", (x) => { x["scope"] = MESSAGING; }) },
  { id: "processing grant on another service's queue", class: "rbac", target: "messaging-orders-process-order-status", apply: (p) => edit(p, "messaging-orders-process-order-status", (x) => { x["scope"] = `${MESSAGING}/queueServices/default/queues/order-notifications`; }) },
  { id: "sender made contributor on a queue it does not own", class: "rbac", target: "messaging-fulfillment-send-order-status", apply: (p) => set(p, "messaging-fulfillment-send-order-status", "roleDefinitionId", ROLE_DEF("974c5e8b-45b9-4653-ba55-5f855dd0fb88")) },
  // rbac-declared-use: a queue grant that matches no use the plan shows for its grantee (issue 14 item 2).
  { id: "sender retargeted to a queue the app does not send to", class: "rbac", target: "messaging-orders-send-order-fulfillment", apply: (p) => edit(p, "messaging-orders-send-order-fulfillment", (x) => { x["scope"] = `${MESSAGING}/queueServices/default/queues/order-notifications`; }) },
  { id: "trigger's processing grant downgraded to Sender", class: "rbac", target: "messaging-notifications-process-order-notifications", apply: (p) => set(p, "messaging-notifications-process-order-notifications", "roleDefinitionId", ROLE_DEF(AZURE_ROLES.storageQueueDataMessageSender.id)) },
  { id: "poison-queue Sender widened to Contributor (the host only sends there)", class: "rbac", target: "messaging-orders-send-order-status-poison", apply: (p) => set(p, "messaging-orders-send-order-status-poison", "roleDefinitionId", ROLE_DEF(AZURE_ROLES.storageQueueDataContributor.id)) },
  { id: "poison-queue Sender widened to Message Processor", class: "rbac", target: "messaging-notifications-send-order-notifications-poison", apply: (p) => set(p, "messaging-notifications-send-order-notifications-poison", "roleDefinitionId", ROLE_DEF(AZURE_ROLES.storageQueueDataMessageProcessor.id)) },
  { id: "send-only grant made Queue Data Reader", class: "rbac", target: "messaging-orders-send-order-fulfillment", apply: (p) => set(p, "messaging-orders-send-order-fulfillment", "roleDefinitionId", ROLE_DEF(AZURE_ROLES.storageQueueDataReader.id)) },
  {
    id: "extra Sender grant on a queue the app never uses",
    class: "rbac",
    target: "messaging-notifications-send-order-fulfillment",
    apply: (p) => {
      const like = find(p, "messaging-notifications-process-order-notifications");
      add(p, like.name, like.type, "messaging-notifications-send-order-fulfillment", { ...like.inputs, roleDefinitionId: ROLE_DEF(AZURE_ROLES.storageQueueDataMessageSender.id), scope: `${MESSAGING}/queueServices/default/queues/order-fulfillment` }, {
        principalId: (like.propertyDependencies["principalId"] ?? []).map((u) => p.resources.find((r) => r.urn === u)!.name),
      });
    },
  },
  { id: "topic delivers to a queue no subscription names", class: "rbac", target: "messaging-order-events-send-order-notifications", apply: (p) => edit(p, "messaging-order-events-send-order-notifications", (x) => { x["scope"] = `${MESSAGING}/queueServices/default/queues/order-status`; }) },
  { id: "topic dead-letter grant made Blob Owner", class: "rbac", target: "messaging-order-events-deadletter", apply: (p) => set(p, "messaging-order-events-deadletter", "roleDefinitionId", ROLE_DEF("b7e6dc6d-f1e8-4753-8033-0f276bb0955b")) },
  {
    id: "custom role with every action",
    class: "rbac",
    target: "ops-role",
    apply: (p) =>
      add(p, "gateway-appi-publisher", "azure-native:authorization:RoleDefinition", "ops-role", {
        roleName: "ops",
        scope: `${SUB}/resourceGroups/${RG}`,
        assignableScopes: [`${SUB}/resourceGroups/${RG}`],
        permissions: [{ actions: ["*"], notActions: [] }],
      }),
  },
  {
    id: "custom role over access control",
    class: "rbac",
    target: "grant-role",
    apply: (p) =>
      add(p, "gateway-appi-publisher", "azure-native:authorization:RoleDefinition", "grant-role", {
        roleName: "granter",
        scope: `${SUB}/resourceGroups/${RG}`,
        permissions: [{ actions: ["Microsoft.Authorization/*"] }],
      }),
  },
  { id: "Cosmos grant on the whole account", class: "rbac", target: "data-orders-data-contributor-orders-orders", apply: (p) => set(p, "data-orders-data-contributor-orders-orders", "scope", COSMOS) },
  {
    id: "Cosmos contributor on a whole database",
    class: "rbac",
    target: "data-notifications-data-reader-orders-orders",
    apply: (p) =>
      edit(p, "data-notifications-data-reader-orders-orders", (x) => {
        x["roleDefinitionId"] = `${COSMOS}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002`;
        x["scope"] = String(x["scope"]).replace(/\/colls\/[^/]+$/, "");
      }),
  },
  { id: "Cosmos write on another service's container", class: "rbac", target: "data-catalog-data-contributor-catalog-products", apply: (p) => set(p, "data-catalog-data-contributor-catalog-products", "scope", `${COSMOS}/dbs/orders-db/colls/orders`) },
  { id: "Cosmos scope relative root", class: "rbac", target: "data-fulfillment-data-contributor-fulfillment-stock", apply: (p) => set(p, "data-fulfillment-data-contributor-fulfillment-stock", "scope", "/") },

  // ------------------------------------------------------------------ secrets in disguise
  { id: "API key in a setting", class: "secrets", target: "fulfillment-app", apply: (p) => setting(p, "fulfillment-app", "PAYMENT_API_KEY", "pk_live_3f9a7c1e55d24b0c9a1f") },
  { id: "webhook token in a setting", class: "secrets", target: "notifications-app", apply: (p) => setting(p, "notifications-app", "WebhookToken", "b3f1c9d2e8a7") },
  { id: "password in a setting", class: "secrets", target: "orders-app", apply: (p) => setting(p, "orders-app", "SMTP_PASSWORD", "Winter2026!") },
  {
    id: "SAS URL in a setting",
    class: "secrets",
    target: "notifications-app",
    apply: (p) => setting(p, "notifications-app", "TEMPLATES_URL", "https://contosotemplates.blob.core.windows.net/t?sv=2022-11-02&ss=b&srt=o&sp=r&se=2027-01-01T00:00:00Z&sig=q2Xc1%2F9aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789%3D"),
  },
  { id: "lower-case spaced account key", class: "secrets", target: "orders-app", apply: (p) => setting(p, "orders-app", "ARCHIVE", "defaultendpointsprotocol=https; accountname=contosoarchive; accountkey = c2VjcmV0a2V5c2VjcmV0a2V5c2VjcmV0a2V5c2VjcmV0a2V5== ; endpointsuffix=core.windows.net") },
  {
    id: "connection string hidden in base64",
    class: "secrets",
    target: "catalog-app",
    apply: (p) => setting(p, "catalog-app", "IMPORT_CONFIG", Buffer.from("DefaultEndpointsProtocol=https;AccountName=contosoimport;AccountKey=ZmFrZWtleWZha2VrZXlmYWtla2V5ZmFrZWtleQ==;EndpointSuffix=core.windows.net").toString("base64")) },
  { id: "Entra client secret in a setting", class: "secrets", target: "fulfillment-app", apply: (p) => setting(p, "fulfillment-app", "AUTH_CONFIG", "tenant=contoso;secret=xYz8Q~AbCdEfGhIjKlMnOpQrStUvWxYz01234567") },
  { id: "function key in a back end URL", class: "secrets", target: "gateway-payment-backend", apply: (p) => set(p, "gateway-payment-backend", "url", "https://payments.contoso.example/api?code=aBcDeFgHiJkLmNoPqRsTuVwXyZ012345==") },
  {
    id: "Key Vault secret without expiry",
    class: "secrets",
    target: "smtp-secret",
    apply: (p) =>
      add(p, "secrets-vault", "azure-native:keyvault:Secret", "smtp-secret", {
        resourceGroupName: RG,
        vaultName: "contoso-secrets-p-sx3ek",
        secretName: "smtp",
        properties: { value: "not-in-the-plan" },
        tags: structuredClone(find(p, "secrets-vault").inputs["tags"]),
      }),
  },
  {
    id: "APIM named value with a plain secret",
    class: "secrets",
    target: "gateway-payment-key",
    apply: (p) =>
      add(p, "gateway-payment-backend", "azure-native:apimanagement:NamedValue", "gateway-payment-key", {
        resourceGroupName: RG,
        serviceName: "contoso-gateway-p-9dnxs",
        namedValueId: "payment-key",
        displayName: "payment-api-key",
        secret: true,
        value: "9f8e7d6c5b4a39281706",
      }),
  },

  // ------------------------------------------------------------------ network exposure
  {
    id: "second topic left public",
    class: "network",
    target: "audit-events-topic",
    apply: (p) => add(p, "order-events-topic", "azure-native:eventgrid:Topic", "audit-events-topic", { ...structuredClone(find(p, "order-events-topic").inputs), topicName: "contoso-audit-events-p" }),
  },
  { id: "subnet without NSG", class: "network", target: "network-vnet", apply: (p) => edit(p, "network-vnet", (x) => { delete (x["subnets"] as Json[])[0]!["networkSecurityGroup"]; }) },
  { id: "subnet default outbound on", class: "network", target: "network-vnet", apply: (p) => edit(p, "network-vnet", (x) => { (x["subnets"] as Json[])[1]!["defaultOutboundAccess"] = true; }) },
  {
    id: "NSG rule open to the internet",
    class: "network",
    target: "network-nsg",
    apply: (p) =>
      set(p, "network-nsg", "securityRules", [
        { name: "allow-https", priority: 100, direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefix: "Internet", sourcePortRange: "*", destinationAddressPrefix: "*", destinationPortRange: "443" },
      ]),
  },
  {
    id: "NSG rule from any address",
    class: "network",
    target: "network-nsg",
    apply: (p) =>
      set(p, "network-nsg", "securityRules", [
        { name: "ssh", priority: 110, direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefixes: ["10.0.0.0/8", "0.0.0.0/0"], sourcePortRange: "*", destinationAddressPrefix: "*", destinationPortRange: "22" },
      ]),
  },
  { id: "cross-tenant replication on", class: "network", target: "messaging-account", apply: (p) => set(p, "messaging-account", "allowCrossTenantReplication", true) },
  {
    id: "two half-internet allow rules",
    class: "network",
    target: "fulfillment-app",
    apply: (p) =>
      set(p, "fulfillment-app", "siteConfig.ipSecurityRestrictions", [
        { name: "low", action: "Allow", ipAddress: "0.0.0.0/1", priority: 100 },
        { name: "high", action: "Allow", ipAddress: "128.0.0.0/1", priority: 110 },
      ]),
  },
  { id: "site restrictions default Allow", class: "network", target: "notifications-app", apply: (p) => set(p, "notifications-app", "siteConfig.ipSecurityRestrictionsDefaultAction", "Allow") },
  { id: "App Service authentication turned off", class: "network", target: "orders-auth", apply: (p) => set(p, "orders-auth", "platform.enabled", false) },
  { id: "unauthenticated callers allowed", class: "network", target: "catalog-auth", apply: (p) => set(p, "catalog-auth", "globalValidation.unauthenticatedClientAction", "AllowAnonymous") },
  { id: "Cosmos public network", class: "network", target: "data-account", apply: (p) => set(p, "data-account", "publicNetworkAccess", "Enabled") },
  { id: "vault firewall open", class: "network", target: "secrets-vault", apply: (p) => { set(p, "secrets-vault", "properties.publicNetworkAccess", "Enabled"); set(p, "secrets-vault", "properties.networkAcls.defaultAction", "Allow"); } },
  { id: "host storage public", class: "network", target: "orders-host", apply: (p) => { set(p, "orders-host", "publicNetworkAccess", "Enabled"); set(p, "orders-host", "networkRuleSet.defaultAction", "Allow"); } },

  // ------------------------------------------------------------------ logging depth
  { id: "vault diagnostic setting without logs", class: "logging", target: "secrets-vault-diag", apply: (p) => set(p, "secrets-vault-diag", "logs", []) },
  { id: "vault diagnostic setting logs disabled", class: "logging", target: "secrets-vault-diag", apply: (p) => set(p, "secrets-vault-diag", "logs", [{ categoryGroup: "allLogs", enabled: false }]) },
  { id: "vault diagnostic setting with a non-audit category", class: "logging", target: "secrets-vault-diag", apply: (p) => set(p, "secrets-vault-diag", "logs", [{ category: "AzurePolicyEvaluationDetails", enabled: true }]) },
  { id: "topic diagnostic setting removed", class: "logging", target: "order-events-topic-diag", apply: (p) => remove(p, "order-events-topic-diag") },
  { id: "topic diagnostic setting without logs", class: "logging", target: "order-events-topic-diag", apply: (p) => set(p, "order-events-topic-diag", "logs", []) },
  { id: "app diagnostic setting without logs", class: "logging", target: "orders-app-diag", apply: (p) => set(p, "orders-app-diag", "logs", []) },
  { id: "workspace retention 7 days", class: "logging", target: "monitoring-workspace", apply: (p) => set(p, "monitoring-workspace", "retentionInDays", 7) },
  { id: "workspace local auth on", class: "logging", target: "monitoring-workspace", apply: (p) => set(p, "monitoring-workspace", "features.disableLocalAuth", false) },
  { id: "App Insights local auth on", class: "logging", target: "monitoring-appinsights", apply: (p) => set(p, "monitoring-appinsights", "disableLocalAuth", false) },
  { id: "blob service diagnostic setting without logs", class: "logging", target: "orders-host-blob-diag", apply: (p) => set(p, "orders-host-blob-diag", "logs", []) },
  { id: "queue service logs disabled", class: "logging", target: "messaging-queue-diag", apply: (p) => set(p, "messaging-queue-diag", "logs", [{ categoryGroup: "allLogs", enabled: false }]) },

  // ------------------------------------------------------------------ reliability
  { id: "subscription without dead-letter", class: "reliability", target: "order-events-order-events-to-order-notifications", apply: (p) => set(p, "order-events-order-events-to-order-notifications", "deadLetterWithResourceIdentity", undefined) },
  { id: "host storage made LRS", class: "reliability", target: "catalog-host", apply: (p) => set(p, "catalog-host", "sku.name", "Standard_LRS") },
  { id: "storage sku unset", class: "reliability", target: "notifications-host", apply: (p) => set(p, "notifications-host", "sku", undefined) },

  // ------------------------------------------------------------------ Entra applications
  { id: "multi-tenant app", class: "entra", target: "orders-api-app", apply: (p) => set(p, "orders-api-app", "signInAudience", "AzureADMultipleOrgs") },
  { id: "personal accounts allowed", class: "entra", target: "catalog-api-app", apply: (p) => set(p, "catalog-api-app", "signInAudience", "AzureADandPersonalMicrosoftAccount") },
  { id: "assignment not required", class: "entra", target: "orders-api-sp", apply: (p) => set(p, "orders-api-sp", "appRoleAssignmentRequired", false) },
  {
    id: "client secret on a platform app",
    class: "entra",
    target: "orders-api-secret",
    apply: (p) => add(p, "orders-api-uri", "azuread:index/applicationPassword:ApplicationPassword", "orders-api-secret", { applicationId: "/applications/0f4937d8-cb20-4977-a32b-86e95a9fc107", displayName: "ci" }),
  },
  { id: "identifier URI on an unverified domain", class: "entra", target: "orders-api-uri", apply: (p) => set(p, "orders-api-uri", "identifierUri", "https://orders.contoso-apis.net") },
  { id: "identifier URI without a scheme", class: "entra", target: "catalog-api-uri", apply: (p) => set(p, "catalog-api-uri", "identifierUri", "catalog-api") },
];
