import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { isEventType } from './event-catalog';
import { EVENT_SCHEMAS, SHARED_SCHEMAS } from './generated/event-schemas';

export type ValidationResult = { ok: true } | { ok: false; errors: string[] };

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, schemas: [...SHARED_SCHEMAS] });
addFormats(ajv);

const schemaByKey = new Map(EVENT_SCHEMAS.map((entry) => [`${entry.type}@${entry.version}`, entry.schema]));
// Compiled once per (type, version) on first use; validation is on every publish and consume.
const validators = new Map<string, ValidateFunction>();

function validatorFor(type: string, version: number): ValidateFunction | undefined {
  const key = `${type}@${version}`;
  let validate = validators.get(key);
  if (!validate) {
    const schema = schemaByKey.get(key);
    if (!schema) return undefined;
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

const describe = (error: ErrorObject) => `${error.instancePath || '/'} ${error.message ?? error.keyword}`;

/** Schema versions of an event type that this build can read, oldest first. */
export function supportedVersions(type: string): number[] {
  return EVENT_SCHEMAS.filter((entry) => entry.type === type).map((entry) => entry.version);
}

/** The JSON Schema of (type, version), or undefined when there is none. */
export function eventSchema(type: string, version: number): object | undefined {
  return schemaByKey.get(`${type}@${version}`);
}

/** Validates a payload against the JSON Schema of (type, version) from asyncapi/schemas. */
export function validateEvent(type: string, version: number, payload: unknown): ValidationResult {
  if (!isEventType(type)) return { ok: false, errors: [`unknown event type ${type}`] };
  const validate = validatorFor(type, version);
  if (!validate) return { ok: false, errors: [`unsupported version ${version} of ${type}`] };
  if (validate(payload)) return { ok: true };
  return { ok: false, errors: (validate.errors ?? []).map(describe) };
}

/** Compiles every schema now, so that a broken schema fails at start-up instead of on first use. */
export function compileAllEventSchemas(): void {
  for (const entry of EVENT_SCHEMAS) validatorFor(entry.type, entry.version);
}
