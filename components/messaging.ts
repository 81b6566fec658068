/**
 * Storage queues between services: a keyless storage account holding each declared queue with its
 * `<queue>-poison` companion, and a private blob container where Event Grid dead-letters events.
 *
 * The poison queues are created here, not left to the Functions host: the host writes a message
 * there after `maxDequeueCount` failed attempts, monitoring alerts on their length, and the grants
 * below can then be scoped to exactly these queues.
 */
import * as pulumi from "@pulumi/pulumi";
import * as storage from "@pulumi/azure-native/storage";
import { type NameContext, validateName } from "./core/naming";
import { protectedOptions } from "./core/protection";
import { type StandardArgs, applyDiagnostics, applyLock, applyRoleAssignments, effectiveDiagnostics, effectiveLock, resourceName } from "./core/standard";
import type { Link } from "./core/link";
import { type Grantee, grantRole } from "./core/roles";
import type * as authorization from "@pulumi/azure-native/authorization";
import { type PrivateNetworkReference, checkPrivateNetworkReference, privateEndpointIn } from "./network";
import type { NetworkDefaultAction } from "./core/network-access";
import type { StorageSku } from "./core/storage-sku";

/** The queue the Functions host moves a message to after `maxDequeueCount` failed attempts. */
export function poisonQueueFor(queue: string): string {
  return `${queue}-poison`;
}

/** A queue of the account; its `-poison` companion is created with it. */
export interface MessagingQueue {
  /** The queue name (3-63 lowercase letters, digits and single hyphens; with "-poison" it must still fit). */
  readonly name: string;
  /** What a message on this queue means: stored as the queue's `description` metadata. @default none */
  readonly description?: string;
}

/** Explicit physical names of a Messaging's resources. */
export interface MessagingPhysicalNames {
  /** The storage account (3-24 lowercase letters and digits, globally unique). @default from the naming helper */
  readonly account?: string;
}

export interface MessagingArgs extends StandardArgs {
  /** The naming helper's prefix and environment. Required unless `physicalNames` names every resource. @default none */
  readonly names?: NameContext;
  /** Explicit physical names. @default from the naming helper */
  readonly physicalNames?: MessagingPhysicalNames;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  /** The queues; each also gets `<name>-poison`. */
  readonly queues: MessagingQueue[];
  /** Blob container receiving Event Grid dead-letters. @default "eventgrid-deadletter" */
  readonly deadLetterContainerName?: string;
  /** Days soft-deleted blobs and containers are kept (1-365). @default 7 */
  readonly softDeleteRetentionDays?: number;
  /** Storage redundancy. @default "Standard_LRS" */
  readonly skuName?: StorageSku;
  /**
   * Default action of the storage firewall. `Deny` keeps the account closed except to trusted Azure
   * services, but Event Grid delivering with a user-assigned identity cannot pass the firewall, and
   * Flex apps need VNet integration to reach it. @default "Allow"
   */
  readonly networkDefaultAction?: NetworkDefaultAction;
  /**
   * Private endpoints for the queue and blob services in this network, and the firewall closed
   * (`networkDefaultAction` Deny, trusted Azure services bypass it). Event Grid then delivers only
   * with its topic's SYSTEM-assigned identity (the trusted-services path): see `EventTopic`'s
   * `deliveryIdentityType`. Two private endpoints: ~$14.60/month. Pass `privateNetwork.reference` of
   * a PrivateNetwork (its endpoints are then that network's children), or the ids of an existing
   * network's endpoints subnet and `queue` and `blob` DNS zones. @default none (public endpoint, Entra ID only)
   */
  readonly privateNetwork?: PrivateNetworkReference;
  /** Log Analytics workspace for diagnostics. @default no diagnostics */
  readonly workspaceId?: pulumi.Input<string>;
  /** protectData: protect/retainOnDelete and a CanNotDelete lock on the account. */
  readonly protect: boolean;
}

