import { isInteger, isSafeNumber, parse, stringify } from 'lossless-json';

/**
 * JSON as APIs send it, without losing digits. `JSON.parse` reads every number as a double, so an integer
 * beyond 2^53 (a Twitter or Discord id, a 64-bit database key) silently becomes a neighbouring one:
 * `1234567890123456789` loads as `1234567890123456800`. Such integers come out of `parseJson` as `bigint`.
 *
 * Only a text holding a number literal of 16 digits or more can hold one (2^53 has 16 digits). Finding none,
 * which a glance at every 16th character decides (about a tenth of `JSON.parse`'s time), the text takes
 * `JSON.parse`; otherwise a lossless parser, about ten times slower, reads it. A body of JSON Lines comes out
 * as the array of its lines' values.
 */
export function parseJson(text: string): unknown {
  // A byte order mark, which some servers (.NET's among them) put before their JSON, is not JSON.
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return parseValue(json);
  } catch (error) {
    const lines = linesOf(json);
    if (!lines) throw error;
    return lines;
  }
}

function parseValue(json: string): unknown {
  return mayHoldUnsafeInteger(json) ? parse(json, null, parseNumber) : JSON.parse(json);
}

/**
 * Newline-delimited JSON (JSON Lines, as export endpoints stream it): one value per line, read as the array of
 * them; undefined when the text is not that either. Only tried once the text failed as one JSON value.
 */
function linesOf(text: string): unknown[] | undefined {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length < 2) return undefined;
  try {
    return lines.map(parseValue);
  } catch {
    return undefined;
  }
}

function parseNumber(literal: string): number | bigint {
  return isInteger(literal) && !isSafeNumber(literal) ? BigInt(literal) : Number(literal);
}

/** `JSON.stringify`, writing a `bigint` as the number it is (JSON.stringify throws on one). */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return stringify(value) as string;
  }
}

const MIN_UNSAFE_DIGITS = 16;

const isDigitCode = (code: number) => code >= 48 && code <= 57;

/**
 * Whether `text` has a run of 16 or more digits that could be a number literal: one not right after a quote
 * or a letter, and not followed by a fraction or an exponent. A run that long always covers a position that
 * is a multiple of 16, so only those positions are looked at; a match inside a string only costs the slower
 * parse, never a wrong value.
 */
export function mayHoldUnsafeInteger(text: string): boolean {
  const n = text.length;
  for (let i = MIN_UNSAFE_DIGITS - 1; i < n; i += MIN_UNSAFE_DIGITS) {
    if (!isDigitCode(text.charCodeAt(i))) continue;
    let start = i;
    let end = i + 1;
    while (start > 0 && isDigitCode(text.charCodeAt(start - 1))) start--;
    while (end < n && isDigitCode(text.charCodeAt(end))) end++;
    if (end - start >= MIN_UNSAFE_DIGITS && startsNumber(text, start) && !continuesNumber(text, end))
      return true;
    i = end - 1;
  }
  return false;
}

/** Whether the digits at `start` begin a JSON number: after `:`, `,`, `[`, whitespace or a leading `-`. */
function startsNumber(text: string, start: number): boolean {
  let before = start - 1;
  if (before >= 0 && text.charCodeAt(before) === 45 /* - */) before--;
  if (before < 0) return true;
  const code = text.charCodeAt(before);
  return code === 58 || code === 44 || code === 91 || code === 32 || code === 9 || code === 10 || code === 13;
}

/** Whether a fraction or an exponent follows: such a number is a double by nature. */
function continuesNumber(text: string, end: number): boolean {
  const code = text.charCodeAt(end);
  return code === 46 /* . */ || code === 101 /* e */ || code === 69 /* E */;
}
