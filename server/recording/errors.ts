// Errors of the recording feature, in the server's one catalogue shape (code, close code, HTTP status).
import { CloseCode } from '../../shared/protocol';
import { TilecastError } from '../errors';

export class RecordingNotFoundError extends TilecastError {
  constructor(id: string) {
    super('RECORDING_NOT_FOUND', `recording ${JSON.stringify(id)} does not exist`, CloseCode.BadMessage, 404);
  }
}

export class BadRecordingIdError extends TilecastError {
  constructor(id: string) {
    super('BAD_RECORDING_ID', `${JSON.stringify(id.slice(0, 80))} is not a recording id (expected YYYYMMDD-HHMMSS-xxxxxxxx)`, CloseCode.BadMessage, 400);
  }
}

export class CorruptRecordingError extends TilecastError {
  constructor(id: string, why: string) {
    super('RECORDING_CORRUPT', `recording ${id} cannot be read: ${why}`, CloseCode.InternalError, 422);
  }
}

export class BadTimecodeError extends TilecastError {
  constructor(message: string) {
    super('BAD_TIMECODE', message, CloseCode.BadMessage, 400);
  }
}

export class BadRangeError extends TilecastError {
  constructor(message: string) {
    super('BAD_RANGE', message, CloseCode.BadMessage, 400);
  }
}

export class RangeNotSatisfiableError extends TilecastError {
  constructor(
    message: string,
    readonly size: number,
  ) {
    super('RANGE_NOT_SATISFIABLE', message, CloseCode.BadMessage, 416);
  }
}

export class RecordingBusyError extends TilecastError {
  constructor(id: string) {
    super('RECORDING_IN_PROGRESS', `recording ${id} is still being written; end the room first`, CloseCode.NotAllowed, 409);
  }
}
