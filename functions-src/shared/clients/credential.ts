/**
 * Credentials and options shared by the per-SDK client modules (`./cosmos`, `./queues`, `./eventgrid`).
 * Split per SDK so a service's bundle holds (and its cold start loads) only the SDKs it uses.
 */
import type { Agent } from "node:https";
import type { TokenCredential } from "@azure/identity";
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";

export interface ClientOptions {
  /** Overrides the credential for identity connections (tests pass a static one). */
  readonly credential?: TokenCredential;
  /** HTTPS agent for Cosmos DB, e.g. one trusting a local emulator's certificate. @default the SDK's */
  readonly cosmosAgent?: Agent;
}

const credentials = new Map<string, TokenCredential>();

/**
 * The credential for an identity connection: the user-assigned identity when a client id is known
 * (explicit, no probing of other sources), else DefaultAzureCredential (developer sign-in locally).
 * Cached per client id so every client shares one token cache.
 */
export function credentialFor(clientId: string | undefined): TokenCredential {
  const key = clientId ?? "";
  let credential = credentials.get(key);
  if (!credential) {
    credential = clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
    credentials.set(key, credential);
  }
  return credential;
}
