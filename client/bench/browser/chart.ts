// A small grouped bar chart (SVG, no dependencies): viewer painted fps per class and size, one bar per series.
export interface ChartSeries {
  name: string;
  color: string;
  /** one value per group */
  values: (number | null)[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function barChart(
  title: string,
  groups: string[],
  series: ChartSeries[],
  unit: string,
  targets: (number | null)[] = [],
): string {
  const W = 760;
  const H = 300;
  const left = 48;
  const bottom = 70;
  const top = 36;
  const max = Math.max(1, ...series.flatMap((s) => s.values.map((v) => v ?? 0)), ...targets.map((t) => t ?? 0)) * 1.1;
  const groupW = (W - left - 10) / groups.length;
  const barW = Math.min(26, (groupW - 12) / series.length);
  const y = (v: number) => top + (H - top - bottom) * (1 - v / max);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    out.push(
      `<line x1="${left}" x2="${W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e3e3"/><text x="${left - 4}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`,
    );
  }
  out.push(`<text x="12" y="${top - 8}">${esc(unit)}</text>`);
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + 6;
    series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === null || v === undefined) return;
      out.push(
        `<rect x="${x0 + si * barW}" y="${y(v)}" width="${barW - 2}" height="${y(0) - y(v)}" fill="${s.color}"><title>${esc(`${s.name} ${g}: ${v.toFixed(1)}`)}</title></rect>`,
      );
    });
    const t = targets[gi];
    if (t)
      out.push(
        `<line x1="${x0 - 2}" x2="${x0 + series.length * barW}" y1="${y(t)}" y2="${y(t)}" stroke="#c00" stroke-dasharray="4 2"/>`,
      );
    out.push(
      `<text x="${x0 + (series.length * barW) / 2}" y="${H - bottom + 14}" text-anchor="middle">${esc(g.split(' ')[0])}</text><text x="${x0 + (series.length * barW) / 2}" y="${H - bottom + 27}" text-anchor="middle" fill="#555">${esc(g.split(' ').slice(1).join(' '))}</text>`,
    );
  });
  series.forEach((s, si) =>
    out.push(
      `<rect x="${left + si * 150}" y="${H - 24}" width="10" height="10" fill="${s.color}"/><text x="${left + si * 150 + 14}" y="${H - 15}">${esc(s.name)}</text>`,
    ),
  );
  out.push(
    `<line x1="${left + series.length * 150}" x2="${left + series.length * 150 + 16}" y1="${H - 19}" y2="${H - 19}" stroke="#c00" stroke-dasharray="4 2"/><text x="${left + series.length * 150 + 20}" y="${H - 15}">target</text>`,
  );
  out.push('</svg>');
  return out.join('\n');
}
