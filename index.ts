/**
 * The system, composed from the stack's configuration. Components own every resource; this file
 * only reads the config and wires components together.
 */
import * as resources from "@pulumi/azure-native/resources";
import { loadStackConfig } from "./lib/stack";
import { physicalName } from "./lib/naming";
import { resourceTags } from "./lib/tags";

const config = loadStackConfig();
const names = { prefix: config.namePrefix, environment: config.environment };

const group = new resources.ResourceGroup("platform", {
  resourceGroupName: physicalName("resourceGroup", names, "platform"),
  location: config.location,
  tags: resourceTags(config),
});

export const resourceGroupName = group.name;
