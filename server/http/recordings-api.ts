// /api/recordings: list, inspect, delete, seek (timecode -> keyframe offset), byte ranges streamed from the file,
// and pictures at a time (seek-bar thumbnails).
import { z } from 'zod';
import { parseTimecode } from '../../shared/timecode';
import {
  BadTimecodeError,
  NoKeyframeError,
  NoPictureError,
  RangeNotSatisfiableError,
  UnauthorizedError,
} from '../errors';
import type { ImageJobs } from '../imaging/image-jobs';
import { IMAGE_FORMATS, imageMime, renderTiles, tileImages } from '../imaging/render-tiles';
import {
  type RecordingHandle,
  type RecordingStore,
  parseRange,
  pictureAt,
  recordingInfo,
  seekKeyframe,
} from '../recording';
import { etagOf, ifRangeHolds, lastModifiedOf } from '../recording/validators';
import type { TokenSigner } from '../room/tokens';
import type { HttpRequest, HttpResponse } from '../transport/types';
import { bearer, mayManage, mayWatch } from './access';
import { errorResponse } from '../transport/http-status';
import { type Route, json } from './router';

export interface RecordingRoutesDeps {
  store: RecordingStore;
  tokens: TokenSigner;
  adminToken?: string;
  /** largest byte range served in one response; longer requests get this much (Content-Range says so) */
  maxChunkBytes?: number;
  /** the image queue shared with room snapshots */
  images: ImageJobs;
}

const FrameQuery = z.object({
  t: z.string().max(32).optional(),
  width: z.coerce.number().int().min(16).max(8192).optional(),
  token: z.string().max(200).optional(),
});

/** The time a request asks for, checked against what is (durably) recorded. */
function requestedTime(req: HttpRequest, h: RecordingHandle): number {
  const t = req.query.get('t');
  if (t === null) throw new BadTimecodeError('missing ?t= (HH:MM:SS:FF, HH:MM:SS.mmm or seconds)');
  const parsed = parseTimecode(t, h.header.frameRate, h.durationMs);
  if (!parsed.ok) throw new BadTimecodeError(parsed.message);
  return parsed.ms;
}

function dataResponse(req: HttpRequest, h: RecordingHandle, maxChunk: number): HttpResponse {
  const size = h.size;
  const etag = etagOf(h);
  const lastModified = lastModifiedOf(h);
  const common: Record<string, string> = {
    'accept-ranges': 'bytes',
    // A finished recording never changes (ids are never reused); one in progress grows.
    'cache-control': h.inProgress ? 'no-store' : 'private, max-age=86400, immutable',
    'x-recording-in-progress': String(h.inProgress),
    etag,
    'last-modified': lastModified,
  };
  // If-Range with a stale validator: the Range is ignored and the current bytes are sent whole (RFC 9110 §13.1.5).
  const rangeHeader = ifRangeHolds(req.headers['if-range'], etag, lastModified) ? req.headers.range : undefined;
  let range: ReturnType<typeof parseRange>;
  try {
    range = parseRange(rangeHeader, size, maxChunk);
  } catch (err) {
    if (err instanceof RangeNotSatisfiableError)
      return errorResponse(err, { ...common, 'content-range': `bytes */${size}` });
    throw err;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  const length = Math.max(0, end - start + 1);
  const headers: Record<string, string> = { ...common, 'content-type': 'application/octet-stream' };
  if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  return {
    status: range ? 206 : 200,
    headers,
    // Streamed by the engine from the file with backpressure through one reused buffer; never through a link.
    body: { length, file: { path: h.path, start, noFollow: true } },
  };
}

export function recordingRoutes({
  store,
  tokens,
  adminToken,
  images,
  maxChunkBytes = 16 * 1024 * 1024,
}: RecordingRoutesDeps): Route[] {
  /** A private room's recording (its entry and its media) needs the room's viewer or presenter token, or the admin's. */
  const openMedia = async (req: HttpRequest, id: string): Promise<RecordingHandle> => {
    const h = await store.open(id);
    if (!h.header.private || mayWatch(req, h.header.room, tokens, adminToken)) return h;
    throw new UnauthorizedError(
      `recording ${id} is of a private room: it needs ?token=VIEWER_TOKEN (or Authorization: Bearer ...)`,
    );
  };

  const frameRoutes: Route[] = IMAGE_FORMATS.map((format) => ({
    method: 'GET',
    pattern: `/api/recordings/:id/frame.${format}`,
    handler: async (req, { id }) => {
      const h = await openMedia(req, id);
      const query = FrameQuery.parse(Object.fromEntries(req.query));
      const ms = requestedTime(req, h);
      const picture = await pictureAt(h, ms);
      if (!picture?.geometry)
        throw new NoPictureError(`recording ${id} has no picture at ${query.t} (the presenter had not started yet)`);
      const { geometry } = picture;
      const tiles = tileImages(picture.tiles);
      const image = await images.run(() => renderTiles(geometry, tiles, format, query.width, req.signal), req.signal);
      return {
        status: 200,
        headers: {
          'content-type': imageMime(format),
          'cache-control': h.inProgress ? 'no-store' : 'private, max-age=86400',
        },
        body: image,
      };
    },
  }));

  return [
    {
      method: 'GET',
      pattern: '/api/recordings',
      // Private rooms' recordings are listed only to the admin, or to a holder of that room's token.
      handler: async (req) =>
        json(200, {
          recordings: (await store.list()).filter((r) => !r.private || mayWatch(req, r.room, tokens, adminToken)),
        }),
    },
    {
      method: 'GET',
      pattern: '/api/recordings/:id',
      handler: async (req, { id }) => json(200, recordingInfo(await openMedia(req, id))),
    },
    {
      method: 'DELETE',
      pattern: '/api/recordings/:id',
      handler: async (req, { id }) => {
        const h = await store.open(id);
        // Authorization header only: the token of a destructive request does not ride in a URL (logs, history).
        if (!mayManage(bearer(req), h.header.room, tokens, adminToken))
          throw new UnauthorizedError(
            `deleting recording ${id} needs the presenter token of room ${h.header.room} or the admin token (Authorization: Bearer ...)`,
          );
        await store.delete(id);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      pattern: '/api/recordings/:id/keyframes',
      handler: async (req, { id }) => {
        const h = await openMedia(req, id);
        const times: number[] = [];
        const offsets: number[] = [];
        for (let i = 0; i < h.keyframes; i++) {
          times.push(h.index.timeAt(i));
          offsets.push(h.index.offsetAt(i));
        }
        return json(200, { times, offsets, dataStart: h.dataStart, dataEnd: h.dataEnd, size: h.size });
      },
    },
    {
      method: 'GET',
      pattern: '/api/recordings/:id/data',
      handler: async (req, { id }) => {
        const h = await openMedia(req, id);
        if (!req.query.has('t')) return dataResponse(req, h, maxChunkBytes);
        // ?t=: where to start reading for that time (the player fetches from `offset` with a Range request).
        const ms = requestedTime(req, h);
        const seek = seekKeyframe(h, ms);
        if (!seek) throw new NoKeyframeError(id);
        return json(
          200,
          {
            timeMs: ms,
            offset: seek.offset,
            keyframe: seek.keyframe,
            keyframeTimeMs: seek.keyframeTimeMs,
            dataEnd: h.dataEnd,
            size: h.size,
          },
          { 'x-keyframe-offset': String(seek.offset) },
        );
      },
    },
    ...frameRoutes,
  ];
}
