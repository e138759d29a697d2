// The server's one error catalogue, in the manner of Fastify's createError: each row is a code, the HTTP status
// and WebSocket close code it answers with, and how its message reads. HTTP routes, sockets, imaging and
// recording throw these; the router turns one into {error:{code,message}} with its status, the socket handlers
// into an error message and a close with its close code. The statuses and close codes are public (README,
// shared/PROTOCOL.md, tests): change a row only with those.
import type { ZodError } from 'zod';
import { CloseCode } from '../shared/protocol';

export class TilecastError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly closeCode: number,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = 'TilecastError';
  }
}

/** One row of the catalogue: a TilecastError class whose constructor takes what its message says. */
export function createError<A extends unknown[]>(
  code: string,
  httpStatus: number,
  closeCode: number,
  message: (...args: A) => string,
) {
  return class extends TilecastError {
    static readonly code = code;
    constructor(...args: A) {
      super(code, message(...args), closeCode, httpStatus);
    }
  };
}

const text = (message: string) => message;
const q = JSON.stringify;

// Requests and messages
export const BadRequestError = createError('BAD_REQUEST', 400, CloseCode.BadMessage, text);
/** a text frame that is not JSON or not a valid control message */
export const BadControlError = createError(
  'BAD_CONTROL',
  400,
  CloseCode.UnsupportedData,
  (why: string) => `bad control message: ${why}`,
);
export const BadPathError = createError(
  'BAD_PATH',
  400,
  CloseCode.BadMessage,
  () => 'malformed percent-encoding in the path',
);
export const NotFoundError = createError('NOT_FOUND', 404, CloseCode.BadMessage, text);
export const MethodNotAllowedError = createError(
  'METHOD_NOT_ALLOWED',
  405,
  CloseCode.NotAllowed,
  (method: string, path: string) => `${method} is not allowed on ${path}`,
);
export const MessageTooBigError = createError(
  'MESSAGE_TOO_BIG',
  413,
  CloseCode.MessageTooBig,
  (size: number, limit: number) => `message of ${size} bytes is over the ${limit}-byte limit`,
);
export const ControlTooBigError = createError(
  'MESSAGE_TOO_BIG',
  413,
  CloseCode.MessageTooBig,
  (size: number, limit: number) => `control message of ${size} bytes is over the ${limit}-byte limit`,
);
export const BodyTooLargeError = createError(
  'BODY_TOO_LARGE',
  413,
  CloseCode.MessageTooBig,
  (limit: number) => `request body over ${limit} bytes`,
);
export const InternalError = createError('INTERNAL', 500, CloseCode.InternalError, () => 'internal error');

// Who may do what
export const UnauthorizedError = createError('UNAUTHORIZED', 401, CloseCode.Unauthorized, text);
export const NotAllowedError = createError('NOT_ALLOWED', 403, CloseCode.NotAllowed, text);
export const OriginNotAllowedError = createError(
  'ORIGIN_NOT_ALLOWED',
  403,
  CloseCode.NotAllowed,
  (origin: string | undefined) => `origin ${origin} is not allowed`,
);
export const MisdirectedError = createError(
  'MISDIRECTED',
  421,
  CloseCode.NotAllowed,
  (host: string | undefined) => `this server does not answer to host ${q(host ?? '')} (see --public-hosts)`,
);
export const RateLimitedError = createError(
  'RATE_LIMITED',
  429,
  CloseCode.RateLimited,
  (retryAfterSeconds: number) => `too many rooms created from this address; try again in ${retryAfterSeconds} s`,
);
export const TooManyMessagesError = createError(
  'TOO_MANY_MESSAGES',
  429,
  CloseCode.RateLimited,
  (rate: number, burst: number) => `more than ${rate} control messages a second (burst ${burst})`,
);

