import { dirname, resolve } from 'node:path';
import type { LoadedPipeline } from '../config/load.js';
import type { ControlConfig, DestinationConfig } from '../config/schema.js';
import { ControlStore } from '../control/store.js';
import { openControlDatabase, openDestination } from '../destinations/registry.js';
import type { Destination } from '../destinations/types.js';

/** One control plane and the pipelines whose loads it holds. */
export interface ControlGroup {
  control: ControlStore;
  pipelines: Map<string, LoadedPipeline>;
}

/**
 * The destinations and control planes of many pipeline files, each opened once however many files share it
 * (one pool per database per process), for `plan` and `worker`.
 */
export interface Fleet {
  groups: ControlGroup[];
  destinationOf(configId: string): Destination;
  close(): Promise<void>;
}

/** Identity of a database: the same config (with DuckDB paths made absolute) is the same database. */
function keyOf(config: DestinationConfig | ControlConfig, baseDir: string): string {
  const where = config.type === 'duckdb' ? { ...config, path: resolve(baseDir, config.path) } : config;
  return JSON.stringify(Object.entries(where).sort(([a], [b]) => a.localeCompare(b)));
}

export async function openFleet(pipelines: readonly LoadedPipeline[]): Promise<Fleet> {
  const destinations = new Map<string, Destination>();
  const byConfig = new Map<string, Destination>();
  const groups = new Map<string, ControlGroup>();
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closeOne of closers.splice(0).reverse()) await closeOne();
  };
  try {
    for (const pipeline of pipelines) {
      const { config } = pipeline;
      const baseDir = dirname(pipeline.file);
      const destinationKey = keyOf(config.destination, baseDir);
      let destination = destinations.get(destinationKey);
      if (!destination) {
        const opened = await openDestination(config.destination, baseDir);
        closers.push(() => opened.close());
        destinations.set(destinationKey, opened);
        destination = opened;
      }
      byConfig.set(config.id, destination);
      const controlKey = config.control ? keyOf(config.control, baseDir) : `beside ${destinationKey}`;
      let group = groups.get(controlKey);
      if (!group) {
        let sql = destination.sql();
        if (config.control) {
          const database = await openControlDatabase(config.control, baseDir);
          closers.push(() => database.close());
          sql = database.sql;
        }
        const control = new ControlStore(sql);
        await control.migrate();
        group = { control, pipelines: new Map() };
        groups.set(controlKey, group);
      }
      group.pipelines.set(config.id, pipeline);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    groups: [...groups.values()],
    destinationOf: (configId) => byConfig.get(configId)!,
    close,
  };
}
