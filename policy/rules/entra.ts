/**
 * Entra ID applications of the platform (azuread provider): who can sign in, who can get a token,
 * and how the apps themselves authenticate. No peer rule set covers them.
 *
 * Facts (Microsoft Learn): signInAudience "AzureADMyOrg" is single tenant; a service principal's
 * appRoleAssignmentRequired makes Entra issue tokens only to principals assigned an app role;
 * password credentials are client secrets (federated credentials or managed identities replace them);
 * identifier URIs take the api://<appId> or api://<tenantId>/… forms, or an https URI on a domain the
 * tenant has verified (application manifest reference, "identifierUris" restrictions).
 */
import { peek, resourcePolicy, show, UNKNOWN, type PlatformPolicy } from "./common";

const APPLICATION = "azuread:index/application:Application";
/** The same app registration, managed as one resource with fewer properties (azuread ApplicationRegistration). */
const APPLICATION_REGISTRATION = "azuread:index/applicationRegistration:ApplicationRegistration";
const SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal";
const IDENTIFIER_URI = "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri";
const PASSWORD_TYPES = new Set(["azuread:index/applicationPassword:ApplicationPassword", "azuread:index/servicePrincipalPassword:ServicePrincipalPassword"]);

export const entraSingleTenant = resourcePolicy({
  name: "entra-single-tenant",
  description: 'Platform app registrations accept sign-ins from their own tenant only (signInAudience "AzureADMyOrg").',
  severity: "high",
  remediationSteps: 'Set signInAudience: "AzureADMyOrg".',
  validateResource: (args, report) => {
    if (args.type !== APPLICATION && args.type !== APPLICATION_REGISTRATION) return args.notApplicable("not an Entra application");
    const audience = peek(() => args.props["signInAudience"]);
    // Unset: the azuread provider's default is "AzureADMyOrg" (Application and ApplicationRegistration
    // signInAudience docs in the azuread typings).
    if (audience === UNKNOWN || audience === undefined) return;
    if (audience !== "AzureADMyOrg") {
      report(`Entra application "${args.name}" has signInAudience ${show(audience)}: accounts of other tenants (or personal accounts) could sign in and get tokens for it; set signInAudience: "AzureADMyOrg".`);
    }
  },
});

export const entraAssignmentRequired = resourcePolicy({
  name: "entra-assignment-required",
  description: "Service principals of platform apps issue tokens only to principals assigned an app role (appRoleAssignmentRequired: true).",
  severity: "high",
  remediationSteps: "Set appRoleAssignmentRequired: true and assign the app roles (azuread.AppRoleAssignment) to the callers that need them.",
  validateResource: (args, report) => {
    if (args.type !== SERVICE_PRINCIPAL) return args.notApplicable("not a service principal");
    const required = peek(() => args.props["appRoleAssignmentRequired"]);
    if (required === UNKNOWN) return;
    if (required !== true) {
      report(`service principal "${args.name}" has appRoleAssignmentRequired ${show(required)}: any identity of the tenant can get a token for the API; set it to true.`);
    }
  },
});

export const entraNoPasswords = resourcePolicy({
  name: "entra-no-passwords",
  description: "Platform apps have no password credentials (client secrets): managed identities and federated credentials only.",
  severity: "high",
  remediationSteps: "Remove the ApplicationPassword / ServicePrincipalPassword (and Application.password); use a managed identity or an azuread.ApplicationFederatedIdentityCredential (e.g. GitHub OIDC).",
  validateResource: (args, report) => {
    if (PASSWORD_TYPES.has(args.type)) {
      report(`${args.type.split(":").pop()} "${args.name}" creates a client secret: it can be copied and used from anywhere until it expires. Use a managed identity or a federated identity credential instead.`);
      return;
    }
    if (args.type !== APPLICATION) return args.notApplicable("not an Entra application or password");
    // `password` in the azuread typings; the plural `passwords` is refused as well, so a misspelt (or
    // hand-edited) plan cannot carry a client secret past this rule.
    for (const key of ["password", "passwords"]) {
      const value = peek(() => args.props[key]);
      if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
      report(`Entra application "${args.name}" declares a password credential (${key}): remove it; use a managed identity or a federated identity credential.`);
    }
  },
});

/**
 * Why Entra would refuse an identifier URI, or let another tenant claim it; undefined when it follows
 * one of the secure patterns of Microsoft Learn, "Restrictions on identifier URIs of Microsoft Entra
 * applications" (https://learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions):
 * api://<appId>, api://<tenantId>/<appId or string>, api://<string>/<appId>,
 * api://[<string>.]<verified domain>/<string>, https://[<string>.]<verified domain>[/<string>], and
 * https://<initial domain>.onmicrosoft.com/<string>. The tenant's initial domain is one of its verified
 * domains, so it is listed in `verifiedDomains` like the others: the pack cannot tell which
 * *.onmicrosoft.com name is this tenant's.
 */
