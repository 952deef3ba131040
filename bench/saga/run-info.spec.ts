import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitCommit } from './run-info';

describe('gitCommit', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo }).toString().trim();

  beforeEach(() => {
    repo = mkdtempSync(join(tmpdir(), 'run-info-'));
    git('init', '-q');
    writeFileSync(join(repo, 'tracked.txt'), 'one\n');
    git('add', 'tracked.txt');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'first');
  });
  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  it('names the commit of a clean tree, and marks one whose tracked files changed', () => {
    const head = git('rev-parse', '--short', 'HEAD');
    expect(gitCommit(repo)).toBe(head);

    writeFileSync(join(repo, 'untracked.txt'), 'results\n');
    expect(gitCommit(repo)).toBe(head);

    writeFileSync(join(repo, 'tracked.txt'), 'two\n');
    expect(gitCommit(repo)).toBe(`${head}-dirty`);
  });

  it('says unknown outside a git checkout', () => {
    const plain = mkdtempSync(join(tmpdir(), 'run-info-plain-'));
    try {
      expect(gitCommit(plain)).toBe('unknown');
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});
