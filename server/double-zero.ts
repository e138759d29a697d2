/**
 * Zero for a field that will hold doubles (byte counts, epoch and monotonic times). V8 stores a field that starts at
 * 0 as a small integer; the first double stored in it (a capture time; a byte count passing 2^31, a room's bytes out
 * ~6 s into a run at 350 MB/s) changes the field's representation, which throws away every optimized function that
 * relied on it, here the whole send path (sendFrame, sendParts, drain, ...), and leaves the old object layout to die
 * later, when V8 throws the code that still checks for it away again. -0 is a heap number, so such a field is a
 * double from the start.
 */
export const DOUBLE_ZERO = -0;