// Rooms
export const NoSocketEndpointError = createError(
  'NO_ENDPOINT',
  404,
  CloseCode.BadMessage,
  () => 'no such WebSocket endpoint (use /ws/present/:room or /ws/view/:room)',
);
export const RoomNotFoundError = createError(
  'ROOM_NOT_FOUND',
  404,
  CloseCode.RoomNotFound,
  (room: string) => `room ${q(room)} does not exist`,
);
export const RoomEndedError = createError(
  'ROOM_ENDED',
  410,
  CloseCode.RoomNotFound,
  (room: string) => `room ${room} has ended`,
);
export const PresenterConflictError = createError(
  'PRESENTER_CONFLICT',
  409,
  CloseCode.PresenterConflict,
  (room: string) => `room ${room} already has a presenter connected`,
);
export const NotPrivateError = createError(
  'NOT_PRIVATE',
  409,
  CloseCode.NotAllowed,
  (room: string) => `room ${room} is public: it has no viewer token to rotate`,
);
export const RoomLimitError = createError('ROOM_LIMIT', 413, CloseCode.RoomLimit, text);
export const GeometryRateError = createError(
  'GEOMETRY_RATE',
  429,
  CloseCode.RateLimited,
  (limit: number) => `geometry changed more than ${limit} times in one second (--max-geometry-changes-per-second)`,
);
export const RoomFullError = createError(
  'ROOM_FULL',
  503,
  CloseCode.Overloaded,
  (room: string, maxViewers: number) => `room ${room} is full (${maxViewers} viewers)`,
);
export const TooManyRoomsError = createError(
  'TOO_MANY_ROOMS',
  503,
  CloseCode.Overloaded,
  (maxRooms: number) => `server is at its limit of ${maxRooms} rooms`,
);

// Pictures (room snapshots, recording frames); these answer HTTP requests only
export const NoPictureError = createError('NO_PICTURE', 404, CloseCode.NotAllowed, text);
export const TileTooLargeError = createError(
  'TILE_TOO_LARGE',
  422,
  CloseCode.RoomLimit,
  (col: number, row: number, what: string, rect: { width: number; height: number }) =>
    `tile (${col},${row}) ${what}, its rectangle is ${rect.width}x${rect.height}: not decoded`,
);
/** the client went away: nobody reads the answer, so the work stops */
export const ClientGoneError = createError(
  'CLIENT_GONE',
  499,
  CloseCode.GoingAway,
  () => 'the client closed the request',
);
export const ImageBusyError = createError(
  'IMAGE_BUSY',
  503,
  CloseCode.Overloaded,
  (active: number, queued: number) =>
    `the server is already rendering ${active} images with ${queued} waiting; try again shortly`,
);

// Recordings
export const BadRecordingIdError = createError(
  'BAD_RECORDING_ID',
  400,
  CloseCode.BadMessage,
  (id: string) => `${q(id.slice(0, 80))} is not a recording id (expected YYYYMMDD-HHMMSS-xxxxxxxx)`,
);
export const BadTimecodeError = createError('BAD_TIMECODE', 400, CloseCode.BadMessage, text);
export const BadRangeError = createError('BAD_RANGE', 400, CloseCode.BadMessage, text);
export const RecordingNotFoundError = createError(
  'RECORDING_NOT_FOUND',
  404,
  CloseCode.BadMessage,
  (id: string) => `recording ${q(id)} does not exist`,
);
export const NoKeyframeError = createError(
  'NO_KEYFRAME',
  404,
  CloseCode.BadMessage,
  (id: string) => `recording ${id} has no keyframe yet`,
);
export const RecordingBusyError = createError(
  'RECORDING_IN_PROGRESS',
  409,
  CloseCode.NotAllowed,
  (id: string) => `recording ${id} is still being written; end the room first`,
);
export const RangeNotSatisfiableError = createError('RANGE_NOT_SATISFIABLE', 416, CloseCode.BadMessage, text);
export const CorruptRecordingError = createError(
  'RECORDING_CORRUPT',
  422,
  CloseCode.InternalError,
  (id: string, why: string) => `recording ${id} cannot be read: ${why}`,
);
export const RecordingFailedError = createError(
  'RECORDING_FAILED',
  503,
  CloseCode.InternalError,
  (dir: string, why: string) => `recording could not start in ${dir}: ${why}`,
);

/** What a zod schema rejected, one clause per issue; `root` names the whole value (`input`, `message`). */
export function describeIssues(err: ZodError, root: string): string {
  return err.issues.map((i) => `${i.path.join('.') || root}: ${i.message}`).join('; ');
}
