import { describe, expect, test } from 'vitest';
import {
  canTransition,
  type LoadStatus,
  nextLoadType,
  plansNext,
  TRANSITIONS,
  type Transition,
} from './state-machine.js';

const STATUSES: LoadStatus[] = ['PENDING', 'RUNNING', 'SUCCESS', 'FAILED'];

describe('the transition table', () => {
  // Every (transition, status) pair, spelled out: a change to the table must change this list.
  const allowed: Record<Transition, LoadStatus[]> = {
    claim: ['PENDING', 'RUNNING'],
    succeed: ['RUNNING'],
    fail: ['RUNNING'],
    retry: ['FAILED'],
    release: ['RUNNING'],
  };
  for (const transition of Object.keys(TRANSITIONS) as Transition[]) {
    for (const status of STATUSES) {
      const expected = allowed[transition].includes(status);
      test(`${transition} from ${status} is ${expected ? 'allowed' : 'refused'}`, () => {
        expect(canTransition(transition, status)).toBe(expected);
      });
    }
  }

  test('SUCCESS is final for a row: nothing leaves it', () => {
    for (const transition of Object.keys(TRANSITIONS) as Transition[]) {
      expect(canTransition(transition, 'SUCCESS')).toBe(false);
    }
  });

  test('after a success, incremental resources load incrementally, others fully', () => {
    expect(nextLoadType(true)).toBe('INCREMENTAL');
    expect(nextLoadType(false)).toBe('FULL_LOAD');
  });

  test('a rebuild plans nothing after it; scheduled loads do', () => {
    expect(plansNext('REBUILD')).toBe(false);
    expect(plansNext('FULL_LOAD')).toBe(true);
    expect(plansNext('INCREMENTAL')).toBe(true);
  });
});
