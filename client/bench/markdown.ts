// Renders bench results as the Markdown tables of the README's Performance section, with a verdict per target.
import type { LoadTestReport } from '../loadtest/report';
import type { BenchResults, BenchRow } from './results';
import { ALL_SERVER_NAMES, CPU_PER_GB_LIMITS, FLOOR, type ServerName, SERVERS, TILE_FLOOR } from './servers';
import { type Spread, formatSpread, spread } from './stats';

const med = (xs: (number | null | undefined)[]) => spread(xs.filter((x): x is number => typeof x === 'number'));
const f = (s: Spread | null, d = 1) => (s ? s.median.toFixed(d) : '-');

function rowsOf(r: BenchResults, point: string, server: ServerName): LoadTestReport[] {
  return r.rows.filter((x) => x.point === point && x.server === server && x.report).map((x) => x.report!);
}

/** A run whose load generator was the limit: shown, but kept out of every ratio a target is judged on. */
const limited = (x: LoadTestReport) => x.generator.saturated;
/** A run whose generator event loop ran late: its latencies carry that delay, so latency targets leave it out. */
const delayed = (x: LoadTestReport) => x.generator.saturated || !!x.generator.loopDelayed;

/** Per repetition: value(server) / value(reference server), at the same point; generator-limited runs left out. */
export function pairedRatio(
  r: BenchResults,
  point: string,
  server: ServerName,
  reference: ServerName,
  pick: (x: LoadTestReport) => number | null | undefined,
  referencePoint = point,
  exclude: (x: LoadTestReport) => boolean = limited,
): Spread | null {
  const ratios: number[] = [];
  const reps = new Set(r.rows.map((x) => x.rep));
  for (const rep of reps) {
    const a = r.rows.find((x) => x.point === point && x.server === server && x.rep === rep)?.report;
    const b = r.rows.find((x) => x.point === referencePoint && x.server === reference && x.rep === rep)?.report;
    const va = a ? pick(a) : null;
    const vb = b ? pick(b) : null;
    if (!a || !b || exclude(a) || exclude(b)) continue;
    if (typeof va === 'number' && typeof vb === 'number' && vb > 0) ratios.push(va / vb);
  }
  return spread(ratios);
}

export const cpuPerGB = (x: LoadTestReport) => x.server?.cpuSecondsPerGB;

/** The points the CPU target is judged at: no stalled viewers, not the memory stress. */
export const cleanPoints = (r: BenchResults) => r.points.filter((p) => p.stalled === 0 && !p.memory);

/** All viewers' delivery ratio, and for stalled viewers the share coalesced (reported) vs lost (silently dropped). */
function delivery(reps: LoadTestReport[]): string {
  const all = med(reps.map((x) => (x.totals.deliveryRatio ?? 0) * 100));
  const slow = reps.map((x) => x.classes.slow).filter((c) => c.offeredTiles > 0);
  if (!slow.length) return `${f(all, 1)}%`;
  const coalesced = med(slow.map((c) => (100 * c.skippedTiles) / c.offeredTiles));
  const lost = med(slow.map((c) => (100 * c.lostTiles) / c.offeredTiles));
  return `${f(all, 1)}% (stalled: ${f(coalesced, 0)}% coalesced, ${f(lost, 0)}% lost)`;
}

