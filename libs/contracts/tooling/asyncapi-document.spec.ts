import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import {
  DEAD_LETTER_HEADERS,
  EVENT_CATALOG,
  TOPICS,
  TOPIC_PARTITIONS,
  deadLetterTopic,
  eventSchema,
  isEventType,
  validateEvent,
} from '../src';
import { EVENT_SCHEMAS } from '../src/generated/event-schemas';
import { type AsyncApiModel, REPO_ROOT, loadAsyncApi } from './asyncapi-model';
import { scanCodeRegistry } from './code-registry';

/**
 * Consumers the document designs (docs/architecture.md) whose `@EventPattern` handler does not exist
 * yet, as `<consumer group>:<EventType>`. Allowed only while the saga is being built: empty this
 * list as the services land. Anything else in the document without a handler fails the test.
 */
const PENDING_CONSUMERS: readonly string[] = [];

const EVENT_TOPICS = new Set<string>(Object.values(TOPICS));
const code = scanCodeRegistry(join(REPO_ROOT, 'apps'), REPO_ROOT);
const key = (service: string, eventType: string) => `${service}:${eventType}`;
const report = (text: string) => process.stderr.write(`[contracts] ${text}\n`);

let doc: AsyncApiModel;
beforeAll(async () => {
  doc = await loadAsyncApi();
}, 30_000);

const eventOperations = (action: 'send' | 'receive') =>
  doc.operations.filter((op) => op.action === action && EVENT_TOPICS.has(op.address));
const pairs = (
  action: 'send' | 'receive',
  service: (op: AsyncApiModel['operations'][number]) => string | undefined,
) =>
  new Set(eventOperations(action).flatMap((op) => op.messages.map((m) => key(service(op) ?? '?', m.name))));

describe('asyncapi/asyncapi.yaml', () => {
  it('parses with @asyncapi/parser without error diagnostics', () => {
    const errors = doc.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toEqual([]);
    expect(doc.messages.length).toBeGreaterThan(0);
  });

  it('has an example per message, and every example validates against its schemas', () => {
    const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
    for (const message of doc.messages) {
      expect({ message: message.key, examples: message.examples.length }).toEqual({
        message: message.key,
        examples: expect.any(Number),
      });
      expect(message.examples.length).toBeGreaterThan(0);
      const validHeaders = ajv.compile(message.headers);
      for (const example of message.examples) {
        const where = `${message.key} example ${example.name ?? '?'}`;
        expect({
          where,
          headersValid: validHeaders(example.headers),
          errors: validHeaders.errors ?? null,
        }).toEqual({
          where,
          headersValid: true,
          errors: null,
        });
        if (message.version === undefined) continue;
        expect({ where, result: validateEvent(message.name, message.version, example.payload) }).toEqual({
          where,
          result: { ok: true },
        });
      }
    }
  });

  it('describes every event schema version as a message whose payload is that schema, and nothing else', () => {
    const events = doc.messages.filter((m) => m.version !== undefined);
    const documented = events.map((m) => `${m.name}@v${m.version}`).sort();
    expect(documented).toEqual(EVENT_SCHEMAS.map((s) => `${s.type}@v${s.version}`).sort());
    for (const message of events) {
      const schema = eventSchema(message.name, message.version!) as { $id?: string } | undefined;
      expect({ message: message.key, payload: message.payload.$id }).toEqual({
        message: message.key,
        payload: schema?.$id,
      });
    }
  });

  it('has every topic of the code as a channel with the Kafka bindings, and no other event channel', () => {
    const addresses = doc.channels.map((c) => c.address);
    const eventChannels = addresses.filter((a) => !a.startsWith(deadLetterTopic('')));
    expect(eventChannels.sort()).toEqual([...EVENT_TOPICS].sort());
    for (const channel of doc.channels) {
      expect({ channel: channel.address, partitions: channel.partitions }).toEqual({
        channel: channel.address,
        partitions: TOPIC_PARTITIONS,
      });
    }
    for (const message of Object.values((doc.raw.components as { messages: object }).messages)) {
      expect(message).toHaveProperty(['bindings', 'kafka', 'key']);
    }
  });

  it('carries each event on the topic of EVENT_CATALOG, sent by its catalog producer', () => {
    for (const channel of doc.channels.filter((c) => EVENT_TOPICS.has(c.address))) {
      for (const message of channel.messages) {
        expect(isEventType(message.name)).toBe(true);
        expect({ event: message.name, topic: channel.address }).toEqual({
          event: message.name,
          topic: EVENT_CATALOG[message.name as keyof typeof EVENT_CATALOG].topic,
        });
      }
    }
    const documented = pairs('send', (op) => op.clientId);
    const catalog = Object.entries(EVENT_CATALOG).map(([type, def]) => key(def.producer, type));
    expect([...documented].sort()).toEqual(catalog.sort());
  });

  it('names the service of every operation in its Kafka binding and tag, with group = service on receive', () => {
    for (const op of doc.operations.filter((o) => o.clientId !== undefined || o.groupId !== undefined)) {
      expect({ op: op.key, tags: op.tags }).toEqual({
        op: op.key,
        tags: expect.arrayContaining([op.clientId]),
      });
      if (op.action === 'receive')
        expect({ op: op.key, groupId: op.groupId }).toEqual({ op: op.key, groupId: op.clientId });
    }
    for (const op of eventOperations('receive'))
      expect({ op: op.key, groupId: op.groupId }).toEqual({ op: op.key, groupId: expect.any(String) });
  });
});