export function identifierUriProblem(uri: string, verifiedDomains: readonly string[]): string | undefined {
  const guid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  if (new RegExp(`^api://${guid}(/.*)?$`, "i").test(uri)) return undefined;
  if (new RegExp(`^api://[^/]+/${guid}$`, "i").test(uri)) return undefined;
  const verified = (host: string): boolean =>
    verifiedDomains.some((d) => host === d.toLowerCase() || host.endsWith(`.${d.toLowerCase()}`));
  const hosted = /^(https|api):\/\/([^/:]+)(\/.*)?$/i.exec(uri);
  if (hosted) {
    const host = hosted[2]!.toLowerCase();
    if (verified(host)) return undefined;
    const initial = host.endsWith(".onmicrosoft.com") ? " (a tenant's initial domain counts: list yours, <name>.onmicrosoft.com, when this is it)" : "";
    const ids = hosted[1]!.toLowerCase() === "api" ? "it has no application or tenant id, and " : "";
    return `${ids}its host ${JSON.stringify(host)} is not a verified domain of the tenant (configure entra-identifier-uri.verifiedDomains${initial})`;
  }
  return "it is neither api://<application id or tenant id>[/…] nor https://<verified domain>/…";
}

export const entraIdentifierUri = resourcePolicy({
  name: "entra-identifier-uri",
  description: "Identifier URIs follow Entra's secure patterns: api://<app id>, api://<tenant id>/…, api://…/<app id>, or api:// or https:// on a verified domain of the tenant.",
  severity: "medium",
  remediationSteps: 'Use identifierUri "api://<client id>" (the EntraApiApp default), or an https URI on a domain listed in verifiedDomains.',
  configSchema: {
    properties: {
      verifiedDomains: { type: "array", items: { type: "string", minLength: 1 }, default: [], description: "Domains verified in the tenant (for https:// identifier URIs)." },
    },
  },
  validateResource: (args, report) => {
    const { verifiedDomains = [] } = args.getConfig<{ verifiedDomains?: string[] }>();
    let uris: unknown[];
    if (args.type === IDENTIFIER_URI) uris = [peek(() => args.props["identifierUri"])];
    else if (args.type === APPLICATION) {
      const list = peek(() => args.props["identifierUris"]);
      if (list === undefined) return args.notApplicable("no identifierUris");
      uris = list === UNKNOWN ? [] : Array.isArray(list) ? list : [];
    } else return args.notApplicable("not an Entra application or identifier URI");
    for (const uri of uris) {
      if (typeof uri !== "string") continue;
      const problem = identifierUriProblem(uri, verifiedDomains);
      if (problem) report(`Entra identifier URI ${JSON.stringify(uri)} of "${args.name}" is refused or spoofable: ${problem}.`);
    }
  },
});

export const entraNoImplicitGrant = resourcePolicy({
  name: "entra-no-implicit-grant",
  description: "Platform app registrations do not issue access or ID tokens through the OAuth 2.0 implicit flow.",
  severity: "high",
  remediationSteps:
    "Remove web.implicitGrant (Application) or implicitAccessTokenIssuanceEnabled / implicitIdTokenIssuanceEnabled (ApplicationRegistration); browser clients use the authorization code flow with PKCE.",
  validateResource: (args, report) => {
    // The implicit grant returns tokens from the authorization endpoint in the redirect URI's fragment
    // (Microsoft Learn, "Understanding the OAuth2 implicit grant flow in Azure AD"); OAuth 2.0 Security
    // Best Current Practice (RFC 9700, section 2.1.2) says not to use it and to use the authorization
    // code flow with PKCE. Properties: azuread typings, ApplicationWebImplicitGrant and
    // ApplicationRegistration.implicit{AccessToken,IdToken}IssuanceEnabled.
    let switches: [string, unknown][];
    if (args.type === APPLICATION) {
      const grant = peek(() => (args.props["web"] as { implicitGrant?: Record<string, unknown> } | undefined)?.implicitGrant);
      if (grant === UNKNOWN) return;
      switches = ["accessTokenIssuanceEnabled", "idTokenIssuanceEnabled"].map((k) => [`web.implicitGrant.${k}`, peek(() => grant?.[k])]);
    } else if (args.type === APPLICATION_REGISTRATION) {
      switches = ["implicitAccessTokenIssuanceEnabled", "implicitIdTokenIssuanceEnabled"].map((k) => [k, peek(() => args.props[k])]);
    } else return args.notApplicable("not an Entra application");
    for (const [path, on] of switches) {
      if (on === true) {
        report(`Entra application "${args.name}" has ${path}: true: tokens would be returned in the browser's redirect URL through the implicit flow; set it to false and use the authorization code flow with PKCE.`);
      }
    }
  },
});

export const entraPolicies: PlatformPolicy[] = [entraSingleTenant, entraAssignmentRequired, entraNoPasswords, entraIdentifierUri, entraNoImplicitGrant];
