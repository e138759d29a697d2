// One typed error for everything the codec rejects: a string code for humans and tests, a close code for the wire.
import { CloseCode } from './close-codes';

export const ProtocolErrorCode = {
  Truncated: 'TRUNCATED',
  WrongVersion: 'WRONG_VERSION',
  UnknownType: 'UNKNOWN_TYPE',
  UnexpectedType: 'UNEXPECTED_TYPE',
  BadCodec: 'BAD_CODEC',
  TileOutsideGeometry: 'TILE_OUTSIDE_GEOMETRY',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  TooManyTiles: 'TOO_MANY_TILES',
  BadGeometry: 'BAD_GEOMETRY',
  TrailingBytes: 'TRAILING_BYTES',
  NoGeometry: 'NO_GEOMETRY',
  ImageSizeMismatch: 'IMAGE_SIZE_MISMATCH',
  BadMotion: 'BAD_MOTION',
} as const;
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

const CLOSE_FOR: Record<ProtocolErrorCode, CloseCode> = {
  TRUNCATED: CloseCode.BadMessage,
  WRONG_VERSION: CloseCode.UnsupportedVersion,
  UNKNOWN_TYPE: CloseCode.BadMessage,
  UNEXPECTED_TYPE: CloseCode.NotAllowed,
  BAD_CODEC: CloseCode.BadMessage,
  TILE_OUTSIDE_GEOMETRY: CloseCode.BadMessage,
  PAYLOAD_TOO_LARGE: CloseCode.BadMessage,
  TOO_MANY_TILES: CloseCode.RoomLimit,
  BAD_GEOMETRY: CloseCode.BadMessage,
  TRAILING_BYTES: CloseCode.BadMessage,
  NO_GEOMETRY: CloseCode.NotAllowed,
  IMAGE_SIZE_MISMATCH: CloseCode.BadMessage,
  BAD_MOTION: CloseCode.BadMessage,
};

export class ProtocolError extends Error {
  readonly closeCode: CloseCode;
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
    this.closeCode = CLOSE_FOR[code];
  }
}
