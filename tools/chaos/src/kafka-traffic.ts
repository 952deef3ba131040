import {
  FrameSplitter,
  PRODUCE_API_KEY,
  produceRequest,
  requestHeader,
  responseCorrelationId,
} from './kafka-frames';
import type { ConnectionTap } from '@orderflow/testing';

/**
 * Where a Produce request stands, seen from the proxy: `in-proxy` (held before the broker),
 * `at-broker` (passed on, no answer yet), `answered` (the broker answered — it has the records —
 * and the answer is held before the producer, which does not know yet).
 */
export type ProducePhase = 'in-proxy' | 'at-broker' | 'answered';

export interface ProduceInFlight {
  clientId: string;
  correlationId: number;
  /** Records in the request (undefined when it could not be read). */
  records: number | undefined;
  phase: ProducePhase;
  /** Since the proxy received the request, ms. */
  ageMs: number;
}

interface Tracked {
  correlationId: number;
  records: number | undefined;
  receivedAt: number;
  sentAt?: number;
  answeredAt?: number;
}

/**
 * Follows the Kafka connections through the run's proxy: each is labelled with the client id of
 * its requests (the app's name), and Produce requests are tracked until their answer has been
 * passed back to the producer.
 */
export class KafkaTraffic {
  private readonly taps = new Set<KafkaConnectionTap>();

  /** A tap for one new connection (the proxy's factory). */
  tap(): ConnectionTap {
    const tap = new KafkaConnectionTap(() => this.taps.delete(tap));
    this.taps.add(tap);
    return tap;
  }

  /** Produce requests of `clientId` whose answer has not reached it yet. */
  producesInFlight(clientId: string, now = Date.now()): ProduceInFlight[] {
    return [...this.taps].filter((tap) => tap.label === clientId).flatMap((tap) => tap.inFlight(now));
  }
}

class KafkaConnectionTap implements ConnectionTap {
  label: string | undefined;
  private readonly requests = new FrameSplitter();
  private readonly responses = new FrameSplitter();
  private readonly produces = new Map<number, Tracked>();

  constructor(readonly close: () => void) {}

  onChunk(chunk: Buffer, toServer: boolean): (() => void) | undefined {
    const now = Date.now();
    return toServer ? this.onRequests(chunk, now) : this.onResponses(chunk, now);
  }

  inFlight(now: number): ProduceInFlight[] {
    return [...this.produces.values()].map((p) => ({
      clientId: this.label ?? '',
      correlationId: p.correlationId,
      records: p.records,
      phase: p.answeredAt !== undefined ? 'answered' : p.sentAt !== undefined ? 'at-broker' : 'in-proxy',
      ageMs: now - p.receivedAt,
    }));
  }

  private onRequests(chunk: Buffer, now: number): (() => void) | undefined {
    const produced: Tracked[] = [];
    for (const frame of this.requests.push(chunk)) {
      const header = requestHeader(frame);
      if (!header) continue;
      this.label ??= header.clientId ?? undefined;
      if (header.apiKey !== PRODUCE_API_KEY) continue;
      const produce = produceRequest(frame, header);
      if (produce?.acks === 0) continue; // no answer will come
      const tracked = { correlationId: header.correlationId, records: produce?.records, receivedAt: now };
      this.produces.set(header.correlationId, tracked);
      produced.push(tracked);
    }
    if (produced.length === 0) return undefined;
    return () => {
      for (const tracked of produced) tracked.sentAt = Date.now();
    };
  }

  private onResponses(chunk: Buffer, now: number): (() => void) | undefined {
    const answered: number[] = [];
    for (const frame of this.responses.push(chunk)) {
      const id = responseCorrelationId(frame);
      const tracked = id === undefined ? undefined : this.produces.get(id);
      if (!tracked) continue;
      tracked.answeredAt = now;
      answered.push(tracked.correlationId);
    }
    if (answered.length === 0) return undefined;
    return () => {
      for (const id of answered) this.produces.delete(id);
    };
  }
}