function pointTable(r: BenchResults, point: string): string {
  const lines = [
    '| server | CPU-s/GB | vs frame publish | vs tile publish | msg/s | MB/s | fast p50 / p99 ms | slow p50 / p99 ms | delivery | RSS peak / after drain MB (growth in the window, from the idle server; kernel TCP peak) | late full picture p50 / p99 ms | stalled converged | generator: cores, busiest thread, loop late p99; machine busy |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of ALL_SERVER_NAMES) {
    const reps = rowsOf(r, point, s);
    const failed = r.rows.filter((x) => x.point === point && x.server === s && !x.report);
    if (!reps.length) {
      if (failed.length) lines.push(`| ${s} | failed: ${failed[0].error?.slice(0, 80) ?? '?'} ||||||||||||`);
      continue;
    }
    const m = (pick: (x: LoadTestReport) => number | null | undefined) => med(reps.map(pick));
    const slowCount = reps[0].classes.slow.viewers;
    const conv = reps.map((x) => `${x.convergence.converged}/${x.convergence.checked}`).join(', ');
    const late = m((x) => x.lateJoin.p50Ms);
    const missingLate = reps.some((x) => x.lateJoin.count > x.lateJoin.withFullPicture);
    lines.push(
      [
        `| ${s}`,
        f(m(cpuPerGB), 2),
        s === FLOOR ? '1' : formatSpread(pairedRatio(r, point, s, FLOOR, cpuPerGB)),
        s === TILE_FLOOR ? '1' : formatSpread(pairedRatio(r, point, s, TILE_FLOOR, cpuPerGB)),
        f(
          m((x) => x.totals.messagesPerSecond),
          0,
        ),
        f(
          m((x) => x.totals.mbPerSecond),
          1,
        ),
        `${f(m((x) => x.classes.fast.latencyMs.p50))} / ${f(m((x) => x.classes.fast.latencyMs.p99))}`,
        slowCount && reps.some((x) => x.classes.slow.latencyMs.count)
          ? `${f(m((x) => x.classes.slow.latencyMs.p50))} / ${f(m((x) => x.classes.slow.latencyMs.p99))}`
          : '-',
        delivery(reps),
        `${f(
          m((x) => x.server?.rssPeakMB),
          0,
        )} / ${f(
          m((x) => x.server?.rssAfterDrainMB),
          0,
        )} (+${f(
          m((x) => x.server?.rssGrowthMB),
          0,
        )}, ` +
          `+${f(
            m((x) => x.server?.rssGrowthFromIdleMB),
            0,
          )} from idle; ` +
          `kernel TCP ${f(
            m((x) => x.kernelTcpMemMB?.peak),
            0,
          )})`,
        late
          ? `${f(late, 0)} / ${f(
              m((x) => x.lateJoin.p99Ms),
              0,
            )}${missingLate ? ' (some never)' : ''}`
          : 'never',
        slowCount ? conv : '-',
        `${f(
          m((x) => x.generator.cores),
          2,
        )} on ${reps[0].generator.workers ?? 1}+1 threads, ${f(
          m((x) => (x.generator.maxThreadUtilization ?? 0) * 100),
          0,
        )}%, ` +
          `${f(
            m((x) => x.generator.eventLoopLateMs?.p99),
            0,
          )} ms; ${f(
            m((x) => x.generator.machineBusyCores),
            1,
          )}/${reps[0].generator.machineCores ?? '?'}` +
          `${reps.some(limited) ? ` ⚠ generator-limited in ${reps.filter(limited).length}/${reps.length} (excluded from targets)` : ''}` +
          `${reps.some((x) => !limited(x) && delayed(x)) ? ` ≈ loop late in ${reps.filter((x) => !limited(x) && delayed(x)).length}/${reps.length} (excluded from latency targets)` : ''}`,
      ].join(' | ') + ' |',
    );
  }
  return lines.join('\n');
}

