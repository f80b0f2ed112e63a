/**
 * Draws the closed-loop reserve latency of a `npm run bench:reserve -- --json FILE` run as an SVG:
 * p50 (solid) and p99 (dashed) against callers, both HTTP modes beside the floors, log scales.
 *
 *   npx tsx bench/chart.ts [.data/bench-reserve.json] [docs/reserve-latency.svg]
 *
 * Hand-written SVG, no dependency.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CLOSED_VARIANTS, VARIANT_LABELS, type BenchReport, type ClosedVariant } from './reserve/report';

const COLORS: Record<ClosedVariant, string> = {
  'http-db': '#1f63b4',
  'http-workflow': '#c8312a',
  txn: '#2f9a3a',
  update: '#6f6f6f',
  floor: '#e08a10',
};

const W = 820;
const H = 480;
const M = { left: 64, right: 250, top: 48, bottom: 52 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/`/g, '');
const fmt = (v: number) => (v >= 1 ? String(v) : v.toString().replace(/^0/, ''));

export function renderChart(report: BenchReport): string {
  const levels = Object.keys(report.closed)
    .map((k) => Number(k.slice(1)))
    .sort((a, b) => a - b);
  const variants = CLOSED_VARIANTS.filter((v) => levels.some((l) => report.closed[`c${l}`]?.[v]));
  const values = levels.flatMap((l) =>
    variants.flatMap((v) => {
      const s = report.closed[`c${l}`]?.[v];
      return s ? [s.p50, s.p99] : [];
    }),
  );
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...finite, 1)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...finite, 50)));
  const xMin = Math.log2(levels[0] ?? 1);
  const xMax = Math.max(Math.log2(levels[levels.length - 1] ?? 64), xMin + 1);
  const x = (callers: number) => M.left + ((Math.log2(callers) - xMin) / (xMax - xMin)) * PW;
  const y = (ms: number) =>
    M.top + PH - ((Math.log10(ms) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * PH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="bold">Reserve latency against callers (closed loop)</text>`,
    `<text x="${M.left}" y="39" fill="#555">run ${esc(report.runId)}, ${esc(report.startedAt.slice(0, 16).replace('T', ' '))} UTC, ${report.machine.cpus} cores; solid p50, dashed p99; log scales</text>`,
  );
  // Grid: decades labelled, 2× and 5× lighter.
  for (let d = yMin; d <= yMax; d *= 10) {
    out.push(
      `<line x1="${M.left}" x2="${M.left + PW}" y1="${y(d)}" y2="${y(d)}" stroke="#ccc"/>`,
      `<text x="${M.left - 8}" y="${y(d) + 4}" text-anchor="end">${fmt(d)}</text>`,
    );
    for (const k of [2, 5]) {
      if (d * k < yMax)
        out.push(
          `<line x1="${M.left}" x2="${M.left + PW}" y1="${y(d * k)}" y2="${y(d * k)}" stroke="#eee"/>`,
        );
    }
  }
  for (const l of levels) {
    out.push(
      `<line x1="${x(l)}" x2="${x(l)}" y1="${M.top}" y2="${M.top + PH}" stroke="#eee"/>`,
      `<text x="${x(l)}" y="${M.top + PH + 18}" text-anchor="middle">${l}</text>`,
    );
  }
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#888"/>`,
    `<text x="${M.left + PW / 2}" y="${H - 12}" text-anchor="middle">concurrent callers</text>`,
    `<text transform="translate(16 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">latency (ms)</text>`,
  );
  if (50 > yMin && 50 < yMax) {
    out.push(
      `<line x1="${M.left}" x2="${M.left + PW}" y1="${y(50)}" y2="${y(50)}" stroke="#000" stroke-dasharray="2 3"/>`,
      `<text x="${M.left + 4}" y="${y(50) - 4}" fill="#000">contract: reserve &lt; 50 ms</text>`,
    );
  }
  for (const v of variants) {
    for (const key of ['p50', 'p99'] as const) {
      const points = levels
        .map((l) => ({ l, s: report.closed[`c${l}`]?.[v] }))
        .filter(({ s }) => s && Number.isFinite(s[key]) && s[key] > 0)
        .map(({ l, s }) => [x(l), y(s![key])] as const);
      if (points.length === 0) continue;
      const dash = key === 'p99' ? ' stroke-dasharray="6 4"' : '';
      out.push(
        `<polyline fill="none" stroke="${COLORS[v]}" stroke-width="2"${dash} points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}"/>`,
        ...points.map(
          ([px, py]) =>
            `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="${key === 'p50' ? 3.5 : 2.5}" fill="${key === 'p50' ? COLORS[v] : '#fff'}" stroke="${COLORS[v]}" stroke-width="1.5"/>`,
        ),
      );
    }
  }
  // Legend, right of the plot.
  const lx = M.left + PW + 20;
  variants.forEach((v, i) => {
    const ly = M.top + 14 + i * 40;
    out.push(
      `<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${COLORS[v]}" stroke-width="2"/>`,
      `<line x1="${lx}" x2="${lx + 28}" y1="${ly + 12}" y2="${ly + 12}" stroke="${COLORS[v]}" stroke-width="2" stroke-dasharray="6 4"/>`,
      `<text x="${lx + 36}" y="${ly + 4}">${esc(VARIANT_LABELS[v])}</text>`,
      `<text x="${lx + 36}" y="${ly + 17}" fill="#555" font-size="11">${esc(legendNote(report, v))}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** 1 caller's p50 and the highest level's throughput, beside the legend entry. */
function legendNote(report: BenchReport, v: ClosedVariant): string {
  const keys = Object.keys(report.closed).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const first = report.closed[keys[0]!]?.[v];
  const last = report.closed[keys[keys.length - 1]!]?.[v];
  const p50 = first
    ? `${first.p50 < 10 ? first.p50.toFixed(2) : first.p50.toFixed(0)} ms at ${keys[0]!.slice(1)}`
    : '';
  const tput = last ? `${last.throughput.toFixed(0)}/s at ${keys[keys.length - 1]!.slice(1)}` : '';
  return [p50, tput].filter(Boolean).join(', ');
}

if (require.main === module) {
  const [input = '.data/bench-reserve.json', output = 'docs/reserve-latency.svg'] = process.argv.slice(2);
  const report = JSON.parse(readFileSync(input, 'utf8')) as BenchReport;
  writeFileSync(output, renderChart(report));
  console.log(`wrote ${output}`);
}
