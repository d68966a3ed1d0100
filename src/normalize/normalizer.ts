import type { ColumnConfig, ResourceConfig } from '../config/schema.js';
import { RestlakeError } from '../core/errors.js';
import { toSnakeCase } from '../core/identifiers.js';
import { compileJsonPath, type JsonPath } from '../core/json-path.js';
import { type Caster, CastFailure, casterFor, inferType, widen } from './cast.js';
import type { CellValue, Column, ColumnType, RowSet, TableSchema } from './types.js';

interface ColumnState {
  column: Column;
  cast: Caster;
  declared: boolean;
  /** For declared columns read from a path (`from:`), the compiled path. */
  from?: JsonPath;
}

/**
 * Turns the records of one resource into rows of its silver table: nested objects flattened into
 * `parent__child` columns, arrays kept as JSON, names in snake_case, values cast to the declared type or to
 * the type inferred so far (which widens as pages disagree). One normalizer lives for one load, so the
 * schema it has learned carries from page to page.
 */
export class Normalizer {
  readonly #tableName: string;
  readonly #primaryKey: readonly string[];
  readonly #columns: ColumnState[] = [];
  readonly #byName = new Map<string, number>();
  /** Raw key path (`address\u0000zipCode`) → column index, so names are normalized once per key, not per record. */
  readonly #byPath = new Map<string, number>();
  readonly #fromColumns: number[] = [];
  /** Raw key path → normalized column name, computed once per distinct key. */
  readonly #names = new Map<string, string>();

  constructor(resource: ResourceConfig) {
    this.#tableName = resource.table ?? resource.name;
    this.#primaryKey = resource.primary_key ?? [];
    for (const [name, spec] of Object.entries(resource.schema)) this.#declare(name, spec);
  }

  #declare(name: string, spec: ColumnConfig): void {
    const type = (typeof spec === 'string' ? spec : spec.type) as ColumnType;
    const index = this.#columns.length;
    const state: ColumnState = { column: { name, type }, cast: casterFor(type), declared: true };
    if (typeof spec === 'object' && spec.from) {
      state.from = compileJsonPath(spec.from);
      this.#fromColumns.push(index);
    }
    this.#columns.push(state);
    this.#byName.set(name, index);
  }

  /** The table as known so far (columns that only ever held null are not created yet). */
  schema(): TableSchema {
    return {
      name: this.#tableName,
      columns: this.#columns.map((c) => c.column),
      primaryKey: this.#primaryKey,
    };
  }

  /** Normalizes one page's records into `out` (rows are appended; the schema may grow while doing so). */
  normalize(records: readonly unknown[], out: RowSet['rows'], context: { page: number }): void {
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const row: CellValue[] = [];
      try {
        if (record && typeof record === 'object' && !Array.isArray(record)) {
          this.#walk(record as Record<string, unknown>, '', '', row, out);
          for (const index of this.#fromColumns) {
            const state = this.#columns[index]!;
            const value = state.from!.get(record);
            row[index] = value === undefined || value === null ? null : state.cast(value);
          }
        } else {
          this.#set('value', 'value', record, row, out);
        }
      } catch (error) {
        if (error instanceof CastFailure) {
          throw new RestlakeError(
            'CAST',
            `${this.#tableName}, page ${context.page}, record ${i}: ${error.message}`,
            {
              context: { table: this.#tableName, page: context.page, record: i },
            },
          );
        }
        throw error;
      }
      this.#checkPrimaryKey(row, i, context.page);
      out.push(row);
    }
  }

  #walk(
    object: Record<string, unknown>,
    pathPrefix: string,
    namePrefix: string,
    row: CellValue[],
    rows: RowSet['rows'],
  ): void {
    for (const key in object) {
      const value = object[key];
      const path = pathPrefix === '' ? key : `${pathPrefix}\u0000${key}`;
      let name = this.#names.get(path);
      if (name === undefined) {
        name = `${namePrefix}${toSnakeCase(key)}`;
        this.#names.set(path, name);
      }
      // A nested object is flattened unless a column of its own name was declared (e.g. `address: json`).
      if (value !== null && typeof value === 'object' && !Array.isArray(value) && !this.#isDeclared(name)) {
        this.#walk(value as Record<string, unknown>, path, `${name}__`, row, rows);
      } else {
        this.#set(path, name, value, row, rows);
      }
    }
  }

  #set(path: string, name: string, value: unknown, row: CellValue[], rows: RowSet['rows']): void {
    if (value === undefined || value === null) return;
    let index = this.#byPath.get(path);
    if (index === undefined) {
      if (this.#isDeclared(name)) {
        index = this.#byName.get(name)!;
        this.#byPath.set(path, index);
      } else {
        const type = inferType(value);
        if (type === undefined) return;
        index = this.#addColumn(path, name, type);
      }
    }
    const state = this.#columns[index]!;
    if (state.declared) {
      row[index] = state.cast(value);
      return;
    }
    const seen = inferType(value)!;
    if (seen !== state.column.type) {
      const wider = widen(state.column.type, seen);
      if (wider !== state.column.type) this.#retype(index, wider, rows);
    }
    row[index] = state.cast(value);
  }

  /** A declared column that takes its value from the record key of the same name (not from a `from:` path). */
  #isDeclared(name: string): boolean {
    const index = this.#byName.get(name);
    return index !== undefined && this.#columns[index]!.declared && this.#columns[index]!.from === undefined;
  }

  #addColumn(path: string, name: string, type: ColumnType): number {
    // Two raw keys can normalize to one name (`userId` and `user_id`): the later one gets a suffix.
    let unique = name;
    for (let n = 2; this.#byName.has(unique); n++) unique = `${name}_${n}`;
    const index = this.#columns.length;
    this.#columns.push({ column: { name: unique, type }, cast: casterFor(type), declared: false });
    this.#byName.set(unique, index);
    this.#byPath.set(path, index);
    return index;
  }

  /** Widening an inferred column re-casts the values already buffered, so a batch never mixes types. */
  #retype(index: number, type: ColumnType, rows: RowSet['rows']): void {
    const state = this.#columns[index]!;
    state.column = { ...state.column, type };
    state.cast = casterFor(type);
    for (const row of rows) {
      const value = row[index];
      if (value !== undefined && value !== null) row[index] = state.cast(value);
    }
  }

  #checkPrimaryKey(row: CellValue[], record: number, page: number): void {
    for (const key of this.#primaryKey) {
      const index = this.#byName.get(key);
      const value = index === undefined ? undefined : row[index];
      if (value === undefined || value === null) {
        throw new RestlakeError(
          'CAST',
          `${this.#tableName}, page ${page}, record ${record}: primary key column "${key}" is missing or null`,
          { context: { table: this.#tableName, page, record, column: key } },
        );
      }
    }
  }
}