function verdicts(r: BenchResults): string[] {
  const out: string[] = [];
  const ok = (pass: boolean | null) => (pass === null ? 'not measured' : pass ? '**met**' : '**not met**');
  // 1. CPU per delivered GB vs raw publish of whole frames, no stalled viewers
  const clean = cleanPoints(r);
  for (const [server, limit] of CPU_PER_GB_LIMITS) {
    const cpu = clean.map((p) => ({ p: p.name, s: pairedRatio(r, p.name, server, FLOOR, cpuPerGB) }));
    const pass = cpu.length && cpu.every((c) => c.s) ? cpu.every((c) => c.s!.median <= limit) : null;
    out.push(
      `- CPU per delivered GB, ${server} ≤ ${limit}x raw uWS publish of whole frames at every point without stalled viewers: ${ok(pass)} — ` +
        cpu.map((c) => `${c.p}: ${formatSpread(c.s)}`).join('; '),
    );
  }
  // 2. fast p99 under 20% stalled at ~80% of the ceiling: vs the run without, and vs frame publish in the same run
  const pairs = r.points
    .filter((p) => typeof p.deliveries === 'object' && p.stalled === 0.2 && !p.memory)
    // deliveries compared by value: results.json round-trips them as separate objects
    .map((p) => ({
      p,
      base: r.points.find(
        (q) =>
          q.viewersPerRoom === p.viewersPerRoom &&
          q.rooms === p.rooms &&
          JSON.stringify(q.deliveries) === JSON.stringify(p.deliveries) &&
          q.stalled === 0,
      ),
    }))
    .filter((x) => x.base);
  const tail = (x: LoadTestReport) => x.classes.fast.latencyMs.p99;
  const self = pairs.map(({ p, base }) => ({
    p: p.name,
    s: pairedRatio(r, p.name, 'tilecast-uws', 'tilecast-uws', tail, base!.name, delayed),
  }));
  const selfPass = self.length && self.every((c) => c.s) ? self.every((c) => c.s!.median <= 1.5) : null;
  out.push(
    `- At ~80% of the ceiling, fast viewers' p99 with 20% stalled ≤ 1.5x the run with none (tilecast-uws): ${ok(selfPass)} — ` +
      self.map((c) => `${c.p}: ${c.s ? `${formatSpread(c.s)}x` : 'every run excluded'}`).join('; '),
  );
  const floor = pairs.map(({ p }) => ({
    p: p.name,
    s: pairedRatio(r, p.name, 'tilecast-uws', FLOOR, tail, p.name, delayed),
  }));
  const floorPass = floor.length && floor.every((c) => c.s) ? floor.every((c) => c.s!.median <= 2) : null;
  out.push(
    `- Same point: fast viewers' p99 ≤ 2x raw frame publish's p99 in the same run (tilecast-uws): ${ok(floorPass)} — ` +
      floor.map((c) => `${c.p}: ${c.s ? `${formatSpread(c.s)}x` : 'every run excluded'}`).join('; '),
  );
  // 3. memory stress
  const mem = r.points.find((p) => p.memory);
  if (mem) {
    // from the idle server: the joiners' first pictures are part of what 300 viewers cost
    const growth = (s: ServerName) =>
      med(rowsOf(r, mem.name, s).map((x) => x.server?.rssGrowthFromIdleMB ?? x.server?.rssGrowthMB));
    const conv = rowsOf(r, mem.name, 'tilecast-uws');
    const converged = conv.length
      ? conv.every((x) => x.convergence.converged === x.convergence.checked && x.convergence.checked > 0)
      : null;
    const g = growth('tilecast-uws');
    out.push(
      `- Memory stress: tilecast-uws RSS growth from the idle server ${f(g)} MB (< 50 MB: ${ok(g ? g.median < 50 : null)}), every stalled viewer converged: ${ok(converged)}; ` +
        `tilecast-ws ${f(growth('tilecast-ws'))} MB; queue-everything baselines grew ws-broadcast ${f(growth('ws-broadcast'))} MB, Socket.IO ${f(growth('socketio'))} MB.`,
    );
  }
  // 4. late joiners at 1000 viewers
  const big = r.points.filter((p) => p.viewersPerRoom >= 1000);
  const late = big.map((p) => ({
    p: p.name,
    s: med(
      rowsOf(r, p.name, 'tilecast-uws')
        .filter((x) => !delayed(x))
        .map((x) => x.lateJoin.p99Ms),
    ),
  }));
  const latePass = late.length && late.every((c) => c.s) ? late.every((c) => c.s!.max < 200) : null;
  out.push(
    `- Late joiners see a full picture in < 200 ms at 1000 viewers (tilecast-uws, p99; loop-late runs left out): ${ok(latePass)} — ` +
      late.map((c) => `${c.p}: ${f(c.s, 0)} ms`).join('; '),
  );
  // 5. idle density and churn
  const density = r.sections.density;
  if (density) {
    const kb = (s: ServerName) => density.find((d) => d.server === s && !d.error)?.rssPerViewerKB ?? null;
    const uws = kb('tilecast-uws');
    const ws = kb('tilecast-ws');
    out.push(
      `- Idle density (${density[0]?.viewers ?? '?'} idle viewers): tilecast-uws ${uws ?? '-'} KB RSS each (< 10 KB: ${ok(uws === null ? null : uws < 10)}), ` +
        `tilecast-ws ${ws ?? '-'} KB (< 20 KB: ${ok(ws === null ? null : ws < 20)}); raw uWS ${kb('uws-publish') ?? '-'} KB, raw ws ${kb('ws-broadcast') ?? '-'} KB with the same sockets.`,
    );
  }
  const churn = r.sections.churn;
  if (churn)
    out.push(
      `- Churn (500 connects+disconnects/s): viewer count, open fds and heap back at baseline: ` +
        churn.map((c) => `${c.server} ${ok(c.error ? null : c.backAtBaseline)}`).join(', '),
    );
  // 6. what the large-send workaround costs (only when tilecast-uws-direct ran)
  const direct = r.points
    .map((p) => ({ p: p.name, s: pairedRatio(r, p.name, 'tilecast-uws', 'tilecast-uws-direct', cpuPerGB) }))
    .filter((c) => c.s);
  if (direct.length)
    out.push(
      `- The uWS large-send workaround ('settled', the default) against the engine's unsafe direct sends, CPU per GB ` +
        `(tilecast-uws / tilecast-uws-direct; above 1 = what the workaround costs): ${direct.map((c) => `${c.p}: ${formatSpread(c.s)}`).join('; ')}`,
    );
  // 7. the same CPU ratio with viewers that never ack (only when both no-ack servers ran)
  const noAcks = cleanPoints(r)
    .map((p) => ({
      p: p.name,
      s: pairedRatio(r, p.name, 'tilecast-uws-noacks', 'uws-publish-frames-noacks', cpuPerGB),
    }))
    .filter((c) => c.s);
  if (noAcks.length)
    out.push(
      `- With viewers that never ack (tilecast-uws-noacks / uws-publish-frames-noacks, CPU per GB; no settled sends, ` +
        `no acks to read): ${noAcks.map((c) => `${c.p}: ${formatSpread(c.s)}`).join('; ')}`,
    );
  return out;
}

