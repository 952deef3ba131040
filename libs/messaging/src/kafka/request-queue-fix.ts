/**
 * Works around a kafkajs 2.2.4 bug (tulios/kafkajs#1556, #1704, #1751; unreleased upstream): once a
 * connection has had one response, `RequestQueue.scheduleCheckPendingRequests` re-arms a
 * `setTimeout(-Date.now())` (i.e. 1 ms) forever even when nothing is pending, so every broker
 * connection wakes its process 1,000 times a second (Node 24 prints TimeoutNegativeWarning). On a
 * small box with several services that idle spinning takes a good share of the CPU.
 *
 * The replacement only schedules a check when requests are actually pending, with the original
 * delay (the throttle's end, or 10 ms). Nothing is lost: a request that cannot be sent at once is
 * queued by `push`, which schedules a check itself, and every response checks the queue again.
 */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

// Deep import on purpose: the class is internal to kafkajs (pinned at 2.2.4).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };

export const REQUEST_QUEUE_FIX_APPLIED =
  typeof RequestQueue.prototype.scheduleCheckPendingRequests === 'function';

if (REQUEST_QUEUE_FIX_APPLIED) {
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(
    this: RequestQueueInternals,
  ) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const throttledFor = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      throttledFor > 0 ? throttledFor : CHECK_PENDING_REQUESTS_INTERVAL,
    );
  };
}
