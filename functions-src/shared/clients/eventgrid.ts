/** Event Grid publishers (see `./credential` for identity and options). */
import { EventGridPublisherClient } from "@azure/eventgrid";
import { settingNames } from "../manifest";
import { type Settings, ConfigurationError } from "../settings";
import { type ClientOptions, credentialFor } from "./credential";

/**
 * An Event Grid publisher for a topic endpoint (EventGrid schema) with an Entra credential: the
 * publishing identity needs "EventGrid Data Sender" on the topic; the topic's access keys stay unused.
 */
export function createEventGridPublisher(
  endpoint: string,
  settings: Settings,
  options: ClientOptions = {},
): EventGridPublisherClient<"EventGrid"> {
  if (!/^https:\/\//i.test(endpoint)) {
    throw new ConfigurationError(`Event Grid endpoint must be https (bearer tokens are never sent in clear): ${endpoint}`);
  }
  const credential = options.credential ?? credentialFor(settings[settingNames.identityClientId]?.trim() || undefined);
  return new EventGridPublisherClient(endpoint, "EventGrid", credential);
}
