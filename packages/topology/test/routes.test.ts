import { describe, expect, it } from 'vitest';
import { matchesPrefix, resourceNames, routes } from '../src/index.ts';

describe('route table', () => {
  it('has one priority per listener', () => {
    const keys = routes.map((r) => `${r.listener}:${r.priority}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('never exposes internal paths on the public listener', () => {
    const publicPrefixes = routes.filter((r) => r.listener === 'public').flatMap((r) => r.pathPrefixes);
    expect(publicPrefixes.some((p) => matchesPrefix('/internal/assets', p))).toBe(false);
  });

  it('matches on segment boundaries only', () => {
    expect(matchesPrefix('/assets/1', '/assets')).toBe(true);
    expect(matchesPrefix('/assets', '/assets')).toBe(true);
    expect(matchesPrefix('/assetsX', '/assets')).toBe(false);
  });
});

describe('resource names', () => {
  it('derives names from the stage and rejects a bad stage', () => {
    expect(resourceNames('dev').assetsTable).toBe('dev-assets');
    expect(() => resourceNames('Bad Stage')).toThrow(/Stage must be/);
  });
});
