/*
 * A small, offline renderer for the subset of kustomize that deploy/k8s uses: resources (files and
 * directories), namespace, labels (metadata only), images, and patches (strategic merge, including
 * `$patch: delete`, or JSON 6902) with optional targets. Anything else in a kustomization fails
 * loudly instead of being ignored, so the tests never validate something other than what
 * `kubectl kustomize` would produce. Transformers run in kustomize's order: patches, namespace,
 * labels, images.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export interface K8sResource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

interface PatchTarget {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  labelSelector?: string;
}

interface Kustomization {
  resources?: string[];
  namespace?: string;
  labels?: Array<{ pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ path?: string; patch?: string; target?: PatchTarget }>;
}

const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'labels',
  'images',
  'patches',
]);
const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'ClusterSecretStore',
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export function renderKustomization(dir: string): K8sResource[] {
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED_FIELDS.has(key));
  if (unsupported.length > 0)
    throw new Error(`${dir}: kustomize-lite does not support ${unsupported.join(', ')}`);

  let resources = (kustomization.resources ?? []).flatMap((entry) => loadResources(join(dir, entry)));
  for (const patch of kustomization.patches ?? []) resources = applyPatch(resources, patch, dir);
  if (kustomization.namespace) setNamespace(resources, kustomization.namespace);
  for (const label of kustomization.labels ?? []) addLabels(resources, label);
  for (const image of kustomization.images ?? []) setImage(resources as unknown as Json[], image);
  return resources;
}

function loadResources(path: string): K8sResource[] {
  if (statSync(path).isDirectory()) return renderKustomization(path);
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0].message}`);
      return document.toJS() as K8sResource | null;
    })
    .filter((resource): resource is K8sResource => resource != null);
}

export function resourceId(resource: K8sResource): string {
  return `${resource.apiVersion}/${resource.kind}/${resource.metadata.namespace ?? ''}/${resource.metadata.name}`;
}

function applyPatch(
  resources: K8sResource[],
  entry: NonNullable<Kustomization['patches']>[number],
  dir: string,
) {
  const text = entry.path ? readFileSync(join(dir, entry.path), 'utf8') : entry.patch;
  if (!text) throw new Error(`${dir}: a patch needs a path or an inline patch`);
  const patch = parse(text) as Json;
  const targets = entry.target
    ? resources.filter((resource) => matchesTarget(resource, entry.target!))
    : resources.filter((resource) => sameObject(resource, patch as unknown as K8sResource));
  if (targets.length === 0) throw new Error(`${dir}: patch ${entry.path ?? '(inline)'} matches no resource`);

  if (Array.isArray(patch)) {
    if (!entry.target) throw new Error(`${dir}: a JSON 6902 patch needs a target`);
    return resources.map((resource) =>
      targets.includes(resource) ? applyJson6902(resource, patch) : resource,
    );
  }
  const patchObject = patch as JsonObject;
  if (patchObject.$patch === 'delete') return resources.filter((resource) => !targets.includes(resource));
  const { apiVersion: _apiVersion, kind: _kind, metadata, ...body } = patchObject;
  const { name: _name, ...metadataBody } = (metadata ?? {}) as JsonObject;
  return resources.map((resource) =>
    targets.includes(resource)
      ? (strategicMerge(resource as unknown as Json, {
          ...body,
          metadata: metadataBody,
        }) as unknown as K8sResource)
      : resource,
  );
}

function sameObject(resource: K8sResource, patch: K8sResource): boolean {
  return resource.kind === patch.kind && resource.metadata.name === patch.metadata?.name;
}

function matchesTarget(resource: K8sResource, target: PatchTarget): boolean {
  const [group, version] = resource.apiVersion.includes('/')
    ? resource.apiVersion.split('/')
    : ['', resource.apiVersion];
  const fullMatch = (pattern: string | undefined, value: string) =>
    pattern === undefined || new RegExp(`^(?:${pattern})$`).test(value);
  if (target.group !== undefined && target.group !== group) return false;
  if (target.version !== undefined && target.version !== version) return false;
  if (!fullMatch(target.kind, resource.kind) || !fullMatch(target.name, resource.metadata.name)) return false;
  const labels = resource.metadata.labels ?? {};
  return (target.labelSelector ?? '')
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const [key, value] = term.split('=').map((part) => part.trim());
      return labels[key] === value;
    });
}

/** Strategic merge as kustomize does it for the shapes used here: maps merge, `null` deletes a key,
 * lists of named objects (containers, env, volumes, ...) merge by name, other lists are replaced. */
