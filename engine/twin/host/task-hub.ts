/**
 * The Durable extension's Azure Storage provider keeps a task hub's messages in host storage queues:
 * `<hub>-control-00…NN` (one per partition, `storageProvider.partitionCount`, default 4) and
 * `<hub>-workitems`, names lower-cased; and its state in two tables, `<hub>History` (partition key the
 * instance id, row key the event's sequence number) and `<hub>Instances` (partition key the instance id,
 * row key empty).
 * https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-azure-storage-provider and
 * AzureStorageOptions.PartitionCount (Microsoft.Azure.WebJobs.Extensions.DurableTask: 1-16, default 4).
 */
export interface DurableTaskSettings {
  readonly hubName?: string;
  readonly storageProvider?: { readonly partitionCount?: number; readonly maxQueuePollingInterval?: string };
}

export function taskHubQueueNames(durableTask: DurableTaskSettings): string[] {
  const hub = (durableTask.hubName ?? "TestHubName").toLowerCase();
  const partitions = durableTask.storageProvider?.partitionCount ?? 4;
  return [...Array.from({ length: partitions }, (_, i) => `${hub}-control-${String(i).padStart(2, "0")}`), `${hub}-workitems`];
}

/** The History and Instances tables of the task hub (same source as above, "History table", "Instances table"). */
export function taskHubTableNames(durableTask: DurableTaskSettings): [history: string, instances: string] {
  const hub = durableTask.hubName ?? "TestHubName";
  return [`${hub}History`, `${hub}Instances`];
}
