/**
 * `pnpm bench`: uploads and the pipeline, end to end on one LoadStack (the local cloud, two
 * instances of each app, HAProxy), every ratio from this one run:
 *
 * 1. A large file (1 GiB when memory and disk allow) through presigned multipart via our
 *    signing routes vs the SDK's managed multipart upload (@aws-sdk/lib-storage) straight to
 *    the same moto S3: same bytes, part size and concurrency, rounds in ABBA order.
 * 2. Latency from a client's first request to READY for a 1 MB JPEG, 50 runs one after another.
 * 3. Executions finished per second with 20 in flight (100 small JPEGs), vs one at a time.
 *
 * Writes bench/REPORT.md (`--quick`: smaller counts, printed only, for trying the bench out).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client, createSfnClient } from '@stateless/aws';
import { uploadRules } from '@stateless/contracts';
import { percentile } from '../src/percentile.ts';
import { everyApp, LoadStack } from '../src/stack.ts';
import { photo } from '../src/upload-load.ts';
import { waitForFinalStatus } from '../src/uploads.ts';
import {
  availableMemory,
  type CpuUse,
  cpuLine,
  freeDisk,
  gibText,
  machine,
  median,
  memoryOf,
  mib,
  motoProcess,
  profiled,
  resetPeakMemory,
} from './machine.ts';
import { generatedFile, viaSdk, viaSigningRoutes } from './multipart.ts';
import { batch, checkReady, type PipelineContext, stoppedExecution, timedUpload } from './pipeline.ts';

const here = import.meta.dirname;
const benchStarted = performance.now();
const quick = process.argv.includes('--quick');
const MiB = 1024 * 1024;
// @uppy/aws-s3's defaults: parts of max(5 MiB, size / 10,000), `limit: 6` requests at once.
const partSize = 5 * MiB;
const concurrency = 6;
const signBatch = 10;
const latencyRuns = quick ? 5 : 50;
const batchSize = quick ? 20 : 100;
const inFlight = 20;
const sequentialRuns = quick ? 3 : 10;

/**
 * moto holds a multipart upload's parts as spooled temporary files (in memory up to ~5 MiB
 * each, else on disk under $TMPDIR), and CompleteMultipartUpload joins them in memory (a
 * bytearray, then a bytes copy) before writing the object to another spooled file; a GET reads
 * the whole object into memory. Measured: moto peaks at ~4.7x a 1 GiB file (~6.5x a 64 MiB one); asked for
 * here: 8x in memory, 4x on disk, plus 2 GiB of headroom for everything else.
 */
function largestFileThatFits() {
  const memory = availableMemory();
  const disk = freeDisk();
  const candidates = quick ? [64 * MiB] : [1024, 512, 256, 128].map((m) => m * MiB);
  const size = candidates.find(
    (s) => s <= uploadRules.maxFileSize && 8 * s + 2048 * MiB <= memory && 4 * s + 2048 * MiB <= disk,
  );
  if (!size)
    throw new Error(`not enough memory (${gibText(memory)} GiB) or disk (${gibText(disk)} GiB) for 128 MiB`);
  return { size, memory, disk };
}

const fits = largestFileThatFits();
const file = generatedFile(fits.size, partSize);
console.log(`${mib(file.size)} MiB file in ${file.count} parts; hashing it once…`);
const hashStarted = performance.now();
const fileSha256 = file.sha256();
const hashMs = performance.now() - hashStarted;

const stack = await LoadStack.start({
  // Two environments of each app kept warm, more started as the load needs them; unconstrained CPU,
  // as the figures before the fleet were measured.
  policies: everyApp({ min: 2, max: 16 }),
  cpu: 'off',
  logDir: mkdtempSync(join(tmpdir(), 'loadtest-bench-')),
  appEnv: { LOG_LEVEL: 'warn' },
});
const { stores } = stack;
const clientConfig = {
  endpoint: stores.awsEndpoint,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  // As on our presigning clients: no SDK-computed checksums, so both ways send the same bytes.
  requestChecksumCalculation: 'WHEN_REQUIRED' as const,
};
const s3 = createS3Client({ region: stores.region, forcePathStyle: true }, clientConfig);
const sfn = createSfnClient(
  { region: stores.region },
  { endpoint: stores.stepFunctionsEndpoint, credentials: clientConfig.credentials },
);
const context: PipelineContext = {
  publicUrl: stack.urls.public,
  token: await stack.userToken(`bench-${Date.now().toString(36)}`),
  sfn,
  stateMachineArn: stores.stateMachineArn,
};
const moto = motoProcess(Number(new URL(stores.awsEndpoint).port));

