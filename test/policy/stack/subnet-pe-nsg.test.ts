import { describe, expect, it } from "vitest";
import { checkStack, rule, type StackRes } from "../harness";

const policy = rule("subnet-pe-nsg");
const NSG = { id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/net-nsg" };
const SUBNET_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/net/subnets/endpoints";

const vnet = (endpoints: Record<string, unknown>): StackRes => ({
  type: "azure-native:network:VirtualNetwork",
  name: "network-vnet",
  props: {
    virtualNetworkName: "net",
    subnets: [
      { name: "apps", networkSecurityGroup: NSG, delegations: [{ name: "flex", serviceName: "Microsoft.App/environments" }] },
      { name: "endpoints", networkSecurityGroup: NSG, ...endpoints },
    ],
  },
});
const endpoint = (name: string, subnetId = SUBNET_ID): StackRes => ({
  type: "azure-native:network:PrivateEndpoint",
  name,
  // The SDK fills the subnet input's own defaults in (privateEndpointNetworkPolicies "Disabled"): only `id` counts.
  props: { subnet: { id: subnetId, privateEndpointNetworkPolicies: "Disabled" } },
});

describe("subnet-pe-nsg", () => {
  it("passes an endpoints subnet that applies its NSG to private endpoints", () => {
    for (const setting of ["NetworkSecurityGroupEnabled", "Enabled", "enabled"]) {
      expect(checkStack(policy, [vnet({ privateEndpointNetworkPolicies: setting }), endpoint("pe-kv")]).violations).toEqual([]);
    }
  });

  it("flags an endpoints subnet whose NSG the endpoints bypass, once per subnet, on the VNet", () => {
    for (const setting of [{ privateEndpointNetworkPolicies: "Disabled" }, { privateEndpointNetworkPolicies: "RouteTableEnabled" }, {}]) {
      const { violations } = checkStack(policy, [vnet(setting), endpoint("pe-kv"), endpoint("pe-st")]);
      expect(violations).toEqual([
        { name: "network-vnet", message: expect.stringMatching(/^subnet "endpoints" of virtual network "network-vnet" hosts private endpoint "pe-kv" and has an NSG, but privateEndpointNetworkPolicies is .*NetworkSecurityGroupEnabled/) },
      ]);
    }
  });

  it("reads a separate network:Subnet too, matching names without case", () => {
    const subnet: StackRes = {
      type: "azure-native:network:Subnet",
      name: "pe-subnet",
      props: { virtualNetworkName: "Net", subnetName: "Endpoints", networkSecurityGroup: NSG },
    };
    expect(checkStack(policy, [subnet, endpoint("pe-kv")]).violations.map((v) => v.name)).toEqual(["pe-subnet"]);
    expect(checkStack(policy, [{ ...subnet, props: { ...subnet.props, privateEndpointNetworkPolicies: "NetworkSecurityGroupEnabled" } }, endpoint("pe-kv")]).violations).toEqual([]);
  });

  it("leaves alone subnets without an NSG (subnet-nsg's finding), subnets outside the stack, and stacks without endpoints", () => {
    const bare: StackRes = { type: "azure-native:network:VirtualNetwork", name: "v", props: { virtualNetworkName: "net", subnets: [{ name: "endpoints" }] } };
    expect(checkStack(policy, [bare, endpoint("pe-kv")]).violations).toEqual([]);
    expect(checkStack(policy, [vnet({}), endpoint("pe-kv", "/subscriptions/s/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/hub/subnets/pe")]).violations).toEqual([]);
    expect(checkStack(policy, [vnet({})]).applicable).toBe(false);
  });
});
