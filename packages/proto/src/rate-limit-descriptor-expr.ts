/**
 * `envoy.extensions.rate_limit_descriptors.expr.v3.Descriptor` (Envoy's
 * `envoy.rate_limit_descriptors.expr` rate-limit action), written by hand: the vendored proto
 * closure does not hold it, and its `parsed` alternative would pull in all of CEL's syntax protos.
 * Only the text form is spoken (fields 1–3); field 4 (`parsed`) is kept as unknown bytes.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/rate_limit_descriptors/expr/v3/expr.proto
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

export const protobufPackage = 'envoy.extensions.rate_limit_descriptors.expr.v3';

/** The descriptor entry `(descriptor_key, <the expression's value>)`. */
export interface Descriptor {
  /** Field 1: the key of the descriptor entry. */
  readonly descriptorKey: string;
  /** Field 2: an error skips the entry; false (the default): no descriptor is produced. */
  readonly skipIfError: boolean;
  /** Field 3 (`expr_specifier` oneof): the CEL expression's text. */
  readonly text: string;
}

export const Descriptor = {
  encode(message: Descriptor, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.descriptorKey !== '') writer.uint32(10).string(message.descriptorKey);
    if (message.skipIfError) writer.uint32(16).bool(message.skipIfError);
    if (message.text !== '') writer.uint32(26).string(message.text);
    return writer;
  },

  decode(input: Uint8Array): Descriptor {
    const reader = new BinaryReader(input);
    let descriptorKey = '';
    let skipIfError = false;
    let text = '';
    while (reader.pos < reader.len) {
      const [fieldNo, wireType] = reader.tag();
      if (fieldNo === 1 && wireType === WireType.LengthDelimited) descriptorKey = reader.string();
      else if (fieldNo === 2 && wireType === WireType.Varint) skipIfError = reader.bool();
      else if (fieldNo === 3 && wireType === WireType.LengthDelimited) text = reader.string();
      else reader.skip(wireType);
    }
    return { descriptorKey, skipIfError, text };
  },

  fromPartial(partial: Partial<Descriptor>): Descriptor {
    return {
      descriptorKey: partial.descriptorKey ?? '',
      skipIfError: partial.skipIfError ?? false,
      text: partial.text ?? '',
    };
  },
};
