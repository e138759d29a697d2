// One catalogue of server errors: each carries a code, the WebSocket close code and the HTTP status to use.
import { CloseCode } from '../shared/protocol';

export class TilecastError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly closeCode: number,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class RoomLimitError extends TilecastError {
  constructor(message: string) {
    super('ROOM_LIMIT', message, CloseCode.RoomLimit, 413);
  }
}

export class UnauthorizedError extends TilecastError {
  constructor(message: string) {
    super('UNAUTHORIZED', message, CloseCode.Unauthorized, 401);
  }
}

export class RoomNotFoundError extends TilecastError {
  constructor(room: string) {
    super('ROOM_NOT_FOUND', `room ${JSON.stringify(room)} does not exist`, CloseCode.RoomNotFound, 404);
  }
}

export class PresenterConflictError extends TilecastError {
  constructor(room: string) {
    super('PRESENTER_CONFLICT', `room ${room} already has a presenter connected`, CloseCode.PresenterConflict, 409);
  }
}

export class BadRequestError extends TilecastError {
  constructor(message: string) {
    super('BAD_REQUEST', message, CloseCode.BadMessage, 400);
  }
}

export class MessageTooBigError extends TilecastError {
  constructor(size: number, limit: number) {
    super('MESSAGE_TOO_BIG', `message of ${size} bytes is over the ${limit}-byte limit`, CloseCode.MessageTooBig, 413);
  }
}

export class ControlTooBigError extends TilecastError {
  constructor(size: number, limit: number) {
    super('MESSAGE_TOO_BIG', `control message of ${size} bytes is over the ${limit}-byte limit`, CloseCode.MessageTooBig, 413);
  }
}

export class RateLimitedError extends TilecastError {
  constructor(rate: number, burst: number) {
    super('TOO_MANY_MESSAGES', `more than ${rate} control messages a second (burst ${burst})`, CloseCode.RateLimited, 429);
  }
}