function validate(name: string, args: MessagingArgs): void {
  const where = `Messaging "${name}"`;
  const seen = new Set<string>();
  for (const q of args.queues) {
    const poison = poisonQueueFor(q.name);
    for (const n of [q.name, poison]) {
      const reason = validateName("queue", n);
      if (reason) {
        throw new Error(
          `${where}: queue "${q.name}"${n === poison ? ` (its poison queue "${poison}")` : ""} is invalid: ${reason}; ` +
            "queue names are 3-63 lowercase letters, digits and single hyphens, and the name plus \"-poison\" must fit in 63",
        );
      }
      if (seen.has(n)) throw new Error(`${where}: queue "${n}" is declared twice (each queue also reserves "<name>-poison")`);
      seen.add(n);
    }
  }
  const dl = args.deadLetterContainerName ?? "eventgrid-deadletter";
  const reason = validateName("blobContainer", dl);
  if (reason) throw new Error(`${where}: deadLetterContainerName "${dl}" is invalid: ${reason}`);
  const days = args.softDeleteRetentionDays ?? 7;
  if (!Number.isInteger(days) || days < 1 || days > 365) {
    throw new Error(`${where}: softDeleteRetentionDays must be a whole number of days from 1 to 365, got ${days}`);
  }
  if (args.privateNetwork) checkPrivateNetworkReference(where, "privateNetwork", args.privateNetwork, ["queue", "blob"]);
  if (args.privateNetwork && args.networkDefaultAction === "Allow") {
    throw new Error(`${where}: networkDefaultAction "Allow" leaves the account open although privateNetwork is set; omit it (privateNetwork closes the firewall)`);
  }
}

/**
 * A Messaging's state its methods use. Kept off the class: the package schema publishes every class
 * field (private ones too) as an output in every language.
 */
interface MessagingInternals {
  readonly name: string;
  readonly deadLetterContainer: storage.BlobContainer;
  /** Grants by logical name: asking twice for the same grant returns the same role assignment. */
  readonly grants: Map<string, authorization.RoleAssignment>;
}
const internals = new WeakMap<Messaging, MessagingInternals>();

/** A keyless storage account with the services' queues, their poison queues and a dead-letter container. */
export class Messaging extends pulumi.ComponentResource {
  /** ARM id of the storage account (Event Grid destinations and alerts use it). */
  readonly accountId: pulumi.Output<string>;
  readonly accountName: pulumi.Output<string>;
  /** `https://<account>.queue.core.windows.net/` */
  readonly queueServiceUri: pulumi.Output<string>;
  /** The declared queues' names. */
  readonly queueNames: string[];
  /** The poison queues' names (monitoring alerts on their length). */
  readonly poisonQueueNames: string[];
  /** ARM ids of every queue (declared and poison), by name. */
  readonly queueIds: Readonly<Record<string, pulumi.Output<string>>>;
  /**
   * Whether the firewall denies by default: Event Grid can then deliver only with a system-assigned
   * identity through the trusted-services exception.
   */
  readonly networkRestricted: boolean;
  /** The private container Event Grid dead-letters to. */
  readonly deadLetterContainerName: string;
  readonly deadLetterContainerId: pulumi.Output<string>;

  /** What the methods need; an accessor, so the package schema does not publish it as an output. */
  private get internal(): MessagingInternals {
    return internals.get(this)!;
  }

  constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
    // Refuse impossible args before anything is registered.
    validate(name, args);
    super("serverless-platform:storage:Messaging", name, {}, opts);
    const days = args.softDeleteRetentionDays ?? 7;
    const defaultAction = args.networkDefaultAction ?? (args.privateNetwork ? "Deny" : "Allow");

