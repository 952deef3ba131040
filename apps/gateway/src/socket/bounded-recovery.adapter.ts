import { BroadcastOptions, SessionAwareAdapter } from 'socket.io-adapter';

/**
 * The in-memory adapter of a gateway without Redis, keeping at most about `maxPackets` pushes for
 * connection-state recovery.
 *
 * Socket.IO's own keeps every push it broadcasts until it is older than maxDisconnectionDuration,
 * swept once a minute: up to three minutes of pushes. At 150 orders/s that was ~100,000 packets and
 * ~65 MB of heap, and it grows with the rate. A bound, like the Redis adapter's `maxLen`, keeps the
 * heap within its budget. A client away longer than the kept pushes reach back gets a connection
 * that is not recovered, and resyncs from snapshots (docs/live-status.md).
 */
export function boundedRecoveryAdapter(maxPackets: number): typeof SessionAwareAdapter {
  // Trimmed a tenth at a time, so that a broadcast at the limit does not shift the whole array.
  const slack = Math.max(1, Math.floor(maxPackets / 10));
  return class BoundedSessionAwareAdapter extends SessionAwareAdapter {
    override broadcast(packet: unknown, opts: BroadcastOptions): void {
      super.broadcast(packet, opts);
      // `packets` is private in socket.io-adapter's types; it is the array restoreSession reads.
      const packets = (this as unknown as { packets: unknown[] }).packets;
      if (packets.length > maxPackets + slack) packets.splice(0, packets.length - maxPackets);
    }
  };
}
