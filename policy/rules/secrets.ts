/**
 * Secrets in disguise: credentials that do not look like `AccountKey=` at first sight. One detector
 * serves the app-setting rule (`func-kv-refs`) and the rule over every resource property
 * (`no-plaintext-secrets`).
 *
 * Shapes recognised, and where each comes from:
 * - storage/Service Bus/Event Hubs connection-string keys (`AccountKey=`, `SharedAccessKey=`,
 *   `SharedAccessSignature=`), in any case and with spaces around `=`;
 * - SAS tokens in URLs: the `sig=` query parameter carries the signature (Microsoft Learn, "Create a
 *   service SAS": sig is the HMAC of the string-to-sign), also URL-encoded (`sig%3D`);
 * - Entra ID client secrets: three characters, a digit, `Q~`, then 31-34 characters (the shape secret
 *   scanners match, e.g. gitleaks' `azure-ad-client-secret` rule);
 * - PEM private keys, GitHub tokens (`ghp_`/`github_pat_`), AWS access key ids, bearer tokens (JWTs);
 * - in API Management policy documents, a credential header or query parameter (function key,
 *   subscription key, Authorization, a secret-named one), an authentication-basic password or a
 *   validate-jwt signing/decryption key written as a literal instead of an expression or a Key Vault-backed named value;
 * - any of the above hidden in a base64 value (decoded and checked again).
 */
import { policyScopeOf } from "./apim";
import { parsePolicyDocument, walk, type PolicyNode } from "./apim-xml";
import { UNKNOWN, peek, resourcePolicy, type PlatformPolicy } from "./common";
import { isKeyVaultReference, secretShape } from "./secret-shapes";

export { isKeyVaultReference, secretShape } from "./secret-shapes";

/** Words in a setting name: `PAYMENT_API_KEY`, `paymentApiKey`, `Payment__ApiKey` → PAYMENT, API, KEY. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toUpperCase());
}

const SECRET_WORD = /^(?:.*SECRETS?|.*PASSWORD|PASSWD|PWD|.*TOKEN|.*KEYS?|CREDENTIALS?|APIKEY|.*CONNECTIONSTRING)$/;
/** Last words that describe something about a secret, not the secret: KEY_VAULT_URL, TOKEN_ENDPOINT, IDEMPOTENCY_KEY_TTL_SECONDS. */
const DESCRIPTIVE = new Set(["URL", "URI", "ENDPOINT", "HOST", "NAME", "ID", "CLIENTID", "TTL", "SECONDS", "MINUTES", "HOURS", "DAYS", "HEADER", "VERSION", "LENGTH", "COUNT", "PATH", "TYPE", "ENABLED", "AUDIENCE", "SCOPE", "ISSUER", "EXPIRY", "VAULT", "CREDENTIAL"]);

/** Whether a setting's name says it holds a secret (`*SECRET*`, `*PASSWORD*`, `*KEY*`, `*TOKEN*`). */
export function secretNamed(name: string): boolean {
  const ws = words(name);
  if (ws.length === 0) return false;
  // Identity-based connections: <CONN>__credential = managedidentity, <CONN>__clientId.
  if (/__(credential|clientid|tenantid)$/i.test(name)) return false;
  const last = ws[ws.length - 1]!;
  if (DESCRIPTIVE.has(last)) return false;
  const i = ws.findIndex((w) => SECRET_WORD.test(w));
  if (i < 0) return false;
  // KEY_VAULT_*: a vault, not a key.
  return !(ws[i] === "KEY" && ws[i + 1] === "VAULT");
}

/** Values that cannot be a secret: empty, a Key Vault reference, booleans, small numbers. */
function harmless(value: string): boolean {
  const v = value.trim();
  return v.length === 0 || isKeyVaultReference(v) || /^(true|false)$/i.test(v) || /^\d{1,9}$/.test(v);
}

/**
 * Why the app setting `name` = `value` holds a secret in plain text, or undefined. Its value is
 * checked for secret shapes; a name that says "secret" needs a Key Vault reference as its value.
 */