describe('code ↔ document agreement', () => {
  it('reads every @EventPattern of apps/* statically', () => {
    expect(code.unreadable).toEqual([]);
  });

  it('documents every subscription in the code as a receive operation of that consumer group', () => {
    const documented = pairs('receive', (op) => op.groupId);
    const subscribed = code.subscriptions.map((s) => ({
      subscription: key(s.service, s.eventType),
      file: s.file,
    }));
    const undocumented = subscribed.filter((s) => !documented.has(s.subscription));
    expect(undocumented).toEqual([]);
  });

  it('has a handler for every documented receive operation, except the listed PENDING_CONSUMERS', () => {
    const subscribed = new Set(code.subscriptions.map((s) => key(s.service, s.eventType)));
    const withoutHandler = [...pairs('receive', (op) => op.groupId)].filter((p) => !subscribed.has(p));
    const unexpected = withoutHandler.filter((p) => !PENDING_CONSUMERS.includes(p));
    expect(unexpected).toEqual([]);
    const stale = PENDING_CONSUMERS.filter((p) => !withoutHandler.includes(p));
    if (withoutHandler.length > 0)
      report(`designed consumers without a handler yet: ${withoutHandler.join(', ')}`);
    if (stale.length > 0)
      report(`PENDING_CONSUMERS entries that now have a handler (remove them): ${stale.join(', ')}`);
  });

  it('publishes from each app only the events EVENT_CATALOG gives it', () => {
    const wrongProducer = code.publications
      .filter((p) => !isEventType(p.eventType) || EVENT_CATALOG[p.eventType].producer !== p.service)
      .filter((p) => isEventType(p.eventType));
    expect(wrongProducer).toEqual([]);
  });

  it('has a dead-letter topic per consumer group, written by that group, with the dlq-* headers', () => {
    const groups = [...new Set(eventOperations('receive').map((op) => op.groupId!))].sort();
    const dlqChannels = doc.channels
      .filter((c) => c.address.startsWith(deadLetterTopic('')))
      .map((c) => c.address);
    expect(dlqChannels.sort()).toEqual(groups.map(deadLetterTopic).sort());
    for (const group of groups) {
      const senders = doc.operations.filter(
        (op) => op.action === 'send' && op.address === deadLetterTopic(group),
      );
      expect({ group, senders: senders.map((op) => op.clientId) }).toEqual({ group, senders: [group] });
    }
    const dlqHeaders = doc.messages.find((m) => m.name === 'DeadLetter')?.headers as { required?: string[] };
    expect([...(dlqHeaders.required ?? [])].sort()).toEqual(Object.values(DEAD_LETTER_HEADERS).sort());
  });

  it('uses the documented header names in libs/messaging', () => {
    const envelope = doc.raw.components as { schemas: { EnvelopeHeaders: { properties: object } } };
    const documented = new Set([
      ...Object.keys(envelope.schemas.EnvelopeHeaders.properties),
      ...Object.values(DEAD_LETTER_HEADERS),
    ]);
    const dir = join(REPO_ROOT, 'libs', 'messaging', 'src');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const used = files.flatMap((f) => {
      const source = readFileSync(join(dir, f), 'utf8');
      const block = /ENVELOPE_HEADERS\s*=\s*\{([^}]*)\}/.exec(source)?.[1] ?? '';
      const envelopeNames = [...block.matchAll(/:\s*'([a-z-]+)'/g)].map((m) => m[1]);
      const dlqNames = [...source.matchAll(/'(dlq-[a-z-]+)'/g)].map((m) => m[1]);
      return [...envelopeNames, ...dlqNames].map((name) => ({ name, file: f }));
    });
    expect(used.filter((u) => !documented.has(u.name))).toEqual([]);
    const dlqUsed = new Set(used.filter((u) => u.name.startsWith('dlq-')).map((u) => u.name));
    if (dlqUsed.size > 0) expect([...dlqUsed].sort()).toEqual(Object.values(DEAD_LETTER_HEADERS).sort());
  });
});
