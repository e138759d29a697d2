// The recording header, validated with zod when a file is opened.
import { z } from 'zod';
import { RECORDING_FORMAT, type RecordingHeader } from '../../shared/recording/format';

export const RecordingHeaderSchema = z.object({
  format: z.literal(RECORDING_FORMAT),
  id: z.string().min(1).max(64),
  room: z.string().min(1).max(128),
  startedAt: z.number().finite().nonnegative(),
  frameRate: z.number().positive().max(1000),
  keyframeIntervalMs: z.number().positive(),
  private: z.boolean().default(false),
  geometry: z.object({ width: z.number().int(), height: z.number().int(), tileSize: z.number().int() }).nullable(),
}) satisfies z.ZodType<RecordingHeader, z.ZodTypeDef, unknown>;
