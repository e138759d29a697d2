// The hot path under load: one bench run with the server under `node --cpu-prof`, and the functions with the most
// self time from the .cpuprofile it writes at exit (V8's format: a call tree of nodes, samples and time deltas).
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { type LoadArgs, runOne } from '../run-one';
import { SERVERS, type ServerName } from '../servers';

export interface ProfileEntry {
  functionName: string;
  /** file:line, relative to the repo where it is ours */
  location: string;
  selfMs: number;
  selfShare: number;
}

export interface ProfileResult {
  server: ServerName;
  point: string;
  profile: string | null;
  totalMs: number;
  /** the top functions by self time, without (idle) and (program) */
  top: ProfileEntry[];
  /** V8's own share: garbage collection */
  gcShare: number;
  /** start-up left out: loading and compiling modules (tsx, Node's module loader and what they call) */
  loadingMs: number;
  error: string | null;
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber?: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

const NOT_CODE = new Set(['(idle)', '(program)', '(root)']);
const LOADING = (url: string) => url.includes('/tsx/') || url.startsWith('node:internal/modules/');

/** Node ids under a module-loading frame: the server's start-up, not its hot path. */
function loadingNodes(profile: CpuProfile): Set<number> {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const memo = new Map<number, boolean>();
  const isLoading = (id: number): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const url = byNode.get(id)?.callFrame.url ?? '';
    const up = parent.get(id);
    const v = LOADING(url) || (up !== undefined && isLoading(up));
    memo.set(id, v);
    return v;
  };
  return new Set(profile.nodes.filter((n) => isLoading(n.id)).map((n) => n.id));
}

/**
 * Where a frame is in the sources: the servers run as bundles (server/build.ts), so a frame in one is looked up in
 * the bundle's source map (`<bundle>.map`, next to it); anything else, or a frame the map does not cover, stays as
 * it is. Returns a path relative to the repo and a 0-based line, or null for no line.
 */
function sourceOf(
  frame: CallFrame,
  repoRoot: string,
  maps: Map<string, SourceMap | null>,
): { file: string; line: number | null } {
  const { url, lineNumber } = frame;
  if (!url.startsWith('file://')) return { file: url || '(native)', line: lineNumber > 0 ? lineNumber : null };
  const file = new URL(url).pathname;
  let map = maps.get(file);
  if (map === undefined) {
    map = existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : null;
    maps.set(file, map);
  }
  const entry = map?.findEntry(lineNumber, frame.columnNumber ?? 0);
  if (entry && 'originalSource' in entry) {
    const original = path.resolve(path.dirname(file), entry.originalSource.replace(/^file:\/\//, ''));
    return { file: path.relative(repoRoot, original), line: entry.originalLine };
  }
  // tsx's transpiled modules put everything on line 1: a line number there says nothing
  return { file: path.relative(repoRoot, file), line: lineNumber > 0 ? lineNumber : null };
}

export function topSelfTime(
  profile: CpuProfile,
  repoRoot: string,
  count = 5,
): { top: ProfileEntry[]; totalMs: number; gcShare: number; loadingMs: number } {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const loading = loadingNodes(profile);
  let loadingUs = 0;
  const self = new Map<string, { functionName: string; location: string; us: number }>();
  const maps = new Map<string, SourceMap | null>();
  let total = 0;
  let gc = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const node = byNode.get(id);
    if (!node) return;
    const name = node.callFrame.functionName || '(anonymous)';
    if (NOT_CODE.has(name)) return;
    if (loading.has(id)) {
      loadingUs += us;
      return;
    }
    total += us;
    if (name === '(garbage collector)') gc += us;
    const { file, line } = sourceOf(node.callFrame, repoRoot, maps);
    const location = line === null ? file : `${file}:${line + 1}`;
    const key = `${name}@${location}`;
    const entry = self.get(key) ?? { functionName: name, location, us: 0 };
    entry.us += us;
    self.set(key, entry);
  });
  const top = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((e) => ({
      functionName: e.functionName,
      location: e.location,
      selfMs: Math.round(e.us / 1000),
      selfShare: total ? Math.round((1000 * e.us) / total) / 1000 : 0,
    }));
  return {
    top,
    totalMs: Math.round(total / 1000),
    gcShare: total ? Math.round((1000 * gc) / total) / 1000 : 0,
    loadingMs: Math.round(loadingUs / 1000),
  };
}

export async function benchProfile(opts: {
  server: ServerName;
  point: string;
  load: LoadArgs;
  outDir: string;
  repoRoot: string;
  log(line: string): void;
}): Promise<ProfileResult> {
  const dir = path.join(opts.outDir, 'cpuprofile');
  mkdirSync(dir, { recursive: true });
  const result: ProfileResult = {
    server: opts.server,
    point: opts.point,
    profile: null,
    totalMs: 0,
    top: [],
    gcShare: 0,
    loadingMs: 0,
    error: null,
  };
  const out = await runOne(
    SERVERS[opts.server],
    opts.load,
    path.join(opts.outDir, 'runs', `profile-${opts.server}.json`),
    `${opts.server} ${opts.point} (--cpu-prof)`,
    ['--cpu-prof', '--cpu-prof-dir', dir],
  );
  if (out.error) result.error = out.error;
  // one file per thread (tsx's loader hooks run on their own): the server's main thread is the biggest
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(path.join(dir, a)).size - statSync(path.join(dir, b)).size)
    .pop();
  if (!file) {
    result.error ??= 'the server wrote no .cpuprofile (did it exit cleanly on SIGTERM?)';
    return result;
  }
  result.profile = path.relative(opts.outDir, path.join(dir, file));
  const parsed = topSelfTime(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile, opts.repoRoot);
  Object.assign(result, parsed);
  opts.log(
    `profile ${opts.server} ${opts.point}: ${parsed.top.map((t) => `${t.functionName} ${(t.selfShare * 100).toFixed(1)}%`).join(', ')}`,
  );
  return result;
}
