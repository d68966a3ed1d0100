import { describe, expect, test } from 'vitest';
import { mayHoldUnsafeInteger, parseJson, stringifyJson } from './json.js';

describe('parseJson', () => {
  test('JSON Lines come out as the array of their values; text that is neither fails as JSON', () => {
    expect(parseJson('{"id":1}\r\n{"id":12345678901234567890}\n\n{"id":3}\n')).toEqual([
      { id: 1 },
      { id: 12345678901234567890n },
      { id: 3 },
    ]);
    expect(() => parseJson('{\n  "id": 1,\n')).toThrow(SyntaxError);
    expect(() => parseJson('<html>\n<body>502</body>\n</html>')).toThrow(SyntaxError);
  });

  test('integers beyond 2^53 come out exact, as bigint; everything else as JSON.parse gives it', () => {
    const text =
      '{"id":1234567890123456789,"neg":-9007199254740993,"safe":9007199254740991,"float":0.1,"list":[18446744073709551615],"s":"12345678901234567890"}';
    expect(parseJson(text)).toEqual({
      id: 1234567890123456789n,
      neg: -9007199254740993n,
      safe: 9007199254740991,
      float: 0.1,
      list: [18446744073709551615n],
      s: '12345678901234567890',
    });
  });

  test('a text without a long number literal takes JSON.parse', () => {
    expect(mayHoldUnsafeInteger('{"id":123,"at":"2024-01-01T00:00:00Z","n":1234567890.12345678}')).toBe(
      false,
    );
    // Digits in a string, after its opening quote or a letter, are not a number literal.
    expect(mayHoldUnsafeInteger('{"id":"1234567890123456789","x":"a1234567890123456789"}')).toBe(false);
    // A fraction or an exponent makes it a double by nature.
    expect(mayHoldUnsafeInteger('[12345678901234567.5, 12345678901234567e3]')).toBe(false);
  });

  test('a long literal is found wherever it starts: at the text start, after a minus, after whitespace', () => {
    expect(mayHoldUnsafeInteger('1234567890123456789')).toBe(true);
    expect(mayHoldUnsafeInteger('{"a": -1234567890123456789}')).toBe(true);
    expect(mayHoldUnsafeInteger(`{"pad":"${'x'.repeat(7)}","a":\n 12345678901234567}`)).toBe(true);
    for (let pad = 0; pad < 20; pad++)
      expect(mayHoldUnsafeInteger(`[${' '.repeat(pad)}1234567890123456]`), `pad ${pad}`).toBe(true);
  });

  test('invalid JSON still throws', () => {
    expect(() => parseJson('{"id": 1234567890123456789')).toThrow();
    expect(() => parseJson('{"id": 1')).toThrow();
  });
});

describe('stringifyJson', () => {
  test('writes a bigint as the number it is', () => {
    expect(stringifyJson({ id: 1234567890123456789n, tags: ['a', 1] })).toBe(
      '{"id":1234567890123456789,"tags":["a",1]}',
    );
    expect(stringifyJson({ id: 1 })).toBe('{"id":1}');
  });
});
