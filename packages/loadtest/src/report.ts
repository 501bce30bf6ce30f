import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ScenarioResult } from './scenarios.ts';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  /** 1-minute load average when the run started: other work sharing the cores. */
  loadAverageAtStart: number;
}

export function describeMachine(): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    loadAverageAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** When a run started and which code it ran, so a committed report says what it measured. */
export interface Run {
  startedAt: string;
  /** `git describe --always --dirty`: the commit, with -dirty when the tree had changes. */
  commit: string;
}

export function describeRun(): Run {
  let commit = 'unknown (not a git checkout)';
  try {
    commit = execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
  } catch {
    // A copy without .git still gets its report.
  }
  return { startedAt: new Date().toISOString(), commit };
}

export interface ScaleOutPoint {
  instances: number;
  rps: number;
  p99: number;
  /** Average cores busy per role during the phase. */
  cores: Record<string, number>;
}

export interface Report {
  title: string;
  startedAt: string;
  finishedAt: string;
  commit: string;
  machine: Machine;
  freeMemoryGiBAtStart: number;
  options: Record<string, unknown>;
  scenarios: ScenarioResult[];
  scaleOut: ScaleOutPoint[];
  /** Every invariant of every scenario held, and no idempotent request failed. */
  passed: boolean;
  notes: string[];
}

export function scaleOutOf(scenarios: ScenarioResult[]): ScaleOutPoint[] {
  return scenarios
    .filter((s) => s.name.startsWith('scale-'))
    .map((s) => ({
      instances: Number(s.name.slice('scale-'.length)),
      rps: s.load.totals.rps,
      p99: s.load.totals.p99,
      cores: Object.fromEntries(
        Object.entries(s.cpu.cpuSeconds).map(([role, seconds]) => [
          role,
          Math.round((seconds / s.load.durationSeconds) * 100) / 100,
        ]),
      ),
    }));
}

export function buildReport(
  title: string,
  machine: Machine,
  options: Record<string, unknown>,
  scenarios: ScenarioResult[],
  notes: string[],
  run: Run = describeRun(),
): Report {
  const passed = scenarios.every(
    (s) =>
      s.invariants.every((i) => i.ok) &&
      s.load.totals.failed === 0 &&
      (s.load.uploads?.failures.length ?? 0) === 0,
  );
  return {
    title,
    startedAt: run.startedAt,
    finishedAt: new Date().toISOString(),
    commit: run.commit,
    machine,
    freeMemoryGiBAtStart: Math.round((freemem() / 2 ** 30) * 10) / 10,
    options,
    scenarios,
    scaleOut: scaleOutOf(scenarios),
    passed,
    notes,
  };
}

export function writeReport(report: Report, dir: string, name: string) {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const html = join(dir, `${name}.html`);
  writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(html, renderHtml(report));
  return { json, html };
}

// --- Charts: inline SVG, no library, no network. -------------------------------------------------

const palette = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#ca8a04',
  '#db2777',
  '#4b5563',
];
const esc = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

interface Series {
  name: string;
  points: [number, number][];
}

function niceMax(value: number) {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= value) as number) * magnitude;
}

