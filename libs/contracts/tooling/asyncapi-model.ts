// Reads asyncapi/asyncapi.yaml with the official parser into the few facts the contract tests
// compare with the code: channels, event messages and who sends/receives what.
import { join } from 'node:path';
import { Parser, fromFile } from '@asyncapi/parser';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const ASYNCAPI_FILE = join(REPO_ROOT, 'asyncapi', 'asyncapi.yaml');
export const SCHEMAS_DIR = join(REPO_ROOT, 'asyncapi', 'schemas');
export const BASELINE_DIR = join(REPO_ROOT, 'asyncapi', 'baseline');

type Json = Record<string, unknown>;

export interface Diagnostic {
  severity: 'error' | 'warning' | 'info' | 'hint';
  code: string;
  path: string;
  message: string;
}

export interface DocMessage {
  key: string;
  name: string;
  /** `event-version` the message's headers pin; undefined for non-event messages (dead letters). */
  version: number | undefined;
  payload: Json;
  headers: Json;
  examples: Array<{ name?: string; headers?: Json; payload?: unknown }>;
}

export interface DocChannel {
  key: string;
  address: string;
  partitions: number | undefined;
  messages: DocMessage[];
}

export interface DocOperation {
  key: string;
  action: 'send' | 'receive';
  address: string;
  /** clientId of the operation's Kafka binding: the service that runs it. */
  clientId: string | undefined;
  /** groupId of a receive operation's Kafka binding. */
  groupId: string | undefined;
  tags: string[];
  messages: Array<{ name: string; version: number | undefined }>;
}

export interface AsyncApiModel {
  diagnostics: Diagnostic[];
  raw: Json;
  channels: DocChannel[];
  messages: DocMessage[];
  operations: DocOperation[];
}

const SEVERITIES = ['error', 'warning', 'info', 'hint'] as const;

const obj = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const firstEnum = (schema: unknown): string | undefined => {
  const values = obj(schema).enum;
  return Array.isArray(values) && typeof values[0] === 'string' ? values[0] : undefined;
};

function headerVersion(headers: Json): number | undefined {
  const parts = Array.isArray(headers.allOf) ? (headers.allOf as unknown[]) : [headers];
  for (const part of parts) {
    const pinned = obj(obj(obj(part).properties)['event-version']).const;
    if (typeof pinned === 'string') return Number(pinned);
  }
  return undefined;
}

function toMessage(key: string, message: Json): DocMessage {
  const headers = obj(message.headers);
  return {
    key,
    name: String(message.name),
    version: headerVersion(headers),
    payload: obj(message.payload),
    headers,
    examples: Array.isArray(message.examples) ? (message.examples as DocMessage['examples']) : [],
  };
}

/** Parses the document (refs resolved) and extracts the model; parse errors come back as diagnostics. */
export async function loadAsyncApi(file = ASYNCAPI_FILE): Promise<AsyncApiModel> {
  const { document, diagnostics } = await fromFile(new Parser(), file).parse();
  const mapped = diagnostics.map((d) => ({
    severity: SEVERITIES[d.severity] ?? 'error',
    code: String(d.code),
    path: d.path.join('.'),
    message: d.message,
  }));
  if (!document) return { diagnostics: mapped, raw: {}, channels: [], messages: [], operations: [] };
  const raw = document.json() as unknown as Json;
  const messages = Object.entries(obj(obj(raw.components).messages)).map(([key, m]) =>
    toMessage(key, obj(m)),
  );
  const channels = Object.entries(obj(raw.channels)).map(([key, c]) => {
    const channel = obj(c);
    const kafka = obj(obj(channel.bindings).kafka);
    return {
      key,
      address: String(channel.address),
      partitions: typeof kafka.partitions === 'number' ? kafka.partitions : undefined,
      messages: Object.entries(obj(channel.messages)).map(([k, m]) => toMessage(k, obj(m))),
    };
  });
  const operations = Object.entries(obj(raw.operations)).map(([key, o]) => {
    const operation = obj(o);
    const kafka = obj(obj(operation.bindings).kafka);
    return {
      key,
      action: operation.action as DocOperation['action'],
      address: String(obj(operation.channel).address),
      clientId: firstEnum(kafka.clientId),
      groupId: firstEnum(kafka.groupId),
      tags: (Array.isArray(operation.tags) ? operation.tags : []).map((t) => String(obj(t).name)),
      messages: (Array.isArray(operation.messages) ? operation.messages : []).map((m) => {
        const message = toMessage('', obj(m));
        return { name: message.name, version: message.version };
      }),
    };
  });
  return { diagnostics: mapped, raw, channels, messages, operations };
}
