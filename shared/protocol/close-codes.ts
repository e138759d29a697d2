// Every close code the server uses, with the reason a client may show. Documented in shared/PROTOCOL.md.

export const CloseCode = {
  /** room ended (presenter left on purpose or grace expired) */
  Normal: 1000,
  /** server shutting down */
  GoingAway: 1001,
  /** a text frame that is not a valid control message, or a binary one where only text is allowed */
  UnsupportedData: 1003,
  /** a message over the server's size limit */
  MessageTooBig: 1009,
  /** a bug on the server side; only the offending connection is closed */
  InternalError: 1011,
  /** malformed binary message: truncated, unknown type, tile outside the geometry, payload too big... */
  BadMessage: 4000,
  /** protocol version byte the server does not speak */
  UnsupportedVersion: 4001,
  /** message not allowed for this role (e.g. a viewer sending tiles, a frame before geometry) */
  NotAllowed: 4003,
  /** missing or wrong token */
  Unauthorized: 4401,
  /** no such room */
  RoomNotFound: 4404,
  /** another presenter is already connected to this room */
  PresenterConflict: 4409,
  /** the room went over a per-room limit (ScreenShot bytes, tiles per frame, tiles per room) */
  RoomLimit: 4413,
  /** too many of something per second: geometry changes (presenter), control messages (any connection) */
  RateLimited: 4429,
  /** the viewer could not be kept (server over its viewer limit) */
  Overloaded: 4503,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Codes a client can see that the app never sends itself: the engines (or the TCP connection ending) produce
 * them. Listed so clients and PROTOCOL.md know them; see its close-code table for when each happens.
 */
export const EngineCloseCode = {
  /** ws engine: a frame that breaks RFC 6455 */
  ProtocolError: 1002,
  /** uWS: its reply to a close frame carrying an invalid code */
  NoStatus: 1005,
  /** never on the wire: the TCP connection ended without a close frame */
  Abnormal: 1006,
  /** ws engine: a text message that is not valid UTF-8 */
  InvalidPayload: 1007,
  /** ws engine: a message in too many fragments */
  PolicyViolation: 1008,
} as const;