export function strategicMerge(target: Json, patch: Json): Json {
  if (isObject(target) && isObject(patch)) {
    const merged: JsonObject = { ...target };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete merged[key];
      else merged[key] = key in merged ? strategicMerge(merged[key], value) : value;
    }
    return merged;
  }
  if (Array.isArray(target) && Array.isArray(patch) && isNamedList(target) && isNamedList(patch)) {
    const merged = [...target] as JsonObject[];
    for (const item of patch as JsonObject[]) {
      const index = merged.findIndex((existing) => existing.name === item.name);
      if (item.$patch === 'delete') {
        if (index >= 0) merged.splice(index, 1);
      } else if (index >= 0) merged[index] = strategicMerge(merged[index], item) as JsonObject;
      else merged.push(item);
    }
    return merged;
  }
  return patch;
}

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNamedList = (list: Json[]) => list.every((item) => isObject(item) && typeof item.name === 'string');

interface Json6902Operation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: Json;
}

export function applyJson6902(resource: K8sResource, operations: Json): K8sResource {
  const copy = structuredClone(resource) as unknown as JsonObject;
  for (const operation of operations as unknown as Json6902Operation[]) {
    const segments = operation.path
      .split('/')
      .slice(1)
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = segments.pop();
    if (last === undefined) throw new Error(`JSON patch path ${operation.path} is empty`);
    let parent: Json = copy;
    for (const segment of segments) {
      const next: Json | undefined = Array.isArray(parent)
        ? parent[Number(segment)]
        : (parent as JsonObject)[segment];
      if (next === undefined || next === null) {
        throw new Error(`JSON patch path ${operation.path} does not exist in ${resourceId(resource)}`);
      }
      parent = next;
    }
    applyOperation(parent, last, operation, resource);
  }
  return copy as unknown as K8sResource;
}

function applyOperation(parent: Json, key: string, operation: Json6902Operation, resource: K8sResource) {
  const exists = Array.isArray(parent) ? Number(key) < parent.length : key in (parent as JsonObject);
  if (operation.op !== 'add' && !exists) {
    throw new Error(`JSON patch ${operation.op} ${operation.path}: no such field in ${resourceId(resource)}`);
  }
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (operation.op === 'remove') parent.splice(index, 1);
    else if (operation.op === 'add') parent.splice(index, 0, operation.value as Json);
    else parent[index] = operation.value as Json;
  } else if (operation.op === 'remove') delete (parent as JsonObject)[key];
  else (parent as JsonObject)[key] = operation.value as Json;
}

function setNamespace(resources: K8sResource[], namespace: string) {
  for (const resource of resources) {
    if (!CLUSTER_SCOPED_KINDS.has(resource.kind)) resource.metadata.namespace = namespace;
  }
}

function addLabels(resources: K8sResource[], label: NonNullable<Kustomization['labels']>[number]) {
  if (label.includeSelectors || label.includeTemplates) {
    throw new Error('kustomize-lite supports labels on metadata only (no includeSelectors/includeTemplates)');
  }
  for (const resource of resources)
    resource.metadata.labels = { ...resource.metadata.labels, ...label.pairs };
}

/** Rewrites `image` of every entry of a `containers`/`initContainers` list, wherever it is. */
function setImage(node: Json, image: NonNullable<Kustomization['images']>[number]) {
  if (Array.isArray(node)) {
    for (const item of node) setImage(item, image);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
      for (const container of value) {
        if (isObject(container) && typeof container.image === 'string') {
          container.image = retag(container.image, image);
        }
      }
    }
    setImage(value, image);
  }
}

function retag(reference: string, image: NonNullable<Kustomization['images']>[number]): string {
  const match = /^(.*?)(?::([^:/@]+))?(@.+)?$/.exec(reference);
  if (!match || match[1] !== image.name) return reference;
  const tag = image.newTag ?? match[2];
  return `${image.newName ?? match[1]}${tag ? `:${tag}` : ''}${image.newTag ? '' : (match[3] ?? '')}`;
}
