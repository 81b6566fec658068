/**
 * Network exposure beyond the per-service firewalls: Event Grid, Application Insights and Log
 * Analytics public endpoints in prod, subnets (NSG, default outbound access), NSG rules open to the
 * internet, storage cross-tenant replication.
 *
 * Facts: subnets in Azure.VNET.UseNSGs' exception list (GatewaySubnet, AzureFirewallSubnet,
 * AzureFirewallManagementSubnet, RouteServerSubnet) cannot take an NSG; `defaultOutboundAccess:
 * false` makes a subnet private, with no implicit public outbound IP (Microsoft Learn, "Default
 * outbound access in Azure"); NSG source "*", "Internet", "0.0.0.0/0" and "Any" admit every address
 * (Microsoft Learn, "Network security groups", service tags), and so do prefixes that add up to the
 * whole address space (sourceAddressPrefixes takes CIDR ranges: azure-rest-api-specs, network
 * networkSecurityGroup.json, SecurityRulePropertiesFormat).
 */
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import * as eventgrid from "@pulumi/azure-native/eventgrid";
import * as network from "@pulumi/azure-native/network";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as storage from "@pulumi/azure-native/storage";
import { validateResourceOfType, type PolicyResource, type ReportViolation, type ResourceValidationArgs } from "@pulumi/policy";
import { allowListSchema, allowListed, eqIgnoreCase, peek, resourcePolicy, show, stackPolicy, UNKNOWN, type PlatformPolicy } from "./common";
import { coversInternet } from "./ip-ranges";

type AllowConfig = { allow?: { name: string; reason: string }[] };

export const egPublicAccess = resourcePolicy({
  name: "eg-public-access",
  description: "Event Grid topics and domains are not open to every network in prod: publicNetworkAccess Disabled (private endpoint) or inbound IP rules.",
  severity: "medium",
  prodOnly: true,
  anchors: ["Azure.EventGrid.TopicPublicAccess", "CKV_AZURE_193", "CKV_AZURE_106"],
  remediationSteps:
    'Set publicNetworkAccess: "Disabled" and publish through a private endpoint (groupId "topic", zone privatelink.eventgrid.azure.net), or list inboundIpRules; a waiver names the topic with a reason in eg-public-access.allow.',
  configSchema: { properties: allowListSchema('Topics that may stay public: { "name": "<logical name>", "reason": "..." }.') },
  validateResource: [eventgrid.Topic, eventgrid.Domain].map((cls) =>
    validateResourceOfType(cls as typeof eventgrid.Topic, (t, args, report) => {
      if (eqIgnoreCase(t.publicNetworkAccess, "Disabled")) return;
      if ((t.inboundIpRules ?? []).length > 0) return;
      if (allowListed(args.getConfig<AllowConfig>(), args.name)) return;
      report(
        `Event Grid ${args.type.endsWith("Domain") ? "domain" : "topic"} "${args.name}" has publicNetworkAccess ${show(t.publicNetworkAccess)} and no inboundIpRules: anyone on the internet can reach its endpoint. ` +
          'Set publicNetworkAccess: "Disabled" with a private endpoint, or restrict inboundIpRules.',
      );
    }),
  ),
});

/** Public ingestion/query switches of App Insights components and Log Analytics workspaces. */
function checkPublicMonitoring(
  label: string,
  props: { publicNetworkAccessForIngestion?: string; publicNetworkAccessForQuery?: string },
  args: ResourceValidationArgs,
  report: ReportViolation,
): void {
  const config = args.getConfig<AllowConfig>();
  for (const [key, what] of [
    ["publicNetworkAccessForIngestion", "ingestion"],
    ["publicNetworkAccessForQuery", "query"],
  ] as const) {
    if (eqIgnoreCase(props[key], "Disabled") || allowListed(config, `${args.name}/${what}`)) continue;
    report(
      `${label} "${args.name}" has ${key} ${show(props[key])} (unset means Enabled): ${what === "ingestion" ? "anyone on the internet can send it telemetry" : "its data can be queried from any network"}. ` +
        `Set ${key}: "Disabled" and use an Azure Monitor Private Link Scope, or waive "${args.name}/${what}" with a reason.`,
    );
  }
}

