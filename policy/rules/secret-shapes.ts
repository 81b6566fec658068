/**
 * What a secret looks like in a configuration value: the markers of key-based connection strings and
 * SAS tokens, and the shapes of credentials in disguise. Sources: Microsoft Learn, "Configure Azure
 * Storage connection strings" (AccountKey=, SharedAccessSignature=), "Service Bus / Event Hubs
 * authentication with SAS" (SharedAccessKey=), "Create a service SAS" (`sig` is the HMAC of the
 * string-to-sign), "Use Key Vault references as app settings" (@Microsoft.KeyVault(SecretUri=…) /
 * (VaultName=…;SecretName=…)); Entra client secrets: three characters, a digit, `Q~`, then 31-34
 * characters (the shape secret scanners match, e.g. gitleaks' `azure-ad-client-secret` rule); bearer
 * tokens (JWTs): base64url header and payload, each the encoding of a JSON object and so starting
 * with `eyJ` (`{"`), and a signature, joined by dots (RFC 7519 section 3, RFC 7515 compact form).
 *
 * One text, two copies: components/function-app/secret-shapes.ts (the Function App refuses such
 * settings at plan time) and policy/rules/secret-shapes.ts (the policy pack is published alone and
 * imports nothing outside policy/) are byte-identical; test/one-fact-one-place.test.ts fails when they
 * differ. Edit one, copy it over the other. No imports here, so the copy stands alone.
 */

interface KeyMarker {
  readonly marker: string;
  readonly pattern: RegExp;
  readonly what: string;
}

/** Fragments that only occur in key-based connection strings, whatever the value's length. */
export const CONNECTION_STRING_KEY_MARKERS: readonly KeyMarker[] = [
  { marker: "AccountKey=", pattern: /AccountKey\s*=/i, what: "an account key (AccountKey=)" },
  { marker: "SharedAccessKey=", pattern: /SharedAccessKey\s*=/i, what: "a shared access key (SharedAccessKey=)" },
  { marker: "SharedAccessSignature=", pattern: /SharedAccessSignature\s*=/i, what: "a shared access signature (SharedAccessSignature=)" },
];

/** A SAS token's signature parameter, however short its value. */
export const SAS_SIGNATURE_MARKER: KeyMarker = { marker: "sig=", pattern: /(^|[?&;\s])sig\s*=/i, what: "a SAS token (sig=)" };

/** The connection-string key marker `value` carries, if any (`withSas`: the SAS signature too). */
export function keyMarkerIn(value: string, withSas = true): KeyMarker | undefined {
  return [...CONNECTION_STRING_KEY_MARKERS, ...(withSas ? [SAS_SIGNATURE_MARKER] : [])].find((m) => m.pattern.test(value));
}

interface Shape {
  readonly label: string;
  readonly test: (normalized: string, raw: string) => boolean;
}

const SHAPES: readonly Shape[] = [
  { label: "a storage/messaging account key (AccountKey=…)", test: (n) => /accountkey=[^;]{8,}/.test(n) },
  { label: "a shared access key (SharedAccessKey=…)", test: (n) => /sharedaccesskey=[^;]{8,}/.test(n) },
  { label: "a shared access signature (SharedAccessSignature=…)", test: (n) => /sharedaccesssignature=/.test(n) },
  { label: "a SAS token (sig=… in a URL)", test: (n) => /(?:^|[?&;])sig(?:=|%3d)[a-z0-9%+/=]{10,}/.test(n) },
  { label: "a function key (code=… in a URL)", test: (n) => /[?&]code(?:=|%3d)[a-z0-9_%=-]{20,}/.test(n) },
  { label: "an Entra ID client secret", test: (_n, raw) => /(?:^|[^A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?:$|[^A-Za-z0-9_~.-])/.test(raw) },
  { label: "a private key (PEM)", test: (n) => /-----begin([a-z]+)?privatekey-----/.test(n) },
  { label: "a GitHub token", test: (_n, raw) => /\b(?:ghp|gho|ghs|ghu)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{40,}/.test(raw) },
  { label: "an AWS access key id", test: (_n, raw) => /\bAKIA[0-9A-Z]{16}\b/.test(raw) },
  { label: "a bearer token (JWT)", test: (_n, raw) => /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(raw) },
  { label: "a password in a connection string (Password=…)", test: (n) => /(?:^|;)(?:password|pwd)=[^;]{4,}/.test(n) },
];

/** Lower case without whitespace: "Account Key = x" and "accountkey=x" read the same. */
const normalize = (v: string): string => v.toLowerCase().replace(/\s+/g, "");

const BASE64_RUN = /[A-Za-z0-9+/_-]{24,}={0,2}/g;

function printable(s: string): boolean {
  if (s.length === 0) return false;
  let ok = 0;
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if ((c >= 32 && c < 127) || c === 9 || c === 10 || c === 13) ok++;
  }
  return ok / s.length > 0.9;
}

/** What kind of secret `value` holds (looking inside base64 runs once), or undefined. */
export function secretShape(value: string, depth = 0): string | undefined {
  const n = normalize(value);
  const direct = SHAPES.find((s) => s.test(n, value));
  if (direct) return direct.label;
  if (depth > 0) return undefined;
  for (const m of value.matchAll(BASE64_RUN)) {
    const decoded = Buffer.from(m[0].replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
    if (!printable(decoded)) continue;
    const inner = secretShape(decoded, depth + 1);
    if (inner) return `${inner}, base64-encoded`;
  }
  return undefined;
}

/** `@Microsoft.KeyVault(SecretUri=…)` / `(VaultName=…;SecretName=…)`: App Service resolves it at run time. */
export function isKeyVaultReference(value: string): boolean {
  return /^@Microsoft\.KeyVault\((SecretUri=https:\/\/|VaultName=)[^)]+\)\s*$/i.test(value.trim());
}
