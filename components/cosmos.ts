/**
 * Cosmos DB (NoSQL API): one account, the databases and containers it is given, and the lease
 * containers of change-feed consumers. Access is data-plane RBAC only (local auth off).
 */
import * as pulumi from "@pulumi/pulumi";
import * as cosmosdb from "@pulumi/azure-native/cosmosdb";
import type { NameContext } from "./core/naming";
import { protectedOptions } from "./core/protection";
import { type StandardArgs, applyDiagnostics, applyLock, applyRoleAssignments, effectiveDiagnostics, effectiveLock, resourceName } from "./core/standard";
import type { Link } from "./core/link";
import { CosmosDataRole, deterministicGuid, type Grantee } from "./core/roles";
import { type PrivateNetworkReference, checkPrivateNetworkReference, privateEndpointIn } from "./network";
import type { PublicNetworkAccess } from "./core/network-access";

/** Bound on each data-plane role assignment operation (they queue behind one another, see grantData). */
export const SQL_ROLE_ASSIGNMENT_TIMEOUTS = { create: "15m", update: "15m", delete: "15m" } as const;

/** The index path Cosmos excludes unless told otherwise: the system `_etag` is never queried. */
export const DEFAULT_EXCLUDED_INDEX_PATHS: readonly string[] = ['/"_etag"/?'];

/** A container of a database. */
export interface CosmosContainerSpec {
  /** Container id (1-255 characters, none of `/\#?`). */
  readonly name: string;
  /** Partition key paths; more than one makes a hierarchical (MultiHash) key. */
  readonly partitionKeyPaths: string[];
  /** Time to live for items, in seconds; -1 = on with no default expiry. @default off */
  readonly defaultTtlSeconds?: number;
  /** Unique key paths per unique key. @default none */
  readonly uniqueKeys?: string[][];
  /** Paths excluded from indexing. @default DEFAULT_EXCLUDED_INDEX_PATHS (`/"_etag"/?`) */
  readonly excludedIndexPaths?: string[];
}

/** A change-feed consumer of one of the database's containers: it gets a lease container. */
export interface ChangeFeedConsumer {
  /** Who consumes (a short name: it ends up in logical names and grant lookups). */
  readonly consumer: string;
  /** The watched container (declared in the same database). */
  readonly container: string;
  /** The lease container created for this consumer next to the watched one (the name its trigger reads). */
  readonly leaseContainer: string;
}

/** One database and what lives in it. */
export interface CosmosDatabaseSpec {
  /** The database's key here (e.g. the service that owns it): it names children and grant scopes. */
  readonly service: string;
  /** The database id. @default the key (`service`) */
  readonly databaseName?: string;
  /** The containers of the database. */
  readonly containers: CosmosContainerSpec[];
  /**
   * Change-feed consumers of this database's containers: each gets its `leaseContainer` (partition
   * key `/id`), created here because an Entra identity cannot create containers (the trigger's
   * `createLeaseContainerIfNotExists` stays false). @default none
   */
  readonly changeFeedConsumers?: ChangeFeedConsumer[];
}

/** How a Cosmos DB account is billed for throughput. */
export const CosmosCapacityMode = {
  /** Per request unit consumed; no provisioned throughput. */
  Serverless: "serverless",
  /** Autoscale throughput provisioned per database, up to `autoscaleMaxThroughput`. */
  Autoscale: "autoscale",
} as const;
export type CosmosCapacityMode = (typeof CosmosCapacityMode)[keyof typeof CosmosCapacityMode];

/** The continuous backup tier: how far back a point-in-time restore reaches. */
export const CosmosBackupTier = {
  Continuous7Days: "Continuous7Days",
  Continuous30Days: "Continuous30Days",
} as const;
export type CosmosBackupTier = (typeof CosmosBackupTier)[keyof typeof CosmosBackupTier];

/** Explicit physical names of a CosmosDb's resources. */
export interface CosmosDbPhysicalNames {
  /** The account (3-44 lowercase letters, digits and hyphens, globally unique). @default from the naming helper */
  readonly account?: string;
}