export const appiPublicNetwork = resourcePolicy({
  name: "appi-public-network",
  description: "In prod, Application Insights takes no public ingestion or queries (publicNetworkAccessForIngestion/ForQuery Disabled) unless waived with a reason.",
  severity: "medium",
  prodOnly: true,
  remediationSteps: 'Set publicNetworkAccessForIngestion and publicNetworkAccessForQuery to "Disabled" behind an Azure Monitor Private Link Scope, or add { "name": "<component>/ingestion|query", "reason": "..." } to the allow list.',
  configSchema: { properties: allowListSchema('Waivers: { "name": "<logical name>/ingestion" or "<logical name>/query", "reason": "..." }.') },
  validateResource: validateResourceOfType(applicationinsights.Component, (c, args, report) => checkPublicMonitoring("Application Insights", c, args, report)),
});

export const lawPublicNetwork = resourcePolicy({
  name: "law-public-network",
  description: "In prod, Log Analytics workspaces take no public ingestion or queries (publicNetworkAccessForIngestion/ForQuery Disabled) unless waived with a reason.",
  severity: "medium",
  prodOnly: true,
  remediationSteps: 'Set publicNetworkAccessForIngestion and publicNetworkAccessForQuery to "Disabled" behind an Azure Monitor Private Link Scope, or add { "name": "<workspace>/ingestion|query", "reason": "..." } to the allow list.',
  configSchema: { properties: allowListSchema('Waivers: { "name": "<logical name>/ingestion" or "<logical name>/query", "reason": "..." }.') },
  validateResource: validateResourceOfType(operationalinsights.Workspace, (w, args, report) => checkPublicMonitoring("Log Analytics workspace", w, args, report)),
});

/** Subnets that cannot take an NSG (PSRule Azure.VNET.UseNSGs' exceptions). */
const NO_NSG_SUBNETS = new Set(["gatewaysubnet", "azurefirewallsubnet", "azurefirewallmanagementsubnet", "routeserversubnet"]);

interface SubnetLike {
  name?: string;
  networkSecurityGroup?: { id?: string };
  defaultOutboundAccess?: boolean;
}

/** The subnets a resource declares: a VNet's inline `subnets`, or a network:Subnet itself. */
function subnetsOf(args: ResourceValidationArgs): { label: string; subnet: SubnetLike }[] {
  if (args.isType(network.VirtualNetwork)) {
    const vnet = args.asType(network.VirtualNetwork)!;
    return (vnet.subnets ?? []).map((s) => ({ label: `subnet ${show(s.name)} of virtual network "${args.name}"`, subnet: s as SubnetLike }));
  }
  if (args.isType(network.Subnet)) {
    const s = args.asType(network.Subnet)!;
    return [{ label: `subnet "${args.name}"${s.subnetName ? ` (${s.subnetName})` : ""}`, subnet: { ...(s as SubnetLike), name: s.subnetName ?? s.name } }];
  }
  return [];
}

export const subnetNsg = resourcePolicy({
  name: "subnet-nsg",
  description: "Every subnet (except GatewaySubnet, AzureFirewallSubnet, AzureFirewallManagementSubnet, RouteServerSubnet) has a network security group.",
  severity: "medium",
  anchors: ["Azure.VNET.UseNSGs", "CKV2_AZURE_31"],
  remediationSteps: "Create a network:NetworkSecurityGroup and set networkSecurityGroup: { id } on each subnet.",
  validateResource: (args, report) => {
    const subnets = subnetsOf(args);
    if (subnets.length === 0) return args.notApplicable("no subnets");
    for (const { label, subnet } of subnets) {
      if (typeof subnet.name === "string" && NO_NSG_SUBNETS.has(subnet.name.toLowerCase())) continue;
      if (!subnet.networkSecurityGroup?.id) {
        report(`${label} has no networkSecurityGroup: traffic to and from it is filtered by nothing; attach an NSG (networkSecurityGroup: { id }).`);
      }
    }
  },
});

export const subnetDefaultOutbound = resourcePolicy({
  name: "subnet-default-outbound",
  description: "Every subnet is private (defaultOutboundAccess: false): outbound internet access is explicit (NAT gateway), never an implicit shared public IP.",
  severity: "medium",
  remediationSteps: "Set defaultOutboundAccess: false on each subnet; give it a NAT gateway if its workloads call the internet.",
  validateResource: (args, report) => {
    const subnets = subnetsOf(args);
    if (subnets.length === 0) return args.notApplicable("no subnets");
    for (const { label, subnet } of subnets) {
      if (subnet.defaultOutboundAccess !== false) {
        report(`${label} has defaultOutboundAccess ${show(subnet.defaultOutboundAccess)}: it may reach the internet through an implicit, unowned public IP. Set defaultOutboundAccess: false (add a NAT gateway where egress is needed).`);
      }
    }
  },
});

