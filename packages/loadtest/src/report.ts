import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ratiosPerDoubling } from './bounds.ts';
import {
  executionsPerSecond,
  notesOf,
  type RampStep,
  rampOf,
  type ScaleOut,
  type ScaleOutPoint,
  scaleOutOf,
} from './figures.ts';
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

export interface Report {
  title: string;
  startedAt: string;
  finishedAt: string;
  commit: string;
  machine: Machine;
  freeMemoryGiBAtStart: number;
  options: Record<string, unknown>;
  scenarios: ScenarioResult[];
  scaleOut: ScaleOut;
  ramp: RampStep[];
  /** Every invariant of every scenario held, and no idempotent request failed. */
  passed: boolean;
  /** What bounds each phase and curve, computed from the figures (figures.ts), after any given. */
  notes: string[];
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
    scaleOut: scaleOutOf(scenarios, machine.cores),
    ramp: rampOf(scenarios.find((s) => s.name === 'ramp')),
    passed,
    notes: [...notes, ...notesOf(scenarios, machine.cores, Number(options.limit) || 0)],
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

/** About five ticks at round values (1, 2, 2.5 or 5 times a power of ten) from `min` to `max`. */
export function roundTicks(min: number, max: number) {
  const step = niceMax((max - min) / 5);
  const ticks: number[] = [];
  for (let x = Math.ceil(min / step) * step; x <= max + step * 1e-9; x += step)
    ticks.push(Math.round(x * 1000) / 1000);
  return ticks;
}

export function lineChart(options: {
  title: string;
  yLabel: string;
  series: Series[];
  xLabel?: string;
  /** Where the x axis is ticked (e.g. the instance counts measured); five even steps when absent. */
  xTicks?: number[];
  /** The x axis' range, when several charts share one; from the points when absent. */
  xRange?: [number, number];
  markers?: { x: number; label: string }[];
  /** Events drawn as dots on the x axis (e.g. cold starts). */
  dots?: { x: number; label: string }[];
  width?: number;
  height?: number;
}) {
  const width = options.width ?? 560;
  const height = options.height ?? 220;
  const pad = { left: 56, right: 12, top: 28, bottom: 40 };
  const xs = options.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = options.series.flatMap((s) => s.points.map(([, y]) => y));
  const [xMin, xMax] = options.xRange ?? [Math.min(0, ...xs), Math.max(1, ...xs)];
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
  const xTicks = options.xTicks ?? roundTicks(xMin, xMax);
  for (const x of xTicks) {
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
  for (const dot of options.dots ?? []) {
    parts.push(
      `<circle cx="${px(dot.x).toFixed(1)}" cy="${height - pad.bottom - 3}" r="3" fill="#111827"><title>${esc(dot.label)}</title></circle>`,
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
    for (const [x, y] of options.xTicks ? s.points : []) {
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

/**
 * Counts per second from the times events landed (seconds since the phase's load started), from 0
 * to the later of the load's end and the last event: what lands after the load stops is shown
 * there, not dropped. A point per second, at the second's end (as the load's own samples are).
 */
export function perSecond(times: number[], durationSeconds: number): [number, number][] {
  const length = Math.ceil(Math.max(durationSeconds, ...times.map((t) => t + 0.001)));
  const counts = Array<number>(length).fill(0);
  for (const t of times) counts[Math.floor(t)] = (counts[Math.floor(t)] ?? 0) + 1;
  return counts.map((n, i) => [i + 1, n]);
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** The phase's headline: only what it did (a read-only phase has no edit counters, an upload-only one no requests). */
export function headline(s: ScenarioResult) {
  const t = s.load.totals;
  const parts: string[] = [];
  if (s.config.connections > 0) {
    parts.push(
      `<b>${t.rps}</b> req/s · p50 <b>${t.p50}</b> ms · p95 <b>${t.p95}</b> ms · p99 <b>${t.p99}</b> ms`,
      `${t.requests} requests · <b class="${t.failed ? 'bad' : 'ok'}">${t.failed} failed</b> (${t.status5xx} 5xx, ${t.errors} errors, ${t.timeouts} timeouts)`,
    );
    if (s.config.mix.patch > 0)
      parts.push(`${s.load.lostAnswers} edits applied once whose answer was lost (412 on the resend)`);
    parts.push(`${s.config.connections} connections`);
  }
  const warmup = s.config.warmupSeconds ? ` (the first ${s.config.warmupSeconds} s a warm-up, left out)` : '';
  parts.push(
    `${s.load.durationSeconds} s${warmup} · load generator CPU ${round1(s.load.generatorCpuSeconds)} s`,
  );
  return parts.join(' ·\n');
}

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
            title: 'Uploads reaching READY, in the second each lands',
            yLabel: 'per second',
            series: [
              {
                name: 'READY (sign → S3 → pipeline)',
                points: perSecond(s.load.uploads.readyAt, s.load.durationSeconds),
              },
            ],
            markers: [...markers, { x: s.load.durationSeconds, label: 'load stops' }],
          }),
        ]
      : []),
    ...(s.timeline.length > 0
      ? [
          lineChart({
            title: 'Environments running per app (dots: cold starts)',
            yLabel: 'environments',
            series: Object.keys(s.timeline[0]?.values ?? {}).map((key) => ({
              name: key.replace(' environments', ''),
              points: s.timeline.map((x) => [x.t, x.values[key] ?? 0] as [number, number]),
            })),
            markers,
            dots: (s.fleet?.coldStarts ?? []).map((c) => ({ x: c.t, label: c.app })),
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
  const u = s.load.uploads;
  const uploads = u
    ? `<p class="headline">${
        s.name.startsWith('pipeline-')
          ? `<b>${executionsPerSecond(s)}</b> executions/s reaching READY over the ${s.load.measuredSeconds} s measured · `
          : ''
      }Uploads (${s.config.uploadConcurrency} in flight): <b>${u.ready}</b> READY of ${u.acknowledged.length} acknowledged by S3 ·
from S3's acknowledgement to READY p50 <b>${u.p50}</b> ms, p95 <b>${u.p95}</b> ms · ${u.retries} client retries · ${u.resent} POSTs resent after S3 had the bytes ·
<b class="${u.failures.length ? 'bad' : 'ok'}">${u.notReady} not READY, ${u.gaveUp} given up</b></p>`
    : '';
  return `<section><h2>${esc(s.name)}</h2><p>${esc(s.description)}</p>
<p class="headline">${headline(s)}</p>
${uploads}
<div class="charts">${charts.join('')}</div>
<table><thead><tr><th>route</th><th>requests</th><th>failed</th><th>statuses</th><th>cache hit/miss</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th></tr></thead><tbody>${routes}</tbody></table>
${events ? `<h3>Events</h3><ul>${events}</ul>` : ''}${facts ? `<h3>Facts</h3><ul>${facts}</ul>` : ''}
<h3>Invariants after the scenario</h3><ul class="invariants">${invariants}</ul>
${s.load.failures.length ? `<h3>First failures</h3><pre>${esc(s.load.failures.join('\n'))}</pre>` : ''}
${u?.failures.length ? `<h3>Upload failures</h3><pre>${esc(u.failures.join('\n'))}</pre>` : ''}</section>`;
}

function scaleCurve(title: string, unit: string, counts: string, points: ScaleOutPoint[]) {
  if (points.length === 0) return '';
  const ticks = points.map((p) => p.instances);
  const roles = [...new Set(points.flatMap((p) => Object.keys(p.cores)))].filter((r) =>
    points.some((p) => (p.cores[r] ?? 0) > 0.02),
  );
  const ratios = ratiosPerDoubling(points);
  const rows = points
    .map(
      (p, i) =>
        `<tr><td>${p.instances}</td><td>${p.rate}</td><td>${i === 0 ? '' : `×${ratios[i - 1]?.ratio}`}</td>${
          p.p99 === undefined ? '' : `<td>${p.p99}</td>`
        }<td>${p.capsCores ?? 'no cap'}</td>${roles.map((r) => `<td>${p.cores[r] ?? 0}</td>`).join('')}<td>${esc(p.bound.text)}</td></tr>`,
    )
    .join('');
  const charts = [
    lineChart({
      title: `${title}: ${unit}`,
      yLabel: unit,
      xLabel: counts,
      xTicks: ticks,
      series: [{ name: unit, points: points.map((p) => [p.instances, p.rate]) }],
    }),
    lineChart({
      title: `${title}: cores busy per process`,
      yLabel: 'cores',
      xLabel: counts,
      xTicks: ticks,
      series: roles.map((r) => ({
        name: r,
        points: points.map((p) => [p.instances, p.cores[r] ?? 0] as [number, number]),
      })),
    }),
  ];
  return `<h3>${esc(title)}</h3><div class="charts">${charts.join('')}</div>
<table><thead><tr><th>${esc(counts)}</th><th>${esc(unit)}</th><th>per doubling</th>${
    points[0]?.p99 === undefined ? '' : '<th>p99 ms</th>'
  }<th>caps (cores)</th>${roles.map((r) => `<th>${esc(r)} (cores)</th>`).join('')}<th>bound by</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function scaleSection(scale: ScaleOut) {
  if (scale.reads.length === 0 && scale.pipeline.length === 0) return '';
  return `<section><h2>Scale-out: environments of a fixed size</h2>
${scaleCurve('Cached reads', 'req/s', 'data-api environments', scale.reads)}
${scaleCurve('Pipeline', 'executions/s', 'worker environments', scale.pipeline)}</section>`;
}

/** Charts stacked in one picture on one time axis (each keeps its own y axis). */
export function timeAxisChart(title: string, panels: Parameters<typeof lineChart>[0][]) {
  const xs = panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x)));
  const xRange: [number, number] = [0, Math.max(1, ...xs)];
  const width = 1100;
  let y = 24;
  const inner = panels.map((panel) => {
    const height = panel.height ?? 170;
    const svg = lineChart({ ...panel, width, height, xRange }).replace('<svg ', `<svg x="0" y="${y}" `);
    y += height;
    return svg;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${y}" width="${width}" height="${y}" role="img" aria-label="${esc(title)}"><text x="56" y="16" font-size="14" font-weight="600">${esc(title)}</text>${inner.join('')}</svg>`;
}

function rampSection(s: ScenarioResult | undefined, steps: RampStep[]) {
  if (!s || steps.length === 0) return '';
  const seconds = s.load.seconds;
  const at = (f: (x: (typeof seconds)[number]) => number): [number, number][] =>
    seconds.map((x) => [x.t + 1, f(x)]);
  const running = s.timeline.map((x) => [x.t, x.values['data-api environments'] ?? 0] as [number, number]);
  const coldStarts = perSecond(
    (s.fleet?.coldStarts ?? []).filter((c) => c.app === 'data-api' && c.t >= 0).map((c) => c.t),
    s.load.durationSeconds,
  );
  const chart = timeAxisChart('Ramp: offered load, environments, throughput, p99 and cold starts over time', [
    {
      title: 'Requests per second',
      yLabel: 'req/s',
      series: [
        { name: 'offered', points: at((x) => x.offered ?? 0) },
        { name: 'answered', points: at((x) => x.requests) },
      ],
    },
    {
      title: 'data-api environments',
      yLabel: 'environments',
      series: [
        { name: 'running', points: running },
        { name: 'cold starts (per second)', points: coldStarts },
      ],
    },
    {
      title: 'Latency',
      yLabel: 'p99 ms',
      xLabel: 'seconds',
      series: [{ name: 'p99', points: at((x) => x.p99) }],
    },
  ]);
  const rows = steps
    .map(
      (x) =>
        `<tr><td>${x.from}</td><td>${x.offered}</td><td>${x.answered}</td><td>${x.environments}</td><td>${x.coldStarts}</td><td>${x.p50}</td><td>${x.p99}</td><td>${x.failed}</td></tr>`,
    )
    .join('');
  return `<section><h2>Ramp: environments follow the load</h2><p>${esc(s.description)}</p>${chart}
<table><thead><tr><th>from s</th><th>offered req/s</th><th>answered req/s</th><th>environments at its end</th><th>cold starts</th><th>p50 ms</th><th>p99 ms</th><th>failed</th></tr></thead><tbody>${rows}</tbody></table></section>`;
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
${rampSection(
  report.scenarios.find((s) => s.name === 'ramp'),
  report.ramp,
)}
${report.scenarios.map(scenarioSection).join('\n')}
</body></html>
`;
}
