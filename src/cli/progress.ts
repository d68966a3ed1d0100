import type { ProgressEvent } from '../pipeline/run-load.js';

/**
 * A live line per running resource on a terminal (`customers  12 pages  11,400 records  8,120 rec/s`),
 * redrawn at most every 100 ms; silent when stderr is not a terminal (logs carry the same facts).
 */
export function terminalProgress(
  stream: NodeJS.WriteStream = process.stderr,
): ((event: ProgressEvent) => void) | undefined {
  if (!stream.isTTY) return undefined;
  const active = new Map<string, ProgressEvent>();
  let drawn = 0;
  let last = 0;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    if (drawn > 0) stream.write(`\x1b[${drawn}A\x1b[0J`);
    const lines = [...active.values()].map((e) => {
      const seconds = Math.max(0.001, (now - e.startedAt) / 1000);
      const rate = Math.round(e.records / seconds).toLocaleString('en-US');
      return `  ${e.configId}.${e.resource}  ${e.pages} pages  ${e.records.toLocaleString('en-US')} records  ${rate} rec/s${e.done ? '  done' : ''}`;
    });
    stream.write(lines.map((l) => `${l}\n`).join(''));
    drawn = lines.length;
  };
  return (event) => {
    active.set(`${event.configId}.${event.resource}`, event);
    draw(event.done);
    if (event.done) {
      active.delete(`${event.configId}.${event.resource}`);
      drawn = Math.max(0, drawn - 1);
    }
  };
}
