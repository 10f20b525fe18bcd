import { describe, expect, it } from 'vitest';
import { exampleModel, formatBanner } from './banner.js';

describe('formatBanner', () => {
  const text = formatBanner({
    address: 'http://localhost:1975',
    routes: [
      {
        route: 'default/chat/rule/0',
        models: ['gpt-4o-mini', 'gpt-4.1'],
        backends: ['default/openai'],
      },
      { route: 'default/chat/rule/1', models: [], backends: ['default/ollama'] },
    ],
    files: ['/tmp/gateway.yaml'],
    adminPort: 1064,
    rateLimit: '127.0.0.1:4000 (in-memory counters)',
    notes: ['OPENAI_API_KEY is not set'],
  });

  it('fits one screen', () => {
    expect(text.split('\n').length).toBeLessThan(25);
  });

  it('shows the address, the routes, a curl example and the notes', () => {
    expect(text).toContain('aigw is ready: http://localhost:1975');
    expect(text).toContain('gpt-4o-mini, gpt-4.1  →  default/openai');
    expect(text).toContain('any model  →  default/ollama');
    expect(text).toContain('curl -s http://localhost:1975/v1/chat/completions');
    expect(text).toContain('"model":"gpt-4o-mini"');
    expect(text).toContain('! OPENAI_API_KEY is not set');
    expect(text).toContain('rate limiter: 127.0.0.1:4000');
  });

  it('names a non-default admin port in the healthcheck hint', () => {
    const other = formatBanner({
      address: 'http://localhost:8080',
      routes: [],
      files: [],
      adminPort: 9901,
      rateLimit: undefined,
      notes: [],
    });
    expect(other).toContain('aigw healthcheck --admin-port 9901');
    expect(other).toContain('config: embedded default');
  });
});

describe('exampleModel', () => {
  it('picks the first literal model name and skips patterns', () => {
    expect(exampleModel([{ route: 'r', models: ['claude-.*', 'gpt-4o'], backends: [] }])).toBe(
      'gpt-4o',
    );
    expect(exampleModel([])).toBe('gpt-4o-mini');
  });
});
