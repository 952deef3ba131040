import { OrderSchema1764200000000 } from './1764200000000-order-schema.migration';
import { ParkedEventTrace1764300000000 } from './1764300000000-parked-event-trace.migration';
import { OrderHotUpdates1764500000000 } from './1764500000000-order-hot-updates.migration';
import { OrderHistoryInRow1765100000000 } from './1765100000000-order-history-in-row.migration';

/** order-service's schema, in order (the messaging lib's migrations come first, in app.module). */
export const ORDER_MIGRATIONS = [
  OrderSchema1764200000000,
  ParkedEventTrace1764300000000,
  OrderHotUpdates1764500000000,
  OrderHistoryInRow1765100000000,
];
