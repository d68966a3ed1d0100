import type { ResourceConfig } from '../config/schema.js';
import type { Column } from './types.js';

/** A column with the same value on every row of a load (`_restlake_run_id`, ...). */
export interface ConstantColumn extends Column {
  value: string;
}

/**
 * The metadata columns that hold one value per load, named as the resource configures them. The page number
 * and the window vary by page, so the normalizer writes those into each row.
 */
export function constantColumns(
  resource: ResourceConfig,
  values: { runId: string; loadedAt: Date; source: string },
): ConstantColumn[] {
  const names = resource.metadata_columns;
  const columns: ConstantColumn[] = [];
  if (names.run_id) columns.push({ name: names.run_id, type: 'string', metadata: true, value: values.runId });
  if (names.loaded_at)
    columns.push({
      name: names.loaded_at,
      type: 'timestamp',
      metadata: true,
      value: values.loadedAt.toISOString(),
    });
  if (names.source)
    columns.push({ name: names.source, type: 'string', metadata: true, value: values.source });
  return columns;
}
