import { describe, expect, test } from 'vitest';
import { fitIdentifier, MAX_IDENTIFIER_BYTES } from './identifiers.js';

describe('fitIdentifier', () => {
  test('a name that fits is kept as it is', () => {
    const name = 'x'.repeat(MAX_IDENTIFIER_BYTES);
    expect(fitIdentifier(name)).toBe(name);
  });

  test('longer names are cut to 63 bytes with a hash of the whole: distinct, and stable', () => {
    const a = `${'a'.repeat(60)}__first`;
    const b = `${'a'.repeat(60)}__second`;
    expect(fitIdentifier(a)).toHaveLength(MAX_IDENTIFIER_BYTES);
    expect(fitIdentifier(a)).not.toBe(fitIdentifier(b));
    expect(fitIdentifier(a)).toBe(fitIdentifier(a));
    expect(fitIdentifier(a)).toMatch(/^a{54}_[0-9a-f]{8}$/);
  });

  test('the limit is in bytes, and a character is never cut in half', () => {
    const fitted = fitIdentifier('é'.repeat(40));
    expect(Buffer.byteLength(fitted)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES);
    expect(fitted).toMatch(/^é{27}_[0-9a-f]{8}$/);
  });
});
