/*
 * Schema validation of rendered manifests: built-in kinds through the kubernetes-models validators,
 * the operators' custom resources through the schemas in ../schemas. A kind with neither is an error.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import type { K8sResource } from './kustomize';

const SCHEMA_DIR = join(__dirname, '..', 'schemas');

const CUSTOM_RESOURCES: Record<string, string> = {
  'kafka.strimzi.io/v1beta2/Kafka': 'strimzi-kafka.schema.json',
  'kafka.strimzi.io/v1beta2/KafkaNodePool': 'strimzi-kafka-node-pool.schema.json',
  'kafka.strimzi.io/v1beta2/KafkaTopic': 'strimzi-kafka-topic.schema.json',
  'postgresql.cnpg.io/v1/Cluster': 'cnpg-cluster.schema.json',
  'external-secrets.io/v1/ExternalSecret': 'external-secret.schema.json',
};

let ajv: Ajv2020 | undefined;
const customValidators = new Map<string, ValidateFunction>();

function customValidator(file: string): ValidateFunction {
  if (!ajv) {
    // Unknown keywords are errors; type/required cross-checks are off (subschemas refine shared ones).
    ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
    for (const schemaFile of readdirSync(SCHEMA_DIR).filter((name) => name.endsWith('.schema.json'))) {
      ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, schemaFile), 'utf8')));
    }
  }
  const id = `orderflow-deploy/${file}`;
  let validate = customValidators.get(id);
  if (!validate) {
    validate = ajv.getSchema(id);
    if (!validate) throw new Error(`schema ${id} not loaded`);
    customValidators.set(id, validate);
  }
  return validate;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** kubernetes-models exports each kind from a module named after its API group and version. */
function builtInModel(apiVersion: string, kind: string): ModelClass | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module depends on the manifest
    return (require(`kubernetes-models/${apiVersion}`) as Record<string, ModelClass>)[kind];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/** Problems found in one resource; empty when it is valid. */
export function validateResource(resource: K8sResource): string[] {
  const key = `${resource.apiVersion}/${resource.kind}`;
  const schemaFile = CUSTOM_RESOURCES[key];
  if (schemaFile) {
    const validate = customValidator(schemaFile);
    if (validate(resource)) return [];
    return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
  }
  const Model = builtInModel(resource.apiVersion, resource.kind);
  if (!Model) return [`no schema for ${key}`];
  try {
    new Model(resource).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}
