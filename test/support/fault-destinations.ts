import { join } from 'node:path';
import { tempDir } from './workspace.js';

/**
 * The destinations the fault suite runs against, each with what differs: how a fresh target is made and how
 * a silver table is read back in a comparable form.
 */
export interface FaultDestination {
  name: string;
  /** Why this destination is skipped here, if it is. */
  skip: string | false;
  /** A destination config for a fresh target of pipeline `id`. */
  prepare(id: string): Promise<Record<string, unknown>>;
  /** Reads `main.items` (or the target's schema) with timestamps as ISO text. */
  selectItems(target: Record<string, unknown>): string;
}

const tmp = tempDir('restlake-faults-');

const duckdb: FaultDestination = {
  name: 'duckdb',
  skip: false,
  prepare: async (id) => ({ type: 'duckdb', path: join(tmp.dir, `${id}.duckdb`) }),
  selectItems: () =>
    `SELECT id, name, amount, version, strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS updated_at, tags,
       profile__tier, profile__score FROM main.items`,
};

export function faultDestinations(): FaultDestination[] {
  return [duckdb];
}