    const accountName = resourceName(`Messaging "${name}"`, "physicalNames.account", "storageAccount", args.physicalNames?.account, args.names, name);
    const account = new storage.StorageAccount(
      `${name}-account`,
      {
        accountName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        kind: storage.Kind.StorageV2,
        sku: { name: args.skuName ?? "Standard_LRS" },
        accessTier: storage.AccessTier.Hot,
        // Entra ID only: no account keys, no SAS signed with them; the portal uses Entra too.
        allowSharedKeyAccess: false,
        defaultToOAuthAuthentication: true,
        enableHttpsTrafficOnly: true,
        minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
        allowBlobPublicAccess: false,
        allowCrossTenantReplication: false,
        isLocalUserEnabled: false,
        // Public network access stays on with Deny: Event Grid delivers through the trusted-services exception.
        networkRuleSet: { defaultAction, bypass: "AzureServices" },
      },
      protectedOptions(args.protect, { parent: this }),
    );
    applyLock(`${name}-account`, account.id, effectiveLock(args.lock, args.protect), { parent: this });
    applyRoleAssignments(`${name}-account`, account.id, args.roleAssignments, { parent: this });

    const blobService = new storage.BlobServiceProperties(
      `${name}-blob`,
      {
        accountName: account.name,
        resourceGroupName: args.resourceGroupName,
        blobServicesName: "default",
        deleteRetentionPolicy: { enabled: true, days },
        containerDeleteRetentionPolicy: { enabled: true, days },
      },
      { parent: this },
    );

    const queueIds: Record<string, pulumi.Output<string>> = {};
    for (const q of args.queues) {
      for (const queueName of [q.name, poisonQueueFor(q.name)]) {
        const queue = new storage.Queue(
          `${name}-${queueName}`,
          {
            accountName: account.name,
            resourceGroupName: args.resourceGroupName,
            queueName,
            ...(q.description && queueName === q.name ? { metadata: { description: q.description } } : {}),
          },
          { parent: this },
        );
        queueIds[queueName] = queue.id;
      }
    }

    this.deadLetterContainerName = args.deadLetterContainerName ?? "eventgrid-deadletter";
    const deadLetterContainer = new storage.BlobContainer(
      `${name}-deadletter`,
      {
        accountName: account.name,
        resourceGroupName: args.resourceGroupName,
        containerName: this.deadLetterContainerName,
        publicAccess: storage.PublicAccess.None,
      },
      // Soft delete must be on before anything lands in the container.
      { parent: this, dependsOn: [blobService] },
    );
    internals.set(this, { name, deadLetterContainer, grants: new Map() });

    // The Functions apps reach queues and dead letters from inside the network.
    for (const groupId of ["queue", "blob"] as const) {
      if (!args.privateNetwork) break;
      privateEndpointIn(args.privateNetwork, {
        name: `${name}-${groupId}`,
        target: { resourceId: account.id, groupId },
        names: args.names,
        resourcePhysicalName: accountName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        parent: this,
      });
    }

    const diagnostics = effectiveDiagnostics(`Messaging "${name}"`, args.workspaceId, args.diagnosticSettings);
    // The account itself has metrics only; the logs live on the queue and blob services.
    applyDiagnostics(`${name}-account`, account.id, diagnostics, { parent: this }, { logCategoryGroups: [] });
    applyDiagnostics(`${name}-queue`, pulumi.interpolate`${account.id}/queueServices/default`, diagnostics, { parent: this });
    applyDiagnostics(`${name}-blob`, blobService.id, diagnostics, { parent: this });

