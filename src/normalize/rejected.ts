import type { MetadataColumnsConfig } from '../config/normalize.js';
import { RestlakeError } from '../core/errors.js';
import { fitIdentifier } from '../core/identifiers.js';
import { stringifyJson } from '../core/json.js';
import { redact } from '../core/redact.js';
import { MAX_DEPTH, nestedWithin } from './depth.js';
import { type Rejection, TableBuilder, type TableBuilderOptions } from './table-builder.js';
import type { CellValue, RowSet } from './types.js';

/**
 * The `<table>__rejected` rows of `on_cast_error: quarantine`: each rejected record whole, with the table,
 * column and value that failed and why. Appended whatever the load's disposition: it is a log.
 */
export class RejectedRecords {
  readonly #builder: TableBuilder;
  readonly #page: number;
  readonly #table: number;
  readonly #column: number;
  readonly #value: number;
  readonly #reason: number;
  readonly #record: number;

  constructor(
    table: string,
    metadata: MetadataColumnsConfig,
    options: Omit<TableBuilderOptions, 'name' | 'primaryKey'>,
  ) {
    const builder = new TableBuilder({
      ...options,
      name: fitIdentifier(`${table}__rejected`),
      primaryKey: [],
      appendOnly: true,
    });
    this.#builder = builder;
    this.#page = metadata.page ? builder.reserve(metadata.page, 'bigint', { metadata: true }) : -1;
    this.#table = builder.reserve('table_name', 'string');
    this.#column = builder.reserve('column_name', 'string');
    this.#value = builder.reserve('value', 'string');
    this.#reason = builder.reserve('reason', 'string');
    this.#record = builder.reserve('record', 'json');
  }

  get size(): number {
    return this.#builder.rows.length;
  }

  add(rejection: Rejection, record: unknown, page: number): void {
    // The cast failed before the walk reached the deep part; stringifying the record would overflow the stack.
    if (!nestedWithin(record, MAX_DEPTH)) {
      throw new RestlakeError(
        'NESTING_TOO_DEEP',
        `${rejection.table}, page ${page}: a record to quarantine is nested too deeply: more than ${MAX_DEPTH} levels of objects and arrays within one another`,
        { context: { table: rejection.table, page } },
      );
    }
    const row: CellValue[] = [];
    if (this.#page >= 0) row[this.#page] = page;
    row[this.#table] = rejection.table;
    row[this.#column] = rejection.column;
    const { value } = rejection;
    // Kept as the API sent it, like bronze, and masked like bronze: an API may echo a credential in a record.
    row[this.#value] =
      value === null || value === undefined
        ? null
        : redact(typeof value === 'string' ? value : stringifyJson(value));
    row[this.#reason] = redact(rejection.message);
    row[this.#record] = redact(stringifyJson(record ?? null));
    this.#builder.rows.push(row);
  }

  /** The buffered rows, when there are any. */
  take(): RowSet | undefined {
    if (this.#builder.rows.length === 0) return undefined;
    return { table: this.#builder.schema(), ...this.#builder.take(false) };
  }
}
