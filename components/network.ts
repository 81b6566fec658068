/**
 * `PrivateNetwork`: the virtual network that takes the platform's data paths off the internet.
 *
 * One VNet with two subnets: `apps`, delegated to `Microsoft.App/environments` (the delegation Flex
 * Consumption's VNet integration requires; several Flex apps may share it, each using up to ~40
 * addresses), and `endpoints`, holding private endpoints. One private DNS zone per private-link
 * service this platform uses, each linked to the VNet, so the services' public host names resolve to
 * their private endpoints from inside it. `privateEndpoint(...)` connects a resource (a storage
 * service, a Cosmos DB account, a vault) with its DNS registration.
 *
 * Cost: the VNet and subnets are free; each private endpoint is ~$7.30/month plus $0.01/GB processed,
 * each private DNS zone $0.50/month: an always-on cost, paid whether or not the system is used.
 */
import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import * as privatedns from "@pulumi/azure-native/privatedns";
import { type NameContext, physicalName } from "./core/naming";
import { type StandardArgs, applyDiagnostics, applyLock, applyRoleAssignments, effectiveDiagnostics, resourceName } from "./core/standard";
import type { Tags } from "./core/tags";

/** The private-link sub-resources (`groupId`s) this platform connects, and their private DNS zones (public cloud). */
export const PRIVATE_DNS_ZONES = {
  blob: "privatelink.blob.core.windows.net",
  queue: "privatelink.queue.core.windows.net",
  table: "privatelink.table.core.windows.net",
  Sql: "privatelink.documents.azure.com",
  vault: "privatelink.vaultcore.azure.net",
} as const;

/** A private-link sub-resource: storage `blob`/`queue`/`table`, Cosmos DB (NoSQL) `Sql`, Key Vault `vault`. */
export type PrivateEndpointGroup = keyof typeof PRIVATE_DNS_ZONES;

/** The delegation Flex Consumption VNet integration requires on its subnet. */
export const FLEX_SUBNET_DELEGATION = "Microsoft.App/environments";

/** Monthly list price of one private endpoint (USD, 730 h at $0.01/h), before data processing. */
export const PRIVATE_ENDPOINT_MONTHLY_USD = 7.3;

/** Explicit physical names of a PrivateNetwork's resources. */
export interface PrivateNetworkPhysicalNames {
  /** The virtual network (its NSG is `<virtualNetwork>-nsg`). @default from the naming helper */
  readonly virtualNetwork?: string;
}

/**
 * ARM ids of a PrivateNetwork's private DNS zones, one per private-link group (the keys of
 * `PRIVATE_DNS_ZONES`). An interface, not a `Record` over the groups, so other Pulumi languages get
 * it as a typed object in the package schema. A group without its field here, or a field without
 * its group, fails the typecheck (the constructor fills it from `PRIVATE_DNS_ZONES`, and
 * `privateEndpoint` reads it by group).
 */
export interface PrivateDnsZoneIds {
  readonly blob: pulumi.Output<string>;
  readonly queue: pulumi.Output<string>;
  readonly table: pulumi.Output<string>;
  readonly Sql: pulumi.Output<string>;
  readonly vault: pulumi.Output<string>;
}

export interface PrivateNetworkArgs extends StandardArgs {
  /**
   * The naming helper's prefix and environment. Required unless `physicalNames.virtualNetwork` is
   * given and every private endpoint gets its `physicalName`. @default none
   */
  readonly names?: NameContext;
  /** Explicit physical names (the NSG is `<virtualNetwork>-nsg`). @default from the naming helper */
  readonly physicalNames?: PrivateNetworkPhysicalNames;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  /** The VNet's address space (IPv4 CIDR, /8 to /24). @default "10.40.0.0/16" */
  readonly addressSpace?: string;
  /** The Flex apps' integration subnet: ~40 addresses per app. @default the first /24 of the address space */
  readonly appsSubnetPrefix?: string;
  /** The private endpoints' subnet (one address per endpoint, two for Cosmos DB). @default the second /24 */
  readonly endpointsSubnetPrefix?: string;
}

/**
 * ARM ids of private DNS zones a component registers its private endpoint in, by private-link group
 * (the keys of `PRIVATE_DNS_ZONES`). Only the groups the component connects are needed: Cosmos DB
 * `Sql`, Key Vault `vault`, Storage `blob`/`queue` (Messaging) or `blob`/`queue`/`table` (a Function
 * App's host storage).
 */