interface EndpointSubnet extends SubnetLike {
  privateEndpointNetworkPolicies?: string;
}

/** NSG rules reach a subnet's private endpoints only with these (Microsoft Learn, "Manage network policies for private endpoints": Disabled is the default). */
const PE_NSG_ON = new Set(["enabled", "networksecuritygroupenabled"]);

/** The subnet `/…/virtualNetworks/<vnet>/subnets/<subnet>` among the stack's VNets (inline) and network:Subnet resources. */
function findSubnet(resources: readonly PolicyResource[], id: string): { owner: PolicyResource; label: string; subnet: EndpointSubnet } | undefined {
  const match = /\/virtualNetworks\/([^/]+)\/subnets\/([^/]+)$/i.exec(id);
  if (!match) return undefined;
  const [vnetName, subnetName] = [match[1]!.toLowerCase(), match[2]!.toLowerCase()];
  for (const r of resources) {
    if (r.isType(network.VirtualNetwork) && String(peek(() => r.props["virtualNetworkName"])).toLowerCase() === vnetName) {
      const subnets = peek(() => r.props["subnets"]);
      const subnet = Array.isArray(subnets) ? (subnets as EndpointSubnet[]).find((s) => String(s.name).toLowerCase() === subnetName) : undefined;
      if (subnet) return { owner: r, label: `subnet ${show(subnet.name)} of virtual network "${r.name}"`, subnet };
    }
    if (
      r.isType(network.Subnet) &&
      String(peek(() => r.props["virtualNetworkName"])).toLowerCase() === vnetName &&
      String(peek(() => r.props["subnetName"])).toLowerCase() === subnetName
    ) {
      return { owner: r, label: `subnet "${r.name}"`, subnet: r.props as EndpointSubnet };
    }
  }
  return undefined;
}

export const subnetPrivateEndpointNsg = stackPolicy({
  name: "subnet-pe-nsg",
  description:
    "A subnet that hosts private endpoints and has an NSG applies it to them: privateEndpointNetworkPolicies Enabled or NetworkSecurityGroupEnabled (the default, Disabled, lets endpoint traffic past the NSG).",
  severity: "medium",
  remediationSteps: 'Set privateEndpointNetworkPolicies: "NetworkSecurityGroupEnabled" on the subnet ("Enabled" to honour its route table too).',
  validateStack: (args, report) => {
    const endpoints = args.resources.filter((r) => r.isType(network.PrivateEndpoint));
    if (endpoints.length === 0) return args.notApplicable("no private endpoints");
    const reported = new Set<string>();
    for (const endpoint of endpoints) {
      const id = peek(() => (endpoint.props["subnet"] as { id?: unknown } | undefined)?.id);
      if (id === UNKNOWN || typeof id !== "string") continue;
      const found = findSubnet(args.resources, id);
      if (!found || !found.subnet.networkSecurityGroup?.id) continue;
      const setting = found.subnet.privateEndpointNetworkPolicies;
      if (typeof setting === "string" && PE_NSG_ON.has(setting.toLowerCase())) continue;
      if (reported.has(found.label)) continue;
      reported.add(found.label);
      report(
        `${found.label} hosts private endpoint "${endpoint.name}" and has an NSG, but privateEndpointNetworkPolicies is ${show(setting)} (unset means Disabled): ` +
          'its NSG rules do not filter traffic to the endpoints. Set privateEndpointNetworkPolicies: "NetworkSecurityGroupEnabled".',
        found.owner.urn,
      );
    }
  },
});

const ANY_SOURCE = new Set(["*", "any", "internet", "0.0.0.0/0", "0.0.0.0", "::/0", "<nw>/0", "/0"]);

interface RuleLike {
  name?: string;
  direction?: string;
  access?: string;
  sourceAddressPrefix?: string;
  sourceAddressPrefixes?: string[];
  destinationPortRange?: string;
  destinationPortRanges?: string[];
}