interface Round {
  way: 'ours' | 'sdk';
  ms: number;
  /** Until the last part was stored, then the complete call. */
  split: { parts: number; complete: number };
  /** CPU time of all our processes during the upload, and the whole machine's busy share. */
  cpuSeconds: number;
  /** CPU seconds of the roles whose name starts with this (e.g. 'moto', 'bench driver'). */
  cpuOf: (prefix: string) => number;
  machineBusy: number;
  /** moto's peak resident memory during the upload and its check. */
  motoPeak: number;
  etag: string;
  diskUsed: number;
  pipelineMs?: number;
  signCalls?: number;
}

/** One upload of the file either way, its object checked and then deleted (untimed). */
async function multipartRound(way: Round['way'], index: number, upload = file): Promise<Round> {
  const diskBefore = freeDisk();
  resetPeakMemory(moto);
  const started = performance.now();
  let key = `bench/sdk-${index}`;
  let ours: Awaited<ReturnType<typeof viaSigningRoutes>> | undefined;
  const { result: split, cpu } = await profiled(async () => {
    if (way === 'sdk') return (await viaSdk(s3, stores.bucket, key, upload, concurrency)).ms;
    ours = await viaSigningRoutes(context.publicUrl, context.token, upload, {
      concurrency,
      signBatch,
      name: `bench-${index}.txt`,
    });
    key = ours.key;
    return ours.ms;
  });
  const ms = performance.now() - started;
  const diskUsed = diskBefore - freeDisk();
  const head = await s3.send(new HeadObjectCommand({ Bucket: stores.bucket, Key: key }));
  if (head.ContentLength !== upload.size) throw new Error(`${key}: ${head.ContentLength} bytes stored`);
  let pipelineMs: number | undefined;
  if (ours) {
    // The object starts the pipeline: let it finish (inspect streams the whole file) before the next round.
    const execution = await stoppedExecution(context, ours.assetId, 500, 15 * 60_000);
    const asset = await waitForFinalStatus(context.publicUrl, context.token, ours.assetId);
    const sha256 = upload === file ? fileSha256 : asset.sha256;
    if (asset.status !== 'READY' || asset.sha256 !== sha256 || asset.size !== upload.size)
      throw new Error(`asset ${ours.assetId}: ${asset.status} ${asset.sha256} ${asset.size}`);
    pipelineMs = execution.stop - execution.start;
  }
  const motoPeak = memoryOf(moto).peak;
  await s3.send(new DeleteObjectCommand({ Bucket: stores.bucket, Key: key }));
  console.log(`  ${way}: ${(ms / 1000).toFixed(1)} s (parts ${(split.parts / 1000).toFixed(1)} s)`);
  return {
    way,
    ms,
    split,
    cpuSeconds: cpu.ours * cpu.seconds,
    cpuOf: (prefix: string) =>
      cpu.byRole.filter((r) => r.role.startsWith(prefix)).reduce((sum, r) => sum + r.cores * cpu.seconds, 0),
    machineBusy: cpu.machineBusy,
    motoPeak,
    etag: head.ETag ?? '',
    diskUsed,
    ...(pipelineMs !== undefined ? { pipelineMs } : {}),
    ...(ours ? { signCalls: ours.signCalls } : {}),
  };
}

let report: string;
try {
  console.log('multipart warm-up, each way once with a 32 MiB file…');
  const warmUp = generatedFile(32 * MiB, partSize);
  await multipartRound('ours', 100, warmUp);
  await multipartRound('sdk', 101, warmUp);
  const motoBefore = memoryOf(moto);
  console.log('multipart, ours vs the SDK (ABBA)…');
  const multipart = await profiled(async () => {
    const rounds: Round[] = [];
    const order: Round['way'][] = quick ? ['ours', 'sdk'] : ['ours', 'sdk', 'sdk', 'ours', 'ours', 'sdk'];
    for (const [i, way] of order.entries()) rounds.push(await multipartRound(way, i));
    return rounds;
  });
  const motoAfter = memoryOf(moto);
  const driverPeak = memoryOf(process.pid).peak;

  const image = await photo(2048, 1536, 94);
  const small = await photo(640, 480, 80);
  console.log(`pipeline latency, ${latencyRuns} runs of a ${(image.length / 1e6).toFixed(2)} MB JPEG…`);
  for (let i = 0; i < 2; i += 1) await timedUpload(context, `warm-${i}.jpg`, image, 20);
  const latency = await profiled(async () => {
    const runs = [];
    for (let i = 0; i < latencyRuns; i += 1)
      runs.push(await timedUpload(context, `latency-${i}.jpg`, image, 20));
    return runs;
  });
  await checkReady(context, latency.result);

  console.log(
    `executions per second: ${sequentialRuns} one at a time, then ${batchSize} with ${inFlight} in flight…`,
  );
  const sequential = await profiled(() => batch(context, small, sequentialRuns, 1));
  const concurrent = await profiled(() => batch(context, small, batchSize, inFlight));
  await checkReady(context, [...sequential.result.runs, ...concurrent.result.runs]);

  report = render({
    multipart,
    motoBefore,
    motoAfter,
    driverPeak,
    latency,
    image,
    small,
    sequential,
    concurrent,
  });
} finally {
  s3.destroy();
  sfn.destroy();
  await stack.stop();
}