export interface PrivateDnsZoneIdArgs {
  readonly blob?: pulumi.Input<string>;
  readonly queue?: pulumi.Input<string>;
  readonly table?: pulumi.Input<string>;
  readonly Sql?: pulumi.Input<string>;
  readonly vault?: pulumi.Input<string>;
}

/**
 * A private network as the components that join it see it: plain data (subnet and DNS zone ids), so
 * any Pulumi language can pass it, and a network another program owns works as well as a
 * `PrivateNetwork` of this one. Get it from `privateNetwork.reference`.
 */
export interface PrivateNetworkReference {
  /** ARM id of the subnet private endpoints are placed in. */
  readonly endpointsSubnetId: pulumi.Input<string>;
  /**
   * ARM id of the subnet Flex apps integrate with (delegated to `Microsoft.App/environments`).
   * Required by FunctionApp's `network`. @default none
   */
  readonly appsSubnetId?: pulumi.Input<string>;
  /** The private DNS zones the endpoints register in, by private-link group. */
  readonly dnsZoneIds: PrivateDnsZoneIdArgs;
  /**
   * TypeScript only (the package schema has no functions): creates the endpoint inside the network
   * that issued this reference, as that `PrivateNetwork`'s child, after its DNS zone's VNet link.
   * Without it (plain data), the component creates the endpoint and its DNS zone group as its own
   * children. @default the component creates the endpoint
   */
  privateEndpoint?(name: string, target: PrivateEndpointTarget): PrivateEndpointConnection;
}

/** What `privateEndpoint` connects. */
export interface PrivateEndpointTarget {
  /** ARM id of the resource (storage account, Cosmos DB account, vault). */
  readonly resourceId: pulumi.Input<string>;
  /** The sub-resource to connect; picks the DNS zone. */
  readonly groupId: PrivateEndpointGroup;
  /** The endpoint's physical name (its NIC is `<name>-nic`). @default from the naming helper */
  readonly physicalName?: string;
}

/** A private endpoint and the DNS zone group that registers it: wait for `dnsZoneGroup` before relying on the name. */
export interface PrivateEndpointConnection {
  readonly endpoint: network.PrivateEndpoint;
  readonly dnsZoneGroup: network.PrivateDnsZoneGroup;
}

interface Cidr {
  readonly base: number;
  readonly bits: number;
}

function parseCidr(what: string, cidr: string): Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || bits > 32) throw new Error(`${what}: "${cidr}" is not an IPv4 CIDR such as "10.40.0.0/16"`);
  const base = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - bits);
  if (base % size !== 0) throw new Error(`${what}: "${cidr}" has host bits set; use the network address`);
  return { base, bits };
}

const formatCidr = ({ base, bits }: Cidr): string =>
  `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join(".")}/${bits}`;

const contains = (outer: Cidr, inner: Cidr): boolean =>
  inner.bits >= outer.bits && inner.base >= outer.base && inner.base + 2 ** (32 - inner.bits) <= outer.base + 2 ** (32 - outer.bits);

const overlaps = (a: Cidr, b: Cidr): boolean =>
  a.base < b.base + 2 ** (32 - b.bits) && b.base < a.base + 2 ** (32 - a.bits);

/** The address plan, validated: both subnets inside the address space and apart. */
export function addressPlan(args: Pick<PrivateNetworkArgs, "addressSpace" | "appsSubnetPrefix" | "endpointsSubnetPrefix">): {
  readonly addressSpace: string;
  readonly apps: string;
  readonly endpoints: string;
} {
  const space = parseCidr("addressSpace", args.addressSpace ?? "10.40.0.0/16");
  if (space.bits < 8 || space.bits > 24) throw new Error(`addressSpace: "${formatCidr(space)}" must be /8 to /24 (room for two subnets)`);
  // Defaults: the first two /24s (the two halves of a /24 space).
  const defaultApps: Cidr = { base: space.base, bits: space.bits < 24 ? 24 : 25 };
  const defaultEndpoints: Cidr = { base: space.base + 2 ** (32 - defaultApps.bits), bits: defaultApps.bits };
  const apps = args.appsSubnetPrefix !== undefined ? parseCidr("appsSubnetPrefix", args.appsSubnetPrefix) : defaultApps;
  const endpoints = args.endpointsSubnetPrefix !== undefined ? parseCidr("endpointsSubnetPrefix", args.endpointsSubnetPrefix) : defaultEndpoints;
  for (const [what, subnet] of [["appsSubnetPrefix", apps], ["endpointsSubnetPrefix", endpoints]] as const) {
    if (!contains(space, subnet)) throw new Error(`${what}: "${formatCidr(subnet)}" is not inside addressSpace "${formatCidr(space)}"`);
    if (subnet.bits > 28) throw new Error(`${what}: "${formatCidr(subnet)}" is smaller than /28 (Azure reserves 5 addresses per subnet)`);
  }
  if (apps.bits > 27) throw new Error(`appsSubnetPrefix: "${formatCidr(apps)}" is smaller than /27; Flex apps use up to ~40 addresses each`);
  if (overlaps(apps, endpoints)) throw new Error(`appsSubnetPrefix "${formatCidr(apps)}" and endpointsSubnetPrefix "${formatCidr(endpoints)}" overlap`);
  return { addressSpace: formatCidr(space), apps: formatCidr(apps), endpoints: formatCidr(endpoints) };
}

