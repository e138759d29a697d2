// The human-readable summary printed at the end of a run.
import type { LoadTestReport } from './report';
import { VIEWER_CLASSES } from './viewer-stats';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))
    .join('\n');
}

const f = (n: number | null | undefined, digits = 1) => (n === null || n === undefined ? '-' : n.toFixed(digits));

export function formatReport(r: LoadTestReport): string {
  const out: string[] = [];
  out.push(
    `${r.label}: ${r.target.url} (${r.target.protocol}${r.target.engine ? `, ${r.target.engine}` : ''}), ` +
      `${r.presenter.rooms} room(s) x ${r.options.viewers} viewers, ${r.windowSeconds}s window, ` +
      `${r.content.tileSize}px ${r.content.codec} tiles of ${r.content.meanTileBytes} B mean`,
  );
  out.push(
    `presenter: ${f(r.presenter.tilesPerSecond)} tiles/s (${f(r.presenter.mbPerSecond, 2)} MB/s), ${r.presenter.frames} frames, ` +
      `${r.presenter.skippedFrames} skipped, ${r.presenter.drops} drop(s) / ${r.presenter.resumes} resume(s)`,
  );
  out.push('');
  const rows = [
    [
      'class',
      'viewers',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'frames/s',
      'msg/s',
      'MB/s',
      'delivery',
      'coalesced/viewer',
      'converged',
    ],
  ];
  for (const c of VIEWER_CLASSES) {
    const s = r.classes[c];
    if (!s.viewers) continue;
    const l = s.latencyMs.count ? s.latencyMs : null;
    rows.push([
      c,
      `${s.connected}/${s.viewers}`,
      f(l?.p50),
      f(l?.p90),
      f(l?.p99),
      f(l?.max),
      f(s.framesPerSecondPerViewer),
      String(s.messagesPerSecond),
      f(s.mbPerSecond, 2),
      s.deliveryRatio === null ? '-' : `${(s.deliveryRatio * 100).toFixed(1)}%`,
      f(s.skippedPerViewer.mean, 0),
      `${s.converged}/${s.connected}`,
    ]);
  }
  out.push(table(rows));
  out.push('');
  out.push(
    `delivered: ${r.totals.messagesPerSecond} msg/s, ${f(r.totals.mbPerSecond, 2)} MB/s ` +
      `(offered ${r.totals.offeredTilesPerSecond} tiles/s, delivery ${r.totals.deliveryRatio === null ? '-' : (r.totals.deliveryRatio * 100).toFixed(1) + '%'})`,
  );
  if (r.lateJoin.count)
    out.push(
      `late joiners: ${r.lateJoin.withFullPicture}/${r.lateJoin.count} saw a full picture, p50 ${f(r.lateJoin.p50Ms, 0)} ms, p99 ${f(r.lateJoin.p99Ms, 0)} ms`,
    );
  if (r.convergence.checked)
    out.push(
      `slow viewers converged to the presenter's picture: ${r.convergence.converged}/${r.convergence.checked} (drain ${r.convergence.drainSeconds}s)`,
    );
  if (r.server)
    out.push(
      `server: ${f(r.server.cpuSeconds, 2)} CPU-s (${f(r.server.cores, 2)} cores), ${f(r.server.cpuSecondsPerGB, 2)} CPU-s/GB, ` +
        `RSS ${f(r.server.rssStartMB)} -> peak ${f(r.server.rssPeakMB)} MB (+${f(r.server.rssGrowthMB)}; ` +
        `+${r.server.rssGrowthFromIdleMB === null ? '-' : f(r.server.rssGrowthFromIdleMB)} from the idle server), after drain ${f(r.server.rssAfterDrainMB)} MB`,
    );
  else out.push('server: no CPU/RSS figures (pass --server-pid with --url)');
  if (r.kernelTcpMemMB)
    out.push(`kernel TCP memory: ${r.kernelTcpMemMB.start} -> peak ${r.kernelTcpMemMB.peak} MB (machine-wide)`);
  out.push(
    `generator: ${f(r.generator.cores, 2)} cores on ${r.generator.workers} viewer worker(s), busiest thread ${f(r.generator.maxThreadUtilization * 100, 0)}%, ` +
      `event loop late p99 ${f(r.generator.eventLoopLateMs.p99)} ms / max ${f(r.generator.eventLoopLateMs.max)} ms, ` +
      `machine ${r.generator.machineBusyCores === null ? '-' : f(r.generator.machineBusyCores, 2)} of ${r.generator.machineCores} cores busy` +
      `${r.generator.saturated ? ` — SATURATED (${r.generator.limits.join('; ')}): figures may be limited by the load generator` : ''}` +
      `${r.generator.loopDelayed ? " — event loop late: latency figures include the generator's own delay" : ''}`,
  );
  out.push(`errors: ${r.errors.total}${r.errors.total ? ` ${JSON.stringify(r.errors.byKind)}` : ''}`);
  for (const s of r.errors.samples.slice(0, 5)) out.push(`  ${s}`);
  return out.join('\n');
}
