import { describe, expect, it } from 'vitest';
import { fixtureNames, readFixtureJson, testdataDir } from '../test/golden.js';
import { isTranslatorError } from './errors.js';
import { parseRequest } from './parse-request.js';
import { createTranslator, hasTranslator } from './registry.js';
import {
  backendSchemaNames,
  endpoints,
  type BackendSchemaName,
  type Endpoint,
  type ParsedRequest,
} from './translator.js';

/**
 * The first request of each official coding-agent CLI, as recorded against a fake provider
 * (`testdata/agents/*.json`; how they were recorded: docs/agents.md), through every backend
 * translator its dialect can target: each must translate, keeping the model, every tool, the
 * system prompt and the user's prompt.
 */

type Dialect = 'anthropic-messages' | 'openai-responses' | 'gemini-generate-content';

interface AgentFixture {
  readonly cli: string;
  readonly version: string;
  readonly dialect: Dialect;
  readonly note: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>>;
}

type Json = Readonly<Record<string, unknown>>;

const dir = testdataDir('agents');
const fixtures = fixtureNames(dir, '.json').map((name) => ({
  name,
  fixture: readFixtureJson<AgentFixture>(dir, `${name}.json`),
}));

/** What every recording asked the CLI. */
const prompt = 'Run the shell command: echo agent-tool-ok';

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const objects = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []);
const stringOr = (value: unknown, fallback: string): string =>
  typeof value === 'string' ? value : fallback;

/** The ingress endpoint of a dialect, when this build has it (Gemini's is being added). */
function endpointOf(dialect: Dialect): Endpoint | undefined {
  const name = { 'anthropic-messages': 'messages', 'openai-responses': 'responses' }[
    dialect as string
  ];
  return endpoints.find((endpoint) => endpoint === (name ?? dialect));
}

/** The text of a content that is a string or a list of `{ text }` parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return objects(content)
    .map((part) => stringOr(part.text, ''))
    .join('');
}

/** What must survive translation: model, tool names, a piece of the system prompt. */
interface Essentials {
  readonly model: string;
  readonly tools: readonly string[];
  readonly system: string;
}

function essentialsOf(fixture: AgentFixture): Essentials {
  const { body } = fixture;
  switch (fixture.dialect) {
    case 'anthropic-messages': {
      // The longest system block is the system prompt proper (the first is a billing header).
      const blocks = objects(body.system).map((block) => stringOr(block.text, ''));
      const system = blocks.reduce((a, b) => (b.length > a.length ? b : a), '');
      return {
        model: String(body.model),
        tools: objects(body.tools).map((tool) => String(tool.name)),
        system,
      };
    }
    case 'openai-responses': {
      const developer = objects(body.input).find((item) => item.role === 'developer');
      // Function and custom tools; a namespace's as `<namespace>__<name>`; hosted ones dropped.
      const isOffered = (tool: Json): boolean => tool.type === 'function' || tool.type === 'custom';
      return {
        model: String(body.model),
        tools: objects(body.tools).flatMap((tool) =>
          tool.type === 'namespace'
            ? objects(tool.tools)
                .filter(isOffered)
                .map((inner) => `${String(tool.name)}__${String(inner.name)}`)
            : isOffered(tool)
              ? [String(tool.name)]
              : [],
        ),
        system: stringOr(body.instructions, textOf(developer?.content)),
      };
    }
    case 'gemini-generate-content':
      return {
        model: /\/models\/([^/:]+):/.exec(fixture.path)?.[1] ?? '',
        tools: objects(body.tools).flatMap((tool) =>
          objects(tool.functionDeclarations).map((fn) => String(fn.name)),
        ),
        system: isObject(body.systemInstruction) ? textOf(body.systemInstruction.parts) : '',
      };
  }
}

/**
 * The tool names of a translated body, whatever the backend's format: Anthropic `tools[].name`,
 * OpenAI `tools[].function.name`, Bedrock `toolConfig.tools[].toolSpec.name`, Gemini
 * `tools[].functionDeclarations[].name`.
 */
