/**
 * The storage account redundancies the components offer (a subset of azure-native `storage.SkuName`:
 * Standard general-purpose v2, no premium or read-access variants), as a named enum so the package
 * schema gives other Pulumi languages the list (an inline `"a" | "b"` has no name to publish).
 * What each keeps: Microsoft Learn, "Azure Storage redundancy"
 * (learn.microsoft.com/azure/storage/common/storage-redundancy).
 */
export const StorageSku = {
  /** Three synchronous copies in one physical location of the primary region. */
  Standard_LRS: "Standard_LRS",
  /** Synchronous copies across the primary region's availability zones. */
  Standard_ZRS: "Standard_ZRS",
  /** LRS, plus an asynchronous copy in a secondary region. */
  Standard_GRS: "Standard_GRS",
  /** ZRS, plus an asynchronous copy in a secondary region. */
  Standard_GZRS: "Standard_GZRS",
} as const;
export type StorageSku = (typeof StorageSku)[keyof typeof StorageSku];
