/**
 * Event Grid topics, domains, system topics and subscriptions: Entra-only publishing, TLS 1.2 and
 * identity-based delivery.
 */
import type { Unwrap } from "@pulumi/pulumi";
import * as eventgrid from "@pulumi/azure-native/eventgrid";
import { validateResourceOfType, type ReportViolation, type ResourceValidationArgs } from "@pulumi/policy";
import { eqIgnoreCase, resourcePolicy, show, tlsAtLeast12, type PlatformPolicy } from "./common";

type TopicLike = Unwrap<eventgrid.TopicArgs> | Unwrap<eventgrid.DomainArgs>;
const topicLabel = (args: ResourceValidationArgs): string => `Event Grid ${args.type.endsWith(":Domain") ? "domain" : "topic"} "${args.name}"`;

function forTopics(check: (t: TopicLike, args: ResourceValidationArgs, report: ReportViolation) => void) {
  return [validateResourceOfType(eventgrid.Topic, check), validateResourceOfType(eventgrid.Domain, check)];
}

export const egLocalAuth = resourcePolicy({
  name: "eg-local-auth",
  description: "Event Grid topics and domains accept Entra ID only (disableLocalAuth: true).",
  severity: "high",
  anchors: ["Azure.EventGrid.DisableLocalAuth", "CKV_AZURE_192"],
  remediationSteps: "Set disableLocalAuth: true and give publishers EventGrid Data Sender on the topic.",
  validateResource: forTopics((t, args, report) => {
    if (t.disableLocalAuth !== true) {
      report(`${topicLabel(args)} has disableLocalAuth ${show(t.disableLocalAuth)}: set it to true so access keys and SAS tokens cannot publish.`);
    }
  }),
});

export const egMinTls = resourcePolicy({
  name: "eg-min-tls",
  description: 'Event Grid topics and domains require TLS 1.2 (minimumTlsVersionAllowed "1.2").',
  severity: "medium",
  anchors: ["Azure.EventGrid.TopicTLS", "Azure.EventGrid.DomainTLS"],
  remediationSteps: 'Set minimumTlsVersionAllowed: "1.2".',
  validateResource: forTopics((t, args, report) => {
    if (!tlsAtLeast12(t.minimumTlsVersionAllowed)) {
      report(`${topicLabel(args)} has minimumTlsVersionAllowed ${show(t.minimumTlsVersionAllowed)}: set it to "1.2".`);
    }
  }),
});

/** Destinations that can (and so must) be reached with the topic's identity. */
const IDENTITY_DESTINATIONS = ["StorageQueue", "ServiceBusQueue", "ServiceBusTopic", "EventHub", "HybridConnection"];

type SubscriptionLike =
  | Unwrap<eventgrid.EventSubscriptionArgs>
  | Unwrap<eventgrid.TopicEventSubscriptionArgs>
  | Unwrap<eventgrid.SystemTopicEventSubscriptionArgs>;

function checkSubscription(sub: SubscriptionLike, args: ResourceValidationArgs, report: ReportViolation): void {
  const endpointType = sub.destination?.endpointType;
  if (sub.destination === undefined && sub.deadLetterDestination === undefined) {
    return sub.deliveryWithResourceIdentity === undefined ? args.notApplicable("no destination") : undefined;
  }
  if (typeof endpointType === "string" && IDENTITY_DESTINATIONS.some((d) => eqIgnoreCase(endpointType, d))) {
    report(
      `Event Grid subscription "${args.name}" delivers to ${endpointType} through destination (keys or connection strings): ` +
        "move it to deliveryWithResourceIdentity { identity, destination } so the topic's managed identity delivers.",
    );
  }
  if (sub.deadLetterDestination !== undefined) {
    report(`Event Grid subscription "${args.name}" dead-letters through deadLetterDestination: use deadLetterWithResourceIdentity { identity, deadLetterDestination }.`);
  }
}

export const egIdentity = resourcePolicy({
  name: "eg-identity",
  description: "Event Grid topics have a managed identity, and subscriptions deliver and dead-letter with it (deliveryWithResourceIdentity).",
  severity: "medium",
  anchors: ["Azure.EventGrid.ManagedIdentity", "CKV_AZURE_191"],
  remediationSteps:
    'Set identity: { type: "UserAssigned", userAssignedIdentities: { [uamiId]: {} } } on the topic; in subscriptions use deliveryWithResourceIdentity and deadLetterWithResourceIdentity.',
  validateResource: [
    ...forTopics((t, args, report) => {
      if (typeof t.identity?.type !== "string" || !/assigned/i.test(t.identity.type)) {
        report(`${topicLabel(args)} has identity.type ${show(t.identity?.type)}: give it a managed identity so it can deliver events without keys.`);
      }
    }),
    validateResourceOfType(eventgrid.SystemTopic, (t, args, report) => {
      if (typeof t.identity?.type !== "string" || !/assigned/i.test(t.identity.type)) {
        report(`Event Grid system topic "${args.name}" has identity.type ${show(t.identity?.type)}: give it a managed identity so it can deliver events without keys.`);
      }
    }),
    validateResourceOfType(eventgrid.EventSubscription, checkSubscription),
    validateResourceOfType(eventgrid.TopicEventSubscription, checkSubscription),
    validateResourceOfType(eventgrid.SystemTopicEventSubscription, checkSubscription),
  ],
});

function checkDeadLetter(sub: SubscriptionLike, args: ResourceValidationArgs, report: ReportViolation): void {
  if (sub.destination === undefined && sub.deliveryWithResourceIdentity === undefined) return args.notApplicable("no destination");
  if (sub.deadLetterWithResourceIdentity?.deadLetterDestination === undefined && sub.deadLetterDestination === undefined) {
    report(
      `Event Grid subscription "${args.name}" has no dead-letter destination: events that exhaust their retries are dropped silently. ` +
        "Set deadLetterWithResourceIdentity { identity, deadLetterDestination: { endpointType: \"StorageBlob\", resourceId, blobContainerName } }.",
    );
  }
}

export const egDeadLetter = resourcePolicy({
  name: "eg-dead-letter",
  description: "Event Grid subscriptions dead-letter undeliverable events to a blob container (mandatory in prod).",
  severity: "medium",
  prodOnly: true,
  remediationSteps: 'Set deadLetterWithResourceIdentity { identity: { type: "SystemAssigned" }, deadLetterDestination: { endpointType: "StorageBlob", resourceId: <account id>, blobContainerName } }.',
  validateResource: [
    validateResourceOfType(eventgrid.EventSubscription, checkDeadLetter),
    validateResourceOfType(eventgrid.TopicEventSubscription, checkDeadLetter),
    validateResourceOfType(eventgrid.SystemTopicEventSubscription, checkDeadLetter),
  ],
});

export const eventGridPolicies: PlatformPolicy[] = [egLocalAuth, egMinTls, egIdentity, egDeadLetter];
