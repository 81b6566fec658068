/**
 * Reading app settings and turning connection settings into a typed description of how to connect.
 *
 * Two shapes are accepted for each connection, following the Functions convention for a connection
 * named `<CONN>` (the same names the host reads for triggers, so one set of settings serves both):
 * - Azure (identity): `<CONN>__accountEndpoint` / `<CONN>__queueServiceUri`, with optional
 *   `<CONN>__credential=managedidentity` and `<CONN>__clientId` (a user-assigned identity). No key exists.
 * - Local (emulators only): `<CONN>` holding a connection string. It is accepted only when every endpoint
 *   in it is a loopback address (Azurite, the Cosmos DB emulator) or `UseDevelopmentStorage=true`, so a
 *   real account key in settings is refused rather than silently used.
 *
 * No `@azure/*` import here: this module is pure and table-tested.
 */
import { settingNames } from "./manifest";

/** App settings as the worker sees them (`process.env`), or a test's own map. */
export type Settings = Readonly<Record<string, string | undefined>>;

/** Thrown when settings are missing or unsafe; the message names the setting and the fix. */
export class ConfigurationError extends Error {
  override readonly name = "ConfigurationError";
}

export function requireSetting(settings: Settings, name: string): string {
  const value = settings[name]?.trim();
  if (!value) {
    throw new ConfigurationError(`app setting ${name} is required but not set`);
  }
  return value;
}

export function optionalSetting(settings: Settings, name: string): string | undefined {
  const value = settings[name]?.trim();
  return value ? value : undefined;
}

/** An identity-based connection: the endpoint plus, optionally, which user-assigned identity to use. */
export interface IdentityConnection {
  readonly kind: "identity";
  readonly endpoint: string;
  /** Client id of a user-assigned managed identity; absent = DefaultAzureCredential's chain. */
  readonly clientId?: string;
}

/** A key-based connection to a local emulator; never produced for a non-loopback endpoint. */
export interface EmulatorCosmosConnection {
  readonly kind: "emulator";
  readonly endpoint: string;
  readonly key: string;
}

export interface EmulatorQueueConnection {
  readonly kind: "emulator";
  /** The connection string, for `QueueServiceClient.fromConnectionString`. */
  readonly connectionString: string;
}

export type CosmosConnection = IdentityConnection | EmulatorCosmosConnection;
export type QueueConnection = IdentityConnection | EmulatorQueueConnection;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** True when the URL's host is a loopback address (where emulators listen). */
export function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK_HOSTS.has(new URL(url).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/** Parses `Key=Value;Key=Value` connection strings (keys case-insensitive; values may contain `=`). */
export function parseConnectionString(value: string): ReadonlyMap<string, string> {
  const parts = new Map<string, string>();
  for (const segment of value.split(";")) {
    const index = segment.indexOf("=");
    if (index <= 0) continue;
    parts.set(segment.slice(0, index).trim().toLowerCase(), segment.slice(index + 1).trim());
  }
  return parts;
}

function identityFrom(settings: Settings, prefix: string, endpoint: string): IdentityConnection {
  const credential = optionalSetting(settings, `${prefix}__credential`);
  if (credential && credential.toLowerCase() !== "managedidentity") {
    throw new ConfigurationError(
      `${prefix}__credential must be "managedidentity" when set (got "${credential}")`,
    );
  }
  if (!/^https:\/\//i.test(endpoint) && !isLoopbackUrl(endpoint)) {
    throw new ConfigurationError(`${prefix} endpoint must use https: ${endpoint}`);
  }
  const clientId =
    optionalSetting(settings, `${prefix}__clientId`) ?? optionalSetting(settings, settingNames.identityClientId);
  return clientId ? { kind: "identity", endpoint, clientId } : { kind: "identity", endpoint };
}

/**
 * How to reach Cosmos DB. The connection string wins when both are set, as it does for the host's
 * bindings; it is refused unless it points at a loopback emulator.
 */
export function cosmosConnection(
  settings: Settings,
  prefix: string = settingNames.cosmosConnection,
): CosmosConnection {
  const connectionString = optionalSetting(settings, prefix);
  if (connectionString) {
    const parts = parseConnectionString(connectionString);
    const endpoint = parts.get("accountendpoint");
    const key = parts.get("accountkey");
    if (!endpoint || !key) {
      throw new ConfigurationError(`${prefix} must be "AccountEndpoint=...;AccountKey=..." (emulator only)`);
    }
    if (!isLoopbackUrl(endpoint)) {
      throw new ConfigurationError(
        `${prefix} holds a key-based connection to ${new URL(endpoint).host}; keys are accepted only for a ` +
          `local emulator. In Azure set ${prefix}__accountEndpoint (+ __clientId) and grant the identity a data-plane role.`,
      );
    }
    return { kind: "emulator", endpoint, key };
  }
  const endpoint = optionalSetting(settings, `${prefix}__accountEndpoint`);
  if (!endpoint) {
    throw new ConfigurationError(
      `no Cosmos DB connection: set ${prefix}__accountEndpoint (Azure, managed identity) or ${prefix} (local emulator connection string)`,
    );
  }
  return identityFrom(settings, prefix, endpoint);
}

/** How to reach Storage queues; same rules as {@link cosmosConnection}. */
export function queueConnection(
  settings: Settings,
  prefix: string = settingNames.queuesConnection,
): QueueConnection {
  const connectionString = optionalSetting(settings, prefix);
  if (connectionString) {
    const parts = parseConnectionString(connectionString);
    if (parts.get("usedevelopmentstorage")?.toLowerCase() === "true") {
      return { kind: "emulator", connectionString };
    }
    const queueEndpoint = parts.get("queueendpoint");
    if (!queueEndpoint || !isLoopbackUrl(queueEndpoint)) {
      throw new ConfigurationError(
        `${prefix} holds a key-based storage connection that is not a local emulator (Azurite); in Azure set ` +
          `${prefix}__queueServiceUri (+ __clientId) and grant the identity a queue data role.`,
      );
    }
    return { kind: "emulator", connectionString };
  }
  const endpoint = optionalSetting(settings, `${prefix}__queueServiceUri`);
  if (!endpoint) {
    throw new ConfigurationError(
      `no queue connection: set ${prefix}__queueServiceUri (Azure, managed identity) or ${prefix} (Azurite connection string)`,
    );
  }
  return identityFrom(settings, prefix, endpoint);
}

/** The database holding the service's containers: the `COSMOS_DATABASE` setting, else the convention. */
export function databaseSetting(settings: Settings, fallback: string): string {
  return optionalSetting(settings, settingNames.cosmosDatabase) ?? fallback;
}

/** A base URL setting (back ends, webhooks): absolute http(s), no query or fragment, trailing slash trimmed. */
export function urlSetting(settings: Settings, name: string): URL {
  const raw = requireSetting(settings, name);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigurationError(`app setting ${name} must be an absolute URL (got "${raw}")`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackUrl(raw))) {
    throw new ConfigurationError(`app setting ${name} must be https (plain http only for loopback): ${raw}`);
  }
  return url;
}
