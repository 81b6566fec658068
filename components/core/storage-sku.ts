/**
 * The storage account redundancies the components offer (a subset of azure-native `storage.SkuName`:
 * Standard general-purpose v2, no premium or read-access variants), as a named enum so the package
 * schema gives other Pulumi languages the list (an inline `"a" | "b"` has no name to publish).
 */
export const StorageSku = {
  /** Three copies in one datacenter. */
  Standard_LRS: "Standard_LRS",
  /** Three copies across the region's availability zones. */
  Standard_ZRS: "Standard_ZRS",
  /** LRS plus an asynchronous copy in the paired region. */
  Standard_GRS: "Standard_GRS",
  /** ZRS plus an asynchronous copy in the paired region. */
  Standard_GZRS: "Standard_GZRS",
} as const;
export type StorageSku = (typeof StorageSku)[keyof typeof StorageSku];
