/**
 * The first event of each order in a consumer run, in run order. Applied one after another, a
 * later event of the same order finds the order already decided or settled by the first, so a
 * batch handler lets only the first one act and reports the others as having nothing to do.
 */
export function firstEventPerOrder<E extends { payload: { orderId: string } }>(events: readonly E[]): E[] {
  const seen = new Set<string>();
  return events.filter((event) => {
    if (seen.has(event.payload.orderId)) return false;
    seen.add(event.payload.orderId);
    return true;
  });
}
