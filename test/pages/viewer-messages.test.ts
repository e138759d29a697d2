// What the viewer page says when the picture stops: each cause gets its own text (issue 12, items 1 and 2).
import { describe, expect, it } from 'vitest';
import { END_TEXT, FINAL_CLOSE_CODES, endKind, finalCloseText, retryText } from '../../client/lib/viewer-messages';
import { CloseCode } from '../../shared/protocol/close-codes';

describe('viewer messages', () => {
  it('a wrong token and a missing token are told apart', () => {
    const wrong = finalCloseText(CloseCode.Unauthorized, 'wrong viewer token', true);
    const missing = finalCloseText(
      CloseCode.Unauthorized,
      'this room is private: viewer token missing (?token=...)',
      false,
    );
    expect(wrong).toMatch(/invalid.*revoked.*expired/);
    expect(wrong).not.toMatch(/missing/);
    expect(missing).toMatch(/missing its access token/);
  });

  it('each way a room ends has its own text, chosen by the state the viewer was in', () => {
    expect(endKind('live')).toBe('presenter-ended');
    expect(endKind('loading')).toBe('presenter-ended');
    expect(endKind('reconnecting')).toBe('presenter-gone');
    expect(endKind('offline')).toBe('ended-while-away');
    expect(endKind('connecting')).toBe('already-ended');
    expect(endKind('waiting')).toBe('closed');
    expect(END_TEXT['presenter-gone']).toMatch(/did not come back/);
    expect(new Set(Object.values(END_TEXT)).size).toBe(Object.keys(END_TEXT).length);
  });

  it('a server going away (1001) is retried with its own text; overload too; a room end is final', () => {
    expect(FINAL_CLOSE_CODES).not.toContain(CloseCode.GoingAway);
    expect(FINAL_CLOSE_CODES).not.toContain(CloseCode.Overloaded);
    expect(FINAL_CLOSE_CODES).toContain(CloseCode.Normal);
    expect(FINAL_CLOSE_CODES).toContain(CloseCode.Unauthorized);
    expect(retryText(CloseCode.GoingAway, 1200)).toBe('The server is restarting. Reconnecting in 2 s…');
    expect(retryText(CloseCode.Overloaded, 400)).toMatch(/full.*1 s/);
    expect(retryText(1006, 3000)).toBe('Connection lost. Reconnecting in 3 s…');
  });
});