    this.accountId = account.id;
    this.accountName = account.name;
    this.queueServiceUri = account.primaryEndpoints.queue;
    this.queueNames = args.queues.map((q) => q.name);
    this.poisonQueueNames = args.queues.map((q) => poisonQueueFor(q.name));
    this.queueIds = queueIds;
    this.networkRestricted = defaultAction === "Deny";
    this.deadLetterContainerId = deadLetterContainer.id;
    this.registerOutputs({ accountId: this.accountId, queueServiceUri: this.queueServiceUri });
  }

  /** Storage Queue Data Message Sender on `queue` only (enqueue, nothing else). */
  grantSend(grantee: Grantee, queue: string): authorization.RoleAssignment {
    const scope = this.queueId(queue, "grantSend");
    return this.once(`${this.internal.name}-${grantee.name}-send-${queue}`, (n) =>
      grantRole(n, { scope, principalId: grantee.principalId, role: "storageQueueDataMessageSender" }, { parent: this }),
    );
  }

  /**
   * What a queue trigger needs, each grant scoped to one queue (Azure accepts data-plane role
   * assignments at `<account id>/queueServices/default/queues/<queue>`):
   * - on `queue`, Storage Queue Data Contributor: the listener checks the queue exists (Get Queue
   *   Metadata: `queues/read`, which Message Processor lacks), receives, releases and deletes messages
   *   (Azure/azure-sdk-for-net, Microsoft.Azure.WebJobs.Extensions.Storage.Common, Queues/QueueListener.cs);
   * - on its poison queue, Storage Queue Data Message Sender: the extension only sends there, and creates
   *   the queue only when the send finds none (QueueProcessor.CopyMessageToPoisonQueueAsync →
   *   StorageQueueExtensions.AddMessageAndCreateIfNotExistsAsync, same package); this component creates it.
   */
  grantProcess(grantee: Grantee, queue: string): authorization.RoleAssignment[] {
    const scope = this.queueId(queue, "grantProcess");
    const processing = this.once(`${this.internal.name}-${grantee.name}-process-${queue}`, (n) =>
      grantRole(n, { scope, principalId: grantee.principalId, role: "storageQueueDataContributor" }, { parent: this }),
    );
    return [processing, this.grantSend(grantee, poisonQueueFor(queue))];
  }


  /**
   * Storage Blob Data Contributor on the dead-letter container only (Event Grid writes dead-lettered
   * events there). Several subscriptions of one topic share the grant.
   */
  grantDeadLetterWrite(grantee: Grantee): authorization.RoleAssignment {
    return this.once(`${this.internal.name}-${grantee.name}-deadletter`, (n) =>
      grantRole(n, { scope: this.internal.deadLetterContainer.id, principalId: grantee.principalId, role: "storageBlobDataContributor" }, { parent: this }),
    );
  }

  /**
   * The use of one queue: `send` (enqueue only: Storage Queue Data Message Sender on the queue) or
   * `process` (the queue trigger: see `grantProcess`), with the identity-based connection
   * `<connection>__queueServiceUri` the Functions queue extension and the SDK client read.
   */
  link(queue: string, access: "send" | "process", connection: string): Link {
    this.queueId(queue, "link");
    return {
      description: `queue "${queue}" of Messaging "${this.internal.name}" (${access})`,
      connections: { [connection]: this.connection() },
      grant: (grantee) => (access === "send" ? [this.grantSend(grantee, queue)] : this.grantProcess(grantee, queue)),
    };
  }

  /** Identity-based connection properties for the Functions queue extension (`<PREFIX>__queueServiceUri`). */
  connection(): { readonly queueServiceUri: pulumi.Output<string> } {
    return { queueServiceUri: this.queueServiceUri };
  }

  /** One role assignment per logical name (same grantee name, same grant): a repeated grant is not an error. */
  private once(name: string, create: (name: string) => authorization.RoleAssignment): authorization.RoleAssignment {
    let grant = this.internal.grants.get(name);
    if (!grant) {
      grant = create(name);
      this.internal.grants.set(name, grant);
    }
    return grant;
  }

  private queueId(queue: string, method: string): pulumi.Output<string> {
    const id = this.queueIds[queue];
    if (!id) {
      throw new Error(`Messaging "${this.internal.name}".${method}: no queue "${queue}" here; declared queues: ${this.queueNames.join(", ") || "none"}`);
    }
    return id;
  }
}
