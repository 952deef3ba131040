import type { BenchReport } from './report';

const WIDTH = 640;
const HEIGHT = 360;
const PAD = { left: 60, right: 150, top: 30, bottom: 45 };
const SERIES = [
  { key: 'p50', color: '#2b8a3e' },
  { key: 'p95', color: '#e67700' },
  { key: 'p99', color: '#c92a2a' },
] as const;

/** SVG line chart: POST-to-terminal-status latency percentiles (log scale) against the offered rate. */
export function latencyChart(report: BenchReport): string {
  const steps = report.steps.filter((s) => s.terminalLatencyMs.count > 0);
  const rates = steps.map((s) => s.rate);
  const values = steps.flatMap((s) => SERIES.map(({ key }) => s.terminalLatencyMs[key]));
  const [minRate, maxRate] = [Math.min(0, ...rates), Math.max(1, ...rates)];
  const floor = report.limits?.kafka.latency.p50;
  const minMs = Math.max(1, Math.min(...values, floor ?? 10, 10) / 1.5);
  const maxMs = Math.max(100, ...values) * 1.2;
  const x = (rate: number) =>
    PAD.left + ((rate - minRate) / (maxRate - minRate || 1)) * (WIDTH - PAD.left - PAD.right);
  const y = (ms: number) =>
    HEIGHT -
    PAD.bottom -
    (Math.log10(Math.max(ms, minMs) / minMs) / Math.log10(maxMs / minMs)) * (HEIGHT - PAD.top - PAD.bottom);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="11">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(
    `<text x="${PAD.left}" y="18" font-size="13">Click → terminal status latency vs offered rate (${report.commit})</text>`,
  );
  for (const ms of ticks(minMs, maxMs)) {
    parts.push(
      `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(ms)}" y2="${y(ms)}" stroke="#ddd"/>`,
    );
    parts.push(`<text x="${PAD.left - 6}" y="${y(ms) + 4}" text-anchor="end">${ms} ms</text>`);
  }
  for (const rate of rates) {
    parts.push(`<text x="${x(rate)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle">${rate}</text>`);
  }
  parts.push(
    `<text x="${(PAD.left + WIDTH - PAD.right) / 2}" y="${HEIGHT - 8}" text-anchor="middle">orders/s offered (open loop)</text>`,
  );
  parts.push(
    `<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${HEIGHT - PAD.bottom}" stroke="#333"/>`,
  );
  parts.push(
    `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${HEIGHT - PAD.bottom}" y2="${HEIGHT - PAD.bottom}" stroke="#333"/>`,
  );
  SERIES.forEach(({ key, color }, i) => {
    const points = steps.map((s) => `${x(s.rate).toFixed(1)},${y(s.terminalLatencyMs[key]).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`);
    for (const s of steps)
      parts.push(
        `<circle cx="${x(s.rate)}" cy="${y(s.terminalLatencyMs[key])}" r="3" fill="${s.sustainable ? color : 'white'}" stroke="${color}"/>`,
      );
    parts.push(
      `<text x="${WIDTH - PAD.right + 12}" y="${PAD.top + 14 + i * 16}" fill="${color}">${key}</text>`,
    );
  });
  if (floor) {
    parts.push(
      `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(floor)}" y2="${y(floor)}" stroke="#1971c2" stroke-dasharray="4 3"/>`,
    );
    parts.push(
      `<text x="${WIDTH - PAD.right + 12}" y="${y(floor) + 4}" fill="#1971c2">Kafka 5-hop p50</text>`,
    );
  }
  parts.push(
    `<text x="${WIDTH - PAD.right + 12}" y="${PAD.top + 70}" fill="#555">hollow = not sustainable</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function ticks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let decade = 10 ** Math.floor(Math.log10(min)); decade <= max; decade *= 10)
    for (const m of [1, 2, 5]) if (decade * m >= min && decade * m <= max) out.push(decade * m);
  return out;
}