/**
 * A PrivateNetwork's state `privateEndpoint` uses. Kept off the class: the package schema publishes
 * every class field (private and `#private` ones too) as an output in every language.
 */
interface PrivateNetworkInternals {
  readonly name: string;
  readonly names: NameContext | undefined;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly tags: Tags | undefined;
  readonly zoneLinks: Readonly<Record<PrivateEndpointGroup, privatedns.VirtualNetworkLink>>;
  readonly endpoints: Set<string>;
}
const internals = new WeakMap<PrivateNetwork, PrivateNetworkInternals>();

/** A VNet for Flex Consumption integration and private endpoints, with the private DNS zones linked to it. */
export class PrivateNetwork extends pulumi.ComponentResource {
  readonly vnetId: pulumi.Output<string>;
  /** The subnet Flex apps integrate with (`virtualNetworkSubnetId`). */
  readonly appsSubnetId: pulumi.Output<string>;
  /** The subnet private endpoints live in. */
  readonly endpointsSubnetId: pulumi.Output<string>;
  /** ARM ids of the private DNS zones, by private-link group. */
  readonly dnsZoneIds: PrivateDnsZoneIds;

  /**
   * This network as plain data, for the `privateNetwork` arg of CosmosDb, Messaging and KeyVault and
   * FunctionApp's `network.privateNetwork`: their private endpoints are created here, as this
   * network's children (an accessor, so the package schema does not publish it as an output).
   */
  get reference(): PrivateNetworkReference {
    return {
      endpointsSubnetId: this.endpointsSubnetId,
      appsSubnetId: this.appsSubnetId,
      dnsZoneIds: this.dnsZoneIds,
      privateEndpoint: (name, target) => this.privateEndpoint(name, target),
    };
  }

  /** What `privateEndpoint` needs; an accessor, so the package schema does not publish it as an output. */
  private get internal(): PrivateNetworkInternals {
    return internals.get(this)!;
  }

  constructor(name: string, args: PrivateNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    // Refuse an impossible address plan before anything is registered.
    const plan = addressPlan(args);
    super("serverless-platform:network:PrivateNetwork", name, {}, opts);

    const vnetName = resourceName(`PrivateNetwork "${name}"`, "physicalNames.virtualNetwork", "virtualNetwork", args.physicalNames?.virtualNetwork, args.names, name);
    // One NSG for both subnets, with only the platform's default rules (VNet and load balancer in,
    // everything else from the internet denied): every subnet is filtered (PSRule Azure.VNET.UseNSGs,
    // policy subnet-nsg). NSGs are free.
    const nsg = new network.NetworkSecurityGroup(
      `${name}-nsg`,
      { networkSecurityGroupName: `${vnetName}-nsg`, resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags },
      { parent: this },
    );
    // Subnets inline: one PUT, no parallel subnet writes, and an update never drops a subnet.
    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      {
        virtualNetworkName: vnetName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        addressSpace: { addressPrefixes: [plan.addressSpace] },
        subnets: [
          {
            name: "apps",
            addressPrefix: plan.apps,
            delegations: [{ name: "flex-consumption", serviceName: FLEX_SUBNET_DELEGATION }],
            networkSecurityGroup: { id: nsg.id },
            // Private subnet: no implicit outbound public IP (Microsoft Learn, "Default outbound
            // access in Azure"); internet egress needs an explicit NAT gateway (policy subnet-default-outbound).
            defaultOutboundAccess: false,
          },
          {
            name: "endpoints",
            addressPrefix: plan.endpoints,
            // The NSG filters the private endpoints too; Azure's default (Disabled) lets their traffic
            // past it (Microsoft Learn, "Manage network policies for private endpoints"; policy subnet-pe-nsg).
            privateEndpointNetworkPolicies: network.VirtualNetworkPrivateEndpointNetworkPolicies.NetworkSecurityGroupEnabled,
            networkSecurityGroup: { id: nsg.id },
            defaultOutboundAccess: false,
          },
        ],
      },
      { parent: this },
    );
    applyLock(`${name}-vnet`, vnet.id, args.lock, { parent: this });
    applyRoleAssignments(`${name}-vnet`, vnet.id, args.roleAssignments, { parent: this });
    applyDiagnostics(`${name}-vnet`, vnet.id, effectiveDiagnostics(`PrivateNetwork "${name}"`, undefined, args.diagnosticSettings), { parent: this });
    this.vnetId = vnet.id;
    this.appsSubnetId = pulumi.interpolate`${vnet.id}/subnets/apps`;
    this.endpointsSubnetId = pulumi.interpolate`${vnet.id}/subnets/endpoints`;

