import type { DestinationConfig } from '../config/schema.js';
import type { Destination } from './types.js';

/**
 * Opens the destination a pipeline file names. Drivers are imported only when used, so `restlake --help`
 * and `validate` start without loading DuckDB or pg.
 */
export async function openDestination(config: DestinationConfig, baseDir: string): Promise<Destination> {
  switch (config.type) {
    case 'duckdb': {
      const { DuckDbDestination } = await import('./duckdb/index.js');
      return DuckDbDestination.open(config, baseDir);
    }
  }
}
