// Lets `node --import ./ts-register.mjs some-file.ts` run the workspace's TypeScript (decorators,
// metadata, @orderflow/* aliases) in child processes of tests and benchmarks, without a build.
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions;
const aliases = Object.fromEntries(
  Object.entries(tsconfig.paths).map(([name, [target]]) => [name, join(root, target)]),
);

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (aliases[specifier])
      return { url: pathToFileURL(aliases[specifier]).href, format: 'commonjs', shortCircuit: true };
    if (specifier.startsWith('.') && context.parentURL?.endsWith('.ts')) {
      const base = new URL(specifier, context.parentURL);
      for (const candidate of [`${base.href}.ts`, `${base.href}/index.ts`]) {
        try {
          readFileSync(fileURLToPath(candidate));
          return { url: candidate, format: 'commonjs', shortCircuit: true };
        } catch {
          // not this candidate: try the next, then let Node resolve it
        }
      }
    }
    return nextResolve(specifier, context);
  },
  load(url, context, nextLoad) {
    if (!url.endsWith('.ts')) return nextLoad(url, context);
    const source = readFileSync(fileURLToPath(url), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: fileURLToPath(url),
      compilerOptions: {
        ...tsconfig,
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2023,
        sourceMap: false,
        inlineSourceMap: true,
        paths: undefined,
        baseUrl: undefined,
      },
    });
    return { format: 'commonjs', source: outputText, shortCircuit: true };
  },
});