function sectionTables(r: BenchResults): string[] {
  const out: string[] = [];
  const { density, churn, profile } = r.sections;
  if (density) {
    out.push(
      '### Idle density',
      '',
      `${density[0]?.viewers ?? '?'} idle viewers (${density[0]?.rooms ?? '?'} rooms, each with a presenter that sent one full picture and then nothing), connected by a separate process; RSS per viewer is the server's RSS growth over the connected count once the server is idle (every first picture delivered). ` +
        `The raw servers have no picture to give a joiner (its geometry only): they show the engines' cost per socket.`,
      '',
    );
    out.push('| server | connected | RSS before / after MB | RSS per viewer KB | open fds |', '|---|---|---|---|---|');
    for (const d of density)
      out.push(
        d.error && !d.connected
          ? `| ${d.server} | failed: ${d.error.slice(0, 100)} ||||`
          : `| ${d.server} | ${d.connected}/${d.viewers} | ${d.rssBeforeMB} / ${d.rssAfterMB} | ${d.rssPerViewerKB ?? '-'} | ${d.openFds ?? '-'} |`,
      );
    out.push('');
  }
  if (churn) {
    out.push(
      '### Churn',
      '',
      `Viewers connect at 500/s into a live room (10 fps) and leave after 0.2-0.8 s (one in five drops TCP without a close frame). ` +
        `Heap is read after a forced full GC (DevTools protocol, the server runs with --inspect=127.0.0.1:0), back when within max(2 MB, 10%) of the baseline; fds from /proc/<pid>/fd, viewers from /metrics.`,
      '',
    );
    out.push(
      '| server | seconds | connects (per s; failed) | viewers before / after | fds before / after | heap used MB before / after | RSS MB before / after | back at baseline |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const c of churn)
      out.push(
        `| ${c.server} | ${c.seconds} | ${c.connected} (${c.achievedPerSecond}/s; ${c.failed}) | ${c.before.viewers ?? '-'} / ${c.after.viewers ?? '-'} | ${c.before.fds ?? '-'} / ${c.after.fds ?? '-'} | ` +
          `${c.before.heapUsedMB ?? '-'} / ${c.after.heapUsedMB ?? '-'} | ${c.before.rssMB ?? '-'} / ${c.after.rssMB ?? '-'} | ${c.error ? `error: ${c.error.slice(0, 80)}` : c.backAtBaseline ? 'yes' : '**no**'} |`,
      );
    out.push('');
  }
  if (profile) {
    out.push(
      '### Server CPU profile',
      '',
      `${profile.server} at ${profile.point} under \`node --cpu-prof\` (${profile.profile ?? 'no profile'}): ` +
        `${profile.totalMs} ms of samples in JavaScript and native code (start-up module loading, ${profile.loadingMs ?? 0} ms, left out), ` +
        `${(profile.gcShare * 100).toFixed(1)}% of it garbage collection. Native calls from JavaScript (the engine's send) count as their caller's self time.${profile.error ? ` Error: ${profile.error}` : ''}`,
      '',
    );
    out.push('| function | where | self ms | share |', '|---|---|---|---|');
    for (const t of profile.top)
      out.push(`| \`${t.functionName}\` | ${t.location} | ${t.selfMs} | ${(t.selfShare * 100).toFixed(1)}% |`);
    out.push('');
  }
  return out;
}

export function benchMarkdown(r: BenchResults): string {
  const m = r.machine;
  const reps = new Set(r.rows.map((x) => x.rep)).size;
  const out: string[] = [
    `Measured ${r.finishedAt.slice(0, 16).replace('T', ' ')} UTC, profile \`${r.profile}\`, ${reps} repetition(s): ${m.cpus} x ${m.cpuModel}, ` +
      `${m.memoryGB} GB RAM, ${m.kernel}, Node ${m.node}. Server and load generator share the machine (loopback).`,
    '',
    'Ceiling (tile deliveries/s sustained by raw uWS publish of whole frames; ⚠ = the load generator was the limit): ' +
      Object.entries(r.ceilings)
        .map(
          ([v, c]) =>
            `${v} viewers: ${Math.round(c.tilesPerSecond)}/s (generator ${c.generatorCores.toFixed(2)} cores${c.generatorSaturated ? ' ⚠' : ''})`,
        )
        .join('; '),
    '',
    '### Targets',
    '',
    ...verdicts(r),
    '',
  ];
  for (const p of r.points) {
    out.push(`### ${p.name}`, '');
    out.push(
      `${p.rooms} room(s) x ${p.viewersPerRoom} viewers, ${Math.round(p.deliveriesPerSecond)} tile deliveries/s offered ` +
        `(${p.ratePerRoom.toFixed(0)} tiles/s per presenter at ${p.fps.toFixed(0)} fps), ${Math.round(p.stalled * 100)}% ` +
        `${p.slowMode === 'hold' ? 'stalled for the whole window' : `stalled viewers (${p.stallMs / 1000} s without reading, ${p.readMs / 1000} s reading)`}, ${p.duration} s window` +
        `${p.warmup === undefined ? '' : ` after ${p.warmup} s of the same load`}.`,
      '',
    );
    out.push(pointTable(r, p.name), '');
  }
  out.push(...sectionTables(r));
  const notes = Object.values(SERVERS)
    .filter((s) => !s.tile)
    .map((s) => s.name);
  out.push(
    `Baselines without a ScreenShot (${notes.join(', ')}) cannot give a late joiner or a stalled viewer the whole picture: tiles that did not change since are never resent.`,
  );
  return out.join('\n');
}

export type { BenchRow };
