/**
 * The docs check: every command the READMEs show is run as written, so the docs cannot
 * drift from the code. CI runs it on its clean clone after the tests (`.ci/run`).
 *
 * What counts as a command: every line of a ```sh/```bash block, the first-column
 * command of a "Commands" table, and every command the web console shows a person
 * (apps/web/src/commands.ts). Blocks run in order, each as one bash script (later lines
 * use earlier variables), against a stack started the quick start's way (`bash scripts/dev.sh`,
 * so `.local/stack.json` is the real one: run this where no other `pnpm dev` runs).
 * The few commands that cannot run here as written are listed in `instead` below with what
 * runs in their place and why; a listed command no README shows any more fails the check too.
 *
 * Afterwards the checkout holds no file git neither tracks nor ignores that was not there before:
 * what a walkthrough writes goes where it says (a scratch folder .gitignore holds).
 *
 *   node --import tsx scripts/docs-check.ts [--list] [--only <README>]
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { consoleCommands } from '../apps/web/src/commands.ts';

const root = join(import.meta.dirname, '..');

/** Commands that cannot run as written here, what runs instead, and why. */
const instead: Record<string, { run: string; why: string }> = {
  'bash scripts/dev.sh': { run: '', why: 'it is how this check starts the stack every other command uses' },
  'pnpm dev': { run: '', why: 'scripts/dev.sh runs its command: the stack this check runs against' },
  'bash scripts/test.sh': { run: '', why: 'CI runs it right before this check' },
  'pnpm test': { run: '', why: 'CI runs it (through scripts/test.sh) right before this check' },
  'pnpm --filter @stateless/data-api test': { run: '', why: 'part of pnpm test, which CI runs first' },
  'pnpm bench': {
    run: 'pnpm exec turbo run bench --dry-run=json > /dev/null',
    why: 'every benchmark takes minutes; the task graph must resolve',
  },
  'pnpm --filter @stateless/data-api bench': {
    run: 'pnpm exec turbo run bench --filter @stateless/data-api --dry-run=json > /dev/null',
    why: 'minutes of measuring; the task must resolve',
  },
  'pnpm loadtest': {
    run: 'pnpm loadtest --scenarios mix --duration 3 --connections 4 --owners 1 --assets 20 --uploads 1 --out "$(mktemp -d)"',
    why: 'the full run takes minutes; this is the same command, shortened by its options',
  },
  'pnpm --silent run token <userId>': {
    run: 'pnpm --silent run token alice',
    why: '<userId> is a placeholder',
  },
  'pnpm format': {
    run: 'pnpm format > /dev/null && git diff --exit-code --stat',
    why: 'on a clean clone it must change nothing',
  },
  'pnpm run deploy platform': {
    run: 'pnpm run synth > /dev/null && test -f cdktf.out/stacks/platform/cdk.tf.json',
    why: 'no AWS account here: the stack it deploys must synthesize',
  },
  'pnpm --filter @stateless/data-api build && pnpm run deploy:app data-api': {
    run: 'pnpm --filter @stateless/data-api build > /dev/null && test -f cdktf.out/stacks/data-api/cdk.tf.json',
    why: 'no AWS account here: the build runs, the stack must synthesize',
  },
  'pnpm --filter @stateless/web build && pnpm run deploy:app web': {
    run: 'pnpm --filter @stateless/web build > /dev/null && test -f cdktf.out/stacks/web/cdk.tf.json',
    why: 'no AWS account here: the build runs, the stack must synthesize',
  },
  'pnpm --filter @stateless/upload-service build && STAGE=prod pnpm run deploy:app upload-service': {
    run: 'pnpm --filter @stateless/upload-service build > /dev/null && STAGE=prod pnpm run synth > /dev/null && test -f cdktf.out/stacks/upload-service/cdk.tf.json',
    why: 'no AWS account here: the build runs, the prod stack it deploys must synthesize',
  },
};

/** What a block's output must show, where its README says what it prints (keyed by its first command). */
const prints: Record<string, RegExp> = {
  // apps/data-api/README.md, "Try it by hand": "It prints … etag "v1", then 304, … 412, 204 and 404."
  'LB=$(jq -r .lb .local/stack.json); INTERNAL=$(jq -r .internal .local/stack.json)':
    /"status":"PENDING".*"version":1.*\netag "v1"\n304\n.*"version":2.*\n412\n204\n404\n$/s,
};

interface Snippet {
  file: string;
  /** 1-based line of the block or table row. */
  line: number;
  /** Commands as written (continuations joined), in order. */
  commands: string[];
}

/**
 * Where each README's commands run: the repository root, as the READMEs say ("run from the
 * repository root"), except infra's, whose table is its own package's scripts.
 */
const cwdOf = (file: string) => (file === 'infra/README.md' ? join(root, 'infra') : root);

function extractSnippets(file: string, text: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = text.split('\n');
  let inCommandsSection = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('## ')) inCommandsSection = /^## Commands/.test(line);
    const fence = /^```(\w*)/.exec(line);
    if (fence) {
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !(lines[j] as string).startsWith('```'); j++) body.push(lines[j] as string);
      if (['sh', 'bash', 'shell'].includes(fence[1] as string)) {
        const commands: string[] = [];
        let pending = '';
        for (const raw of body) {
          const text = pending + raw;
          if (text.endsWith('\\')) {
            pending = `${text}\n`;
            continue;
          }
          pending = '';
          const command = stripComment(text).trim();
          if (command) commands.push(command);
        }
        snippets.push({ file, line: i + 1, commands });
      }
      i = j;
      continue;
    }
    const row = inCommandsSection ? /^\| `([^`]+)` +\|/.exec(line) : null;
    if (row) snippets.push({ file, line: i + 1, commands: [row[1] as string] });
  }
  return snippets;
}

/** A trailing `# comment` outside quotes. */
function stripComment(line: string) {
  let quote: string | undefined;
  for (let k = 0; k < line.length; k++) {
    const c = line[k];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (k === 0 || /\s/.test(line[k - 1] as string))) return line.slice(0, k);
  }
  return line;
}

