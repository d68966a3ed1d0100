import type { ControlConfig, DestinationConfig } from '../config/schema.js';
import type { ControlDatabase, Destination } from './types.js';

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
    case 'postgres': {
      const { PostgresDestination } = await import('./postgres/index.js');
      return PostgresDestination.open(config);
    }
  }
}

/** Opens the database a pipeline file's `control:` names, for the control plane alone. */
export async function openControlDatabase(config: ControlConfig, baseDir: string): Promise<ControlDatabase> {
  switch (config.type) {
    case 'duckdb': {
      const { openDuckDbControl } = await import('./duckdb/index.js');
      return openDuckDbControl(config.path, baseDir);
    }
    case 'postgres': {
      const { openPostgresControl } = await import('./postgres/index.js');
      return openPostgresControl(config);
    }
  }
}
