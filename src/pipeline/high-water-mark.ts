import { RestlakeError } from '../core/errors.js';
import { stringifyJson } from '../core/json.js';
import { compileJsonPath, type JsonPath } from '../core/json-path.js';

/**
 * The largest value of an incremental resource's `cursor_field` among the records loaded: the next
 * incremental load starts there (minus the lag). Timestamps as ISO strings or epoch seconds/milliseconds.
 */
export class HighWaterMark {
  readonly #path: JsonPath;
  #max: number;

  constructor(cursorField: string, initial: Date | null) {
    this.#path = compileJsonPath(cursorField);
    this.#max = initial ? initial.getTime() : Number.NEGATIVE_INFINITY;
  }

  observe(records: readonly unknown[]): void {
    for (const record of records) {
      const value = this.#path.get(record);
      if (value === undefined || value === null) continue;
      const time =
        typeof value === 'number'
          ? Math.abs(value) >= 1e11
            ? value
            : value * 1000
          : Date.parse(String(value));
      if (Number.isNaN(time)) {
        throw new RestlakeError(
          'CAST',
          `incremental cursor_field "${this.#path.text}" holds ${stringifyJson(value)}, which is not a timestamp`,
        );
      }
      if (time > this.#max) this.#max = time;
    }
  }

  value(): Date | null {
    return Number.isFinite(this.#max) ? new Date(this.#max) : null;
  }
}
