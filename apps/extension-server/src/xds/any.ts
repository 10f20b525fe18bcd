import type { envoyConfig } from '@aigw/proto';

import { HookError } from '../errors.js';
import { typeUrl } from './names.js';

/** What `pack` and `unpack` need of a generated message type. */
export interface MessageCodec<T> {
  decode(input: Uint8Array): T;
  encode(message: T): { finish(): Uint8Array };
}

/** A message type as an `Any` names it, with its generated codec. */
export interface AnyType<T> {
  readonly name: string;
  readonly codec: MessageCodec<T>;
}

/** An `Any` carrying `message` as `type.googleapis.com/<typeName>`. */
export function pack<T>(typeName: string, codec: MessageCodec<T>, message: T): envoyConfig.Any {
  return { typeUrl: typeUrl(typeName), value: Buffer.from(codec.encode(message).finish()) };
}

/**
 * The message inside `any`, decoded with the generated type (unknown fields are kept and written
 * back by `pack`). Throws a HookError naming `where` when the type differs or the bytes are bad.
 */
export function unpack<T>(any: envoyConfig.Any, type: AnyType<T>, where: string): T {
  const { name, codec } = type;
  if (any.typeUrl !== typeUrl(name)) {
    throw new HookError(
      'invalid_xds',
      `${where}: expected ${name}, got ${any.typeUrl === '' ? 'an empty type URL' : any.typeUrl}`,
    );
  }
  try {
    return codec.decode(any.value);
  } catch (err) {
    throw new HookError('invalid_xds', `${where}: cannot decode ${name}`, { cause: err });
  }
}
