/** Event Grid publishers (see `./credential` for identity and options). */
import { EventGridPublisherClient, type EventGridPublisherClientOptions } from "@azure/eventgrid";
import { PLATFORM_PUBLISHER_SCHEMA } from "../event-schema";
import { settingNames } from "../manifest";
import { type Settings, ConfigurationError } from "../settings";
import { type ClientOptions, credentialFor } from "./credential";

/** What the platform's publisher sends: the schema every topic declares (see ../event-schema.ts). */
export type PlatformPublisher = EventGridPublisherClient<typeof PLATFORM_PUBLISHER_SCHEMA>;

/**
 * An Event Grid publisher for a topic endpoint with an Entra credential, speaking the input schema the
 * platform's topics declare (CloudEvents 1.0, from ../event-schema.ts): a publisher in another schema
 * is refused by the topic. The publishing identity needs "EventGrid Data Sender" on the topic.
 */
export function createEventGridPublisher(
  endpoint: string,
  settings: Settings,
  options: ClientOptions & { readonly httpClient?: EventGridPublisherClientOptions["httpClient"] } = {},
): PlatformPublisher {
  if (!/^https:\/\//i.test(endpoint)) {
    throw new ConfigurationError(`Event Grid endpoint must be https (bearer tokens are never sent in clear): ${endpoint}`);
  }
  const credential = options.credential ?? credentialFor(settings[settingNames.identityClientId]?.trim() || undefined);
  return new EventGridPublisherClient(endpoint, PLATFORM_PUBLISHER_SCHEMA, credential, options.httpClient ? { httpClient: options.httpClient } : {});
}
