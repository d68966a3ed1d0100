import { type Ticket, ticket } from './datasets.js';

/**
 * The sample API's one mutable data set: deterministic tickets that a test (or a demo) can update or add to
 * between two loads, to watch an incremental load pick up exactly what changed.
 */
export class TicketStore {
  readonly #size: number;
  readonly #customers: number;
  readonly #changed = new Map<number, Ticket>();
  readonly #added: Ticket[] = [];

  constructor(size: number, customers: number) {
    this.#size = size;
    this.#customers = customers;
  }

  get count(): number {
    return this.#size + this.#added.length;
  }

  get(id: number): Ticket | undefined {
    if (id < 1 || id > this.count) return undefined;
    return this.#changed.get(id) ?? this.#added[id - this.#size - 1] ?? ticket(id - 1, this.#customers);
  }

  /** Updates a ticket at `at`: its `updated_at` becomes `at`. */
  update(
    id: number,
    at: Date,
    changes: Partial<Pick<Ticket, 'status' | 'priority' | 'subject'>> = {},
  ): Ticket {
    const current = this.get(id);
    if (!current) throw new Error(`no ticket ${id}`);
    const next = { ...current, ...changes, updated_at: at.toISOString() };
    this.#changed.set(id, next);
    return next;
  }

  /** Adds a ticket created (and updated) at `at`. */
  add(
    at: Date,
    fields: Partial<Pick<Ticket, 'status' | 'priority' | 'subject' | 'customer_id'>> = {},
  ): Ticket {
    const id = this.count + 1;
    const created: Ticket = {
      ...ticket(id - 1, this.#customers),
      ...fields,
      id,
      created_at: at.toISOString(),
      updated_at: at.toISOString(),
    };
    this.#added.push(created);
    return created;
  }

  /** Tickets with `since <= updated_at < before`, oldest change first (ties by id): a stable order to page through. */
  updatedBetween(since: Date | undefined, before: Date | undefined): Ticket[] {
    const found: Ticket[] = [];
    for (let id = 1; id <= this.count; id++) {
      const t = this.get(id)!;
      const at = Date.parse(t.updated_at);
      if ((since && at < since.getTime()) || (before && at >= before.getTime())) continue;
      found.push(t);
    }
    return found.sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.id - b.id);
  }
}
