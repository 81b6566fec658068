/**
 * The one event envelope of the platform's Event Grid topics: the topic's ARM `inputSchema` and the
 * publisher SDK's input schema are both read from here, so they cannot drift apart.
 *
 * Event Grid refuses events in any schema but the topic's input schema ("Event Grid schema" vs
 * "CloudEvents v1.0"): https://learn.microsoft.com/azure/event-grid/event-schema and
 * https://learn.microsoft.com/azure/event-grid/cloud-event-schema. The SDK's names for the same
 * schemas are the `inputSchema` argument of `EventGridPublisherClient` (@azure/eventgrid:
 * "EventGrid", "CloudEvent", "Custom").
 *
 * Plain data: imported by service code (the publisher) and by the Pulumi program (the topic).
 */

/** Each envelope by its ARM `inputSchema` name, with the SDK's name and the wire content type it sends. */
export const EVENT_SCHEMAS = {
  CloudEventSchemaV1_0: { sdk: "CloudEvent", contentType: "application/cloudevents-batch+json" },
  EventGridSchema: { sdk: "EventGrid", contentType: "application/json" },
} as const;

export type TopicInputSchema = keyof typeof EVENT_SCHEMAS;

/** The envelope every topic of the platform declares and every publisher sends: CloudEvents 1.0. */
export const PLATFORM_TOPIC_INPUT_SCHEMA = "CloudEventSchemaV1_0" satisfies TopicInputSchema;

/** The `EventGridPublisherClient` input schema matching {@link PLATFORM_TOPIC_INPUT_SCHEMA}. */
export const PLATFORM_PUBLISHER_SCHEMA = EVENT_SCHEMAS[PLATFORM_TOPIC_INPUT_SCHEMA].sdk;

/** Where events of this platform come from (the CloudEvents `source` attribute, a URI reference). */
export function eventSource(service: string): string {
  return `/serverless-platform/${service}`;
}
