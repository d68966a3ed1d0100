import { sourceSchema } from '../src/config/schema.js';
import { HttpClient } from '../src/http/client.js';
import { peakRssMb } from './peak-rss.mjs';

/**
 * The ceiling the pipeline is measured against: every page fetched with restlake's own HTTP client, as many at
 * once as the pipeline may (`max_concurrency`), and JSON.parse'd — nothing else. Run as a child process by
 * `bench/run.ts`; prints one JSON line with its own timing and peak RSS.
 */
const [url, concurrencyText, pageSizeText] = process.argv.slice(2);
const concurrency = Number(concurrencyText ?? 4);
const pageSize = Number(pageSizeText ?? 1000);
const client = new HttpClient(sourceSchema.parse({ base_url: url, max_concurrency: concurrency }));

let next = 1;
let done = false;
let records = 0;
let bytes = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (!done) {
      const page = next++;
      const response = await client.request({
        method: 'GET',
        path: '/records',
        query: { page: String(page), per_page: String(pageSize) },
      });
      const count = (response.body as { data: unknown[] }).data.length;
      records += count;
      bytes += response.bytes;
      if (count < pageSize) done = true;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
await client.close();
process.stdout.write(`${JSON.stringify({ records, bytes, seconds, peakRssMb: peakRssMb() })}\n`);
