// Wire constants both sides must agree on. Ids are `as const` objects with derived unions.

export const PROTOCOL_VERSION = 1;

export const MessageType = {
  /** presenter -> server: a batch of tile records plus frame seq and capture timestamp */
  Frame: 0x01,
  /** both ways: screen size and tile size; a change resets every grid */
  Geometry: 0x02,
  /** both ways: pointer position, latest wins */
  Cursor: 0x03,
  /** presenter -> server -> viewer: one encoded video chunk of the motion region (see shared/PROTOCOL.md) */
  Motion: 0x04,
  /** server -> viewer: one tile (same layout as a tile record inside a Frame) */
  Tile: 0x10,
  /** server -> viewer: everything sent before it forms one consistent picture */
  Sync: 0x11,
  /** server -> viewer/presenter: presenter state and viewer count */
  Status: 0x12,
  /** server -> any: an error code and a message, usually right before a close */
  Error: 0x13,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Frame flags (byte 2). */
export const FrameFlag = {
  /** server -> viewer: the frame ends with an implicit sync for its seq and captureTs, with skipped = 0 (nothing
   * skipped since the viewer's previous sync: a viewer that is caught up always gets this variant) */
  EndsWithSync: 0x01,
} as const;

/** Motion flags (byte 2). */
export const MotionFlag = {
  /** the chunk is a key frame: a decoder can start here (a viewer that joined or dropped deltas resumes here) */
  Key: 0x01,
  /**
   * a tile mask follows the header: one bit per tile of the region (row by row, bit i in byte i >> 3 at bit i & 7),
   * set for the tiles whose current picture the server does not have as a still; viewers paint the decoded frame
   * there only (see PROTOCOL.md)
   */
  Masked: 0x02,
} as const;
/** Every motion flag bit; any other bit set is a malformed message. */
export const MOTION_FLAGS_KNOWN = 0x03;

/** Video codecs of the motion layer (motion `codec`, byte 3). */
export const MotionCodec = { vp8: 1 } as const;
export type MotionCodecName = keyof typeof MotionCodec;
export const MOTION_CODEC_NAMES: Record<number, MotionCodecName | undefined> = { 1: 'vp8' };
/** The WebCodecs codec string for each motion codec. */
export const MOTION_CODEC_STRING: Record<MotionCodecName, string> = { vp8: 'vp8' };

export const Codec = { webp: 1, jpeg: 2, png: 3 } as const;
export type CodecName = keyof typeof Codec;
export type CodecId = (typeof Codec)[CodecName];
export const CODEC_NAMES: Record<number, CodecName | undefined> = { 1: 'webp', 2: 'jpeg', 3: 'png' };
export const CODEC_MIME: Record<CodecName, string> = {
  webp: 'image/webp',
  jpeg: 'image/jpeg',
  png: 'image/png',
};

export const PresenterState = { waiting: 0, live: 1, reconnecting: 2, ended: 3 } as const;
export type PresenterStateName = keyof typeof PresenterState;
export const PRESENTER_STATE_NAMES: PresenterStateName[] = ['waiting', 'live', 'reconnecting', 'ended'];

/** [version u8][type u8][flags u8][reserved u8][seq u32][captureTs f64][tileCount u16][reserved u16] */
export const FRAME_HEADER_BYTES = 20;
/** [version u8][type u8][codec u8][flags u8][col u16][row u16][seq u32][payloadLength u32] */
export const TILE_HEADER_BYTES = 16;
/**
 * [version u8][type u8][flags u8][codec u8][seq u32][captureTs f64][col u16][row u16][columns u16][rows u16]
 * [payloadLength u32], then the encoded chunk
 */
export const MOTION_HEADER_BYTES = 28;
/** [version u8][type u8][width u16][height u16][tileSize u16] */
export const GEOMETRY_BYTES = 8;
/** [version u8][type u8][visible u8][reserved u8][x u16][y u16] */
export const CURSOR_BYTES = 8;
/** [version u8][type u8][reserved u16][seq u32][captureTs f64][skipped u32]; skipped: tiles since the previous sync */
export const SYNC_BYTES = 20;
/** [version u8][type u8][state u8][reserved u8][viewers u32] */
export const STATUS_BYTES = 8;
/** [version u8][type u8][code u16][utf-8 message...] */
export const ERROR_HEADER_BYTES = 4;

/** Hard protocol bounds; servers may configure tighter ones. */
export const MAX_SCREEN_SIDE = 8192;
export const MIN_TILE_SIZE = 16;
export const MAX_TILE_SIZE = 1024;
export const MAX_TILES_PER_FRAME = 65535;
/** The browser presenter's tile size unless the user picks another (any size in MIN..MAX_TILE_SIZE is valid). */
export const DEFAULT_TILE_SIZE = 64;
