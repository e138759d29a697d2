// A finished recording of a given size made of incompressible tiles, written by the real recorder into a folder.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { RecordingStore } from '../../server/recording';
import { ScreenShot } from '../../server/room/screenshot';

export async function bigRecording(dir: string, megabytes: number): Promise<{ id: string; bytes: Buffer }> {
  const store = new RecordingStore(dir, pino({ level: 'silent' }));
  const recorder = store.record('big-room', { keyframeIntervalSeconds: 3600, flushMs: 20, sync: false });
  const geometry = { width: 64, height: 64, tileSize: 64 };
  const screenshot = new ScreenShot(64 * 1024 * 1024);
  screenshot.reset(geometry);
  recorder.geometry?.(geometry, recorder.startedAt);
  for (let seq = 1; seq <= megabytes * 4; seq++) {
    const tiles = [{ index: 0, col: 0, row: 0, message: randomBytes(256 * 1024), seq }];
    const frame = { seq, captureTs: 0, receivedAt: recorder.startedAt + seq * 10, tiles, ingestNo: seq };
    recorder.frame?.(frame, screenshot.apply(frame));
  }
  recorder.ended?.('done');
  await recorder.finished;
  return { id: recorder.id, bytes: await readFile(recorder.path) };
}
