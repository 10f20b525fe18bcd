/** gRPC listen addresses, shared by the grpc-js and the `node:http2` servers (no grpc-js here). */

/** Where a gRPC server ended up listening. */
export interface BoundAddress {
  /** The address as grpc-js understands it (`unix:/path` or `host:port`). */
  readonly address: string;
  /** The TCP port (0 for Unix sockets). */
  readonly port: number;
}

/** Turns `:port` into `0.0.0.0:port` and `unix:///p` into `unix:/p`; other forms pass through. */
export function normalizeListenAddress(address: string): string {
  if (address.startsWith('unix:')) return `unix:${address.replace(/^unix:(\/\/)?/, '')}`;
  return address.startsWith(':') ? `0.0.0.0${address}` : address;
}