export interface CosmosDbArgs extends StandardArgs {
  /** The naming helper's prefix and environment. Required unless `physicalNames` names every resource. @default none */
  readonly names?: NameContext;
  /** Explicit physical names. @default from the naming helper */
  readonly physicalNames?: CosmosDbPhysicalNames;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  /** The databases and containers, one per service. */
  readonly databases: CosmosDatabaseSpec[];
  /**
   * `serverless` bills per request unit; `autoscale` provisions throughput per database.
   * @default "serverless"
   */
  readonly capacityMode?: CosmosCapacityMode;
  /** Max RU/s per database; required with `autoscale`, refused with `serverless`. @default none */
  readonly autoscaleMaxThroughput?: number;
  /** Continuous backup tier. @default "Continuous7Days" */
  readonly backupTier?: CosmosBackupTier;
  /** Zone redundancy of the (single) region; not available for serverless accounts. @default false */
  readonly zoneRedundant?: boolean;
  /**
   * @default "Disabled" with `privateNetwork`, else "Enabled" (Functions without a VNet reach the
   * account publicly, with Entra auth)
   */
  readonly publicNetworkAccess?: PublicNetworkAccess;
  /**
   * A private endpoint (`Sql`) in this network, and public network access off. ~$7.30/month.
   * Pass `privateNetwork.reference` of a PrivateNetwork (its endpoint is then that network's child),
   * or the ids of an existing network's endpoints subnet and `Sql` DNS zone.
   * @default none (public endpoint, Entra ID only)
   */
  readonly privateNetwork?: PrivateNetworkReference;
  /** Log Analytics workspace for diagnostics. @default no diagnostics */
  readonly workspaceId?: pulumi.Input<string>;
  /** protectData: protect/retainOnDelete, and a CanNotDelete lock on the account unless `lock` says otherwise. */
  readonly protect: boolean;
}

/** Where a data-plane grant applies: a database, or one container in it. */
export interface CosmosDataScope {
  /** The database's key (`CosmosDatabaseSpec.service`). */
  readonly service: string;
  /** A container of that database. @default the whole database */
  readonly container?: string;
}

/** One declared use of a container (see `CosmosDb.link`). */
export interface CosmosContainerUse {
  /** The database's key. */
  readonly service: string;
  readonly container: string;
  readonly access: "read" | "readWrite" | "changeFeed";
  /** For `changeFeed`: who consumes (its lease container is declared under this name). */
  readonly consumer?: string;
  /** For `changeFeed`: the consumer keeps its leases in a container of its own. @default false */
  readonly ownLeases?: boolean;
}

