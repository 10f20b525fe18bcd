/**
 * The extproc's readiness check, run by the kubelet as `node -e <script> <socket path>` in the
 * extproc container: one gRPC `grpc.health.v1.Health/Check` (service `""`) over the Unix socket,
 * with node:http2 only. Exit 0 when the answer is SERVING (the message `08 01` after the 5-byte
 * gRPC frame header), 1 otherwise (NOT_SERVING until a config is in force, no answer, an error).
 *
 * An exec probe because the extproc serves gRPC health on its socket only: Kubernetes' `grpc`
 * probe needs a TCP port, and the extproc has no HTTP admin port (upstream probes `:1064/health`).
 */
export const readinessProbeScript = [
  "const h=require('node:http2'),n=require('node:net');",
  'const f=()=>process.exit(1);setTimeout(f,4000).unref();',
  "const c=h.connect('http://localhost',{createConnection:()=>n.connect(process.argv[1])});",
  "c.on('error',f);",
  "const r=c.request({':method':'POST',':path':'/grpc.health.v1.Health/Check','content-type':'application/grpc',te:'trailers'});",
  'let b=Buffer.alloc(0);',
  "r.on('data',d=>{b=Buffer.concat([b,d])});",
  "r.on('error',f);",
  "r.on('end',()=>process.exit(b.length>=7&&b[5]===8&&b[6]===1?0:1));",
  'r.end(Buffer.alloc(5));',
].join('');
