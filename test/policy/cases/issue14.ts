/**
 * Issue 14's resource rules (and issue 18 item 1's policy-document class): API Management policy
 * documents, products and back ends; custom roles; secrets in disguise; network exposure; logging
 * depth; reliability; Entra applications.
 */
import { set, with_, type Props } from "../harness";
import { T, api, backend, component, eventSubscription, storageAccount, topic, secret } from "../resources";
import type { RuleCase } from "./types";

const storage = { type: T.storage, props: storageAccount, note: "a storage account" };

// ------------------------------------------------------------------ API Management documents
const OP_POLICY = "azure-native:apimanagement:ApiOperationPolicy";
const API_POLICY = "azure-native:apimanagement:ApiPolicy";
const GLOBAL_POLICY = "azure-native:apimanagement:Policy";
const FRAGMENT = "azure-native:apimanagement:PolicyFragment";
const PRODUCT = "azure-native:apimanagement:Product";

const doc = (inbound: string, extra = ""): string =>
  `<policies><inbound><base />${inbound}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error>${extra}</policies>`;
const policy = (value: string, format: string | undefined = "xml"): Props => ({
  resourceGroupName: "contoso-platform-p",
  serviceName: "contoso-apim-p",
  apiId: "orders",
  operationId: "getOrder",
  policyId: "policy",
  ...(format === undefined ? {} : { format }),
  value,
});
/** A policy expression written raw (rawxml) and XML-escaped (xml). */
const RAW_EXPR = '@(context.Variables.GetValueOrDefault<IResponse>("health0") == null && true)';
const ESCAPED_EXPR = "@(context.Variables.GetValueOrDefault&lt;IResponse&gt;(&quot;health0&quot;) == null &amp;&amp; true)";
const choose = (expr: string): string => `<choose><when condition="${expr}"><return-response><set-status code="200" reason="OK" /></return-response></when></choose>`;
const cors = (origin: string, method = "GET"): string =>
  `<cors><allowed-origins><origin>${origin}</origin></allowed-origins><allowed-methods><method>${method}</method></allowed-methods><allowed-headers><header>Authorization</header></allowed-headers></cors>`;

const product: Props = { resourceGroupName: "contoso-platform-p", serviceName: "contoso-apim-p", productId: "public", displayName: "Public", state: "published", subscriptionRequired: true, approvalRequired: true };

