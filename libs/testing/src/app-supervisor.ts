import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitFor } from './wait-for';

export interface AppIdentity {
  name: string;
  defaultPort: number;
  database: string;
}

export interface AppSpec {
  name: string;
  /** Distinguishes several instances of one app (e.g. `gateway-2`). Defaults to the name. */
  instance?: string;
  port: number;
  env?: Record<string, string>;
}

export interface ManagedApp {
  spec: AppSpec;
  id: string;
  url: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

export interface SupervisorOptions {
  /** Repository root; apps run from `<root>/dist`. */
  root: string;
  /** Environment every app gets on top of process.env. */
  env?: Record<string, string>;
  /** Write each app's output to `<logDir>/<instance>.log` (default) or forward it, prefixed, to this stream. */
  logDir?: string;
  output?: NodeJS.WritableStream;
}

export const REPO_ROOT = resolve(__dirname, '../../..').replace(/[\\/]dist$/, '');

/** The apps of the workspace and their identities, read from the built `SERVICE` exports. */
export async function discoverApps(root = REPO_ROOT): Promise<AppIdentity[]> {
  const names = readdirSync(join(root, 'apps')).filter((name) =>
    existsSync(join(root, 'dist/apps', name, 'src/app.module.js')),
  );
  const identities = await Promise.all(
    names.map(async (name) => {
      const mod = (await import(join(root, 'dist/apps', name, 'src/app.module.js'))) as {
        SERVICE: AppIdentity;
      };
      return mod.SERVICE;
    }),
  );
  return identities.sort((a, b) => a.defaultPort - b.defaultPort);
}

/**
 * Runs the built apps as real child processes: start, wait until ready, SIGTERM, SIGKILL, restart.
 * Used by `npm start`, the end-to-end tests, the benchmark and the chaos suite.
 */
/**
 * Node flags of every app, here and in the image (Dockerfile). kafkajs 2.2.4 trips Node 24's
 * TimeoutNegativeWarning on every process; it is noise (ADR 0002). A young generation of 8 MB
 * semi-spaces instead of V8's 16 MB keeps each app's resident memory near its live heap (peak
 * ≤ 221 MB under load), while collecting less often than 2 MB did: at 300 orders/s the stack
 * kept pace with 8 MB and fell behind with 2 MB (docs/performance.md).
 */
export const APP_NODE_FLAGS = ['--disable-warning=TimeoutNegativeWarning', '--max-semi-space-size=8'];

/**
 * V8's old-space budget of each app in MB (`--max-old-space-size`; `APP_HEAP_MB` overrides it, in
 * the image too). Without one, V8 sizes the heap from the machine's memory and collects lazily: an
 * overloaded order-service grew to 290 MB RSS around a much smaller live heap, and to 160 MB with a
 * 128 MB budget, at the same throughput. The gateway holds ~20 MB per 1,000 sockets, so it gets more.
 */
export const APP_HEAP_MB = { default: 160, gateway: 384 } as const;

export function appNodeFlags(app: string, env: NodeJS.ProcessEnv): string[] {
  const heapMb = env.APP_HEAP_MB ?? (app === 'gateway' ? APP_HEAP_MB.gateway : APP_HEAP_MB.default);
  return [...APP_NODE_FLAGS, `--max-old-space-size=${heapMb}`];
}

export class AppSupervisor {
  private readonly apps = new Map<string, ManagedApp>();
  private readonly logs = new Map<string, WriteStream>();

  constructor(private readonly options: SupervisorOptions) {
    if (options.logDir) mkdirSync(options.logDir, { recursive: true });
  }

  start(spec: AppSpec): ManagedApp {
    const id = spec.instance ?? spec.name;
    const main = join(this.options.root, 'dist/apps', spec.name, 'src/main.js');
    if (!existsSync(main)) throw new Error(`${main} not found: run the build first`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.options.env,
      ...spec.env,
      PORT: String(spec.port),
      LOG_PRETTY: '0',
    };
    // Source maps cost memory and time on every stack trace: off in production, as in the image.
    const flags = [
      ...(env.NODE_ENV === 'production' ? [] : ['--enable-source-maps']),
      ...appNodeFlags(spec.name, env),
    ];
    const child = spawn(process.execPath, [...flags, main], {
      cwd: this.options.root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pipeOutput(id, child);
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const app: ManagedApp = { spec, id, url: `http://127.0.0.1:${spec.port}`, process: child, exited };
    this.apps.set(id, app);
    return app;
  }

  async waitReady(app: ManagedApp, timeoutMs = 60_000): Promise<void> {
    let exitCode: number | null | undefined;
    void app.exited.then((code) => (exitCode = code));
    await waitFor(
      `${app.id} to be ready at ${app.url}/health/ready`,
      async () => {
        if (exitCode !== undefined) throw new Error(`${app.id} exited with code ${exitCode}`);
        const res = await fetch(`${app.url}/health/ready`);
        return res.status === 200;
      },
      { timeoutMs, intervalMs: 250 },
    );
  }

  /** SIGTERM and wait for exit (graceful); SIGKILL after `timeoutMs`. Returns the exit code. */
  async stop(app: ManagedApp, timeoutMs = 15_000): Promise<number | null> {
    if (app.process.exitCode !== null || app.process.signalCode !== null) return app.process.exitCode;
    app.process.kill('SIGTERM');
    const timer = setTimeout(() => app.process.kill('SIGKILL'), timeoutMs);
    try {
      return await app.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async kill(app: ManagedApp): Promise<void> {
    app.process.kill('SIGKILL');
    await app.exited;
  }

  async restart(app: ManagedApp): Promise<ManagedApp> {
    await this.stop(app);
    return this.start(app.spec);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.apps.values()].map((app) => this.stop(app)));
    for (const log of this.logs.values()) log.end();
  }

  logFile(id: string): string | undefined {
    return this.options.logDir ? join(this.options.logDir, `${id}.log`) : undefined;
  }

  private pipeOutput(id: string, child: ChildProcess) {
    if (this.options.output) {
      const out = this.options.output;
      const prefix = `${id.padEnd(20)} | `;
      for (const stream of [child.stdout, child.stderr]) {
        let partial = '';
        stream?.on('data', (chunk: Buffer) => {
          const lines = (partial + chunk.toString()).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) out.write(prefix + line + '\n');
        });
      }
      return;
    }
    const file = this.logFile(id);
    if (!file) return;
    let log = this.logs.get(id);
    if (!log) {
      log = createWriteStream(file, { flags: 'a' });
      this.logs.set(id, log);
    }
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
  }
}
