/**
 * What the change-feed relay needs: the Event Grid publisher, built from settings (see ./deps.ts for
 * why the delivery side is a separate module).
 */
import type { SendCloudEventInput } from "@azure/eventgrid";
import type { ClientOptions } from "../../shared/clients/credential";
import { createEventGridPublisher } from "../../shared/clients/eventgrid";
import { ORDER_EVENTS_TOPIC } from "../../shared/contracts/order-events";
import { settingNames } from "../../shared/manifest";
import { type Settings, requireSetting } from "../../shared/settings";

/** The part of the platform's publisher (CloudEvents, shared/clients/eventgrid.ts) the relay uses. */
export interface EventPublisher {
  send(events: SendCloudEventInput<unknown>[]): Promise<void>;
}

export interface PublisherDeps {
  readonly publisher: EventPublisher;
}

export function publisherDeps(settings: Settings, options: ClientOptions = {}): PublisherDeps {
  const endpoint = requireSetting(settings, settingNames.topicEndpoint(ORDER_EVENTS_TOPIC));
  return { publisher: createEventGridPublisher(endpoint, settings, options) };
}