// ------------------------------------------------------------------ RBAC, secrets, network, monitoring, Entra
const ROLE_DEF = "azure-native:authorization:RoleDefinition";
const COSMOS_ROLE_DEF = "azure-native:cosmosdb:SqlResourceSqlRoleDefinition";
const customRole = (actions: string[]): Props => ({ roleName: "queue-reader", scope: "/subscriptions/s/resourceGroups/rg", permissions: [{ actions, dataActions: [] }] });
const OP_POLICY_TYPE = "azure-native:apimanagement:ApiOperationPolicy";
const opDoc = (inbound: string): string => `<policies><inbound><base />${inbound}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`;
const APP_REGISTRATION = "azuread:index/applicationRegistration:ApplicationRegistration";
const SCHEDULED_QUERY = "azure-native:monitor:ScheduledQueryRule";
const METRIC_ALERT = "azure-native:monitor:MetricAlert";
const NAMED_VALUE = "azure-native:apimanagement:NamedValue";
const VNET = "azure-native:network:VirtualNetwork";
const SUBNET = "azure-native:network:Subnet";
const NSG = "azure-native:network:NetworkSecurityGroup";
const NSG_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg";
const vnet = (subnet: Props): Props => ({ resourceGroupName: "rg", virtualNetworkName: "vnet", addressSpace: { addressPrefixes: ["10.0.0.0/16"] }, subnets: [{ name: "apps", addressPrefix: "10.0.0.0/24", ...subnet }] });
const privateSubnet = { networkSecurityGroup: { id: NSG_ID }, defaultOutboundAccess: false };
const nsgRule = (rule: Props): Props => ({
  resourceGroupName: "rg",
  networkSecurityGroupName: "nsg",
  securityRules: [{ name: "r", priority: 100, direction: "Inbound", access: "Allow", protocol: "Tcp", sourcePortRange: "*", destinationAddressPrefix: "*", destinationPortRange: "443", ...rule }],
});
const workspace: Props = {
  resourceGroupName: "rg",
  workspaceName: "contoso-log-p",
  retentionInDays: 90,
  features: { disableLocalAuth: true },
  publicNetworkAccessForIngestion: "Disabled",
  publicNetworkAccessForQuery: "Disabled",
};
const privateComponent = with_(component, { publicNetworkAccessForIngestion: "Disabled", publicNetworkAccessForQuery: "Disabled" });
const deadLettered = set(eventSubscription, "deadLetterWithResourceIdentity", {
  identity: { type: "SystemAssigned" },
  deadLetterDestination: { endpointType: "StorageBlob", resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/contosostmsg", blobContainerName: "deadletter" },
});
const APP = "azuread:index/application:Application";
const SP = "azuread:index/servicePrincipal:ServicePrincipal";
const URI = "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri";
const APP_PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";
const entraApp: Props = { displayName: "orders", signInAudience: "AzureADMyOrg", api: { requestedAccessTokenVersion: 2 } };
const CLIENT_ID = "afb7fc2a-a536-4d67-aa4a-384f4304a467";
const WAIVE = (name: string) => ({ allow: [{ name, reason: "a reason long enough to be reviewed by a human" }] });

export const issue14Cases: RuleCase[] = [
  {
    rule: "apim-policy-document",
    compliant: [
      { type: OP_POLICY, props: policy(doc(choose(ESCAPED_EXPR))), note: "an xml document with XML-escaped expressions" },
      { type: OP_POLICY, props: policy(doc(choose(RAW_EXPR)), "rawxml"), note: "a rawxml document with raw expressions" },
      { type: OP_POLICY, props: policy(doc(`<set-body>@{ var s = "a)b}"; return s; }</set-body>`), "rawxml"), note: "brackets inside a C# string do not count" },
      { type: API_POLICY, props: policy(doc(""), undefined), note: "no format (xml by default)" },
      { type: GLOBAL_POLICY, props: policy("<policies><inbound /><backend><forward-request /></backend><outbound /><on-error /></policies>"), note: "a global policy without <base />" },
      { type: FRAGMENT, props: policy('<fragment><set-header name="x" exists-action="override"><value>1</value></set-header></fragment>'), note: "a fragment" },
      { type: API_POLICY, props: policy("https://policies.contoso.example/orders.xml", "rawxml-link"), note: "a link format with an https URL" },
    ],
    violating: [
      { type: OP_POLICY, props: policy(doc(choose(ESCAPED_EXPR)), "rawxml"), note: "an XML-escaped document sent as rawxml (issue 18 item 1)", expect: /format "rawxml" holds an XML-escaped policy expression \(&lt;/ },
      { type: OP_POLICY, props: policy(doc(choose(RAW_EXPR))), note: "raw expressions in an xml document", expect: /not well-formed XML.*format "rawxml"/ },
      { type: OP_POLICY, props: policy(doc('<set-variable name="n" value="@(context.Request.Url.Path.Length" />'), "rawxml"), note: "an unbalanced expression (rawxml)", expect: /never closes: its brackets are unbalanced/ },
      { type: OP_POLICY, props: policy(doc('<set-variable name="n" value="@(context.Request.Url.Path.Length" />')), note: "an unbalanced expression (xml)", expect: /never closes/ },
      { type: OP_POLICY, props: policy(doc("", "<outbound><base /></outbound>")), note: "a section twice", expect: /<outbound> appears 2 times/ },
      { type: OP_POLICY, props: policy(doc("<base />")), note: "<base /> twice in a section", expect: /<inbound> has <base \/> 2 times/ },
      { type: OP_POLICY, props: policy(doc('<choose><when condition="@(true)"><base /></when></choose>')), note: "<base /> inside <choose>", expect: /<base \/> inside <inbound\/choose\/when> is misplaced/ },
      { type: OP_POLICY, props: policy(doc("", "<inbound2 />")), note: "an unknown section", expect: /<policies> holds <inbound2>/ },
      { type: OP_POLICY, props: policy("<policy><inbound /></policy>"), note: "a wrong root", expect: /root element is <policy>/ },
      { type: OP_POLICY, props: policy(doc(""), "XML-raw"), note: "a format outside the enum", expect: /format "XML-raw" is not one of xml, xml-link, rawxml, rawxml-link/ },
      { type: OP_POLICY, props: policy(doc(""), "xml-link"), note: "a link format with inline content", expect: /needs value to be an https:\/\/ URL/ },
      { type: OP_POLICY, props: policy("<policies><inbound></policies>"), note: "an unclosed element", expect: /not well-formed XML/ },
    ],
    notApplicable: [{ type: T.api, props: api, note: "an API" }, storage],
  },
  {
    rule: "apim-policy-base",
    compliant: [
      { type: OP_POLICY, props: policy(doc("")), note: "every section keeps <base />" },
      { type: OP_POLICY, props: policy(doc("").replace("<backend><base /></backend>", "<backend><forward-request /></backend>")), config: WAIVE("res/backend"), note: "a section waived with a reason" },
    ],
    violating: [
      { type: OP_POLICY, props: policy(doc("").replace("<inbound><base />", "<inbound>")), note: "<base /> dropped from inbound", expect: /operation policy "res" drops <base \/> from <inbound>/ },
      { type: API_POLICY, props: policy(doc("").replace("<on-error><base /></on-error>", "")), note: "a section missing", expect: /API policy "res" has no <on-error> section/ },
      {
        type: OP_POLICY,
        props: policy(doc("").replace("<backend><base /></backend>", "<backend><forward-request /></backend>")),
        config: { allow: [{ name: "res/backend", reason: "short" }] },
        note: "a waiver without a real reason waives nothing",
        expect: /drops <base \/> from <backend>/,
      },
    ],
    notApplicable: [
      { type: GLOBAL_POLICY, props: policy("<policies><inbound /><backend><forward-request /></backend><outbound /><on-error /></policies>"), note: "the global policy (no parent scope)" },
      { type: FRAGMENT, props: policy("<fragment />"), note: "a fragment" },
      storage,
    ],
  },
  {
    rule: "apim-cors",
    compliant: [{ type: API_POLICY, props: policy(doc(cors("https://shop.contoso.example"))), note: "exact origins, methods and headers" }],
    violating: [
      { type: API_POLICY, props: policy(doc(cors("*"))), note: "any origin", expect: /allows <allowed-origins><origin>\*<\/origin>/ },
      { type: API_POLICY, props: policy(doc(cors("https://shop.contoso.example", "*"))), note: "any method", expect: /<allowed-methods><method>\*<\/method>/ },
    ],
    notApplicable: [{ type: API_POLICY, props: policy(doc("")), note: "a document without <cors>" }, storage],
  },
  {
    rule: "apim-backend-tls",
    compliant: [
      { type: T.backend, props: set(backend, "tls", { validateCertificateChain: true, validateCertificateName: true }), note: "certificate validation on" },
      { type: T.backend, props: backend, note: "tls unset (validation on by default)" },
      { type: API_POLICY, props: policy(doc('<set-backend-service base-url="https://contoso-func-orders-p.azurewebsites.net/api" />')), note: "an https base-url" },
      { type: API_POLICY, props: policy(doc('<set-backend-service base-url="{{orders-url}}" />')), note: "a named value (resolved at run time)" },
    ],
    violating: [
      { type: T.backend, props: set(backend, "tls", { validateCertificateChain: false }), note: "chain validation off", expect: /tls\.validateCertificateChain: false/ },
      { type: T.backend, props: set(backend, "tls", { validateCertificateName: false }), note: "name validation off", expect: /tls\.validateCertificateName: false/ },
      { type: API_POLICY, props: policy(doc('<set-backend-service base-url="http://orders.internal/api" />')), note: "an http base-url", expect: /sends requests to "http:\/\/orders\.internal\/api"/ },
      { type: OP_POLICY, props: policy(doc('<send-request mode="new" response-variable-name="r"><set-url>http://x.example/h</set-url></send-request>')), note: "send-request over http", expect: /http:\/\/x\.example\/h/ },
    ],
    notApplicable: [{ type: API_POLICY, props: policy(doc("")), note: "a document that sends no requests" }, storage],
  },
  {
    rule: "apim-product",
    compliant: [{ type: PRODUCT, props: product, note: "published, subscription and approval required" }],
    violating: [
      { type: PRODUCT, props: set(product, "approvalRequired", false), note: "published without approval", expect: /published with approvalRequired false/ },
      { type: PRODUCT, props: set(product, "approvalRequired", undefined), note: "approval unset", expect: /approvalRequired unset/ },
      { type: PRODUCT, props: set(product, "subscriptionRequired", false), note: "published without subscription", expect: /subscriptionRequired: false: anyone can call its APIs/ },
    ],
    notApplicable: [{ type: PRODUCT, props: set(product, "state", "notPublished"), note: "an unpublished product" }, storage],
  },
  {
    rule: "apim-https",
    compliant: [{ type: T.api, props: set(api, "serviceUrl", "https://x.example/api"), note: "an https serviceUrl" }],
    violating: [
      { type: T.api, props: set(api, "serviceUrl", "http://x.example/api"), note: "an http serviceUrl", expect: /serviceUrl "http:\/\/x\.example\/api"/ },
      { type: T.api, props: set(api, "protocols", ["HTTP", "HTTPS"]), note: "protocols in upper case (ARM enums ignore case)", expect: /has protocols \["HTTP","HTTPS"\]: use \["https"\]/ },
    ],
    notApplicable: [],
  },
  {
    rule: "apim-api-subscription",
    compliant: [
      {
        type: T.api,
        props: set(set(api, "apiId", "health"), "subscriptionRequired", false),
        note: "a keyless API allow-listed with a reason",
        config: { allow: [{ name: "health", reason: "probes send no key and get only status codes back" }] },
      },
    ],
    violating: [
      { type: T.api, props: set(set(api, "apiId", "catalog-v1"), "subscriptionRequired", false), note: "an API callable without a subscription key", expect: /apiId "catalog-v1"\) has subscriptionRequired: false: anyone can call it without a subscription key/ },
    ],
    notApplicable: [
      { type: T.api, props: set(api, "subscriptionRequired", true), note: "an API that requires a subscription" },
      { type: T.api, props: set(api, "subscriptionRequired", undefined), note: "subscriptionRequired unset (only an explicit false is judged)" },
      storage,
    ],
  },
  // ---------------------------------------------------------------- alert rules
  {
    rule: "alert-query-frequency",
    compliant: [
      { type: SCHEDULED_QUERY, props: { evaluationFrequency: "PT5M", windowSize: "PT15M" }, note: "every 5 minutes" },
      { type: SCHEDULED_QUERY, props: { evaluationFrequency: "PT1H" }, note: "hourly" },
    ],
    violating: [{ type: SCHEDULED_QUERY, props: { evaluationFrequency: "PT1M" }, note: "every minute", expect: /evaluationFrequency "PT1M": a query every minute costs more/ }],
    notApplicable: [{ type: METRIC_ALERT, props: { evaluationFrequency: "PT1M" }, note: "a metric alert (minute-level is what they are for)" }],
  },
  {
    rule: "alert-auto-mitigate",
    compliant: [
      { type: METRIC_ALERT, props: { autoMitigate: true }, note: "auto-resolving" },
      { type: METRIC_ALERT, props: {}, note: "unset (the service default resolves)" },
    ],
    violating: [{ type: METRIC_ALERT, props: { autoMitigate: false }, note: "resolved by hand only", expect: /autoMitigate: false: each fired alert stays open/ }],
    notApplicable: [{ type: SCHEDULED_QUERY, props: { autoMitigate: false }, note: "a log search alert rule" }],
  },
  // ---------------------------------------------------------------- RBAC
  {
    rule: "rbac-custom-role",
    compliant: [
      { type: ROLE_DEF, props: customRole(["Microsoft.Storage/storageAccounts/queueServices/queues/read"]), note: "exact actions" },
      { type: COSMOS_ROLE_DEF, props: { permissions: [{ dataActions: ["Microsoft.DocumentDB/databaseAccounts/readMetadata", "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read"] }] }, note: "a Cosmos read role" },
    ],
    violating: [
      { type: ROLE_DEF, props: customRole(["*"]), note: '"*" actions', expect: /grants "\*" in permissions/ },
      { type: ROLE_DEF, props: customRole(["Microsoft.Authorization/*"]), note: "Microsoft.Authorization/*", expect: /"Microsoft\.Authorization\/\*"/ },
      { type: COSMOS_ROLE_DEF, props: { permissions: [{ dataActions: ["Microsoft.DocumentDB/databaseAccounts/*"] }] }, note: "a whole Cosmos account", expect: /databaseAccounts\/\*/ },
    ],
    notApplicable: [storage],
  },
  // ---------------------------------------------------------------- secrets
  {
    rule: "no-plaintext-secrets",
    compliant: [
      { type: T.backend, props: backend, note: "a back end without credentials in its URL" },
      { type: T.secret, props: set(secret, "properties.value", "AccountKey=stored-in-key-vault-is-fine"), note: "a Key Vault secret's value (the secret store)" },
      { type: NAMED_VALUE, props: { displayName: "payment-key", keyVault: { secretIdentifier: "https://v.vault.azure.net/secrets/k" } }, note: "a Key Vault-backed named value" },
      {
        type: OP_POLICY_TYPE,
        props: { format: "xml", value: opDoc('<set-header name="x-functions-key" exists-action="override"><value>{{orders-function-key}}</value></set-header><set-header name="X-Caller-Roles" exists-action="override"><value>@(context.User.Id)</value></set-header><set-header name="Ocp-Apim-Subscription-Key" exists-action="delete" />') },
        note: "a policy that sends a key from a named value, computes a header and deletes one",
      },
      {
        type: OP_POLICY_TYPE,
        props: { format: "xml", value: opDoc('<validate-jwt header-name="Authorization"><issuer-signing-keys><key>{{jwt-signing-key}}</key></issuer-signing-keys></validate-jwt>') },
        note: "a validate-jwt whose signing key comes from a named value",
      },
    ],
    violating: [
      { type: T.backend, props: set(backend, "url", "https://x.blob.core.windows.net/c?sv=2022-11-02&sig=AbCdEfGhIjKlMn%2Bop%3D"), note: "a SAS URL", expect: /holds a SAS token \(sig=… in a URL\) in url/ },
      { type: T.backend, props: set(backend, "description", "AccountName=x; Account Key = c2VjcmV0c2VjcmV0c2VjcmV0"), note: "a spaced, mixed-case account key", expect: /account key \(AccountKey=…\) in description/ },
      { type: T.backend, props: set(backend, "description", Buffer.from("Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=c2VjcmV0c2VjcmV0").toString("base64")), note: "a key hidden in base64", expect: /shared access key \(SharedAccessKey=…\), base64-encoded/ },
      { type: T.backend, props: set(backend, "credentials", { header: { "x-secret": ["abc8Q~AbCdEfGhIjKlMnOpQrStUvWxYz01234567"] } }), note: "an Entra client secret", expect: /an Entra ID client secret in credentials\.header\.x-secret\[0\]/ },
      { type: T.backend, props: set(backend, "url", "https://orders.azurewebsites.net/api/x?code=aBcDeFgHiJkLmNoPqRsTuVwXyZ012345=="), note: "a function key in a URL", expect: /function key/ },
      { type: NAMED_VALUE, props: { displayName: "payment-api-key", secret: true, value: "9f8e7d6c5b4a39281706" }, note: "a secret-named value kept in API Management", expect: /store it in Key Vault/ },
      { type: T.backend, props: set(backend, "description", "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9wYXkifQ.c2lnbmF0dXJlc2lnbmF0dXJl"), note: "a bearer token (JWT)", expect: /a bearer token \(JWT\) in description/ },
      {
        type: OP_POLICY_TYPE,
        props: { format: "xml", value: opDoc('<set-header name="x-functions-key" exists-action="override"><value>Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFi</value></set-header>') },
        note: "a policy that sends a literal function key header",
        expect: /sends <set-header name="x-functions-key"> with a literal value/,
      },
      {
        type: OP_POLICY_TYPE,
        props: { format: "rawxml", value: opDoc('<set-query-parameter name="code" exists-action="override"><value>aBcDeFgHiJkLmNoP</value></set-query-parameter>') },
        note: "a rawxml policy that sends a literal code= query parameter",
        expect: /sends <set-query-parameter name="code"> with a literal value/,
      },
      {
        type: OP_POLICY_TYPE,
        props: { format: "xml", value: opDoc('<authentication-basic username="svc" password="Winter2026!" />') },
        note: "a policy with a literal basic-auth password",
        expect: /sends <authentication-basic> with a literal password/,
      },
      {
        type: OP_POLICY_TYPE,
        props: { format: "xml", value: opDoc('<validate-jwt header-name="Authorization"><issuer-signing-keys><key>c2lnbmluZy1rZXktMjAyNg==</key></issuer-signing-keys></validate-jwt>') },
        note: "a validate-jwt with a literal symmetric signing key",
        expect: /sends <issuer-signing-keys> with a literal <key>/,
      },
    ],
    notApplicable: [{ type: "random:index/randomPassword:RandomPassword", props: {}, note: "a non-Azure resource" }],
  },
  {
    rule: "func-kv-refs",
    compliant: [],
    violating: [
      { type: T.appSettings, props: { name: "x", resourceGroupName: "rg", properties: { PAYMENT_API_KEY: "pk_live_3f9a7c1e55d2" } }, note: "a *KEY* setting in plain text", expect: /PAYMENT_API_KEY holds a value in plain text although its name says it is a secret/ },
      { type: T.appSettings, props: { name: "x", resourceGroupName: "rg", properties: { smtpPassword: "Winter2026!" } }, note: "a camelCase *Password* setting", expect: /smtpPassword/ },
      { type: T.appSettings, props: { name: "x", resourceGroupName: "rg", properties: { ARCHIVE: "accountname=x; accountkey = abcdEFGH1234==" } }, note: "a lower-case spaced account key", expect: /ARCHIVE holds a key \(AccountKey=…\)/ },
      { type: T.appSettings, props: { name: "x", resourceGroupName: "rg", properties: { TEMPLATES: "https://t.blob.core.windows.net/c?sp=r&sig=q2Xc1%2F9aBcDeFgHiJk%3D" } }, note: "a SAS URL", expect: /TEMPLATES holds a SAS token/ },
    ],
    notApplicable: [],
  },
  {
    rule: "func-kv-refs",
    compliant: [
      {
        type: T.appSettings,
        props: {
          name: "x",
          resourceGroupName: "rg",
          properties: {
            PAYMENT_API_KEY: "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/payment/)",
            KEY_VAULT_URL: "https://v.vault.azure.net",
            IDEMPOTENCY_KEY_TTL_SECONDS: "86400",
            TOKEN_ENDPOINT: "https://login.microsoftonline.com/t/oauth2/v2.0/token",
            QUEUES__credential: "managedidentity",
          },
        },
        note: "secret-named settings that are Key Vault references, URLs, durations or identity switches",
      },
    ],
    violating: [],
    notApplicable: [],
  },
  {
    rule: "kv-secret-expiry",
    compliant: [],
    violating: [{ type: T.secret, props: set(secret, "properties.attributes", undefined), note: "no attributes at all (mandatory in prod)", expect: /a leaked copy stays valid forever/ }],
    notApplicable: [],
  },
  // ---------------------------------------------------------------- network exposure
  {
    rule: "eg-public-access",
    compliant: [
      { type: T.topic, props: set(topic, "publicNetworkAccess", "Disabled"), note: "public network access disabled" },
      { type: T.topic, props: with_(topic, { publicNetworkAccess: "Enabled", inboundIpRules: [{ ipMask: "203.0.113.0/24", action: "Allow" }] }), note: "inbound IP rules" },
      { type: T.topic, props: set(topic, "publicNetworkAccess", "Enabled"), config: WAIVE("res"), note: "a topic waived with a reason" },
    ],
    violating: [
      { type: T.topic, props: set(topic, "publicNetworkAccess", "Enabled"), note: "public", expect: /Event Grid topic "res" has publicNetworkAccess "Enabled" and no inboundIpRules/ },
      { type: T.domain, props: topic, note: "a domain with publicNetworkAccess unset", expect: /Event Grid domain "res" has publicNetworkAccess unset/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "appi-public-network",
    compliant: [
      { type: T.component, props: privateComponent, note: "public ingestion and query disabled" },
      { type: T.component, props: component, config: { allow: [{ name: "res/ingestion", reason: "the gateway ingests from outside the VNet" }, { name: "res/query", reason: "operators query from the portal" }] }, note: "both waived with reasons" },
    ],
    violating: [
      { type: T.component, props: component, note: "both unset", expect: /Application Insights "res" has publicNetworkAccessFor(Ingestion|Query) unset \(unset means Enabled\)/ },
      { type: T.component, props: set(privateComponent, "publicNetworkAccessForQuery", "Enabled"), note: "query enabled", expect: /publicNetworkAccessForQuery "Enabled"/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "law-public-network",
    compliant: [{ type: T.workspace, props: workspace, note: "public ingestion and query disabled" }],
    violating: [{ type: T.workspace, props: set(workspace, "publicNetworkAccessForIngestion", "Enabled"), note: "ingestion enabled", expect: /Log Analytics workspace "res" has publicNetworkAccessForIngestion "Enabled"/ }],
    notApplicable: [storage],
  },
  {
    rule: "subnet-nsg",
    compliant: [
      { type: VNET, props: vnet(privateSubnet), note: "a subnet with an NSG" },
      { type: VNET, props: set(vnet({ defaultOutboundAccess: false }), "subnets.0.name", "GatewaySubnet"), note: "GatewaySubnet (cannot take an NSG)" },
      { type: SUBNET, props: { subnetName: "apps", virtualNetworkName: "vnet", ...privateSubnet }, note: "a separate subnet resource" },
    ],
    violating: [
      { type: VNET, props: vnet({ defaultOutboundAccess: false }), note: "an inline subnet without NSG", expect: /subnet "apps" of virtual network "res" has no networkSecurityGroup/ },
      { type: SUBNET, props: { subnetName: "apps", virtualNetworkName: "vnet", defaultOutboundAccess: false }, note: "a separate subnet without NSG", expect: /subnet "res" \(apps\) has no networkSecurityGroup/ },
    ],
    notApplicable: [{ type: VNET, props: set(vnet({}), "subnets", []), note: "a VNet without subnets" }, storage],
  },
  {
    rule: "subnet-default-outbound",
    compliant: [{ type: VNET, props: vnet(privateSubnet), note: "a private subnet" }],
    violating: [
      { type: VNET, props: vnet({ networkSecurityGroup: { id: NSG_ID } }), note: "defaultOutboundAccess unset", expect: /defaultOutboundAccess unset/ },
      { type: VNET, props: vnet({ ...privateSubnet, defaultOutboundAccess: true }), note: "defaultOutboundAccess true", expect: /defaultOutboundAccess true/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "nsg-open-inbound",
    compliant: [
      { type: NSG, props: nsgRule({ sourceAddressPrefix: "ApiManagement" }), note: "inbound from a service tag" },
      { type: NSG, props: nsgRule({ sourceAddressPrefix: "*", access: "Deny" }), note: "a deny rule from anywhere" },
      { type: NSG, props: { resourceGroupName: "rg", networkSecurityGroupName: "nsg" }, note: "no custom rules" },
      { type: NSG, props: nsgRule({ sourceAddressPrefixes: ["0.0.0.0/1", "10.0.0.0/8"] }), note: "half the IPv4 space and a private range (not every address)" },
    ],
    violating: [
      { type: NSG, props: nsgRule({ sourceAddressPrefix: "Internet" }), note: "from Internet", expect: /rule "r" allows inbound 443 from "Internet"/ },
      { type: NSG, props: nsgRule({ sourceAddressPrefixes: ["10.0.0.0/8", "0.0.0.0/0"], destinationPortRange: "22" }), note: "0.0.0.0/0 among prefixes", expect: /allows inbound 22 from "0\.0\.0\.0\/0"/ },
      { type: "azure-native:network:SecurityRule", props: { direction: "Inbound", access: "Allow", sourceAddressPrefix: "*", destinationPortRange: "3389" }, note: "a separate rule from *", expect: /security rule "res" allows inbound 3389 from "\*"/ },
      {
        type: NSG,
        props: nsgRule({ sourceAddressPrefixes: ["0.0.0.0/1", "128.0.0.0/1"] }),
        note: "two half-internet ranges in one rule",
        expect: /rule "r" allows inbound 443 from "0\.0\.0\.0\/1" \+ "128\.0\.0\.0\/1", which together cover every address/,
      },
      {
        type: NSG,
        props: {
          resourceGroupName: "rg",
          networkSecurityGroupName: "nsg",
          securityRules: [
            { name: "low", direction: "Inbound", access: "Allow", priority: 100, protocol: "Tcp", sourceAddressPrefix: "0.0.0.0/1", destinationPortRange: "443" },
            { name: "high", direction: "Inbound", access: "Allow", priority: 110, protocol: "Tcp", sourceAddressPrefix: "128.0.0.0/1", destinationPortRange: "443" },
          ],
        },
        note: "two rules whose halves add up to the internet",
        expect: /rules "low", "high" together allow inbound from "0\.0\.0\.0\/1" \+ "128\.0\.0\.0\/1", which cover every address/,
      },
    ],
    notApplicable: [storage],
  },
  {
    rule: "st-cross-tenant",
    compliant: [{ type: T.storage, props: storageAccount, note: "allowCrossTenantReplication false" }],
    violating: [{ type: T.storage, props: set(storageAccount, "allowCrossTenantReplication", undefined), note: "unset", expect: /allowCrossTenantReplication unset/ }],
    notApplicable: [{ type: T.topic, props: topic, note: "a topic" }],
  },
  // ---------------------------------------------------------------- logging and reliability
  {
    rule: "law-retention",
    compliant: [
      { type: T.workspace, props: workspace, note: "90 days" },
      { type: T.workspace, props: set(workspace, "retentionInDays", undefined), note: "unset (30 days by default)" },
    ],
    violating: [{ type: T.workspace, props: set(workspace, "retentionInDays", 7), note: "7 days", expect: /retentionInDays 7/ }],
    notApplicable: [storage],
  },
  {
    rule: "law-local-auth",
    compliant: [{ type: T.workspace, props: workspace, note: "local auth off" }],
    violating: [{ type: T.workspace, props: set(workspace, "features", {}), note: "features.disableLocalAuth unset", expect: /features\.disableLocalAuth unset/ }],
    notApplicable: [storage],
  },
  {
    rule: "eg-dead-letter",
    compliant: [{ type: T.eventSub, props: deadLettered, note: "dead-letters with the topic's identity" }],
    violating: [{ type: T.eventSub, props: eventSubscription, note: "no dead-letter destination", expect: /subscription "res" has no dead-letter destination/ }],
    notApplicable: [{ type: T.eventSub, props: { scope: "x" }, note: "a subscription without destination" }, storage],
  },
  {
    rule: "st-replication",
    compliant: [
      { type: T.storage, props: storageAccount, note: "Standard_ZRS" },
      { type: T.storage, props: set(storageAccount, "sku.name", "Standard_LRS"), config: WAIVE("res"), note: "LRS recorded with a reason" },
    ],
    violating: [
      { type: T.storage, props: set(storageAccount, "sku.name", "Standard_LRS"), note: "Standard_LRS", expect: /sku\.name "Standard_LRS"/ },
      { type: T.storage, props: set(storageAccount, "sku", undefined), note: "no sku", expect: /sku\.name unset/ },
    ],
    notApplicable: [{ type: T.topic, props: topic, note: "a topic" }],
  },
  // ---------------------------------------------------------------- Entra applications
  {
    rule: "entra-single-tenant",
    compliant: [
      { type: APP, props: entraApp, note: "AzureADMyOrg" },
      { type: APP, props: set(entraApp, "signInAudience", undefined), note: "unset (the provider's default is AzureADMyOrg)" },
    ],
    violating: [
      { type: APP, props: set(entraApp, "signInAudience", "AzureADMultipleOrgs"), note: "multi-tenant", expect: /signInAudience "AzureADMultipleOrgs"/ },
      { type: APP_REGISTRATION, props: { displayName: "x", signInAudience: "AzureADandPersonalMicrosoftAccount" }, note: "an ApplicationRegistration open to personal accounts", expect: /signInAudience "AzureADandPersonalMicrosoftAccount"/ },
    ],
    notApplicable: [{ type: SP, props: { clientId: CLIENT_ID }, note: "a service principal" }],
  },
  {
    rule: "entra-no-implicit-grant",
    compliant: [
      { type: APP, props: entraApp, note: "no web block" },
      { type: APP, props: set(entraApp, "web", { implicitGrant: { accessTokenIssuanceEnabled: false, idTokenIssuanceEnabled: false } }), note: "implicit grant switched off" },
      { type: APP_REGISTRATION, props: { displayName: "x", implicitAccessTokenIssuanceEnabled: false }, note: "an ApplicationRegistration without implicit tokens" },
    ],
    violating: [
      { type: APP, props: set(entraApp, "web", { implicitGrant: { accessTokenIssuanceEnabled: true } }), note: "access tokens through the implicit flow", expect: /web\.implicitGrant\.accessTokenIssuanceEnabled: true/ },
      { type: APP_REGISTRATION, props: { displayName: "x", implicitIdTokenIssuanceEnabled: true }, note: "ID tokens through the implicit flow (ApplicationRegistration)", expect: /implicitIdTokenIssuanceEnabled: true/ },
    ],
    notApplicable: [{ type: SP, props: { clientId: CLIENT_ID }, note: "a service principal" }],
  },
  {
    rule: "entra-assignment-required",
    compliant: [{ type: SP, props: { clientId: CLIENT_ID, appRoleAssignmentRequired: true }, note: "assignment required" }],
    violating: [{ type: SP, props: { clientId: CLIENT_ID }, note: "unset", expect: /appRoleAssignmentRequired unset: any identity of the tenant/ }],
    notApplicable: [{ type: APP, props: entraApp, note: "an application" }],
  },
  {
    rule: "entra-no-passwords",
    compliant: [{ type: APP, props: entraApp, note: "an application without password" }],
    violating: [
      { type: APP_PASSWORD, props: { applicationId: "/applications/x" }, note: "an ApplicationPassword", expect: /ApplicationPassword "res" creates a client secret/ },
      { type: APP, props: set(entraApp, "password", { displayName: "ci" }), note: "an inline password", expect: /declares a password credential/ },
      { type: APP, props: set(entraApp, "passwords", [{ displayName: "ci" }]), note: "the plural spelling", expect: /declares a password credential \(passwords\)/ },
    ],
    notApplicable: [{ type: SP, props: { clientId: CLIENT_ID }, note: "a service principal" }],
  },
  {
    rule: "entra-identifier-uri",
    compliant: [
      { type: URI, props: { applicationId: "/applications/x", identifierUri: `api://${CLIENT_ID}` }, note: "api://<client id>" },
      { type: URI, props: { applicationId: "/applications/x", identifierUri: "https://api.contoso.com/orders" }, config: { verifiedDomains: ["contoso.com"] }, note: "https on a verified domain" },
      { type: URI, props: { applicationId: "/applications/x", identifierUri: `api://orders/${CLIENT_ID}` }, note: "api://<string>/<client id>" },
      { type: URI, props: { applicationId: "/applications/x", identifierUri: "api://contoso.com/orders" }, config: { verifiedDomains: ["contoso.com"] }, note: "api:// on a verified domain" },
      { type: URI, props: { applicationId: "/applications/x", identifierUri: "https://contoso.onmicrosoft.com/orders" }, config: { verifiedDomains: ["contoso.onmicrosoft.com"] }, note: "https on the listed initial domain" },
    ],
    violating: [
      { type: URI, props: { applicationId: "/applications/x", identifierUri: "https://orders.contoso-apis.net" }, note: "https on an unverified domain", expect: /not a verified domain/ },
      { type: URI, props: { applicationId: "/applications/x", identifierUri: "orders-api" }, note: "no scheme", expect: /neither api:\/\/<application id or tenant id>/ },
      { type: APP, props: set(entraApp, "identifierUris", ["api://orders"]), note: "api:// without an id", expect: /"api:\/\/orders"/ },
      { type: URI, props: { applicationId: "/applications/x", identifierUri: "api://orders/not-a-client-id" }, note: "api://<string>/<not an id>", expect: /no application or tenant id/ },
      { type: URI, props: { applicationId: "/applications/x", identifierUri: `api://contoso-apis.net/${CLIENT_ID}/v2` }, note: "an id not at the end, on an unverified host", expect: /"contoso-apis.net" is not a verified domain/ },
      { type: URI, props: { applicationId: "/applications/x", identifierUri: "https://fabrikam.onmicrosoft.com/orders" }, config: { verifiedDomains: ["contoso.onmicrosoft.com"] }, note: "another tenant's initial domain", expect: /initial domain counts/ },
    ],
    notApplicable: [{ type: APP, props: entraApp, note: "an application without identifierUris" }],
  },
];
