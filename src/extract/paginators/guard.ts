import { RestlakeError } from '../../core/errors.js';

/**
 * Fails when an API hands out a cursor (or next link) it already gave in this stream: following it would loop
 * forever. The seen set lives in memory only; a resumed stream starts a new one.
 */
export class RepeatGuard {
  readonly #seen = new Set<string>();
  readonly #what: string;

  constructor(what: string, initial?: string | null) {
    this.#what = what;
    if (initial) this.#seen.add(initial);
  }

  check(value: string): void {
    if (this.#seen.has(value)) {
      throw new RestlakeError(
        'PAGINATION',
        `the API returned the ${this.#what} "${value}" a second time; stopping to avoid an endless loop`,
      );
    }
    this.#seen.add(value);
  }
}
