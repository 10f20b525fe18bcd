import type { ObjSchema, Schema } from './dsl.js';

/** The schema without its top-level description (a field may describe a shared type its way). */
function shape(schema: ObjSchema): string {
  return JSON.stringify({ ...schema, description: undefined });
}

/** Collects named interfaces while rendering TS types from DSL nodes. */
export class TypeEmitter {
  private readonly named = new Map<string, { schema: ObjSchema; body: string }>();

  /** The TS type expression for `schema`, registering named object types on the way. */
  typeOf(schema: Schema, indent = ''): string {
    switch (schema.kind) {
      case 'string':
        return schema.enum ? schema.enum.map((v) => JSON.stringify(v)).join(' | ') : 'string';
      case 'integer':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'object':
        return this.objectType(schema, indent);
      case 'map':
        return `Record<string, ${this.typeOf(schema.values, indent)}>`;
      case 'array': {
        const item = this.typeOf(schema.items, indent);
        return item.includes('|') ? `(${item})[]` : `${item}[]`;
      }
      case 'int-or-string':
        return 'number | string';
      case 'any':
        return 'unknown';
    }
  }

  /** All named interfaces registered so far, in name order. */
  declarations(): string {
    return [...this.named.keys()]
      .sort()
      .map((name) => {
        const entry = this.named.get(name);
        const doc = entry?.schema.description ? `/** ${entry.schema.description} */\n` : '';
        return `${doc}export interface ${name} ${entry?.body ?? '{}'}\n`;
      })
      .join('\n');
  }

  private objectType(schema: ObjSchema, indent: string): string {
    if (schema.typeName === undefined) return this.body(schema, indent);
    const existing = this.named.get(schema.typeName);
    if (existing) {
      if (shape(existing.schema) !== shape(schema)) {
        throw new Error(`two different schemas are both named ${schema.typeName}`);
      }
      return schema.typeName;
    }
    const entry = { schema, body: '' };
    this.named.set(schema.typeName, entry);
    entry.body = this.body(schema, '');
    return schema.typeName;
  }

  private body(schema: ObjSchema, indent: string): string {
    const inner = `${indent}  `;
    const required = new Set(schema.required ?? []);
    const lines: string[] = [];
    for (const [key, child] of Object.entries(schema.properties)) {
      if (child.description) lines.push(`${inner}/** ${child.description} */`);
      const opt = required.has(key) ? '' : '?';
      lines.push(`${inner}${key}${opt}: ${this.typeOf(child, inner)};`);
    }
    if (schema.preserveUnknown) lines.push(`${inner}[key: string]: unknown;`);
    if (lines.length === 0) return 'Record<string, never>';
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
}