export function plaintextSecretSetting(name: string, value: string): string | undefined {
  if (isKeyVaultReference(value)) return undefined;
  const shape = secretShape(value);
  if (shape) return shape;
  if (secretNamed(name) && !harmless(value)) return `a value in plain text although its name says it is a secret`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// API Management policy documents: credentials written into the gateway's requests
// ---------------------------------------------------------------------------------------------

/**
 * Header and query parameter names that carry a credential whatever they hold: an Azure Functions
 * key (`x-functions-key` header or `code` query parameter; Microsoft Learn, "Azure Functions HTTP
 * trigger", API key authorization), an API Management subscription key (`Ocp-Apim-Subscription-Key`,
 * `subscription-key`; Microsoft Learn, "Subscriptions in Azure API Management"), a SAS signature
 * (`sig`), and `Authorization`.
 */
const CREDENTIAL_CARRIER = /^(x-functions-key|code|ocp-apim-subscription-key|subscription-key|sig|authorization|x-api-key|api-key)$/i;

/** A value the gateway computes or looks up at run time: a policy expression or a named value `{{name}}`. */
const computed = (v: string): boolean => /^@[({]/.test(v.trim()) || /^\{\{[^{}]+\}\}$/.test(v.trim());

/**
 * Credentials a policy document writes in plain text: a literal value of a set-header /
 * set-query-parameter that carries one (by name), a literal password of authentication-basic
 * (Microsoft Learn, "authentication-basic" policy: username and password attributes), and a literal
 * signing or decryption key of validate-jwt.
 */
export function policyDocumentSecrets(root: PolicyNode): string[] {
  const found: string[] = [];
  for (const node of walk(root)) {
    if (node.name === "authentication-basic") {
      const password = node.attrs["password"];
      if (password !== undefined && !computed(password) && !harmless(password)) found.push("<authentication-basic> with a literal password");
    }
    // validate-jwt's <issuer-signing-keys>/<decryption-keys> take <key> elements: a literal base64 value
    // is a symmetric key (Microsoft Learn, "validate-jwt" policy: key elements, "Base64-encoded key").
    if (node.name === "issuer-signing-keys" || node.name === "decryption-keys") {
      for (const key of node.children.filter((c) => c.name === "key")) {
        if (key.text.length > 0 && !computed(key.text)) found.push(`<${node.name}> with a literal <key>`);
      }
    }
    if (node.name !== "set-header" && node.name !== "set-query-parameter") continue;
    const name = node.attrs["name"] ?? "";
    if (!CREDENTIAL_CARRIER.test(name) && !secretNamed(name)) continue;
    for (const v of node.children.filter((c) => c.name === "value")) {
      if (computed(v.text) || harmless(v.text)) continue;
      found.push(`<${node.name} name="${name}"> with a literal value`);
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Every property of every resource
// ---------------------------------------------------------------------------------------------

/** Properties where a secret is expected (they are the secret store) or that are not configuration. */
const EXEMPT: Readonly<Record<string, readonly string[]>> = {
  "azure-native:keyvault:Secret": ["properties.value"],
};

/** Every string in `value` with its dotted path (reads through unknowns). */
function* strings(value: unknown, path: string, depth = 0): Generator<[string, string]> {
  if (depth > 12) return;
  const v = peek(() => value);
  if (v === UNKNOWN || v === null || v === undefined) return;
  if (typeof v === "string") {
    yield [path, v];
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) yield* strings(peek(() => v[i]), `${path}[${i}]`, depth + 1);
    return;
  }
  if (typeof v === "object") {
    for (const k of Object.keys(v)) {
      if (k.startsWith("__")) continue; // dynamic providers' serialized code, Pulumi internals
      yield* strings(peek(() => (v as Record<string, unknown>)[k]), path ? `${path}.${k}` : k, depth + 1);
    }
  }
}

export const noPlaintextSecrets = resourcePolicy({
  name: "no-plaintext-secrets",
  description:
    "No resource property holds a credential in plain text, however written: keys in connection strings (any case or spacing), SAS signatures in URLs, Entra client secrets, private keys, tokens, or any of them base64-encoded.",
  severity: "high",
  anchors: ["Azure.Deployment.SecureValue", "Azure.APIM.EncryptValues"],
  remediationSteps:
    "Use managed identities (identity-based connections, authentication-managed-identity, deliveryWithResourceIdentity) instead of keys; where a secret is unavoidable keep it in Key Vault and reference it (@Microsoft.KeyVault(SecretUri=…), APIM named values with keyVault.secretIdentifier).",
  validateResource: (args, report) => {
    if (!args.type.startsWith("azure-native:") && !args.type.startsWith("azuread:")) return args.notApplicable("not an Azure resource");
    const exempt = EXEMPT[args.type] ?? [];
    for (const [path, value] of strings(args.props, "")) {
      if (exempt.includes(path) || value.length < 8 || isKeyVaultReference(value)) continue;
      const shape = secretShape(value);
      if (shape) report(`${args.type.split(":").pop()} "${args.name}" holds ${shape} in ${path}: anyone who can read the deployment can use it. Use a managed identity, or keep the secret in Key Vault and reference it.`);
    }
    // APIM policy documents: a credential header or query parameter set to a literal.
    const value = peek(() => args.props["value"]);
    const format = peek(() => args.props["format"]);
    if (policyScopeOf(args.type) && typeof value === "string" && (format === undefined || typeof format === "string")) {
      const root = parsePolicyDocument(value, format).root;
      for (const found of root ? policyDocumentSecrets(root) : []) {
        report(
          `${args.type.split(":").pop()} "${args.name}" sends ${found}: the credential sits in plain text in the policy (and the deployment). ` +
            "Authenticate with <authentication-managed-identity>, or keep the secret in a Key Vault-backed named value and write {{named-value}}.",
        );
      }
    }
    // APIM named values: a secret-looking name needs a Key Vault-backed value.
    if (/apimanagement(?:\/v[^:]+)?:(Workspace)?NamedValue$/.test(args.type)) {
      const name = peek(() => args.props["displayName"]);
      const value = peek(() => args.props["value"]);
      const kv = peek(() => args.props["keyVault"]);
      if (typeof name === "string" && typeof value === "string" && kv === undefined && secretNamed(name) && !harmless(value)) {
        report(`API Management named value "${args.name}" (${name}) keeps a secret-named value in API Management: store it in Key Vault and set keyVault.secretIdentifier instead of value.`);
      }
    }
  },
});

export const secretPolicies: PlatformPolicy[] = [noPlaintextSecrets];