function render(r: {
  multipart: { result: Round[]; cpu: CpuUse };
  driverPeak: number;
  motoBefore: ReturnType<typeof memoryOf>;
  motoAfter: ReturnType<typeof memoryOf>;
  latency: { result: Awaited<ReturnType<typeof timedUpload>>[]; cpu: CpuUse };
  image: Buffer;
  small: Buffer;
  sequential: { result: Awaited<ReturnType<typeof batch>>; cpu: CpuUse };
  concurrent: { result: Awaited<ReturnType<typeof batch>>; cpu: CpuUse };
}) {
  const m = machine();
  const rounds = r.multipart.result;
  const of = (way: Round['way']) => rounds.filter((x) => x.way === way);
  const throughput = (list: Round[]) => list.map((x) => file.size / MiB / (x.ms / 1000));
  const ours = median(throughput(of('ours')));
  const sdk = median(throughput(of('sdk')));
  const oursCpu = median(of('ours').map((x) => x.cpuSeconds));
  const sdkCpu = median(of('sdk').map((x) => x.cpuSeconds));
  const cpuMedian = (way: Round['way'], role: string) => median(of(way).map((x) => x.cpuOf(role))).toFixed(1);
  const sameEtags = new Set(rounds.map((x) => x.etag)).size === 1;
  const ms = (v: number) => v.toFixed(0);
  const stats = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? 0 };
  };
  const latency = r.latency.result;
  const total = stats(latency.map((x) => x.total));
  const phase = (name: keyof (typeof latency)[0]) => stats(latency.map((x) => x[name] as number));
  const phases = [
    [
      'sign (`GET /uploads/s3/params` through HAProxy: the upload service creates the PENDING asset)',
      phase('sign'),
    ],
    ['POST to S3 (moto)', phase('post')],
    [
      'trigger: object stored → execution started (EventBridge → SQS → poller → upload function)',
      phase('trigger'),
    ],
    ['execution: inspect → thumbnails (3 sizes) → finalize READY', phase('execution')],
  ] as const;
  const seq = r.sequential.result;
  const con = r.concurrent.result;
  // 1 GiB asks for 8 GiB of memory and 4 GiB of disk beyond 2 GiB of headroom (largestFileThatFits).
  const smallerNote =
    quick || file.size >= 1024 * MiB
      ? ''
      : `\n**Not 1 GiB:** it needs ${gibText(8 * 1024 * MiB + 2048 * MiB)} GiB of available memory (moto holds ~4.7x the file at its peak) and ` +
        `${gibText(4 * 1024 * MiB + 2048 * MiB)} GiB of free disk; this machine had ${gibText(fits.memory)} GiB and ${gibText(fits.disk)} GiB, so this is the largest size that fit.\n`;
  const label = quick ? ' (QUICK TRIAL RUN: small counts, not the benchmark)' : '';
  return `# Uploads and pipeline benchmark${label}

One run of \`pnpm bench\` (packages/loadtest/bench/run.ts) on this machine: ${m.cores} cores (${m.cpu}),
${gibText(m.memory)} GiB memory (${gibText(fits.memory)} GiB available and ${gibText(fits.disk)} GiB free disk at the start),
Node ${m.node}. One LoadStack: moto, Redis, HAProxy, the Step Functions server and the SQS event source
(both in the bench process), two instances of each app. Other work shares the cores: the machine's busy
share and load average are given per phase. Compare ratios, not absolute times.

## 1. A ${mib(file.size)} MiB file: presigned multipart through our routes vs the SDK
${smallerNote}
${file.count} parts of ${mib(partSize)} MiB, ${concurrency} at once (@uppy/aws-s3's defaults: 5 MiB minimum part, \`limit: 6\`),
generated part by part (never the whole file in memory; printable text, declared \`text/plain\`).

- **ours**: \`POST /uploads/s3/multipart\` (asset created PENDING), part URLs from
  \`GET /uploads/s3/multipart/:uploadId/batch\` ${signBatch} at a time (the next batch signed while the current
  one is sent), the PUTs straight to moto (node:http with keep-alive, the SDK's transport), \`POST …/complete\`: every signing call through HAProxy, the bytes not.
- **SDK**: \`@aws-sdk/lib-storage\` \`Upload\` to the same bucket (under \`bench/\`, which starts no pipeline),
  \`partSize\` ${mib(partSize)} MiB, \`queueSize\` ${concurrency}, no SDK checksums (\`requestChecksumCalculation: 'WHEN_REQUIRED'\`, as on
  our presigning clients), so both send the same bytes.

Rounds in ${rounds.map((x) => x.way).join(', ')} order; each object checked (size; ours also READY with the file's
sha256 from the pipeline) and deleted before the next round, untimed.

| round | way | seconds | MiB/s | parts stored, s | complete, s | CPU s, our processes (moto, this process) | machine busy | moto peak RSS MiB | disk used at the end MiB |
| ----: | --- | ------: | ----: | --------------: | ----------: | ----------------------------------------: | -----------: | ----------------: | -----------------------: |
${rounds
  .map(
    (x, i) =>
      `| ${i + 1} | ${x.way} | ${(x.ms / 1000).toFixed(1)} | ${(file.size / MiB / (x.ms / 1000)).toFixed(0)} | ` +
      `${(x.split.parts / 1000).toFixed(1)} | ${(x.split.complete / 1000).toFixed(1)} | ${x.cpuSeconds.toFixed(1)} (${x.cpuOf('moto').toFixed(1)}, ${x.cpuOf('bench driver').toFixed(1)}) | ` +
      `${(x.machineBusy * 100).toFixed(0)}% | ${mib(x.motoPeak)} | ${mib(x.diskUsed)} |`,
  )
  .join('\n')}

"parts stored" ends with the last part's answer, "complete" is the call that joins them (ours: through the
upload service, which lists the parts first). moto's peak is per round (VmHWM reset before each), over the
upload and its check (ours: also the pipeline reading the object). "CPU s" is the CPU time of every process
of this stack during the upload (moto, this process, the apps, HAProxy, Redis): unlike the wall time, other
work on the machine moves it far less. "This process" is the bench driver: the generator, both clients, and the
Step Functions server and SQS poller of the local cloud.

| | median MiB/s | median CPU s |
| --- | ---: | ---: |
| ours (signing routes + presigned PUTs) | ${ours.toFixed(0)} | ${oursCpu.toFixed(1)} |
| SDK multipart upload, direct | ${sdk.toFixed(0)} | ${sdkCpu.toFixed(1)} |
| **ratio ours / SDK** (target ≥ 0.9) | **${(ours / sdk).toFixed(3)}** | CPU cost SDK / ours: ${(sdkCpu / oursCpu).toFixed(3)} |

Target ${ours / sdk >= 0.9 ? 'met' : 'not met'} in this run. ${sameEtags ? `All ${rounds.length} objects have the same ETag (\`${rounds[0]?.etag}\`): the same bytes in the same parts both ways.` : 'The ETags differ between rounds: the parts were not the same.'}
Our way made ${rounds.find((x) => x.signCalls)?.signCalls ?? '?'} calls to the upload service per file. The pipeline then took
${of('ours')
  .map((x) => `${((x.pipelineMs ?? 0) / 1000).toFixed(1)} s`)
  .join(' and ')} per file (inspect streams the whole object from moto for its sha256).