export function lineChart(options: {
  title: string;
  yLabel: string;
  series: Series[];
  xLabel?: string;
  markers?: { x: number; label: string }[];
  width?: number;
  height?: number;
}) {
  const width = options.width ?? 560;
  const height = options.height ?? 220;
  const pad = { left: 56, right: 12, top: 28, bottom: 40 };
  const xs = options.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = options.series.flatMap((s) => s.points.map(([, y]) => y));
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(1, ...xs);
  const yMax = niceMax(Math.max(0, ...ys));
  const px = (x: number) => pad.left + ((x - xMin) / (xMax - xMin)) * (width - pad.left - pad.right);
  const py = (y: number) => height - pad.bottom - (y / yMax) * (height - pad.top - pad.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(options.title)}">`,
    `<text x="${pad.left}" y="16" font-size="13" font-weight="600">${esc(options.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    parts.push(
      `<line x1="${pad.left}" x2="${width - pad.right}" y1="${py(y)}" y2="${py(y)}" stroke="#e5e7eb"/>`,
      `<text x="${pad.left - 6}" y="${py(y) + 4}" font-size="10" text-anchor="end">${Math.round(y * 100) / 100}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const x = xMin + ((xMax - xMin) * i) / 5;
    parts.push(
      `<text x="${px(x)}" y="${height - pad.bottom + 14}" font-size="10" text-anchor="middle">${Math.round(x * 10) / 10}</text>`,
    );
  }
  parts.push(
    `<text x="${(width + pad.left) / 2}" y="${height - 6}" font-size="10" text-anchor="middle">${esc(options.xLabel ?? 'seconds')}</text>`,
    `<text x="12" y="${(height - pad.bottom + pad.top) / 2}" font-size="10" transform="rotate(-90 12 ${(height - pad.bottom + pad.top) / 2})" text-anchor="middle">${esc(options.yLabel)}</text>`,
  );
  for (const marker of options.markers ?? []) {
    parts.push(
      `<line x1="${px(marker.x)}" x2="${px(marker.x)}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#111827" stroke-dasharray="4 3"/>`,
      `<text x="${px(marker.x) + 3}" y="${pad.top + 10}" font-size="9">${esc(marker.label)}</text>`,
    );
  }
  options.series.forEach((s, i) => {
    const color = palette[i % palette.length];
    const d = s.points
      .map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`)
      .join('');
    if (s.points.length === 1) {
      const [[x, y]] = s.points as [[number, number]];
      parts.push(`<circle cx="${px(x)}" cy="${py(y)}" r="3" fill="${color}"/>`);
    } else parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"/>`);
    for (const [x, y] of options.xLabel === 'instances' ? s.points : []) {
      parts.push(`<circle cx="${px(x)}" cy="${py(y)}" r="3" fill="${color}"/>`);
    }
  });
  // Legend under the title, one row.
  let lx = pad.left + 8;
  options.series.forEach((s, i) => {
    parts.push(
      `<rect x="${lx}" y="${pad.top - 4}" width="10" height="3" fill="${palette[i % palette.length]}"/>`,
      `<text x="${lx + 13}" y="${pad.top}" font-size="9">${esc(s.name)}</text>`,
    );
    lx += 20 + s.name.length * 5;
  });
  parts.push('</svg>');
  return parts.join('');
}

// --- The page. ------------------------------------------------------------------------------------

