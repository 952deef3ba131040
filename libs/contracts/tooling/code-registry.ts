// The code side of the event API, read statically from apps/*/src: which service subscribes to
// which event (`@EventPattern('<EventType>')` and `@EventBatchPattern(['<EventType>', …])`
// handlers) and which events it publishes
// (`ctx.publish('<EventType>', …)`, `outbox.add(manager, '<EventType>', …)`).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface CodeReference {
  service: string;
  eventType: string;
  file: string;
}

export interface CodeRegistry {
  subscriptions: CodeReference[];
  publications: CodeReference[];
  /** `@EventPattern(…)` whose argument is not a string literal (or an array of them): the scan cannot read it. */
  unreadable: string[];
}

const PATTERN_CALL = /@(EventPattern|EventBatchPattern)\(\s*([^)]*)\)/g;
const STRING_LITERAL = /^(['"`])([A-Za-z][A-Za-z0-9]*)\1$/;
// publish('X', …) or add(manager, 'X', …): the event type literal is the 1st or the 2nd argument.
const PUBLISH_CALL = /\.(?:publish|add)\(\s*(?:[\w.]+\s*,\s*)?(['"])([A-Z][A-Za-z0-9]*)\1/g;
const TEST_FILE = /\.(spec|int-spec|e2e-spec)\.ts$/;

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !TEST_FILE.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Scans every app under `appsDir`; the service (and consumer group) is the app's folder name. */
export function scanCodeRegistry(appsDir: string, repoRoot: string): CodeRegistry {
  const registry: CodeRegistry = { subscriptions: [], publications: [], unreadable: [] };
  const services = existsSync(appsDir) ? readdirSync(appsDir).sort() : [];
  for (const service of services) {
    for (const path of sourceFiles(join(appsDir, service, 'src'))) {
      const source = readFileSync(path, 'utf8');
      const file = relative(repoRoot, path);
      for (const [, decorator, argument] of source.matchAll(PATTERN_CALL)) {
        const eventTypes = eventTypesOf(argument.trim());
        if (eventTypes)
          for (const eventType of eventTypes) registry.subscriptions.push({ service, eventType, file });
        else registry.unreadable.push(`${file}: @${decorator}(${argument.trim()})`);
      }
      for (const [, , eventType] of source.matchAll(PUBLISH_CALL)) {
        registry.publications.push({ service, eventType, file });
      }
    }
  }
  return registry;
}

/**
 * The event types of a pattern argument: `'X'` or `['X', 'Y']`, the list optionally followed by an
 * options object (`{ dedupe: 'own-records' }`); undefined if it is anything else.
 */
function eventTypesOf(argument: string): string[] | undefined {
  const list = /^\[([^\]]*)\]\s*(.*)$/s.exec(argument);
  if (list && list[2] !== '' && !/^,\s*\{[^}]*\}$/s.test(list[2])) return undefined;
  const items = list
    ? list[1]
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : [argument];
  const types = items.map((item) => STRING_LITERAL.exec(item)?.[2]);
  return types.every((type) => type !== undefined) ? (types as string[]) : undefined;
}