**What moto does with the parts.** Each part is a spooled temporary file (in memory up to ~5 MiB, then on
disk under \`$TMPDIR\`); CompleteMultipartUpload joins them in memory (a bytearray, then a bytes copy) and
writes the object to another spooled file; a GET reads the whole object into memory. moto's resident memory:
${mib(r.motoBefore.rss)} MiB before this phase, ${mib(r.motoAfter.rss)} MiB after it, **peak ${mib(Math.max(...rounds.map((x) => x.motoPeak)))} MiB**
for a ${mib(file.size)} MiB file; deleting the object gives its disk back. This bench process (the generator, both
clients, the Step Functions server) peaked at ${mib(r.driverPeak)} MiB resident: the file was never whole in its memory.

**What bounds it here:** ${cpuLine(r.multipart.cpu)}. Both ways move the bytes over loopback into moto,
one Python process on the same cores, whose per-part work (an MD5 for each ETag, spooling to disk) and join on
complete (the "complete" column) are most of each round; the spread between rounds of one way is the other
work on the machine (see "machine busy"). moto's CPU per file: ${cpuMedian('ours', 'moto')} s ours, ${cpuMedian('sdk', 'moto')} s SDK (medians). Our way
adds ${rounds.find((x) => x.signCalls)?.signCalls ?? '?'} small calls through HAProxy to the upload service (each a data API read and a ListParts at moto).
The SDK's way instead signs every part's payload: SigV4 over the SHA-256 of the 5 MiB body (@smithy/signature-v4
\`getPayloadHash\` hashes any buffer body), in this process, where a presigned part URL is signed for
\`UNSIGNED-PAYLOAD\`; this process's CPU per file: ${cpuMedian('ours', 'bench driver')} s ours, ${cpuMedian('sdk', 'bench driver')} s SDK (generating and
hashing the ${mib(file.size)} MiB once, before the rounds, took ${(hashMs / 1000).toFixed(1)} s of wall time). In AWS, S3 rather than moto sets the pace.

## 2. Pipeline latency, upload to READY

A ${(r.image.length / 1e6).toFixed(2)} MB 2048 × 1536 JPEG, ${latency.length} runs one after another (after 2 warm-up runs), single
presigned POST as Uppy sends a file under 100 MB. From the client's first request to the execution's
stop, as the Step Functions server records it (the finalize step has written READY through the data API by
then; every asset was read back READY with thumbnails afterwards).

| | p50 ms | p95 ms | max ms |
| --- | ---: | ---: | ---: |
| **upload → READY** | **${ms(total.p50)}** | **${ms(total.p95)}** | ${ms(total.max)} |
${phases.map(([name, s]) => `| ${name} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.max)} |`).join('\n')}

**What bounds it here:** ${cpuLine(r.latency.cpu)}. The execution's steps are mostly sharp's decode and
three WebP encodes, and the moto round trips around them; the trigger is moto's EventBridge → SQS and the
event source's long poll.

## 3. Executions finished per second

${batchSize} uploads of a ${(r.small.length / 1e3).toFixed(0)} KB 640 × 480 JPEG, at most ${inFlight} in flight (an upload is in flight from its
sign until its execution stops), vs ${sequentialRuns} one at a time; each execution's own stop time counts.

| | executions | wall s | executions/s | p50 latency ms | p95 latency ms |
| --- | ---: | ---: | ---: | ---: | ---: |
| one at a time | ${seq.runs.length} | ${seq.wallSeconds.toFixed(1)} | ${seq.perSecond.toFixed(2)} | ${ms(stats(seq.runs.map((x) => x.total)).p50)} | ${ms(stats(seq.runs.map((x) => x.total)).p95)} |
| **${inFlight} in flight** | ${con.runs.length} | ${con.wallSeconds.toFixed(1)} | **${con.perSecond.toFixed(2)}** | ${ms(stats(con.runs.map((x) => x.total)).p50)} | ${ms(stats(con.runs.map((x) => x.total)).p95)} |

Steady rate (between the 20th and 80th percentile of stops): ${con.steadyPerSecond.toFixed(2)} executions/s. **${inFlight} in flight
vs one at a time: ${(con.perSecond / seq.perSecond).toFixed(2)}×.**

**What bounds it here:** one at a time: ${cpuLine(r.sequential.cpu)}. ${inFlight} in flight: ${cpuLine(r.concurrent.cpu)}.
With ${inFlight} in flight the cores are the limit: every stand-in and app instance shares these ${m.cores} cores with each
other and with other work. In AWS each step is its own Lambda invocation and Step Functions, S3 and SQS
are managed services, so none of these processes' CPU would be shared.

Total bench time ${((performance.now() - benchStarted) / 1000).toFixed(0)} s.
`;
}

if (quick) console.log(report);
else {
  const reportFile = join(here, 'REPORT.md');
  writeFileSync(reportFile, report);
  // Formatted as the repository's biome config wants Markdown, so the committed report passes lint.
  try {
    execFileSync(join(here, '../node_modules/.bin/biome'), ['format', '--write', reportFile], {
      stdio: 'ignore',
    });
  } catch {
    console.warn('could not format REPORT.md with biome; run `pnpm format`');
  }
  console.log(`\n${report}`);
}