function scenarioSection(s: ScenarioResult) {
  const seconds = s.load.seconds;
  const markers = s.events.map((e) => ({ x: e.t, label: e.what }));
  const at = (f: (x: (typeof seconds)[number]) => number): [number, number][] =>
    seconds.map((x) => [x.t + 1, f(x)]);
  const charts = [
    lineChart({
      title: 'Throughput',
      yLabel: 'requests / s',
      series: [{ name: 'answered', points: at((x) => x.requests) }],
      markers,
    }),
    lineChart({
      title: 'Latency',
      yLabel: 'ms',
      series: [
        { name: 'p50', points: at((x) => x.p50) },
        { name: 'p95', points: at((x) => x.p95) },
        { name: 'p99', points: at((x) => x.p99) },
      ],
      markers,
    }),
    lineChart({
      title: 'Failed requests and 5xx',
      yLabel: 'per second',
      series: [
        { name: 'failed (non-2xx, errors, timeouts)', points: at((x) => x.failed) },
        { name: '5xx', points: at((x) => x.status5xx) },
      ],
      markers,
    }),
    ...(s.load.uploads
      ? [
          lineChart({
            title: 'Uploads reaching READY',
            yLabel: 'per second',
            series: [{ name: 'READY (sign → S3 → pipeline)', points: at((x) => x.uploadsReady) }],
            markers,
          }),
        ]
      : []),
    lineChart({
      title: 'CPU per process (100 = one core)',
      yLabel: '% of one core',
      series: Object.entries(s.cpu.series)
        .filter(([, values]) => values.some((v) => v > 1))
        .map(([role, values]) => ({
          name: role,
          points: values.map((v, i) => [s.cpu.t[i] as number, v] as [number, number]),
        })),
      markers,
    }),
  ];
  const routes = s.load.routes
    .map(
      (r) =>
        `<tr><td>${esc(r.route)}</td><td>${r.requests}</td><td>${r.failed}</td><td>${esc(
          Object.entries(r.statuses)
            .map(([k, v]) => `${k}×${v}`)
            .join(' '),
        )}</td><td>${r.cacheHits}/${r.cacheMisses}</td><td>${r.p50}</td><td>${r.p95}</td><td>${r.p99}</td><td>${r.max}</td></tr>`,
    )
    .join('');
  const invariants = s.invariants
    .map(
      (i) =>
        `<li class="${i.ok ? 'ok' : 'bad'}">${i.ok ? '✔' : '✘'} ${esc(i.name)} (${i.checked} checked)${
          i.problems.length ? `<ul>${i.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : ''
        }</li>`,
    )
    .join('');
  const facts = Object.entries(s.facts)
    .map(([k, v]) => `<li>${esc(k)}: <b>${esc(String(v))}</b></li>`)
    .join('');
  const events = s.events
    .map(
      (e) =>
        `<li>${e.t} s: ${esc(e.what)}${e.error ? ` — <b class="bad">failed: ${esc(e.error)}</b>` : ''}</li>`,
    )
    .join('');
  const t = s.load.totals;
  const u = s.load.uploads;
  const uploads = u
    ? `<p class="headline">Uploads (${s.config.uploadConcurrency} in flight): <b>${u.ready}</b> READY of ${u.acknowledged.length} acknowledged by S3 ·
from S3's acknowledgement to READY p50 <b>${u.p50}</b> ms, p95 <b>${u.p95}</b> ms · ${u.retries} client retries · ${u.resent} POSTs resent after S3 had the bytes ·
<b class="${u.failures.length ? 'bad' : 'ok'}">${u.notReady} not READY, ${u.gaveUp} given up</b></p>`
    : '';
  return `<section><h2>${esc(s.name)}</h2><p>${esc(s.description)}</p>
<p class="headline"><b>${t.rps}</b> req/s · p50 <b>${t.p50}</b> ms · p95 <b>${t.p95}</b> ms · p99 <b>${t.p99}</b> ms ·
${t.requests} requests · <b class="${t.failed ? 'bad' : 'ok'}">${t.failed} failed</b> (${t.status5xx} 5xx, ${t.errors} errors, ${t.timeouts} timeouts) ·
${s.load.lostAnswers} edits applied once whose answer was lost (412 on the resend) ·
${s.config.connections} connections, ${s.load.durationSeconds} s · load generator CPU ${Math.round(s.load.generatorCpuSeconds * 10) / 10} s</p>
${uploads}
<div class="charts">${charts.join('')}</div>
<table><thead><tr><th>route</th><th>requests</th><th>failed</th><th>statuses</th><th>cache hit/miss</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th></tr></thead><tbody>${routes}</tbody></table>
${events ? `<h3>Events</h3><ul>${events}</ul>` : ''}${facts ? `<h3>Facts</h3><ul>${facts}</ul>` : ''}
<h3>Invariants after the scenario</h3><ul class="invariants">${invariants}</ul>
${s.load.failures.length ? `<h3>First failures</h3><pre>${esc(s.load.failures.join('\n'))}</pre>` : ''}
${u?.failures.length ? `<h3>Upload failures</h3><pre>${esc(u.failures.join('\n'))}</pre>` : ''}</section>`;
}

function scaleSection(points: ScaleOutPoint[]) {
  if (points.length === 0) return '';
  const roles = [...new Set(points.flatMap((p) => Object.keys(p.cores)))];
  const rows = points
    .map(
      (p) =>
        `<tr><td>${p.instances}</td><td>${p.rps}</td><td>${p.p99}</td>${roles.map((r) => `<td>${p.cores[r] ?? 0}</td>`).join('')}</tr>`,
    )
    .join('');
  const charts = [
    lineChart({
      title: 'Scale-out: cached reads per second',
      yLabel: 'requests / s',
      xLabel: 'instances',
      series: [{ name: 'req/s', points: points.map((p) => [p.instances, p.rps]) }],
    }),
    lineChart({
      title: 'Scale-out: cores busy per process',
      yLabel: 'cores',
      xLabel: 'instances',
      series: roles
        .filter((r) => points.some((p) => (p.cores[r] ?? 0) > 0.02))
        .map((r) => ({
          name: r,
          points: points.map((p) => [p.instances, p.cores[r] ?? 0] as [number, number]),
        })),
    }),
  ];
  return `<section><h2>Scale-out</h2><div class="charts">${charts.join('')}</div>
<table><thead><tr><th>data-api instances</th><th>req/s</th><th>p99 ms</th>${roles.map((r) => `<th>${esc(r)} (cores)</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></section>`;
}

export function renderHtml(report: Report) {
  const m = report.machine;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(report.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#111827;max-width:1200px}h1{margin-bottom:4px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:8px}svg{background:#fff;border:1px solid #e5e7eb;border-radius:6px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #e5e7eb;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.ok{color:#15803d}.bad{color:#b91c1c}section{border-top:2px solid #e5e7eb;margin-top:20px}.headline{font-size:15px}
ul.invariants{list-style:none;padding-left:0}pre{background:#f3f4f6;padding:8px;overflow:auto}</style></head><body>
<h1>${esc(report.title)}</h1>
<p>${esc(report.startedAt)} to ${esc(report.finishedAt)}, code ${esc(report.commit)} · ${m.cores} cores (${esc(m.cpu)}), ${m.memoryGiB} GiB, Linux ${esc(m.kernel)}, Node ${esc(m.node)} ·
load average at start ${m.loadAverageAtStart} · <b class="${report.passed ? 'ok' : 'bad'}">${report.passed ? 'every invariant held, no failed request' : 'FAILED: see below'}</b></p>
${report.notes.length ? `<ul>${report.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
${scaleSection(report.scaleOut)}
${report.scenarios.map(scenarioSection).join('\n')}
</body></html>
`;
}
