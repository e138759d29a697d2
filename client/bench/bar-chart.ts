// A small grouped bar chart (SVG, no dependencies) for the benches: one group per point or class, one bar per
// series, and dashed target lines (per group across every bar, or per series over its own bar).
export interface ChartSeries {
  name: string;
  color: string;
  /** one value per group */
  values: (number | null)[];
  /** a limit this series is held to in every group, drawn over its own bars */
  target?: number;
}

export interface BarChartOptions {
  /** one limit per group, drawn across all of the group's bars */
  targets?: (number | null)[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** The smallest of 1, 2, 5 times a power of ten that is at least `raw`: axis steps people read at a glance. */
function niceStep(raw: number): { step: number; decimals: number } {
  if (!(raw > 0)) return { step: 1, decimals: 0 };
  let exponent = Math.floor(Math.log10(raw));
  let m = [1, 2, 5, 10].find((x) => x * 10 ** exponent >= raw * (1 - 1e-9))!;
  if (m === 10) [m, exponent] = [1, exponent + 1];
  return { step: m * 10 ** exponent, decimals: Math.max(0, -exponent) };
}

export function barChart(
  title: string,
  groups: string[],
  series: ChartSeries[],
  unit: string,
  { targets = [] }: BarChartOptions = {},
): string {
  const W = 760;
  const H = 300;
  const left = 48;
  const bottom = 70;
  const top = 36;
  const limits = [...targets, ...series.map((s) => s.target)].map((t) => t ?? 0);
  const peak = Math.max(...series.flatMap((s) => s.values.map((v) => v ?? 0)), ...limits) * 1.05;
  const { step, decimals } = niceStep(peak / 4);
  const ticks = Math.max(1, Math.ceil(peak / step));
  const max = ticks * step;
  const groupW = (W - left - 10) / groups.length;
  const barW = Math.min(26, (groupW - 12) / series.length);
  const legendW = Math.min(200, (W - left - 90) / series.length);
  const y = (v: number) => top + (H - top - bottom) * (1 - v / max);
  const dashed = (x1: number, x2: number, v: number, color: string) =>
    `<line x1="${x1}" x2="${x2}" y1="${y(v)}" y2="${y(v)}" stroke="${color}" stroke-width="1.5" stroke-dasharray="4 2"/>`;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let i = 0; i <= ticks; i++) {
    const v = step * i;
    out.push(
      `<line x1="${left}" x2="${W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e3e3"/><text x="${left - 4}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(decimals)}</text>`,
    );
  }
  out.push(`<text x="12" y="${top - 8}">${esc(unit)}</text>`);
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + 6;
    series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === null || v === undefined) return;
      const x = x0 + si * barW;
      out.push(
        `<rect x="${x}" y="${y(v)}" width="${barW - 2}" height="${y(0) - y(v)}" fill="${s.color}"><title>${esc(`${s.name} ${g}: ${v.toFixed(1)}`)}</title></rect>`,
      );
      if (s.target) out.push(dashed(x - 1, x + barW - 1, s.target, '#222'));
    });
    const t = targets[gi];
    if (t) out.push(dashed(x0 - 2, x0 + series.length * barW, t, '#c00'));
    out.push(
      `<text x="${x0 + (series.length * barW) / 2}" y="${H - bottom + 14}" text-anchor="middle">${esc(g.split(' ')[0])}</text><text x="${x0 + (series.length * barW) / 2}" y="${H - bottom + 27}" text-anchor="middle" fill="#555">${esc(g.split(' ').slice(1).join(' '))}</text>`,
    );
  });
  series.forEach((s, si) => {
    const label = s.target ? `${s.name} ≤ ${s.target}` : s.name;
    out.push(
      `<rect x="${left + si * legendW}" y="${H - 24}" width="10" height="10" fill="${s.color}"/><text x="${left + si * legendW + 14}" y="${H - 15}">${esc(label)}</text>`,
    );
  });
  const hasTargets = targets.some(Boolean) || series.some((s) => s.target);
  if (hasTargets) {
    const x = left + series.length * legendW;
    const color = targets.some(Boolean) ? '#c00' : '#222';
    out.push(
      `<line x1="${x}" x2="${x + 16}" y1="${H - 19}" y2="${H - 19}" stroke="${color}" stroke-dasharray="4 2"/><text x="${x + 20}" y="${H - 15}">target</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