function upstreamTools(body: Json): string[] {
  const toolConfig = isObject(body.toolConfig) ? body.toolConfig.tools : undefined;
  return [...objects(body.tools), ...objects(toolConfig)].flatMap((tool) => {
    const declared = objects(tool.functionDeclarations).map((fn) => String(fn.name));
    if (declared.length > 0) return declared;
    const named = [tool, tool.function, tool.toolSpec].find(
      (t): t is Json => isObject(t) && typeof t.name === 'string',
    );
    return named ? [String(named.name)] : [];
  });
}

function parsedRequest(fixture: AgentFixture, endpoint: Endpoint): ParsedRequest {
  const raw = new TextEncoder().encode(JSON.stringify(fixture.body));
  if (fixture.dialect !== 'gemini-generate-content') return parseRequest(endpoint, raw);
  // The Gemini dialect names its model and streaming in the path.
  return {
    endpoint,
    raw,
    body: fixture.body,
    model: essentialsOf(fixture).model,
    stream: fixture.path.includes(':streamGenerateContent'),
  };
}

/** A JSON string's escaped form, to find it inside a serialized body. */
const escaped = (text: string): string => JSON.stringify(text).slice(1, -1);

/** Fixtures a translation refuses on purpose, by the error it gives; none today. */
const knownRefusals: Readonly<Record<string, RegExp>> = {};

describe.each(fixtures)('$name ($fixture.cli $fixture.version)', ({ name, fixture }) => {
  const endpoint = endpointOf(fixture.dialect);
  const targets = backendSchemaNames.filter(
    (schema) => endpoint !== undefined && hasTranslator({ endpoint, schema: { name: schema } }),
  );
  const essentials = essentialsOf(fixture);
  const refusal = knownRefusals[name];

  it('was recorded with what the checks below rely on', () => {
    expect(essentials.model).not.toBe('');
    expect(essentials.tools.length).toBeGreaterThan(3);
    expect(essentials.system.length).toBeGreaterThan(100);
    expect(JSON.stringify(fixture.body)).toContain(escaped(prompt));
    // Recorded with dummy keys, and those replaced: nothing that looks like a live key.
    expect(JSON.stringify(fixture.headers)).toMatch(/redacted/);
  });

  if (endpoint === undefined) {
    it.skip(`needs the ${fixture.dialect} ingress, which this build does not have`);
  } else if (targets.length === 0) {
    it.skip(`has no backend translator for ${fixture.dialect} yet`);
  }

  it.each(targets.map((schema) => ({ schema })))(
    refusal ? 'is refused by $schema as a client error' : 'translates to $schema, essentials kept',
    ({ schema }: { schema: BackendSchemaName }) => {
      if (endpoint === undefined) throw new Error('unreachable: no targets without an endpoint');
      const translate = () =>
        createTranslator({
          endpoint,
          schema: { name: schema },
          gcp: { project: 'agent-project', region: 'us-central1' },
        }).request({
          request: parsedRequest(fixture, endpoint),
          path: fixture.path,
          headers: new Map(Object.entries(fixture.headers)),
        });
      if (refusal) {
        expect(translate).toThrow(refusal);
        let error: unknown;
        try {
          translate();
        } catch (e) {
          error = e;
        }
        expect(isTranslatorError(error) && error.code).toBe('malformed_request');
        return;
      }
      const result = translate();
      expect(result.model).toBe(essentials.model);
      expect(result.path).not.toMatch(/undefined/);
      // A passthrough (Responses to OpenAI, Messages to Anthropic) sends the recorded bytes.
      if (result.body === undefined) return;
      const sent = JSON.parse(new TextDecoder().decode(result.body)) as Json;
      expect(upstreamTools(sent).sort()).toEqual([...essentials.tools].sort());
      const serialized = JSON.stringify(sent);
      expect(serialized).toContain(escaped(essentials.system.slice(0, 200)));
      expect(serialized).toContain(escaped(prompt));
    },
  );
});