function openRule(rule: RuleLike): string | undefined {
  if (!eqIgnoreCase(rule.direction, "Inbound") || !eqIgnoreCase(rule.access, "Allow")) return undefined;
  const sources = [rule.sourceAddressPrefix, ...(rule.sourceAddressPrefixes ?? [])].filter((s): s is string => typeof s === "string");
  const open = sources.find((s) => ANY_SOURCE.has(s.trim().toLowerCase()));
  // Ranges that add up to the whole address space are the internet too (0.0.0.0/1 + 128.0.0.0/1).
  const shown = open !== undefined ? JSON.stringify(open) : coversInternet(sources) ? `${sources.map((x) => JSON.stringify(x)).join(" + ")}, which together cover every address` : undefined;
  if (!shown) return undefined;
  return `allows inbound ${portsOf(rule)} from ${shown}`;
}

const portsOf = (rule: RuleLike): string => [rule.destinationPortRange, ...(rule.destinationPortRanges ?? [])].filter((p) => p !== undefined).join(", ") || "*";

/** Inbound allow rules of one NSG whose sources, taken together, cover every address (each rule alone does not). */
function openTogether(rules: readonly { name?: string; rule: RuleLike }[]): string | undefined {
  const allows = rules.filter(({ rule }) => eqIgnoreCase(rule.direction, "Inbound") && eqIgnoreCase(rule.access, "Allow") && openRule(rule) === undefined);
  const sources = allows.flatMap(({ rule }) => [rule.sourceAddressPrefix, ...(rule.sourceAddressPrefixes ?? [])].filter((s): s is string => typeof s === "string"));
  if (allows.length < 2 || !coversInternet(sources)) return undefined;
  return `rules ${allows.map(({ name }) => show(name)).join(", ")} together allow inbound from ${sources.map((x) => JSON.stringify(x)).join(" + ")}, which cover every address`;
}

export const nsgOpenInbound = resourcePolicy({
  name: "nsg-open-inbound",
  description: 'No NSG rule allows inbound traffic from any address ("*", "Internet", "0.0.0.0/0", "Any", or ranges that together cover every address, within a rule or across an NSG\'s rules).',
  severity: "high",
  anchors: ["Azure.NSG.AnyInboundSource", "CKV_AZURE_9", "CKV_AZURE_10", "CKV_AZURE_160", "CKV_AZURE_77"],
  remediationSteps: "Restrict sourceAddressPrefix(es) to the callers' ranges or service tags (e.g. ApiManagement, AzureLoadBalancer); private endpoints need no inbound rule.",
  validateResource: (args, report) => {
    let rules: { owner: string; rule: RuleLike }[];
    if (args.isType(network.NetworkSecurityGroup)) {
      const nsg = args.asType(network.NetworkSecurityGroup)!;
      rules = (nsg.securityRules ?? []).map((r) => ({ owner: `network security group "${args.name}" rule ${show(r.name)}`, rule: r as RuleLike }));
    } else if (args.isType(network.SecurityRule)) {
      rules = [{ owner: `security rule "${args.name}"`, rule: args.asType(network.SecurityRule)! as RuleLike }];
    } else return args.notApplicable("not a network security group or rule");
    for (const { owner, rule } of rules) {
      const why = openRule(rule);
      if (why) report(`${owner} ${why}: every address on the internet can reach what it protects; restrict the source to the callers' ranges or service tags.`);
    }
    if (args.isType(network.NetworkSecurityGroup)) {
      const together = openTogether((args.asType(network.NetworkSecurityGroup)!.securityRules ?? []).map((r) => ({ name: r.name, rule: r as RuleLike })));
      if (together) report(`network security group "${args.name}" ${together}: every address on the internet can reach what it protects; restrict the sources to the callers' ranges or service tags.`);
    }
  },
});

export const stCrossTenant = resourcePolicy({
  name: "st-cross-tenant",
  description: "Storage accounts refuse object replication to other Entra tenants (allowCrossTenantReplication: false).",
  severity: "medium",
  remediationSteps: "Set allowCrossTenantReplication: false.",
  validateResource: validateResourceOfType(storage.StorageAccount, (acct, args, report) => {
    if (acct.allowCrossTenantReplication !== false) {
      report(`storage account "${args.name}" has allowCrossTenantReplication ${show(acct.allowCrossTenantReplication)}: a replication policy could copy its blobs into another tenant's account; set it to false.`);
    }
  }),
});

export const networkPolicies: PlatformPolicy[] = [egPublicAccess, appiPublicNetwork, lawPublicNetwork, subnetNsg, subnetDefaultOutbound, subnetPrivateEndpointNsg, nsgOpenInbound, stCrossTenant];