/** A Cosmos DB container's id (the `id` of the container resource): ≤255 chars, none of `/\#?`. */
function checkContainerName(where: string, name: string): void {
  if (name.length < 1 || name.length > 255 || /[/\\#?]/.test(name) || name.endsWith(" ")) {
    throw new Error(`${where}: container name "${name}" must be 1-255 characters without / \\ # ? or a trailing space`);
  }
}

function checkPaths(where: string, what: string, paths: readonly string[]): void {
  for (const p of paths) {
    if (!p.startsWith("/") || p.length < 2) throw new Error(`${where}: ${what} "${p}" must be a path starting with "/" (e.g. "/customerId")`);
  }
}

function validate(name: string, args: CosmosDbArgs): void {
  const where = `CosmosDb "${name}"`;
  const mode = args.capacityMode ?? "serverless";
  if (mode === "autoscale" && args.autoscaleMaxThroughput === undefined) {
    throw new Error(`${where}: autoscaleMaxThroughput is required when capacityMode is "autoscale" (the max RU/s of each database)`);
  }
  if (mode === "serverless" && args.autoscaleMaxThroughput !== undefined) {
    throw new Error(`${where}: autoscaleMaxThroughput applies only to capacityMode "autoscale"; serverless accounts have no provisioned throughput`);
  }
  if (args.autoscaleMaxThroughput !== undefined) {
    const t = args.autoscaleMaxThroughput;
    if (!Number.isInteger(t) || t < 1000 || t % 1000 !== 0) {
      throw new Error(`${where}: autoscaleMaxThroughput must be a multiple of 1000 RU/s, at least 1000 (got ${t})`);
    }
  }
  if (args.privateNetwork) checkPrivateNetworkReference(where, "privateNetwork", args.privateNetwork, ["Sql"]);
  if (args.privateNetwork && args.publicNetworkAccess === "Enabled") {
    throw new Error(`${where}: publicNetworkAccess "Enabled" keeps the public endpoint open although privateNetwork is set; use "Disabled" or omit it`);
  }
  if (mode === "serverless" && args.zoneRedundant === true) {
    throw new Error(`${where}: serverless accounts cannot be zone redundant; use capacityMode "autoscale" or zoneRedundant false`);
  }
  const services = new Set<string>();
  for (const db of args.databases) {
    if (services.has(db.service)) throw new Error(`${where}: service "${db.service}" is declared twice in databases`);
    services.add(db.service);
    const containers = new Set<string>();
    for (const c of db.containers) {
      const at = `${where}, database ${db.databaseName ?? db.service}`;
      checkContainerName(at, c.name);
      if (containers.has(c.name)) throw new Error(`${at}: container "${c.name}" is declared twice`);
      containers.add(c.name);
      if (c.partitionKeyPaths.length < 1 || c.partitionKeyPaths.length > 3) {
        throw new Error(`${at}: container "${c.name}" needs 1 to 3 partition key paths (more than one makes a hierarchical key), got ${c.partitionKeyPaths.length}`);
      }
      checkPaths(`${at}, container "${c.name}"`, "partition key path", c.partitionKeyPaths);
      for (const u of c.uniqueKeys ?? []) checkPaths(`${at}, container "${c.name}"`, "unique key path", u);
      checkPaths(`${at}, container "${c.name}"`, "excluded index path", c.excludedIndexPaths ?? []);
      const ttl = c.defaultTtlSeconds;
      if (ttl !== undefined && !(ttl === -1 || (Number.isInteger(ttl) && ttl >= 1 && ttl <= 2_147_483_647))) {
        throw new Error(`${at}: container "${c.name}" defaultTtlSeconds must be -1 (on, no default expiry) or a positive number of seconds, got ${ttl}`);
      }
    }
    for (const f of db.changeFeedConsumers ?? []) {
      const at = `${where}, database ${db.databaseName ?? db.service}`;
      if (!db.containers.some((c) => c.name === f.container)) {
        throw new Error(`${at}: change-feed consumer "${f.consumer}" watches "${f.container}", which is not a container of this database`);
      }
      const lease = f.leaseContainer;
      checkContainerName(at, lease);
      if (containers.has(lease)) throw new Error(`${at}: lease container "${lease}" is declared twice or collides with a container`);
      containers.add(lease);
    }
  }
}

/**
 * A CosmosDb's state its methods use. Kept off the class: the package schema publishes every class
 * field (private ones too) as an output in every language.
 */
interface CosmosDbInternals {
  readonly name: string;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly scopeResources: Map<string, pulumi.Resource>;
  /** Lease container names by `<database key>/<watched container>/<consumer>`. */
  readonly leaseContainers: Map<string, string>;
  /** Grants by logical name: the same grant asked twice (e.g. two watched containers of one database) is created once. */
  readonly grants: Map<string, cosmosdb.SqlResourceSqlRoleAssignment>;
  /** The last data-plane grant created on this account: the next one waits for it (see grantData). */
  lastGrant: cosmosdb.SqlResourceSqlRoleAssignment | undefined;
}
const internals = new WeakMap<CosmosDb, CosmosDbInternals>();

/** Cosmos DB account (NoSQL API) with the services' databases, containers and lease containers. */
export class CosmosDb extends pulumi.ComponentResource {
  /** ARM id of the account. */
  readonly accountId: pulumi.Output<string>;
  /** Physical account name. */
  readonly accountName: pulumi.Output<string>;
  /** The account endpoint (`https://<account>.documents.azure.com:443/`). */
  readonly endpoint: pulumi.Output<string>;
  /** Database ids, by database key. */
  readonly databaseNames: Readonly<Record<string, string>>;
  /** ARM ids of the databases, by service. */
  readonly databaseIds: Readonly<Record<string, pulumi.Output<string>>>;
  /** ARM ids of the containers (incl. lease containers), by service then container name. */
  readonly containerIds: Readonly<Record<string, Readonly<Record<string, pulumi.Output<string>>>>>;

  /** What the methods need; an accessor, so the package schema does not publish it as an output. */
  private get internal(): CosmosDbInternals {
    return internals.get(this)!;
  }

  constructor(name: string, args: CosmosDbArgs, opts?: pulumi.ComponentResourceOptions) {
    // Refuse impossible args before anything is registered.
    validate(name, args);
    super("serverless-platform:cosmosdb:CosmosDb", name, {}, opts);
    internals.set(this, { name, resourceGroupName: args.resourceGroupName, scopeResources: new Map(), leaseContainers: new Map(), grants: new Map(), lastGrant: undefined });
    const serverless = (args.capacityMode ?? "serverless") === "serverless";

    const accountName = resourceName(`CosmosDb "${name}"`, "physicalNames.account", "cosmosAccount", args.physicalNames?.account, args.names, name);
    const account = new cosmosdb.DatabaseAccount(
      `${name}-account`,
      {
        accountName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        kind: cosmosdb.DatabaseAccountKind.GlobalDocumentDB,
        databaseAccountOfferType: cosmosdb.DatabaseAccountOfferType.Standard,
        capabilities: serverless ? [{ name: "EnableServerless" }] : [],
        locations: [{ locationName: args.location, failoverPriority: 0, isZoneRedundant: args.zoneRedundant ?? false }],
        consistencyPolicy: { defaultConsistencyLevel: cosmosdb.DefaultConsistencyLevel.Session },
        // Entra ID only: no account keys for data, and no key-based changes to databases/containers.
        disableLocalAuth: true,
        disableKeyBasedMetadataWriteAccess: true,
        minimalTlsVersion: cosmosdb.MinimalTlsVersion.Tls12,
        publicNetworkAccess: args.publicNetworkAccess ?? (args.privateNetwork ? "Disabled" : "Enabled"),
        backupPolicy: { type: "Continuous", continuousModeProperties: { tier: args.backupTier ?? "Continuous7Days" } },
        // The free tier carries no SLA, and only one account per subscription may use it.
        enableFreeTier: false,
      },
      protectedOptions(args.protect, { parent: this }),
    );
    applyLock(`${name}-account`, account.id, effectiveLock(args.lock, args.protect), { parent: this });
    applyRoleAssignments(`${name}-account`, account.id, args.roleAssignments, { parent: this });
    if (args.privateNetwork) {
      privateEndpointIn(args.privateNetwork, {
        name: `${name}-sql`,
        target: { resourceId: account.id, groupId: "Sql" },
        names: args.names,
        resourcePhysicalName: accountName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        parent: this,
      });
    }

    this.accountId = account.id;
    this.accountName = account.name;
    this.endpoint = account.documentEndpoint;

    const databaseNames: Record<string, string> = {};
    const databaseIds: Record<string, pulumi.Output<string>> = {};
    const containerIds: Record<string, Record<string, pulumi.Output<string>>> = {};
    for (const db of args.databases) {
      const dbName = db.databaseName ?? db.service;
      const database = new cosmosdb.SqlResourceSqlDatabase(
        `${name}-${db.service}-db`,
        {
          accountName: account.name,
          resourceGroupName: args.resourceGroupName,
          databaseName: dbName,
          resource: { id: dbName },
          // Shared autoscale throughput per database; serverless accounts take no throughput at all.
          options: serverless ? undefined : { autoscaleSettings: { maxThroughput: args.autoscaleMaxThroughput } },
          tags: args.tags,
        },
        { parent: this },
      );
      databaseNames[db.service] = dbName;
      databaseIds[db.service] = database.id;
      this.internal.scopeResources.set(db.service, database);

      const ids: Record<string, pulumi.Output<string>> = {};
      const addContainer = (containerName: string, resource: cosmosdb.SqlResourceSqlContainerArgs["resource"]): void => {
        const c = new cosmosdb.SqlResourceSqlContainer(
          `${name}-${db.service}-${containerName}`,
          {
            accountName: account.name,
            resourceGroupName: args.resourceGroupName,
            databaseName: database.name,
            containerName,
            resource,
            tags: args.tags,
          },
          { parent: this },
        );
        ids[containerName] = c.id;
        this.internal.scopeResources.set(`${db.service}/${containerName}`, c);
      };
      for (const c of db.containers) {
        const multi = c.partitionKeyPaths.length > 1;
        addContainer(c.name, {
          id: c.name,
          partitionKey: multi
            ? { paths: [...c.partitionKeyPaths], kind: cosmosdb.PartitionKind.MultiHash, version: 2 }
            : { paths: [...c.partitionKeyPaths], kind: cosmosdb.PartitionKind.Hash },
          indexingPolicy: {
            indexingMode: cosmosdb.IndexingMode.Consistent,
            automatic: true,
            includedPaths: [{ path: "/*" }],
            excludedPaths: (c.excludedIndexPaths ?? DEFAULT_EXCLUDED_INDEX_PATHS).map((path) => ({ path })),
          },
          ...(c.defaultTtlSeconds !== undefined ? { defaultTtl: c.defaultTtlSeconds } : {}),
          ...(c.uniqueKeys && c.uniqueKeys.length > 0 ? { uniqueKeyPolicy: { uniqueKeys: c.uniqueKeys.map((paths) => ({ paths: [...paths] })) } } : {}),
        });
      }
      for (const f of db.changeFeedConsumers ?? []) {
        const lease = f.leaseContainer;
        this.internal.leaseContainers.set(`${db.service}/${f.container}/${f.consumer}`, lease);
        addContainer(lease, { id: lease, partitionKey: { paths: ["/id"], kind: cosmosdb.PartitionKind.Hash } });
      }
      containerIds[db.service] = ids;
    }
    this.databaseNames = databaseNames;
    this.databaseIds = databaseIds;
    this.containerIds = containerIds;

    applyDiagnostics(`${name}-account`, account.id, effectiveDiagnostics(`CosmosDb "${name}"`, args.workspaceId, args.diagnosticSettings), { parent: this });

    this.registerOutputs({ accountId: this.accountId, endpoint: this.endpoint });
  }

  /**
   * Cosmos DB Built-in Data Contributor (read and write items) at `scope`: a container, a database,
   * or (omitted) the whole account. Returns the data-plane role assignment.
   */
  grantDataContributor(grantee: Grantee, scope?: CosmosDataScope): cosmosdb.SqlResourceSqlRoleAssignment {
    return this.grantData(grantee, "contributor", scope);
  }

  /** Cosmos DB Built-in Data Reader (point reads, queries, change feed) at `scope` (as above). */
  grantDataReader(grantee: Grantee, scope?: CosmosDataScope): cosmosdb.SqlResourceSqlRoleAssignment {
    return this.grantData(grantee, "reader", scope);
  }

  /**
   * What the Cosmos DB trigger (change feed) of `consumer` needs on `service`'s `container`: Data
   * Reader on the watched CONTAINER only, and Data Contributor on its own lease container only.
   *
   * The database-level read that once forced a database-wide grant (403 `readMetadata` on `dbs/<db>`,
   * Azure/azure-cosmos-dotnet-v3#3638) is gone: the change feed processor derives the database rid
   * from the container rid since Microsoft.Azure.Cosmos 3.32.0 (Azure/azure-cosmos-dotnet-v3#3566,
   * CosmosContainerExtensions.GetMonitoredDatabaseAndContainerRidAsync), and the Functions Cosmos DB
   * extension 4.x builds on Microsoft.Azure.Cosmos 3.41.0 (Azure/azure-webjobs-sdk-extensions,
   * src/WebJobs.Extensions.CosmosDB/WebJobs.Extensions.CosmosDB.csproj). See docs/RUNTIME-SAFETY.md.
   */
  grantChangeFeed(
    grantee: Grantee,
    watched: { readonly service: string; readonly container: string; readonly consumer: string },
  ): cosmosdb.SqlResourceSqlRoleAssignment[] {
    this.requireScope({ service: watched.service, container: watched.container });
    const lease = this.internal.leaseContainers.get(`${watched.service}/${watched.container}/${watched.consumer}`);
    if (lease === undefined) {
      throw new Error(
        `CosmosDb "${this.internal.name}": no lease container for consumer "${watched.consumer}" of "${watched.container}" in ` +
          `${this.databaseNames[watched.service]}; declare { consumer: "${watched.consumer}", container: "${watched.container}", leaseContainer: ... } ` +
          "in that database's changeFeedConsumers",
      );
    }
    return [
      this.grantData(grantee, "reader", { service: watched.service, container: watched.container }),
      this.grantData(grantee, "contributor", { service: watched.service, container: lease }),
    ];
  }

  /**
   * The use of one container, with the identity-based connection `<connection>__accountEndpoint` the
   * Functions Cosmos DB extension and the SDK client read, and its grant:
   * - `read`: Data Reader on the container; `readWrite`: Data Contributor on the container;
   * - `changeFeed` (the Cosmos DB trigger of `consumer`): Data Reader on the watched container, and
   *   Data Contributor on the lease container declared for that consumer (`grantChangeFeed`) — unless
   *   `ownLeases`: the consumer keeps its leases in a container of its own database, granted through
   *   its own use of that container, and gets only the read on the watched container.
   */
  link(use: CosmosContainerUse, connection: string): Link {
    const scope = { service: use.service, container: use.container };
    this.requireScope(scope);
    if (use.access === "changeFeed" && use.consumer === undefined) {
      throw new Error(`CosmosDb "${this.internal.name}".link: a changeFeed use of "${use.container}" needs the consumer's name (its lease container is declared per consumer)`);
    }
    const grant = (grantee: Grantee): readonly pulumi.Resource[] => {
      if (use.access === "readWrite") return [this.grantDataContributor(grantee, scope)];
      if (use.access === "read" || use.ownLeases === true) return [this.grantDataReader(grantee, scope)];
      return this.grantChangeFeed(grantee, { ...scope, consumer: use.consumer! });
    };
    return {
      description: `container "${use.container}" of ${this.databaseNames[use.service]} in CosmosDb "${this.internal.name}" (${use.access})`,
      connections: { [connection]: this.connection() },
      grant,
    };
  }

  /** Identity-based connection properties for the Functions Cosmos DB extension (`<PREFIX>__accountEndpoint`). */
  connection(): { readonly accountEndpoint: pulumi.Output<string> } {
    return { accountEndpoint: this.endpoint };
  }

  private requireScope(scope: CosmosDataScope): pulumi.Resource {
    const key = scope.container === undefined ? scope.service : `${scope.service}/${scope.container}`;
    const found = this.internal.scopeResources.get(key);
    if (!found) {
      const what = scope.container === undefined ? `database for service "${scope.service}"` : `container "${scope.container}" of service "${scope.service}"`;
      throw new Error(`CosmosDb "${this.internal.name}": cannot grant on ${what}: it is not declared in this account`);
    }
    return found;
  }

  private grantData(grantee: Grantee, role: keyof typeof CosmosDataRole, scope?: CosmosDataScope): cosmosdb.SqlResourceSqlRoleAssignment {
    const target = scope ? this.requireScope(scope) : undefined;
    const suffix = scope ? `-${scope.service}${scope.container !== undefined ? `-${scope.container}` : ""}` : "-account";
    const logicalName = `${this.internal.name}-${grantee.name}-data-${role}${suffix}`;
    const existing = this.internal.grants.get(logicalName);
    if (existing) return existing;
    const roleGuid = CosmosDataRole[role];
    // Data-plane scope strings: <account id>, <account id>/dbs/<db>, <account id>/dbs/<db>/colls/<container>.
    const scopePath = this.accountId.apply((id) => {
      if (!scope) return id;
      const db = `${id}/dbs/${this.databaseNames[scope.service]!}`;
      return scope.container === undefined ? db : `${db}/colls/${scope.container}`;
    });
    const assignment = new cosmosdb.SqlResourceSqlRoleAssignment(
      logicalName,
      {
        accountName: this.accountName,
        resourceGroupName: this.internal.resourceGroupName,
        roleDefinitionId: this.accountId.apply((id) => `${id}/sqlRoleDefinitions/${roleGuid}`),
        scope: scopePath,
        principalId: grantee.principalId,
        roleAssignmentId: pulumi.all([scopePath, grantee.principalId]).apply(([s, p]) => deterministicGuid(s.toLowerCase(), p, roleGuid)),
      },
      {
        parent: this,
        // The database/container must exist before a grant scoped to it. And one grant at a time per
        // account: Cosmos takes an exclusive lock on the account for each role assignment and answers
        // a concurrent one with 412 "another operation is in progress"
        // (hashicorp/terraform-provider-azurerm#15842, #17233), so each waits for the previous one.
        dependsOn: [...(target ? [target] : []), ...(this.internal.lastGrant ? [this.internal.lastGrant] : [])],
        // azure-native has no retry option for the "principal not found" race with a new identity
        // (pulumi-azure-native#2816, open, awaiting upstream; sqlRoleAssignments have no principalType
        // to skip the lookup): the wait for each long-running operation is bounded here, and a
        // failed assignment is created again by the next `pulumi up`.
        customTimeouts: SQL_ROLE_ASSIGNMENT_TIMEOUTS,
      },
    );
    this.internal.grants.set(logicalName, assignment);
    this.internal.lastGrant = assignment;
    return assignment;
  }
}
