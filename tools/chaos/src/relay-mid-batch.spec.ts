import type { ActivitySample } from './db-activity-probe';
import type { ProduceInFlight } from './kafka-traffic';
import { relayMidBatch } from './relay-mid-batch';

const sample = (over: Partial<ActivitySample> = {}): ActivitySample => ({
  backlogEvents: 3,
  openTransactions: [],
  relay: { state: 'idle', lastStatement: 'batch-read' },
  ...over,
});
const produce = (over: Partial<ProduceInFlight> = {}): ProduceInFlight => ({
  clientId: 'payment-service',
  correlationId: 9,
  records: 3,
  phase: 'answered',
  ageMs: 1_600,
  ...over,
});
const missing = (look: ReturnType<typeof relayMidBatch>) => (look.holds ? 'holds' : look.missing);

describe('relayMidBatch (when a relay kill lands inside a batch)', () => {
  it('holds when the batch was read, answered by the broker, not deleted and not yet known to the relay', () => {
    const look = relayMidBatch(sample(), [produce({ phase: 'at-broker', correlationId: 8 }), produce()]);
    expect(look).toMatchObject({ holds: true, produce: { correlationId: 9, records: 3 } });
    expect(missing(relayMidBatch(sample({ backlogEvents: 5 }), [produce({ records: undefined })]))).toBe(
      'holds',
    );
  });

  it('does not hold while the Produce request is still on its way or gone', () => {
    expect(missing(relayMidBatch(sample(), []))).toBe('no Produce in flight');
    expect(missing(relayMidBatch(sample(), [produce({ phase: 'in-proxy' })]))).toBe('Produce in-proxy');
    expect(missing(relayMidBatch(sample(), [produce({ phase: 'at-broker' })]))).toBe('Produce at-broker');
  });

  it("does not hold unless the relay's last statement is a finished batch read", () => {
    const relay = (state: string | null, lastStatement: 'batch-read' | 'delete-published' | 'other') =>
      sample({ relay: { state, lastStatement } });
    expect(missing(relayMidBatch(relay('active', 'batch-read'), [produce()]))).toBe(
      'relay active after batch-read',
    );
    expect(missing(relayMidBatch(relay('idle', 'delete-published'), [produce()]))).toBe(
      'relay idle after delete-published',
    );
    expect(missing(relayMidBatch(relay('idle', 'other'), [produce()]))).toBe('relay idle after other');
    expect(missing(relayMidBatch(sample({ relay: null }), [produce()]))).toBe('relay has no connection');
    expect(missing(relayMidBatch(undefined, [produce()]))).toBe('database not sampled');
  });

  it('does not hold when fewer rows are unpublished than the request carries (already deleted)', () => {
    expect(missing(relayMidBatch(sample({ backlogEvents: 2 }), [produce()]))).toBe(
      '2 unpublished events for 3 records sent',
    );
    expect(missing(relayMidBatch(sample({ backlogEvents: 0 }), [produce({ records: undefined })]))).toBe(
      '0 unpublished events for 1 records sent',
    );
  });
});
