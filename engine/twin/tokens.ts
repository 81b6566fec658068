/**
 * The local token issuer that stands in for Microsoft Entra ID: it signs RS256 JWTs with a key pair
 * generated at start, with the claims Entra puts in v2 access tokens that the platform checks — `iss`
 * (the plan's tenant issuer, so the gateway's `validate-jwt` and App Service authentication compare the
 * real value), `aud`, `oid`, `sub`, `roles`, `exp`, `nbf`, `iat`, `tid`.
 * Claims: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 *
 * Not emulated: OpenID discovery and JWKS download (verifiers in the twin hold the public key),
 * v1 tokens, group claims, token encryption, conditional access.
 */
import { createSign, createVerify, generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";

export interface TokenClaims {
  readonly aud: string;
  readonly oid: string;
  readonly sub?: string;
  readonly roles?: readonly string[];
  /** Custom claims (e.g. `customerId` for a test customer). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Lifetime in seconds. @default 3600 */
  readonly lifetimeSeconds?: number;
}

export interface VerifiedToken {
  readonly claims: Record<string, unknown> & { aud: string; oid: string; iss: string; exp: number; roles?: string[] };
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

export class TokenIssuer {
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  readonly kid = randomUUID();

  constructor(
    /** The `iss` value (the plan's Entra issuer). */
    readonly issuer: string,
    readonly tenantId: string,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
  }

  issue(claims: TokenClaims): { token: string; expiresOn: number } {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + (claims.lifetimeSeconds ?? 3600);
    const header = { alg: "RS256", typ: "JWT", kid: this.kid };
    const payload = {
      aud: claims.aud,
      iss: this.issuer,
      iat: now,
      nbf: now,
      exp,
      oid: claims.oid,
      sub: claims.sub ?? claims.oid,
      tid: this.tenantId,
      ver: "2.0",
      ...(claims.roles ? { roles: [...claims.roles] } : {}),
      ...claims.extra,
    };
    const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = createSign("RSA-SHA256").update(unsigned).sign(this.#privateKey);
    return { token: `${unsigned}.${b64url(signature)}`, expiresOn: exp };
  }

  /** Verifies signature, issuer, lifetime and (when given) audience; throws a message saying which check failed. */
  verify(token: string, audiences?: readonly string[]): VerifiedToken {
    const parts = token.split(".");
    if (parts.length !== 3) throw new Error("the token is not a JWS (three dot-separated parts expected)");
    const [h, p, s] = parts as [string, string, string];
    const ok = createVerify("RSA-SHA256").update(`${h}.${p}`).verify(this.#publicKey, Buffer.from(s, "base64url"));
    if (!ok) throw new Error("the token's signature is not valid (not issued by the twin's Entra stand-in)");
    const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as VerifiedToken["claims"];
    if (claims.iss !== this.issuer) throw new Error(`issuer ${claims.iss} is not ${this.issuer}`);
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== "number" || claims.exp < now) throw new Error("the token has expired");
    if (audiences && !audiences.some((a) => a.replace(/\/+$/, "") === String(claims.aud).replace(/\/+$/, ""))) {
      throw new Error(`audience ${claims.aud} is not one of ${audiences.join(", ")}`);
    }
    return { claims };
  }
}

/** The bearer token of an `Authorization` header (`Bearer x` or Cosmos' `type=aad&ver=1.0&sig=x`). */
export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const decoded = decodeURIComponent(header);
  const bearer = /^Bearer\s+(.+)$/i.exec(decoded);
  if (bearer) return bearer[1]!.trim();
  const aad = /(?:^|&)type=aad&ver=[^&]+&sig=(.+)$/i.exec(decoded);
  return aad ? aad[1]!.trim() : undefined;
}
