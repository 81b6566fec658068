/**
 * Who may call each HTTP function of the orders service: one table for the registration (index.ts
 * declares it at start-up, before the handlers load) and for the handlers' own checks (handlers.ts).
 * Acting for another customer needs ANY_CUSTOMER_ROLE as well (handlers.ts, object-level checks).
 */
import type { HttpAccess } from "../../shared/caller";
import type { OrdersHandlers } from "./handlers";

export const ORDERS_ACCESS = {
  createOrder: { kind: "secured", role: "Orders.Write" },
  getOrder: { kind: "secured", role: "Orders.Read" },
  listOrders: { kind: "secured", role: "Orders.Read" },
  cancelOrder: { kind: "secured", role: "Orders.Write" },
  health: { kind: "anonymous" },
} as const satisfies Record<keyof OrdersHandlers, HttpAccess>;