    const zoneIds = {} as Record<PrivateEndpointGroup, pulumi.Output<string>>;
    const links = {} as Record<PrivateEndpointGroup, privatedns.VirtualNetworkLink>;
    for (const [group, zoneName] of Object.entries(PRIVATE_DNS_ZONES) as [PrivateEndpointGroup, string][]) {
      const zone = new privatedns.PrivateZone(
        `${name}-${group.toLowerCase()}-zone`,
        { privateZoneName: zoneName, resourceGroupName: args.resourceGroupName, location: "global", tags: args.tags },
        { parent: this },
      );
      links[group] = new privatedns.VirtualNetworkLink(
        `${name}-${group.toLowerCase()}-link`,
        {
          virtualNetworkLinkName: vnetName,
          privateZoneName: zone.name,
          resourceGroupName: args.resourceGroupName,
          location: "global",
          tags: args.tags,
          virtualNetwork: { id: vnet.id },
          // Private endpoints register through their DNS zone groups; VMs do not auto-register here.
          registrationEnabled: false,
        },
        { parent: this },
      );
      zoneIds[group] = zone.id;
    }
    this.dnsZoneIds = zoneIds;
    internals.set(this, {
      name,
      names: args.names,
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      tags: args.tags,
      zoneLinks: links,
      endpoints: new Set(),
    });

    this.registerOutputs({ vnetId: this.vnetId, appsSubnetId: this.appsSubnetId, endpointsSubnetId: this.endpointsSubnetId });
  }

  /**
   * A private endpoint for `target.groupId` of `target.resourceId` in the endpoints subnet, and the DNS
   * zone group that puts its address in the group's private DNS zone. `name` (unique per network,
   * e.g. `orders-host-blob`) becomes the logical and physical name. Each endpoint costs ~$7.30/month.
   */
  privateEndpoint(name: string, target: PrivateEndpointTarget): PrivateEndpointConnection {
    const where = `PrivateNetwork "${this.internal.name}".privateEndpoint("${name}")`;
    if (!/^[a-z][a-z0-9-]{1,50}$/.test(name)) throw new Error(`${where}: the name must be 2-51 lowercase letters, digits and hyphens, starting with a letter`);
    if (this.internal.endpoints.has(name)) throw new Error(`${where}: this network already has a private endpoint "${name}"`);
    if (!(target.groupId in PRIVATE_DNS_ZONES)) {
      throw new Error(`${where}: groupId "${String(target.groupId)}" is not one of ${Object.keys(PRIVATE_DNS_ZONES).join(", ")}`);
    }
    this.internal.endpoints.add(name);
    return createPrivateEndpoint(`${this.internal.name}-${name}`, {
      physicalName: resourceName(where, "physicalName", "privateEndpoint", target.physicalName, this.internal.names, name),
      resourceGroupName: this.internal.resourceGroupName,
      location: this.internal.location,
      tags: this.internal.tags,
      subnetId: this.endpointsSubnetId,
      target,
      dnsZoneId: this.dnsZoneIds[target.groupId],
      // Resolution inside the VNet needs the zone's link as well as the record.
      dnsZoneDependsOn: [this.internal.zoneLinks[target.groupId]],
      parent: this,
    });
  }
}

/** Everything one private endpoint and its DNS registration are made of. */
interface PrivateEndpointSpec {
  readonly physicalName: string;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly tags: Tags | undefined;
  readonly subnetId: pulumi.Input<string>;
  readonly target: PrivateEndpointTarget;
  readonly dnsZoneId: pulumi.Input<string>;
  readonly dnsZoneDependsOn: readonly pulumi.Resource[];
  readonly parent: pulumi.Resource;
}