function readmes() {
  return execFileSync('git', ['ls-files', '*README.md', 'README.md'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

async function startStack(): Promise<ChildProcess> {
  const stackFile = join(root, '.local', 'stack.json');
  if (existsSync(stackFile)) throw new Error(`${stackFile} exists: stop the running pnpm dev first`);
  const stack = spawn('bash', ['scripts/dev.sh'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  stack.stdout?.on('data', (d) => (output += d));
  stack.stderr?.on('data', (d) => (output += d));
  const deadline = Date.now() + 180_000;
  while (!existsSync(stackFile)) {
    if (stack.exitCode !== null || Date.now() > deadline)
      throw new Error(`bash scripts/dev.sh did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return stack;
}

async function stopStack(stack: ChildProcess) {
  const exited = new Promise((resolve) => stack.once('exit', resolve));
  process.kill(-(stack.pid as number), 'SIGINT');
  await exited;
}

const { values } = parseArgs({ options: { list: { type: 'boolean' }, only: { type: 'string' } } });
const snippets = [
  ...readmes().flatMap((file) => extractSnippets(file, readFileSync(join(root, file), 'utf8'))),
  // What the console shows a person (its sign-in hint) runs too, from the module it renders.
  { file: 'apps/web/src/commands.ts', line: 1, commands: [...consoleCommands] },
];
/** Files in the checkout that git neither tracks nor ignores. */
const untracked = () =>
  new Set(
    execFileSync('git', ['ls-files', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean),
  );
const shown = new Set(snippets.flatMap((s) => s.commands));
const firsts = new Set(snippets.map((s) => s.commands[0]));
const stale = [
  ...Object.keys(instead).filter((command) => !shown.has(command)),
  ...Object.keys(prints).filter((command) => !firsts.has(command)),
];
if (stale.length > 0) {
  console.error(
    `docs-check: listed in scripts/docs-check.ts but shown by no README:\n  ${stale.join('\n  ')}`,
  );
  process.exit(1);
}
if (values.list) {
  for (const s of snippets)
    for (const c of s.commands)
      console.log(`${s.file}:${s.line}  ${c}${instead[c] ? `   → ${instead[c].run || '(covered)'}` : ''}`);
  process.exit(0);
}

const untrackedBefore = untracked();
const stack = await startStack();
const failures: string[] = [];
let ran = 0;
try {
  // One shell per README, its blocks in order, as a reader runs them in one terminal: later blocks
  // use what earlier ones set (the upload-service README's $API and $auth). `-e` stops at the first
  // failing command; a marker before each block tells which one it was and splits the output.
  for (const file of [...new Set(snippets.map((s) => s.file))].filter(
    (f) => !values.only || f === values.only,
  )) {
    const blocks = snippets
      .filter((s) => s.file === file)
      .map((s) => ({
        snippet: s,
        script: s.commands.map((c) => (c in instead ? (instead[c]?.run ?? '') : c)).filter(Boolean),
      }))
      .filter((b) => b.script.length > 0);
    if (blocks.length === 0) continue;
    const script = blocks.flatMap((b, i) => [`printf '\\n::block ${i}\\n'`, ...b.script]).join('\n');
    console.log(
      `docs-check: ${file} (${blocks.length} blocks, ${blocks.reduce((n, b) => n + b.script.length, 0)} commands)`,
    );
    const result = spawnSync('bash', ['-e', '-c', script], {
      cwd: cwdOf(file),
      encoding: 'utf8',
      timeout: 600_000,
    });
    const parts = result.stdout.split(/\n::block (\d+)\n/);
    // parts: [before, index, output, index, output, ...]
    const outputs = new Map<number, string>();
    for (let k = 1; k < parts.length; k += 2) outputs.set(Number(parts[k]), parts[k + 1] ?? '');
    const reached = Math.max(-1, ...outputs.keys());
    blocks.forEach((b, i) => {
      if (i <= reached) ran += b.script.length;
      const where = `${b.snippet.file}:${b.snippet.line}`;
      const expected = prints[b.snippet.commands[0] as string];
      const output = outputs.get(i) ?? '';
      if (result.status !== 0 && i === reached)
        failures.push(`${where}: exit ${result.status ?? result.signal}\n${output}${result.stderr}`);
      else if (result.status === 0 && expected && !expected.test(output))
        failures.push(`${where}: printed what its README does not say (${expected}):\n${output}`);
    });
  }
} finally {
  await stopStack(stack);
}
const litter = [...untracked()].filter((file) => !untrackedBefore.has(file));
if (litter.length > 0) {
  failures.push(`the commands left files git neither tracks nor ignores:\n  ${litter.join('\n  ')}`);
}
console.log(
  `docs-check: ${ran} commands run from ${snippets.length} blocks and tables; ${failures.length} failed`,
);
if (failures.length > 0) {
  console.error(failures.join('\n\n'));
  process.exit(1);
}
