import { describe, expect, it } from 'vitest';
import { arr, int, intOrStr, map, obj, str, strEnum } from './dsl.js';
import { toOpenApi } from './openapi.js';

describe('toOpenApi', () => {
  it('renders objects with sorted keys, required fields and CEL rules', () => {
    const schema = obj(
      { b: str({ maxLength: 3 }), a: int({ minimum: 0, default: 1 }) },
      { required: ['b'], validations: [{ rule: 'has(self.b)', message: 'b please' }] },
    );
    const out = toOpenApi(schema);
    expect(Object.keys(out)).toEqual([
      'properties',
      'required',
      'type',
      'x-kubernetes-validations',
    ]);
    expect(out).toEqual({
      properties: {
        a: { default: 1, minimum: 0, type: 'integer' },
        b: { maxLength: 3, type: 'string' },
      },
      required: ['b'],
      type: 'object',
      'x-kubernetes-validations': [{ message: 'b please', rule: 'has(self.b)' }],
    });
  });

  it('renders list types, maps, enums and int-or-string', () => {
    expect(
      toOpenApi(
        arr(obj({ k: str() }, { required: ['k'] }), { listType: 'map', listMapKeys: ['k'] }),
      ),
    ).toMatchObject({
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['k'],
    });
    expect(toOpenApi(map(intOrStr()))).toEqual({
      additionalProperties: {
        anyOf: [{ type: 'integer' }, { type: 'string' }],
        'x-kubernetes-int-or-string': true,
      },
      type: 'object',
    });
    expect(toOpenApi(strEnum(['A', 'B']))).toEqual({ enum: ['A', 'B'], type: 'string' });
  });
});
