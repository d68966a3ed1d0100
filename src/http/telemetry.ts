/** One attempt of one request, as `metadata.api_request_log` stores it. */
export interface RequestRecord {
  /** When the attempt was sent. */
  at: Date;
  method: string;
  /** Path and query, credentials masked. */
  path: string;
  /** undefined when no response arrived (timeout, lost connection). */
  status: number | undefined;
  /** The error code of a failed attempt (HTTP_TIMEOUT, HTTP_STATUS...). */
  error: string | undefined;
  latencyMs: number;
  bytes: number;
  /** 1 for the first attempt of the request. */
  attempt: number;
  /** Waited for the rate limit (the configured one and the server's own signals) before this attempt. */
  waitMs: number;
  /** Waited for a retry's backoff before this attempt. */
  backoffMs: number;
  /** A token or login request rather than a data request. */
  auth: boolean;
}

/** A kept record and how many requests it stands for (1 unless the log overflowed). */
export interface WeightedRecord extends RequestRecord {
  weight: number;
}

/** Records kept per outcome (succeeded / failed) of one load attempt before sampling starts. */
export const DEFAULT_LOG_CAPACITY = 10_000;

/**
 * Uniform sample of a stream of unknown length in fixed memory (Vitter's algorithm R): once full, the n-th
 * record replaces a random kept one with probability capacity/n, so every record is equally likely to stay.
 */
class Reservoir {
  /** Each kept record with its position in the whole stream, which orders records sent in the same ms. */
  readonly items: Array<{ record: RequestRecord; seq: number }> = [];
  seen = 0;

  constructor(
    private readonly capacity: number,
    private readonly random: () => number,
  ) {}

  add(record: RequestRecord, seq: number): void {
    this.seen++;
    if (this.items.length < this.capacity) this.items.push({ record, seq });
    else {
      const slot = Math.floor(this.random() * this.seen);
      if (slot < this.capacity) this.items[slot] = { record, seq };
    }
  }
}

/**
 * The requests of one load attempt, in bounded memory: every record is kept up to `capacity` per outcome,
 * beyond that a uniform sample whose rows carry a weight, so sums of weights stay exact (requests, failures)
 * and percentiles stay unbiased however long the run. Failures are sampled apart from successes so that a
 * handful of errors is never drowned by a million good requests.
 */
export class RequestLog {
  readonly #succeeded: Reservoir;
  readonly #failed: Reservoir;

  constructor(capacity = DEFAULT_LOG_CAPACITY, random: () => number = Math.random) {
    this.#succeeded = new Reservoir(capacity, random);
    this.#failed = new Reservoir(capacity, random);
  }

  record(record: RequestRecord): void {
    const ok = record.status !== undefined && record.status >= 200 && record.status < 300;
    (ok ? this.#succeeded : this.#failed).add(record, this.size);
  }

  get size(): number {
    return this.#succeeded.seen + this.#failed.seen;
  }

  /** The kept records, oldest first, with their weights. */
  records(): WeightedRecord[] {
    const weighted = (r: Reservoir) =>
      r.items.map(({ record, seq }) => ({ record: { ...record, weight: r.seen / r.items.length }, seq }));
    return [...weighted(this.#succeeded), ...weighted(this.#failed)]
      .sort((a, b) => a.record.at.getTime() - b.record.at.getTime() || a.seq - b.seq)
      .map(({ record }) => record);
  }
}
