/**
 * Deterministic data for the sample API: record i of a data set is the same on every machine and every
 * run, so tests can compute the exact rows a load must produce.
 */

/**
 * mulberry32: a tiny, fast PRNG. Seeded per record here, so that any record can be generated on its own (the
 * test tooling's fault API seeds it per run).
 */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Dennis'];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Hamilton',
  'Ritchie',
];
const CITIES = ['Lisbon', 'Oslo', 'Austin', 'Kyoto', 'Nairobi', 'Lima', 'Perth', 'Zürich'];
const TAGS = ['vip', 'beta', 'churn-risk', 'newsletter', 'enterprise', 'trial'];
const EVENT_TYPES = ['login', 'purchase', 'refund', 'page_view', 'logout'];
const PRODUCTS = ['widget', 'gadget', 'gizmo', 'doohickey', 'sprocket'];

const EPOCH = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

const pick = <T>(items: readonly T[], r: () => number): T => items[Math.floor(r() * items.length)]!;
const money = (r: () => number, max: number) => (Math.floor(r() * max * 100) / 100).toFixed(2);

export interface Customer {
  id: number;
  name: string;
  email: string;
  created_at: string;
  updated_at: string;
  balance: string;
  active: boolean;
  score: number;
  address: { street: string; city: string; zip: string; geo: { lat: number; lng: number } };
  tags: string[];
}

export function customer(i: number): Customer {
  const r = seeded(i * 7919 + 1);
  const first = pick(FIRST, r);
  const last = pick(LAST, r);
  const created = EPOCH + i * 6 * HOUR;
  return {
    id: i + 1,
    name: `${first} ${last}`,
    email: `${first}.${last}.${i + 1}@example.com`.toLowerCase(),
    created_at: new Date(created).toISOString(),
    updated_at: new Date(created + Math.floor(r() * 90) * 24 * HOUR).toISOString(),
    balance: money(r, 10_000),
    active: r() > 0.2,
    score: Math.round(r() * 10_000) / 100,
    address: {
      street: `${Math.floor(r() * 999) + 1} Main St`,
      city: pick(CITIES, r),
      zip: String(10_000 + Math.floor(r() * 89_999)),
      geo: { lat: Math.round((r() * 180 - 90) * 1e4) / 1e4, lng: Math.round((r() * 360 - 180) * 1e4) / 1e4 },
    },
    tags: TAGS.filter(() => r() > 0.7),
  };
}

export interface Order {
  order_id: string;
  customer: { id: number; email: string };
  ordered_at: string;
  status: string;
  total: string;
  currency: string;
  lines: Array<{ sku: string; quantity: number; unit_price: string }>;
}

export function order(i: number, customers: number): Order {
  const r = seeded(i * 104_729 + 7);
  const c = customer(Math.floor(r() * customers));
  const lines = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
    sku: `${pick(PRODUCTS, r)}-${Math.floor(r() * 100)}`,
    quantity: 1 + Math.floor(r() * 5),
    unit_price: money(r, 200),
  }));
  const total = lines.reduce(
    (sum, line) => sum + line.quantity * Math.round(Number(line.unit_price) * 100),
    0,
  );
  return {
    order_id: `ORD-${String(i + 1).padStart(6, '0')}`,
    customer: { id: c.id, email: c.email },
    ordered_at: new Date(EPOCH + i * 2 * HOUR + Math.floor(r() * HOUR)).toISOString(),
    status: pick(['placed', 'shipped', 'delivered', 'cancelled'], r),
    total: (total / 100).toFixed(2),
    currency: 'EUR',
    lines,
  };
}

export interface Event {
  event_id: number;
  type: string;
  /** Epoch milliseconds, as many event APIs send them. */
  ts: number;
  user: { id: number; plan: string | null };
  properties: { path: string; duration_ms: number | null };
}

export function event(i: number, customers: number): Event {
  const r = seeded(i * 15_485_863 + 3);
  return {
    event_id: 100_000 + i,
    type: pick(EVENT_TYPES, r),
    ts: EPOCH + i * 60_000,
    user: { id: 1 + Math.floor(r() * customers), plan: r() > 0.3 ? pick(['free', 'pro', 'team'], r) : null },
    properties: {
      path: `/${pick(PRODUCTS, r)}s/${Math.floor(r() * 50)}`,
      duration_ms: r() > 0.1 ? Math.floor(r() * 5000) : null,
    },
  };
}

export interface DatasetSizes {
  customers: number;
  orders: number;
  events: number;
  tickets: number;
  products: number;
}

export const DEFAULT_SIZES: DatasetSizes = {
  customers: 250,
  orders: 120,
  events: 300,
  tickets: 200,
  products: 60,
};

export interface Ticket {
  id: number;
  subject: string;
  status: string;
  priority: number;
  customer_id: number;
  created_at: string;
  updated_at: string;
}

const TICKET_STATUSES = ['open', 'pending', 'solved', 'closed'];

/** Ticket i is created every 3 hours from 2024-01-01 and last updated up to two days later. */
export function ticket(i: number, customers: number): Ticket {
  const r = seeded(i * 31_337 + 11);
  const created = EPOCH + i * 3 * HOUR;
  return {
    id: i + 1,
    subject: `${pick(PRODUCTS, r)} ${pick(['broken', 'missing', 'slow', 'question'], r)}`,
    status: pick(TICKET_STATUSES, r),
    priority: 1 + Math.floor(r() * 4),
    customer_id: 1 + Math.floor(r() * customers),
    created_at: new Date(created).toISOString(),
    updated_at: new Date(created + Math.floor(r() * 48 * 60) * 60_000).toISOString(),
  };
}

export interface Product {
  sku: string;
  name: string;
  price: string;
  stock: number;
}

export function product(i: number): Product {
  const r = seeded(i * 7_727 + 5);
  return {
    sku: `SKU-${String(i + 1).padStart(5, '0')}`,
    name: `${pick(PRODUCTS, r)} ${pick(['mini', 'pro', 'max', 'classic'], r)}`,
    price: money(r, 500),
    stock: Math.floor(r() * 1000),
  };
}

export interface Payment {
  payment_id: string;
  amount: string;
  method: string;
  paid_at: string;
}

/** Customer c (1-based) has `c % 4` payments: some customers have none, some more than one page. */
export function payments(customerId: number): Payment[] {
  const r = seeded(customerId * 4_243 + 9);
  return Array.from({ length: customerId % 4 }, (_, n) => ({
    payment_id: `PAY-${customerId}-${n + 1}`,
    amount: money(r, 300),
    method: pick(['card', 'transfer', 'wallet'], r),
    paid_at: new Date(EPOCH + customerId * HOUR + n * 24 * HOUR).toISOString(),
  }));
}
