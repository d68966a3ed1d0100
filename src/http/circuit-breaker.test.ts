import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../test/support/clocks.js';
import { CircuitBreaker } from './circuit-breaker.js';

const breaker = (clock: ManualClock) =>
  new CircuitBreaker({ threshold: 3, cooldownMs: 30_000, name: 'https://api.example.com' }, clock);

describe('circuit breaker', () => {
  test('opens after N consecutive failures and says why; a success in between resets the count', async () => {
    const clock = new ManualClock();
    const circuit = breaker(clock);
    circuit.failure('a');
    circuit.failure('b');
    circuit.success();
    circuit.failure('c');
    circuit.failure('d');
    expect(circuit.state).toBe('closed');
    circuit.failure('GET /x answered 503');
    expect(circuit.state).toBe('open');
    await expect(circuit.enter()).rejects.toMatchObject({
      code: 'CIRCUIT_OPEN',
      message: expect.stringMatching(
        /circuit open for https:\/\/api\.example\.com: 3 consecutive failures, the last: GET \/x answered 503; failing fast until 2025-01-01T00:00:30\.000Z/,
      ),
    });
  });

  test('after the cooldown one probe goes while the others wait; its success closes the circuit', async () => {
    const clock = new ManualClock();
    const circuit = breaker(clock);
    for (let i = 0; i < 3; i++) circuit.failure('down');
    await clock.advance(30_000);
    expect(await circuit.enter()).toBe(true);
    expect(circuit.state).toBe('half_open');
    let waiterEntered = false;
    const waiter = circuit.enter().then((probe) => {
      waiterEntered = true;
      return probe;
    });
    await clock.advance(0);
    expect(waiterEntered).toBe(false);
    circuit.success();
    expect(await waiter).toBe(false);
    expect(circuit.state).toBe('closed');
  });

  test('a failed probe opens the circuit for another cooldown, and the waiters fail fast', async () => {
    const clock = new ManualClock();
    const circuit = breaker(clock);
    for (let i = 0; i < 3; i++) circuit.failure('down');
    await clock.advance(30_000);
    await circuit.enter();
    const waiter = circuit.enter();
    circuit.failure('still down');
    await expect(waiter).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    await clock.advance(29_000);
    await expect(circuit.enter()).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    await clock.advance(1_000);
    expect(await circuit.enter()).toBe(true);
  });

  test('an abandoned probe (cancelled) lets the next request probe instead', async () => {
    const clock = new ManualClock();
    const circuit = breaker(clock);
    for (let i = 0; i < 3; i++) circuit.failure('down');
    await clock.advance(30_000);
    expect(await circuit.enter()).toBe(true);
    circuit.abandon(true);
    expect(await circuit.enter()).toBe(true);
  });
});
