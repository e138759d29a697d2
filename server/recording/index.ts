// Recording and playback: a room observer that writes the stream to a file, and a store that lists, opens,
// seeks and deletes recordings. See shared/RECORDING.md for the file format.
export { createRecorder, type Recorder, type RecorderOptions } from './recorder';
export type { RecorderStats } from './active';
export {
  RecordingStore,
  seekKeyframe,
  recordingInfo,
  type RecordingHandle,
  type RecordingInfo,
  type Seek,
} from './store';
export { pictureAt } from './picture-at';
export { parseRange, type ByteRange } from './byte-range';
export { isRecordingId } from './recording-id';
export { recordRoom, recordWhenPresented, type RecordableRoom } from './record-room';
