// An SVG chart of latency percentiles per viewer class (log scale), from one or more runs.
export interface ChartSeries {
  name: string;
  /** percentile -> ms */
  points: { percentile: number; ms: number }[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf', '#e377c2'];
const PERCENTILES = [50, 90, 99, 99.9, 100];
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function latencyChart(title: string, series: ChartSeries[]): string {
  const W = 720;
  const H = 420;
  const L = 70;
  const R = 170;
  const T = 40;
  const B = 50;
  const all = series.flatMap((s) => s.points.map((p) => p.ms)).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, 10)));
  const x = (i: number) => L + (i / (PERCENTILES.length - 1)) * (W - L - R);
  const y = (ms: number) =>
    T + (1 - (Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (H - T - B);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let d = lo; d <= hi; d *= 10) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(d)}" y2="${y(d)}" stroke="#ddd"/>`);
    parts.push(`<text x="${L - 6}" y="${y(d) + 4}" text-anchor="end">${d >= 1 ? d : d.toFixed(3)} ms</text>`);
  }
  PERCENTILES.forEach((p, i) => {
    parts.push(`<line x1="${x(i)}" x2="${x(i)}" y1="${T}" y2="${H - B}" stroke="#eee"/>`);
    parts.push(`<text x="${x(i)}" y="${H - B + 18}" text-anchor="middle">${p === 100 ? 'max' : `p${p}`}</text>`);
  });
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">percentile</text>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const pts = s.points
      .map((p) => ({ i: PERCENTILES.indexOf(p.percentile), ms: p.ms }))
      .filter((p) => p.i >= 0 && p.ms > 0);
    if (!pts.length) return;
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${x(p.i)},${y(p.ms)}`).join(' ')}"/>`,
    );
    for (const p of pts) parts.push(`<circle cx="${x(p.i)}" cy="${y(p.ms)}" r="3" fill="${color}"/>`);
    parts.push(`<rect x="${W - R + 15}" y="${T + k * 20}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${W - R + 32}" y="${T + k * 20 + 10}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function classSeries(
  name: string,
  l: { p50: number; p90: number; p99: number; p999: number; max: number; count: number },
): ChartSeries {
  return {
    name,
    points: l.count
      ? [
          { percentile: 50, ms: l.p50 },
          { percentile: 90, ms: l.p90 },
          { percentile: 99, ms: l.p99 },
          { percentile: 99.9, ms: l.p999 },
          { percentile: 100, ms: l.max },
        ]
      : [],
  };
}