/** `<logicalName>` (the endpoint, NIC `<physical name>-nic`) and `<logicalName>-dns` (its DNS zone group). */
function createPrivateEndpoint(logicalName: string, spec: PrivateEndpointSpec): PrivateEndpointConnection {
  const endpoint = new network.PrivateEndpoint(
    logicalName,
    {
      privateEndpointName: spec.physicalName,
      resourceGroupName: spec.resourceGroupName,
      location: spec.location,
      tags: spec.tags,
      subnet: { id: spec.subnetId },
      customNetworkInterfaceName: `${spec.physicalName}-nic`,
      privateLinkServiceConnections: [{ name: spec.physicalName, privateLinkServiceId: spec.target.resourceId, groupIds: [spec.target.groupId] }],
    },
    { parent: spec.parent },
  );
  const dnsZoneGroup = new network.PrivateDnsZoneGroup(
    `${logicalName}-dns`,
    {
      privateEndpointName: endpoint.name,
      resourceGroupName: spec.resourceGroupName,
      privateDnsZoneGroupName: "default",
      privateDnsZoneConfigs: [{ name: PRIVATE_DNS_ZONES[spec.target.groupId].replace(/\./g, "-"), privateDnsZoneId: spec.dnsZoneId }],
    },
    { parent: spec.parent, ...(spec.dnsZoneDependsOn.length > 0 ? { dependsOn: [...spec.dnsZoneDependsOn] } : {}) },
  );
  return { endpoint, dnsZoneGroup };
}

/**
 * Refuses a `privateNetwork` reference that lacks what `owner` needs (checked before anything is
 * registered): the DNS zone of each group it connects, and with `needsAppsSubnet` the apps subnet.
 */
export function checkPrivateNetworkReference(
  owner: string,
  arg: string,
  reference: PrivateNetworkReference,
  groups: readonly PrivateEndpointGroup[],
  needsAppsSubnet = false,
): void {
  if (reference.endpointsSubnetId === undefined) throw new Error(`${owner}: ${arg}.endpointsSubnetId is required (the subnet its private endpoints go in)`);
  for (const group of groups) {
    if (reference.dnsZoneIds?.[group] === undefined) {
      throw new Error(`${owner}: ${arg}.dnsZoneIds.${group} is required (the ARM id of the private DNS zone ${PRIVATE_DNS_ZONES[group]}, where its "${group}" private endpoint registers)`);
    }
  }
  if (needsAppsSubnet && reference.appsSubnetId === undefined) {
    throw new Error(`${owner}: ${arg}.appsSubnetId is required (the subnet delegated to ${FLEX_SUBNET_DELEGATION} the app integrates with)`);
  }
}

/** A component's private endpoint: what `privateEndpointIn` needs besides the network. */
export interface ComponentPrivateEndpoint {
  /** Unique per network and derived from the component's name, e.g. `data-sql`. */
  readonly name: string;
  readonly target: PrivateEndpointTarget;
  /** The component's naming context: the endpoint's physical name is the helper's for `name`. */
  readonly names: NameContext | undefined;
  /** Without a naming context: the connected resource's physical name (the endpoint is `<it>-<group>`). */
  readonly resourcePhysicalName: string;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly tags: Tags | undefined;
  /** The component: the endpoint's parent when the reference is plain data. */
  readonly parent: pulumi.Resource;
}

/**
 * The private endpoint of a component's resource in `reference`'s network: the issuing
 * `PrivateNetwork` creates it (as its child) when the reference came from one in this program;
 * otherwise (plain data, e.g. from another language or stack) the component creates it as its own
 * child, `<name>` and `<name>-dns`. Check the reference first with `checkPrivateNetworkReference`.
 */
export function privateEndpointIn(reference: PrivateNetworkReference, endpoint: ComponentPrivateEndpoint): PrivateEndpointConnection {
  if (reference.privateEndpoint) return reference.privateEndpoint(endpoint.name, endpoint.target);
  const physical = endpoint.names
    ? physicalName("privateEndpoint", endpoint.names, endpoint.name)
    : resourceName(`private endpoint "${endpoint.name}"`, "physicalName", "privateEndpoint", `${endpoint.resourcePhysicalName}-${endpoint.target.groupId.toLowerCase()}`, undefined);
  return createPrivateEndpoint(endpoint.name, {
    physicalName: physical,
    resourceGroupName: endpoint.resourceGroupName,
    location: endpoint.location,
    tags: endpoint.tags,
    subnetId: reference.endpointsSubnetId,
    target: endpoint.target,
    dnsZoneId: reference.dnsZoneIds[endpoint.target.groupId]!,
    dnsZoneDependsOn: [],
    parent: endpoint.parent,
  });
}
